# METADATA
# title: Owners are known users or groups
# description: Every data product has an accountable owner that the mesh knows (mesh.yaml users and groups).
# custom:
#   id: owner-known
#   severity: error
#   resource: dataProduct
package meshplane.policies.owner_known

import rego.v1

principals := {u.id | some u in data.mesh.users} | {g.name | some g in data.mesh.groups}

deny contains {"msg": msg, "path": field} if {
	some field in ["owner", "ownerGroup", "devGroup"]
	name := input.dataProduct[field]
	not name in principals
	msg := sprintf("%s `%s` is not a user or group of the mesh", [field, name])
}
