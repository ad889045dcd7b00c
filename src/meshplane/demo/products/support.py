"""The support domain: helpdesk tickets (source-aligned).

The helpdesk is a SaaS tool that cannot store foreign keys, so - unlike the other sources - its tickets
carry no CID, only the helpdesk's own contact id. The port says so, and consumers resolve the contact
through the MDM's ``customer_keys`` (system ``helpdesk``), which also folds contacts created for duplicate
CRM records into the right customer.
"""

from __future__ import annotations

from meshplane.demo import kit, layout
from meshplane.demo.kit import Data, column


def _tickets() -> Data:
    return kit.output_port(
        "tickets",
        "Every helpdesk ticket, one row per ticket.",
        [
            column("ticket_id", "string", "The helpdesk's ticket number.", primary_key=True),
            column(
                "contact_id",
                "string",
                "The helpdesk contact (its local customer key); resolve to the "
                "CID through customer_master.customer_keys with system = helpdesk.",
                required=True,
            ),
            column("opened_at", "timestamp", "When the ticket was opened.", required=True),
            column("closed_at", "timestamp", "When it was solved or closed; empty while open."),
            column("status", "string", "open, pending, solved or closed.", required=True),
            column("priority", "string", "low, normal, high or urgent.", required=True),
            column("channel", "string", "How the customer reached us.", required=True),
            column("category", "string", "What the ticket is about.", required=True),
            column("csat", "integer", "Satisfaction score 1-5 the customer gave, if any."),
            column("resolution_hours", "number", "Hours from opening to closing; empty while open."),
        ],
        [
            kit.not_null("ticket_id"),
            kit.unique("ticket_id"),
            kit.pattern("contact_id", r"^HD-[0-9]+$"),
            kit.accepted("status", ["open", "pending", "solved", "closed"]),
            kit.accepted("priority", ["low", "normal", "high", "urgent"]),
            kit.accepted("channel", ["email", "phone", "chat"]),
            kit.accepted("category", ["delivery", "billing", "returns", "product", "account"]),
            kit.in_range("csat", 1, 5),
            kit.in_range("resolution_hours", 0),
            kit.row_count(1),
            kit.freshness("opened_at", "1 days"),
            kit.custom_sql(
                "closed_tickets_have_end",
                "Solved and closed tickets have a closing time.",
                "SELECT count(*) FROM tickets WHERE status IN ('solved', 'closed') AND closed_at IS NULL",
            ),
        ],
        kit.sla("1 hours", "30 minutes", "99.5%"),
        kit.terms(
            "Service quality reporting and customer analytics.",
            limitations="Ticket texts are not exported; they may hold personal data.",
        ),
    )


def products() -> list[Data]:
    return [
        kit.data_product(
            "support",
            "tickets",
            "source-aligned",
            "Helpdesk tickets with status, priority and satisfaction, keyed by the helpdesk's contact id.",
            owner="amara",
            owner_group="support-team",
            tags=["support", "helpdesk"],
            components=[
                kit.from_files(
                    "helpdesk_tickets", "helpdesk", layout.TICKETS, "csv", "The helpdesk's ticket export (CSV)."
                ),
                _tickets(),
                kit.workload(
                    ["helpdesk_tickets"], ["tickets"], "*/30 * * * *", "Type the export and compute resolution times."
                ),
                kit.observability("support", "tickets"),
            ],
        )
    ]
