"""OpenLineage events: what a run of a demo workload produces, checked against the spec's requirements."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import jsonschema
import openlineage.client
import pytest
from lineage_helpers import input_schema

from meshplane.errors import InvalidInputError
from meshplane.lineage.columns import column_lineage
from meshplane.lineage.events import (
    PRODUCER,
    Assertion,
    InputSpec,
    OutputSpec,
    SchemaField,
    job_event,
    new_run_id,
    run_event,
    schema_fields,
    source_location,
)
from meshplane.lineage.export import static_events
from meshplane.lineage.graph import mesh_graph
from meshplane.lineage.naming import DatasetName, port_dataset, source_dataset
from meshplane.spec.model import DatabaseSource, EventsSource, FilesSource, OutputPortSource

T0 = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
NS = "meshplane://acme/dev"


def shipped_schema() -> Path | None:
    """The OpenLineage JSON schema, if the installed client ships it (1.54 does not)."""
    found = sorted(Path(openlineage.client.__file__).parent.rglob("OpenLineage.json"))
    return found[0] if found else None


def facets_of(event: dict) -> list[tuple[str, dict]]:
    found = [(f"run.{k}", v) for k, v in event.get("run", {}).get("facets", {}).items()]
    found += [(f"job.{k}", v) for k, v in event["job"].get("facets", {}).items()]
    for side in ("inputs", "outputs"):
        for ds in event.get(side, []):
            for group in ("facets", "inputFacets", "outputFacets"):
                found += [(f"{side}.{ds['name']}.{k}", v) for k, v in ds.get(group, {}).items()]
    return found


def assert_valid(event: dict, kind: str = "RunEvent") -> None:
    """The spec's requirements: the JSON schema when shipped, else required fields and facet metadata."""
    json.loads(json.dumps(event))  # plain JSON
    schema = shipped_schema()
    if schema is not None:  # pragma: no cover - depends on the installed client
        jsonschema.validate(event, json.loads(schema.read_text()))
    assert event["schemaURL"].startswith("https://openlineage.io/spec/") and event["schemaURL"].endswith(kind)
    assert event["producer"] == PRODUCER
    datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))
    assert event["job"]["namespace"] and event["job"]["name"]
    if kind == "RunEvent":
        UUID(event["run"]["runId"])
        assert event["eventType"] in {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"}
    else:
        assert "run" not in event and "eventType" not in event
    for side in ("inputs", "outputs"):
        for ds in event.get(side, []):
            assert ds["namespace"] and ds["name"]
    for where, facet in facets_of(event):
        assert facet["_producer"] == PRODUCER, where
        assert facet["_schemaURL"].startswith(("https://openlineage.io/spec/", "urn:meshplane:")), where


@pytest.fixture(scope="module")
def c360(demo_ws):
    dp = demo_ws.find("customer_360")
    assert dp is not None
    return dp


def c360_specs(demo_ws, c360, *, version: int = 3) -> tuple[list[InputSpec], OutputSpec, str]:
    products = demo_ws.by_id()
    inputs = []
    for port in c360.input_ports:
        assert isinstance(port.source, OutputPortSource)
        upstream = products[port.source.data_product][1].port(port.source.port)
        name = source_dataset(port.source, mesh="acme", environment="dev")
        inputs.append(
            InputSpec(name, schema_fields(upstream.data_contract), version=version, alias=port.name, row_count=500)
        )
    sql = (demo_ws.dp_dir(c360) / "sql/customer_360.sql").read_text()
    lineage = column_lineage(sql, input_schema(demo_ws, c360))
    out = OutputSpec(
        port_dataset("acme", "dev", c360.id, "customer_360"),
        list(c360.port("customer_360").data_contract.columns),
        version=7,
        row_count=480,
        null_counts={"avg_csat": 31},
        column_lineage=lineage,
        size=40_960,
        file_count=1,
        assertions=[Assertion("unique", True, "cid", severity="error")],
    )
    return inputs, out, sql


def test_complete_event_of_a_demo_run(demo_ws, c360):
    inputs, out, sql = c360_specs(demo_ws, c360)
    run_id = new_run_id(T0)
    event = run_event(
        event_type="COMPLETE",
        run_id=run_id,
        mesh="acme",
        dataproduct=c360,
        inputs=inputs,
        outputs=[out],
        started=T0,
        finished=T0 + timedelta(seconds=3),
        sql={"customer_360": sql},
        location=source_location(demo_ws.dp_dir(c360) / "sql/customer_360.sql"),
    )
    assert_valid(event)
    assert event["eventType"] == "COMPLETE" and event["eventTime"] == "2026-03-01T04:00:03.000Z"
    assert event["run"]["runId"] == run_id
    assert event["job"] == {**event["job"], "namespace": NS, "name": "urn:dmb:dp:marketing:customer_360:1.build"}
    run = event["run"]["facets"]["meshplane"]
    assert run["durationSeconds"] == 3.0 and run["dataProductVersion"] == "1.0.0"

    job = event["job"]["facets"]
    assert "coalesce(o.cid, k.cid)" in job["sql"]["query"] and job["sql"]["dialect"] == "duckdb"
    assert job["sourceCodeLocation"]["url"].endswith("customer_360/sql/customer_360.sql")
    assert job["ownership"]["owners"][0]["name"] == "user:sam"

    assert [i["name"] for i in event["inputs"]][:2] == [
        "urn:dmb:dp:customer:customer_master:1.customers",
        "urn:dmb:dp:customer:customer_master:1.customer_keys",
    ]
    assert event["inputs"][0]["facets"]["version"]["datasetVersion"] == "3"
    assert event["inputs"][0]["inputFacets"]["dataQualityMetrics"]["rowCount"] == 500

    (output,) = event["outputs"]
    assert (output["namespace"], output["name"]) == (NS, "urn:dmb:dp:marketing:customer_360:1.customer_360")
    facets = output["facets"]
    assert [f["name"] for f in facets["schema"]["fields"]][:3] == ["cid", "country", "segment"]
    assert facets["version"]["datasetVersion"] == "7"
    assert facets["dataQualityMetrics"]["rowCount"] == 480
    assert facets["dataQualityMetrics"]["columnMetrics"] == {"avg_csat": {"nullCount": 31, "quantiles": {}}}
    assert output["outputFacets"]["outputStatistics"] == {
        **output["outputFacets"]["outputStatistics"],
        "rowCount": 480,
        "size": 40_960,
        "fileCount": 1,
    }
    assert facets["dataQualityAssertions"]["assertions"][0]["success"] is True

    lineage = facets["columnLineage"]
    assert lineage["fields"]["cid"]["inputFields"] == [
        {
            "namespace": NS,
            "name": "urn:dmb:dp:customer:customer_master:1.customers",
            "field": "cid",
            "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
        }
    ]
    revenue = {
        (f["name"].rsplit(".", 1)[1], f["field"]): f["transformations"]
        for f in lineage["fields"]["revenue"]["inputFields"]
    }
    assert revenue == {
        ("orders", "amount"): [{"type": "DIRECT", "subtype": "AGGREGATION"}],
        ("orders", "status"): [{"type": "INDIRECT", "subtype": "FILTER"}],
    }
    assert {"type": "INDIRECT", "subtype": "JOIN"} in lineage["dataset"][0]["transformations"]


def test_start_and_fail_events(demo_ws, c360):
    inputs, _, _ = c360_specs(demo_ws, c360)
    run_id = new_run_id()
    start = run_event(event_type="start", run_id=run_id, mesh="acme", dataproduct=c360.id, inputs=inputs, started=T0)
    assert_valid(start)
    assert start["eventType"] == "START" and start["eventTime"] == "2026-03-01T04:00:00.000Z"
    assert "errorMessage" not in start["run"]["facets"]

    fail = run_event(
        event_type="FAIL",
        run_id=UUID(run_id),
        mesh="acme",
        dataproduct=c360,
        environment="prod",
        inputs=inputs,
        started=T0,
        finished=T0 + timedelta(minutes=1),
        error="contract check failed: unique(cid)",
        stack_trace="Traceback (most recent call last): …",
    )
    assert_valid(fail)
    assert fail["job"]["namespace"] == "meshplane://acme/prod"
    error = fail["run"]["facets"]["errorMessage"]
    assert error["message"] == "contract check failed: unique(cid)" and error["programmingLanguage"] == "python"
    assert fail["run"]["runId"] == run_id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"event_type": "FAIL"}, "needs the error message"),
        ({"event_type": "DONE"}, "not an OpenLineage event type"),
        ({"run_id": "run-42"}, "is not a UUID"),
    ],
)
def test_invalid_arguments_are_refused(change, message):
    args = {"event_type": "COMPLETE", "run_id": new_run_id(), "mesh": "acme", "dataproduct": "urn:dmb:dp:a:b:1"}
    with pytest.raises(InvalidInputError, match=message):
        run_event(**{**args, **change}, started=T0)


