# METADATA
# title: Consumer-aligned data products do not read operational systems
# description: Consumer-aligned data products build on other data products; reading an operational system directly bypasses its owning domain.
# custom:
#   id: consumer-aligned-inputs
#   severity: error
#   resource: inputPort
package meshplane.policies.consumer_aligned_inputs

import rego.v1

operational(name) if {
	some s in data.mesh.systems
	s.name == name
	object.get(s, "operational", true)
}

operational(name) if {
	not name in {s.name | some s in data.mesh.systems}
}

deny contains {"msg": msg, "path": sprintf("components[%d].source", [i])} if {
	input.dataProduct.kind == "consumer-aligned"
	some i, c in input.dataProduct.components
	c.kind == "inputPort"
	c.source.type != "outputPort"
	operational(c.source.system)
	msg := sprintf("input port `%s` reads operational system `%s` directly; read the source-aligned data product of its domain instead", [c.name, c.source.system])
}
