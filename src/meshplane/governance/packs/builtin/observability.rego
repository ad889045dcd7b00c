# METADATA
# title: Data products are observable
# description: At least one observability component with an endpoint, so consumers can see health and quality.
# custom:
#   id: observability-endpoint
#   severity: error
#   resource: dataProduct
package meshplane.policies.observability

import rego.v1

endpoints := [c | some c in input.dataProduct.components; c.kind == "observability"; count(object.get(c, "endpoint", "")) > 0]

deny contains {"msg": "no observability component with an endpoint", "path": "components"} if {
	count(endpoints) == 0
}
