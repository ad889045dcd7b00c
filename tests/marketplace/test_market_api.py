"""The REST API through httpx (FastAPI's TestClient) over the deployed and run demo mesh: every endpoint,
the error shape and status codes, identities on writes, and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from market_kit import CUSTOMER_360, CUSTOMER_MASTER, ORDERS, bearer

from meshplane.registry import ENV_VAR
from meshplane.web.app import create_app

INVOICES = "urn:dmb:dp:billing:invoices:1"
API = "/api/v1"


@pytest.fixture(scope="module")
def app(demo: Path) -> Iterator[FastAPI]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_VAR, raising=False)
        yield create_app(demo, environment="dev")


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:  # runs the lifespan: the registry is closed at the end
        yield c


def _error(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["type"] == kind
    assert body["error"]["message"]
    return body["error"]


# -- reads -------------------------------------------------------------------------------------------------


def test_search_with_query_filters_and_facets(client: TestClient) -> None:
    r = client.get(f"{API}/products", params={"q": "customer", "domain": ["marketing", "customer"], "per_page": 5})
    assert r.status_code == 200
    body = r.json()
    ids = [h["id"] for h in body["hits"]]
    assert ids[0] == CUSTOMER_MASTER and CUSTOMER_360 in ids
    assert body["filters"] == {"domain": ["marketing", "customer"]}
    assert {f["value"] for f in body["facets"]["domain"]} >= {"sales", "marketing"}
    assert set(body["hits"][0]) >= {"id", "name", "rating", "quality", "lastRun", "freshness", "score", "matched"}
    assert body["tookMs"] < 1000


def test_product_page_json(client: TestClient) -> None:
    body = client.get(f"{API}/products/{CUSTOMER_MASTER}", params={"samples": 2}).json()
    assert body["summary"]["id"] == CUSTOMER_MASTER
    customers = next(p for p in body["outputPorts"] if p["name"] == "customers")
    assert len(customers["sample"]["rows"]) == 2 and "email" in customers["sample"]["masked"]
    assert customers["howToConsume"]["cli"].startswith("meshplane read")
    assert body["consumers"] and body["contacts"][0]["id"] == "maria"
    assert client.get(f"{API}/products/customer_master").json()["summary"]["id"] == CUSTOMER_MASTER


def test_port_endpoints(client: TestClient) -> None:
    base = f"{API}/products/{ORDERS}/ports"
    ports = client.get(base).json()
    assert [p["name"] for p in ports] == ["orders"]
    assert client.get(f"{base}/orders").json()["contract"]["columns"]
    schema = client.get(f"{base}/orders/schema").json()
    assert schema[0]["name"] and "type" in schema[0]
    contract = client.get(f"{base}/orders/contract").json()
    assert contract["quality"] and contract["sla"]
    sample = client.get(f"{base}/orders/sample", params={"limit": 3}).json()
    assert sample["available"] and len(sample["rows"]) == 3


def test_versions_runs_quality_and_lineage(client: TestClient) -> None:
    assert client.get(f"{API}/products/{ORDERS}/versions").json()[0]["version"] == "1.0.0"
    runs = client.get(f"{API}/products/{ORDERS}/runs", params={"limit": 5}).json()
    assert runs[0]["status"] == "SUCCEEDED"
    quality = client.get(f"{API}/products/{ORDERS}/quality").json()
    assert quality[0]["counts"]["passed"] > 0
    one = client.get(f"{API}/products/{ORDERS}/lineage").json()
    assert one["root"] == ORDERS and CUSTOMER_360 in one["downstream"]
    whole = client.get(f"{API}/lineage").json()
    assert len([n for n in whole["nodes"] if n["kind"] == "dataProduct"]) == 8


def test_mesh_wide_endpoints(client: TestClient) -> None:
    domains = client.get(f"{API}/domains").json()
    assert [d["name"] for d in domains][:2] == ["customer", "sales"]
    sales = client.get(f"{API}/domains/sales").json()
    assert {p["name"] for p in sales["products"]} == {"orders", "daily_revenue"}
    governance = client.get(f"{API}/governance").json()
    assert governance["total"] == 8 and governance["policies"]
    overview = client.get(f"{API}/overview", params={"limit": 3}).json()
    assert overview["totals"]["dataProducts"] == 8 and len(overview["consumersPerPort"]) == 3
    polysemes = client.get(f"{API}/polysemes").json()
    assert polysemes[0]["name"] == "customer" and polysemes[0]["carriers"]


# -- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/products/urn:dmb:dp:sales:nothing:1",
        f"{API}/products/nothing/ports",
        f"{API}/products/{ORDERS}/ports/nothing",
        f"{API}/products/{ORDERS}/ports/nothing/sample",
        f"{API}/products/nothing/lineage",
        f"{API}/products/nothing/reviews",
        f"{API}/domains/nothing",
        f"{API}/no/such/path",
    ],
)
def test_unknown_things_are_404_json(client: TestClient, path: str) -> None:
    _error(client.get(path), 404, "NotFoundError")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": 0}, "per_page"),
        ({"page": "x"}, "page"),
        ({"sort": "price"}, "sort"),
        ({"quality": "great"}, "quality"),
        ({"q": "x" * 501}, "q"),
    ],
)
def test_bad_search_parameters_are_422_naming_the_field(client: TestClient, params: dict, field: str) -> None:
    error = _error(client.get(f"{API}/products", params=params), 422, "InvalidInputError")
    assert field in error["message"]


def test_unknown_pages_get_an_html_error_page(client: TestClient) -> None:
    r = client.get("/no-such-page", headers={"accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text.lower()


def test_wrong_method_is_405(client: TestClient) -> None:
    _error(client.delete(f"{API}/products"), 405, "MethodNotAllowed")


# -- writes ------------------------------------------------------------------------------------------------


def test_writes_need_an_identity(client: TestClient) -> None:
    r = client.post(f"{API}/products/{INVOICES}/reviews", json={"rating": 4})
    _error(r, 401, "AuthenticationError")
    assert r.headers["www-authenticate"] == "Bearer"
    bad = client.post(
        f"{API}/products/{INVOICES}/reviews", json={"rating": 4}, headers={"Authorization": "Bearer nonsense"}
    )
    _error(bad, 401, "AuthenticationError")


def test_review_in_the_callers_name(client: TestClient, demo: Path) -> None:
    tom = bearer(demo, "tom")
    r = client.post(
        f"{API}/products/{INVOICES}/reviews", json={"rating": 4, "title": "Good", "body": "Tidy"}, headers=tom
    )
    assert r.status_code == 201 and r.json()["author"] == "tom" and r.json()["authorName"] == "Tom Novak"
    again = client.post(f"{API}/products/{INVOICES}/reviews", json={"rating": 2}, headers=tom)
    assert again.json()["id"] == r.json()["id"] and again.json()["rating"] == 2
    listed = client.get(f"{API}/products/{INVOICES}/reviews").json()
    assert listed["rating"]["count"] == 1 and listed["distribution"]["2"] == 1
    _error(client.post(f"{API}/products/{INVOICES}/reviews", json={"rating": 9}, headers=tom), 422, "InvalidInputError")
    _error(client.post(f"{API}/products/{INVOICES}/reviews", json={}, headers=tom), 422, "InvalidInputError")
    _error(client.post(f"{API}/products/nothing/reviews", json={"rating": 3}, headers=tom), 404, "NotFoundError")


def test_questions_answers_and_accepting(client: TestClient, demo: Path) -> None:
    tom, li = bearer(demo, "tom"), bearer(demo, "li")
    q = client.post(f"{API}/products/{INVOICES}/questions", json={"body": "Which currency?"}, headers=tom)
    assert q.status_code == 201
    qid = q.json()["id"]
    a = client.post(f"{API}/questions/{qid}/answers", json={"body": "EUR"}, headers=li)
    assert a.status_code == 201 and a.json()["byOwner"] is True
    aid = a.json()["id"]
    _error(client.post(f"{API}/questions/{qid}/answers/{aid}/accept", headers=tom), 403, "PermissionDeniedError")
    accepted = client.post(f"{API}/questions/{qid}/answers/{aid}/accept", headers=li)
    assert accepted.status_code == 200 and accepted.json()["acceptedAnswerId"] == aid
    faq = client.get(f"{API}/products/{INVOICES}/questions").json()
    assert any(item["id"] == qid and item["acceptedAnswerId"] == aid for item in faq["questions"])
    _error(client.post(f"{API}/questions/{qid}/answers", json={"body": "  "}, headers=li), 422, "InvalidInputError")
    _error(client.post(f"{API}/questions/2147483647/answers", json={"body": "x"}, headers=li), 404, "NotFoundError")
    _error(client.post(f"{API}/questions/0/answers", json={"body": "x"}, headers=li), 422, "InvalidInputError")


# -- the OpenAPI document ----------------------------------------------------------------------------------


def test_openapi_documents_every_endpoint_with_models_and_tags(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    for path in (
        "/api/v1/products",
        "/api/v1/products/{dp_id}",
        "/api/v1/products/{dp_id}/ports/{port}/sample",
        "/api/v1/products/{dp_id}/reviews",
        "/api/v1/questions/{question_id}/answers/{answer_id}/accept",
        "/api/v1/governance",
        "/api/v1/overview",
        "/api/v1/polysemes",
        "/api/v1/lineage",
    ):
        assert path in paths, path
    market_ops = [op for p, ops in paths.items() if p.startswith("/api/v1/") for op in ops.values()]
    assert all(op.get("tags") and op.get("summary") for op in market_ops if "tags" in op)
    search = paths["/api/v1/products"]["get"]
    assert search["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SearchResult")
    assert "404" in paths["/api/v1/products/{dp_id}"]["get"]["responses"]
    assert "ProductPage" in doc["components"]["schemas"]


def test_an_unexpected_error_is_a_500_with_a_reference_and_no_traceback(demo: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_VAR, raising=False)
        app = create_app(demo, environment="dev")

    def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/api/v1/boom", boom)
    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        error = _error(client.get("/api/v1/boom"), 500, "InternalError")
        assert "reference" in error["message"] and "secret" not in str(error)
        page = client.get("/boom", headers={"accept": "text/html"})
        assert page.status_code == 500 and "secret" not in page.text and "Traceback" not in page.text


def test_a_body_that_is_not_json_is_invalid_input_not_a_bare_400(client: TestClient, demo: Path) -> None:
    r = client.post(
        "/api/v1/products/urn:dmb:dp:billing:invoices:1/reviews",
        content=b"\x1a\xff not json",
        headers={**bearer(demo, "tom"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["type"] == "InvalidInputError" and "not valid JSON" in error["message"] and "/docs" in error["hint"]
