"""Dataset names: the same table must get the same (namespace, name) from every producer, or graphs never join.

Output ports live in the mesh's own namespace, ``meshplane://<mesh>/<environment>``, named ``<dp id>.<port>``:
the environment is part of the namespace because dev and prod hold different data. External systems follow
OpenLineage's naming spec (through ``openlineage-python``'s helpers where it has one), so a Marquez that
also receives events from, say, an Airflow DAG writing the same PostgreSQL table shows one dataset:

- PostgreSQL: namespace ``postgres://host:port``, name ``database.schema.table`` (never credentials);
- local files: namespace ``file``, name the absolute path (the spec's "local file system" — the URI a person
  would type is ``file:///path``, which is namespace + name);
- SQLite, which the spec does not cover: namespace ``sqlite://<absolute path of the database file>``, name
  the table;
- event streams: namespace ``events://<system>``, name the stream (the broker is the platform's, not the
  descriptor's, so the system names the source).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from openlineage.client.naming.dataset import LocalFileSystem, Postgres

from meshplane.spec.model import DatabaseSource, EventsSource, FilesSource, OutputPortSource, Source

__all__ = ["DatasetName", "mesh_namespace", "port_dataset", "source_dataset"]

SCHEME = "meshplane"


@dataclass(frozen=True, order=True)
class DatasetName:
    namespace: str
    name: str

    @property
    def uri(self) -> str:
        """``namespace/name`` (``file`` + ``/path`` gives ``file:///path``)."""
        if self.namespace == "file":
            return f"file://{self.name}"
        return f"{self.namespace.rstrip('/')}/{self.name}"

    def __str__(self) -> str:
        return f"{self.namespace} {self.name}"


def mesh_namespace(mesh: str, environment: str) -> str:
    return f"{SCHEME}://{mesh}/{environment}"


def port_dataset(mesh: str, environment: str, dp_id: str, port: str) -> DatasetName:
    """The dataset behind an output or boundary port."""
    return DatasetName(mesh_namespace(mesh, environment), f"{dp_id}.{port}")


def source_dataset(source: Source, *, mesh: str, environment: str, base: Path | None = None) -> DatasetName:
    """The dataset an input port reads. Relative file and SQLite paths are taken relative to ``base`` (the
    mesh folder, as the runtime reads them) and made absolute, so two meshes never share a name by accident."""
    if isinstance(source, OutputPortSource):
        return port_dataset(mesh, environment, source.data_product, source.port)
    if isinstance(source, FilesSource):
        return DatasetName(
            LocalFileSystem(path=_absolute(source.path, base)).get_namespace(),
            _absolute(source.path, base),
        )
    if isinstance(source, EventsSource):
        return DatasetName(f"events://{source.system}", source.stream)
    return _database(source, base)


def _database(source: DatabaseSource, base: Path | None) -> DatasetName:
    parts = urlsplit(source.url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute.db (SQLAlchemy's spelling)
        raw = unquote(source.url.split(":///", 1)[1]) if ":///" in source.url else unquote(parts.path)
        return DatasetName(f"sqlite://{_absolute(raw or ':memory:', base)}", source.table)
    if scheme in ("postgres", "postgresql"):
        database = parts.path.strip("/") or "postgres"
        schema, _, table = source.table.rpartition(".")
        naming = Postgres(
            host=parts.hostname or "localhost",
            port=str(parts.port or 5432),
            database=database,
            schema=schema or "public",
            table=table,
        )
        return DatasetName(naming.get_namespace(), naming.get_name())
    # Another database: scheme://host:port, as the spec names MySQL, Oracle, Trino …
    authority = parts.hostname or ""
    if parts.port:
        authority += f":{parts.port}"
    database = parts.path.strip("/")
    name = f"{database}.{source.table}" if database else source.table
    return DatasetName(f"{scheme}://{authority}", name)


def _absolute(path: str, base: Path | None) -> str:
    if path == ":memory:":
        return path
    candidate = Path(path).expanduser()
    if not candidate.is_absolute() and base is not None:
        candidate = base / candidate
    return candidate.resolve().as_posix() if candidate.is_absolute() else candidate.as_posix()
