"""OpenLineage run events for workload runs: the record Marquez (or any OpenLineage consumer) understands.

A run of a data product's workload is one OpenLineage *run* of one *job* (``<dp id>.<workload>``); the
input ports' datasets are its inputs, the output ports' its outputs. Each event is built with
``openlineage-python``'s generated classes — so field names, ``_producer`` and ``_schemaURL`` are the spec's —
and returned as the plain dict the spec describes, ready for JSON lines, the registry or an HTTP POST.

What goes in, and why:

- datasets carry ``schema`` (the contract's columns), ``dataSource`` and ``version`` (the Delta table version
  read or written: what makes a run reproducible and lets a consumer ask "which version fed this?");
- outputs add ``columnLineage`` (from :func:`meshplane.lineage.columns.column_lineage`, with its
  transformations), ``dataQualityMetrics`` (row count, per-column null counts) and ``outputStatistics``;
- inputs may add ``dataQualityMetrics`` and ``dataQualityAssertions`` (Meshplane checks what arrives);
- the job carries ``sql``, ``sourceCodeLocation``, ``jobType``, ``documentation`` and ``ownership``;
- the run carries ``errorMessage`` on FAIL, ``processing_engine`` and ``meshplane`` (data product, version,
  environment, start and end: a single COMPLETE event then still says how long the run took).
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from openlineage.client.event_v2 import InputDataset, Job, JobEvent, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    DatasetFacet,
    InputDatasetFacet,
    JobFacet,
    OutputDatasetFacet,
    RunFacet,
    column_lineage_dataset,
    data_quality_assertions_dataset,
    data_quality_metrics_dataset,
    data_quality_metrics_input_dataset,
    dataset_version_dataset,
    datasource_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    output_statistics_output_dataset,
    ownership_job,
    processing_engine_run,
    schema_dataset,
    source_code_location_job,
    sql_job,
)
from openlineage.client.serde import Serde
from openlineage.client.uuid import generate_new_uuid

from meshplane import __version__
from meshplane.errors import InvalidInputError
from meshplane.lineage.columns import DIALECT, ColumnLineage
from meshplane.lineage.naming import DatasetName, mesh_namespace
from meshplane.spec.model import Column, DataContract, DataProduct

__all__ = [
    "PRODUCER",
    "Assertion",
    "FieldLike",
    "InputSpec",
    "OutputSpec",
    "SchemaField",
    "SourceLocation",
    "job_event",
    "new_run_id",
    "run_event",
    "schema_fields",
    "source_location",
]

#: Who produced the events (a URI, as the spec asks; a URN because the project has no published home yet).
PRODUCER = f"urn:meshplane:{__version__}"
#: The schema of the ``meshplane`` run facet, versioned like OpenLineage's own facets.
MESHPLANE_RUN_FACET_SCHEMA = "urn:meshplane:facets:MeshplaneRunFacet:1-0-0"
_END_STATES = {RunState.COMPLETE, RunState.FAIL, RunState.ABORT}


@dataclass(frozen=True)
class SchemaField:
    name: str
    type: str | None = None
    description: str | None = None


FieldLike = SchemaField | Column | tuple[str, str] | str


@dataclass(frozen=True)
class Assertion:
    """One check's result, e.g. a contract expectation (``assertion`` is its kind: ``notNull``, ``unique`` …)."""

    assertion: str
    success: bool
    column: str | None = None
    name: str | None = None
    severity: str | None = None
    expected: str | None = None
    actual: str | None = None


@dataclass(frozen=True)
class InputSpec:
    """A dataset the run read. ``alias`` is the relation its SQL reads it as (the input port's name) — how a
    column lineage's relations are matched to datasets; without it the dataset name is used."""

    dataset: DatasetName
    fields: Sequence[FieldLike] = ()
    version: str | int | None = None
    alias: str | None = None
    source: str | None = None
    row_count: int | None = None
    null_counts: Mapping[str, int] = field(default_factory=dict)
    assertions: Sequence[Assertion] = ()


