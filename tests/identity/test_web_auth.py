"""The FastAPI dependencies: bearer header over cookie, 401 for bad tokens, signed-out for a stale cookie."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from identity_kit import small_mesh

from meshplane.errors import AuthenticationError
from meshplane.identity import Identity, tokens_for
from meshplane.web.auth import COOKIE, current_identity, optional_identity, signin_cookie


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    app = FastAPI()
    app.state.mesh, app.state.mesh_root = small_mesh(), tmp_path

    @app.exception_handler(AuthenticationError)
    def _401(_: Request, exc: AuthenticationError) -> JSONResponse:
        return JSONResponse({"message": exc.message, "hint": exc.hint}, status_code=401)

    @app.get("/me")
    def me(identity: Identity = Depends(current_identity)) -> dict[str, object]:
        return identity.to_dict()

    @app.get("/maybe")
    def maybe(identity: Identity | None = Depends(optional_identity)) -> dict[str, object]:
        return {"user": identity.user if identity else None}

    @app.post("/signin/{user}")
    def signin(request: Request, response: Response, user: str) -> dict[str, object]:
        return signin_cookie(request, response, user).to_dict()

    return TestClient(app)


def _token(root: Path, user: str, ttl: timedelta = timedelta(minutes=5)) -> str:
    return tokens_for(small_mesh(), root, env={}).issue_token(user, ttl)


def test_bearer_header_and_cookie(client: TestClient, tmp_path: Path):
    assert client.get("/me").status_code == 401
    header = {"Authorization": f"Bearer {_token(tmp_path, 'tom')}"}
    assert client.get("/me", headers=header).json()["user"] == "tom"
    signed = client.post("/signin/sam")
    assert signed.json()["user"] == "sam"
    cookie = signed.headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE}=") and "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/me").json()["user"] == "sam"
    assert client.get("/me", headers=header).json()["user"] == "tom"  # the header wins
    assert client.post("/signin/mallory").status_code == 401


def test_optional_identity_is_none_for_anonymous_and_stale_cookies(client: TestClient, tmp_path: Path):
    assert client.get("/maybe").json() == {"user": None}
    client.cookies.set(COOKIE, "garbage")
    assert client.get("/maybe").json() == {"user": None}
    bad = client.get("/maybe", headers={"Authorization": "Bearer garbage"})
    assert bad.status_code == 401 and "not a JWT" in bad.json()["message"]
