"""Grants on output ports published to PostgreSQL become database roles, GRANTs, row-level security and
masked views, so consumers reading the table directly get exactly what the grant allows.

Per principal one role, ``NOLOGIN`` (people and services log in as themselves and are made members):
``mp_u_<user>``, ``mp_g_<group>`` (the mesh's members are granted the group role), ``mp_dp_<domain>_<name>_<major>``.
Per live grant, on the port's table ``<schema>.<table>``:

* no masks: ``GRANT SELECT`` on the table and a permissive policy ``mp_grant_<id>`` ``FOR SELECT TO role
  USING (<row filter>)`` (``true`` without one) — the table has ``ROW LEVEL SECURITY`` enabled, so a role sees
  the union of its policies' rows and nothing without one;
* masks (explicit, or the default on PII columns): a view ``<table>__g<id>`` ``WITH (security_barrier)``
  selecting masked expressions and filtered by the row filter, granted to the role; the table itself is not,
  and no policy is made for that role (a policy would widen what a member role reads from the table).

What was made is tracked in ``<schema>.meshplane_access``; each sync converges the database to the live
grants (a revoked or expired grant loses its policy, privilege and view) in one transaction under the
schema's advisory lock. Roles are never dropped: other objects may reference them.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from meshplane.access.catalog import columns_of, protected_columns
from meshplane.access.model import effective_masks
from meshplane.access.rowfilter import to_dialect
from meshplane.adapters.base import ProvisionRequest
from meshplane.adapters.catalog import adapter_for
from meshplane.adapters.pg_common import connect, ensure_role, lock, qualified, redact, table_oid
from meshplane.adapters.postgres import GRANTS_TABLE, PostgresAdapter
from meshplane.errors import MeshplaneError, NotFoundError
from meshplane.identity import Directory
from meshplane.registry.access import Grant
from meshplane.registry.access_models import PrincipalKind
from meshplane.spec.model import DataProduct, Mesh, OutputPort

TRACKING_TABLE = "meshplane_access"
PREFIX_ENV = "MESHPLANE_PG_ROLE_PREFIX"
#: What a ``redact`` mask shows instead of a value (the gateway shows the same).
REDACTED = "***"


@dataclass(frozen=True)
class Desired:
    kind: str  # policy | table_grant | view
    name: str  # policy name, role name, or view name
    role: str


def role_prefix() -> str:
    return os.environ.get(PREFIX_ENV, "mp_")


def role_name(kind: PrincipalKind, principal: str, prefix: str | None = None) -> str:
    """A PostgreSQL role name for a principal: prefixed by kind, lowercased, ``[a-z0-9_]`` only, and cut to
    63 bytes with a hash when longer (so two long names never share a role)."""
    pre = role_prefix() if prefix is None else prefix
    short = {PrincipalKind.USER: "u", PrincipalKind.GROUP: "g", PrincipalKind.DATA_PRODUCT: "dp"}[kind]
    body = principal.removeprefix("urn:dmb:dp:") if kind is PrincipalKind.DATA_PRODUCT else principal
    name = f"{pre}{short}_" + re.sub(r"[^a-z0-9_]", "_", body.lower())
    if len(name) > 63 or name != f"{pre}{short}_{body}":
        digest = hashlib.sha256(principal.encode()).hexdigest()[:8]
        name = f"{name[:54]}_{digest}"
    return name


def is_postgres_port(port: OutputPort, mesh: Mesh) -> bool:
    try:
        return adapter_for(port, mesh).name == PostgresAdapter.name
    except MeshplaneError:
        return False


def target_of(dp: DataProduct, port: OutputPort, mesh: Mesh, environment: str) -> tuple[str, str, str]:
    """(url, schema, table) of the port's table, exactly as the PostgreSQL adapter provisions it."""
    target = PostgresAdapter().target(ProvisionRequest(dp, port, environment, mesh, Path()))
    return target.url, target.schema, target.table


