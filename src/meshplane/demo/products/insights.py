"""Marketing's consumer-aligned products: the Customer 360 profile and the churn features for ML.

``customer_360`` correlates five domains by the CID without copying anyone's raw data: it publishes a
profile of facts (counts, sums, dates) that is valuable on its own, and leaves names and e-mails to the MDM
(consumers join ``customer_master.customers`` on ``cid`` when they need them). ``churn_features`` feeds the
external ML platform through a *boundary port*: a port for a system outside the mesh, which no data
product may consume.
"""

from __future__ import annotations

from meshplane.demo import kit
from meshplane.demo.kit import Data, column
from meshplane.demo.products.customer import COUNTRIES

VALUE_TIERS = ["none", "low", "mid", "high"]


def _profile_columns() -> list[Data]:
    return [
        column("orders", "integer", "Orders placed, all statuses.", required=True),
        column("revenue", "decimal", "Total of orders neither cancelled nor returned, EUR.", required=True),
        column("open_amount", "decimal", "Invoiced and not yet paid, EUR.", required=True),
        column("overdue_invoices", "integer", "Invoices past due and unpaid.", required=True),
        column("tickets", "integer", "Helpdesk tickets opened.", required=True),
        column("open_tickets", "integer", "Tickets still open or pending.", required=True),
        column("avg_csat", "number", "Average satisfaction score given, 1-5; empty if never rated."),
        column("campaign_clicks", "integer", "Campaign clicks.", required=True),
        column("campaign_conversions", "integer", "Campaign conversions.", required=True),
        column("unsubscribed", "boolean", "Whether the customer unsubscribed from any campaign.", required=True),
    ]


def _customer_360() -> Data:
    return kit.output_port(
        "customer_360",
        "One profile per customer: orders, billing, support and marketing facts, correlated by CID.",
        [
            kit.cid(primary_key=True),
            column("country", "string", "ISO 3166-1 alpha-2 country of residence.", required=True),
            column("segment", "string", "consumer, smb or enterprise.", required=True),
            column("customer_since", "timestamp", "Sign-up time.", required=True),
            column("first_order_at", "timestamp", "First order; empty if none."),
            column("last_order_at", "timestamp", "Latest order; empty if none."),
            *_profile_columns(),
            column("last_interaction_at", "timestamp", "Latest campaign interaction; empty if none."),
            column("value_tier", "string", "none, low (< 200 EUR), mid (< 1,000 EUR) or high revenue.", required=True),
        ],
        [
            kit.not_null("cid"),
            kit.unique("cid"),
            kit.accepted("value_tier", VALUE_TIERS),
            kit.accepted("country", COUNTRIES),
            kit.in_range("revenue", 0),
            kit.in_range("open_amount", 0),
            kit.in_range("avg_csat", 1, 5),
            kit.row_count(1),
            kit.custom_sql(
                "invoices_need_orders",
                "Money is owed only by customers who ordered: billing and sales agree once correlated by CID.",
                "SELECT count(*) FROM customer_360 WHERE open_amount > 0 AND orders = 0",
            ),
        ],
        kit.sla("24h", "4h", "99.5%"),
        kit.terms(
            "Customer analytics, segmentation and service planning.",
            limitations="Facts only; join customer_master.customers on cid for names and contact data.",
            purpose="A customer-centric view owned by marketing, built on the CID polyseme.",
        ),
    )


def _churn_features() -> Data:
    return kit.output_port(
        "churn_features",
        "Model features and the churn label for the ML platform's churn model, as of one day.",
        [
            kit.cid(primary_key=True),
            column("as_of", "date", "The day the features describe (the day after the latest order).", required=True),
            column("tenure_days", "integer", "Days since sign-up.", required=True),
            column("days_since_last_order", "integer", "Days since the latest order; empty if none."),
            *_profile_columns(),
            column("avg_order_value", "number", "Revenue per order, EUR; empty without orders."),
            column("churned", "boolean", "Label: no order in the 180 days before as_of.", required=True),
        ],
        [
            kit.not_null("cid"),
            kit.unique("cid"),
            kit.in_range("tenure_days", 0),
            kit.in_range("days_since_last_order", 0),
            kit.row_count(1),
            kit.custom_sql(
                "one_as_of_day",
                "Every row describes the same day.",
                "SELECT count(DISTINCT as_of) - 1 FROM churn_features",
            ),
        ],
        kit.sla("24h", "6h", "99%"),
        kit.terms(
            "Training and scoring the churn model on the ML platform only.",
            limitations="A boundary port: for the external ML platform; data products must not consume it.",
        ),
        type_="files",
        kind="boundaryPort",
        consumers=["ml_platform"],
    )


def products() -> list[Data]:
    return [
        kit.data_product(
            "marketing",
            "customer_360",
            "consumer-aligned",
            "Customer 360: one profile per customer, correlating sales, billing, support and marketing "
            "by the global customer id (CID) the customer MDM issues.",
            owner="sam",
            owner_group="marketing-team",
            tags=["customer-360", "analytics"],
            components=[
                kit.from_port("customers", "customer", "customer_master", "customers", "Golden customer records."),
                kit.from_port(
                    "customer_keys",
                    "customer",
                    "customer_master",
                    "customer_keys",
                    "Local keys to CID, for tickets and not-yet-stamped orders.",
                ),
                kit.from_port("orders", "sales", "orders", "orders", "Web-shop orders."),
                kit.from_port("invoices", "billing", "invoices", "invoices", "Invoices."),
                kit.from_port("tickets", "support", "tickets", "tickets", "Helpdesk tickets."),
                kit.from_port(
                    "interactions", "marketing", "campaign_interactions", "interactions", "Campaign interactions."
                ),
                _customer_360(),
                kit.workload(
                    ["customers", "customer_keys", "orders", "invoices", "tickets", "interactions"],
                    ["customer_360"],
                    "0 4 * * *",
                    "Correlate every domain's facts by CID.",
                ),
                kit.observability("marketing", "customer_360"),
            ],
        ),
        kit.data_product(
            "marketing",
            "churn_features",
            "consumer-aligned",
            "Churn features for the external ML platform, exported through a boundary port.",
            owner="priya",
            owner_group="marketing-team",
            tags=["ml", "churn", "boundary"],
            maturity="tactical",
            components=[
                kit.from_port("customer_360", "marketing", "customer_360", "customer_360", "Customer profiles."),
                _churn_features(),
                kit.workload(
                    ["customer_360"], ["churn_features"], "0 5 * * *", "Turn profiles into model features and a label."
                ),
                kit.observability("marketing", "churn_features"),
            ],
        ),
    ]
