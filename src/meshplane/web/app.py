"""The marketplace web app: the REST API under ``/api/v1`` (OpenAPI at ``/docs``) and the HTML pages, over one
mesh's registry in one environment.

``create_app`` opens what the routers share and puts it on ``app.state``: ``registry``, ``mesh`` (the model of
``mesh.yaml``), ``mesh_root``, ``environment`` and ``marketplace``. Other services build themselves lazily from
these. A registry passed in stays the caller's to close; one opened here is closed when the app shuts down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from meshplane import __version__
from meshplane.errors import InvalidInputError
from meshplane.marketplace import Marketplace
from meshplane.provisioning.context import environment as pick_environment
from meshplane.provisioning.context import registry_url
from meshplane.registry import Registry
from meshplane.spec.loader import MESH_FILE, load_mesh
from meshplane.spec.model import Mesh
from meshplane.web import errors, pages
from meshplane.web.api import access, market, query

TAGS = [
    {"name": "products", "description": "Find data products and read what they are"},
    {"name": "ports", "description": "Output ports: schema, data contract, sample rows"},
    {"name": "quality", "description": "Runs and the contract checks they made"},
    {"name": "lineage", "description": "Where data comes from and goes to, across data products"},
    {"name": "mesh", "description": "Domains, governance, polysemes and value metrics"},
    {"name": "reviews", "description": "Ratings, reviews, questions and answers"},
    {"name": "access", "description": "Access requests, decisions, grants and tokens"},
    {"name": "query", "description": "Run SQL on the output ports you are granted, filters and masks applied"},
]


def _mesh(root: Path) -> Mesh:
    loaded = load_mesh(root / MESH_FILE)
    if loaded.model is None or not loaded.ok:
        first = "; ".join(d.message for d in loaded.diagnostics[:3]) or "it does not load"
        raise InvalidInputError(
            f"{root / MESH_FILE} cannot be served: {first}",
            loaded.diagnostics,
            hint="run `meshplane validate` in the mesh folder and fix what it reports",
        )
    return loaded.model


def create_app(mesh_root: Path, *, environment: str | None = "dev", registry: Registry | None = None) -> FastAPI:
    """The marketplace app over the mesh in ``mesh_root``. ``environment`` None means the mesh's first."""
    root = Path(mesh_root).resolve()
    mesh = _mesh(root)
    env = pick_environment(mesh, environment)
    owned = registry is None
    store = registry if registry is not None else Registry.open(registry_url(mesh, root), base=root)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.marketplace.warm_up()  # the first search need not wait for the index
        try:
            yield
        finally:
            app.state.marketplace.close()  # stops a running policy check
            service = getattr(app.state, "query_service", None)
            if service is not None:
                service.close()  # the gateway's pooled DuckDB databases
            if owned:
                store.close()

    app = FastAPI(
        title=f"Meshplane marketplace — {mesh.name}",
        version=__version__,
        description="Find, understand and trust the data products of the mesh. Reads are public; writes "
        "need `Authorization: Bearer <token>` (`meshplane token issue USER`).",
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # FastAPI's Swagger UI loads from a CDN; /docs is the marketplace's own page
        redoc_url=None,
    )
    app.state.registry = store
    app.state.mesh = mesh
    app.state.mesh_root = root
    app.state.environment = env
    app.state.marketplace = Marketplace(store, mesh, root, env)
    errors.install(app)
    for router in (market.router, access.router, query.router, pages.router):
        app.include_router(router)
    return app
