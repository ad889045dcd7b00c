"""Fixtures for the marketplace's pages: a deployed and run demo mesh per module, the app over it (in-process
and served on a real port), and Debian's Chromium driven by Playwright, with screenshots kept as artifacts.

The browser is skipped only when Chromium is missing *and* ``CI`` is unset: in CI (``make test`` installs
Chromium) a missing browser is a failure, not a silent skip.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from support.demo_mesh import build_demo
from support.servers import running

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("MESHPLANE_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))
SCREENSHOTS = ARTIFACTS / "screenshots"

C360 = "urn:dmb:dp:marketing:customer_360:1"
MASTER = "urn:dmb:dp:customer:customer_master:1"


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("web") / "acme")


@pytest.fixture(scope="module")
def app(demo_root: Path) -> Iterator[FastAPI]:
    from meshplane.web.app import create_app

    made = create_app(demo_root, environment=None)
    yield made
    made.state.registry.close()


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def signed_in(app: FastAPI) -> Callable[[str], TestClient]:
    """A fresh client signed in as a mesh user through the sign-in page (so the cookie is the real one)."""
    made: list[TestClient] = []

    def sign_in(user: str) -> TestClient:
        c = TestClient(app)
        made.append(c)
        r = c.post("/signin", data={"user": user, "next": "/"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        return c

    yield sign_in
    for c in made:
        c.close()


@pytest.fixture(scope="module")
def live_url(app: FastAPI) -> Iterator[str]:
    with running(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is missing at {CHROMIUM}; `make browser` installs it (required in CI)")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (run `make browser`); browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``shot(page, "name")`` saves a full-page screenshot as ``<test>-<name>.png`` under the artifacts."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)

    def take(target: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{prefix}-{name}.png"
        target.screenshot(path=str(path), full_page=True)
        return path

    return take
