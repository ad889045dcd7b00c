"""`meshplane test` through a Typer app holding just that command: exit codes, text, JSON and JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from meshplane.cli import cmd_test

app = typer.Typer()
app.command("test")(cmd_test.test)
app.command("noop")(lambda: None)  # a second command, so `test` is a subcommand as in the real CLI
runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Rich wraps table cells to the terminal's width; give it room so messages stay on one line."""
    from meshplane.cli import console

    monkeypatch.setattr(console.out, "_width", 250)


def _run(*args: str | Path):
    return runner.invoke(app, ["test", *(str(a) for a in args)], env={"COLUMNS": "200"})


def test_failing_errors_exit_1_with_a_table_and_samples(contract_dir: Path):
    result = _run(contract_dir / "orders.odcs.yaml", "--server", "local", "--samples", "1")
    assert result.exit_code == 1, result.output
    assert "required:customer_id" in result.output
    assert "10 of 10,000 rows (0.1%) are NULL in `customer_id`; none allowed" in result.output
    assert "sample(s) of failing rows" in result.output
    assert "not-an-email" in result.output


def test_warnings_alone_exit_0(tmp_path: Path):
    (tmp_path / "d.csv").write_text("id\na\na\n")
    (tmp_path / "c.yaml").write_text(
        "apiVersion: v3.1.0\nkind: DataContract\nid: c\nversion: 1.0.0\n"
        "schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: string\n"
        "        quality:\n          - {metric: duplicateValues, mustBe: 0, severity: warning}\n"
    )
    result = _run(tmp_path / "c.yaml", "--path", tmp_path / "d.csv")
    assert result.exit_code == 0, result.output
    assert "warn" in result.output


def test_json_output(contract_dir: Path):
    result = _run(contract_dir / "orders.odcs.yaml", "--server", "local", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["blocking"] is True and data["ok"] is False
    assert data["rows"] == 10_000
    by_id = {c["id"]: c for c in data["checks"]}
    assert by_id["range:amount"]["failed"] == 10
    assert by_id["range:amount"]["status"] == "fail"
    assert by_id["range:amount"]["samples"][0]["amount"] == "-1.00"


def test_junit_output_has_one_case_per_check(contract_dir: Path):
    result = _run(contract_dir / "orders.odcs.yaml", "--server", "local", "-f", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.output.split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests", "0")) == 17
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == {
        "required:customer_id",
        "unique:order_id",
        "primaryKey:order_id",
        "range:amount",
        "acceptedValues:status",
        "pattern:email",
    }
    assert suite.get("failures") == "6"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_contract_that_cannot_be_found_is_an_error(tmp_path: Path, fmt: str):
    result = _run(tmp_path / "nope.yaml", "--format", fmt)
    assert result.exit_code != 0
    assert result.exception is not None
