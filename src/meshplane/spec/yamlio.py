"""Read YAML (and JSON) while remembering where every value came from.

PyYAML's composer gives a node tree with marks; we build plain Python values from it ourselves so that we
can (a) record the line and column of every key and value by field path, (b) report duplicate keys instead
of silently keeping the last one, and (c) flag YAML 1.1 surprises (``gdpr: Yes`` becoming ``true``).
Timestamps are kept as the text the author wrote: descriptors carry dates in many formats and the model,
not the YAML resolver, decides what they mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from meshplane.spec.diagnostics import Diagnostic, Severity, format_path

try:  # the C loader is ~10x faster and keeps marks
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[str | int, ...]

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_PLAIN_BOOLS = {"true", "false", "True", "False", "TRUE", "FALSE"}


@dataclass
class Document:
    """A parsed file: its data, where each field path sits, and what reading it found."""

    file: str
    data: Any
    value_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of ``path``, or of its nearest existing ancestor."""
        parts = tuple(path)
        while True:
            table = self.key_positions if key and parts in self.key_positions else self.value_positions
            if parts in table:
                return table[parts]
            if not parts:
                return (1, 1)
            parts = parts[:-1]

    def diagnostic(
        self,
        path: Sequence[str | int],
        message: str,
        *,
        code: str,
        severity: Severity = Severity.ERROR,
        expected: str | None = None,
        hint: str | None = None,
        at_key: bool = False,
    ) -> Diagnostic:
        line, column = self.locate(path, key=at_key)
        return Diagnostic(
            severity=severity,
            code=code,
            message=message,
            file=self.file,
            line=line,
            column=column,
            path=format_path(path),
            expected=expected,
            hint=hint,
        )


def read_text(path: Path) -> tuple[str | None, Diagnostic | None]:
    """The file's text, or a diagnostic saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8"), None
    except FileNotFoundError:
        return None, Diagnostic(
            Severity.ERROR, "file-not-found", "file does not exist", file=str(path), hint="check the path"
        )
    except IsADirectoryError:
        return None, Diagnostic(Severity.ERROR, "not-a-file", "is a directory, expected a file", file=str(path))
    except UnicodeDecodeError as exc:
        return None, Diagnostic(
            Severity.ERROR,
            "encoding",
            f"not UTF-8 text ({exc.reason} at byte {exc.start})",
            file=str(path),
            hint="save the file as UTF-8",
        )
    except OSError as exc:
        return None, Diagnostic(Severity.ERROR, "unreadable", f"cannot be read: {exc.strerror}", file=str(path))


def parse(text: str, file: str = "<input>", *, duplicate_keys: Severity = Severity.ERROR) -> Document:
    """Parse one YAML or JSON document. Never raises for bad input: problems become diagnostics."""
    doc = Document(file=file, data=None)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.data = _Builder(loader, doc, duplicate_keys).build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and mark is not None and mark.line >= len(text.splitlines()):
            mark = exc.context_mark  # "unclosed at end of file": point at what was left open
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        lines = text.splitlines()
        at_tab = 0 < line <= len(lines) and "\t" in lines[line - 1][: max(column, 1)]
        doc.diagnostics.append(
            Diagnostic(
                Severity.ERROR,
                "yaml-syntax",
                f"invalid YAML: {problem}",
                file=file,
                line=line,
                column=column,
                hint="indent with spaces, not tabs" if at_tab else _syntax_hint(problem),
            )
        )
        doc.data = None
    except yaml.YAMLError as exc:  # reader errors (control characters, bad encodings)
        doc.diagnostics.append(Diagnostic(Severity.ERROR, "yaml-syntax", f"invalid YAML: {exc}", file=file))
        doc.data = None
    finally:
        loader.dispose()
    return doc


def load(path: Path, *, duplicate_keys: Severity = Severity.ERROR) -> Document:
    text, problem = read_text(path)
    if text is None:
        assert problem is not None
        return Document(file=str(path), data=None, diagnostics=[problem])
    return parse(text, str(path), duplicate_keys=duplicate_keys)


def _syntax_hint(problem: str) -> str | None:
    if "tab" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "quote values that contain ': ' or fix the indentation of this line"
    if "could not find expected ':'" in problem:
        return "a key needs a ':' after it; check the indentation of the previous lines"
    return None


class _Builder:
    def __init__(self, loader: Any, doc: Document, duplicate_keys: Severity) -> None:
        self.loader = loader
        self.doc = doc
        self.duplicate_keys = duplicate_keys
        self.depth = 0

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.doc.value_positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        self.loader.flatten_mapping(node)  # resolves `<<` merge keys
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.MarkedYAMLError(problem="a mapping key must be plain text", problem_mark=key_node.start_mark)
            key = str(key_node.value)  # the author's text: `on:` stays "on", `1:` stays "1"
            child = (*path, key)
            if key in result:
                first = self.doc.key_positions[child]
                self.doc.diagnostics.append(
                    Diagnostic(
                        self.duplicate_keys,
                        "duplicate-key",
                        f"duplicate key `{key}` (first defined at line {first[0]}); the last value is used",
                        file=self.doc.file,
                        line=key_node.start_mark.line + 1,
                        column=key_node.start_mark.column + 1,
                        path=format_path(child),
                        hint="remove one of the two entries",
                    )
                )
            self.doc.key_positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, child)
        return result

    def _scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        if node.tag == _TIMESTAMP_TAG:
            return node.value
        value = self.loader.construct_object(node, deep=True)
        if node.tag == _BOOL_TAG and node.value not in _PLAIN_BOOLS:
            self.doc.diagnostics.append(
                Diagnostic(
                    Severity.WARNING,
                    "yaml11-boolean",
                    f"`{node.value}` is read as the boolean {str(value).lower()} (YAML 1.1)",
                    file=self.doc.file,
                    line=node.start_mark.line + 1,
                    column=node.start_mark.column + 1,
                    path=format_path(path),
                    hint=f"write {str(value).lower()}, or quote it ('{node.value}') for text",
                )
            )
        return value


def dump(data: Any) -> str:
    """YAML as people write it: keys in model order, block style, unicode kept."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=110)
