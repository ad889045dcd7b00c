"""A small server speaking the part of Open Policy Agent's REST API Meshplane uses, backed by regopy.

No OPA binary can be installed on these machines; this lets the remote-OPA engine be tested over real HTTP
against the documented endpoints: PUT /v1/policies/{id}, PUT /v1/data/{path}, POST /v1/data/{path}.
"""

from __future__ import annotations

import json
from typing import Any

import regopy
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from meshplane.governance.rego import RegoCompileError, check_syntax


def create_opa() -> FastAPI:
    app = FastAPI()
    modules: dict[str, str] = {}
    data: dict[str, Any] = {}
    app.state.queries = 0
    app.state.modules = modules

    @app.put("/v1/policies/{policy_id}")
    async def put_policy(policy_id: str, request: Request) -> Response:
        source = (await request.body()).decode()
        try:
            check_syntax(policy_id, source)
        except RegoCompileError as exc:
            error = {
                "code": "rego_parse_error",
                "message": exc.message,
                "location": {"file": policy_id, "row": exc.line, "col": exc.column},
            }
            return JSONResponse({"code": "invalid_parameter", "message": "error(s) occurred", "errors": [error]}, 400)
        modules[policy_id] = source
        return JSONResponse({})

    @app.put("/v1/data/{path:path}")
    async def put_data(path: str, request: Request) -> Response:
        node = data
        parts = [p for p in path.split("/") if p]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = await request.json()
        return Response(status_code=204)

    @app.post("/v1/data/{path:path}")
    async def query(path: str, request: Request) -> Response:
        app.state.queries += 1
        body = await request.json()
        interp = regopy.Interpreter()
        for name, source in modules.items():
            interp.add_module(name, source)
        interp.add_data(data)
        interp.set_input(body.get("input", {}))
        output = interp.query("data." + ".".join(p for p in path.split("/") if p))
        text = str(output)
        if text == "undefined":
            return JSONResponse({})
        return JSONResponse({"result": json.loads(text)["expressions"][0]})

    return app
