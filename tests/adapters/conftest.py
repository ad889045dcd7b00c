"""Fixtures for the tech adapters: descriptors built in a line, requests, and a throwaway PostgreSQL database.

PostgreSQL tests run against the real server at 127.0.0.1:5432 (user postgres, trust auth) in a database
created for this session and dropped after it; roles are cluster-wide, so each test gets role names with a
random suffix and the session drops them. Without a reachable server those tests are skipped, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from meshplane.adapters.base import ProvisionRequest
from meshplane.spec.model import Component, DataProduct, Mesh

ADMIN_URL = os.environ.get("MESHPLANE_TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


MakeRequest = Callable[..., ProvisionRequest]


@pytest.fixture
def mesh_root(tmp_path: Path) -> Path:
    root = tmp_path / "mesh"
    root.mkdir()
    return root


@pytest.fixture
def make_request(mesh_root: Path) -> MakeRequest:
    """``make_request(dp, previous=…, remove_data=…)`` for the data product's first component."""
    mesh = Mesh.model_validate({"name": "test", "storage": {"root": "storage"}})

    def make(
        dp: DataProduct,
        *,
        previous: DataProduct | Component | None = None,
        component: Component | None = None,
        remove_data: bool = False,
        environment: str = "dev",
    ) -> ProvisionRequest:
        before = previous.components[0] if isinstance(previous, DataProduct) else previous
        return ProvisionRequest(
            dataproduct=dp,
            component=component or dp.components[0],
            environment=environment,
            mesh=mesh,
            mesh_root=mesh_root,
            previous=before,
            remove_data=remove_data,
        )

    return make


# -- PostgreSQL -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh database for this session; its URL."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]>=3.2')")
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL}: {str(exc).strip()}")
    name = f"meshplane_adapters_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for (role,) in admin.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (f"mpt_{name[-8:]}_%",)):
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


@pytest.fixture
def pg_url(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The session database, also as ``MESHPLANE_POSTGRES_URL`` (what the adapter reads by default)."""
    monkeypatch.setenv("MESHPLANE_POSTGRES_URL", pg_database)
    return pg_database


@pytest.fixture
def role_name(pg_database: str) -> Callable[[str], str]:
    """Unique role names (cluster-wide objects) that the session fixture drops at the end."""
    session = pg_database.rsplit("_", 1)[-1]
    test = uuid.uuid4().hex[:6]
    return lambda label: f"mpt_{session}_{test}_{label}"


@pytest.fixture
def pg(pg_url: str) -> Iterator[Any]:
    """An autocommit connection to the session database, for looking at what the adapter did."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn
