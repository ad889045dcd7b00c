"""Meshplane's tech adapters behind the Witboost Tech Adapter interface (Specific Provisioner API 2.2.0).

A Witboost provisioning coordinator, or another Meshplane through
:class:`~meshplane.adapters.remote.RemoteAdapter`, drives our adapters with this app; ``meshplane adapter
serve`` runs it (:func:`serve`). The paths, operation ids and body schemas are the spec's own, and a test
compares this app's OpenAPI document with the spec file.

How the server answers:

* ``POST /v1/provision``, ``/v1/unprovision``, ``/v1/updateacl``, ``/v1/reverse-provisioning``: the request
  is read and checked at once — a descriptor that cannot be read, a component that is not in the product,
  a component no adapter here serves is **400** ``RequestValidationError`` with the located problems and
  their fixes. The work then runs in a background thread: **202** with a token (a JSON string), to poll at
  ``/v1/provision/{token}/status`` (``/v1/reverse-provisioning/{token}/status``) until it is ``COMPLETED``
  or ``FAILED``. With ``sync_wait`` > 0 the server first waits that long and answers **200** with the
  ``ProvisioningStatus`` when the work is done by then — the spec's synchronous reply. It is 0 by default
  so that a caller sees one behaviour whatever the adapter's speed.
* ``GET …/{token}/status``: 200 with the status, ``RUNNING`` while the work runs; an unknown token is 400
  (the spec has no 404 there). Tokens live in memory: after a restart, provision again (it is idempotent).
* ``POST /v1/validate``: always 200 ``ValidationResult`` — a descriptor that cannot be read is ``valid:
  false`` with the problems, since the spec gives this path no 400. ``/v2/validate`` is its 202 twin.
* Anything unexpected is 500 ``SystemError`` with a correlation id; the traceback stays in the server log.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from meshplane.adapters import remote_wire as wire
from meshplane.adapters.base import ProvisionRequest, ProvisionResult, ProvisionStatus, TechAdapter
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError, UnsupportedError
from meshplane.spec.diagnostics import Severity, did_you_mean
from meshplane.spec.loader import MESH_FILE, load_mesh
from meshplane.spec.model import Mesh
from meshplane.web.tech_adapter_errors import handle_errors, log_unexpected, require_token, spec_openapi
from meshplane.web.tech_adapter_jobs import Job, Jobs
from meshplane.web.tech_adapter_request import AdapterChoice, Lookup, Target, read_target

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "create_app", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8093
INTERFACE_VERSION = "2.2.0"
_TAG = "SpecificProvisioner"
_ASYNC: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "A token to poll the operation's status with",
        "content": {"application/json": {"schema": {"type": "string"}}},
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": wire.RequestValidationError, "description": "Invalid input"},
    500: {"model": wire.SystemError, "description": "System problem"},
}
Phase = Literal["provision", "unprovision", "updateacl"]


@dataclass(frozen=True)
class _Context:
    mesh: Mesh
    mesh_root: Path
    environment: str


def create_app(
    adapters: Mapping[str, TechAdapter] | None = None,
    *,
    mesh: Mesh,
    mesh_root: Path,
    environment: str | None = None,
    lookup: Lookup | None = None,
    token: str | None = None,
    sync_wait: float = 0.0,
    workers: int = 4,
) -> FastAPI:
    """The Tech Adapter app for the adapters in ``adapters`` (name or template id → adapter).

    Without ``adapters``, ``lookup`` (or the built-in catalog's ``adapter_for``) picks the adapter for each
    component. Every operation runs in ``environment`` of ``mesh`` (its first environment by default):
    one server serves one environment, as Witboost deploys one specific provisioner per environment.
    With ``token``, every call must send ``Authorization: Bearer <token>``.
    """
    ctx = _Context(mesh, Path(mesh_root), _environment(mesh, environment))
    jobs = Jobs(workers)
    service = _Service(ctx, AdapterChoice(adapters, lookup), jobs, sync_wait)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()

    app = FastAPI(
        title="Meshplane tech adapter",
        description=f"Meshplane's tech adapters for environment `{ctx.environment}` of mesh `{mesh.name}`, "
        f"behind the Witboost Tech Adapter (Specific Provisioner) interface {INTERFACE_VERSION}.",
        version=INTERFACE_VERSION,
        openapi_tags=[{"name": _TAG, "description": "All the provisioning related operations"}],
        separate_input_output_schemas=False,
        lifespan=lifespan,
    )
    handle_errors(app)
    if token:
        require_token(app, token)
    _routes(app, service)
    spec_openapi(app)
    return app


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    mesh_root: Path,
    environment: str | None = None,
    adapters: Mapping[str, TechAdapter] | None = None,
    token: str | None = None,
    sync_wait: float = 0.0,
    log_level: str = "info",
) -> None:
    """Run the app with uvicorn until interrupted, for the mesh in ``mesh_root`` (its ``mesh.yaml``)."""
    import uvicorn  # only the server needs it

    path = Path(mesh_root) / MESH_FILE
    if not path.is_file():
        raise NotFoundError(f"{path} does not exist", hint="pass the mesh folder (the one holding mesh.yaml)")
    loaded = load_mesh(path)
    if loaded.model is None or not loaded.ok:
        raise InvalidInputError(f"{path} cannot be read", loaded.diagnostics, hint="run `meshplane validate` on it")
    app = create_app(
        adapters,
        mesh=loaded.model,
        mesh_root=Path(mesh_root),
        environment=environment,
        token=token,
        sync_wait=sync_wait,
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level)


# -- the operations --------------------------------------------------------------------------------------


class _Service:
    def __init__(self, ctx: _Context, choice: AdapterChoice, jobs: Jobs, sync_wait: float) -> None:
        self.ctx = ctx
        self.choice = choice
        self.jobs = jobs
        self.sync_wait = sync_wait

    def provisioning(self, body: wire.ProvisioningRequest, phase: Phase) -> Response:
        target, adapter, request = self._prepare(body)
        call = adapter.provision if phase == "provision" else adapter.unprovision
        return self._start(phase, adapter, target, lambda: call(request))

    def update_acl(self, body: wire.UpdateAclRequest) -> Response:
        target = read_target(body.provision_info.request, source="provisionInfo.request")
        # Called even when `supports_acl` is false: such an adapter says where access is enforced instead.
        adapter = self.choice.for_component(target.component)
        request = self._request(target)
        principals = [wire.from_ref(ref) for ref in body.refs]
        return self._start("updateacl", adapter, target, lambda: adapter.update_acl(request, principals))

    def validate(self, body: wire.ProvisioningRequest) -> wire.ValidationResult:
        try:
            _, adapter, request = self._prepare(body)
            outcome = adapter.validate(request)
        except MeshplaneError as exc:
            return _invalid(_problems(exc))
        if outcome.valid:
            return wire.ValidationResult(valid=True)
        return _invalid(outcome.errors or [f"tech adapter `{adapter.name}` found the component invalid"])

    def validate_async(self, body: wire.ProvisioningRequest) -> Response:
        def work() -> wire.StatusBody:
            try:
                result = self.validate(body)
            except Exception as exc:
                cid = log_unexpected(exc, "validation")
                return wire.ValidationStatus(status=ProvisionStatus.FAILED, info=_failed_validation(cid))
            return wire.ValidationStatus(status=ProvisionStatus.COMPLETED, info=wire.ValidationInfo(public_info=result))

        return self._answer(self.jobs.submit("validate", work, wire.ValidationStatus(status=ProvisionStatus.RUNNING)))

    def reverse(self, body: wire.ReverseProvisioningRequest) -> Response:
        adapter = self.choice.for_template(body.use_case_template_id)
        if not adapter.supports_reverse:
            raise UnsupportedError(
                f"tech adapter `{adapter.name}` does not do reverse provisioning",
                hint="describe the component by hand, or use an adapter that supports it",
            )
        params: dict[str, Any] = {
            **(body.params or {}),
            "useCaseTemplateId": body.use_case_template_id,
            "environment": body.environment,
        }
        if body.catalog_info is not None:
            params["catalogInfo"] = body.catalog_info

        def work() -> wire.StatusBody:
            try:
                updates = adapter.reverse_provision(params)
            except MeshplaneError as exc:
                lines = [str(exc), *getattr(exc, "logs", [])]
                logs = [wire.Log(level="ERROR", message=line, phase="reverse") for line in lines]
                return wire.ReverseProvisioningStatus(status=ProvisionStatus.FAILED, logs=logs)
            except Exception as exc:
                message = _unexpected_message(adapter, log_unexpected(exc, f"reverse provisioning by {adapter.name}"))
                logs = [wire.Log(level="ERROR", message=message, phase="reverse")]
                return wire.ReverseProvisioningStatus(status=ProvisionStatus.FAILED, logs=logs)
            done = wire.Log(message=f"reverse provisioning by `{adapter.name}` completed", phase="reverse")
            return wire.ReverseProvisioningStatus(status=ProvisionStatus.COMPLETED, updates=updates, logs=[done])

        running = wire.ReverseProvisioningStatus(status=ProvisionStatus.RUNNING)
        return self._answer(self.jobs.submit("reverse", work, running))

    def status(self, token: str, family: str) -> Response:
        job = self.jobs.get(token, family)
        if job is None:
            raise NotFoundError(
                f"unknown token `{token}`",
                hint="tokens live in this server's memory and expire: it may have restarted (provisioning again "
                "is safe), or the token belongs to another kind of operation",
            )
        return JSONResponse(job.status().body())

    # -- helpers -----------------------------------------------------------------------------------------

    def _prepare(self, body: wire.ProvisioningRequest) -> tuple[Target, TechAdapter, ProvisionRequest]:
        if body.descriptor_kind is not wire.DescriptorKind.COMPONENT_DESCRIPTOR:
            raise InvalidInputError(
                f"descriptorKind `{body.descriptor_kind.value}` is not served here",
                hint="a tech adapter works on one component: send COMPONENT_DESCRIPTOR with componentIdToProvision",
            )
        target = read_target(body.descriptor, latest=body.latest_enriched_descriptor)
        adapter = self.choice.for_component(target.component)
        return target, adapter, self._request(target, remove_data=body.remove_data)

    def _request(self, target: Target, *, remove_data: bool = False) -> ProvisionRequest:
        return ProvisionRequest(
            dataproduct=target.dataproduct,
            component=target.component,
            environment=self.ctx.environment,
            mesh=self.ctx.mesh,
            mesh_root=self.ctx.mesh_root,
            previous=target.previous,
            remove_data=remove_data,
        )

    def _start(
        self, phase: Phase, adapter: TechAdapter, target: Target, call: Callable[[], ProvisionResult]
    ) -> Response:
        notes = list(target.notes)
        if target.environment and target.environment != self.ctx.environment:
            notes.append(
                f"the descriptor names environment `{target.environment}`; "
                f"this tech adapter serves `{self.ctx.environment}` and worked there"
            )

        def work() -> wire.StatusBody:
            try:
                result = call()
            except MeshplaneError as exc:
                result = ProvisionResult(ProvisionStatus.FAILED, logs=[str(exc)])
            except Exception as exc:
                cid = log_unexpected(exc, f"{phase} of {target.component_id} by {adapter.name}")
                result = ProvisionResult(ProvisionStatus.FAILED, logs=[_unexpected_message(adapter, cid)])
            return _provisioning_status(result, phase, target.component_id, adapter.name, notes)

        running = wire.ProvisioningStatus(status=ProvisionStatus.RUNNING, result=f"{phase} of {target.component_id}")
        return self._answer(self.jobs.submit("provision", work, running, key=target.component_id))

    def _answer(self, job: Job) -> Response:
        if self.sync_wait > 0 and job.wait(self.sync_wait):
            return JSONResponse(job.status().body())
        return JSONResponse(job.token, status_code=202)


def _provisioning_status(
    result: ProvisionResult, phase: Phase, component_id: str, adapter: str, notes: list[str]
) -> wire.ProvisioningStatus:
    """The adapter's ``info`` travels whole in ``privateInfo``; its scalar values are also shown publicly."""
    failed = result.status is ProvisionStatus.FAILED
    logs = [wire.Log(level="WARNING", message=note, phase=phase) for note in notes]
    logs += [wire.Log(level="ERROR" if failed else "INFO", message=line, phase=phase) for line in result.logs]
    info: dict[str, Any] = json.loads(json.dumps(result.info, default=str))
    public = {
        key: {"type": "string", "label": key, "value": str(value)}
        for key, value in info.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }
    summary = f"{phase} of {component_id} by `{adapter}` {result.status.value.lower()}"
    if failed and result.logs:
        summary += f": {result.logs[-1]}"
    return wire.ProvisioningStatus(
        status=result.status, result=summary, info=wire.Info(public_info=public, private_info=info), logs=logs
    )


def _invalid(errors: list[str]) -> wire.ValidationResult:
    return wire.ValidationResult(valid=False, error=wire.ValidationError(errors=errors))


def _failed_validation(cid: str) -> wire.ValidationInfo:
    error = wire.ValidationError(errors=[f"validation failed unexpectedly (correlation id {cid})"])
    return wire.ValidationInfo(public_info=wire.ValidationResult(valid=False, error=error))


def _problems(exc: MeshplaneError) -> list[str]:
    diagnostics = [d for d in getattr(exc, "diagnostics", []) if d.severity is Severity.ERROR]
    return [str(exc), *(d.render() for d in diagnostics)]


def _unexpected_message(adapter: TechAdapter, cid: str) -> str:
    return f"tech adapter `{adapter.name}` failed unexpectedly (correlation id {cid}); the server log has the details"


def _environment(mesh: Mesh, wanted: str | None) -> str:
    names = [e.name for e in mesh.environments]
    if wanted is None:
        return names[0] if names else "dev"
    if wanted not in names:
        hint = did_you_mean(wanted, names) or f"use one of {', '.join(names)}"
        raise NotFoundError(f"environment `{wanted}` is not declared in mesh `{mesh.name}`", hint=hint)
    return wanted


# -- HTTP ------------------------------------------------------------------------------------------------


def _routes(app: FastAPI, service: _Service) -> None:
    def status_responses(model: type[wire.Wire]) -> dict[int | str, dict[str, Any]]:
        return {200: {"model": model, "description": "The request status"}, **_ERRORS}

    def async_responses(model: type[wire.Wire], what: str) -> dict[int | str, dict[str, Any]]:
        return {200: {"model": model, "description": f"It synchronously returns {what}"}, **_ASYNC, **_ERRORS}

    provisioning = async_responses(wire.ProvisioningStatus, "the request result")
    common: dict[str, Any] = {"tags": [_TAG], "response_model": None}

    @app.post(
        wire.VALIDATE_ASYNC, operation_id="asyncValidate", status_code=202, responses={**_ASYNC, **_ERRORS}, **common
    )
    def async_validate(body: wire.ProvisioningRequest) -> Response:
        """Asynchronously validate a provisioning request."""
        return service.validate_async(body)

    @app.get(
        wire.VALIDATE_STATUS,
        operation_id="getValidationStatus",
        **common,
        responses=status_responses(wire.ValidationStatus),
    )
    def validation_status(token: str) -> Response:
        """Get status and results of an async validation operation."""
        return service.status(token, "validate")

    @app.post(wire.PROVISION, operation_id="provision", responses=provisioning, **common)
    def provision(body: wire.ProvisioningRequest) -> Response:
        """Deploy a data product component starting from a provisioning descriptor."""
        return service.provisioning(body, "provision")

    @app.get(
        wire.PROVISION_STATUS, operation_id="getStatus", responses=status_responses(wire.ProvisioningStatus), **common
    )
    def provision_status(token: str) -> Response:
        """Get the status of a provisioning request (also unprovisioning and ACL updates)."""
        return service.status(token, "provision")

    @app.post(
        wire.VALIDATE,
        operation_id="validate",
        tags=[_TAG],
        response_model=wire.ValidationResult,
        response_model_exclude_none=True,
        responses={500: _ERRORS[500]},
    )
    def validate(body: wire.ProvisioningRequest) -> wire.ValidationResult:
        """Validate a provisioning request: a descriptor that cannot be read is ``valid: false``."""
        return service.validate(body)

    @app.post(wire.UNPROVISION, operation_id="unprovision", responses=provisioning, **common)
    def unprovision(body: wire.ProvisioningRequest) -> Response:
        """Undeploy a data product component."""
        return service.provisioning(body, "unprovision")

    @app.post(
        wire.UPDATE_ACL,
        operation_id="updateacl",
        **common,
        responses=async_responses(wire.ProvisioningStatus, "the access request response"),
    )
    def updateacl(body: wire.UpdateAclRequest) -> Response:
        """Grant read access to the component to exactly ``refs``."""
        return service.update_acl(body)

    @app.post(
        wire.REVERSE,
        operation_id="runReverseProvisioning",
        **common,
        responses=async_responses(wire.ReverseProvisioningStatus, "the reverse provisioning response"),
    )
    def reverse(body: wire.ReverseProvisioningRequest) -> Response:
        """Execute a reverse provisioning operation."""
        return service.reverse(body)

    @app.get(
        wire.REVERSE_STATUS,
        operation_id="getReverseProvisioningStatus",
        **common,
        responses=status_responses(wire.ReverseProvisioningStatus),
    )
    def reverse_status(token: str) -> Response:
        """Get status and results of a reverse provisioning operation."""
        return service.status(token, "reverse")
