"""The access pages as a person uses them (in-process through httpx, HTML read with the standard parser): ask
on the product's access page, decide on /access as an owner, see what you may read."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from meshplane.cli.app import main
from meshplane.identity import tokens_for
from meshplane.spec.loader import load_mesh
from meshplane.web.app import create_app
from meshplane.web.auth import COOKIE

CUSTOMERS = "urn:dmb:dp:customer:customers:1"


def marked(html: str, testid: str) -> str | None:
    """The text of the element marked ``data-testid=testid`` (None when there is none)."""

    class Find(HTMLParser):
        depth = 0
        text: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if self.text is None and ("data-testid", testid) in attrs:
                self.text, self.depth = [], 1
            elif self.text is not None and self.depth:
                self.depth += tag not in ("input", "br", "img", "meta", "link")

        def handle_endtag(self, tag: str) -> None:
            if self.text is not None and self.depth:
                self.depth -= 1

        def handle_data(self, data: str) -> None:
            if self.text is not None and self.depth:
                self.text.append(data)

    finder = Find()
    finder.feed(html)
    return unescape(" ".join(finder.text)) if finder.text is not None else None


@pytest.fixture
def app_mesh(mini_mesh: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Path]]:
    monkeypatch.delenv("MESHPLANE_REGISTRY_URL", raising=False)
    monkeypatch.setenv("MESHPLANE_USER", "alice")
    assert main(["deploy", "customers", "--mesh", str(mini_mesh), "-f", "json"]) == 0
    with TestClient(create_app(mini_mesh), follow_redirects=False) as c:
        yield c, mini_mesh


def _as(client: TestClient, mesh: Path, user: str) -> None:
    model = load_mesh(mesh / "mesh.yaml").model
    assert model is not None
    client.cookies.set(COOKIE, tokens_for(model, mesh, env={}).issue_token(user))


def test_anonymous_visitors_are_asked_to_sign_in(app_mesh: tuple[TestClient, Path]):
    client, _ = app_mesh
    page = client.get(f"/dp/{CUSTOMERS}/access").text
    assert "to request access" in page and marked(page, "request-form") is None
    assert client.get("/access").status_code == 303


def test_request_decide_and_read(app_mesh: tuple[TestClient, Path]):
    client, mesh = app_mesh
    _as(client, mesh, "bob")
    form = client.get("/dp/customers/access")
    assert form.status_code == 200 and 'data-testid="request-form"' in form.text and "PII: email" in form.text
    short = client.post("/dp/customers/access", data={"port": "customers", "purpose": "x", "requester": "me"})
    assert short.status_code == 422 and "what the data is for" in short.text
    sent = client.post(
        "/dp/customers/access", data={"port": "customers", "purpose": "count customers per region", "requester": "me"}
    )
    assert sent.status_code == 303 and "request+1+sent" in sent.headers["location"]

    _as(client, mesh, "alice")
    decide = marked(client.get("/access").text, "decide-1")
    assert decide is not None and "count customers per region" in decide
    bad = client.post("/access/requests/1/approve", data={"filter": "email = (SELECT 1)", "next": "/access"})
    assert bad.status_code == 422 and "subquery" in bad.text
    approved = client.post(
        "/access/requests/1/approve",
        data={"filter": "customer_id LIKE 'C%'", "mask": ["customer_id=hash", "email=none"], "next": "/access"},
    )
    assert approved.status_code == 303 and "request+1+approved" in approved.headers["location"]
    owner_view = client.get("/dp/customers/access").text
    assert 'data-testid="grants"' in owner_view and "customer_id=hash" in owner_view

    _as(client, mesh, "bob")
    readable = marked(client.get("/access").text, "readable")
    assert readable is not None
    assert "\"customer_id\" LIKE 'C%'" in readable and "email=redact" in readable
    assert client.post("/access/requests/1/deny", data={"reason": "no"}).status_code == 403


def test_an_outsider_cannot_decide(app_mesh: tuple[TestClient, Path]):
    client, mesh = app_mesh
    _as(client, mesh, "bob")
    client.post("/dp/customers/access", data={"port": "customers", "purpose": "count customers per region"})
    refused = client.post("/access/requests/1/approve", data={})
    assert refused.status_code == 403 and "only the owners" in refused.text
