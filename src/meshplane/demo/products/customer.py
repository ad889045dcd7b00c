"""The customer domain: the MDM data product that issues the global customer id (CID).

It is source-aligned - it reads only the legacy CRM, the monolith, through two of its normalised tables -
and it is the one place where customer records are matched and merged. Everything downstream correlates by
the CID it issues (the ``customer`` polyseme) and never needs to know how the monolith keyed things.
"""

from __future__ import annotations

from meshplane.demo import kit, layout, vocab
from meshplane.demo.kit import Data, column

COUNTRIES = [c.code for c in vocab.COUNTRIES]
SYSTEMS = ["legacy_crm", "webshop", "billing_system", "helpdesk"]


def _customers() -> Data:
    return kit.output_port(
        "customers",
        "The golden record: one row per real customer, deduplicated across legacy CRM records.",
        [
            kit.cid(
                "The global customer id, issued here: CID- and the surviving legacy record's number "
                "plus 100000000. Stable once issued.",
                primary_key=True,
            ),
            column(
                "legacy_crm_id",
                "integer",
                "The surviving legacy CRM record (the oldest of a duplicate set).",
                required=True,
                unique=True,
            ),
            column("first_name", "string", "Given name.", required=True, classification="pii"),
            column("last_name", "string", "Family name.", required=True, classification="pii"),
            column("email", "string", "E-mail in lower case; missing for a few legacy records.", classification="pii"),
            column("phone", "string", "Phone number in E.164 form (+ and digits).", classification="pii"),
            column("country", "string", "ISO 3166-1 alpha-2 country of residence.", required=True),
            column("segment", "string", "consumer, smb or enterprise.", required=True),
            column("customer_since", "timestamp", "When the customer first signed up.", required=True),
            column(
                "merged_records", "integer", "How many legacy CRM records were merged into this one.", required=True
            ),
        ],
        [
            kit.not_null("cid"),
            kit.unique("cid"),
            kit.pattern("cid", r"^CID-[0-9]{9}$"),
            kit.pattern("email", r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]+$"),
            kit.pattern("phone", r"^\+[0-9]{8,15}$"),
            kit.accepted("segment", ["consumer", "smb", "enterprise"]),
            kit.accepted("country", COUNTRIES),
            kit.in_range("merged_records", 1, 10),
            kit.row_count(1),
            kit.custom_sql(
                "one_record_per_email",
                "No two golden records share an e-mail address.",
                "SELECT count(*) FROM (SELECT email FROM customers WHERE email IS NOT NULL "
                "GROUP BY email HAVING count(*) > 1)",
            ),
        ],
        kit.sla("24h", "2h", "99.9%"),
        kit.terms(
            "Any internal use; join other domains' data on cid.",
            security=kit.PII_SECURITY,
            purpose="The single source of truth for who a customer is.",
        ),
    )


def _customer_keys() -> Data:
    return kit.output_port(
        "customer_keys",
        "Every local key an operational system uses for a customer, mapped to the CID. For consumers "
        "holding only a local key (helpdesk contacts, orders placed before the CID reached the web shop).",
        [
            column("system", "string", "The external system that issued the local key.", key_part=True),
            column("local_id", "string", "The key in that system.", key_part=True),
            kit.cid(),
        ],
        [
            kit.unique("system", "local_id"),
            kit.not_null("cid"),
            kit.accepted("system", SYSTEMS),
            kit.pattern("cid", r"^CID-[0-9]{9}$"),
            kit.row_count(1),
            kit.custom_sql(
                "one_webshop_account_per_customer",
                "A CID maps to at most one web-shop account.",
                "SELECT count(*) FROM (SELECT cid FROM customer_keys WHERE system = 'webshop' "
                "GROUP BY cid HAVING count(*) > 1)",
            ),
        ],
        kit.sla("24h", "2h", "99.9%"),
        kit.terms("Resolving local keys to the CID. Prefer the cid columns other ports already carry."),
    )


def _customer_addresses() -> Data:
    return kit.output_port(
        "customer_addresses",
        "Address history, bi-temporal: valid_from/valid_to is when the customer lived there (valid_to "
        "empty for the current address); the table version says when the mesh learned it.",
        [
            column("address_id", "integer", "The legacy CRM address number.", primary_key=True),
            kit.cid(),
            column("street", "string", "Street and house number.", required=True, classification="pii"),
            column("postcode", "string", "Postal code.", required=True, classification="pii"),
            column("city", "string", "City.", required=True),
            column("country", "string", "ISO 3166-1 alpha-2 country.", required=True),
            column("valid_from", "date", "First day at this address.", required=True),
            column("valid_to", "date", "First day no longer at this address; empty while current."),
        ],
        [
            kit.not_null("address_id"),
            kit.unique("address_id"),
            kit.not_null("cid"),
            kit.accepted("country", COUNTRIES),
            kit.row_count(1),
            kit.custom_sql(
                "valid_period",
                "An address period ends after it starts.",
                "SELECT count(*) FROM customer_addresses WHERE valid_to <= valid_from",
            ),
            kit.custom_sql(
                "one_current_address",
                "Each customer has at most one current address.",
                "SELECT count(*) FROM (SELECT cid FROM customer_addresses WHERE valid_to IS NULL "
                "GROUP BY cid HAVING count(*) > 1)",
            ),
        ],
        kit.sla("24h", "2h", "99.5%"),
        kit.terms("Shipping, tax and regional analysis.", security=kit.PII_SECURITY),
        bitemporal=("valid_from", "valid_to"),
    )


def products() -> list[Data]:
    return [
        kit.data_product(
            "customer",
            "customer_master",
            "source-aligned",
            "Customer master data (MDM): matches and merges the legacy CRM's records into golden records "
            "and issues the global customer id (CID) every other domain correlates by.",
            owner="maria",
            owner_group="customer-team",
            tags=["mdm", "customer", "golden-record"],
            components=[
                kit.from_table(
                    "crm_customer",
                    "legacy_crm",
                    layout.CRM_URL,
                    layout.CRM_CUSTOMER_TABLE,
                    "Customer records of the legacy CRM, duplicates and all.",
                ),
                kit.from_table(
                    "crm_address",
                    "legacy_crm",
                    layout.CRM_URL,
                    layout.CRM_ADDRESS_TABLE,
                    "Address history of the legacy CRM, keyed by legacy customer number.",
                ),
                _customers(),
                _customer_keys(),
                _customer_addresses(),
                kit.workload(
                    ["crm_customer", "crm_address"],
                    ["customers", "customer_keys", "customer_addresses"],
                    "0 2 * * *",
                    "Match, merge and issue CIDs; map every local key to its CID.",
                ),
                kit.observability("customer", "customer_master"),
            ],
        )
    ]
