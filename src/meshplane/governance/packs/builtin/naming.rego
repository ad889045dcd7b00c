# METADATA
# title: Naming conventions
# description: Data product, domain, component and column names are lower snake_case, so they are valid identifiers in every engine.
# custom:
#   id: naming-conventions
#   severity: warning
#   resource: dataProduct
package meshplane.policies.naming

import rego.v1

snake(name) if regex.match(`^[a-z][a-z0-9_]*$`, name)

deny contains {"msg": sprintf("%s `%s` is not lower snake_case", [field, input.dataProduct[field]]), "path": field} if {
	some field in ["name", "domain"]
	not snake(input.dataProduct[field])
}

deny contains {"msg": sprintf("component `%s` is not lower snake_case", [c.name]), "path": sprintf("components[%d].name", [i])} if {
	some i, c in input.dataProduct.components
	not snake(c.name)
}

deny contains {"msg": sprintf("column `%s` of `%s` is not lower snake_case", [col.name, c.name]), "path": sprintf("components[%d].dataContract.columns[%d].name", [i, j])} if {
	some i, c in input.dataProduct.components
	c.kind in {"outputPort", "boundaryPort"}
	some j, col in object.get(c.dataContract, "columns", [])
	not snake(col.name)
}