def enforce(
    dp: DataProduct,
    port: OutputPort,
    grants: Sequence[Grant],
    *,
    mesh: Mesh,
    environment: str,
    prefix: str | None = None,
) -> list[str]:
    """Converge the port's table to ``grants`` (the live ones on this port); returns what changed."""
    url, schema, table = target_of(dp, port, mesh, environment)
    directory = Directory(mesh)
    protected = protected_columns(port)
    present = set(columns_of(port))
    logs: list[str] = []
    with connect(url) as conn, conn.cursor() as cur:
        lock(cur, schema)
        oid = table_oid(cur, schema, table)
        if oid is None:
            raise NotFoundError(
                f"{dp.id}.{port.name}: no table {schema}.{table} on {redact(url)}", hint="deploy the data product first"
            )
        tracking = sql.Identifier(schema, TRACKING_TABLE)
        cur.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (table_name text NOT NULL, kind text NOT NULL, name text NOT NULL, "
                "role text NOT NULL, PRIMARY KEY (table_name, kind, name, role))"
            ).format(tracking)
        )
        cur.execute(sql.SQL("SELECT kind, name, role FROM {} WHERE table_name = %s").format(tracking), (table,))
        before = {Desired(str(k), str(n), str(r)) for k, n, r in cur.fetchall()}
        cur.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(qualified(schema, table)))
        types = dict(_column_types(cur, oid))
        wanted: set[Desired] = set()
        for grant in grants:
            role = role_name(grant.principal_kind, grant.principal, prefix)
            if ensure_role(cur, role):
                logs.append(f"created role {role}")
            if grant.principal_kind is PrincipalKind.GROUP:
                logs.extend(_sync_members(cur, role, grant.principal, directory, prefix))
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), sql.Identifier(role)))
            masks = dict(
                effective_masks({c: k for c, k in grant.masks.items() if c in present}, protected, grant.pii_unmasked)
            )
            condition = to_dialect(grant.row_filter, "postgres") if grant.row_filter else None
            if masks:
                view = _view_name(table, grant.id)
                _make_view(cur, schema, table, view, list(types.items()), masks, condition)
                cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(qualified(schema, view), sql.Identifier(role)))
                wanted.add(Desired("view", view, role))
                logs.append(f"view {schema}.{view} for {role} (masked: {', '.join(sorted(masks))})")
            else:
                policy = f"mp_grant_{grant.id}"
                cur.execute(
                    sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(sql.Identifier(policy), qualified(schema, table))
                )
                cur.execute(
                    sql.SQL("CREATE POLICY {} ON {} AS PERMISSIVE FOR SELECT TO {} USING ({})").format(
                        sql.Identifier(policy),
                        qualified(schema, table),
                        sql.Identifier(role),
                        sql.SQL(condition or "true"),
                    )
                )
                cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(qualified(schema, table), sql.Identifier(role)))
                wanted |= {Desired("policy", policy, role), Desired("table_grant", role, role)}
                logs.append(f"SELECT on {schema}.{table} for {role}" + (f" where {condition}" if condition else ""))
        logs.extend(_acl_policy(cur, schema, table))
        logs.extend(_remove(cur, schema, table, before - wanted, {d.role for d in wanted if d.kind == "table_grant"}))
        cur.execute(sql.SQL("DELETE FROM {} WHERE table_name = %s").format(tracking), (table,))
        for d in sorted(wanted, key=lambda d: (d.kind, d.name, d.role)):
            cur.execute(
                sql.SQL("INSERT INTO {} (table_name, kind, name, role) VALUES (%s, %s, %s, %s)").format(tracking),
                (table, d.kind, d.name, d.role),
            )
    return logs


def _column_types(cur: psycopg.Cursor[Any], oid: int) -> list[tuple[str, str]]:
    cur.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (oid,),
    )
    return [(str(r[0]), str(r[1])) for r in cur.fetchall()]


def _view_name(table: str, grant_id: int) -> str:
    suffix = f"__g{grant_id}"
    return table[: 63 - len(suffix)] + suffix


def _masked(column: str, kind: str | None, pg_type: str) -> sql.Composable:
    col = sql.Identifier(column)
    if kind == "hash":  # sha256 of the text form, hex: stable, so masked keys still join
        expr: sql.Composable = sql.SQL("encode(sha256(convert_to({}::text, 'UTF8')), 'hex')").format(col)
    elif kind == "redact":
        expr = sql.SQL("CASE WHEN {} IS NULL THEN NULL ELSE {} END").format(col, sql.Literal(REDACTED))
    elif kind == "null":
        expr = sql.SQL("NULL::{}").format(sql.SQL(pg_type))
    else:
        return col
    return sql.SQL("{} AS {}").format(expr, col)