@dataclass(frozen=True)
class OutputSpec:
    """A dataset the run wrote: its version after the commit, what was written, and where each column came from."""

    dataset: DatasetName
    fields: Sequence[FieldLike] = ()
    version: str | int | None = None
    row_count: int | None = None
    null_counts: Mapping[str, int] = field(default_factory=dict)
    column_lineage: Mapping[str, Sequence[tuple[str, str]]] | None = None
    size: int | None = None
    file_count: int | None = None
    assertions: Sequence[Assertion] = ()
    source: str | None = None


@dataclass(frozen=True)
class SourceLocation:
    """Where the workload's code lives; ``type`` is the version control system (``git``) or ``file``."""

    url: str
    type: str = "file"
    repo_url: str | None = None
    path: str | None = None
    version: str | None = None
    branch: str | None = None


def new_run_id(at: datetime | None = None) -> str:
    """A fresh run id (UUIDv7: sorts by time, as OpenLineage recommends)."""
    return str(generate_new_uuid(at))


def schema_fields(contract: DataContract) -> list[SchemaField]:
    """A contract's columns as schema fields (physical type when declared, else the logical one)."""
    return [_field(c) for c in contract.columns]


def source_location(file: Path) -> SourceLocation:
    """Where ``file`` is: in a git checkout, the repository, path in it, commit and branch (read from ``.git``,
    no subprocess); otherwise its ``file://`` URL."""
    file = file.resolve()
    for folder in file.parents:
        git = folder / ".git"
        if git.is_dir():
            commit, branch = _git_head(git)
            return SourceLocation(
                url=file.as_uri(),
                type="git",
                repo_url=folder.as_uri(),
                path=file.relative_to(folder).as_posix(),
                version=commit,
                branch=branch,
            )
    return SourceLocation(url=file.as_uri(), type="file", path=file.name)


def _git_head(git: Path) -> tuple[str | None, str | None]:
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None, None
    if not head.startswith("ref: "):
        return head or None, None
    ref = head.removeprefix("ref: ")
    branch = ref.removeprefix("refs/heads/")
    try:
        return (git / ref).read_text(encoding="utf-8").strip(), branch
    except OSError:
        pass
    try:  # refs packed by git gc
        for line in (git / "packed-refs").read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha, branch
    except OSError:
        pass
    return None, branch


def run_event(
    *,
    event_type: str | RunState,
    run_id: str | UUID,
    mesh: str,
    dataproduct: DataProduct | str,
    environment: str = "dev",
    workload: str = "build",
    inputs: Sequence[InputSpec] = (),
    outputs: Sequence[OutputSpec] = (),
    started: datetime,
    finished: datetime | None = None,
    error: str | None = None,
    stack_trace: str | None = None,
    sql: str | Mapping[str, str] | None = None,
    location: SourceLocation | None = None,
    engine: str = "duckdb",
    engine_version: str | None = None,
    producer: str = PRODUCER,
) -> dict[str, Any]:
    """One OpenLineage ``RunEvent`` as a JSON-ready dict.

    ``event_time`` is ``started`` for START/RUNNING and ``finished`` (or now) for COMPLETE/FAIL/ABORT.
    ``sql`` is the workload's query, or a mapping port -> query for a workload writing several ports.
    ``error`` becomes the ``errorMessage`` facet (required for FAIL: a failed run without a reason helps no
    one). Raises :class:`InvalidInputError` for arguments that would make an invalid event.
    """
    state = _state(event_type)
    run_uuid = _uuid(run_id)
    if state is RunState.FAIL and not error:
        raise InvalidInputError("a FAIL event needs the error message", hint="pass error=str(exc)")
    started = _aware(started)
    finished = _aware(finished) if finished is not None else None
    event_time = started if state not in _END_STATES else finished or datetime.now(UTC)
    dp_id = dataproduct.id if isinstance(dataproduct, DataProduct) else dataproduct
    namespace = mesh_namespace(mesh, environment)

    run_facets: dict[str, RunFacet] = {
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
            version=engine_version or _engine_version(engine),
            name=engine,
            openlineageAdapterVersion=__version__,
            producer=producer,
        ),
        "meshplane": _meshplane_facet(dataproduct, environment, workload, started, finished, producer),
    }
    if error:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="python", stackTrace=stack_trace, producer=producer
        )

    aliases = {(spec.alias or spec.dataset.name): spec.dataset for spec in inputs}
    event = RunEvent(
        eventType=state,
        eventTime=_iso(event_time),
        run=Run(runId=str(run_uuid), facets=run_facets),
        job=Job(
            namespace=namespace,
            name=f"{dp_id}.{workload}",
            facets=_job_facets(dataproduct, workload, sql, location, producer),
        ),
        inputs=[_input(spec, producer) for spec in inputs],
        outputs=[_output(spec, aliases, producer) for spec in outputs],
        producer=producer,
    )
    return Serde.to_dict(event)


