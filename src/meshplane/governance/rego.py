"""Evaluate Rego in-process with ``regopy`` (the Rego interpreter of Microsoft's rego-cpp).

One interpreter holds every module; a data product is checked with one query over all policy packages.
Only when that query fails (a policy that errors at evaluation) are packages queried one by one, so a
broken policy becomes an error result for that policy and never stops the check.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

from meshplane.errors import UnsupportedError

_ERROR_AT = re.compile(r"\(error\s+\d+:(?P<file>[^|]*)\|(?P<offset>\d+)\|(?P<length>\d+)")
_MESSAGE = re.compile(r"\(errormsg\s+\d+:(?P<msg>[^)]*)\)")


class RegoCompileError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class RegoEvalError(Exception):
    pass


def _regopy() -> Any:
    # DuckDB must be loaded before rego-cpp: with regopy's native library loaded first, DuckDB later aborts
    # the process ("double free or corruption") while running queries (duckdb 2.0, regopy 1.5.2). A process
    # that evaluates policies and then checks data (the demo, the test suite, a server) hits it; loading
    # DuckDB first is cheap and keeps the order safe. tests/governance/test_engine.py runs the bad order.
    import duckdb  # noqa: F401

    try:
        import regopy
    except ImportError as exc:  # pragma: no cover - regopy is a core dependency
        raise UnsupportedError("the Rego interpreter is missing", hint="pip install regopy") from exc
    return regopy


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """rego-cpp prints its error report to the process's stdout/stderr; keep it out of users' terminals."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _locate(source: str, error: str) -> tuple[str, int, int]:
    match = _ERROR_AT.search(error)
    message = _MESSAGE.search(error)
    text = message["msg"].strip() if message else error.strip().splitlines()[0]
    if not match:
        return text, 1, 1
    offset = int(match["offset"])
    before = source.encode()[:offset].decode(errors="replace")
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return text, line, column


def check_syntax(name: str, source: str) -> None:
    """Raise ``RegoCompileError`` with a line and column when the module does not compile."""
    regopy = _regopy()
    interpreter = regopy.Interpreter()
    try:
        with _quiet():
            interpreter.add_module(name, source)
            interpreter.query("data")  # forces well-formedness and compilation of the whole module
    except regopy.RegoError as exc:
        raise RegoCompileError(*_locate(source, str(exc))) from None
    except Exception as exc:  # rego-cpp reports some problems as generic runtime errors
        raise RegoCompileError(str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid Rego", 1, 1) from None


class Interpreter:
    """Modules and context data compiled once into a bundle; ``evaluate`` runs it for one input.

    The query reads ``deny`` and ``warn`` of every package in one pass; ``object.get`` keeps a package
    without ``warn`` from making the whole answer undefined.
    """

    def __init__(self, modules: Sequence[tuple[str, str]], packages: Sequence[str], data: dict[str, Any]) -> None:
        regopy = _regopy()
        self._error = regopy.RegoError
        self._interp = regopy.Interpreter()
        self._interp.strict_built_in_errors = True
        self.packages = list(packages)
        rules = ", ".join(f'object.get(data.{p}, "deny", []), object.get(data.{p}, "warn", [])' for p in packages)
        with _quiet():
            for name, source in modules:
                self._interp.add_module(name, source)
            self._interp.add_data(data)
            self._bundle = self._interp.build(f"[{rules}]") if packages else None

    def _decode(self, output: Any) -> Any:
        text = str(output)
        if not output.ok() or text.startswith("<error"):
            raise RegoEvalError("evaluation failed (a built-in error such as a type error or a division by zero)")
        if text == "undefined":
            return None
        data = json.loads(text)
        if "expressions" not in data:
            raise RegoEvalError(str(data.get("message") or data))
        return data["expressions"][0] if data["expressions"] else None

    def evaluate(self, value: dict[str, Any]) -> list[tuple[Any, Any]]:
        """``(deny, warn)`` for each package, in order. Raises ``RegoEvalError`` if any package fails."""
        if self._bundle is None:
            return []
        self._interp.set_input(value)
        try:
            with _quiet():
                result = self._decode(self._interp.query_bundle(self._bundle))
        except self._error as exc:
            raise RegoEvalError(_locate("", str(exc))[0]) from None
        if not isinstance(result, list):
            raise RegoEvalError("the policies gave no answer")
        return [(result[i], result[i + 1]) for i in range(0, len(result), 2)]

    def evaluate_one(self, value: dict[str, Any], package: str) -> tuple[Any, Any]:
        """One package alone, to find which policy made a combined evaluation fail."""
        self._interp.set_input(value)
        try:
            with _quiet():
                deny = self._decode(self._interp.query(f'object.get(data.{package}, "deny", [])'))
                warn = self._decode(self._interp.query(f'object.get(data.{package}, "warn", [])'))
        except self._error as exc:
            raise RegoEvalError(_locate("", str(exc))[0]) from None
        return deny, warn