def test_column_lineage_must_name_the_inputs():
    out = OutputSpec(DatasetName(NS, "x.y"), column_lineage=column_lineage("SELECT a FROM src", {"src": ["a"]}))
    with pytest.raises(InvalidInputError, match="reads `src`") as caught:
        run_event(event_type="COMPLETE", run_id=new_run_id(), mesh="acme", dataproduct="d", outputs=[out], started=T0)
    assert "alias='src'" in (caught.value.hint or "")
    src = InputSpec(DatasetName("file", "/data/src.csv"), [SchemaField("a", "string")], alias="src")
    plain = OutputSpec(DatasetName(NS, "x.y"), column_lineage={"a": [("src", "a")]})  # pairs only, no kinds
    event = run_event(
        event_type="COMPLETE",
        run_id=new_run_id(),
        mesh="acme",
        dataproduct="d",
        inputs=[src],
        outputs=[plain],
        started=T0,
    )
    assert_valid(event)
    field = event["outputs"][0]["facets"]["columnLineage"]["fields"]["a"]["inputFields"][0]
    assert field == {"namespace": "file", "name": "/data/src.csv", "field": "a"}


def test_dataset_names(tmp_path):
    assert port_dataset("acme", "dev", "urn:dmb:dp:sales:orders:1", "orders") == DatasetName(
        NS, "urn:dmb:dp:sales:orders:1.orders"
    )
    crm = DatabaseSource(system="legacy_crm", url="sqlite:///sources/crm.db", table="crm_customer")
    assert source_dataset(crm, mesh="acme", environment="dev", base=tmp_path) == DatasetName(
        f"sqlite://{tmp_path.resolve() / 'sources/crm.db'}", "crm_customer"
    )
    pg = DatabaseSource(system="erp", url="postgresql://app:s3cret@db.internal:6543/erp", table="sales.orders")
    name = source_dataset(pg, mesh="acme", environment="dev")
    assert name == DatasetName("postgres://db.internal:6543", "erp.sales.orders")
    assert "s3cret" not in str(name)
    pg_default = DatabaseSource(system="erp", url="postgres://db/erp", table="orders")
    assert source_dataset(pg_default, mesh="acme", environment="dev") == DatasetName(
        "postgres://db:5432", "erp.public.orders"
    )
    files = FilesSource(system="webshop", path="sources/orders.parquet")
    named = source_dataset(files, mesh="acme", environment="dev", base=tmp_path)
    assert named == DatasetName("file", str(tmp_path.resolve() / "sources/orders.parquet"))
    assert named.uri == (tmp_path.resolve() / "sources/orders.parquet").as_uri()
    stream = EventsSource(system="shop", stream="orders.created")
    assert source_dataset(stream, mesh="acme", environment="dev") == DatasetName("events://shop", "orders.created")