def job_event(
    *,
    mesh: str,
    dataproduct: DataProduct | str,
    environment: str = "dev",
    workload: str = "build",
    inputs: Sequence[InputSpec] = (),
    outputs: Sequence[OutputSpec] = (),
    sql: str | Mapping[str, str] | None = None,
    location: SourceLocation | None = None,
    event_time: datetime | None = None,
    producer: str = PRODUCER,
) -> dict[str, Any]:
    """A ``JobEvent``: the design-time lineage of a workload (what it reads and writes, column lineage
    from its SQL), with no run — what the descriptors alone say, exported before or between runs."""
    dp_id = dataproduct.id if isinstance(dataproduct, DataProduct) else dataproduct
    aliases = {(spec.alias or spec.dataset.name): spec.dataset for spec in inputs}
    event = JobEvent(
        eventTime=_iso(_aware(event_time) if event_time else datetime.now(UTC)),
        job=Job(
            namespace=mesh_namespace(mesh, environment),
            name=f"{dp_id}.{workload}",
            facets=_job_facets(dataproduct, workload, sql, location, producer),
        ),
        inputs=[_input(spec, producer) for spec in inputs],
        outputs=[_output(spec, aliases, producer) for spec in outputs],
        producer=producer,
    )
    return Serde.to_dict(event)


# -- facets ------------------------------------------------------------------------------------------


class _MeshplaneRunFacet(RunFacet):
    """Meshplane's own run facet (custom facets carry their own ``_schemaURL``)."""

    @staticmethod
    def _get_schema() -> str:
        return MESHPLANE_RUN_FACET_SCHEMA


def _meshplane_facet(
    dataproduct: DataProduct | str,
    environment: str,
    workload: str,
    started: datetime,
    finished: datetime | None,
    producer: str,
) -> RunFacet:
    extra: dict[str, Any] = {
        "dataProduct": dataproduct.id if isinstance(dataproduct, DataProduct) else dataproduct,
        "environment": environment,
        "workload": workload,
        "startedAt": _iso(started),
    }
    if isinstance(dataproduct, DataProduct):
        extra["dataProductVersion"] = dataproduct.version
    if finished is not None:
        extra["finishedAt"] = _iso(finished)
        extra["durationSeconds"] = round((finished - started).total_seconds(), 3)
    facet = _MeshplaneRunFacet(producer=producer).with_additional_properties(**extra)
    assert isinstance(facet, RunFacet)
    return facet


