"""A tech adapter that is a remote Witboost "specific provisioner", spoken to over HTTP.

The Witboost ecosystem has many such services (one per technology, each a small web service); with this
class they provision Meshplane components unchanged. Each operation sends the Tech Adapter interface's
``COMPONENT_DESCRIPTOR`` request — the whole data product in the Data Product Specification (DPS) shape,
written by the DPS codec, plus ``componentIdToProvision`` — and follows the answer: ``200`` is the result,
``202`` a token to poll ``/v1/provision/{token}/status`` with until it is no longer ``RUNNING``.

**Nothing raises out of** ``validate``, ``provision``, ``unprovision`` and ``update_acl``: refusals (4xx
``RequestValidationError``), failures (5xx ``SystemError``), an unreachable server and a timeout all become
a ``FAILED`` result whose logs carry the server's message, problems and solutions, or a hint naming the URL.
Only ``reverse_provision``, whose protocol returns a plain dict, raises (:class:`RemoteError`).

**Names and capabilities per instance.** The :class:`~meshplane.adapters.base.TechAdapter` protocol keeps
``name``, ``kinds`` and the ``supports_*`` flags as class variables, so the coordinator can plan from the
class. A remote adapter's name comes from configuration, so :meth:`RemoteAdapter.named` makes (and caches)
a subclass per name carrying those class variables; :func:`remote_adapter` and :meth:`RemoteConfig.adapter`
do that in one step::

    orders_pg = remote_adapter("pg-provisioner", "http://pg-provisioner:8888", kinds=["outputPort"])
    assert isinstance(orders_pg, TechAdapter) and orders_pg.name == "pg-provisioner"
"""

from __future__ import annotations

import json
import os
import ssl
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, ClassVar, Literal, TypeVar, cast

import httpx
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from meshplane.adapters import remote_wire as wire
from meshplane.adapters.base import Operation, ProvisionRequest, ProvisionResult, ProvisionStatus, Validation
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError, UnsupportedError
from meshplane.spec.codecs.common import to_yaml
from meshplane.spec.codecs.dps_write import write_product
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.model import API_VERSION, COMPONENT_KINDS, DataProduct

__all__ = ["RemoteAdapter", "RemoteConfig", "RemoteError", "remote_adapter"]

S = TypeVar("S", bound=wire.StatusBody)
M = TypeVar("M", bound=wire.Wire)

#: DPS component kinds, as Witboost configuration names them, → native kinds.
_DPS_KINDS = {"outputport": "outputPort", "storage": "storageArea", "workload": "workload"}
Dialect = Literal["dps", "native"]


