"""The demo mesh's data products, one module per domain (marketing's consumer-aligned ones in ``insights``).

:func:`all_products` lists them upstream first, the order a first run would build them in.
"""

from __future__ import annotations

from meshplane.demo.kit import Data
from meshplane.demo.products import billing, customer, insights, marketing, sales, support


def all_products() -> list[Data]:
    return [
        *customer.products(),
        *sales.products(),
        *billing.products(),
        *support.products(),
        *marketing.products(),
        *insights.products(),
    ]