def _job_facets(
    dataproduct: DataProduct | str,
    workload: str,
    sql: str | Mapping[str, str] | None,
    location: SourceLocation | None,
    producer: str,
) -> dict[str, JobFacet]:
    facets: dict[str, JobFacet] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="MESHPLANE", jobType="WORKLOAD", producer=producer
        )
    }
    if sql:
        query = sql if isinstance(sql, str) else "\n\n".join(f"-- port: {p}\n{q.strip()}" for p, q in sql.items())
        facets["sql"] = sql_job.SQLJobFacet(query=query, dialect=DIALECT, producer=producer)
    if location is not None:
        facets["sourceCodeLocation"] = source_code_location_job.SourceCodeLocationJobFacet(
            type=location.type,
            url=location.url,
            repoUrl=location.repo_url,
            path=location.path,
            version=location.version,
            branch=location.branch,
            producer=producer,
        )
    if isinstance(dataproduct, DataProduct):
        component = dataproduct.component(workload)
        text = (component.description if component else "") or dataproduct.description
        if text:
            facets["documentation"] = documentation_job.DocumentationJobFacet(
                description=text, contentType="text/plain", producer=producer
            )
        owners = [ownership_job.Owner(name=f"user:{dataproduct.owner}", type="OWNER")]
        if dataproduct.owner_group:
            owners.append(ownership_job.Owner(name=f"team:{dataproduct.owner_group}", type="MAINTAINER"))
        facets["ownership"] = ownership_job.OwnershipJobFacet(owners=owners, producer=producer)
    return facets


def _common(
    name: DatasetName, fields: Sequence[FieldLike], version: str | int | None, source: str | None, producer: str
) -> dict[str, DatasetFacet]:
    facets: dict[str, DatasetFacet] = {
        "dataSource": datasource_dataset.DatasourceDatasetFacet(
            name=source or name.namespace, uri=name.namespace if "://" in name.namespace else None, producer=producer
        )
    }
    if fields:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(
                    name=f.name, type=f.type, description=f.description or None, ordinal_position=i
                )
                for i, f in enumerate((_field(x) for x in fields), start=1)
            ],
            producer=producer,
        )
    if version is not None:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=str(version), producer=producer
        )
    return facets


def _input(spec: InputSpec, producer: str) -> InputDataset:
    facets = _common(spec.dataset, spec.fields, spec.version, spec.source, producer)
    input_facets: dict[str, InputDatasetFacet] = {}
    if spec.row_count is not None or spec.null_counts:
        input_facets["dataQualityMetrics"] = data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
            rowCount=spec.row_count,
            columnMetrics={
                c: data_quality_metrics_input_dataset.ColumnMetrics(nullCount=n) for c, n in spec.null_counts.items()
            },
            producer=producer,
        )
    if spec.assertions:
        input_facets["dataQualityAssertions"] = _assertions(spec.assertions, producer)
    return InputDataset(
        namespace=spec.dataset.namespace, name=spec.dataset.name, facets=facets, inputFacets=input_facets
    )


def _output(spec: OutputSpec, aliases: Mapping[str, DatasetName], producer: str) -> OutputDataset:
    facets = _common(spec.dataset, spec.fields, spec.version, spec.source, producer)
    if spec.column_lineage is not None:
        facets["columnLineage"] = _column_lineage(spec.column_lineage, aliases, producer)
    if spec.row_count is not None or spec.null_counts:
        facets["dataQualityMetrics"] = data_quality_metrics_dataset.DataQualityMetricsDatasetFacet(
            rowCount=spec.row_count,
            columnMetrics={
                c: data_quality_metrics_dataset.ColumnMetrics(nullCount=n) for c, n in spec.null_counts.items()
            },
            producer=producer,
        )
    if spec.assertions:
        # OpenLineage defines this facet for inputs; an output's contract checks ride on the dataset (the
        # schema allows any dataset facet there) because that is where a reader of the output looks.
        facets["dataQualityAssertions"] = _assertions(spec.assertions, producer)
    output_facets: dict[str, OutputDatasetFacet] = {}
    if spec.row_count is not None or spec.size is not None or spec.file_count is not None:
        output_facets["outputStatistics"] = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=spec.row_count, size=spec.size, fileCount=spec.file_count, producer=producer
        )
    return OutputDataset(
        namespace=spec.dataset.namespace, name=spec.dataset.name, facets=facets, outputFacets=output_facets
    )


