"""The access REST API through httpx on the mini mesh: 401 without a token, 403 for outsiders, the whole flow
for the owners, and the web auth dependencies (bearer header, cookie, bad tokens)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from meshplane.cli.app import main
from meshplane.identity import tokens_for
from meshplane.spec.loader import load_mesh
from meshplane.web.app import create_app
from meshplane.web.auth import COOKIE

CUSTOMERS = "urn:dmb:dp:customer:customers:1"


@pytest.fixture
def client(mini_mesh: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.delenv("MESHPLANE_REGISTRY_URL", raising=False)
    monkeypatch.setenv("MESHPLANE_USER", "alice")
    assert main(["deploy", "customers", "--mesh", str(mini_mesh), "-f", "json"]) == 0
    with TestClient(create_app(mini_mesh)) as c:
        yield c


def _auth(mesh: Path, user: str) -> dict[str, str]:
    model = load_mesh(mesh / "mesh.yaml").model
    assert model is not None
    return {"Authorization": f"Bearer {tokens_for(model, mesh, env={}).issue_token(user)}"}


def test_without_a_token_it_is_401_with_a_hint(client: TestClient):
    answer = client.get("/api/v1/access/requests")
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["type"] == "AuthenticationError" and "meshplane token issue" in error["hint"]
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and "not a JWT" in bad.json()["error"]["message"]
    basic = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


def test_the_whole_flow_over_http(client: TestClient, mini_mesh: Path):
    bob, alice = _auth(mini_mesh, "bob"), _auth(mini_mesh, "alice")
    assert client.get("/api/v1/me", headers=bob).json() == {
        "user": "bob",
        "groups": ["sales-team"],
        "dataProduct": None,
    }
    body = {"port": "customers.customers", "purpose": "a quarterly customer count for sales"}
    created = client.post("/api/v1/access/requests", json=body, headers=bob)
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    assert client.post("/api/v1/access/requests", json=body, headers=bob).status_code == 409
    assert client.post(f"/api/v1/access/requests/{request_id}/approve", headers=bob).status_code == 403
    pending = client.get("/api/v1/access/requests", params={"scope": "pending"}, headers=alice).json()
    assert [r["id"] for r in pending] == [request_id]
    bad_filter = {"rowFilter": "customer_id IN (SELECT 1)"}
    refused = client.post(f"/api/v1/access/requests/{request_id}/approve", json=bad_filter, headers=alice)
    assert refused.status_code == 422 and refused.json()["error"]["hint"]
    terms = {"rowFilter": "customer_id LIKE 'C%'", "masks": {"customer_id": "hash"}}
    approved = client.post(f"/api/v1/access/requests/{request_id}/approve", json=terms, headers=alice)
    assert approved.status_code == 200, approved.text
    assert approved.json()["grant"]["principal"] == "bob" and approved.json()["warnings"] == []
    [readable] = client.get("/api/v1/access/readable", headers=bob).json()
    assert readable["masks"] == {"customer_id": "hash", "email": "redact"}
    assert client.get(f"/api/v1/access/requests/{request_id}", headers=bob).status_code == 200
    owners_view = client.get("/api/v1/access/products/customers/grants", headers=alice).json()
    assert [g["principal"] for g in owners_view] == ["bob"]
    assert client.get("/api/v1/access/products/customers/grants", headers=bob).status_code == 403
    assert client.get("/api/v1/access/products/customers/offers", headers=bob).json() == []
    revoked = client.post(f"/api/v1/access/requests/{request_id}/revoke", json={"reason": "done"}, headers=alice)
    assert revoked.status_code == 200 and revoked.json()[0]["state"] == "REVOKED"
    assert client.get("/api/v1/access/readable", headers=bob).json() == []


def test_deny_and_unknown_ids(client: TestClient, mini_mesh: Path):
    bob, alice = _auth(mini_mesh, "bob"), _auth(mini_mesh, "alice")
    body = {"port": f"{CUSTOMERS}.customers", "purpose": "a quarterly customer count for sales"}
    request_id = client.post("/api/v1/access/requests", json=body, headers=bob).json()["id"]
    assert (
        client.post(f"/api/v1/access/requests/{request_id}/deny", json={"reason": ""}, headers=alice).status_code == 422
    )
    denied = client.post(
        f"/api/v1/access/requests/{request_id}/deny", json={"reason": "ask for the count"}, headers=alice
    )
    assert denied.json()["state"] == "DENIED"
    assert client.post("/api/v1/access/requests/999/deny", json={"reason": "x"}, headers=alice).status_code == 404
    missing = client.post("/api/v1/access/requests", json=body | {"port": "nope.customers"}, headers=bob)
    assert missing.status_code == 404


def test_the_signin_cookie_works_and_a_token_can_be_traded_for_it(client: TestClient, mini_mesh: Path):
    model = load_mesh(mini_mesh / "mesh.yaml").model
    assert model is not None
    client.cookies.set(COOKIE, tokens_for(model, mini_mesh, env={}).issue_token("bob"))
    assert client.get("/api/v1/me").json()["user"] == "bob"
    token = client.post("/api/v1/token", json={"ttlHours": 1}).json()["token"]
    client.cookies.clear()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["user"] == "bob"


def test_ports_and_products_are_named_as_in_queries(client: TestClient, mini_mesh: Path):
    bob, alice = _auth(mini_mesh, "bob"), _auth(mini_mesh, "alice")
    purpose = "a quarterly customer count for sales"
    typo = client.post("/api/v1/access/requests", json={"port": "customer.custmers.customers", "purpose": purpose},
                       headers=bob)  # fmt: skip
    assert typo.status_code == 404
    assert typo.json()["error"]["hint"] == "did you mean customer.customers.customers?"
    no_port = client.post("/api/v1/access/requests", json={"port": "customers", "purpose": purpose}, headers=bob)
    assert no_port.status_code == 422 and "customer.customers.customers" in no_port.json()["error"]["hint"]
    made = client.post("/api/v1/access/requests", json={"port": "customer.customers.customers", "purpose": purpose},
                       headers=bob)  # fmt: skip
    assert made.status_code == 201 and made.json()["dataProduct"] == CUSTOMERS
    for ref in ("customer.customers", "Customers", "customers_v1", CUSTOMERS):  # (a / cannot sit in a path segment)
        answer = client.get(f"/api/v1/access/products/{ref}/grants", headers=alice)
        assert answer.status_code == 200, (ref, answer.text)
