"""The search index on its own: tokenizing, the query parser, ranking, AND and prefix semantics, filters and
disjunctive facet counts — examples first, then properties over generated catalogs."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshplane.marketplace import bitsets
from meshplane.marketplace.search import Doc, Query, SearchIndex, parse_query, tokenize


def _doc(id_: str, name: str, *, domain: str = "sales", kind: str = "aggregate", **fields: str) -> Doc:
    return Doc(
        id_,
        {"name": name, "domain": domain, **fields},
        facets={"domain": domain, "kind": kind},
        labels={"tag": fields.get("tags", "").split()},
    )


CATALOG = [
    _doc("1", "orders", description="Web-shop orders, one row per order", columns="order_id cid amount"),
    _doc("2", "customer_360", domain="marketing", description="One profile per customer", columns="cid orders revenue"),
    _doc("3", "invoices", domain="billing", description="Invoices of orders", columns="invoice_id amount"),
    _doc("4", "customer_master", domain="customer", kind="source-aligned", tags="mdm golden", columns="cid email"),
    _doc("5", "tickets", domain="support", kind="source-aligned", description="Helpdesk tickets", columns="cid csat"),
]
INDEX = SearchIndex(CATALOG)


def ids(result_matches: list) -> list[str]:
    return [INDEX.ids[m.doc] for m in result_matches]


def test_tokenize_splits_on_everything_but_letters_and_digits() -> None:
    assert tokenize("Customer_360 (CID-42), Zürich") == ["customer", "360", "cid", "42", "zürich"]
    assert tokenize("") == []


def test_parse_query_marks_the_last_word_a_prefix_until_a_space_ends_it() -> None:
    assert parse_query("cust ord") == Query(("cust", "ord"), True)
    assert parse_query("cust ord ") == Query(("cust", "ord"), False)
    assert parse_query("orders orders") == Query(("orders",), True)
    assert parse_query("overdue_invoices") == Query(("overdue", "invoices"), True, ("overdue_invoices",))
    assert parse_query("  ") == Query()
    assert parse_query(None).empty


def test_a_name_match_ranks_above_a_description_and_a_column_match() -> None:
    found = INDEX.search(parse_query("orders "))
    assert ids(found.matches) == ["1", "3", "2"]  # name > description > column
    assert found.matches[0].fields == ("description", "name")
    assert found.matches[-1].fields == ("columns",)


def test_every_word_must_match() -> None:
    assert ids(INDEX.search(parse_query("cid amount ")).matches) == ["1"]
    assert INDEX.search(parse_query("cid nothing ")).total == 0


def test_the_last_word_matches_as_a_prefix() -> None:
    assert ids(INDEX.search(parse_query("custom")).matches) == ["4", "2"]
    assert INDEX.search(parse_query("custom ")).total == 0  # a finished word must match whole


def test_typing_a_name_puts_that_product_first() -> None:
    assert ids(INDEX.search(parse_query("customer mas")).matches)[0] == "4"
    assert ids(INDEX.search(parse_query("customer 360")).matches)[0] == "2"


def test_a_compound_word_typed_whole_ranks_where_it_appears_whole() -> None:
    index = SearchIndex(
        [
            _doc("a", "invoices", description="Invoices, paid and overdue"),
            _doc("b", "profiles", columns="overdue_invoices open_amount"),
        ]
    )
    found = index.search(parse_query("overdue_invoices"))
    assert [index.ids[m.doc] for m in found.matches] == ["b", "a"]  # both hold both words; b holds the column


def test_filters_are_or_within_a_facet_and_and_across() -> None:
    found = INDEX.search(Query(), {"domain": ["sales", "billing"]})
    assert sorted(ids(found.matches)) == ["1", "3"]
    found = INDEX.search(Query(), {"domain": ["customer", "support"], "kind": ["source-aligned"]})
    assert sorted(ids(found.matches)) == ["4", "5"]
    assert INDEX.search(Query(), {"tag": ["MDM"]}).total == 1  # labels match case-insensitively


def test_facet_counts_ignore_their_own_filter() -> None:
    found = INDEX.search(Query(), {"domain": ["sales"]})
    assert found.total == 1
    assert found.facets["domain"] == {"sales": 1, "marketing": 1, "billing": 1, "customer": 1, "support": 1}
    assert found.facets["kind"] == {"aggregate": 1}


def test_facets_can_be_supplied_per_search() -> None:
    quality = ["passing", "failing", "passing", "unknown", "passing"]
    found = INDEX.search(Query(), {"quality": ["passing"]}, facets={"quality": bitsets.by_value(quality)})
    assert sorted(ids(found.matches)) == ["1", "3", "5"]
    assert found.facets["quality"] == {"passing": 3, "failing": 1, "unknown": 1}


def test_bitsets_round_trip() -> None:
    assert bitsets.members(bitsets.of([0, 7, 8, 64, 1000])) == [0, 7, 8, 64, 1000]
    assert bitsets.members(0) == [] and bitsets.of([]) == 0
    assert bitsets.members(bitsets.universe(10)) == list(range(10))
    assert {k: bitsets.members(v) for k, v in bitsets.by_value(["a", "b", "a"]).items()} == {"a": [0, 2], "b": [1]}


def test_a_page_of_the_best_hits_is_the_start_of_the_full_ranking() -> None:
    found = INDEX.search(parse_query("c"))
    assert found.ranked(limit=2) == found.ranked()[:2]


def test_an_empty_index_answers_nothing() -> None:
    empty = SearchIndex([])
    assert empty.search(parse_query("x")).total == 0
    assert empty.search(Query()).total == 0


# -- properties ------------------------------------------------------------------------------------------

WORDS = st.sampled_from(["order", "orders", "customer", "cid", "revenue", "invoice", "ticket", "mdm", "churn", "zz"])
DOMAINS = st.sampled_from(["sales", "billing", "marketing"])
KINDS = st.sampled_from(["aggregate", "source-aligned"])


@st.composite
def catalogs(draw: st.DrawFn) -> list[Doc]:
    count = draw(st.integers(0, 25))
    docs = []
    for n in range(count):
        text = {f: " ".join(draw(st.lists(WORDS, max_size=4))) for f in ("name", "description", "columns", "tags")}
        docs.append(Doc(str(n), text, facets={"domain": draw(DOMAINS), "kind": draw(KINDS)}))
    return docs


@st.composite
def queries(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.one_of(WORDS, WORDS.map(lambda w: w[: max(1, len(w) // 2)])), max_size=3))
    return " ".join(words) + draw(st.sampled_from(["", " "]))


def _holds(doc: Doc, query: Query) -> bool:
    tokens = {t for text in doc.fields.values() for t in tokenize(text)}
    last = len(query.terms) - 1
    return all(
        (t in tokens) or (query.prefix and i == last and any(tok.startswith(t) for tok in tokens))
        for i, t in enumerate(query.terms)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs(), queries())
def test_hits_are_exactly_the_documents_holding_every_term(docs: list[Doc], text: str) -> None:
    index = SearchIndex(docs)
    query = parse_query(text)
    found = {index.ids[m.doc] for m in index.search(query).matches}
    assert found == {d.id for d in docs if _holds(d, query)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs(), queries(), st.lists(DOMAINS, max_size=2), st.lists(KINDS, max_size=1))
def test_facet_counts_add_up(docs: list[Doc], text: str, domains: list[str], kinds: list[str]) -> None:
    index = SearchIndex(docs)
    filters = {"domain": domains, "kind": kinds}
    result = index.search(parse_query(text), filters)
    for facet, chosen in filters.items():
        if not chosen:  # an unfiltered facet partitions the hits
            assert sum(result.facets.get(facet, {}).values()) == result.total
        else:  # a filtered one counts what choosing each value would give
            for value in chosen:
                alone = index.search(parse_query(text), {**filters, facet: [value]})
                assert result.facets[facet].get(value, 0) == alone.total
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True)