def _assertions(assertions: Sequence[Assertion], producer: str) -> Any:
    """The facet is typed as an input facet by the client; ``Any`` lets outputs carry it too."""
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
        assertions=[
            data_quality_assertions_dataset.Assertion(
                assertion=a.assertion,
                success=a.success,
                column=a.column,
                name=a.name,
                severity=a.severity,
                expected=a.expected,
                actual=a.actual,
            )
            for a in assertions
        ],
        producer=producer,
    )


def _column_lineage(
    lineage: Mapping[str, Sequence[tuple[str, str]]], aliases: Mapping[str, DatasetName], producer: str
) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    def dataset_of(relation: str) -> DatasetName:
        found = aliases.get(relation) or next((d for a, d in aliases.items() if a.lower() == relation.lower()), None)
        if found is None:
            raise InvalidInputError(
                f"the column lineage reads `{relation}`, which is not one of the run's inputs",
                hint=f"pass InputSpec(..., alias={relation!r}) for the dataset the SQL reads as {relation}",
            )
        return found

    def input_field(relation: str, column: str, transformations: Sequence[Any]) -> column_lineage_dataset.InputField:
        ds = dataset_of(relation)
        return column_lineage_dataset.InputField(
            namespace=ds.namespace,
            name=ds.name,
            field=column,
            transformations=[
                column_lineage_dataset.Transformation(
                    type=t.type, subtype=t.subtype.value, masking=t.masking if t.masking else None
                )
                for t in transformations
            ]
            or None,  # unknown: left out rather than claiming "no transformation"
        )

    fields: dict[str, column_lineage_dataset.Fields] = {}
    dataset: list[column_lineage_dataset.InputField] = []
    if isinstance(lineage, ColumnLineage):
        for column, sources in lineage.fields.items():
            fields[column] = column_lineage_dataset.Fields(
                inputFields=[input_field(f.relation, f.column, f.transformations) for f in sources]
            )
        dataset = [input_field(f.relation, f.column, f.transformations) for f in lineage.dataset]
    else:  # plain pairs: the sources are known, how they were transformed is not
        for column, pairs in lineage.items():
            fields[column] = column_lineage_dataset.Fields(inputFields=[input_field(r, c, ()) for r, c in pairs])
    return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields, dataset=dataset, producer=producer)


# -- small helpers -----------------------------------------------------------------------------------


def _field(value: FieldLike) -> SchemaField:
    if isinstance(value, SchemaField):
        return value
    if isinstance(value, Column):
        return SchemaField(value.name, value.physical_type or value.type.value, value.description or None)
    if isinstance(value, str):
        return SchemaField(value)
    return SchemaField(value[0], value[1])


def _state(value: str | RunState) -> RunState:
    if isinstance(value, RunState):
        return value
    try:
        return RunState(value.upper())
    except ValueError:
        allowed = ", ".join(s.value for s in RunState)
        raise InvalidInputError(f"`{value}` is not an OpenLineage event type", hint=f"use one of {allowed}") from None


def _uuid(value: str | UUID) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value)
    except ValueError:
        raise InvalidInputError(
            f"run id `{value}` is not a UUID", hint="OpenLineage run ids are UUIDs; use new_run_id()"
        ) from None


def _aware(moment: datetime) -> datetime:
    """Naive times are taken as UTC: the runtime records UTC, and a wrong offset would misplace the run."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _engine_version(engine: str) -> str:
    if engine == "duckdb":
        try:
            import duckdb

            return str(duckdb.__version__)
        except ImportError:  # pragma: no cover - duckdb is a core dependency
            pass
    if engine == "python":
        return platform.python_version()
    return "unknown"
