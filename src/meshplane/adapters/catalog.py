"""Which tech adapter provisions a component: an explicit registry, extended by entry points.

Third parties add adapters through the ``meshplane.tech_adapters`` entry-point group (name → class). The
built-ins are registered the same way in our own package metadata, so they load exactly like plugins; the
:data:`BUILTINS` dict below is the fallback for when the package metadata does not list them (a source
checkout that was not reinstalled). A plugin may not take a built-in's name.

A component names its adapter in ``infrastructureTemplateId`` (a plain name, or Witboost's
``urn:dmb:itm:<name>:<version>``) or ``platform``; otherwise its kind decides. Adapter modules are
imported on first use, so the PostgreSQL driver is only needed by meshes that use it.

>>> DEFAULT_FOR_KIND["outputPort"]
'delta'
"""

from __future__ import annotations

import threading
import warnings
from importlib.metadata import EntryPoint, entry_points

from meshplane.adapters.base import TechAdapter
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError, UnsupportedError
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.model import Component, Mesh, RemoteTechAdapter

GROUP = "meshplane.tech_adapters"

#: The built-in adapters, as their entry points spell them (``pyproject.toml`` lists the same).
BUILTINS: dict[str, str] = {
    "delta": "meshplane.adapters.delta:DeltaStorageAdapter",
    "postgres": "meshplane.adapters.postgres:PostgresAdapter",
    "meshplane": "meshplane.adapters.registry_only:RegistryOnlyAdapter",
}

DEFAULT_FOR_KIND: dict[str, str] = {
    "outputPort": "delta",
    "boundaryPort": "delta",
    "inputPort": "meshplane",
    "workload": "meshplane",
    "storageArea": "meshplane",
    "observability": "meshplane",
}

#: What to install when a driver is missing, by top-level module name.
_DRIVERS = {"psycopg": "psycopg[binary]>=3.2", "psycopg_binary": "psycopg[binary]>=3.2", "deltalake": "deltalake>=1.0"}

_lock = threading.Lock()
_loaded: dict[str, TechAdapter] = {}


def available() -> dict[str, EntryPoint]:
    """Every adapter by name: installed entry points, plus built-ins the metadata does not list."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        if ep.name in BUILTINS and ep.value != BUILTINS[ep.name]:
            warnings.warn(
                f"ignoring the tech adapter plugin `{ep.name}` ({ep.value}): the name belongs to a built-in",
                stacklevel=2,
            )
            continue
        found.setdefault(adapter_name(ep.name), ep)
    for name, value in BUILTINS.items():
        found.setdefault(name, EntryPoint(name=name, value=value, group=GROUP))
    return found


def adapter_name(text: str) -> str:
    """``urn:dmb:itm:postgres:1`` → ``postgres``; names are case-insensitive.

    >>> adapter_name("urn:dmb:itm:Delta:2")
    'delta'
    """
    name = text.strip()
    if name.lower().startswith("urn:dmb:itm:"):
        name = name[len("urn:dmb:itm:") :].split(":", 1)[0]
    return name.lower()


def get_adapter(name: str) -> TechAdapter:
    """The adapter registered under ``name`` (one shared instance per name)."""
    key = adapter_name(name)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        known = available()
        ep = known.get(key)
        if ep is None:
            raise NotFoundError(
                f"no tech adapter named `{name}`",
                hint=did_you_mean(key, known) or "installed adapters: " + ", ".join(sorted(known)),
            )
        adapter = _instantiate(ep)
        _loaded[key] = adapter
        return adapter


def remote_adapter(config: RemoteTechAdapter) -> TechAdapter:
    """The remote adapter mesh.yaml declares (one shared client per name and URL)."""
    key = f"remote:{adapter_name(config.name)}:{config.url}"
    with _lock:
        if key not in _loaded:
            from meshplane.adapters.remote import RemoteConfig  # httpx only when a mesh uses a remote adapter

            _loaded[key] = RemoteConfig.model_validate(config.to_data()).adapter()
        return _loaded[key]


def adapter_for(component: Component, mesh: Mesh | None = None) -> TechAdapter:
    """The adapter the component names (``infrastructureTemplateId``, then ``platform``) — a remote one
    declared in ``mesh.yaml`` first, then an installed one — else its kind's default; refuses an adapter
    that does not provision this kind of component."""
    chosen = component.infrastructure_template_id or component.platform
    if not chosen:
        return get_adapter(DEFAULT_FOR_KIND[component.kind])
    field = "infrastructureTemplateId" if component.infrastructure_template_id else "platform"
    declared = next(
        (t for t in (mesh.tech_adapters if mesh else []) if adapter_name(t.name) == adapter_name(chosen)), None
    )
    try:
        adapter = remote_adapter(declared) if declared is not None else get_adapter(chosen)
    except NotFoundError as exc:
        raise NotFoundError(f"component `{component.name}`: {field}: {exc.message}", hint=exc.hint) from None
    if component.kind not in adapter.kinds:
        raise InvalidInputError(
            f"component `{component.name}`: the `{adapter.name}` adapter provisions "
            + ", ".join(sorted(adapter.kinds))
            + f", not {component.kind}",
            hint=f"remove `{field}` to use the default ({DEFAULT_FOR_KIND[component.kind]}), or name another adapter",
        )
    return adapter


def clear_cache() -> None:
    """Forget loaded adapters (tests install plugins at run time)."""
    with _lock:
        _loaded.clear()


def _instantiate(ep: EntryPoint) -> TechAdapter:
    try:
        target = ep.load()
    except ImportError as exc:
        module = (exc.name or "").split(".")[0]
        driver = _DRIVERS.get(module)
        hint = f"pip install '{driver}'" if driver else "reinstall the package that provides it"
        raise UnsupportedError(f"the `{ep.name}` tech adapter cannot load: {exc}", hint=hint) from exc
    adapter = target() if isinstance(target, type) else target
    if not isinstance(adapter, TechAdapter):
        raise MeshplaneError(
            f"`{ep.value}` (tech adapter `{ep.name}`) does not implement the TechAdapter protocol",
            hint="see meshplane.adapters.base.TechAdapter",
        )
    if adapter_name(adapter.name) != adapter_name(ep.name):
        raise MeshplaneError(
            f"the entry point `{ep.name}` loads an adapter that calls itself `{adapter.name}`",
            hint="make the entry-point name and the adapter's `name` agree",
        )
    return adapter
