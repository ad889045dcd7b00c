"""Evaluate the mesh's policies on a remote Open Policy Agent server (``opa: {url: …}`` in mesh.yaml).

The same policies, the same input and the same ``data.mesh`` context as in-process evaluation, through OPA's
REST API: modules are uploaded with ``PUT /v1/policies/{id}``, the mesh context with ``PUT /v1/data/mesh``,
and one generated aggregate rule answers every policy's ``deny``/``warn`` in a single ``POST /v1/data/…``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from meshplane.errors import MeshplaneError
from meshplane.governance.engine import PolicyEngine
from meshplane.governance.policy import Policy
from meshplane.governance.rego import RegoEvalError

AGGREGATE_PACKAGE = "meshplane.aggregate"


def aggregate_module(policies: list[Policy]) -> str:
    """A module whose ``results`` rule is ``[[deny, warn] per policy]`` (``object.get`` keeps absent rules empty)."""
    rows = ",\n  ".join(
        f'[object.get(data.{p.package}, "deny", []), object.get(data.{p.package}, "warn", [])]' for p in policies
    )
    return f"package {AGGREGATE_PACKAGE}\n\nimport rego.v1\n\nresults := [\n  {rows}\n]\n"


class RemoteOpaEngine(PolicyEngine):
    """A :class:`PolicyEngine` whose evaluator is an OPA server."""

    def __init__(
        self,
        policies: list[Policy],
        context: dict[str, Any],
        *,
        url: str,
        today: date | None = None,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(base_url=self.url, timeout=timeout)
        super().__init__(policies, context, today=today)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise MeshplaneError(
                f"the OPA server at {self.url} cannot be reached: {exc}",
                hint="start it, or remove `opa` from mesh.yaml to evaluate policies in-process",
            ) from None
        if response.status_code >= 400:
            detail = _opa_error(response)
            raise MeshplaneError(
                f"OPA at {self.url} refused {method} {path}: {detail}", hint="check the policy named in the message"
            )
        return response

    def _setup(self, context: dict[str, Any]) -> None:
        for policy in self.policies:
            self._call(
                "PUT",
                f"/v1/policies/{policy.id}",
                content=policy.source.encode(),
                headers={"Content-Type": "text/plain"},
            )
        self._call(
            "PUT",
            "/v1/policies/meshplane-aggregate",
            content=aggregate_module(self.policies).encode(),
            headers={"Content-Type": "text/plain"},
        )
        self._call("PUT", "/v1/data/mesh", json=context)

    def _query(self, package: str, rule: str, policy_input: dict[str, Any]) -> Any:
        path = "/v1/data/" + "/".join([*package.split("."), rule])
        body = self._call("POST", path, json={"input": policy_input}).json()
        if "result" not in body:
            raise RegoEvalError(f"OPA returned no result for data.{package}.{rule}")
        return body["result"]

    def _answers(self, policy_input: dict[str, Any]) -> list[tuple[Any, Any]]:
        results = self._query(AGGREGATE_PACKAGE, "results", policy_input)
        if not isinstance(results, list) or len(results) != len(self.policies):
            raise RegoEvalError("OPA's aggregate answer does not list every policy")
        return [(pair[0], pair[1]) for pair in results]

    def _answer(self, policy_input: dict[str, Any], policy: Policy) -> tuple[Any, Any]:
        return self._query(policy.package, "deny", policy_input), None


def _opa_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    errors = body.get("errors") or []
    located = [
        f"{e.get('message')} ({(e.get('location') or {}).get('file')}:{(e.get('location') or {}).get('row')})"
        for e in errors
        if isinstance(e, dict)
    ]
    return "; ".join(located) or str(body.get("message") or body)
