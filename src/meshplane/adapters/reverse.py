"""Import something that already exists as a draft data product: a Delta table, a PostgreSQL table or a
SQLite table becomes a descriptor whose output port carries the discovered schema.

Sources are named by one string, so the CLI and the API take the same thing:

* a Delta table: a folder path (relative to ``base``) or an object-store URI — the draft adopts it as its
  output port;
* ``postgresql://user@host:5432/db#schema.table`` (``#table`` means schema ``public``);
* ``sqlite:///relative/file.db#table`` or ``sqlite:////absolute/file.db#table``.

``table=`` may replace the ``#…`` fragment. A database table is an operational source, so its draft is
source-aligned in the full sense: an input port reading the table, a workload selecting its columns, and
the output port publishing them under a contract. Passwords never reach the descriptor.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from meshplane.adapters.delta import DeltaStorageAdapter
from meshplane.adapters.ports import safe_name
from meshplane.adapters.schema import column_from_sqlite
from meshplane.adapters.storage import OBJECT_STORE_SCHEMES
from meshplane.errors import InvalidInputError, NotFoundError, UnsupportedError
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.ids import SemVer, is_name
from meshplane.spec.model import API_VERSION, DataProduct, Kind

SUPPORTED = "a Delta table folder, postgresql://…#schema.table, or sqlite:///file.db#table"


@dataclass(frozen=True)
class Discovered:
    """A table found at a source: its columns (and table-level expectations) as descriptor data."""

    columns: list[dict[str, Any]]
    quality: list[dict[str, Any]]
    #: The table as the input port names it (``schema.table`` for PostgreSQL outside ``public``).
    table: str
    #: The table's own name, for the output port.
    name: str
    #: How the draft's input port reaches the table (``None`` for a Delta table the draft adopts).
    url: str | None = None
    system: str | None = None
    description: str = ""


def import_existing(
    source: str,
    *,
    name: str,
    domain: str,
    owner: str,
    kind: str = "source-aligned",
    version: str = "0.1.0",
    port: str | None = None,
    table: str | None = None,
    system: str | None = None,
    description: str = "",
    base: Path | None = None,
) -> DataProduct:
    """A draft descriptor for the table at ``source``; the result validates as a :class:`DataProduct`."""
    for value, what in ((name, "name"), (domain, "domain")):
        if not is_name(value):
            raise InvalidInputError(f"`{value}` is not a valid data product {what}", hint="use letters, digits, _ . -")
    kinds = [k.value for k in Kind]
    if kind not in kinds:
        raise InvalidInputError(
            f"`{kind}` is not a data product kind", hint=did_you_mean(kind, kinds) or "use " + ", ".join(kinds)
        )
    try:
        major = SemVer.parse(version).major
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    found = discover(source, table=table, base=base or Path.cwd())
    port_name = port or safe_name(found.name)
    contract: dict[str, Any] = {"columns": found.columns}
    if found.quality:
        contract["quality"] = found.quality
    output: dict[str, Any] = {"kind": "outputPort", "name": port_name, "type": "sql", "dataContract": contract}
    if found.description:
        output["description"] = found.description
    components: list[dict[str, Any]] = []
    if found.url is not None:
        columns = ", ".join('"' + str(c["name"]).replace('"', '""') + '"' for c in found.columns)
        components += [
            {
                "kind": "inputPort",
                "name": "source",
                "source": {
                    "type": "database",
                    "system": system or found.system or "legacy",
                    "url": found.url,
                    "table": found.table,
                },
            },
            {
                "kind": "workload",
                "name": "ingest",
                "reads": ["source"],
                "writes": [port_name],
                "sql": {port_name: f"SELECT {columns} FROM source"},
            },
        ]
        output["dependsOn"] = ["ingest"]
    components.append(output)
    data = {
        "apiVersion": API_VERSION,
        "id": f"urn:dmb:dp:{domain}:{name}:{major}",
        "name": name,
        "domain": domain,
        "kind": kind,
        "version": version,
        "owner": owner,
        "description": description or f"Imported from {found.url or source}; review the contract before publishing.",
        "status": "draft",
        "tags": ["imported"],
        "components": components,
    }
    try:
        return DataProduct.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInputError(f"the imported descriptor is not valid: {problems}") from None


def discover(source: str, *, table: str | None = None, base: Path | None = None) -> Discovered:
    """Read the table at ``source`` (see the module docstring for the forms)."""
    text = source.strip()
    base = base or Path.cwd()
    address, _, fragment = text.partition("#")
    scheme = address.partition("://")[0].split("+", 1)[0].lower() if "://" in address else ""
    if scheme in ("postgresql", "postgres"):
        return _postgres(address, table or fragment)
    if scheme == "sqlite":
        return _sqlite(address, table or fragment, base)
    if scheme and scheme != "file" and scheme not in OBJECT_STORE_SCHEMES:
        raise UnsupportedError(f"cannot import from `{scheme}://` sources", hint=f"import {SUPPORTED}")
    if scheme:
        return _delta(text)
    path = Path(text).expanduser()
    return _delta(str(path if path.is_absolute() else (base / path).resolve()))


def _delta(path: str) -> Discovered:
    component = DeltaStorageAdapter().reverse_provision({"path": path})
    columns = component["dataContract"]["columns"]
    name = component["name"]
    return Discovered(columns, [], name, name, description=str(component.get("description", "")))


def _postgres(url: str, table_ref: str) -> Discovered:
    from meshplane.adapters.pg_common import describe, redact, url_for

    if not table_ref:
        raise InvalidInputError(f"`{redact(url)}` names no table", hint="append #schema.table, or pass table=")
    schema, _, name = table_ref.rpartition(".")
    schema = schema or "public"
    described = describe(url_for(url), schema, name)
    database = urlsplit(url).path.strip("/") or None
    comment = described.comment if not described.comment.startswith("urn:") else ""
    return Discovered(
        described.columns,
        described.quality,
        f"{schema}.{name}" if schema != "public" else name,
        name,
        url=redact(url),
        system=safe_name(database, "legacy") if database else None,
        description=comment,
    )


def _sqlite(url: str, table_name: str, base: Path) -> Discovered:
    raw = unquote(url.partition("://")[2])
    if not raw.startswith("/"):
        raise InvalidInputError(f"`{url}` is not a SQLite URL", hint="write sqlite:///relative.db or sqlite:////abs.db")
    path = Path(raw[1:])  # sqlite:///rel.db → rel.db; sqlite:////abs.db → /abs.db
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise NotFoundError(f"no SQLite database at {path}", hint="check the path (relative paths start at the mesh)")
    if not table_name:
        raise InvalidInputError(f"`{url}` names no table", hint="append #table, or pass table=")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # read-only: never create or change it
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        if table_name not in tables:
            raise NotFoundError(
                f"no table `{table_name}` in {path}",
                hint=did_you_mean(table_name, tables) or "tables: " + (", ".join(sorted(tables)) or "none"),
            )
        quoted = '"' + table_name.replace('"', '""') + '"'
        info = conn.execute(f"PRAGMA table_info({quoted})").fetchall()
        unique: list[list[str]] = []
        for _, index, is_unique, origin, *_ in conn.execute(f"PRAGMA index_list({quoted})").fetchall():
            if is_unique and origin != "pk":
                idx = '"' + str(index).replace('"', '""') + '"'
                unique.append([r[2] for r in conn.execute(f"PRAGMA index_info({idx})").fetchall()])
    finally:
        conn.close()
    primary = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
    columns = []
    for _, col_name, declared, not_null, _, pk in info:
        col = column_from_sqlite(col_name, declared or "", required=bool(not_null or pk))
        if pk:
            col["primaryKey"] = True
        if [col_name] in unique or primary == [col_name]:
            col["unique"] = True
        columns.append(col)
    quality: list[dict[str, Any]] = [{"type": "unique", "columns": cols} for cols in unique if len(cols) > 1]
    return Discovered(columns, quality, table_name, table_name, url=url, system=safe_name(path.stem, "legacy"))
