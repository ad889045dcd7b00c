"""The audit log: append-only (by the API and by the database itself), ordered newest first, filterable."""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from meshplane.registry import Registry


def test_records_come_back_newest_first_and_filtered(registry: Registry):
    registry.audit("alice", "deploy", "dp:a", {"environment": "dev"})
    registry.audit("bob", "deploy", "dp:b")
    registry.audit("alice", "grant", "dp:b", {"to": "carol"})

    log = registry.audit_log()
    assert [(r.actor, r.action, r.target) for r in log] == [
        ("alice", "grant", "dp:b"),
        ("bob", "deploy", "dp:b"),
        ("alice", "deploy", "dp:a"),
    ]
    assert log[0].id > log[1].id > log[2].id and log[0].at >= log[1].at >= log[2].at
    assert log[0].details == {"to": "carol"} and log[1].details == {}
    assert [r.action for r in registry.audit_log(target="dp:b")] == ["grant", "deploy"]
    assert [r.target for r in registry.audit_log(actor="alice")] == ["dp:b", "dp:a"]
    assert [r.action for r in registry.audit_log(target="dp:b", actor="bob")] == ["deploy"]
    assert len(registry.audit_log(limit=2)) == 2


def test_the_api_offers_no_way_to_change_or_remove_audit_records():
    public = {name for name, _ in inspect.getmembers(Registry, callable) if not name.startswith("_")}
    audit_methods = {name for name in public if "audit" in name}
    assert audit_methods == {"audit", "audit_log"}
    assert list(inspect.signature(Registry.audit).parameters) == ["self", "actor", "action", "target", "details"]
    assert not any(word in name for name in public for word in ("delete", "purge", "truncate", "edit"))


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"])
def test_the_database_refuses_to_change_audit_records(registry: Registry, statement: str):
    registry.audit("alice", "deploy", "dp:a")
    with pytest.raises(DBAPIError, match="append-only"), registry.engine.begin() as conn:
        conn.execute(text(statement))
    [record] = registry.audit_log()
    assert record.actor == "alice"


def test_details_may_use_any_key(registry: Registry):
    registry.audit(
        "alice", "grant", "dp:a", {"actor": "bob", "target": "dp:b", "action": "read", "nested": [1, {"x": None}]}
    )
    [record] = registry.audit_log()
    assert (record.actor, record.target, record.action) == ("alice", "dp:a", "grant")
    assert record.details == {"actor": "bob", "target": "dp:b", "action": "read", "nested": [1, {"x": None}]}
