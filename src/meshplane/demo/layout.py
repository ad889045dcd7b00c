"""Where the demo keeps its source data, relative to the mesh folder, and how big each source is.

One module for both the generator (which writes these files) and the descriptors (whose input ports point
at them), so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SOURCES_DIR = "sources"
CRM_DB = f"{SOURCES_DIR}/legacy_crm.db"
CRM_URL = f"sqlite:///{CRM_DB}"
ORDERS = f"{SOURCES_DIR}/webshop/orders.parquet"
INVOICES = f"{SOURCES_DIR}/billing_system/invoices.parquet"
PAYMENTS = f"{SOURCES_DIR}/billing_system/payments.csv"
TICKETS = f"{SOURCES_DIR}/helpdesk/tickets.csv"
CAMPAIGNS = f"{SOURCES_DIR}/marketing_cloud/campaigns.csv"
INTERACTIONS = f"{SOURCES_DIR}/marketing_cloud/interactions.parquet"

#: The legacy CRM's tables (a hyper-normalised monolith: customers and their address history).
CRM_CUSTOMER_TABLE = "crm_customer"
CRM_ADDRESS_TABLE = "crm_address"

#: The fixed calendar of the demo: customers sign up from ``START`` to ``SIGNUPS_END``; activity runs until
#: ``END`` (exclusive), the demo's "today". Fixed dates, never ``now()``, keep the data reproducible.
START = datetime(2018, 1, 1)
SIGNUPS_END = datetime(2024, 7, 1)
END = datetime(2025, 1, 1)
CAMPAIGN_START = datetime(2022, 1, 1)
CAMPAIGN_MONTHS = 36


@dataclass(frozen=True)
class Scale:
    """How many rows each source gets for a number of customers.

    Ratios: 5 orders, 0.5 tickets and 3 campaign interactions per customer; one invoice per order (void
    for a cancelled order), a payment per paid or credited invoice. Dirty rows in the legacy CRM are a
    fixed share, so their number is documented and testable: 1 % duplicates, 2 % upper-case e-mails,
    0.2 % missing e-mails and 2.5 % phone numbers typed with spaces and dashes.
    """

    customers: int
    seed: int

    @property
    def duplicates(self) -> int:
        return self.customers // 100

    @property
    def duplicate_step(self) -> int:
        """Customer ``j * step`` (j = 1..duplicates) got a second CRM record."""
        return self.customers // self.duplicates if self.duplicates else 0

    @property
    def crm_records(self) -> int:
        return self.customers + self.duplicates

    @property
    def orders(self) -> int:
        return 5 * self.customers

    @property
    def tickets(self) -> int:
        return self.customers // 2

    @property
    def interactions(self) -> int:
        return 3 * self.customers

    @property
    def campaigns(self) -> int:
        return CAMPAIGN_MONTHS
