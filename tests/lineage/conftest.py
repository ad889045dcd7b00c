"""Fixtures for the lineage tests: one small demo mesh per session, its workspace, and the input schemas of
every SQL workload — taken from the upstream contracts, or read from the source files and the SQLite CRM
(independently of the code under test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, Response
from lineage_helpers import Workload, demo_workloads

from meshplane.demo import write_demo
from meshplane.spec.workspace import Workspace, open_workspace
from support.servers import running


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lineage") / "acme"
    write_demo(root, customers=500)
    return root


@pytest.fixture(scope="session")
def demo_ws(demo_root: Path) -> Workspace:
    return open_workspace(demo_root)


@pytest.fixture(scope="session")
def workloads(demo_ws: Workspace) -> dict[str, Workload]:
    return {w.id: w for w in demo_workloads(demo_ws)}


@dataclass
class Collector:
    """What a fake lineage server received, and how it should answer the next requests."""

    url: str
    received: list[dict[str, object]]
    requests: int = 0
    #: Status codes for the next requests, in order; then 201.
    script: list[int] | None = None
    delay: float = 0.0


@pytest.fixture
def lineage_server() -> Iterator[Collector]:
    """A real HTTP server (uvicorn on 127.0.0.1) with Marquez's ``POST /api/v1/lineage``."""
    import asyncio

    app = FastAPI()
    state: dict[str, Collector] = {}

    @app.post("/api/v1/lineage")
    async def lineage(request: Request) -> Response:
        collector = state["c"]
        collector.requests += 1
        if collector.delay:
            await asyncio.sleep(collector.delay)
        if collector.script:
            code = collector.script.pop(0)
            if code >= 300:
                return Response(f"scripted {code}", status_code=code)
        assert request.headers["content-type"].startswith("application/json")
        collector.received.append(await request.json())
        return Response(status_code=201)

    with running(app) as url:
        state["c"] = Collector(url, [])
        yield state["c"]


@pytest.fixture
def free_url() -> Callable[[], str]:
    """A URL nothing listens on (a port bound and closed again)."""

    def make() -> str:
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        return f"http://127.0.0.1:{port}"

    return make
