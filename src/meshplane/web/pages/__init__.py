"""The marketplace's HTML pages: server-rendered (Jinja2, autoescaped) with htmx for live search and forms.

``router`` holds every page route; the app (``meshplane.web.app``) includes it after the REST API. Pages call
the :class:`~meshplane.marketplace.Marketplace` on ``app.state.marketplace`` and never the registry directly.
``render_error`` draws the HTML error page the web edge uses for requests that are not under ``/api``.

- ``/``, ``/search/results``: search with facets (:mod:`.search`);
- ``/dp/{id}`` and its forms: the self-describing product page (:mod:`.product`);
- ``/lineage``, ``/dp/{id}/lineage``, ``/domains``, ``/domains/{name}``, ``/governance``, ``/overview`` (:mod:`.mesh`);
- ``/signin``, ``/signout`` (:mod:`.signin`); ``/static/…`` (:mod:`.assets`);
- ``/access``, ``/dp/{id}/access``: access requests, decisions and grants (:mod:`.access`);
- ``/query``: SQL over the ports you are granted, through the query gateway (:mod:`.query`);
- ``/docs``: the REST API reference, drawn from the OpenAPI document (:mod:`.apidocs`).
"""

from fastapi import APIRouter

from meshplane.web.pages import access, apidocs, assets, mesh, product, query, search, signin
from meshplane.web.pages.rendering import render, render_error, templates

router = APIRouter(include_in_schema=False)
for _module in (assets, search, product, mesh, signin, access, query, apidocs):
    router.include_router(_module.router)

__all__ = ["render", "render_error", "router", "templates"]
