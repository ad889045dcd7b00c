"""``meshplane lineage`` and ``meshplane lineage-export`` on the demo mesh, run in-process.

The commands are registered on a Typer app here exactly as ``cli/app.py`` registers them, with the same
error edge (``main``'s handling of ``MeshplaneError``), so these tests do not depend on the registration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import typer

from meshplane.cli import cmd_lineage, console
from meshplane.cli.console import print_error
from meshplane.errors import MeshplaneError
from meshplane.lineage.emit import read_jsonl
from meshplane.lineage.events import OutputSpec, run_event
from meshplane.lineage.naming import port_dataset

app = typer.Typer()
app.command()(cmd_lineage.lineage)
app.command("lineage-export")(cmd_lineage.lineage_export)


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")

    def invoke(*args: object) -> Result:
        console.out.file = None  # type: ignore[assignment]  # re-bind Rich to the captured streams
        console.err.file = None  # type: ignore[assignment]
        capsys.readouterr()
        try:
            code = app(args=[str(a) for a in args], standalone_mode=False)
        except MeshplaneError as exc:
            print_error(exc.message, exc.hint)
            code = exc.exit_code
        captured = capsys.readouterr()
        return Result(int(code or 0), captured.out, captured.err)

    return invoke


@pytest.fixture
def registry_url(tmp_path, monkeypatch):
    """An empty registry of our own, so runs recorded here never leak into the shared demo mesh."""
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    monkeypatch.setenv("MESHPLANE_REGISTRY_URL", url)
    return url


def test_lineage_of_the_whole_mesh(run, demo_root, registry_url):
    result = run("lineage", "--mesh", demo_root)
    assert result.code == 0, result.err
    assert result.out.startswith("mesh acme (dev): 8 data products, 6 external systems")
    assert "⇒ churn_features         to ml_platform (external)" in result.out


def test_lineage_of_one_product(run, demo_root, registry_url):
    result = run("lineage", "customer_360", "--mesh", demo_root, "--upstream")
    assert result.code == 0, result.err
    assert "orders ◀ sales/orders.orders" in result.out and "downstream of" not in result.out
    data = json.loads(run("lineage", "customer_master", "--mesh", demo_root, "--downstream", "-f", "json").out)
    assert data["downstream"] == [
        "urn:dmb:dp:marketing:customer_360:1",
        "urn:dmb:dp:marketing:churn_features:1",
        "system:ml_platform",
    ]
    assert data["upstream"] == []
    assert {n["kind"] for n in data["nodes"]} >= {"dataProduct", "boundaryPort", "system"}
    assert run("lineage", "churn_features", "--mesh", demo_root, "-f", "dot").out.startswith(
        'digraph "lineage acme dev"'
    )
    assert run("lineage", "churn_features", "--mesh", demo_root, "-f", "mermaid").out.startswith("flowchart LR\n")


def test_column_lineage(run, demo_root, registry_url):
    result = run("lineage", "invoices", "--mesh", demo_root, "--columns", "payments")
    assert result.code == 0, result.err
    assert "cid         ← billing_invoices.cid [identity]" in result.out
    assert "rows shaped by: billing_invoices.invoice_id [join], billing_payments.invoice_id [join]" in result.out
    data = json.loads(
        run("lineage", "customer_360", "--mesh", demo_root, "--columns", "customer_360", "-f", "json").out
    )
    assert data["columns"]["cid"] == [
        {"relation": "customers", "column": "cid", "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}]}
    ]
    assert data["problems"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "no data product `nosuch` in mesh acme"),
        (["--columns", "customers"], "--columns needs a data product"),
        (["--downstream"], "--upstream/--downstream need a data product"),
        (["customer_360", "--columns", "nope"], "has no output port `nope`"),
    ],
)
def test_mistakes_are_explained(run, demo_root, registry_url, args, message):
    result = run("lineage", "--mesh", demo_root, *args)
    assert result.code == 1
    assert message in result.err and "Traceback" not in result.err


def test_export_to_a_file(run, demo_root, tmp_path, registry_url):
    target = tmp_path / "lineage.jsonl"
    result = run("lineage-export", "--mesh", demo_root, "--to", target)
    assert result.code == 0, result.err
    assert "Exported 8 job event(s) (the descriptors' lineage) and 0 run event(s)" in result.out
    assert "nothing has run" in result.err
    events = read_jsonl(target)
    assert len(events) == 8 and all("run" not in e for e in events)


def test_export_to_a_server(run, demo_root, lineage_server, registry_url):
    result = run("lineage-export", "--mesh", demo_root, "--to", lineage_server.url, "-f", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["delivered"] == 8 and report["target"] == f"{lineage_server.url}/api/v1/lineage"
    assert len(lineage_server.received) == 8


def test_export_to_nobody(run, demo_root, free_url, registry_url):
    url = free_url()
    result = run("lineage-export", "--mesh", demo_root, "--to", url, "--retries", "0")
    assert result.code == 1
    assert f"cannot send lineage events to {url}/api/v1/lineage" in result.err
    assert "is a Marquez (or other OpenLineage) server running" in result.err


def test_stored_runs_are_exported_and_shown(run, demo_root, demo_ws, tmp_path, registry_url):
    from meshplane.registry import Registry

    if not hasattr(Registry, "runs"):  # pragma: no cover - the registry's run records arrive separately
        pytest.skip("this registry has no run records")
    c360 = demo_ws.find("customer_360")
    started = datetime(2026, 3, 1, 4, tzinfo=UTC)
    with Registry.open(registry_url) as registry:
        record = registry.runs.start(c360.id, "dev", actor="sam", owner="sam@test")
        event = run_event(
            event_type="COMPLETE",
            run_id=record.run_id,
            mesh="acme",
            dataproduct=c360,
            outputs=[OutputSpec(port_dataset("acme", "dev", c360.id, "customer_360"), version=4, row_count=480)],
            started=started,
            finished=started,
        )
        registry.runs.finish(record.run_id, "SUCCEEDED", lineage=event)

    target = tmp_path / "lineage.jsonl"
    result = run("lineage-export", "--mesh", demo_root, "--to", target)
    assert "and 1 run event(s)" in result.out, result.err
    exported = read_jsonl(target)
    assert exported[-1]["run"]["runId"] == record.run_id and exported[-1]["eventType"] == "COMPLETE"

    shown = run("lineage", "customer_master", "--mesh", demo_root, "--downstream")
    assert "customer_360 @v4 ▶ marketing/churn_features" in shown.out
    assert "versions from 1 run event(s)" in shown.err
    assert "and 0 run event(s)" in run("lineage-export", "--mesh", demo_root, "--to", target, "--no-runs").out
