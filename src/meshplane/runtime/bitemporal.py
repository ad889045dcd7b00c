"""Bi-temporal ports: valid time in two columns the platform maintains, transaction time in Delta versions.

A row's *entity* is its primary key without the valid-time columns; an entity has a timeline of rows, one
per ``validFrom``. A run's output rows are merged into the table by (entity, ``validFrom``):

* a row with a new ``validFrom`` is inserted; the entity's row valid before it is closed at it (its
  ``validTo`` becomes the new ``validFrom``) — a late correction of the past lands in the middle of a
  timeline and closes the row before it the same way;
* a row with an existing ``validFrom`` replaces that row when something in it changed (a correction of that
  period), and is left alone when nothing did;
* entities the run does not mention are left as they are (a source that stopped sending an entity has not
  said it ended; a run ends a period by giving its ``validTo``).

``changes`` computes the rows to upsert in DuckDB; the runtime applies them with ONE Delta merge, so a
reader sees the old timeline or the new one, never half of it. "Valid at T as known at V" is a read of
table version V filtered on ``validFrom <= T < coalesce(validTo, +∞)`` (see ``timetravel``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from meshplane.contracts import quote_ident
from meshplane.errors import InvalidInputError
from meshplane.spec.model import DataContract


def entity_key(contract: DataContract) -> list[str]:
    temporal = contract.bitemporal
    assert temporal is not None
    key = [c for c in contract.primary_key if c not in (temporal.valid_from, temporal.valid_to)]
    if not key:
        raise InvalidInputError(
            "a bi-temporal port needs a primary key besides its valid-time columns",
            hint="mark the entity's key columns `primaryKey: true`",
        )
    return key


def changes(
    staged: pa.Table, current: Any, *, key: Sequence[str], valid_from: str, valid_to: str, port: str
) -> pa.Table:
    """The rows to upsert on (key, ``valid_from``) so the table holds ``staged`` merged into ``current``
    (a pyarrow dataset or table in the storage schema, or None for an empty table)."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("s", staged)
        con.register("t0", current if current is not None else staged.schema.empty_table())
        cols = [quote_ident(n) for n in staged.column_names]
        vf, vt = quote_ident(valid_from), quote_ident(valid_to)
        keys = [quote_ident(k) for k in key]
        on = " AND ".join(f"{{a}}.{k} = {{b}}.{k}" for k in keys)
        dupes = con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM s GROUP BY {', '.join([*keys, vf])} HAVING count(*) > 1)"
        ).fetchall()[0]
        if dupes[0]:
            raise InvalidInputError(
                f"output port `{port}`: {dupes[0]} key(s) appear twice with the same {valid_from}",
                hint="a bi-temporal port takes one row per key and valid-from date",
            )
        same_period = f"{on.format(a='s', b='t')} AND s.{vf} = t.{vf}"
        unchanged = " AND ".join(f"d.{c} IS NOT DISTINCT FROM t.{c}" for c in cols)
        sql = f"""
            WITH t AS (SELECT * FROM t0 WHERE EXISTS (SELECT 1 FROM s WHERE {on.format(a="s", b="t0")})),
            combined AS (
                SELECT {", ".join(cols)} FROM s
                UNION ALL
                SELECT {", ".join(cols)} FROM t WHERE NOT EXISTS (SELECT 1 FROM s WHERE {same_period})
            ),
            timeline AS (
                SELECT *, lead({vf}) OVER (PARTITION BY {", ".join(keys)} ORDER BY {vf}) AS _meshplane_next
                FROM combined
            ),
            desired AS (
                SELECT * EXCLUDE (_meshplane_next) REPLACE (
                    CASE WHEN _meshplane_next IS NULL THEN {vt}
                         WHEN {vt} IS NULL OR {vt} > _meshplane_next THEN _meshplane_next
                         ELSE {vt} END AS {vt})
                FROM timeline
            )
            SELECT d.* FROM desired AS d
            WHERE NOT EXISTS (SELECT 1 FROM t WHERE {on.format(a="d", b="t")} AND d.{vf} = t.{vf} AND {unchanged})
            ORDER BY {", ".join(f"d.{k}" for k in keys)}, d.{vf}
        """
        return con.sql(sql).to_arrow_table().cast(staged.schema)
    finally:
        con.close()


def apply(base: pa.Table, upserts: pa.Table, *, key: Sequence[str], valid_from: str) -> pa.Table:
    """``base`` with ``upserts`` merged on (key, ``valid_from``): what the merge would leave, as one table."""
    con = duckdb.connect()
    try:
        con.register("b", base)
        con.register("u", upserts)
        match = " AND ".join(f"b.{quote_ident(k)} = u.{quote_ident(k)}" for k in [*key, valid_from])
        sql = f"SELECT * FROM b WHERE NOT EXISTS (SELECT 1 FROM u WHERE {match}) UNION ALL SELECT * FROM u"
        return con.sql(sql).to_arrow_table().cast(base.schema)
    finally:
        con.close()


def merge_predicate(key: Sequence[str], valid_from: str) -> str:
    """The Delta merge condition on (key, valid-from), target ``t`` and source ``s``."""
    return " AND ".join(f"t.{quote_ident(c)} = s.{quote_ident(c)}" for c in [*key, valid_from])
