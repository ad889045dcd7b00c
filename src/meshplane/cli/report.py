"""Render diagnostics for people (text), machines (JSON) and CI systems (JUnit XML)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence

from rich.markup import escape

from meshplane.cli.console import Format, out
from meshplane.spec.diagnostics import Diagnostic, Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def counts(diagnostics: Sequence[Diagnostic]) -> dict[str, int]:
    return {s.value + "s": sum(1 for d in diagnostics if d.severity is s) for s in Severity}


def render(diagnostics: Sequence[Diagnostic], files: Sequence[str], fmt: Format, *, title: str) -> None:
    if fmt is Format.JSON:
        emit_json(as_json(diagnostics, files))
    elif fmt is Format.JUNIT:
        out.print(junit(diagnostics, files, title=title), markup=False, highlight=False)
    else:
        text(diagnostics, files)


def emit_json(data: object) -> None:
    """Plain, stable JSON on stdout (no colours, no wrapping) for machines."""
    out.file.write(json.dumps(data, indent=2, default=str) + "\n")


def as_json(diagnostics: Sequence[Diagnostic], files: Sequence[str]) -> dict[str, object]:
    tally = counts(diagnostics)
    return {
        "ok": tally["errors"] == 0,
        **tally,
        "checked": list(files),
        "diagnostics": [d.to_dict() for d in diagnostics],
    }


def text(diagnostics: Sequence[Diagnostic], files: Sequence[str]) -> None:
    for diag in diagnostics:
        style = _STYLE[diag.severity]
        line = f"[bold]{escape(diag.location)}[/]: [{style}]{diag.severity.value}[/][dim]{escape(f'[{diag.code}]')}[/]"
        if diag.path:
            line += f" [magenta]{escape(diag.path)}[/]:"
        line += f" {escape(diag.message)}"
        if diag.expected:
            line += f"; expected {escape(diag.expected)}"
        out.print(line)
        if diag.hint:
            out.print(f"    [dim]hint:[/] {escape(diag.hint)}")
    tally = counts(diagnostics)
    noun = "file" if len(files) == 1 else "files"
    if tally["errors"]:
        out.print(
            f"[bold red]✗[/] {len(files)} {noun} checked: {tally['errors']} error(s), {tally['warnings']} warning(s)"
        )
    else:
        out.print(f"[bold green]✓[/] {len(files)} {noun} checked: no errors, {tally['warnings']} warning(s)")


def junit(diagnostics: Sequence[Diagnostic], files: Sequence[str], *, title: str) -> str:
    """One test case per checked file; each error is a failure, warnings go to system-out."""
    by_file: dict[str, list[Diagnostic]] = defaultdict(list)
    for diag in diagnostics:
        by_file[diag.file].append(diag)
    names = list(dict.fromkeys([*files, *by_file]))
    failures = sum(1 for f in names if any(d.severity is Severity.ERROR for d in by_file[f]))
    suites = ET.Element("testsuites", name=title, tests=str(len(names)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name=title, tests=str(len(names)), failures=str(failures), errors="0")
    for name in names:
        case = ET.SubElement(suite, "testcase", classname=title, name=name or "<input>")
        errors = [d for d in by_file[name] if d.severity is Severity.ERROR]
        others = [d for d in by_file[name] if d.severity is not Severity.ERROR]
        if errors:
            failure = ET.SubElement(case, "failure", message=f"{len(errors)} error(s)", type="validation")
            failure.text = "\n".join(d.render() for d in errors)
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(d.render() for d in others)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode")


def junit_tests(title: str, tests: Sequence[tuple[str, bool, str]]) -> str:
    """JUnit XML for named pass/fail tests (``policy test``)."""
    failures = sum(1 for _, ok, _ in tests if not ok)
    suites = ET.Element("testsuites", name=title, tests=str(len(tests)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name=title, tests=str(len(tests)), failures=str(failures), errors="0")
    for name, ok, detail in tests:
        case = ET.SubElement(suite, "testcase", classname=title, name=name)
        if not ok:
            ET.SubElement(case, "failure", message=detail[:200], type="policy").text = detail
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode")
