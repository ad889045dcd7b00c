"""Output ports as Delta Lake tables (delta-rs): created, evolved additively, constrained, removed.

Each output or boundary port is one table at ``<storage root>/<env>/<domain>/<dp>/v<major>/<port>``.
Provisioning converges the table on the contract, so running it again, after a crash or beside a
concurrent provisioner, ends in the same table:

* created with the contract's schema, the component id as table name, the port description, and the change
  data feed on. The feed is on for every port, not only ``events`` ports: it costs extra files only on
  UPDATE/DELETE/MERGE, lets any consumer read a port incrementally, and lets a port become an ``events`` port
  later without a table rewrite;
* the create commit never retries: delta-rs retries a conflicting create as version 1, with a second
  ``metaData`` (measured), so with retries off the loser of a race gets an error, and we treat it as "exists";
* CHECK constraints for what the contract enforces per row (see ``constraints``), owned by name (``mp_…``);
* in-place changes are additive only; the rest raises :class:`BreakingChangeError` (a new major version).

Access control is not the storage's job here: a local or object-store Delta table has no grants of its
own, so the query gateway enforces them (``supports_acl`` is false).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Field
from deltalake.exceptions import CommitFailedError, DeltaError

from meshplane.adapters.base import (
    Operation,
    ProvisionRequest,
    ProvisionResult,
    ProvisionStatus,
    Validation,
)
from meshplane.adapters.constraints import PREFIX, bound_problems, compile_checks, render_delta
from meshplane.adapters.evolution import (
    ColumnShape,
    TableSpec,
    changed_keys,
    diff_columns,
    plan_change,
    refuse_breaking,
)
from meshplane.adapters.ports import as_port, safe_name
from meshplane.adapters.schema import (
    OWNED_METADATA_KEYS,
    arrow_schema,
    canonical_type,
    column_from_arrow,
    field_metadata,
    physical_problem,
)
from meshplane.adapters.storage import major_of, port_location, remove_tree, root_location
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError
from meshplane.spec.model import BoundaryPort, Component, OutputPort

CDF = "delta.enableChangeDataFeed"
_CONSTRAINT = "delta.constraints."
_ATTEMPTS = 4


def _spec_of(location: str, schema: Any, constraints: Mapping[str, str], properties: Mapping[str, str]) -> TableSpec:
    columns = [ColumnShape(f.name, canonical_type(f.type), f.nullable) for f in schema]
    props = dict(properties)
    for f in schema:
        owned = {k: v for k, v in field_metadata(f).items() if k in OWNED_METADATA_KEYS}
        if owned:
            props[f"column.{f.name}"] = json.dumps(owned, sort_keys=True)
    return TableSpec(location, columns, dict(constraints), props)


class DeltaStorageAdapter:
    """Output and boundary ports as Delta tables under the mesh's storage root."""

    name: ClassVar[str] = "delta"
    kinds: ClassVar[frozenset[str]] = frozenset({"outputPort", "boundaryPort"})
    supports_update: ClassVar[bool] = True
    supports_acl: ClassVar[bool] = False
    supports_reverse: ClassVar[bool] = True

    # -- the desired state ---------------------------------------------------------------------------------
    def desired(self, request: ProvisionRequest, component: Component | None = None) -> tuple[TableSpec, Any]:
        """The table the contract asks for (``component`` defaults to the request's) and its Arrow schema."""
        port = as_port(component or request.component, self.name)
        schema = arrow_schema(port.data_contract)
        constraints = {c.name(): render_delta(c) for c in compile_checks(port.data_contract)}
        cid = request.dataproduct.component_id(port)
        properties = {"name": cid, "description": port.description or cid, CDF: "true"}
        return _spec_of(port_location(request).uri, schema, constraints, properties), schema

    @staticmethod
    def live(table: DeltaTable) -> TableSpec:
        """What the table is now, in the same terms (only the constraints Meshplane owns)."""
        meta = table.metadata()
        config = meta.configuration
        constraints = {k[len(_CONSTRAINT) :]: v for k, v in config.items() if k.startswith(_CONSTRAINT + PREFIX)}
        properties = {"name": meta.name or "", "description": meta.description or "", CDF: config.get(CDF, "false")}
        return _spec_of(table.table_uri, pa.schema(table.schema().to_arrow()), constraints, properties)

    # -- the protocol ------------------------------------------------------------------------------------------
    def validate(self, request: ProvisionRequest) -> Validation:
        errors: list[str] = []
        try:
            port = as_port(request.component, self.name)
            port_location(request)
        except MeshplaneError as exc:
            return Validation(False, [str(exc)])
        columns = port.data_contract.columns
        if not columns:
            errors.append(f"output port `{port.name}` declares no columns; a table needs at least one")
        seen: dict[str, str] = {}
        for col in columns:
            # Delta resolves column names case-insensitively, so `Id` and `id` are the same column
            if (first := seen.setdefault(col.name.lower(), col.name)) != col.name:
                errors.append(f"columns `{first}` and `{col.name}` differ only in case; Delta treats them as one")
            if problem := physical_problem(col):
                errors.append(problem)
        errors.extend(bound_problems(port.data_contract))
        return Validation(not errors, errors)

    def plan(self, request: ProvisionRequest) -> Operation:
        desired, _ = self.desired(request)
        if request.previous is None:
            return Operation.CREATE
        if not isinstance(request.previous, OutputPort | BoundaryPort):
            return Operation.REPLACE
        previous, _ = self.desired(request, request.previous)
        return plan_change(previous, desired)

    def provision(self, request: ProvisionRequest) -> ProvisionResult:
        desired, schema = self.desired(request)
        if not schema.names:
            raise InvalidInputError(f"{request.component_id}: the data contract declares no columns")
        location = port_location(request)
        logs: list[str] = []
        if not DeltaTable.is_deltatable(location.uri):
            self._refuse_foreign_folder(location.local)
            logs.append(self._create(location.uri, location.local, schema, desired))
        major = major_of(request.dataproduct)
        for attempt in range(_ATTEMPTS):
            table = DeltaTable(location.uri)
            try:
                self._converge(table, desired, schema, request.component_id, major, logs)
                break
            except DeltaError as exc:
                # a concurrent provisioner committed first (or added the same constraint): re-read, re-diff
                if attempt == _ATTEMPTS - 1:
                    raise MeshplaneError(f"{request.component_id}: could not update {location}: {exc}") from exc
        # the converged table object already reflects its own commits: no need to open the table again
        info = {
            "path": location.uri,
            "version": table.version(),
            "format": "delta",
            "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable} for c in desired.columns],
        }
        return ProvisionResult(ProvisionStatus.COMPLETED, info, logs or ["up to date"])

    def unprovision(self, request: ProvisionRequest) -> ProvisionResult:
        location = port_location(request)
        info: dict[str, Any] = {"path": location.uri}
        if not request.remove_data:
            info["kept"] = True
            return ProvisionResult(ProvisionStatus.COMPLETED, info, [f"kept the table and its data at {location}"])
        root = root_location(request.mesh.storage.root, request.mesh_root)
        removed = remove_tree(location, stop_at=root)
        info["removed"] = removed
        return ProvisionResult(
            ProvisionStatus.COMPLETED, info, [f"removed {location}" if removed else f"nothing at {location}"]
        )

    def update_acl(self, request: ProvisionRequest, principals: Sequence[str]) -> ProvisionResult:
        note = (
            "Delta tables on files have no grants of their own; the query gateway enforces access to "
            f"{request.component_id} for: " + (", ".join(sorted(set(principals))) or "nobody")
        )
        return ProvisionResult(ProvisionStatus.COMPLETED, {"note": note}, [note])

    def reverse_provision(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``{"path": …}`` → a draft output port whose contract has the table's columns."""
        path = str(params.get("path") or "")
        if not path:
            raise InvalidInputError("reverse provisioning a Delta table needs `path`")
        if not DeltaTable.is_deltatable(path):
            raise NotFoundError(f"no Delta table at {path}", hint="point at the folder that holds `_delta_log/`")
        table = DeltaTable(path)
        schema = pa.schema(table.schema().to_arrow())
        meta = table.metadata()
        name = str(params.get("name") or safe_name(Path(path.rstrip("/")).name))
        component: dict[str, Any] = {"kind": "outputPort", "name": name, "type": "sql"}
        if meta.description and not meta.description.startswith("urn:"):
            component["description"] = meta.description
        component["dataContract"] = {"columns": [column_from_arrow(f) for f in schema]}
        component["specific"] = {"importedFrom": path, "tableVersion": table.version()}
        return component

    # -- the steps ---------------------------------------------------------------------------------------------
    @staticmethod
    def _refuse_foreign_folder(local: Path | None) -> None:
        # `_delta_log` alone may be a concurrent provisioner's table in the making
        if local is not None and local.is_dir() and any(p.name != "_delta_log" for p in local.iterdir()):
            raise InvalidInputError(
                f"{local} exists and holds files, but no Delta table",
                hint="move the folder away; Meshplane will not write a table over someone else's files",
            )

    @staticmethod
    def _create(uri: str, local: Path | None, schema: Any, desired: TableSpec) -> str:
        if local is not None:
            local.mkdir(parents=True, exist_ok=True)
        try:
            DeltaTable.create(
                uri,
                schema,
                mode="error",
                name=desired.properties["name"],
                description=desired.properties["description"],
                configuration={CDF: "true"},
                commit_properties=CommitProperties(max_commit_retries=0),
            )
        except CommitFailedError:
            return "a concurrent provisioner created the table first"
        except DeltaError as exc:
            if "already exists" not in str(exc):
                raise
            return "a concurrent provisioner created the table first"
        return f"created the Delta table at {uri}"

    def _converge(
        self, table: DeltaTable, desired: TableSpec, schema: Any, cid: str, major: int, logs: list[str]
    ) -> None:
        """One pass from the live table to the desired one; each step a commit, each logged as it lands
        (so a pass cut short by a concurrent commit still reports what it did)."""
        live = self.live(table)
        change = diff_columns(live.columns, desired.columns)
        refuse_breaking(cid, f"the table at {table.table_uri}", change, major)
        fields = {f.name: f for f in schema}
        if change.added:
            table.alter.add_columns([Field.from_arrow(fields[c.name]) for c in change.added])
            logs.append("added columns " + ", ".join(f"`{c.name}`" for c in change.added))
        for name in change.relaxed:
            table.alter.drop_column_not_null(name)
            logs.append(f"column `{name}` is no longer required")
        # by name only: the name carries the meaning's hash, and Delta rewrites the stored expression text
        add = sorted(desired.constraints.keys() - live.constraints.keys())
        drop = sorted(live.constraints.keys() - desired.constraints.keys())
        for name in drop:
            table.alter.drop_constraint(name, raise_if_not_exists=False)
            logs.append(f"dropped constraint {name}")
        if add:
            try:
                table.alter.add_constraint({n: desired.constraints[n] for n in add})
            except DeltaError as exc:
                if "violat" in str(exc).lower() or "invalid data" in str(exc).lower():
                    raise InvalidInputError(
                        f"{cid}: existing rows break the new constraints ({', '.join(add)}): {exc}",
                        hint="fix the data first, or loosen the expectation (severity: warning or a threshold)",
                    ) from exc
                raise
            logs.append("added constraints " + ", ".join(add))
        logs.extend(self._properties(table, live, desired))

    @staticmethod
    def _properties(table: DeltaTable, live: TableSpec, desired: TableSpec) -> list[str]:
        to_set, to_remove = changed_keys(live.properties, desired.properties)
        setters = {"name": table.alter.set_table_name, "description": table.alter.set_table_description}
        for key in to_set:
            value = desired.properties[key]
            if key in setters:
                setters[key](value)
            elif key == CDF:
                table.alter.set_table_properties({CDF: value})
        for key in [k for k in to_set + to_remove if k.startswith("column.")]:
            column = key.removeprefix("column.")
            current = next((f for f in pa.schema(table.schema().to_arrow()) if f.name == column), None)
            if current is not None:
                kept = {k: v for k, v in field_metadata(current).items() if k not in OWNED_METADATA_KEYS}
                table.alter.set_column_metadata(column, kept | json.loads(desired.properties.get(key, "{}")))
        return [f"set {key}" for key in to_set] + [f"cleared {key}" for key in to_remove]
