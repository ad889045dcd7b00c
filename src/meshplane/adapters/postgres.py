"""SQL output ports published as PostgreSQL tables, with the contract's keys and checks as constraints.

A port becomes table ``<domain>.<dp>_v<major>_<port>`` (``specific.schema`` / ``specific.table`` override)
on the server named by ``specific.url``, ``MESHPLANE_POSTGRES_URL_<ENV>``, ``MESHPLANE_POSTGRES_URL`` or
the local default. Environments are kept apart by server (one URL per environment), not by name.

Everything one operation changes happens in one transaction under an advisory lock on the schema, so a
crash leaves the table as it was and two provisioners take turns. Constraints Meshplane owns are named
``mp_…`` with a hash of their meaning; others on the table are left alone. Access is granted to roles
named after the principals; who was granted what is kept in ``<schema>.meshplane_grants`` so a revoke
touches only grants Meshplane made. All identifiers are quoted with ``psycopg.sql``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import psycopg
from psycopg import errors, sql

from meshplane.adapters.base import Operation, ProvisionRequest, ProvisionResult, ProvisionStatus, Validation
from meshplane.adapters.constraints import PREFIX, Check, bound_problems, compile_checks
from meshplane.adapters.evolution import (
    ColumnShape,
    TableSpec,
    changed_keys,
    diff_columns,
    plan_change,
    refuse_breaking,
)
from meshplane.adapters.pg_common import (
    check_identifier,
    connect,
    describe,
    ensure_role,
    live_columns,
    lock,
    qualified,
    redact,
    table_oid,
    url_for,
)
from meshplane.adapters.ports import as_port, safe_name
from meshplane.adapters.schema import pg_type, physical_problem
from meshplane.adapters.storage import major_of
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError
from meshplane.spec.model import (
    BoundaryPort,
    Component,
    LogicalType,
    OutputPort,
    OutputPortType,
    Severity,
    Unique,
)

GRANTS_TABLE = "meshplane_grants"
_NUMERIC = frozenset({LogicalType.INTEGER, LogicalType.NUMBER, LogicalType.DECIMAL})


@dataclass(frozen=True)
class Target:
    url: str
    schema: str
    table: str

    @property
    def where(self) -> str:
        return f"{self.schema}.{self.table} on {redact(self.url)}"


def _hashed(kind: str, table: str, label: str, key: str) -> str:
    """An index-backed constraint name, unique per schema: the table is part of the hash."""
    digest = hashlib.sha256(f"{table}\x00{kind}\x00{key}".encode()).hexdigest()[:8]
    head = f"{PREFIX}{kind}_{re.sub(r'[^A-Za-z0-9_]', '_', label).lower()}"
    return f"{head[:54]}_{digest}"


def _value(value: Any, logical: LogicalType) -> Any:
    if logical is LogicalType.BOOLEAN:
        return value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1", "yes")
    if logical in _NUMERIC and not isinstance(value, bool):
        try:
            return value if isinstance(value, int | float) else Decimal(str(value).strip())
        except ArithmeticError:
            return str(value)
    return str(value)


def render_check(check: Check) -> sql.Composable:
    """A CHECK expression; SQL's own NULL semantics already let NULLs pass."""
    col = sql.Identifier(check.column)
    if check.kind == "notnull":
        return sql.SQL("{} IS NOT NULL").format(col)
    if check.kind == "bitemporal":
        return sql.SQL("{} <= {}").format(col, sql.Identifier(check.other or ""))
    if check.kind == "accepted":
        values = [sql.Literal(_value(v, check.logical)) for v in check.values if v is not None]
        if not values:
            return sql.SQL("{} IS NULL").format(col)
        return sql.SQL("{} IN ({})").format(col, sql.SQL(", ").join(values))
    parts = [
        sql.SQL("{} {} {}").format(col, sql.SQL(op), sql.Literal(_value(v, check.logical)))
        for op, v in (b for b in (check.lower, check.upper) if b is not None)
    ]
    return sql.SQL(" AND ").join(parts)


