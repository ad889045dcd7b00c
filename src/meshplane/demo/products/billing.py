"""The billing domain: invoices and payments from the billing system (source-aligned).

The billing system keeps the CID on every billing account (fed by the MDM), so invoices carry it; payments
come from the payment provider's CSV export, which knows only invoice numbers, and get their CID from the
invoice inside this data product - one domain, one source system, no cross-domain lookup.
"""

from __future__ import annotations

from meshplane.demo import kit, layout
from meshplane.demo.kit import Data, column

PAYMENT_METHODS = ["card", "paypal", "klarna", "bank_transfer"]


def _invoices() -> Data:
    return kit.output_port(
        "invoices",
        "One invoice per order; the invoice of a cancelled order is void.",
        [
            column("invoice_id", "string", "The billing system's invoice number.", primary_key=True),
            column(
                "billing_account_no", "string", "The billing account (the billing system's local key).", required=True
            ),
            kit.cid(),
            column("order_id", "string", "The web-shop order this invoice bills.", required=True, unique=True),
            column("issued_at", "timestamp", "When the invoice was issued.", required=True),
            column("due_date", "date", "Payment due date.", required=True),
            column("amount", "decimal", "Invoice total including VAT.", required=True),
            column("currency", "string", "ISO 4217 currency.", required=True),
            column("status", "string", "open, paid, overdue, credited (returned) or void (cancelled).", required=True),
        ],
        [
            kit.not_null("invoice_id"),
            kit.unique("invoice_id"),
            kit.unique("order_id"),
            kit.pattern("invoice_id", r"^INV-[0-9]{11}$"),
            kit.not_null("cid"),
            kit.accepted("status", ["open", "paid", "overdue", "credited", "void"]),
            kit.accepted("currency", ["EUR"]),
            kit.in_range("amount", 0),
            kit.row_count(1),
            kit.freshness("issued_at", "2 days"),
            kit.custom_sql(
                "due_after_issue",
                "An invoice falls due after it is issued.",
                "SELECT count(*) FROM invoices WHERE due_date < CAST(issued_at AS DATE)",
            ),
        ],
        kit.sla("1 hours", "30 minutes", "99.9%"),
        kit.terms(
            "Finance reporting, dunning and customer analytics.",
            limitations="Credited invoices stay in the table with status credited.",
        ),
    )


def _payments() -> Data:
    return kit.output_port(
        "payments",
        "Payments received, one row per payment, with the paying customer's CID.",
        [
            column("payment_id", "string", "The payment provider's reference.", primary_key=True),
            column("invoice_id", "string", "The invoice paid.", required=True),
            kit.cid(),
            column("paid_at", "timestamp", "When the money arrived.", required=True),
            column("amount", "decimal", "Amount paid.", required=True),
            column("method", "string", "Payment method.", required=True),
        ],
        [
            kit.not_null("payment_id"),
            kit.unique("payment_id"),
            kit.not_null("cid"),
            kit.accepted("method", PAYMENT_METHODS),
            kit.in_range("amount", 0, 100000),
            kit.row_count(1),
            kit.custom_sql(
                "positive_payments",
                "Refunds are not payments: every amount is positive.",
                "SELECT count(*) FROM payments WHERE amount <= 0",
            ),
        ],
        kit.sla("24h", "2h", "99.5%"),
        kit.terms("Finance reporting and cash-flow forecasting."),
    )


def products() -> list[Data]:
    return [
        kit.data_product(
            "billing",
            "invoices",
            "source-aligned",
            "Invoices and payments from the billing system, each carrying the customer's CID.",
            owner="li",
            owner_group="billing-team",
            tags=["finance", "invoices", "payments"],
            components=[
                kit.from_files(
                    "billing_invoices",
                    "billing_system",
                    layout.INVOICES,
                    "parquet",
                    "The billing system's invoice export.",
                ),
                kit.from_files(
                    "billing_payments",
                    "billing_system",
                    layout.PAYMENTS,
                    "csv",
                    "The payment provider's daily CSV export.",
                ),
                _invoices(),
                _payments(),
                kit.workload(
                    ["billing_invoices", "billing_payments"],
                    ["invoices", "payments"],
                    "15 * * * *",
                    "Type the exports; give each payment its invoice's CID.",
                ),
                kit.observability("billing", "invoices"),
            ],
        )
    ]
