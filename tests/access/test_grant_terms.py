"""What a grant shows: row filters, masks and PII defaults, expiry, minor versions and major migration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from access_kit import C360, ORDERS_1, ORDERS_2, orders, record, service, who
from sqlalchemy import update

from meshplane.access import OWNER_GRANT
from meshplane.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from meshplane.registry import Registry
from meshplane.registry.access_models import GrantRow, GrantState, RequestState
from meshplane.registry.records import utcnow

PURPOSE = "weekly revenue report for finance"


def _granted(registry: Registry, user: str = "tom", port: str = "orders.orders", **terms: object) -> int:
    svc = service(registry)
    req = svc.request(who(user), port, purpose=PURPOSE)
    svc.approve(who("jonas"), req.id, **terms)  # type: ignore[arg-type]
    return req.id


def test_pii_is_masked_by_default_and_unmasked_on_request(registry: Registry):
    _granted(registry, "tom")
    _granted(registry, "ann", unmask_pii=["email"], masks=["cid=hash"])
    svc = service(registry)
    [tom] = svc.effective_grants(who("tom"), "dev")
    assert (tom.dp_id, tom.port, dict(tom.masks), tom.row_filter) == (ORDERS_1, "orders", {"email": "redact"}, None)
    [ann] = svc.effective_grants(who("ann"), "dev")
    assert dict(ann.masks) == {"cid": "hash"}


def test_a_row_filter_is_validated_and_stored_normalised(registry: Registry):
    _granted(registry, row_filter="REGION = 'EU' and amount >= 100")
    [grant] = service(registry).effective_grants(who("tom"), "dev")
    assert grant.row_filter == '"region" = \'EU\' AND "amount" >= 100'


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"row_filter": "region IN (SELECT region FROM secrets)"}, "IN"),
        ({"row_filter": "read_parquet('/etc/passwd') IS NOT NULL"}, "function"),
        ({"row_filter": "nope = 1"}, "not a column"),
        ({"masks": ["email=shred"]}, "unknown mask"),
        ({"masks": ["nope=hash"]}, "no column `nope`"),
        ({"unmask_pii": ["region"]}, "not classified PII"),
        ({"unmask_pii": ["email"], "masks": ["email=hash"]}, "both masked and unmasked"),
        ({"expires_at": utcnow() - timedelta(minutes=1)}, "past"),
    ],
)
def test_bad_terms_are_refused_and_the_request_stays_pending(registry: Registry, terms: dict, message: str):
    svc = service(registry)
    req = svc.request(who("tom"), "orders.orders", purpose=PURPOSE)
    with pytest.raises(InvalidInputError, match=message):
        svc.approve(who("jonas"), req.id, **terms)
    assert registry.access.request(req.id).state is RequestState.PENDING


def test_owners_see_their_own_ports_unmasked_without_a_grant(registry: Registry):
    grants = service(registry).effective_grants(who("jonas"), "dev")
    assert [(g.port, g.grant_id, g.row_filter, dict(g.masks)) for g in grants] == [
        ("daily", OWNER_GRANT, None, {}),
        ("orders", OWNER_GRANT, None, {}),
    ]


def test_group_and_product_grants_count(registry: Registry):
    svc = service(registry)
    req = svc.request(who("ann"), "orders.orders", purpose=PURPOSE, for_group="analysts")
    svc.approve(who("jonas"), req.id, row_filter="region = 'EU'")
    assert [g.row_filter for g in svc.effective_grants(who("tom"), "dev")] == ["\"region\" = 'EU'"]
    assert svc.effective_grants(who("eve"), "dev") == []
    req = svc.request(who("sam"), "orders.orders", purpose=PURPOSE, for_product="c360")
    svc.approve(who("jonas"), req.id)
    as_product = svc.effective_grants(who("sam", data_product=C360), "dev")
    assert [g.row_filter for g in as_product if g.dp_id == ORDERS_1] == [None]
    assert not [g for g in svc.effective_grants(who("sam"), "dev") if g.dp_id == ORDERS_1]  # only as the product


def test_only_a_products_owners_may_act_for_it(registry: Registry):
    svc = service(registry)
    req = svc.request(who("sam"), "orders.orders", purpose=PURPOSE, for_product="c360")
    svc.approve(who("jonas"), req.id)
    with pytest.raises(PermissionDeniedError, match="may not act for urn:dmb:dp:marketing:c360:1"):
        svc.effective_grants(who("tom", data_product=C360), "dev")


def test_several_grants_never_show_more_than_one_of_them(registry: Registry):
    """Tom's own grant: EU rows with email in clear; the analysts' grant: every row, email masked. Combined,
    a non-EU row must not show its email."""
    svc = service(registry)
    _granted(registry, "tom", row_filter="region = 'EU'", unmask_pii=["email"])
    req = svc.request(who("ann"), "orders.orders", purpose=PURPOSE, for_group="analysts")
    svc.approve(who("jonas"), req.id)
    [grant] = svc.effective_grants(who("tom"), "dev")
    assert grant.row_filter is None and dict(grant.masks) == {"email": "redact"}
    assert grant.grant_id == "1+2"


def test_authorize_port_explains_how_to_ask(registry: Registry):
    svc = service(registry)
    with pytest.raises(PermissionDeniedError) as err:
        svc.authorize_port(who("tom"), ORDERS_1, "orders", "dev")
    assert "meshplane access request sales.orders.orders " in (err.value.hint or "")
    with pytest.raises(NotFoundError):
        svc.authorize_port(who("tom"), ORDERS_2, "orders", "dev")
    _granted(registry)
    assert svc.authorize_port(who("tom"), ORDERS_1, "orders", "dev").masks == {"email": "redact"}
    assert svc.effective_grants(who("tom"), "prod") == []


def test_an_expired_grant_never_counts_and_the_sweep_records_it(registry: Registry):
    svc = service(registry)
    request_id = _granted(registry, expires_at=utcnow() + timedelta(days=1))
    with registry.engine.begin() as conn:  # time passes
        conn.execute(update(GrantRow).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert svc.effective_grants(who("tom"), "dev") == []
    [expired] = svc.sweep()
    assert expired.state is GrantState.EXPIRED
    assert registry.access.request(request_id).state is RequestState.EXPIRED
    assert svc.sweep() == []
    assert registry.audit_log(limit=1)[0].action == "access.expired"
    assert registry.access.unpublished()[-1].topic == "meshplane.access.expired"


def test_the_requested_expiry_bounds_the_grant(registry: Registry):
    svc = service(registry)
    soon = utcnow() + timedelta(days=3)
    req = svc.request(who("tom"), "orders.orders", purpose=PURPOSE, expires_at=soon)
    grant = svc.approve(who("jonas"), req.id, expires_at=utcnow() + timedelta(days=30))
    assert grant.expires_at == soon


def test_grants_follow_minor_versions(registry: Registry):
    _granted(registry)
    columns = [*orders()["components"][0]["dataContract"]["columns"], {"name": "channel", "type": "string"}]
    record(registry, orders(major=1, minor=1, columns=columns))
    [grant] = service(registry).effective_grants(who("tom"), "dev")
    assert grant.dp_id == ORDERS_1 and grant.masks == {"email": "redact"}


def test_a_new_major_is_offered_confirmed_once_and_both_majors_stay_readable(registry: Registry):
    svc = service(registry)
    _granted(registry, "tom")
    _granted(registry, "ann", row_filter="amount > 10")
    renamed = [
        c if c["name"] != "amount" else {"name": "total", "type": "number"}
        for c in orders()["components"][0]["dataContract"]["columns"]
    ]
    record(registry, orders(major=2, columns=renamed))
    offers = svc.offers(ORDERS_2)
    assert {(o.grant.principal, o.problem is None) for o in offers} == {("tom", True), ("ann", False)}
    assert "amount" in next(o.problem for o in offers if o.problem)
    with pytest.raises(PermissionDeniedError):
        svc.migrate_grants(who("tom"), ORDERS_1, 2)
    [moved] = svc.migrate_grants(who("jonas"), ORDERS_1, 2)
    assert (moved.principal, moved.dp_id, moved.major) == ("tom", ORDERS_2, 2) and moved.migrated_from
    assert svc.migrate_grants(who("jonas"), ORDERS_1, 2) == []  # confirmed once; again changes nothing
    assert {g.dp_id for g in svc.effective_grants(who("tom"), "dev")} == {ORDERS_1, ORDERS_2}
    assert [o.grant.principal for o in svc.offers(ORDERS_2)] == ["ann"]
    svc.revoke(who("jonas"), moved.request_id or 0, major=2)
    assert {g.dp_id for g in svc.effective_grants(who("tom"), "dev")} == {ORDERS_1}
    with pytest.raises(NotFoundError, match="major 3"):
        svc.migrate_grants(who("jonas"), ORDERS_1, 3)
