"""The gateway facade the CLI and the REST API call: grants from the access service, ports from the registry,
every query audited — answered or refused.

The audit record (action ``query``) names the ports read (or the tables asked for, when refused) and keeps
the SQL, the ports with their table versions and the grants applied, the rows returned, the duration, and
for a refusal its type and reason. Nothing of the result itself is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from meshplane.access import AccessService
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError, UnsupportedError
from meshplane.gateway.core import Gateway, PortDirectory, QueryResult, Trace
from meshplane.gateway.names import AsOf, PortRef
from meshplane.gateway.sandbox import Limits
from meshplane.identity import Identity, load_secret
from meshplane.registry import Registry
from meshplane.spec.ids import ComponentId
from meshplane.spec.model import Mesh

#: Overrides the salt of ``hash`` masks (by default derived from the mesh's token secret).
SALT_ENV = "MESHPLANE_MASK_SALT"
_PORT_KINDS = ("outputPort", "boundaryPort")
_SQL_KEPT = 20_000


def mask_salt(mesh_root: Path) -> str:
    """The salt of ``hash`` masks: ``MESHPLANE_MASK_SALT``, else an HMAC of the mesh's secret — stable, so
    hashed keys join across queries and ports, and not guessable, so a hash cannot be looked up in a list."""
    if os.environ.get(SALT_ENV):
        return os.environ[SALT_ENV]
    return hmac.new(load_secret(mesh_root), b"meshplane gateway mask salt", hashlib.sha256).hexdigest()[:32]


class RegistryPorts(PortDirectory):
    """Ports as the registry knows them: deployed components of kind output or boundary port."""

    def __init__(self, registry: Registry, environment: str) -> None:
        self.registry = registry
        self.environment = environment

    def location(self, ref: PortRef) -> str:
        for component in self.registry.components(ref.dp_id, self.environment):
            if component.kind not in _PORT_KINDS or _port_name(component.component_id) != ref.port:
                continue
            path = (component.info or {}).get("path")
            if component.adapter != "delta" or not path:
                raise UnsupportedError(
                    f"{ref.dp_id} port `{ref.port}` is stored by the `{component.adapter}` adapter; "
                    "the gateway reads Delta ports",
                    hint="read it where it is published (a PostgreSQL port enforces grants as roles and policies)",
                )
            return str(path)
        raise NotFoundError(
            f"{ref.dp_id} port `{ref.port}` is not deployed in {self.environment}", hint="see `meshplane status`"
        )

    def columns(self, ref: PortRef) -> frozenset[str] | None:
        """The columns the deployed contract of ``ref`` declares; None when it declares none (no schema)."""
        deployment = self.registry.deployment(ref.dp_id, self.environment)
        ports = (deployment.descriptor or {}).get("components", []) if deployment else []
        for component in ports:
            if component.get("kind") in _PORT_KINDS and component.get("name") == ref.port:
                names = [c.get("name") for c in (component.get("dataContract") or {}).get("columns", [])]
                return frozenset(n for n in names if n) or None
        return None

    def deployed(self) -> Iterator[PortRef]:
        for deployment in self.registry.deployments(self.environment):
            for component in self.registry.components(deployment.dp_id, self.environment):
                name = _port_name(component.component_id)
                if component.kind in _PORT_KINDS and name is not None:
                    yield PortRef(deployment.dp_id, name)


def _port_name(component_id: str) -> str | None:
    try:
        return ComponentId.parse(component_id).name
    except ValueError:
        return None


class QueryService:
    """Queries for identities of one environment. Keep one per process (it pools sandboxes)."""

    def __init__(
        self,
        registry: Registry,
        access: AccessService,
        environment: str,
        *,
        gateway: Gateway | None = None,
        ports: PortDirectory | None = None,
    ) -> None:
        self.registry = registry
        self.access = access
        self.environment = environment
        self.gateway = gateway or Gateway()
        self.ports = ports or RegistryPorts(registry, environment)

    @classmethod
    def open(cls, registry: Registry, mesh: Mesh, mesh_root: Path, environment: str) -> QueryService:
        access = AccessService(registry, mesh, environment=environment)
        return cls(registry, access, environment, gateway=Gateway(salt=mask_salt(mesh_root)))

    def close(self) -> None:
        self.gateway.close()

    def query(
        self, identity: Identity, sql: str, *, as_of: str | None = None, limits: Limits | None = None
    ) -> QueryResult:
        """Run ``sql`` as ``identity``; the answer or the refusal is audited either way."""
        trace = Trace()
        started = time.perf_counter()
        try:
            moment = _as_of(as_of)
            grants = self.access.effective_grants(identity, self.environment)
            result = self.gateway.run(
                sql, grants, self.ports, environment=self.environment, as_of=moment, limits=limits, trace=trace
            )
        except Exception as exc:
            elapsed = (time.perf_counter() - started) * 1000
            self._audit(identity, sql, trace, elapsed, refused=exc)
            raise
        self._audit(identity, sql, trace, result.duration_ms, result=result)
        return result

    def _audit(
        self,
        identity: Identity,
        sql: str,
        trace: Trace,
        duration_ms: float,
        *,
        result: QueryResult | None = None,
        refused: BaseException | None = None,
    ) -> None:
        names = [r.name for r in trace.reads] or trace.tables
        target = ", ".join(names) or "(no table)"
        details: dict[str, Any] = {
            "environment": self.environment,
            "sql": sql if len(sql) <= _SQL_KEPT else sql[:_SQL_KEPT] + " …",
            "tables": list(trace.tables),
            "ports": [r.to_dict() for r in trace.reads],
            "rows": result.rows if result else 0,
            "truncated": result.truncated if result else None,
            "durationMs": round(duration_ms, 2),
            "dataProduct": identity.data_product,
            "refused": None,
        }
        if refused is not None:
            message = refused.message if isinstance(refused, MeshplaneError) else "unexpected error"
            details["refused"] = {"type": type(refused).__name__, "reason": message}
        self.registry.audit(identity.user, "query", target[:500], details)


def _as_of(text: str | None) -> AsOf | None:
    if not text:
        return None
    moment = AsOf.parse(text)
    if moment.version is not None:
        raise InvalidInputError(
            "--as-of applies to every table, so it takes a date or time, not a table version",
            hint='name a version per table instead: sales.orders."orders@v3"',
        )
    return moment
