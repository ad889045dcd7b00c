"""Grants on a PostgreSQL output port become roles, GRANTs, row-level security and masked views — checked by
logging in as a member of the granted role and reading the table (the real server at 127.0.0.1:5432)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from access_kit import MESH, record, service, who
from psycopg import sql

from meshplane.access.postgres import REDACTED, role_name
from meshplane.adapters.base import ProvisionRequest
from meshplane.adapters.postgres import PostgresAdapter
from meshplane.registry import Registry
from meshplane.registry.access_models import PrincipalKind
from meshplane.spec.model import DataProduct

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PURPOSE = "regional sales dashboard for the EU team"


@pytest.fixture
def pg(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A sales/ledger product whose port is a PostgreSQL table in a schema of its own, with four rows."""
    token = uuid.uuid4().hex[:8]
    prefix = f"mpt{token}_"
    monkeypatch.setenv("MESHPLANE_PG_ROLE_PREFIX", prefix)
    schema = f"acl_{token}"
    descriptor = {
        "id": "urn:dmb:dp:sales:ledger:1",
        "name": "ledger",
        "domain": "sales",
        "kind": "source-aligned",
        "version": "1.0.0",
        "owner": "jonas",
        "components": [
            {
                "kind": "outputPort",
                "name": "entries",
                "infrastructureTemplateId": "postgres",
                "specific": {"schema": schema, "table": "entries", "url": ADMIN},
                "dataContract": {
                    "columns": [
                        {"name": "id", "type": "integer", "primaryKey": True},
                        {"name": "region", "type": "string"},
                        {"name": "amount", "type": "number"},
                        {"name": "email", "type": "string", "classification": "pii"},
                    ]
                },
            }
        ],
    }
    dp = DataProduct.model_validate(descriptor)
    PostgresAdapter().provision(ProvisionRequest(dp, dp.components[0], "dev", MESH, Path()))
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "INSERT INTO {} VALUES (1,'EU',10,'a@x'),(2,'EU',20,'b@x'),(3,'US',30,'c@x'),(4,'US',40,NULL)"
            ).format(sql.Identifier(schema, "entries"))
        )
    record(registry, descriptor)
    logins: list[str] = []
    yield {"schema": schema, "prefix": prefix, "logins": logins}
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        roles = [r[0] for r in conn.execute("SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (prefix,))]
        for role in [*logins, *roles]:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _login_as(pg: dict[str, Any], member_of: str) -> str:
    """A login role that is a member of ``member_of``, as a person or a service account would be."""
    login = f"{pg['prefix']}login_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(sql.Identifier(login), sql.Identifier(member_of))
        )
    pg["logins"].append(login)
    return f"postgresql://{login}@127.0.0.1:5432/postgres"


def _read(url: str, relation: str, schema: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return list(conn.execute(sql.SQL("SELECT * FROM {} ORDER BY id").format(sql.Identifier(schema, relation))))


def _denied(url: str, relation: str, schema: str) -> bool:
    try:
        _read(url, relation, schema)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def test_a_filtered_unmasked_grant_is_row_level_security(registry: Registry, pg: dict[str, Any]):
    svc = service(registry)
    req = svc.request(who("tom"), "ledger.entries", purpose=PURPOSE)
    svc.approve(who("jonas"), req.id, row_filter="region = 'EU'", unmask_pii=["email"])
    assert svc.warnings == []
    tom = _login_as(pg, role_name(PrincipalKind.USER, "tom", pg["prefix"]))
    assert _read(tom, "entries", pg["schema"]) == [(1, "EU", 10, "a@x"), (2, "EU", 20, "b@x")]
    svc.revoke(who("jonas"), req.id)
    assert _denied(tom, "entries", pg["schema"])


def test_a_masked_grant_reads_a_masked_view_and_not_the_table(registry: Registry, pg: dict[str, Any]):
    svc = service(registry)
    req = svc.request(who("ann"), "ledger.entries", purpose=PURPOSE, for_group="analysts")
    grant = svc.approve(who("jonas"), req.id, row_filter="amount >= 20", masks=["region=hash"])
    tom = _login_as(pg, role_name(PrincipalKind.USER, "tom", pg["prefix"]))  # a member through mesh.yaml
    rows = _read(tom, f"entries__g{grant.id}", pg["schema"])
    assert [(r[0], r[2], r[3]) for r in rows] == [(2, 20, REDACTED), (3, 30, REDACTED), (4, 40, None)]
    assert len(rows[0][1]) == 64 and rows[0][1] != "EU"  # sha256 hex of the region: equal regions, equal hashes
    assert rows[1][1] == rows[2][1] != rows[0][1]
    assert _denied(tom, "entries", pg["schema"])  # the raw table stays closed
    _make_role(pg, "eve")  # not an analyst
    eve = _login_as(pg, role_name(PrincipalKind.USER, "eve", pg["prefix"]))
    assert _denied(eve, f"entries__g{grant.id}", pg["schema"])
    svc.revoke(who("jonas"), req.id)
    with psycopg.connect(ADMIN) as conn:
        assert conn.execute("SELECT to_regclass(%s)", (f"{pg['schema']}.entries__g{grant.id}",)).fetchone() == (None,)


def _make_role(pg: dict[str, Any], user: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        role = role_name(PrincipalKind.USER, user, pg["prefix"])
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))


def test_an_ungranted_role_sees_nothing_and_a_sync_is_idempotent(registry: Registry, pg: dict[str, Any]):
    svc = service(registry)
    req = svc.request(who("tom"), "ledger.entries", purpose=PURPOSE)
    svc.approve(who("jonas"), req.id, unmask_pii=["email"])
    first = svc.sync_postgres(dp_ref="ledger")
    second = svc.sync_postgres(dp_ref="ledger")
    assert first == second  # re-applying states the same grants and changes nothing else
    _make_role(pg, "ann")
    ann = _login_as(pg, role_name(PrincipalKind.USER, "ann", pg["prefix"]))
    assert _denied(ann, "entries", pg["schema"])
    tom = _login_as(pg, role_name(PrincipalKind.USER, "tom", pg["prefix"]))
    assert len(_read(tom, "entries", pg["schema"])) == 4


def test_a_database_that_is_down_leaves_the_decision_and_a_warning(registry: Registry, pg: dict[str, Any]):
    svc = service(registry)
    req = svc.request(who("tom"), "ledger.entries", purpose=PURPOSE)
    lease_dp = registry.deployment("urn:dmb:dp:sales:ledger:1", "dev")
    assert lease_dp is not None
    broken = dict(lease_dp.descriptor)
    broken["components"][0]["specific"]["url"] = "postgresql://postgres@127.0.0.1:9/postgres"
    broken["version"] = "1.0.1"
    record(registry, broken)
    svc = service(registry)
    grant = svc.approve(who("jonas"), req.id)
    assert grant.state.value == "ACTIVE"
    assert svc.warnings and "PostgreSQL not updated" in svc.warnings[0]
