"""The Marketplace service over the deployed and run demo mesh: search, the product page, lineage, domains,
governance, value metrics, polysemes, reviews and the FAQ, and when cached state is read again."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from market_kit import CHURN, CUSTOMER_360, CUSTOMER_MASTER, DAILY_REVENUE, ORDERS

from meshplane.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from meshplane.marketplace import Marketplace
from meshplane.marketplace.samples import MASK

TICKETS = "urn:dmb:dp:support:tickets:1"
INVOICES = "urn:dmb:dp:billing:invoices:1"


# -- search ----------------------------------------------------------------------------------------------


def test_search_ranks_a_name_match_first(market: Marketplace) -> None:
    found = market.search("orders ")
    assert found.hits[0].id == ORDERS
    assert "name" in found.hits[0].matched
    others = {h.id for h in found.hits[1:]}
    assert CUSTOMER_360 in others  # it has an `orders` column
    assert all(found.hits[i].score >= found.hits[i + 1].score for i in range(len(found.hits) - 1))


def test_search_finds_columns_tags_and_polysemes(market: Marketplace) -> None:
    assert [h.id for h in market.search("golden").hits] == [CUSTOMER_MASTER]  # tag golden-record
    by_column = market.search("overdue_invoices")  # a column of customer_360 and churn_features
    assert {h.id for h in by_column.hits[:2]} == {CUSTOMER_360, CHURN}
    assert by_column.hits[0].matched == ["columns"]
    assert by_column.hits[2].score < by_column.hits[1].score  # invoices says "overdue" and "invoices" apart
    carriers = {h.id for h in market.search("customer", polyseme=["customer"]).hits}
    assert {CUSTOMER_MASTER, CUSTOMER_360, ORDERS} <= carriers


def test_search_while_typing_matches_prefixes(market: Marketplace) -> None:
    assert market.search("custo").hits[0].id in (CUSTOMER_MASTER, CUSTOMER_360)
    assert market.search("daily rev").hits[0].id == DAILY_REVENUE


def test_search_facets_count_the_whole_mesh(market: Marketplace) -> None:
    everything = market.search()
    assert everything.total == 8
    for facet in ("domain", "kind", "maturity", "status", "quality"):
        assert sum(v.count for v in everything.facets[facet]) == 8
    domains = {v.value: v.count for v in everything.facets["domain"]}
    assert domains == {"marketing": 3, "sales": 2, "billing": 1, "customer": 1, "support": 1}
    qualities = {v.value for v in everything.facets["quality"]}
    assert qualities <= {"passing", "warning", "failing", "unknown"} and "unknown" not in qualities


def test_search_filters_and_keeps_other_choices_visible(market: Marketplace) -> None:
    found = market.search(domain=["marketing"], kind=["consumer-aligned"])
    assert {h.id for h in found.hits} == {CUSTOMER_360, CHURN}
    assert {v.value: v.count for v in found.facets["domain"]}.get("sales", 0) == 0
    kinds = {v.value: v.count for v in found.facets["kind"]}
    assert kinds["source-aligned"] == 1  # campaign_interactions, if kind were widened
    assert found.filters == {"domain": ["marketing"], "kind": ["consumer-aligned"]}


def test_search_pages_and_sorts(market: Marketplace) -> None:
    first = market.search(per_page=3, sort="name")
    second = market.search(per_page=3, page=2, sort="name")
    assert first.pages == 3 and first.total == 8
    names = [h.name for h in first.hits + second.hits]
    assert names == sorted(names)
    assert market.search(page=9).hits == []


def test_search_hits_carry_what_a_consumer_chooses_by(market: Marketplace) -> None:
    hit = market.search("customer_360").hits[0]
    assert hit.owner == "sam" and hit.owner_name == "Sam Taylor"
    assert hit.last_run is not None and hit.last_run.status == "SUCCEEDED"
    assert hit.freshness.status == "on-time" and hit.freshness.expected_within_seconds == 28 * 3600
    assert hit.quality in ("passing", "warning")
    assert hit.polysemes == ["customer"] and hit.output_ports == ["customer_360"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"page": 0}, "page"),
        ({"per_page": 101}, "per_page"),
        ({"sort": "price"}, "sort"),
        ({"quality": ["great"]}, "quality"),
        ({"q": "x" * 501}, "q"),
        ({"domian": ["sales"]}, "domian"),  # a misspelt filter must not silently widen the search
    ],
)
def test_bad_search_parameters_name_the_field(market: Marketplace, kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidInputError, match=f"`{field}`"):
        market.search(**kwargs)


# -- the data product page ------------------------------------------------------------------------------


def test_product_page_describes_the_product(market: Marketplace) -> None:
    page = market.product(CUSTOMER_360)
    assert page.summary.name == "customer_360" and page.domain.owner_group == "marketing-team"
    assert page.purpose and "CID" in page.purpose
    assert [c.id for c in page.contacts] == ["sam", "priya"]
    assert page.contacts[0].email == "sam@acme.example"
    assert page.sla.declared is not None and page.sla.declared.interval_of_change == "24h"
    assert page.sla.met is True and page.sla.last_run_status == "SUCCEEDED"
    assert page.sla.support is not None and page.sla.support.response_time == "4h"
    assert {p.name for p in page.input_ports} == {
        "customers",
        "customer_keys",
        "orders",
        "invoices",
        "tickets",
        "interactions",
    }
    assert page.versions[0].version == "1.0.0" and page.versions[0].status == "DEPLOYED"
    assert page.quality_history and page.quality_history[0].counts.passed > 0
    assert {c.data_product for c in page.consumers} == {CHURN}


def test_product_page_ports_have_contract_freshness_samples_and_snippets(market: Marketplace) -> None:
    page = market.product(CUSTOMER_MASTER, samples=3)
    customers = next(p for p in page.output_ports if p.name == "customers")
    assert customers.status == "DEPLOYED" and customers.adapter == "delta"
    assert customers.location and Path(customers.location).is_dir()
    protected = {c.name for c in customers.contract.columns if c.protected}
    assert {"email", "first_name"} <= protected
    assert customers.freshness.rows == 500 and customers.freshness.version is not None
    sample = customers.sample
    assert sample is not None and sample.available and len(sample.rows) == 3
    assert set(sample.masked) == protected & set(sample.columns)
    assert all(row["email"] in (MASK, None) for row in sample.rows)
    assert all(str(row["cid"]).startswith("CID-") for row in sample.rows)  # not protected: shown
    assert any(q.summary for q in customers.contract.quality)
    assert "FROM customer.customer_master.customers" in customers.how_to_consume.sql
    snippet = customers.how_to_consume
    assert snippet.query.startswith("SELECT cid") and snippet.sql == f"meshplane query '{snippet.query}'"
    assert "meshplane read customer_master.customers" in customers.how_to_consume.cli
    assert customers.location in customers.how_to_consume.python
    assert {c.data_product for c in customers.consumers} == {CUSTOMER_360}


def test_product_is_found_by_unique_name_and_unknown_ids_are_not_found(market: Marketplace) -> None:
    assert market.product("orders", samples=0).summary.id == ORDERS
    with pytest.raises(NotFoundError, match="ordres") as raised:
        market.product("ordres")
    assert raised.value.hint and "orders" in raised.value.hint
    with pytest.raises(NotFoundError):
        market.port(ORDERS, "nope")
    with pytest.raises(InvalidInputError, match="samples"):
        market.product(ORDERS, samples=51)


def test_consumers_count_access_grants_too(market: Marketplace) -> None:
    from meshplane.registry.access import GrantTerms, PrincipalKind

    before = market.product(TICKETS, samples=0)
    request = market.registry.access.create_request(
        requester_kind=PrincipalKind.USER,
        requester="tom",
        requested_by="tom",
        dp_id=TICKETS,
        port="tickets",
        environment="dev",
        purpose="service quality report",
    )
    market.registry.access.approve(request.id, by="amara", terms=GrantTerms())
    after = market.product(TICKETS, samples=0)
    assert after.grants == before.grants + 1
    assert next(p for p in after.output_ports if p.name == "tickets").grants >= 1


def test_boundary_ports_are_shown_as_such(market: Marketplace) -> None:
    page = market.product(CHURN, samples=0)
    assert "boundaryPort" in {p.kind for p in page.output_ports}


def test_runs_quality_and_versions(market: Marketplace) -> None:
    runs = market.runs(ORDERS)
    assert runs and runs[0].status == "SUCCEEDED" and runs[0].rows
    quality = market.quality(ORDERS)
    assert quality[0].run_id == runs[0].run_id
    assert quality[0].counts.passed + quality[0].counts.warned + quality[0].counts.failed > 0
    assert [v.version for v in market.versions(ORDERS)] == ["1.0.0"]


def test_port_sample_limit(market: Marketplace) -> None:
    rows = market.sample(ORDERS, "orders", limit=7)
    assert rows.available and len(rows.rows) == 7


# -- across the mesh -------------------------------------------------------------------------------------


def test_lineage_of_one_product_and_of_the_mesh(market: Marketplace) -> None:
    one = market.lineage(ORDERS)
    assert one.root == ORDERS
    assert set(one.downstream) >= {CUSTOMER_360, DAILY_REVENUE, CHURN}
    assert one.upstream == []
    ids = {n.id for n in one.nodes}
    assert INVOICES not in ids  # not related to orders
    assert any(n.kind == "system" and n.label == "webshop" for n in one.nodes)
    assert one.problems == []
    whole = market.lineage()
    dps = {n.id for n in whole.nodes if n.kind == "dataProduct"}
    assert len(dps) == 8
    reads = [e for e in whole.edges if e.kind == "reads"]
    assert any(e.source.endswith(":orders:1:orders") for e in reads)
    port = next(n for n in whole.nodes if n.id == "urn:dmb:cmp:sales:orders:1:orders")
    assert port.attrs.get("rowCount")  # enriched by the run's lineage event


def test_domains(market: Marketplace) -> None:
    listed = {d.name: d for d in market.domains()}
    assert list(listed) == ["customer", "sales", "billing", "support", "marketing"]
    assert listed["marketing"].product_count == 3
    assert listed["customer"].consumed_by == ["marketing"]
    assert set(listed["marketing"].consumes_from) == {"billing", "customer", "sales", "support"}
    one = market.domain("sales")
    assert [p.name for p in one.products] == ["daily_revenue", "orders"]
    assert [o.id for o in one.owners] == ["jonas"]
    with pytest.raises(NotFoundError):
        market.domain("finance")


def test_governance_runs_every_policy_over_every_deployed_product(market: Marketplace) -> None:
    early = market.governance(wait=0)  # the check runs behind the request: a view while it runs
    assert early.total == 8 and early.evaluated == len(early.products) <= 8
    view = market.governance()
    assert view.complete and view.evaluated == view.total == 8 and len(view.products) == 8
    assert view.policies and all(p.passing + p.failing + p.errors == 8 for p in view.policies)
    assert view.compliant == sum(1 for p in view.products if p.errors == 0)
    assert market.governance(wait=0).complete  # evaluated once per deployment state
    with pytest.raises(InvalidInputError, match="wait"):
        market.governance(wait=-1)


def test_overview_value_metrics(market: Marketplace) -> None:
    view = market.overview()
    assert view.totals["dataProducts"] == 8
    assert view.totals["crossDomainLinks"] == len(view.cross_domain_links) >= 4
    assert view.consumers_per_port[0].consumers >= view.consumers_per_port[-1].consumers
    orders = next(p for p in view.consumers_per_port if p.data_product == ORDERS and p.port == "orders")
    assert set(orders.consumer_ids) == {CUSTOMER_360, DAILY_REVENUE}
    assert {d.domain: d.products for d in view.products_per_domain}["marketing"] == 3
    lead = {t.data_product: t for t in view.lead_times}
    assert lead[ORDERS].source == "registry"  # the demo folder is not a git repository
    assert lead[ORDERS].seconds is not None and lead[ORDERS].seconds >= 0
    assert view.median_lead_time_seconds is not None


def test_polysemes_list_their_carriers(market: Marketplace) -> None:
    (customer,) = market.polysemes()
    assert customer.name == "customer" and customer.issued_by == "customer" and customer.declared
    carriers = {(c.name, c.column) for c in customer.carriers}
    assert ("customer_master", "cid") in carriers and ("customer_360", "cid") in carriers
    assert customer.products >= 5


# -- reviews and the FAQ --------------------------------------------------------------------------------


def test_rating_replaces_the_authors_earlier_rating(market: Marketplace) -> None:
    market.rate(TICKETS, "tom", 2, "Slow", "Arrives late")
    market.rate(TICKETS, "tom", 4, "Better", "Fixed now")
    market.rate(TICKETS, "li", 5)
    reviews = market.reviews(TICKETS)
    assert reviews.rating.count == 2 and reviews.rating.average == 4.5
    assert reviews.distribution == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}
    mine = next(r for r in reviews.reviews if r.author == "tom")
    assert (mine.title, mine.body, mine.author_name) == ("Better", "Fixed now", "Tom Novak")
    hit = market.search("tickets").hits[0]  # the search summary sees the new rating at once
    assert hit.id == TICKETS and hit.rating.count == 2 and hit.rating.average == 4.5
    assert market.search(sort="rating").hits[0].id == TICKETS


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("tom", 0), "rating"),
        (("tom", 6), "rating"),
        (("", 3), "author"),
        (("tom", 3, "t" * 201), "title"),
        (("tom", 3, "", "b" * 5001), "body"),
    ],
)
def test_bad_ratings_name_the_field(market: Marketplace, args: tuple, field: str) -> None:
    with pytest.raises(InvalidInputError, match=f"`{field}`"):
        market.rate(TICKETS, *args)


def test_rating_an_unknown_product_is_not_found(market: Marketplace) -> None:
    with pytest.raises(NotFoundError):
        market.rate("urn:dmb:dp:x:y:1", "tom", 3)


def test_questions_answers_and_who_may_accept(market: Marketplace) -> None:
    question = market.ask(INVOICES, "tom", "Are credit notes included?")
    from_consumer = market.answer(question.id, "sam", "I think so")
    from_owner = market.answer(question.id, "li", "Yes, as negative amounts.")
    assert from_owner.by_owner and not from_consumer.by_owner
    with pytest.raises(PermissionDeniedError):
        market.accept(question.id, from_owner.id, "tom")  # the asker is not an owner
    accepted = market.accept(question.id, from_owner.id, "li")  # li is in billing-team
    assert accepted.accepted_answer_id == from_owner.id
    assert accepted.answers[0].id == from_owner.id  # the accepted answer comes first
    faq = market.faq(INVOICES)
    assert faq.questions[0].id == question.id and faq.questions[0].accepted_answer_id == from_owner.id
    assert market.product(INVOICES, samples=0).questions >= 1
    with pytest.raises(InvalidInputError, match="`body`"):
        market.ask(INVOICES, "tom", "   ")
    with pytest.raises(NotFoundError):
        market.answer(2**31 - 1, "tom", "hello?")
    with pytest.raises(NotFoundError):
        market.accept(question.id, 2**31 - 1, "li")


# -- freshness of the cache ------------------------------------------------------------------------------


def test_changes_made_elsewhere_show_within_the_recheck_interval(market: Marketplace) -> None:
    """A lifecycle change (as `meshplane lifecycle` would make it) shows up without restarting the marketplace:
    at once after ``refresh()``, and by itself within ``recheck_after`` (the check runs behind requests)."""
    assert market.search("daily_revenue").hits[0].status == "published"
    market.registry.set_lifecycle(DAILY_REVENUE, "dev", deprecated_on=date(2020, 1, 1), retire_on=None)
    market.refresh()
    after = market.search("daily_revenue", status=["deprecated"])
    assert [h.id for h in after.hits] == [DAILY_REVENUE]
    assert market.product(DAILY_REVENUE, samples=0).lifecycle.deprecated_on == date(2020, 1, 1)
    market.registry.set_lifecycle(DAILY_REVENUE, "dev", deprecated_on=None, retire_on=None)
    deadline = time.monotonic() + 10 * max(market._cache.recheck_after, 0.5)
    while market.search("daily_revenue").hits[0].status != "published":
        assert time.monotonic() < deadline, "the change never showed"
        time.sleep(0.05)