def test_source_location_reads_git_without_running_it(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git" / "refs" / "heads").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".git" / "refs" / "heads" / "main").write_text("a" * 40 + "\n")
    sql = repo / "sales" / "orders.sql"
    sql.parent.mkdir()
    sql.write_text("SELECT 1")
    loc = source_location(sql)
    assert (loc.type, loc.path, loc.version, loc.branch) == ("git", "sales/orders.sql", "a" * 40, "main")
    plain = source_location(Path("/") / "nowhere" / "x.sql")
    assert plain.type == "file" and plain.url == "file:///nowhere/x.sql"


def test_job_event_is_static_lineage():
    src = InputSpec(DatasetName("file", "/data/src.csv"), ["a"], alias="src")
    out = OutputSpec(
        DatasetName(NS, "d.p"), [("a", "string")], column_lineage=column_lineage("SELECT a FROM src", {"src": ["a"]})
    )
    event = job_event(mesh="acme", dataproduct="d", inputs=[src], outputs=[out], sql="SELECT a FROM src", event_time=T0)
    assert_valid(event, "JobEvent")
    assert event["outputs"][0]["facets"]["columnLineage"]["fields"]["a"]["inputFields"][0]["field"] == "a"


def test_static_events_of_the_demo_mesh(demo_ws):
    events = static_events(mesh_graph(demo_ws), event_time=T0)
    assert len(events) == 8  # one workload per data product
    for event in events:
        assert_valid(event, "JobEvent")
    by_job = {e["job"]["name"]: e for e in events}
    master = by_job["urn:dmb:dp:customer:customer_master:1.build"]
    assert {i["name"] for i in master["inputs"]} == {"crm_customer", "crm_address"}
    assert master["inputs"][0]["namespace"] == f"sqlite://{demo_ws.root.resolve() / 'sources/legacy_crm.db'}"
    assert [o["name"].rsplit(".", 1)[1] for o in master["outputs"]] == [
        "customers",
        "customer_keys",
        "customer_addresses",
    ]
    cid = master["outputs"][0]["facets"]["columnLineage"]["fields"]["cid"]["inputFields"]
    assert [(f["name"], f["field"]) for f in cid] == [("crm_customer", "cust_no")]
    payments = by_job["urn:dmb:dp:billing:invoices:1.build"]["outputs"][1]["facets"]["columnLineage"]
    assert payments["fields"]["cid"]["inputFields"][0]["name"].endswith("billing_system/invoices.parquet")
    assert "-- port: invoices" in by_job["urn:dmb:dp:billing:invoices:1.build"]["job"]["facets"]["sql"]["query"]
