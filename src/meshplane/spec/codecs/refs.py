"""``$ref`` across files, resolved relative to the file that holds the reference — and never fetched.

A DPDS descriptor is often split: the product file refers to port files, which refer to API files, which
refer to schema files. We inline what is on disk, remember which file and field every inlined value came
from (so later diagnostics still point at the right line), and report instead of following:

* a URL (``https://raw.githubusercontent.com/…``): a WARNING — the spec layer does no network I/O. When a
  file of the same name sits beside the referencing file (examples usually ship that way) it is used;
* a missing file: an ERROR naming the referencing file and field;
* a cycle (a → b → a): an ERROR; the reference is left as it is, so resolution always ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from meshplane.spec import yamlio
from meshplane.spec.codecs.common import FieldPath, Reporter
from meshplane.spec.diagnostics import Diagnostic, Severity
from meshplane.spec.yamlio import Document

#: Files that are JSON or YAML and can be inlined; anything else (``.proto``) stays a reference.
DOCUMENT_SUFFIXES = {".json", ".yaml", ".yml", ".avsc"}
MAX_DEPTH = 32


class LocatedReporter(Reporter):
    """A reporter over a tree assembled from several files: each path is located in the file it came from."""

    def __init__(
        self, doc: Document, origins: dict[FieldPath, tuple[Document, FieldPath]], diagnostics: list[Diagnostic]
    ) -> None:
        super().__init__(doc, diagnostics)
        self.origins = origins

    def origin(self, path: Any) -> tuple[Document, FieldPath]:
        parts = tuple(path)
        for cut in range(len(parts), -1, -1):
            found = self.origins.get(parts[:cut])
            if found is not None:
                doc, prefix = found
                return doc, (*prefix, *parts[cut:])
        return self.doc, parts

    def folder(self, path: FieldPath) -> Path:
        """The folder of the file that wrote ``path`` (what a relative reference there is relative to)."""
        return Path(self.origin(path)[0].file).parent


class Resolver:
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        self.cache: dict[Path, Document] = {}

    def load(self, path: Path) -> Document:
        key = path.resolve()
        if key not in self.cache:
            doc = yamlio.load(path, duplicate_keys=Severity.WARNING)
            self.cache[key] = doc
            self.diagnostics.extend(doc.diagnostics)
        return self.cache[key]

    def resolve(self, doc: Document) -> tuple[Any, LocatedReporter]:
        """The fully inlined tree, and a reporter that locates any path of it in the file it came from."""
        origins: dict[FieldPath, tuple[Document, FieldPath]] = {(): (doc, ())}
        tree = self._walk(doc.data, doc, (), (), (Path(doc.file).resolve(),), origins)
        return tree, LocatedReporter(doc, origins, self.diagnostics)

    def _walk(
        self,
        value: Any,
        doc: Document,
        at: FieldPath,
        tree: FieldPath,
        chain: tuple[Path, ...],
        origins: dict[FieldPath, tuple[Document, FieldPath]],
    ) -> Any:
        if isinstance(value, list):
            return [self._walk(v, doc, (*at, i), (*tree, i), chain, origins) for i, v in enumerate(value)]
        if not isinstance(value, dict):
            return value
        ref = value.get("$ref")
        if isinstance(ref, str):
            target = self._target(ref, doc, at, chain)
            if target is not None:
                origins[tree] = (target, ())
                loaded = self._walk(target.data, target, (), tree, (*chain, Path(target.file).resolve()), origins)
                siblings = {k: v for k, v in value.items() if k != "$ref"}
                if isinstance(loaded, dict):
                    for key, sibling in siblings.items():  # as in OpenAPI 3.1: what sits beside $ref wins
                        origins[(*tree, key)] = (doc, (*at, key))
                        loaded[key] = self._walk(sibling, doc, (*at, key), (*tree, key), chain, origins)
                return loaded
        return {k: self._walk(v, doc, (*at, k), (*tree, k), chain, origins) for k, v in value.items()}

    def _report(
        self, doc: Document, at: FieldPath, severity: Severity, code: str, message: str, hint: str | None = None
    ) -> None:
        self.diagnostics.append(doc.diagnostic((*at, "$ref"), message, code=code, severity=severity, hint=hint))

    def _target(self, ref: str, doc: Document, at: FieldPath, chain: tuple[Path, ...]) -> Document | None:
        if ref.startswith("#"):
            return None  # a pointer inside the same document: left for the tool that reads that format
        base = Path(doc.file).parent
        url = urlparse(ref)
        if url.scheme and len(url.scheme) > 1:
            local = base / Path(url.path).name if Path(url.path).name else None
            if local is not None and local.is_file() and local.suffix.lower() in DOCUMENT_SUFFIXES:
                self._report(
                    doc,
                    at,
                    Severity.WARNING,
                    "ref-remote",
                    f"`{ref}` is not fetched; the file of the same name beside it, `{local.name}`, is used",
                    hint="refer to the local file to make this explicit",
                )
                target = local
            else:
                self._report(
                    doc,
                    at,
                    Severity.WARNING,
                    "ref-remote",
                    f"`{ref}` is not fetched (no network access while reading descriptors); left unresolved",
                    hint="download it next to the descriptor and refer to it by a relative path",
                )
                return None
        else:
            target = base / ref.split("#", 1)[0]
        resolved = target.resolve()
        if resolved in chain:
            loop = " → ".join(p.name for p in (*chain[chain.index(resolved) :], resolved))
            self._report(
                doc,
                at,
                Severity.ERROR,
                "ref-cycle",
                f"`$ref: {ref}` makes a cycle ({loop}); left unresolved",
                hint="break the cycle: a file must not refer back to one that refers to it",
            )
            return None
        if not target.is_file():
            self._report(
                doc,
                at,
                Severity.ERROR,
                "ref-missing",
                f"`$ref: {ref}` names {target}, which does not exist",
                hint="check the path; it is relative to the file that holds the $ref",
            )
            return None
        if len(chain) >= MAX_DEPTH:
            self._report(doc, at, Severity.ERROR, "ref-depth", f"`$ref: {ref}` nests more than {MAX_DEPTH} files deep")
            return None
        if target.suffix.lower() not in DOCUMENT_SUFFIXES:
            self._report(
                doc, at, Severity.INFO, "ref-not-document", f"`{target.name}` is not JSON or YAML; kept as a reference"
            )
            return None
        loaded = self.load(target)
        return loaded if loaded.data is not None else None