class RemoteError(MeshplaneError):
    """A remote tech adapter refused or failed reverse provisioning; ``logs`` has what it said."""

    def __init__(self, message: str, logs: Sequence[str] = (), *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.logs = list(logs)


class _Failed(Exception):
    """Stops an operation; the public methods turn it into a FAILED result (never seen outside)."""

    def __init__(
        self, logs: list[str], *, token: str | None = None, status_code: int | None = None, transient: bool = False
    ) -> None:
        super().__init__("; ".join(logs))
        self.logs = logs
        self.token = token
        self.status_code = status_code
        #: Connection trouble while polling is retried until the deadline; refusals are not.
        self.transient = transient


class RemoteAdapter:
    """A remote specific provisioner behind the Witboost Tech Adapter interface.

    Use :meth:`named` (or :func:`remote_adapter`) to give it a name and kinds; the base class serves no
    kinds. ``max_wait`` bounds how long an asynchronous (202) operation is polled: past it the result is
    FAILED, keeps the token, and :meth:`wait` can resume. ``dialect="native"`` sends the Meshplane
    descriptor instead of DPS, for Meshplane's own server when nothing must be lost in translation.
    """

    name: ClassVar[str] = "remote"
    kinds: ClassVar[frozenset[str]] = frozenset()
    #: Witboost provisioning is an idempotent upsert: provisioning again updates in place.
    supports_update: ClassVar[bool] = True
    supports_acl: ClassVar[bool] = True
    #: Optional in the interface and rarely implemented, hence off unless configured.
    supports_reverse: ClassVar[bool] = False

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        poll_interval: float = 1.0,
        max_wait: float = 600.0,
        dialect: Dialect = "dps",
        use_case_template_id: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInputError(
                f"tech adapter `{self.name}`: `{base_url}` is not an HTTP URL", hint="write it as http://host:port"
            )
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.max_wait = max_wait
        self.dialect: Dialect = dialect
        self.use_case_template_id = use_case_template_id
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout, headers=headers, transport=transport, verify=_ssl_context()
        )
        #: The result message of each component's last provisioning, which ``updateacl`` sends back.
        self._results: dict[str, str] = {}

    @classmethod
    def named(
        cls,
        name: str,
        kinds: Iterable[str],
        *,
        supports_update: bool = True,
        supports_acl: bool = True,
        supports_reverse: bool = False,
    ) -> type[RemoteAdapter]:
        """The subclass for the adapter called ``name`` (the same class for the same arguments).

        ``kinds`` are native (``outputPort``) or DPS (``outputport``, ``storage``) component kinds.
        """
        native = frozenset(_native_kind(kind, name) for kind in kinds)
        return _subclass(cls, name, native, supports_update, supports_acl, supports_reverse)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the protocol ------------------------------------------------------------------------------------

    def validate(self, request: ProvisionRequest) -> Validation:
        body = self._provisioning_request(request).body()
        try:
            try:
                result = self._parse(self._send("POST", wire.VALIDATE, body), wire.ValidationResult, wire.VALIDATE)
            except _Failed as exc:
                if exc.status_code not in (404, 405):
                    raise
                # Only the asynchronous v2 validation is implemented there.
                status, _ = self._operate(wire.VALIDATE_ASYNC, body, wire.VALIDATE_STATUS, wire.ValidationStatus)
                if status.info is None:
                    raise _Failed([f"validation {status.status.value} on tech adapter `{self.name}`"]) from exc
                result = status.info.public_info
        except _Failed as exc:
            return Validation(False, exc.logs)
        if result.valid:
            return Validation(True)
        errors = result.error.errors if result.error else []
        reason = f"tech adapter `{self.name}` found the component invalid, without a reason"
        return Validation(False, errors or [reason])

    def plan(self, request: ProvisionRequest) -> Operation:
        """The interface has no plan call: first deploy creates, a changed component is updated in place."""
        if request.previous is None:
            return Operation.CREATE
        return Operation.NOOP if request.previous == request.component else Operation.UPDATE

    def provision(self, request: ProvisionRequest) -> ProvisionResult:
        result = self._provisioning(wire.PROVISION, request)
        if result.ok:
            self._results[request.component_id] = "\n".join(result.logs) or result.status.value
        return result

    def unprovision(self, request: ProvisionRequest) -> ProvisionResult:
        return self._provisioning(wire.UNPROVISION, request)

    def update_acl(self, request: ProvisionRequest, principals: Sequence[str]) -> ProvisionResult:
        """Grant read access to exactly ``principals`` (mesh groups are sent as ``group:…``, others ``user:…``).

        ``provisionInfo.result`` is the message of this instance's last provisioning of the component, or
        empty when it provisioned nothing in this process: the interface wants it, adapters rarely read it.
        """
        descriptor = json.dumps(self._descriptor(request), default=str)
        acl = wire.UpdateAclRequest(
            refs=[wire.to_ref(p, request.mesh) for p in principals],
            provision_info=wire.ProvisionInfo(request=descriptor, result=self._results.get(request.component_id, "")),
        )
        return self._status_call(wire.UPDATE_ACL, acl.body())

    def reverse_provision(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Field updates for a component's descriptor (``{"spec.mesh.description": …}``) from the remote side.

        ``params`` may carry ``useCaseTemplateId``, ``environment`` and ``catalogInfo``; the rest is sent as
        the request's ``params``. Raises :class:`RemoteError` when the remote side refuses or fails.
        """
        if not self.supports_reverse:
            raise UnsupportedError(
                f"tech adapter `{self.name}` is not configured for reverse provisioning",
                hint="set `supportsReverse: true` on it if the remote service implements it",
            )
        rest = dict(params)
        template = rest.pop("useCaseTemplateId", None) or self.use_case_template_id
        environment = rest.pop("environment", None)
        catalog = rest.pop("catalogInfo", None)
        if not template or not environment:
            needed = (("useCaseTemplateId", template), ("environment", environment))
            missing = " and ".join(key for key, value in needed if not value)
            raise InvalidInputError(f"reverse provisioning on `{self.name}` needs {missing}", hint=f"pass {missing}")
        body = wire.ReverseProvisioningRequest(
            use_case_template_id=str(template), environment=str(environment), params=rest, catalog_info=catalog
        ).body()
        try:
            status, _ = self._operate(wire.REVERSE, body, wire.REVERSE_STATUS, wire.ReverseProvisioningStatus)
        except _Failed as exc:
            raise RemoteError(f"reverse provisioning failed on tech adapter `{self.name}`", exc.logs) from exc
        if status.status is not ProvisionStatus.COMPLETED:
            logs = [_log_line(log) for log in status.logs or []]
            raise RemoteError(f"reverse provisioning {status.status.value} on tech adapter `{self.name}`", logs)
        return dict(status.updates)

    # -- asynchronous operations -------------------------------------------------------------------------

    def wait(self, token: str, *, max_wait: float | None = None) -> ProvisionResult:
        """Poll a provisioning token again, e.g. one a FAILED result kept after ``max_wait`` ran out."""
        try:
            status = self._poll(wire.PROVISION_STATUS, token, wire.ProvisioningStatus, max_wait)
        except _Failed as exc:
            return ProvisionResult(ProvisionStatus.FAILED, logs=exc.logs, token=exc.token or token)
        return _result(status, token)

    # -- requests ----------------------------------------------------------------------------------------

    def _descriptor(self, request: ProvisionRequest) -> dict[str, Any]:
        """``dataProduct`` and ``componentIdToProvision``: the ``COMPONENT_DESCRIPTOR`` shape."""
        return {
            "dataProduct": self._product(request.dataproduct, request.environment),
            "componentIdToProvision": request.component_id,
        }

    def _product(self, dp: DataProduct, environment: str) -> dict[str, Any]:
        if self.dialect == "native":
            # No `environment`: the native model has no such field, and the server knows its own.
            return {"apiVersion": API_VERSION, **dp.to_data()}
        product = write_product(dp)
        # Witboost puts the target environment in the product; place it where its descriptors have it.
        if "environment" in product:
            product["environment"] = environment
            return product
        out: dict[str, Any] = {}
        for key, value in product.items():
            out[key] = value
            if key == "version":
                out["environment"] = environment
        out.setdefault("environment", environment)
        return out

    def _provisioning_request(self, request: ProvisionRequest) -> wire.ProvisioningRequest:
        latest = None
        if request.previous is not None:
            # The product as last deployed: the same, with the component as it was then.
            dp = request.dataproduct
            was = [request.previous if dp.component_id(c) == request.component_id else c for c in dp.components]
            latest = to_yaml(self._product(dp.model_copy(update={"components": was}), request.environment))
        return wire.ProvisioningRequest(
            descriptor_kind=wire.DescriptorKind.COMPONENT_DESCRIPTOR,
            descriptor=to_yaml(self._descriptor(request)),
            latest_enriched_descriptor=latest,
            remove_data=request.remove_data,
        )

    def _provisioning(self, path: str, request: ProvisionRequest) -> ProvisionResult:
        return self._status_call(path, self._provisioning_request(request).body())

    def _status_call(self, path: str, body: dict[str, Any]) -> ProvisionResult:
        try:
            status, token = self._operate(path, body, wire.PROVISION_STATUS, wire.ProvisioningStatus)
        except _Failed as exc:
            return ProvisionResult(ProvisionStatus.FAILED, logs=exc.logs, token=exc.token)
        return _result(status, token)

    def _operate(self, path: str, body: dict[str, Any], status_path: str, model: type[S]) -> tuple[S, str | None]:
        """POST ``body``; a 200 answer is the outcome, a 202 answer a token to poll ``status_path`` with."""
        response = self._send("POST", path, body)
        if response.status_code == 202:
            token = self._token(response, path)
            return self._poll(status_path, token, model, None), token
        if response.status_code == 200:
            return self._parse(response, model, path), None
        raise _Failed([f"tech adapter `{self.name}` answered POST {path} with an unexpected {response.status_code}"])

    def _poll(self, status_path: str, token: str, model: type[S], max_wait: float | None) -> S:
        limit = self.max_wait if max_wait is None else max_wait
        path = status_path.format(token=token)
        deadline = time.monotonic() + limit
        trouble: list[str] = []
        while True:
            try:
                status = self._parse(self._send("GET", path), model, path)
                if status.status is not ProvisionStatus.RUNNING:
                    return status
                trouble = []
            except _Failed as exc:
                if not exc.transient:
                    exc.token = token
                    raise
                trouble = exc.logs
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Failed(
                    [
                        f"gave up after waiting {limit:g}s for tech adapter `{self.name}`: the operation may still be "
                        f"RUNNING there (token {token})",
                        f"hint: poll again with RemoteAdapter.wait({token!r}), GET {self.base_url}{path}, "
                        "or raise `max_wait`",
                        *trouble,
                    ],
                    token=token,
                )
            time.sleep(min(self.poll_interval, remaining))

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        where = f"tech adapter `{self.name}` at {self.base_url}"
        try:
            response = self._http.request(method, path, json=body)
        except httpx.ConnectError as exc:
            raise _Failed(
                [
                    f"cannot reach {where}: {_reason(exc)}",
                    f"hint: check that the tech adapter is running and listening on {self.base_url} "
                    "(Meshplane's own starts with `meshplane adapter serve`)",
                ],
                transient=True,
            ) from exc
        except httpx.TimeoutException as exc:
            raise _Failed(
                [
                    f"{where} did not answer {method} {path} within {self.timeout:g}s",
                    "hint: it may be overloaded or stuck; raise `timeout` if it is just slow",
                ],
                transient=True,
            ) from exc
        except httpx.HTTPError as exc:
            raise _Failed([f"{method} {self.base_url}{path} failed: {_reason(exc)}"], transient=True) from exc
        if response.status_code >= 400:
            verb = "refused" if response.status_code < 500 else "failed on"
            lines = [f"{where} {verb} {method} {path} ({response.status_code})", *wire.error_lines(_json(response))]
            raise _Failed(lines, status_code=response.status_code)
        return response

    def _parse(self, response: httpx.Response, model: type[M], path: str) -> M:
        data = _json(response)
        try:
            return model.model_validate(data)
        except PydanticValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "the body"
            raise _Failed(
                [
                    f"tech adapter `{self.name}` answered {path} with a {model.__name__} that does not follow the "
                    f"Witboost interface: {where}: {first['msg']}",
                    f"body: {str(data)[:300]}",
                ]
            ) from exc

    def _token(self, response: httpx.Response, path: str) -> str:
        data = _json(response)
        token = data.get("token") if isinstance(data, dict) else data
        if not isinstance(token, str) or not token.strip():
            raise _Failed([f"tech adapter `{self.name}` answered POST {path} with 202 but no token: {str(data)[:200]}"])
        return token.strip()


def _result(status: wire.ProvisioningStatus, token: str | None) -> ProvisionResult:
    """Public values (``{type, label, value}`` unwrapped) overlaid with private ones: Meshplane servers put
    the adapter's own ``info`` in ``privateInfo``, so it comes back exactly."""
    info: dict[str, Any] = {}
    if status.info is not None:
        for key, value in status.info.public_info.items():
            info[key] = value["value"] if isinstance(value, dict) and "value" in value else value
        info.update(status.info.private_info)
    logs = [_log_line(log) for log in status.logs or []]
    if status.result and not any(status.result in line for line in logs):
        logs.append(status.result)
    return ProvisionResult(status.status, info=info, logs=logs, token=token)


def _log_line(log: wire.Log) -> str:
    prefix = f"{log.level}: " if log.level in ("WARNING", "ERROR") else ""
    phase = f"[{log.phase}] " if log.phase else ""
    return f"{phase}{prefix}{log.message}"


@cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying context for every client: building it reads the CA bundle, ~0.1 s each time."""
    return httpx.create_ssl_context()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    return "connection refused" if "refused" in text.lower() or "errno 111" in text.lower() else text


def _native_kind(kind: str, adapter: str) -> str:
    native = _DPS_KINDS.get(kind.lower(), kind)
    if native not in COMPONENT_KINDS:
        hint = did_you_mean(kind, COMPONENT_KINDS) or f"use one of {', '.join(COMPONENT_KINDS)}"
        raise InvalidInputError(f"tech adapter `{adapter}`: unknown component kind `{kind}`", hint=hint)
    return native


_CLASSES: dict[tuple[object, ...], type[RemoteAdapter]] = {}
_CLASSES_LOCK = threading.Lock()


def _subclass(
    base: type[RemoteAdapter], name: str, kinds: frozenset[str], update: bool, acl: bool, reverse: bool
) -> type[RemoteAdapter]:
    """One class per configuration, so ``type(a) is type(b)`` for two clients of the same adapter."""
    key = (base, name, kinds, update, acl, reverse)
    with _CLASSES_LOCK:
        if key not in _CLASSES:
            _CLASSES[key] = _make_subclass(base, name, kinds, update, acl, reverse)
        return _CLASSES[key]


def _make_subclass(
    base: type[RemoteAdapter], name: str, kinds: frozenset[str], update: bool, acl: bool, reverse: bool
) -> type[RemoteAdapter]:
    attrs = {
        "name": name,
        "kinds": kinds,
        "supports_update": update,
        "supports_acl": acl,
        "supports_reverse": reverse,
        "__doc__": f"The remote tech adapter `{name}` ({', '.join(sorted(kinds)) or 'no kinds'}).",
        "__module__": base.__module__,
    }
    return cast(type[RemoteAdapter], type(f"{base.__name__}[{name}]", (base,), attrs))


def remote_adapter(name: str, base_url: str, kinds: Iterable[str], **options: Any) -> RemoteAdapter:
    """A :class:`RemoteAdapter` called ``name`` for ``kinds`` at ``base_url``; ``options`` go to the
    constructor, except ``supports_update``, ``supports_acl`` and ``supports_reverse``, which go to the class."""
    flags = {k: options.pop(k) for k in ("supports_update", "supports_acl", "supports_reverse") if k in options}
    return RemoteAdapter.named(name, kinds, **flags)(base_url, **options)


class RemoteConfig(BaseModel):
    """A remote tech adapter as configuration names it (``type: remote``, the tag of an adapter union).

    The bearer token is never written in the file: ``tokenEnv`` names the environment variable holding it.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    type: Literal["remote"] = "remote"
    name: str
    url: str
    kinds: list[str] = Field(min_length=1)
    token_env: str | None = None
    timeout: float = Field(default=30.0, gt=0)
    poll_interval: float = Field(default=1.0, gt=0)
    max_wait: float = Field(default=600.0, ge=0)
    dialect: Dialect = "dps"
    use_case_template_id: str | None = None
    supports_update: bool = True
    supports_acl: bool = True
    supports_reverse: bool = False

    def adapter(self, transport: httpx.BaseTransport | None = None) -> RemoteAdapter:
        token = None
        if self.token_env:
            token = os.environ.get(self.token_env)
            if not token:
                raise NotFoundError(
                    f"tech adapter `{self.name}`: environment variable `{self.token_env}` is not set",
                    hint=f"export {self.token_env}=<bearer token>, or remove `tokenEnv`",
                )
        cls = RemoteAdapter.named(
            self.name,
            self.kinds,
            supports_update=self.supports_update,
            supports_acl=self.supports_acl,
            supports_reverse=self.supports_reverse,
        )
        return cls(
            self.url,
            token=token,
            timeout=self.timeout,
            poll_interval=self.poll_interval,
            max_wait=self.max_wait,
            dialect=self.dialect,
            use_case_template_id=self.use_case_template_id,
            transport=transport,
        )
