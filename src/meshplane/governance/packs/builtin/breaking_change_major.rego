# METADATA
# title: Breaking changes need a new major version
# description: >-
#   Compared with the deployed version, a change that can break consumers (a removed column, a type change,
#   a loosened guarantee …) needs a major bump, which makes a new data product id that runs side by side.
# custom:
#   id: breaking-change-major
#   severity: error
#   resource: dataProduct
package meshplane.policies.breaking_change_major

import rego.v1

deny contains {"msg": msg, "path": "version"} if {
	input.previous
	major(input.dataProduct.version) == major(input.previous.version)
	some change in input.changes
	change.breaking
	msg := sprintf("breaking change without a major version bump: %s (bump to %d.0.0)", [change.message, major(input.previous.version) + 1])
}

major(v) := to_number(split(v, ".")[0])
