"""The demo mesh's ``README.md``: what is in it and how data flows, with the sizes actually generated."""

from __future__ import annotations

from datetime import timedelta

from meshplane.demo import layout
from meshplane.demo.layout import Scale

_TEMPLATE = """\
# ACME — a demo data mesh

Written by `meshplane demo` ({customers:,} customers, seed {seed}). Same seed, same bytes.

ACME runs a web shop. Its customers live in a legacy CRM (the "monolith"); orders, invoices, tickets and
campaigns live in four other operational systems. Five domains publish data products over them:

| domain | data product | kind | reads | publishes |
|---|---|---|---|---|
| customer | `customer_master` | source-aligned, MDM | legacy CRM | `customers`, `customer_keys`, `customer_addresses` |
| sales | `orders` | source-aligned | web-shop export (Parquet) | `orders` |
| sales | `daily_revenue` | aggregate | `orders` | `daily_revenue` |
| billing | `invoices` | source-aligned | billing exports (Parquet, CSV) | `invoices`, `payments` |
| support | `tickets` | source-aligned | helpdesk export (CSV) | `tickets` |
| marketing | `campaign_interactions` | source-aligned | marketing cloud (CSV, Parquet) | `campaigns`, `interactions` |
| marketing | `customer_360` | consumer-aligned | the six ports above | `customer_360` |
| marketing | `churn_features` | consumer-aligned | `customer_360` | boundary port `churn_features` → `ml_platform` |

`customer_addresses` is bi-temporal: valid time from the CRM's address history, transaction time from the
table versions. The boundary port feeds the external ML platform; no data product may consume it.

## The customer id (CID)

`customer_master` matches and merges the CRM's records and **issues the global customer id**, the
`customer` polyseme (`CID-100000042`). The MDM feeds it back to the operational systems, so orders,
invoices, payments and interactions carry a `cid` column themselves, and `customer_360` correlates five
domains with plain joins on `cid`. Two realistic gaps go through the MDM's `customer_keys` port instead:
orders placed since the shop's nightly CID batch (no `cid` yet) and helpdesk tickets (the SaaS helpdesk
only knows its contact ids).

## The sources (`{sources}/`)

| system | table | file | rows |
|---|---|---|---:|
{source_rows}

Paths in the descriptors are relative to this folder. The CRM is dirty on purpose, as monoliths are:

{dirty}

`customer_master` cleans all of it, so its contracts pass.

The data ends on {last_day:%Y-%m-%d}; freshness expectations are warnings, so they warn as the calendar
moves on but never block a run.

`meshplane --help` shows what to do with it next.
"""


_DIRTY = {
    "duplicate_records": "customers entered twice",
    "upper_case_emails": "e-mails in upper case",
    "missing_emails": "missing e-mails",
    "messy_phone_numbers": "phone numbers with spaces and dashes",
}


def render(scale: Scale, rows: dict[str, int], files: dict[str, str], dirty: dict[str, int]) -> str:
    source_rows = "\n".join(
        f"| {table.split('.')[0]} | {table.split('.')[1]} | `{files[table]}` | {count:,} |"
        for table, count in rows.items()
    )
    dirty_text = "\n".join(f"- {_DIRTY.get(what, what)}: {count:,}" for what, count in dirty.items())
    return _TEMPLATE.format(
        customers=scale.customers,
        seed=scale.seed,
        sources=layout.SOURCES_DIR,
        source_rows=source_rows,
        dirty=dirty_text,
        last_day=layout.END - timedelta(days=1),
    )
