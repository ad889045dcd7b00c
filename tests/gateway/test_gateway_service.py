"""The gateway as people use it, on a deployed and run demo mesh with real grants: the service (and its audit
records), ``meshplane query`` and ``POST /api/v1/query``.

Tom (an analyst) asks for the customer master's ``customers`` port; Maria (customer team) approves German
customers only with e-mails hashed; the other PII columns (names, phone) stay masked by default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from meshplane.access import AccessService
from meshplane.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from meshplane.gateway import Limits, QueryService
from meshplane.identity import Directory, tokens_for
from meshplane.provisioning.service import Session, open_session
from support.demo_mesh import build_demo

CUSTOMERS = "customer.customer_master.customers"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("gateway-service") / "acme")


@pytest.fixture(scope="module")
def session(root: Path) -> Iterator[Session]:
    with open_session(root, "dev") as opened:
        yield opened


@pytest.fixture(scope="module")
def directory(session: Session) -> Directory:
    assert session.workspace.mesh_model is not None
    return Directory(session.workspace.mesh_model)


@pytest.fixture(scope="module")
def granted(session: Session, directory: Directory) -> None:
    assert session.workspace.mesh_model is not None
    access = AccessService(session.registry, session.workspace.mesh_model, environment="dev")
    request = access.request(
        directory.identity("tom"),
        "customer_master.customers",
        purpose="segment sizes per country for the quarterly review",
    )
    access.approve(directory.identity("maria"), request.id, row_filter="country = 'DE'", masks=["email=hash"])


@pytest.fixture(scope="module")
def service(session: Session, root: Path, granted: None) -> Iterator[QueryService]:
    assert session.workspace.mesh_model is not None
    made = QueryService.open(session.registry, session.workspace.mesh_model, root, "dev")
    yield made
    made.close()


def test_a_grant_shows_its_rows_with_pii_masked(service: QueryService, directory: Directory) -> None:
    result = service.query(directory.identity("tom"), f"SELECT * FROM {CUSTOMERS}")
    rows = result.table.to_pylist()
    assert rows and {r["country"] for r in rows} == {"DE"}
    assert all(r["email"] is None or SHA256.match(r["email"]) for r in rows)
    assert {r["phone"] for r in rows} == {"****"} and {r["first_name"] for r in rows} == {"****"}
    assert result.reads[0].dp_id == "urn:dmb:dp:customer:customer_master:1" and result.reads[0].grants


def test_owners_read_their_own_ports_in_clear(service: QueryService, directory: Directory) -> None:
    result = service.query(
        directory.identity("maria"), f"SELECT count(DISTINCT country) AS n, max(phone) FROM {CUSTOMERS}"
    )
    assert result.table.column("n")[0].as_py() > 1
    assert result.table.column(1)[0].as_py().startswith("+")


def test_every_query_is_audited(service: QueryService, session: Session, directory: Directory) -> None:
    tom = directory.identity("tom")
    service.query(tom, f"SELECT count(*) AS n FROM {CUSTOMERS}")
    with pytest.raises(PermissionDeniedError) as caught:
        service.query(tom, "SELECT * FROM sales.orders.orders")
    assert "meshplane access request" in (caught.value.hint or "")
    with pytest.raises(InvalidInputError):
        service.query(tom, "ATTACH ':memory:' AS x")
    records = [r for r in session.registry.audit_log(actor="tom", limit=20) if r.action == "query"]
    refused_attach, refused_port, answered = records[0], records[1], records[2]
    assert answered.target == CUSTOMERS
    assert answered.details["rows"] == 1 and answered.details["refused"] is None
    assert answered.details["sql"] == f"SELECT count(*) AS n FROM {CUSTOMERS}"
    assert answered.details["ports"][0]["version"] >= 1 and answered.details["durationMs"] > 0
    assert refused_port.target == "sales.orders.orders"
    assert refused_port.details["refused"]["type"] == "PermissionDeniedError"
    assert refused_attach.details["refused"]["type"] == "InvalidInputError"
    assert "ATTACH" in refused_attach.details["refused"]["reason"]


def test_as_of_takes_a_moment_not_a_version(service: QueryService, directory: Directory) -> None:
    with pytest.raises(InvalidInputError, match="not a table version"):
        service.query(directory.identity("tom"), f"SELECT 1 FROM {CUSTOMERS}", as_of="v1")


def test_unknown_tables_list_what_the_caller_can_query(service: QueryService, directory: Directory) -> None:
    with pytest.raises(NotFoundError) as caught:
        service.query(directory.identity("tom"), "SELECT * FROM customer.customer_master.customerz")
    assert CUSTOMERS in (caught.value.hint or "")


# -- the CLI ----------------------------------------------------------------------------------------
def test_cli_prints_a_table(cli: Callable[..., Any], root: Path, granted: None) -> None:
    result = cli(
        "query", f"SELECT country, count(*) AS n FROM {CUSTOMERS} GROUP BY country", "--as", "tom", "--mesh", root
    )
    assert result.code == 0, result.err
    assert "DE" in result.out and "1 row(s)" in result.out and f"{CUSTOMERS} @ v" in result.out


def test_cli_json_csv_and_arrow(cli: Callable[..., Any], root: Path, tmp_path: Path, granted: None) -> None:
    sql = f"SELECT cid, email FROM {CUSTOMERS} ORDER BY cid"
    as_json = cli("query", sql, "--as", "tom", "--mesh", root, "--format", "json", "--limit", "5")
    doc = json.loads(as_json.out)
    assert doc["rowCount"] == 5 and doc["truncated"] is True and doc["columns"][0]["name"] == "cid"
    out = tmp_path / "rows.csv"
    assert cli("query", sql, "--as", "tom", "--mesh", root, "--output", out).code == 0
    assert out.read_text().splitlines()[0] == "cid,email"
    arrow = tmp_path / "rows.arrow"
    assert cli("query", sql, "--as", "tom", "--mesh", root, "-o", arrow).code == 0
    assert pa.ipc.open_stream(arrow.read_bytes()).read_all().num_rows > 5


def test_cli_refusals_are_errors_with_hints(cli: Callable[..., Any], root: Path, granted: None) -> None:
    ungranted = cli("query", "SELECT * FROM sales.orders.orders", "--as", "tom", "--mesh", root)
    assert ungranted.code == 1 and "no grant on sales.orders.orders" in ungranted.err
    assert "meshplane access request" in ungranted.err
    refused = cli("query", "SELECT * FROM read_csv('/etc/passwd')", "--as", "tom", "--mesh", root)
    assert refused.code == 1 and "read_csv" in refused.err
    slow = cli("query", "SELECT count(*) FROM range(100000000000)", "--as", "tom", "--mesh", root, "--timeout", "0.2")
    assert slow.code == 1 and "time limit" in slow.err
    nobody = cli("query", "SELECT 1", "--as", "mallory", "--mesh", root)
    assert nobody.code == 1 and "mallory" in nobody.err


# -- the REST API -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(root: Path, granted: None) -> Iterator[TestClient]:
    from meshplane.web.app import create_app

    app = create_app(root, environment="dev")
    with TestClient(app) as c:
        yield c
    service = getattr(app.state, "query_service", None)
    if service is not None:
        service.close()
    app.state.registry.close()


@pytest.fixture(scope="module")
def tom_token(session: Session, root: Path) -> dict[str, str]:
    assert session.workspace.mesh_model is not None
    token = tokens_for(session.workspace.mesh_model, root).issue_token("tom")
    return {"Authorization": f"Bearer {token}"}


def test_api_answers_json(client: TestClient, tom_token: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/query", json={"sql": f"SELECT country, email FROM {CUSTOMERS}", "limit": 3}, headers=tom_token
    )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["rowCount"] == 3 and doc["truncatedBy"] == "rows"
    assert {row[0] for row in doc["rows"]} == {"DE"} and doc["ports"][0]["name"] == CUSTOMERS


def test_api_negotiates_csv_and_arrow(client: TestClient, tom_token: dict[str, str]) -> None:
    sql = {"sql": f"SELECT cid FROM {CUSTOMERS} ORDER BY cid", "limit": 4}
    csv = client.post("/api/v1/query", json=sql, headers=tom_token | {"Accept": "text/csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "cid" and len(csv.text.splitlines()) == 5
    arrow = client.post("/api/v1/query", json=sql | {"format": "arrow"}, headers=tom_token)
    assert arrow.headers["content-type"] == "application/vnd.apache.arrow.stream"
    assert pa.ipc.open_stream(arrow.content).read_all().num_rows == 4
    assert arrow.headers["x-meshplane-truncated"] == "rows"


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"sql": "SELECT * FROM sales.orders.orders"}, 403, "no grant"),
        ({"sql": "SELECT * FROM sales.orders.orderz"}, 404, "no table"),
        ({"sql": "SELECT * FROM read_parquet('/tmp/x')"}, 422, "read_parquet"),
        ({"sql": "PRAGMA version"}, 422, "PRAGMA"),
        ({"sql": f"SELECT * FROM {CUSTOMERS}", "limit": 0}, 422, ""),
        ({"sql": f"SELECT * FROM {CUSTOMERS}", "format": "xml"}, 422, ""),
    ],
)
def test_api_errors(
    client: TestClient, tom_token: dict[str, str], body: dict[str, Any], status: int, needle: str
) -> None:
    response = client.post("/api/v1/query", json=body, headers=tom_token)
    assert response.status_code == status, response.text
    assert needle in response.json()["error"]["message"]


def test_api_limits(client: TestClient, tom_token: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/query", json={"sql": "SELECT count(*) FROM range(100000000000)", "timeout_ms": 200}, headers=tom_token
    )
    assert response.status_code in (408, 422) and "time limit" in response.json()["error"]["message"]


def test_api_needs_an_identity(client: TestClient) -> None:
    response = client.post("/api/v1/query", json={"sql": "SELECT 1"})
    assert response.status_code == 401


def test_a_limit_above_the_ceiling_is_refused(service: QueryService, directory: Directory) -> None:
    with pytest.raises(InvalidInputError):
        service.query(directory.identity("tom"), "SELECT 1", limits=Limits(threads=64))


def test_api_fuzzed_from_its_openapi_never_answers_a_server_error(
    client: TestClient, tom_token: dict[str, str]
) -> None:
    """``POST /api/v1/query`` driven by schemathesis from the app's OpenAPI document (valid and schema-breaking
    bodies): no 5xx, only documented status codes, bodies as documented."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app).include(path_regex=r"^/api/v1/query$")
    (operation,) = [result.ok() for result in schema.get_all_operations()]
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    statuses: dict[int, int] = {}
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: Any) -> None:
            status = case.call_and_validate(headers=dict(tom_token), checks=checks).status_code
            statuses[status] = statuses.get(status, 0) + 1

        check()
    assert statuses.get(422), statuses
