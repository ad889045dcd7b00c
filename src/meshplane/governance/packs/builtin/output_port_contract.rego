# METADATA
# title: Output ports carry a complete data contract
# description: Every output port declares its schema, an SLA (interval of change, timeliness) and terms of use.
# custom:
#   id: output-port-contract
#   severity: error
#   resource: outputPort
package meshplane.policies.output_port_contract

import rego.v1

ports contains [i, c] if {
	some i, c in input.dataProduct.components
	c.kind in {"outputPort", "boundaryPort"}
}

deny contains {"msg": sprintf("output port `%s` declares no columns", [c.name]), "path": sprintf("components[%d].dataContract.columns", [i])} if {
	some [i, c] in ports
	count(object.get(c.dataContract, "columns", [])) == 0
}

deny contains {"msg": sprintf("output port `%s` has no SLA", [c.name]), "path": sprintf("components[%d].dataContract", [i])} if {
	some [i, c] in ports
	not c.dataContract.sla
}

deny contains {"msg": sprintf("the SLA of output port `%s` lacks `%s`", [c.name, field]), "path": sprintf("components[%d].dataContract.sla", [i])} if {
	some [i, c] in ports
	c.dataContract.sla
	some field in ["intervalOfChange", "timeliness"]
	not c.dataContract.sla[field]
}

deny contains {"msg": sprintf("output port `%s` has no terms of use", [c.name]), "path": sprintf("components[%d].dataContract", [i])} if {
	some [i, c] in ports
	count(object.keys(object.get(c.dataContract, "terms", {}))) == 0
}
