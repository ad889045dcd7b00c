"""Requests and decisions: the state machine, who may decide, audit and outbox written with each decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from access_kit import C360, ORDERS_1, service, who

from meshplane.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from meshplane.registry import Registry
from meshplane.registry.access_models import GrantState, PrincipalKind, RequestState
from meshplane.registry.records import utcnow

PURPOSE = "weekly revenue report for finance"


def test_request_approve_revoke(registry: Registry):
    svc = service(registry)
    req = svc.request(who("tom"), "orders.orders", purpose=PURPOSE)
    assert (req.state, req.requester_kind, req.requester, req.dp_id) == (
        RequestState.PENDING,
        PrincipalKind.USER,
        "tom",
        ORDERS_1,
    )
    grant = svc.approve(who("jonas"), req.id, reason="fine")
    assert grant.principal == "tom" and grant.state is GrantState.ACTIVE and grant.major == 1
    assert registry.access.request(req.id).state is RequestState.APPROVED
    ended = svc.revoke(who("jonas"), req.id, reason="project over")
    assert [g.state for g in ended] == [GrantState.REVOKED]
    assert registry.access.request(req.id).state is RequestState.REVOKED
    assert svc.effective_grants(who("tom"), "dev") == []


@pytest.mark.parametrize("move", ["approve", "deny"])
def test_a_decision_is_taken_once(registry: Registry, move: str):
    svc = service(registry)
    req = svc.request(who("tom"), "orders.orders", purpose=PURPOSE)
    svc.deny(who("jonas"), req.id, reason="use the daily port")
    with pytest.raises(ConflictError, match="already DENIED by jonas"):
        if move == "approve":
            svc.approve(who("jonas"), req.id)
        else:
            svc.deny(who("jonas"), req.id, reason="again")


def test_pending_and_denied_requests_cannot_be_revoked(registry: Registry):
    svc = service(registry)
    req = svc.request(who("tom"), "orders.orders", purpose=PURPOSE)
    with pytest.raises(ConflictError, match="PENDING"):
        svc.revoke(who("jonas"), req.id)


def test_only_the_owning_team_decides(registry: Registry):
    svc = service(registry)
    req = svc.request(who("tom"), "orders.orders", purpose=PURPOSE)
    for outsider in ("tom", "ann", "sam"):
        with pytest.raises(PermissionDeniedError, match="only the owners") as err:
            svc.approve(who(outsider), req.id)
        assert "jonas" in (err.value.hint or "")
        with pytest.raises(PermissionDeniedError):
            svc.deny(who(outsider), req.id, reason="no")
    assert registry.access.request(req.id).state is RequestState.PENDING


def test_the_requester_may_give_access_up_but_others_may_not(registry: Registry):
    svc = service(registry)
    req = svc.request(who("tom"), "orders.orders", purpose=PURPOSE)
    svc.approve(who("jonas"), req.id)
    with pytest.raises(PermissionDeniedError):
        svc.revoke(who("ann"), req.id)
    assert svc.revoke(who("tom"), req.id)


def test_requests_for_a_group_or_a_product_need_membership_or_ownership(registry: Registry):
    svc = service(registry)
    with pytest.raises(PermissionDeniedError, match="not a member"):
        svc.request(who("eve"), "orders.orders", purpose=PURPOSE, for_group="analysts")
    group = svc.request(who("tom"), "orders.orders", purpose=PURPOSE, for_group="analysts")
    assert group.requester_kind is PrincipalKind.GROUP
    with pytest.raises(PermissionDeniedError, match="does not own"):
        svc.request(who("tom"), "orders.orders", purpose=PURPOSE, for_product="c360")
    product = svc.request(who("sam"), "orders.orders", purpose=PURPOSE, for_product="c360")
    assert (product.requester_kind, product.requester) == (PrincipalKind.DATA_PRODUCT, C360)


def test_bad_requests_are_refused_with_the_fix(registry: Registry):
    svc = service(registry)
    with pytest.raises(InvalidInputError, match="what the data is for"):
        svc.request(who("tom"), "orders.orders", purpose="x")
    with pytest.raises(NotFoundError, match="no output port `ordrs`") as err:
        svc.request(who("tom"), "orders.ordrs", purpose=PURPOSE)
    assert "orders" in (err.value.hint or "")
    with pytest.raises(NotFoundError, match="no data product"):
        svc.request(who("tom"), "ordres.orders", purpose=PURPOSE)
    with pytest.raises(InvalidInputError, match="past"):
        svc.request(who("tom"), "orders.orders", purpose=PURPOSE, expires_at=utcnow() - timedelta(days=1))
    with pytest.raises(ConflictError, match="owners read its ports"):
        svc.request(who("jonas"), "orders.orders", purpose=PURPOSE)
    svc.request(who("tom"), "orders.orders", purpose=PURPOSE)
    with pytest.raises(ConflictError, match="already has request"):
        svc.request(who("tom"), f"{ORDERS_1}.orders", purpose=PURPOSE)


def test_lists_show_mine_and_my_queue(registry: Registry):
    svc = service(registry)
    mine = svc.request(who("tom"), "orders.orders", purpose=PURPOSE)
    svc.request(who("sam"), "orders.daily", purpose=PURPOSE, for_product="c360")
    assert [r.id for r in svc.mine(who("tom"))] == [mine.id]
    assert {r.port for r in svc.pending_for(who("jonas"))} == {"orders", "daily"}
    assert svc.pending_for(who("tom")) == []
    assert len(svc.mine(who("sam"))) == 1


def test_every_decision_is_audited_and_announced(registry: Registry):
    svc = service(registry)
    req = svc.request(who("tom"), "orders.orders", purpose=PURPOSE)
    svc.approve(who("jonas"), req.id)
    svc.revoke(who("jonas"), req.id)
    other = svc.request(who("ann"), "orders.orders", purpose=PURPOSE)
    svc.deny(who("jonas"), other.id, reason="use the daily port")
    actions = [(a.actor, a.action) for a in reversed(registry.audit_log(target=ORDERS_1))]
    assert actions[-5:] == [
        ("tom", "access.requested"),
        ("jonas", "access.approved"),
        ("jonas", "access.revoked"),
        ("ann", "access.requested"),
        ("jonas", "access.denied"),
    ]
    topics = [m.topic for m in registry.access.unpublished()]
    assert topics == [f"meshplane.access.{e}" for e in ("requested", "approved", "revoked", "requested", "denied")]
    approved = registry.access.unpublished()[1].payload
    assert approved["grant"]["principal"] == "tom" and approved["actor"] == "jonas"


def test_a_decision_that_fails_midway_leaves_nothing_behind(registry: Registry, monkeypatch: pytest.MonkeyPatch):
    """The grant, the request's new state, the audit record and the outbox row commit together or not at all."""
    from meshplane.registry import access as records

    svc = service(registry)
    req = svc.request(who("tom"), "orders.orders", purpose=PURPOSE)
    before = (len(registry.audit_log(limit=1000)), len(registry.access.outbox(limit=1000)))

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("broker row could not be written")

    monkeypatch.setattr(records, "_outbox", broken)
    with pytest.raises(RuntimeError):
        svc.approve(who("jonas"), req.id)
    assert registry.access.request(req.id).state is RequestState.PENDING
    assert registry.access.grants() == []
    assert (len(registry.audit_log(limit=1000)), len(registry.access.outbox(limit=1000))) == before
