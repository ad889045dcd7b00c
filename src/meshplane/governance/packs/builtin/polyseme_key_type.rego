# METADATA
# title: Polyseme columns use the polyseme's key type
# description: A column carrying a polyseme (e.g. the global customer id) must have the key type the polyseme declares, or joins across domains break.
# custom:
#   id: polyseme-key-type
#   severity: error
#   resource: outputPort
package meshplane.policies.polyseme_key_type

import rego.v1

key_types := {p.name: object.get(p, "keyType", "string") | some p in data.mesh.polysemes}

deny contains {"msg": msg, "path": sprintf("components[%d].dataContract.columns[%d].type", [i, j])} if {
	some i, c in input.dataProduct.components
	c.kind in {"outputPort", "boundaryPort"}
	some j, col in object.get(c.dataContract, "columns", [])
	expected := key_types[col.polyseme]
	col.type != expected
	msg := sprintf("column `%s` carries polyseme `%s`, whose key type is %s, but is %s", [col.name, col.polyseme, expected, col.type])
}
