"""From grants to what a consumer's view of a port is: which rows, and which columns masked how.

A caller may hold several live grants on one port (directly, through groups, through a data product),
each with its own row filter and masks. The view is the union of *branches*, one per grant, most open
first; a row appears once, in the first branch whose filter admits it, with that branch's masks — so it
is always shown under a grant that permits it, and never twice. Each branch's rows are selected in the
Arrow scan (see ``filters``) before DuckDB sees them; masks are expressions in the view's projection,
and columns masked to ``null`` or ``redact`` are dropped from the scanned data when no filter needs them.

Masks: ``hash`` → ``sha256(salt || CAST(col AS VARCHAR))`` (deterministic, so hashed keys still join;
the salt is the service's secret), ``redact`` → the text ``'****'``, ``null`` → a NULL of the column's type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
from sqlglot import exp

from meshplane.access.model import PortGrant
from meshplane.errors import MeshplaneError
from meshplane.gateway.filters import Untranslatable, filter_sql, parse_filter, to_arrow
from meshplane.gateway.names import always_quote

MASKS = ("hash", "redact", "null")
REDACTED = "****"


def live(grant: PortGrant, environment: str, now: datetime) -> bool:
    """A grant for this environment that has not expired (the access service filters too; this is a guard)."""
    expires = grant.expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return grant.environment == environment and (expires is None or expires > now)


@dataclass(frozen=True)
class Branch:
    """Rows one grant admits (``row_filter`` None: all) shown with its masks (column, lowercased → kind)."""

    row_filter: exp.Expr | None
    masks: Mapping[str, str]
    grant_ids: tuple[str, ...] = field(default=())

    @property
    def filter_text(self) -> str | None:
        return filter_sql(self.row_filter) if self.row_filter is not None else None


def branches(grants: Sequence[PortGrant], what: str) -> list[Branch]:
    """The branches of one port's view, most open first, without ones an earlier branch makes empty."""
    merged: dict[tuple[str | None, tuple[tuple[str, str], ...]], Branch] = {}
    for grant in grants:
        masks: dict[str, str] = {}
        for column, kind in (grant.masks or {}).items():
            if kind not in MASKS:
                # fail closed: a mask we do not know must not turn into "no mask"
                raise MeshplaneError(
                    f"{what}: grant {grant.grant_id} masks `{column}` with unknown kind `{kind}`",
                    hint=f"masks are {', '.join(MASKS)}; fix the grant",
                )
            masks[column.lower()] = kind
        tree = parse_filter(grant.row_filter, f"{what}, grant {grant.grant_id}") if grant.row_filter else None
        key = (filter_sql(tree) if tree is not None else None, tuple(sorted(masks.items())))
        found = merged.get(key)
        ids = (*found.grant_ids, str(grant.grant_id)) if found else (str(grant.grant_id),)
        merged[key] = Branch(tree, masks, ids)
    ordered = sorted(merged.values(), key=lambda b: (len(b.masks), b.row_filter is not None))
    kept: list[Branch] = []
    for branch in ordered:
        kept.append(branch)
        if branch.row_filter is None:  # admits every row: nothing is left for the branches after it
            break
    return kept


@dataclass
class BranchData:
    """What to register for one branch and how to select from it."""

    data: pads.Dataset | None
    #: When the filter has no Arrow form: ``(columns, predicate)`` to select from the raw dataset in SQL.
    fallback: tuple[str, str] | None
    select_list: str


def prepare(
    dataset: pads.Dataset,
    port_branches: Sequence[Branch],
    *,
    types: Mapping[str, str],
    salt: str,
) -> list[BranchData]:
    """Per branch: the dataset filtered in the scan (or a SQL fallback) and the masking select list.

    ``types`` maps column names to DuckDB type names (for ``null`` masks).
    """
    schema = dataset.schema
    prepared = []
    for i, branch in enumerate(port_branches):
        earlier = [b.row_filter for b in port_branches[:i] if b.row_filter is not None]
        needed = _filter_columns([branch.row_filter, *earlier], schema)
        hidden = {
            f.name for f in schema if branch.masks.get(f.name.lower()) in ("redact", "null") and f.name not in needed
        }
        kept = pa.schema([f for f in schema if f.name not in hidden])
        select_list = ", ".join(_column_sql(f, branch.masks.get(f.name.lower()), types, salt) for f in schema)
        try:
            predicate = _arrow_predicate(branch.row_filter, earlier, schema)
            data = dataset if predicate is None else dataset.filter(predicate)
            prepared.append(BranchData(data.replace_schema(kept) if hidden else data, None, select_list))
        except Untranslatable:
            where = _sql_predicate(branch.row_filter, earlier)
            columns = ", ".join(always_quote(f.name) for f in kept)
            prepared.append(BranchData(None, (columns, where), select_list))
    return prepared


def _arrow_predicate(own: exp.Expr | None, earlier: Sequence[exp.Expr], schema: pa.Schema) -> pc.Expression | None:
    predicate = to_arrow(own, schema) if own is not None else None
    for tree in earlier:  # NOT coalesce(f, false): rows an earlier branch already shows
        exclude = ~pc.coalesce(to_arrow(tree, schema), pa.scalar(False))
        predicate = exclude if predicate is None else predicate & exclude
    return predicate


def _sql_predicate(own: exp.Expr | None, earlier: Sequence[exp.Expr]) -> str:
    parts = [f"({filter_sql(own)})"] if own is not None else []
    parts += [f"NOT coalesce(({filter_sql(tree)}), false)" for tree in earlier]
    return " AND ".join(parts) or "true"


def _filter_columns(trees: Sequence[exp.Expr | None], schema: pa.Schema) -> set[str]:
    wanted = {c.name.lower() for tree in trees if tree is not None for c in tree.find_all(exp.Column)}
    return {f.name for f in schema if f.name.lower() in wanted}


def _column_sql(f: pa.Field, mask: str | None, types: Mapping[str, str], salt: str) -> str:
    name = always_quote(f.name)
    if mask is None:
        return name
    if mask == "hash":
        salted = f"'{_escape(salt)}' || CAST({name} AS VARCHAR)" if salt else f"CAST({name} AS VARCHAR)"
        return f"sha256({salted}) AS {name}"
    if mask == "redact":
        return f"CAST('{REDACTED}' AS VARCHAR) AS {name}"
    return f"CAST(NULL AS {types[f.name]}) AS {name}"


def _escape(text: str) -> str:
    return text.replace("'", "''")


def current_columns(past: pa.Schema, current: pa.Schema) -> pa.Schema:
    """The fields of a past snapshot that the port still has: same name (case-insensitively), and the same
    type or, for a plain value, any plain type (a widened integer is the same column; a struct that lost a
    field is not — the lost field would show unmasked)."""
    now = {f.name.lower(): f.type for f in current}
    kept = []
    for f in past:
        wanted = now.get(f.name.lower())
        if wanted is not None and (f.type == wanted or (not _nested(f.type) and not _nested(wanted))):
            kept.append(f)
    return pa.schema(kept)


def _nested(t: pa.DataType) -> bool:
    return bool(pa.types.is_nested(t) or pa.types.is_dictionary(t) or pa.types.is_union(t))


def duckdb_types(con: duckdb.DuckDBPyConnection, schema: pa.Schema) -> dict[str, str]:
    """DuckDB's type names for an Arrow schema (read from an empty relation, so nothing is scanned)."""
    relation = con.from_arrow(schema.empty_table())
    return {f.name: str(t) for f, t in zip(schema, relation.types, strict=True)}
