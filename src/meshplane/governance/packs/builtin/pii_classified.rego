# METADATA
# title: Personal data is classified
# description: >-
#   Columns whose names say they hold personal data (email, phone, name, address, birth date, national ids,
#   IBAN …) carry a classification, so access control masks them. Keys, counts and flags about such data
#   (`address_id`, `email_count`, `phone_verified`) are not personal data themselves. Parameters
#   piiNamePatterns and piiIgnoreSuffixes override the lists.
# custom:
#   id: pii-classified
#   severity: error
#   resource: outputPort
package meshplane.policies.pii_classified

import rego.v1

default_patterns := ["email", "e_mail", "phone", "mobile", "first_name", "last_name", "full_name", "surname", "address", "street", "birth", "ssn", "passport", "iban", "national_id", "tax_id", "ip_address"]

patterns := object.get(input.params, "piiNamePatterns", default_patterns)

default_suffixes := ["_id", "_key", "_count", "_type", "_verified", "_at", "_flag", "_hash"]

suffixes := object.get(input.params, "piiIgnoreSuffixes", default_suffixes)

protected := {"pii", "sensitive", "confidential", "restricted"}

about_pii(name) if {
	some s in suffixes
	endswith(name, s)
}

deny contains {"msg": msg, "path": sprintf("components[%d].dataContract.columns[%d]", [i, j])} if {
	some i, c in input.dataProduct.components
	c.kind in {"outputPort", "boundaryPort"}
	some j, col in object.get(c.dataContract, "columns", [])
	some p in patterns
	contains(lower(col.name), p)
	not about_pii(lower(col.name))
	not object.get(col, "classification", "") in protected
	msg := sprintf("column `%s` of `%s` looks like personal data but is not classified pii, sensitive, confidential or restricted", [col.name, c.name])
}