def _constraints(port: OutputPort | BoundaryPort, table: str) -> dict[str, sql.Composable]:
    contract = port.data_contract
    found: dict[str, sql.Composable] = {}
    key = contract.primary_key
    if key:
        cols = sql.SQL(", ").join(map(sql.Identifier, key))
        found[_hashed("pk", table, table, "\x00".join(key))] = sql.SQL("PRIMARY KEY ({})").format(cols)
    unique = [[c.name] for c in contract.columns if c.unique and key != [c.name]]
    unique += [
        list(e.columns)
        for e in contract.quality
        if isinstance(e, Unique) and e.severity is Severity.ERROR and e.threshold == 0
    ]
    for cols_ in unique:
        if cols_ == key or not all(contract.column(c) for c in cols_):
            continue
        cols = sql.SQL(", ").join(map(sql.Identifier, cols_))
        found[_hashed("uq", table, "_".join(cols_), "\x00".join(cols_))] = sql.SQL("UNIQUE ({})").format(cols)
    for check in compile_checks(contract):
        found[check.name()] = sql.SQL("CHECK ({})").format(render_check(check))
    return found


class PostgresAdapter:
    """SQL output and boundary ports as PostgreSQL tables; grants as PostgreSQL roles."""

    name: ClassVar[str] = "postgres"
    kinds: ClassVar[frozenset[str]] = frozenset({"outputPort", "boundaryPort"})
    supports_update: ClassVar[bool] = True
    supports_acl: ClassVar[bool] = True
    supports_reverse: ClassVar[bool] = True

    # -- where and what ------------------------------------------------------------------------------------
    def target(self, request: ProvisionRequest, component: Component | None = None) -> Target:
        port = as_port(component or request.component, self.name)
        dp = request.dataproduct
        spec = port.specific
        schema = str(spec.get("schema") or dp.domain)
        table = str(spec.get("table") or f"{dp.name}_v{major_of(dp)}_{port.name}")
        return Target(url_for(spec.get("url"), request.environment), schema, table)

    def desired(self, request: ProvisionRequest, component: Component | None = None) -> TableSpec:
        port = as_port(component or request.component, self.name)
        target = self.target(request, port)
        # a primary key column is NOT NULL in PostgreSQL whatever the contract says
        columns = [
            ColumnShape(c.name, pg_type(c), not (c.required or c.primary_key)) for c in port.data_contract.columns
        ]
        # compared by name: each name ends in a hash of the constraint's meaning
        constraints = {name: name.split("_")[1] for name in _constraints(port, target.table)}
        properties = {"comment": request.dataproduct.component_id(port)}
        properties |= {f"column.{c.name}": c.description for c in port.data_contract.columns if c.description}
        return TableSpec(f"{redact(target.url)}#{target.schema}.{target.table}", columns, constraints, properties)

    # -- the protocol ----------------------------------------------------------------------------------------
    def validate(self, request: ProvisionRequest) -> Validation:
        try:
            port = as_port(request.component, self.name)
            target = self.target(request)
            check_identifier(target.schema, "schema")
            check_identifier(target.table, "table")
        except MeshplaneError as exc:
            return Validation(False, [str(exc)])
        errors_: list[str] = []
        if port.type is not OutputPortType.SQL:
            errors_.append(f"port `{port.name}` is of type {port.type.value}; PostgreSQL serves `sql` ports only")
        if not port.data_contract.columns:
            errors_.append(f"output port `{port.name}` declares no columns; a table needs at least one")
        for col in port.data_contract.columns:
            if problem := physical_problem(col):
                errors_.append(problem)
            if len(col.name.encode()) > 63:
                errors_.append(f"column name `{col.name}` is longer than PostgreSQL's 63 bytes")
        errors_.extend(bound_problems(port.data_contract))
        return Validation(not errors_, errors_)

    def plan(self, request: ProvisionRequest) -> Operation:
        desired = self.desired(request)
        if request.previous is None:
            return Operation.CREATE
        if not isinstance(request.previous, OutputPort | BoundaryPort):
            return Operation.REPLACE
        return plan_change(self.desired(request, request.previous), desired)

    def provision(self, request: ProvisionRequest) -> ProvisionResult:
        port = as_port(request.component, self.name)
        target = self.target(request)
        check_identifier(target.schema, "schema")
        check_identifier(target.table, "table")
        desired = self.desired(request)
        if not desired.columns:
            raise InvalidInputError(f"{request.component_id}: the data contract declares no columns")
        logs: list[str] = []
        with connect(target.url) as conn, conn.cursor() as cur:
            lock(cur, target.schema)
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(target.schema)))
            if table_oid(cur, target.schema, target.table) is None:
                columns = [
                    sql.SQL("{} {}{}").format(
                        sql.Identifier(c.name), sql.SQL(c.type), sql.SQL("" if c.nullable else " NOT NULL")
                    )
                    for c in desired.columns
                ]
                cur.execute(
                    sql.SQL("CREATE TABLE {} ({})").format(
                        qualified(target.schema, target.table), sql.SQL(", ").join(columns)
                    )
                )
                logs.append(f"created table {target.where}")
            logs.extend(self._converge(cur, target, port, desired, request))
        info = {
            "url": redact(target.url),
            "schema": target.schema,
            "table": target.table,
            "format": "postgres",
            "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable} for c in desired.columns],
        }
        return ProvisionResult(ProvisionStatus.COMPLETED, info, logs or ["up to date"])

    def unprovision(self, request: ProvisionRequest) -> ProvisionResult:
        """Revoke what Meshplane granted (an unprovisioned port serves nobody); drop the table only with
        ``remove_data``. The drop is not CASCADE: a consumer's view on the table stops it, loudly."""
        target = self.target(request)
        logs: list[str] = []
        with connect(target.url) as conn, conn.cursor() as cur:
            lock(cur, target.schema)
            if table_oid(cur, target.schema, target.table) is None:
                return ProvisionResult(ProvisionStatus.COMPLETED, {"table": target.table}, ["no table to remove"])
            revoked = self._set_grants(cur, target, [])
            if revoked:
                logs.append("revoked SELECT from " + ", ".join(revoked))
            if request.remove_data:
                try:
                    cur.execute(sql.SQL("DROP TABLE {}").format(qualified(target.schema, target.table)))
                except errors.DependentObjectsStillExist as exc:
                    raise MeshplaneError(
                        f"{request.component_id}: cannot drop {target.where}: other objects depend on it",
                        hint=str(exc).strip().splitlines()[-1],
                    ) from exc
                logs.append(f"dropped {target.where}")
            else:
                logs.append(f"kept {target.where} and its data")
        return ProvisionResult(ProvisionStatus.COMPLETED, {"schema": target.schema, "table": target.table}, logs)

    def update_acl(self, request: ProvisionRequest, principals: Sequence[str]) -> ProvisionResult:
        """Exactly ``principals`` can read the table: missing roles are created (NOLOGIN), grants added,
        and grants Meshplane made earlier to principals no longer listed are revoked."""
        target = self.target(request)
        wanted = sorted(set(principals))
        for principal in wanted:
            check_identifier(principal, "principal")
        with connect(target.url) as conn, conn.cursor() as cur:
            lock(cur, target.schema)
            if table_oid(cur, target.schema, target.table) is None:
                raise NotFoundError(f"{request.component_id}: no table {target.where}", hint="provision the port first")
            created: list[str] = []
            revoked = self._set_grants(cur, target, wanted, created)
        logs = [f"created role {r} (NOLOGIN)" for r in created]
        logs.append(f"SELECT on {target.schema}.{target.table} for: " + (", ".join(wanted) or "nobody"))
        if revoked:
            logs.append("revoked from " + ", ".join(revoked))
        info = {"granted": wanted, "revoked": revoked, "createdRoles": created}
        return ProvisionResult(ProvisionStatus.COMPLETED, info, logs)

    def reverse_provision(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``{"url", "schema", "table"}`` → a draft output port served from that table."""
        table = str(params.get("table") or "")
        if not table:
            raise InvalidInputError("reverse provisioning a PostgreSQL table needs `table`")
        schema = str(params.get("schema") or "public")
        url = url_for(params.get("url"))
        described = describe(url, schema, table)
        component: dict[str, Any] = {
            "kind": "outputPort",
            "name": safe_name(table),
            "type": "sql",
            "infrastructureTemplateId": self.name,
        }
        if described.comment and not described.comment.startswith("urn:"):
            component["description"] = described.comment
        specific: dict[str, Any] = {"schema": schema, "table": table}
        if params.get("url"):
            specific["url"] = redact(url)
        component["specific"] = specific
        contract: dict[str, Any] = {"columns": described.columns}
        if described.quality:
            contract["quality"] = described.quality
        component["dataContract"] = contract
        return component

    # -- the steps ----------------------------------------------------------------------------------------------
    def _converge(
        self,
        cur: psycopg.Cursor[Any],
        target: Target,
        port: OutputPort | BoundaryPort,
        desired: TableSpec,
        request: ProvisionRequest,
    ) -> list[str]:
        oid = table_oid(cur, target.schema, target.table)
        assert oid is not None
        live = live_columns(cur, oid)
        change = diff_columns([ColumnShape(n, t, nullable) for n, t, nullable, _ in live], desired.columns)
        refuse_breaking(request.component_id, f"table {target.where}", change, major_of(request.dataproduct))
        table = qualified(target.schema, target.table)
        logs: list[str] = []
        for col in change.added:
            cur.execute(
                sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(table, sql.Identifier(col.name), sql.SQL(col.type))
            )
            logs.append(f"added column `{col.name}`")
        for name in change.relaxed:
            cur.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL").format(table, sql.Identifier(name)))
            logs.append(f"column `{name}` is no longer required")
        logs.extend(self._sync_constraints(cur, oid, table, _constraints(port, target.table), request.component_id))
        logs.extend(self._comments(cur, oid, target, live, desired))
        return logs

    @staticmethod
    def _sync_constraints(
        cur: psycopg.Cursor[Any], oid: int, table: sql.Composable, wanted: Mapping[str, sql.Composable], cid: str
    ) -> list[str]:
        cur.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s AND starts_with(conname, %s)", (oid, PREFIX))
        have = {str(r[0]) for r in cur.fetchall()}
        logs = []
        for name in sorted(have - wanted.keys()):
            cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table, sql.Identifier(name)))
            logs.append(f"dropped constraint {name}")
        for name in sorted(wanted.keys() - have):
            try:
                cur.execute(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(table, sql.Identifier(name), wanted[name])
                )
            except (errors.CheckViolation, errors.UniqueViolation, errors.NotNullViolation) as exc:
                raise InvalidInputError(
                    f"{cid}: existing rows break the new constraint {name}: {str(exc).strip().splitlines()[0]}",
                    hint="fix the data first, or loosen the expectation (severity: warning or a threshold)",
                ) from exc
            logs.append(f"added constraint {name}")
        return logs

    @staticmethod
    def _comments(
        cur: psycopg.Cursor[Any],
        oid: int,
        target: Target,
        live: list[tuple[str, str, bool, str]],
        desired: TableSpec,
    ) -> list[str]:
        cur.execute("SELECT coalesce(obj_description(%s, 'pg_class'), '')", (oid,))
        row = cur.fetchone()
        current = {"comment": str(row[0]) if row else ""}
        current |= {f"column.{name}": text for name, _, _, text in live if text}
        to_set, to_remove = changed_keys(current, desired.properties)
        for key in to_set + to_remove:
            text = desired.properties.get(key)
            literal = sql.Literal(text) if text else sql.SQL("NULL")
            if key == "comment":
                table = qualified(target.schema, target.table)
                cur.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(table, literal))
            else:
                column = sql.Identifier(target.schema, target.table, key.removeprefix("column."))
                cur.execute(sql.SQL("COMMENT ON COLUMN {} IS {}").format(column, literal))
        return [f"set {k}" for k in to_set] + [f"cleared {k}" for k in to_remove]

    @staticmethod
    def _set_grants(
        cur: psycopg.Cursor[Any], target: Target, wanted: Sequence[str], created: list[str] | None = None
    ) -> list[str]:
        """Make the tracked grants on the table exactly ``wanted``; returns the principals revoked and adds
        the roles it had to create to ``created``."""
        schema = sql.Identifier(target.schema)
        grants = sql.Identifier(target.schema, GRANTS_TABLE)
        table = qualified(target.schema, target.table)
        cur.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (table_name text NOT NULL, principal text NOT NULL, "
                "granted_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (table_name, principal))"
            ).format(grants)
        )
        cur.execute(sql.SQL("SELECT principal FROM {} WHERE table_name = %s").format(grants), (target.table,))
        before = {str(r[0]) for r in cur.fetchall()}
        for principal in wanted:
            role = sql.Identifier(principal)
            if ensure_role(cur, principal) and created is not None:
                created.append(principal)
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role))
            cur.execute(sql.SQL("GRANT SELECT ON TABLE {} TO {}").format(table, role))
            cur.execute(
                sql.SQL("INSERT INTO {} (table_name, principal) VALUES (%s, %s) ON CONFLICT DO NOTHING").format(grants),
                (target.table, principal),
            )
        revoked = sorted(before - set(wanted))
        for principal in revoked:
            cur.execute(
                sql.SQL("DELETE FROM {} WHERE table_name = %s AND principal = %s").format(grants),
                (target.table, principal),
            )
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (principal,))
            if cur.fetchone() is None:
                continue  # dropped by someone else: nothing left to revoke
            role = sql.Identifier(principal)
            cur.execute(sql.SQL("REVOKE SELECT ON TABLE {} FROM {}").format(table, role))
            cur.execute(sql.SQL("SELECT 1 FROM {} WHERE principal = %s LIMIT 1").format(grants), (principal,))
            if cur.fetchone() is None:  # no other table in this schema granted to them
                cur.execute(sql.SQL("REVOKE USAGE ON SCHEMA {} FROM {}").format(schema, role))
        return revoked
