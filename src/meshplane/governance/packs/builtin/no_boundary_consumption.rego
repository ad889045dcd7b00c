# METADATA
# title: Nobody consumes a boundary port
# description: Boundary ports serve systems outside the mesh; a data product reading one couples the mesh to a legacy interface.
# custom:
#   id: no-boundary-consumption
#   severity: error
#   resource: inputPort
package meshplane.policies.no_boundary_consumption

import rego.v1

deny contains {"msg": msg, "path": sprintf("components[%d].source.port", [i])} if {
	some i, c in input.dataProduct.components
	c.kind == "inputPort"
	c.source.type == "outputPort"
	other := data.mesh.dataProducts[c.source.dataProduct]
	other.ports[c.source.port] == "boundaryPort"
	msg := sprintf("input port `%s` reads boundary port `%s` of %s", [c.name, c.source.port, c.source.dataProduct])
}
