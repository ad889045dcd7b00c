"""Cross-reference checks: what a single descriptor cannot know about itself.

Ids agree with domain, name and version; ``dependsOn`` and input ports name things that exist; nobody
consumes a boundary port; data products do not depend on each other in a cycle; columns carry declared
polysemes; workloads and expectations name real ports and columns. Each problem is located in the file
that has to change.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from meshplane.spec.diagnostics import Diagnostic, Severity, did_you_mean
from meshplane.spec.graph import find_cycle
from meshplane.spec.ids import ComponentId, DataProductId
from meshplane.spec.loader import Loaded
from meshplane.spec.model import (
    BoundaryPort,
    DatabaseSource,
    DataProduct,
    EventsSource,
    FilesSource,
    InputPort,
    Language,
    Mesh,
    OutputPort,
    OutputPortSource,
    Range,
    Workload,
)
from meshplane.spec.workspace import Workspace

P = tuple[str | int, ...]


def check_workspace(ws: Workspace) -> list[Diagnostic]:
    """Every diagnostic for the selected descriptors: loading problems plus cross-references."""
    selected = {p.resolve() for p in ws.selected}
    found: list[Diagnostic] = list(ws.mesh.diagnostics) if ws.mesh else []
    mesh = ws.mesh_model
    if mesh is not None and ws.mesh is not None:
        found.extend(_check_mesh(ws.mesh, mesh))
    ids: dict[str, Path] = {}
    for loaded in ws.products:
        file = Path(loaded.document.file).resolve()
        mine = file in selected
        if mine:
            found.extend(loaded.diagnostics)
        dp = loaded.model
        if dp is None:
            continue
        first = ids.setdefault(dp.id, file)
        if mine and first != file:
            found.append(
                loaded.document.diagnostic(
                    ("id",),
                    f"data product id {dp.id} is also used by {first}",
                    code="duplicate-id",
                    hint="bump the major or rename one",
                )
            )
        if mine:
            found.extend(_Checker(ws, loaded, dp, mesh).run())
    if mesh is not None:
        found.extend(_cycles(ws, selected))
    return found


def _check_mesh(loaded: Loaded[Mesh], mesh: Mesh) -> Iterable[Diagnostic]:
    doc = loaded.document
    domains = {d.name for d in mesh.domains}
    for i, poly in enumerate(mesh.polysemes):
        if domains and poly.issued_by not in domains:
            yield doc.diagnostic(
                ("polysemes", i, "issuedBy"),
                f"polyseme `{poly.name}` is issued by unknown domain `{poly.issued_by}`",
                code="unknown-domain",
                hint=did_you_mean(poly.issued_by, domains) or "declare the domain under `domains`",
            )
    for section, names in (
        ("domains", [d.name for d in mesh.domains]),
        ("polysemes", [p.name for p in mesh.polysemes]),
        ("systems", [s.name for s in mesh.systems]),
        ("groups", [g.name for g in mesh.groups]),
        ("users", [u.id for u in mesh.users]),
    ):
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                yield doc.diagnostic(
                    (section, i),
                    f"`{name}` is declared twice in `{section}`",
                    code="duplicate-name",
                    hint="remove one of them",
                )
            seen.add(name)


class _Checker:
    def __init__(self, ws: Workspace, loaded: Loaded[DataProduct], dp: DataProduct, mesh: Mesh | None) -> None:
        self.ws = ws
        self.doc = loaded.document
        self.dp = dp
        self.mesh = mesh
        self.found: list[Diagnostic] = []
        self.index = {c.name: i for i, c in enumerate(dp.components)}

    def error(
        self, path: P, message: str, code: str, hint: str | None = None, severity: Severity = Severity.ERROR
    ) -> None:
        self.found.append(self.doc.diagnostic(path, message, code=code, hint=hint, severity=severity))

    def run(self) -> list[Diagnostic]:
        self._identity()
        self._components()
        for i, comp in enumerate(self.dp.components):
            at: P = ("components", i)
            if isinstance(comp, InputPort):
                self._input_port(at, comp)
            elif isinstance(comp, OutputPort | BoundaryPort):
                self._contract(at, comp)
            elif isinstance(comp, Workload):
                self._workload(at, comp)
        return self.found

    def _identity(self) -> None:
        dp = self.dp
        try:
            parsed = DataProductId.parse(dp.id)
        except ValueError as exc:
            self.error(("id",), str(exc), "invalid-id", hint=f"use urn:dmb:dp:{dp.domain}:{dp.name}:{dp.semver.major}")
            return
        if parsed.domain != dp.domain:
            self.error(
                ("id",),
                f"the id says domain `{parsed.domain}` but `domain` is `{dp.domain}`",
                "id-mismatch",
                hint="make the id and `domain` agree",
            )
        if parsed.name != dp.name:
            self.error(
                ("id",),
                f"the id says name `{parsed.name}` but `name` is `{dp.name}`",
                "id-mismatch",
                hint="make the id and `name` agree",
            )
        if parsed.major != dp.semver.major:
            new_id = DataProductId(parsed.domain, parsed.name, dp.semver.major)
            self.error(
                ("version",),
                f"version {dp.version} has major {dp.semver.major} but the id has major {parsed.major}",
                "id-mismatch",
                hint=f"a new major is a new data product: set the id to {new_id} or the version to {parsed.major}.x.y",
            )
        if self.mesh is not None:
            domains = [d.name for d in self.mesh.domains]
            if dp.domain not in domains:
                self.error(
                    ("domain",),
                    f"domain `{dp.domain}` is not declared in mesh.yaml",
                    "unknown-domain",
                    hint=did_you_mean(dp.domain, domains) or f"add `- name: {dp.domain}` under `domains`",
                )
            folder = Path(self.doc.file).resolve().parent
            try:
                parts = folder.relative_to(self.ws.root.resolve()).parts
            except ValueError:
                parts = ()
            if parts and parts[0] != dp.domain:
                self.error(
                    ("domain",),
                    f"the descriptor lives under `{parts[0]}/` but its domain is `{dp.domain}`",
                    "folder-mismatch",
                    severity=Severity.WARNING,
                    hint=f"move it to {dp.domain}/{dp.name}/",
                )

    def _components(self) -> None:
        seen: dict[str, int] = {}
        for i, comp in enumerate(self.dp.components):
            if comp.name in seen:
                self.error(
                    ("components", i, "name"),
                    f"component name `{comp.name}` is used twice (first at components[{seen[comp.name]}])",
                    "duplicate-name",
                    hint="component names are unique within a data product",
                )
            seen.setdefault(comp.name, i)
            if comp.id is not None:
                expected = self.dp.component_id(comp.model_copy(update={"id": None}))
                if comp.id != expected:
                    self.error(
                        ("components", i, "id"),
                        f"component id {comp.id} does not match its data product and name",
                        "id-mismatch",
                        hint=f"use {expected}, or leave `id` out",
                    )
            for j, dep in enumerate(comp.depends_on):
                self._depends_on(("components", i, "dependsOn", j), dep)

    def _depends_on(self, at: P, ref: str) -> None:
        if self.dp.component(ref) is not None:
            return
        try:
            cid = ComponentId.parse(ref)
        except ValueError:
            self.error(
                at,
                f"`{ref}` is not a component of this data product",
                "unknown-reference",
                hint=did_you_mean(ref, self.index)
                or "name a component of this data product or a full urn:dmb:cmp:… id",
            )
            return
        other = self.ws.by_id().get(str(cid.data_product_id))
        if other is None or other[1].component(cid.name) is None:
            self.error(
                at,
                f"`{ref}` names no known component",
                "unknown-reference",
                hint="check the data product id, major and component name",
            )

    def _input_port(self, at: P, port: InputPort) -> None:
        src = port.source
        if isinstance(src, OutputPortSource):
            known = self.ws.by_id()
            if src.data_product == self.dp.id:
                self.error(
                    (*at, "source", "dataProduct"),
                    "a data product cannot read its own output port",
                    "self-reference",
                    hint="read the upstream source instead",
                )
                return
            target = known.get(src.data_product)
            if target is None:
                known = {k: v for k, v in known.items() if k != self.dp.id}
                if self.mesh is not None and src.data_product not in self.ws.broken_ids():
                    self.error(
                        (*at, "source", "dataProduct"),
                        f"no data product {src.data_product} in this mesh",
                        "unknown-reference",
                        hint=did_you_mean(src.data_product, known) or "check the id (domain, name and major)",
                    )
                return
            other = target[1]
            if other.component(src.port) is None or not isinstance(
                other.component(src.port), OutputPort | BoundaryPort
            ):
                ports = [p.name for p in other.output_ports]
                self.error(
                    (*at, "source", "port"),
                    f"{other.id} has no output port `{src.port}`",
                    "unknown-reference",
                    hint=did_you_mean(src.port, ports)
                    or "its output ports are " + (", ".join(f"`{p}`" for p in ports) or "none"),
                )
            elif isinstance(other.component(src.port), BoundaryPort):
                self.error(
                    (*at, "source", "port"),
                    f"`{src.port}` of {other.id} is a boundary port: it serves "
                    "systems outside the mesh, and no data product may consume it",
                    "boundary-port-consumed",
                    hint="ask the owner to expose it as an output port",
                )
        elif isinstance(src, DatabaseSource | FilesSource | EventsSource) and self.mesh is not None:
            systems = [s.name for s in self.mesh.systems]
            if src.system not in systems:
                self.error(
                    (*at, "source", "system"),
                    f"external system `{src.system}` is not declared in mesh.yaml",
                    "unknown-system",
                    hint=did_you_mean(src.system, systems)
                    or f"add `- name: {src.system}` under `systems` in mesh.yaml",
                )

    def _contract(self, at: P, port: OutputPort | BoundaryPort) -> None:
        contract = port.data_contract
        base = (*at, "dataContract")
        names = [c.name for c in contract.columns]
        seen: set[str] = set()
        for i, col in enumerate(contract.columns):
            if col.name in seen:
                self.error((*base, "columns", i, "name"), f"column `{col.name}` is declared twice", "duplicate-name")
            seen.add(col.name)
            if col.polyseme is not None and self.mesh is not None:
                known = [p.name for p in self.mesh.polysemes]
                if col.polyseme not in known:
                    self.error(
                        (*base, "columns", i, "polyseme"),
                        f"polyseme `{col.polyseme}` is not declared in mesh.yaml",
                        "unknown-polyseme",
                        hint=did_you_mean(col.polyseme, known)
                        or f"declare it under `polysemes` in mesh.yaml (known: {', '.join(known) or 'none'})",
                    )
            if col.primary_key and not col.required:
                self.error(
                    (*base, "columns", i),
                    f"primary key column `{col.name}` is not `required`",
                    "primary-key-nullable",
                    severity=Severity.WARNING,
                    hint="add `required: true`",
                )
        for i, exp in enumerate(contract.quality):
            cols = getattr(exp, "columns", None) or ([exp.column] if hasattr(exp, "column") else [])
            for col_name in cols:
                if col_name not in names:
                    self.error(
                        (*base, "quality", i, "column" if hasattr(exp, "column") else "columns"),
                        f"expectation names unknown column `{col_name}`",
                        "unknown-column",
                        hint=did_you_mean(col_name, names),
                    )
            if (
                isinstance(exp, Range)
                and isinstance(exp.min, float | int)
                and isinstance(exp.max, float | int)
                and exp.min > exp.max
            ):
                self.error((*base, "quality", i), f"range min {exp.min} is greater than max {exp.max}", "invalid-value")
        if contract.bitemporal is not None:
            for key in ("validFrom", "validTo"):
                col_name = getattr(contract.bitemporal, "valid_from" if key == "validFrom" else "valid_to")
                if col_name not in names:
                    self.error(
                        (*base, "bitemporal", key),
                        f"bi-temporal column `{col_name}` is not a column of this port",
                        "unknown-column",
                        hint=did_you_mean(col_name, names) or f"add a `{col_name}` column of type timestamp",
                    )

    def _workload(self, at: P, wl: Workload) -> None:
        inputs = [p.name for p in self.dp.input_ports]
        outputs = [p.name for p in self.dp.output_ports + self.dp.boundary_ports]
        for j, name in enumerate(wl.reads):
            if name not in inputs:
                self.error(
                    (*at, "reads", j),
                    f"`{name}` is not an input port of this data product",
                    "unknown-reference",
                    hint=did_you_mean(name, inputs) or "declare an input port with that name",
                )
        for j, name in enumerate(wl.writes):
            if name not in outputs:
                self.error(
                    (*at, "writes", j),
                    f"`{name}` is not an output or boundary port of this data product",
                    "unknown-reference",
                    hint=did_you_mean(name, outputs),
                )
        folder = Path(self.doc.file).parent
        if wl.language is Language.SQL:
            for name in wl.writes:
                if name not in wl.sql:
                    self.error(
                        (*at, "sql"),
                        f"no SQL for port `{name}`",
                        "missing-field",
                        hint=f"add `{name}: sql/{name}.sql` under `sql`",
                    )
            for name, text in wl.sql.items():
                if name not in wl.writes:
                    self.error(
                        (*at, "sql", name),
                        f"SQL given for `{name}`, which the workload does not write",
                        "unknown-reference",
                        hint="add it to `writes` or remove it",
                    )
                if text.strip().lower().endswith(".sql") and not (folder / text.strip()).is_file():
                    self.error(
                        (*at, "sql", name),
                        f"SQL file {text.strip()} does not exist",
                        "file-not-found",
                        hint=f"create {folder / text.strip()}",
                    )
        elif wl.function is None:
            self.error(
                at,
                "a python workload needs `function: file.py:function`",
                "missing-field",
                hint="add `function: transform.py:run`",
            )
        else:
            file, _, func = wl.function.partition(":")
            if not func:
                self.error(
                    (*at, "function"),
                    f"`{wl.function}` does not name a function",
                    "invalid-value",
                    hint=f"write `{file}:run`",
                )
            elif not (folder / file).is_file():
                self.error(
                    (*at, "function"), f"{file} does not exist", "file-not-found", hint=f"create {folder / file}"
                )


def _cycles(ws: Workspace, selected: set[Path]) -> list[Diagnostic]:
    """Data products reading each other in a loop can never be run in order."""
    products = [dp for _, dp in ws.models()]
    cycle = find_cycle(products)
    if not cycle:
        return []
    loaded, dp = ws.by_id()[cycle[0]]
    if Path(loaded.document.file).resolve() not in selected and not any(
        Path(ws.by_id()[n][0].document.file).resolve() in selected for n in cycle
    ):
        return []
    index = next(
        i
        for i, c in enumerate(dp.components)
        if isinstance(c, InputPort) and isinstance(c.source, OutputPortSource) and c.source.data_product == cycle[1]
    )
    return [
        loaded.document.diagnostic(
            ("components", index, "source", "dataProduct"),
            "data products depend on each other in a cycle: " + " → ".join(cycle),
            code="cycle",
            hint="break the cycle: one of them must read the other's sources instead",
        )
    ]
