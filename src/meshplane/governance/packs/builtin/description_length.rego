# METADATA
# title: Data products describe themselves
# description: >-
#   A consumer decides from the description alone whether a data product fits; a short description means
#   a call to the owner. Parameter minDescriptionLength (default 40).
# custom:
#   id: description-length
#   severity: error
#   resource: dataProduct
package meshplane.policies.description_length

import rego.v1

min_length := object.get(input.params, "minDescriptionLength", 40)

deny contains {"msg": msg, "path": "description"} if {
	count(trim_space(object.get(input.dataProduct, "description", ""))) < min_length
	msg := sprintf("the description has %d characters; at least %d are required", [count(trim_space(object.get(input.dataProduct, "description", ""))), min_length])
}