def _make_view(
    cur: psycopg.Cursor[Any],
    schema: str,
    table: str,
    view: str,
    columns: list[tuple[str, str]],
    masks: Mapping[str, str],
    condition: str | None,
) -> None:
    select = sql.SQL(", ").join(_masked(name, masks.get(name), kind) for name, kind in columns)
    where = sql.SQL(" WHERE {}").format(sql.SQL(condition)) if condition else sql.SQL("")
    cur.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(qualified(schema, view)))
    cur.execute(
        sql.SQL("CREATE VIEW {} WITH (security_barrier = true) AS SELECT {} FROM {}{}").format(
            qualified(schema, view), select, qualified(schema, table), where
        )
    )


def _acl_policy(cur: psycopg.Cursor[Any], schema: str, table: str) -> list[str]:
    """Roles the adapter's ACL granted (``update_acl``) keep reading every row once RLS is on."""
    cur.execute("SELECT to_regclass(%s)", (f'"{schema}"."{GRANTS_TABLE}"',))
    row = cur.fetchone()
    roles: list[str] = []
    if row and row[0]:
        cur.execute(
            sql.SQL("SELECT principal FROM {} WHERE table_name = %s").format(sql.Identifier(schema, GRANTS_TABLE)),
            (table,),
        )
        roles = sorted(str(r[0]) for r in cur.fetchall())
    cur.execute(sql.SQL("DROP POLICY IF EXISTS mp_acl ON {}").format(qualified(schema, table)))
    if not roles:
        return []
    cur.execute(
        sql.SQL("CREATE POLICY mp_acl ON {} AS PERMISSIVE FOR SELECT TO {} USING (true)").format(
            qualified(schema, table), sql.SQL(", ").join(sql.Identifier(r) for r in roles)
        )
    )
    return [f"every row for the adapter ACL roles {', '.join(roles)}"]


def _remove(
    cur: psycopg.Cursor[Any], schema: str, table: str, stale: set[Desired], still_granted: set[str]
) -> list[str]:
    logs: list[str] = []
    for d in sorted(stale, key=lambda d: (d.kind, d.name)):
        if not _role_exists(cur, d.role):
            continue
        if d.kind == "policy":
            cur.execute(
                sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(sql.Identifier(d.name), qualified(schema, table))
            )
            logs.append(f"dropped policy {d.name}")
        elif d.kind == "view":
            cur.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(qualified(schema, d.name)))
            logs.append(f"dropped view {schema}.{d.name}")
        elif d.kind == "table_grant" and d.role not in still_granted:
            cur.execute(sql.SQL("REVOKE SELECT ON {} FROM {}").format(qualified(schema, table), sql.Identifier(d.role)))
            logs.append(f"revoked SELECT on {schema}.{table} from {d.role}")
    return logs


def _sync_members(
    cur: psycopg.Cursor[Any], group_role: str, group: str, directory: Directory, prefix: str | None
) -> list[str]:
    """The group role's user members are exactly the mesh group's members (other members are left alone)."""
    wanted = {role_name(PrincipalKind.USER, user, prefix) for user in directory.members(group)}
    user_prefix = f"{role_prefix() if prefix is None else prefix}u_"
    cur.execute(
        "SELECT m.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
        "JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = %s",
        (group_role,),
    )
    have = {str(r[0]) for r in cur.fetchall() if str(r[0]).startswith(user_prefix)}
    logs: list[str] = []
    for member in sorted(wanted - have):
        ensure_role(cur, member)
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group_role), sql.Identifier(member)))
        logs.append(f"{member} joined {group_role}")
    for member in sorted(have - wanted):
        cur.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group_role), sql.Identifier(member)))
        logs.append(f"{member} left {group_role}")
    return logs


def _role_exists(cur: psycopg.Cursor[Any], role: str) -> bool:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    return cur.fetchone() is not None
