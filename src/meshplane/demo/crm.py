"""The legacy CRM: the "monolith" the customer MDM reads, as a SQLite database with dirty rows.

Real monoliths are dirty, so the MDM has work to do. Planted on purpose (counts follow
:class:`~meshplane.demo.layout.Scale`):

* duplicates - customer ``j * step`` (j = 1..1 %) was typed in a second time, with the e-mail in upper case
  and padded with blanks, a phone number with spaces, no web-shop or billing account but its own helpdesk
  contact (``cust_no`` above the customer count);
* e-mails in upper case for customer numbers 7 modulo 50 (2 %);
* missing e-mails for customer numbers 250 modulo 500 (0.2 %, never a duplicated customer);
* phone numbers typed with spaces and dashes for customer numbers 3 modulo 40 (2.5 %);
* legacy segment codes (``B2C``, ``SMB``, ``ENT``) and timestamps stored as text.

The rows come from DuckDB (the same hash-based views as every other source) and go to SQLite through
``executemany`` in batches inside one transaction, with the journal off: the file is built from scratch,
so there is nothing to roll back to. SQLite's per-row insert cost is then the floor (about 45 s for two
million customers and their five million rows on this machine), which is why this runs in a worker thread
beside DuckDB's file writing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb

from meshplane.demo import layout, vocab
from meshplane.demo.generate import Progress, pick
from meshplane.demo.layout import Scale

_BATCH = 65_536

_DDL = f"""
CREATE TABLE {layout.CRM_CUSTOMER_TABLE} (
    cust_no          INTEGER PRIMARY KEY,
    first_nm         TEXT NOT NULL,
    last_nm          TEXT NOT NULL,
    email_addr       TEXT,
    phone_no         TEXT,
    country_cd       TEXT NOT NULL,
    segment_cd       TEXT NOT NULL,
    created_ts       TEXT NOT NULL,
    webshop_acct     TEXT,
    billing_acct     TEXT,
    helpdesk_contact TEXT
);
CREATE TABLE {layout.CRM_ADDRESS_TABLE} (
    addr_no     INTEGER PRIMARY KEY,
    cust_no     INTEGER NOT NULL REFERENCES {layout.CRM_CUSTOMER_TABLE} (cust_no),
    street      TEXT NOT NULL,
    postcode    TEXT NOT NULL,
    city        TEXT NOT NULL,
    country_cd  TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT
);
"""

_DIRTY_PHONE = (
    "'+' || phone_prefix || ' ' || substr(phone_digits, 1, 3) || '-' || substr(phone_digits, 4, 3)"
    " || ' ' || substr(phone_digits, 7)"
)


def _customer_query(scale: Scale) -> str:
    """The clean-ish records, in customer-number order (a range scan keeps its order; no sort needed)."""
    step, dups = max(scale.duplicate_step, 1), scale.duplicates
    is_dup_source = f"({dups} > 0 AND c % {step} = 0 AND c // {step} BETWEEN 1 AND {dups})"
    return f"""
        SELECT c, first_name, last_name,
               CASE WHEN c % 500 = 250 AND NOT {is_dup_source} THEN NULL
                    WHEN c % 50 = 7 THEN upper(email) ELSE email END,
               CASE WHEN c % 40 = 3 THEN {_DIRTY_PHONE} ELSE '+' || phone_prefix || phone_digits END,
               country_cd, segment_cd, strftime(since, '%Y-%m-%d %H:%M:%S'),
               'WS-' || CAST(1000000 + c AS VARCHAR), 'BA-' || CAST(50000000 + c AS VARCHAR),
               'HD-' || CAST(10000000 + c AS VARCHAR)
        FROM customer_v"""


def _duplicate_query(scale: Scale) -> str:
    n = scale.customers
    return f"""
        SELECT {n} + j, first_name, last_name, '  ' || upper(email) || ' ', {_DIRTY_PHONE},
               country_cd, segment_cd, strftime(dup_created(c), '%Y-%m-%d %H:%M:%S'), NULL, NULL,
               'HD-' || CAST(10000000 + {n} + j AS VARCHAR)
        FROM (SELECT j, j * {scale.duplicate_step} AS c FROM range(1, {scale.duplicates + 1}) t(j))
        JOIN customer_v USING (c)
        ORDER BY j"""


def _address_query() -> str:
    """1-3 addresses per customer; each move closes the previous address (``valid_to``), the last is open."""
    end_day = f"DATE '{layout.END:%Y-%m-%d}' - 1"
    cities = "[" + ", ".join(vocab.sql_list(c.cities) for c in vocab.COUNTRIES) + "]"
    return f"""
        WITH a AS (
          SELECT c, k, c * 3 + k AS addr_no, country_cd, ci, CAST(since AS DATE) AS since_day,
                 1 + CAST(unif(c, 61) < 0.35 AS INTEGER) + CAST(unif(c, 62) < 0.12 AS INTEGER) AS moves
          FROM customer_v, range(3) t(k)
        )
        SELECT addr_no, c, {pick(vocab.STREETS, "addr_no", 63)} || ' ' || CAST(1 + rnd(addr_no, 64) % 199 AS VARCHAR),
               lpad(CAST(rnd(addr_no, 65) % 100000 AS VARCHAR), 5, '0'),
               {cities}[ci][1 + CAST(rnd(addr_no, 66) % 4 AS BIGINT)], country_cd,
               strftime(since_day + CAST(k * date_diff('day', since_day, {end_day}) // moves AS INTEGER),
                        '%Y-%m-%d'),
               CASE WHEN k + 1 < moves THEN strftime(since_day
                      + CAST((k + 1) * date_diff('day', since_day, {end_day}) // moves AS INTEGER), '%Y-%m-%d')
               END
        FROM a WHERE k < moves
        ORDER BY addr_no"""


def write_crm(
    con: duckdb.DuckDBPyConnection, root: Path, scale: Scale, progress: Progress | None = None
) -> dict[str, int]:
    """Create ``sources/legacy_crm.db`` below ``root``; returns rows per table (``legacy_crm.<table>``).

    Safe to call from a worker thread with its own DuckDB cursor: DuckDB and SQLite release the GIL while
    they work, so the CRM is written while DuckDB writes the file sources.
    """
    path = root / layout.CRM_DB
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    steps = (
        (layout.CRM_CUSTOMER_TABLE, _customer_query(scale)),
        (layout.CRM_CUSTOMER_TABLE, _duplicate_query(scale)),
        (layout.CRM_ADDRESS_TABLE, _address_query()),
    )
    counts = dict.fromkeys((f"legacy_crm.{layout.CRM_CUSTOMER_TABLE}", f"legacy_crm.{layout.CRM_ADDRESS_TABLE}"), 0)
    total = scale.crm_records + int(con.execute(f"SELECT count(*) FROM ({_address_query()})").fetchall()[0][0])
    done = 0
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(_DDL)
        db.execute("BEGIN")
        for table, query in steps:
            for batch in con.sql(query).to_arrow_reader(_BATCH):
                # Column-wise conversion through Arrow is ~2x faster than DuckDB's row fetch.
                rows = list(zip(*(column.to_pylist() for column in batch.columns), strict=True))
                db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * batch.num_columns)})", rows)
                counts[f"legacy_crm.{table}"] += len(rows)
                done += len(rows)
                if progress:
                    progress("legacy_crm", done, total)
        db.execute(f"CREATE INDEX {layout.CRM_ADDRESS_TABLE}_cust ON {layout.CRM_ADDRESS_TABLE} (cust_no)")
        db.execute("COMMIT")
    finally:
        db.close()
    return counts


def dirty_counts(scale: Scale) -> dict[str, int]:
    """How many of each kind of dirty row :func:`write_crm` plants (see the module docstring)."""
    n, step, dups = scale.customers, scale.duplicate_step, scale.duplicates
    sources = {j * step for j in range(1, dups + 1)}
    return {
        "duplicate_records": dups,
        "upper_case_emails": len(range(7, n + 1, 50)) + dups,
        "missing_emails": sum(1 for c in range(250, n + 1, 500) if c not in sources),
        "messy_phone_numbers": len(range(3, n + 1, 40)) + dups,
    }
