"""The sales domain: web-shop orders (source-aligned) and daily revenue (aggregate).

The web shop is fed the CID by the MDM and stamps it on each order in a nightly batch, so orders of the last
days before an export carry no CID yet: ``cid`` is optional here, guarded by a warning-level expectation, and
consumers fall back to the MDM's ``customer_keys`` with the account id.
"""

from __future__ import annotations

from meshplane.demo import kit, layout
from meshplane.demo.kit import Data, column
from meshplane.demo.products.customer import COUNTRIES

ORDER_STATUSES = ["placed", "paid", "shipped", "delivered", "cancelled", "returned"]


def _orders() -> Data:
    return kit.output_port(
        "orders",
        "Every web-shop order, one row per order, as the shop recorded it.",
        [
            column("order_id", "string", "The web shop's order number.", primary_key=True),
            column("account_id", "string", "The web shop's customer account (its local customer key).", required=True),
            kit.cid(
                "The global customer id, stamped by the shop's nightly CID batch; empty for orders "
                "placed since the last batch (resolve them through customer_keys).",
                required=False,
            ),
            column("ordered_at", "timestamp", "When the order was placed.", required=True),
            column("status", "string", "Fulfilment status.", required=True),
            column("items", "integer", "Number of items.", required=True),
            column("amount", "decimal", "Order total including VAT.", required=True),
            column("currency", "string", "ISO 4217 currency.", required=True),
            column("channel", "string", "web, app or marketplace.", required=True),
            column("payment_method", "string", "How the customer chose to pay.", required=True),
            column("ship_country", "string", "ISO 3166-1 alpha-2 shipping country.", required=True),
        ],
        [
            kit.not_null("order_id"),
            kit.unique("order_id"),
            kit.pattern("order_id", r"^ORD-[0-9]{11}$"),
            kit.not_null("cid", severity="warning", threshold=1.0),
            kit.accepted("status", ORDER_STATUSES),
            kit.accepted("channel", ["web", "app", "marketplace"]),
            kit.accepted("currency", ["EUR"]),
            kit.accepted("ship_country", COUNTRIES),
            kit.in_range("amount", 0),
            kit.in_range("items", 1, 50),
            kit.row_count(1),
            kit.freshness("ordered_at", "2 days"),
            kit.custom_sql(
                "plausible_unit_price",
                "No item costs more than 1,000 EUR in this shop.",
                "SELECT count(*) FROM orders WHERE amount > items * 1000",
            ),
        ],
        kit.sla("1 hours", "15 minutes", "99.9%"),
        kit.terms(
            "Reporting, forecasting and customer analytics.",
            limitations="Amounts include VAT; refunds appear as status returned, not as negative rows.",
        ),
    )


def _daily_revenue() -> Data:
    return kit.output_port(
        "daily_revenue",
        "Orders and revenue per day and shipping country.",
        [
            column("order_date", "date", "Day the orders were placed.", key_part=True),
            column("ship_country", "string", "ISO 3166-1 alpha-2 shipping country.", key_part=True),
            column("currency", "string", "ISO 4217 currency.", key_part=True),
            column("orders", "integer", "Orders placed, including cancelled ones.", required=True),
            column("cancelled_orders", "integer", "Orders cancelled.", required=True),
            column("customers", "integer", "Distinct web-shop accounts that ordered.", required=True),
            column("items", "integer", "Items in orders that were not cancelled.", required=True),
            column("revenue", "decimal", "Total of orders neither cancelled nor returned.", required=True),
        ],
        [
            kit.unique("order_date", "ship_country", "currency"),
            kit.not_null("order_date"),
            kit.in_range("revenue", 0),
            kit.in_range("orders", 1),
            kit.accepted("ship_country", COUNTRIES),
            kit.row_count(1),
            kit.freshness("order_date", "2 days"),
            kit.custom_sql(
                "customers_within_orders",
                "A day cannot have more customers than orders.",
                "SELECT count(*) FROM daily_revenue WHERE customers > orders OR cancelled_orders > orders",
            ),
        ],
        kit.sla("24h", "1h", "99.5%"),
        kit.terms("Dashboards and planning; no customer-level data."),
    )


def products() -> list[Data]:
    return [
        kit.data_product(
            "sales",
            "orders",
            "source-aligned",
            "Web-shop orders as the shop recorded them, with the CID the MDM fed back to the shop.",
            owner="jonas",
            owner_group="sales-team",
            tags=["orders", "webshop"],
            components=[
                kit.from_files("webshop_orders", "webshop", layout.ORDERS, "parquet", "The web shop's order export."),
                _orders(),
                kit.workload(["webshop_orders"], ["orders"], "0 * * * *", "Type and publish the order export."),
                kit.observability("sales", "orders"),
            ],
        ),
        kit.data_product(
            "sales",
            "daily_revenue",
            "aggregate",
            "Daily orders and revenue per shipping country, for dashboards and planning.",
            owner="jonas",
            owner_group="sales-team",
            tags=["revenue", "kpi"],
            maturity="tactical",
            components=[
                kit.from_port("orders", "sales", "orders", "orders", "Web-shop orders."),
                _daily_revenue(),
                kit.workload(["orders"], ["daily_revenue"], "30 2 * * *", "Aggregate orders per day."),
                kit.observability("sales", "daily_revenue"),
            ],
        ),
    ]
