"""The marketplace's pages over the deployed and run demo mesh, rendered in-process and read as HTML: status
codes, what a person sees, the htmx fragments, the forms (sign in, review, ask, answer), errors and escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_kit import C360, MASTER, attr_values, text_of

HTMX = {"HX-Request": "true"}


# -- search ------------------------------------------------------------------------------------------


def test_home_lists_every_product_with_facets(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert len(attr_values(r.text, "data-id", tag="article")) == 8
    for facet in ("domain", "kind", "maturity", "status", "quality"):
        assert f'data-facet="{facet}"' in r.text
    assert 'src="/static/vendor/htmx.min.js"' in r.text and "//cdn" not in r.text and "https://" not in r.text


def test_search_finds_customer_products_and_ranks_by_name(client):
    r = client.get("/", params={"q": "customer"})
    ids = attr_values(r.text, "data-id", tag="article")
    assert C360 in ids and MASTER in ids
    assert ids[0] in (C360, MASTER)  # a name hit ranks first
    assert 'value="customer"' in r.text


def test_a_facet_filters_and_counts(client):
    r = client.get("/", params=[("domain", "sales")])
    ids = attr_values(r.text, "data-id", tag="article")
    assert sorted(ids) == ["urn:dmb:dp:sales:daily_revenue:1", "urn:dmb:dp:sales:orders:1"]
    # disjunctive counts: the domain facet still offers the other domains, with their own counts
    assert re.search(r'value="marketing"\s*>marketing</span>\s*<span class="count">3</span>', r.text)
    assert re.search(r'name="domain" value="sales"\s*checked', r.text)


def test_the_live_results_fragment_pushes_a_shareable_url(client):
    r = client.get("/search/results", params=[("q", "cust"), ("kind", "consumer-aligned")], headers=HTMX)
    assert r.status_code == 200
    assert "<html" not in r.text and 'class="layout-search"' in r.text
    assert r.headers["HX-Push-Url"] == "/?q=cust&kind=consumer-aligned"
    assert set(attr_values(r.text, "data-id", tag="article")) == {C360, "urn:dmb:dp:marketing:churn_features:1"}
    whole = client.get("/search/results", params={"q": "cust"})  # without htmx: the whole page
    assert "<html" in whole.text


def test_paging_and_odd_page_numbers(client):
    assert client.get("/", params={"page": "abc"}).status_code == 200
    r = client.get("/", params={"page": "99"})
    assert r.status_code == 200 and "No data product matches" in r.text


def test_a_bad_filter_value_is_a_422_page_not_a_500(client):
    r = client.get("/", params={"quality": "superb"})
    assert r.status_code == 422 and "Invalid input" in r.text and "passing" in r.text


# -- the product page --------------------------------------------------------------------------------


def test_the_product_page_describes_itself(client):
    r = client.get(f"/dp/{C360}")
    assert r.status_code == 200
    html = r.text
    assert "<h1>customer_360" in html
    assert 'data-testid="purpose"' in html and 'data-testid="contacts"' in html and "mailto:" in html
    assert 'data-testid="sla-status"' in html
    schema = text_of(html, 'data-testid="schema"')
    assert "cid" in schema and "customer" in schema  # the CID column carries the customer polyseme
    assert 'data-testid="sample"' in html
    assert html.count('class="copy"') == 3  # SQL, Python and CLI snippets
    assert "meshplane read customer_360.customer_360" in unescape(html) or "meshplane read" in unescape(html)
    assert 'data-testid="quality-history"' in html and 'data-testid="versions"' in html
    assert f'href="/dp/{C360}/access"' in html and f'href="/dp/{C360}/lineage"' in html
    assert "Sign in to rate and review" in html


def test_protected_columns_are_masked_in_samples(client):
    html = client.get(f"/dp/{MASTER}").text
    assert "masked:" in html or "🔒" in html


def test_unknown_ids_get_a_404_page(client):
    for url in ("/dp/urn:dmb:dp:nowhere:nothing:1", "/dp/nope/lineage", "/domains/atlantis", "/no/such/page"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "text/html" in r.headers["content-type"] and 'data-testid="error"' in r.text and "Not found" in r.text


def test_a_product_can_be_found_by_its_name(client):
    r = client.get("/dp/customer_360")
    assert r.status_code == 200 and "<h1>customer_360" in r.text


# -- lineage, domains, governance, overview -----------------------------------------------------------


def svg_of(html: str) -> ET.Element:
    match = re.search(r"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lineage\".*?</svg>", html, re.S)
    assert match, "no lineage drawing"
    return ET.fromstring(match.group(0))


def test_the_mesh_lineage_is_drawn_with_links_to_products(client):
    r = client.get("/lineage")
    assert r.status_code == 200
    svg = svg_of(r.text)
    links = {a.get("href") for a in svg.iter("{http://www.w3.org/2000/svg}a")}
    assert len(links) == 8 and f"/dp/{C360}" in links
    edges = [p for p in svg.iter("{http://www.w3.org/2000/svg}path") if "edge" in (p.get("class") or "")]
    assert len(edges) >= 13  # 6 into customer_360, 1 into daily_revenue, 1 into churn, 1 to the ML platform, 6 sources


def test_one_products_lineage_is_centred_on_it(client):
    r = client.get(f"/dp/{quote(MASTER)}/lineage")
    assert r.status_code == 200
    svg = svg_of(r.text)
    focus = [a for a in svg.iter("{http://www.w3.org/2000/svg}a") if "focus" in (a.get("class") or "")]
    assert [a.get("data-id") for a in focus] == [MASTER]
    assert "Downstream" in r.text and "customer_360" in r.text


def test_domain_pages(client):
    r = client.get("/domains")
    assert r.status_code == 200
    assert set(attr_values(r.text, "data-domain")) == {"customer", "sales", "billing", "support", "marketing"}
    counts = [text_of(part, 'data-testid="product-count"').split()[0] for part in r.text.split("data-domain=")[1:]]
    assert sorted(counts) == ["1", "1", "1", "2", "3"]
    sales = client.get("/domains/sales")
    assert sales.status_code == 200 and len(attr_values(sales.text, "data-id", tag="article")) == 2


def test_governance_shows_policies_and_filters(client):
    r = client.get("/governance")
    assert r.status_code == 200 and 'data-testid="policies"' in r.text and "8 of 8" in r.text
    one = client.get("/governance", params={"policy": "owner-known"})
    assert one.status_code == 200
    assert text_of(one.text, 'data-testid="policies"').count("owner-known") >= 1
    assert "naming-conventions" not in text_of(one.text, 'data-testid="policies"')
    failing = client.get("/governance", params={"failing": "1"})
    assert "No data product deployed" in failing.text or "compliance" in failing.text


def test_the_overview_shows_value_metrics(client):
    r = client.get("/overview")
    assert r.status_code == 200
    assert "Data products per domain" in r.text and "Consumers per output port" in r.text
    assert r.text.count('class="chart bars"') >= 3 and 'data-testid="cross-domain"' in r.text


def test_static_assets_are_served_from_the_package_only(client):
    css = client.get("/static/meshplane.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    htmx = client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:200]
    assert client.get("/static/vendor/htmx.LICENSE").status_code == 200
    assert client.get("/static/..%2Fpages%2Frendering.py").status_code == 404
    assert client.get("/static/nothing.css").status_code == 404


# -- signing in and posting ---------------------------------------------------------------------------


def test_sign_in_sets_the_cookie_and_refuses_strangers(client, app):
    from fastapi.testclient import TestClient

    page = client.get("/signin")
    assert page.status_code == 200 and "Maria Rossi" in page.text
    with TestClient(app) as fresh:
        r = fresh.post("/signin", data={"user": "maria", "next": "/overview"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/overview"
        assert "meshplane_token" in r.cookies
        assert "Signed in as <strong>Maria Rossi</strong>" in fresh.get("/").text
        out = fresh.post("/signout", follow_redirects=False)
        assert out.status_code == 303
        assert "Sign in</a>" in fresh.get("/").text
    with TestClient(app) as stranger:
        r = stranger.post("/signin", data={"user": "mallory"}, follow_redirects=False)
        assert r.status_code == 401 and 'role="alert"' in r.text
        away = stranger.post("/signin", data={"user": "maria", "next": "https://evil.example/"}, follow_redirects=False)
        assert away.headers["location"] == "/"


def test_posting_needs_a_signed_in_user(client):
    r = client.post(f"/dp/{C360}/reviews", data={"rating": "5"}, follow_redirects=False)
    assert r.status_code == 401 and "Sign in" in r.text


def test_a_review_is_saved_escaped_and_shown(signed_in):
    jonas = signed_in("jonas")
    body = "Great for churn work <script>alert(1)</script>"
    r = jonas.post(f"/dp/{C360}/reviews", data={"rating": "4", "title": "Solid", "body": body}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("#reviews")
    page = jonas.get(f"/dp/{C360}").text
    reviews = text_of(page, 'data-testid="reviews"')
    assert "Solid" in reviews and "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "4.0 from 1 rating" in page
    fragment = jonas.post(f"/dp/{C360}/reviews", data={"rating": "5", "title": "Even better"}, headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert (
        "Even better" in fragment.text
        and "your review is saved" in fragment.text
        and "5.0 from 1 rating" in fragment.text
    )


def test_a_bad_rating_comes_back_in_the_form(signed_in):
    li = signed_in("li")
    r = li.post(f"/dp/{C360}/reviews", data={"rating": "9"}, headers=HTMX)
    assert r.status_code == 200 and "pick a rating from 1 to 5" in r.text
    plain = li.post(f"/dp/{C360}/reviews", data={"rating": "x"}, follow_redirects=False)
    assert plain.status_code == 422 and "pick a rating from 1 to 5" in plain.text and "<h1>customer_360" in plain.text


def test_questions_answers_and_the_owner_accepting_one(signed_in):
    amara = signed_in("amara")
    r = amara.post(f"/dp/{MASTER}/questions", data={"body": "Is the CID stable over time?"}, headers=HTMX)
    assert r.status_code == 200 and "Is the CID stable over time?" in r.text
    qid = attr_values(r.text, "data-question")[-1]
    empty = amara.post(f"/dp/{MASTER}/questions", data={"body": "   "}, headers=HTMX)
    assert "is empty" in empty.text
    maria = signed_in("maria")  # customer-team: owns customer_master
    answered = maria.post(
        f"/dp/{MASTER}/questions/{qid}/answers", data={"body": "Yes: it never changes."}, headers=HTMX
    )
    assert "Yes: it never changes." in answered.text and "accept this answer" in answered.text
    aid = attr_values(answered.text, "data-answer")[-1]
    accepted = maria.post(f"/dp/{MASTER}/questions/{qid}/answers/{aid}/accept", headers=HTMX)
    assert accepted.status_code == 200 and 'class="badge ok">accepted' in accepted.text
    refused = amara.post(f"/dp/{MASTER}/questions/{qid}/answers/{aid}/accept", follow_redirects=False)
    assert refused.status_code == 403
    elsewhere = maria.post(f"/dp/{C360}/questions/{qid}/answers", data={"body": "x"}, follow_redirects=False)
    assert elsewhere.status_code == 404  # the question belongs to another product


def test_tag_and_polyseme_filters_show_as_removable_chips(client):
    r = client.get("/", params={"tag": "mdm", "q": "cust"})
    assert attr_values(r.text, "data-id", tag="article") == [MASTER]
    assert 'href="/?q=cust" aria-label="remove the tag filter mdm"' in r.text
    assert '<input type="hidden" name="tag" value="mdm">' in r.text  # kept while typing and ticking
    carriers = client.get("/", params={"polyseme": "customer"})
    assert len(attr_values(carriers.text, "data-id", tag="article")) == 6
    page = client.get(f"/dp/{MASTER}").text
    assert 'href="/?polyseme=customer"' in page and 'href="/?tag=mdm"' in page


def test_the_pager_walks_through_results(client, monkeypatch):
    from meshplane.web.pages import search

    monkeypatch.setattr(search, "PER_PAGE", 3)
    first = client.get("/", params={"sort": "name"})
    assert len(attr_values(first.text, "data-id", tag="article")) == 3 and "page 1 of 3" in first.text
    assert 'href="/?sort=name&amp;page=2"' in first.text
    assert 'hx-get="/search/results?sort=name&amp;page=2"' in first.text
    last = client.get("/search/results", params={"sort": "name", "page": "3"}, headers=HTMX)
    assert len(attr_values(last.text, "data-id", tag="article")) == 2 and 'rel="prev"' in last.text
    assert last.headers["HX-Push-Url"] == "/?sort=name&page=3"


def test_every_product_page_and_its_lineage_render(client):
    ids = attr_values(client.get("/").text, "data-id", tag="article")
    assert len(ids) == 8
    for dp_id in ids:
        assert client.get(f"/dp/{dp_id}").status_code == 200, dp_id
        assert client.get(f"/dp/{dp_id}/lineage").status_code == 200, dp_id
    for name in ("customer", "sales", "billing", "support", "marketing"):
        assert client.get(f"/domains/{name}").status_code == 200, name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=st.text(max_size=40),
    page=st.text(max_size=6),
    sort=st.sampled_from(["relevance", "name", "rating", "recent", "quality", "bogus", ""]),
    domain=st.lists(st.text(max_size=12), max_size=2),
)
def test_whatever_is_typed_the_search_never_fails(client, q, page, sort, domain):
    params = [("q", q), ("page", page), ("sort", sort), *[("domain", d) for d in domain]]
    for url in ("/", "/search/results"):
        r = client.get(url, params=params, headers=HTMX)
        assert r.status_code in (200, 422), (url, params, r.text[:300])
        if r.status_code == 422:
            assert "Invalid input" in r.text


# -- the API reference ---------------------------------------------------------------------------------------


def test_the_api_reference_is_served_locally_from_the_openapi_document(client):
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "cdn" not in r.text.lower() and "https://" not in r.text
    operations = client.get("/openapi.json").json()["paths"]
    # every operation of the document is on the page, under its method and path
    count = sum(1 for item in operations.values() for m in item if m in ("get", "post", "put", "patch", "delete"))
    assert r.text.count('data-testid="api-op"') == count
    for section in ("products", "access", "query"):
        assert f'id="{section}"' in r.text
    assert "<code>/api/v1/query</code>" in r.text and "<code>/api/v1/products/{dp_id}</code>" in r.text
    assert client.get("/redoc").status_code == 404


def test_the_signin_page_offers_no_user_picker_behind_an_identity_provider(demo_root, monkeypatch):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from fastapi.testclient import TestClient

    from meshplane.web.app import create_app

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    monkeypatch.setenv("MESHPLANE_OIDC_ISSUER", "https://idp.example")
    monkeypatch.setenv("MESHPLANE_OIDC_PUBLIC_KEY", pem)
    with TestClient(create_app(demo_root)) as behind_idp:
        page = behind_idp.get("/signin")
        assert page.status_code == 200 and 'data-testid="signin-oidc"' in page.text
        assert 'name="user"' not in page.text and "maria" not in page.text
