# METADATA
# title: Source-aligned data products read only their source systems
# description: A source-aligned data product exposes a domain's operational facts; reading other data products makes it an aggregate.
# custom:
#   id: source-aligned-inputs
#   severity: error
#   resource: inputPort
package meshplane.policies.source_aligned_inputs

import rego.v1

deny contains {"msg": msg, "path": sprintf("components[%d].source", [i])} if {
	input.dataProduct.kind == "source-aligned"
	some i, c in input.dataProduct.components
	c.kind == "inputPort"
	c.source.type == "outputPort"
	msg := sprintf("source-aligned data products read external systems only; input port `%s` reads %s (make it an aggregate, or read the source system)", [c.name, c.source.dataProduct])
}
