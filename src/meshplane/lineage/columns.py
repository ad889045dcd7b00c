"""Column-level lineage of a SQL workload: which input columns each output column is made from, and how.

A consumer who sees ``customer_360.revenue`` wants to know it is a sum over ``orders.amount`` filtered on
``orders.status`` — not just that the two tables are related. This module answers that from the SQL alone
(DuckDB dialect), with the input relations' column names as the schema, so it works before anything runs.

sqlglot does the hard parts: parsing, ``qualify`` (every column bound to its relation, ``*`` expanded
against the schemas, ``USING`` turned into ``ON``, positional ``GROUP BY`` resolved) and its scope tree
(CTEs, subqueries, unions). The walk over that tree is done here rather than with ``sqlglot.lineage``
because OpenLineage's columnLineage facet (v1.2) wants more than the source columns: each input field
carries its *transformations* — ``DIRECT`` (``IDENTITY``, ``TRANSFORMATION``, ``AGGREGATION``) when the
value flows into the output, ``INDIRECT`` (``CONDITIONAL``, ``WINDOW``, ``FILTER``, ``SORT``, ``JOIN``,
``GROUP_BY``) when it only decides which value or which rows. That needs to know *where* in an expression a
column sits, which ``sqlglot.lineage``'s nodes do not keep. The tests cross-check the source columns found
here against ``sqlglot.lineage``.

Never raises for SQL it cannot analyse: a parse failure, a statement that is not a query, a relation that
is not an input or a column no schema has all end up in :attr:`ColumnLineage.problems`, next to whatever
could still be derived.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope, find_all_in_scope

__all__ = [
    "DIALECT",
    "ColumnLineage",
    "InputField",
    "Subtype",
    "Transformation",
    "column_lineage",
]

DIALECT = "duckdb"
#: Nesting deeper than this (CTEs of CTEs of …) is not followed; real workloads stay far below it.
_MAX_DEPTH = 64
_MASKING_FUNCTIONS = (exp.MD5, exp.MD5Digest, exp.SHA, exp.SHA2, exp.SHA1Digest, exp.SHA2Digest)
_MASKING_NAMES = frozenset({"hash", "md5", "sha1", "sha256", "sha512", "md5_number"})
#: Window functions that copy a value from another row: sqlglot files them under aggregates, they are not.
_NAVIGATION = (exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue)


class Subtype(StrEnum):
    """OpenLineage's transformation subtypes (columnLineage facet v1.2)."""

    # DIRECT: the output value is computed from the input value.
    IDENTITY = "IDENTITY"
    TRANSFORMATION = "TRANSFORMATION"
    AGGREGATION = "AGGREGATION"
    # INDIRECT: the input decides which value or which rows, without being copied.
    JOIN = "JOIN"
    GROUP_BY = "GROUP_BY"
    FILTER = "FILTER"
    SORT = "SORT"
    WINDOW = "WINDOW"
    CONDITIONAL = "CONDITIONAL"

    @property
    def direct(self) -> bool:
        return self in _DIRECT_RANK


_DIRECT_RANK = {Subtype.IDENTITY: 0, Subtype.TRANSFORMATION: 1, Subtype.AGGREGATION: 2}


@dataclass(frozen=True, order=True)
class Transformation:
    """How one input field reaches an output column."""

    subtype: Subtype
    masking: bool = False

    @property
    def type(self) -> str:
        return "DIRECT" if self.subtype.direct else "INDIRECT"

    def to_openlineage(self) -> dict[str, Any]:
        """The facet's ``transformations`` item."""
        data: dict[str, Any] = {"type": self.type, "subtype": self.subtype.value}
        if self.masking:
            data["masking"] = True
        return data


@dataclass(frozen=True)
class InputField:
    """An input column and every way it contributes (a column can be both summed and filtered on)."""

    relation: str
    column: str
    transformations: tuple[Transformation, ...] = ()

    @property
    def direct(self) -> bool:
        return any(t.subtype.direct for t in self.transformations)


class ColumnLineage(dict[str, list[tuple[str, str]]]):
    """Output column -> the ``(input relation, input column)`` pairs its value depends on, sorted.

    A plain dict for callers that only need the pairs; the details ride along as attributes:

    - :attr:`fields`: per output column, each input with its OpenLineage transformations;
    - :attr:`dataset`: inputs that shape every row (join keys, filters, grouping, sorting) rather than a
      single column — the facet's dataset-level lineage;
    - :attr:`problems`: why the lineage is incomplete, in sentences; empty when nothing was missed.
    """

    def __init__(
        self,
        fields: Mapping[str, Sequence[InputField]] | None = None,
        *,
        dataset: Sequence[InputField] = (),
        problems: Sequence[str] = (),
    ) -> None:
        self.fields: dict[str, list[InputField]] = {k: list(v) for k, v in (fields or {}).items()}
        super().__init__({k: sorted({(f.relation, f.column) for f in v}) for k, v in self.fields.items()})
        self.dataset: list[InputField] = list(dataset)
        self.problems: list[str] = list(problems)

    @classmethod
    def unknown(cls, reason: str) -> ColumnLineage:
        """Nothing derivable (a Python workload, SQL that does not parse): only the reason."""
        return cls(problems=[reason])

    @property
    def complete(self) -> bool:
        return not self.problems

    def kind(self, column: str) -> Subtype | None:
        """The summary people read: the strongest direct transformation of ``column`` (``AGGREGATION`` over
        ``TRANSFORMATION`` over ``IDENTITY``), ``None`` when no input value flows into it (a literal,
        ``count(*)``, or a value chosen only by conditions)."""
        direct = [t.subtype for f in self.fields.get(column, []) for t in f.transformations if t.subtype.direct]
        return max(direct, key=_DIRECT_RANK.__getitem__) if direct else None

    def sources(self, column: str, *, direct_only: bool = False) -> list[tuple[str, str]]:
        return sorted({(f.relation, f.column) for f in self.fields.get(column, []) if f.direct or not direct_only})

    def restricted(self, relations: Iterable[str]) -> ColumnLineage:
        """Only the inputs from ``relations`` (the others stay explained in :attr:`problems`)."""
        keep = {_norm(r) for r in relations}
        return ColumnLineage(
            {k: [f for f in v if _norm(f.relation) in keep] for k, v in self.fields.items()},
            dataset=[f for f in self.dataset if _norm(f.relation) in keep],
            problems=self.problems,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"columns": {out: [{relation, column, transformations}]}, "dataset": […], "problems": …}``."""
        return {
            "columns": {k: [_field_dict(f) for f in v] for k, v in self.fields.items()},
            "dataset": [_field_dict(f) for f in self.dataset],
            "problems": list(self.problems),
        }

    def __repr__(self) -> str:
        return f"ColumnLineage({dict(self)!r}, problems={self.problems!r})"


def _field_dict(f: InputField) -> dict[str, Any]:
    return {
        "relation": f.relation,
        "column": f.column,
        "transformations": [t.to_openlineage() for t in f.transformations],
    }


# -- the analysis --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Path:
    """The roles a column plays on the way from an input to an output, outermost first."""

    subtype: Subtype
    masking: bool

    def then(self, inner: _Path) -> _Path:
        """Compose with the role one level further in: an indirect role anywhere makes the path indirect
        (the outermost indirect role names it); otherwise the strongest direct role wins."""
        if not self.subtype.direct:
            return _Path(self.subtype, self.masking or inner.masking)
        if not inner.subtype.direct:
            return _Path(inner.subtype, self.masking or inner.masking)
        strongest = max(self.subtype, inner.subtype, key=_DIRECT_RANK.__getitem__)
        return _Path(strongest, self.masking or inner.masking)


_IDENTITY = _Path(Subtype.IDENTITY, False)
_Leaf = tuple[str, str, _Path]  # (relation as written in the SQL, column, role)


@dataclass
class _Analysis:
    relations: dict[str, str]  # normalised relation name -> the caller's name
    columns: dict[str, dict[str, str]]  # normalised relation -> normalised column -> the caller's name
    problems: list[str] = field(default_factory=list)
    _memo: dict[tuple[int, str | int], list[_Leaf]] = field(default_factory=dict)

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    # Tracing one output column of a scope down to the input relations.
    def trace(self, scope: Scope, column: str | int, depth: int = 0) -> list[_Leaf]:
        key = (id(scope), column)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = []  # a reference cycle (recursive CTE) ends here instead of looping
        if depth > _MAX_DEPTH:
            self.problem(f"the query nests deeper than {_MAX_DEPTH} levels; lineage below that is not followed")
            return []
        leaves = self._trace(scope, column, depth)
        self._memo[key] = leaves
        return leaves

    def _trace(self, scope: Scope, column: str | int, depth: int) -> list[_Leaf]:
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            index = column if isinstance(column, int) else _index_of(expression, column)
            if index is None:
                self.problem(f"column {column} is not produced by {type(expression).__name__.upper()}")
                return []
            # Each branch contributes its value at the same position, unchanged by the set operation.
            return [leaf for branch in scope.set_operation_scopes for leaf in self.trace(branch, index, depth + 1)]
        if isinstance(expression, exp.Subquery):  # a parenthesised query: look inside
            return [leaf for inner in scope.subquery_scopes for leaf in self.trace(inner, column, depth + 1)]
        if not isinstance(expression, exp.Select):
            self.problem(f"cannot follow columns through {type(expression).__name__} ({_short(expression)})")
            return []
        select = _select_of(expression, column)
        if select is None:
            if expression.is_star:
                return self._through_star(scope, column, depth)
            self.problem(f"column {column} is not produced by {_short(expression)}")
            return []
        return self._expression(scope, select, select, depth)

    def _expression(self, scope: Scope, node: exp.Expr, top: exp.Expr, depth: int) -> list[_Leaf]:
        """Leaves of every column (and scalar subquery) inside ``node``, each with its role in ``top``."""
        leaves: list[_Leaf] = []
        for col in find_all_in_scope(node, exp.Column):
            leaves.extend(self._column(scope, col, _role(col, top), depth))
        for window in find_all_in_scope(node, exp.Window):
            # ``OVER w`` names a window defined in the query's WINDOW clause: its columns partition/order.
            definition = _named_window(scope.expression, window)
            if definition is not None:
                role = _Path(Subtype.WINDOW, _role(window, top).masking)
                for key in ("partition_by", "order"):
                    for arg in _as_list(definition.args.get(key)):
                        for col in find_all_in_scope(arg, exp.Column):
                            leaves.extend(self._column(scope, col, role, depth))
        subqueries = {id(s.expression): s for s in scope.subquery_scopes}
        for query in find_all_in_scope(node, *exp.UNWRAPPED_QUERIES):
            inner = subqueries.get(id(query))
            if inner is None:
                continue
            role = _role(query, top)
            if role.subtype is Subtype.IDENTITY:
                role = _Path(Subtype.TRANSFORMATION, role.masking)  # a scalar subquery is computed
            if isinstance(query.parent, exp.In | exp.Exists | exp.Any | exp.All):
                role = _Path(Subtype.CONDITIONAL, role.masking) if role.subtype.direct else role
            for name in query.named_selects:
                leaves.extend((r, c, role.then(p)) for r, c, p in self.trace(inner, name, depth + 1))
        return leaves

    def _column(self, scope: Scope, col: exp.Column, role: _Path, depth: int) -> list[_Leaf]:
        if not col.table:
            select = _select_of(scope.expression, col.name)
            if select is not None and not _inside(col, select):
                # A reference to an output alias (ORDER BY x, HAVING x > 0): follow that expression.
                return [(r, c, role.then(p)) for r, c, p in self._expression(scope, select, select, depth + 1)]
            named = [v for k, v in scope.sources.items() if k]
            if len(named) != 1:
                self.problem(f"column {col.name} could not be attributed to one relation; add the schemas")
                return []
            source: exp.Table | Scope | None = named[0]  # one relation: an unqualified column is its
        else:
            source = _source(scope, col.table)
        if isinstance(source, exp.Table):
            return [(source.name, col.name, role)]
        if isinstance(source, Scope):
            return [(r, c, role.then(p)) for r, c, p in self.trace(source, col.name, depth + 1)]
        self.problem(f"column {col.sql(dialect=DIALECT)} refers to an unknown relation")
        return []

    def _through_star(self, scope: Scope, column: str | int, depth: int) -> list[_Leaf]:
        """``SELECT *`` the schemas could not expand: the column passes through from whichever relation has
        it; with several candidates each is listed and the gap is reported."""
        if isinstance(column, int):
            self.problem("a positional column under an unexpanded * cannot be traced")
            return []
        found: list[_Leaf] = []
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                known = self.columns.get(source.name)
                if not known or column in known:  # unknown schema: the name passes through
                    found.append((source.name, column, _IDENTITY))
            elif isinstance(source, Scope):
                found.extend(self.trace(source, column, depth + 1))
        if len(scope.sources) > 1:
            self.problem(f"* over several relations without schemas: {column} may come from any of them")
        return found

    # Inputs that shape whole rows: join keys, filters, grouping, sorting.
    def dataset_level(self, root: Scope) -> list[_Leaf]:
        leaves: list[_Leaf] = []
        for scope in root.traverse():
            select = scope.expression
            if not isinstance(select, exp.Select):
                continue
            clauses: list[tuple[exp.Expr | None, Subtype]] = [
                *((j.args.get("on"), Subtype.JOIN) for j in select.args.get("joins") or []),
                (select.args.get("where"), Subtype.FILTER),
                (select.args.get("having"), Subtype.FILTER),
                (select.args.get("qualify"), Subtype.FILTER),
                (select.args.get("order"), Subtype.SORT),
            ]
            group = select.args.get("group")
            if group is not None:
                clauses.append((group, Subtype.GROUP_BY))
                if group.args.get("all"):  # GROUP BY ALL: every selected expression without an aggregate
                    clauses.extend((s, Subtype.GROUP_BY) for s in select.selects if not s.find(exp.AggFunc))
            for clause, subtype in clauses:
                if clause is None:
                    continue
                for r, c, p in self._expression(scope, clause, clause, 0):
                    leaves.append((r, c, _Path(subtype, p.masking)))
        return leaves

    # From the SQL's spelling back to the caller's names.
    def field(self, relation: str, column: str, paths: Iterable[_Path]) -> InputField:
        name = self.relations.get(relation, relation)
        if relation not in self.relations:
            self.problem(f"{relation} is read but is not one of the inputs ({', '.join(self.relations.values())})")
        known = self.columns.get(relation) or {}
        if known and column not in known:
            self.problem(f"{name}.{column} is not in the schema given for {name}")
        transformations = sorted({Transformation(p.subtype, p.masking) for p in paths})
        return InputField(name, known.get(column, column), tuple(transformations))


def _role(node: exp.Expr, top: exp.Expr) -> _Path:
    """The role of ``node`` in the expression ``top`` (a projection or a clause): where it sits decides."""
    body = top.this if isinstance(top, exp.Alias) else top
    while isinstance(body, exp.Paren):
        body = body.this
    if node is body or (isinstance(body, exp.Coalesce) and _all_columns(body) and node.parent is body):
        # Copied as is — also when several columns are coalesced, as ``JOIN … USING`` becomes.
        subtype = Subtype.IDENTITY
    else:
        subtype = Subtype.TRANSFORMATION
    indirect: Subtype | None = None
    masking = False
    child: exp.Expr = node
    parent = node.parent
    while parent is not None and child is not top:
        key = child.arg_key
        if isinstance(parent, exp.Window) and key in ("partition_by", "order"):
            indirect = Subtype.WINDOW
        elif isinstance(parent, exp.Filter) and key == "expression":
            indirect = Subtype.FILTER
        elif isinstance(parent, exp.If) and key == "this":
            indirect = Subtype.CONDITIONAL
        elif isinstance(parent, exp.Case) and key == "this":
            indirect = Subtype.CONDITIONAL
        elif isinstance(parent, exp.Order) and key == "expressions":
            indirect = Subtype.SORT
        elif isinstance(parent, _NAVIGATION):
            subtype = Subtype.TRANSFORMATION if subtype is Subtype.IDENTITY else subtype
        elif isinstance(parent, exp.AggFunc):
            subtype = Subtype.AGGREGATION
        if _masks(parent):
            masking = True
        child, parent = parent, parent.parent
    return _Path(indirect or subtype, masking)


def _named_window(select: exp.Expr, window: exp.Window) -> exp.Window | None:
    alias = window.args.get("alias")
    if alias is None or not isinstance(select, exp.Select):
        return None
    name = alias.name if isinstance(alias, exp.Expr) else str(alias)
    for definition in select.args.get("windows") or []:
        if isinstance(definition, exp.Window) and definition.this is not None and definition.this.name == name:
            return definition
    return None


def _as_list(value: object) -> list[exp.Expr]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, exp.Expr)]
    return [value] if isinstance(value, exp.Expr) else []


def _source(scope: Scope, name: str) -> exp.Table | Scope | None:
    """The relation ``name`` in ``scope`` or, for a correlated subquery, in an enclosing scope."""
    here: Scope | None = scope
    while here is not None:
        found = here.sources.get(name)
        if found is not None:
            return found
        here = here.parent
    return None


def _inside(node: exp.Expr, ancestor: exp.Expr) -> bool:
    parent = node.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def _masks(node: exp.Expr) -> bool:
    if isinstance(node, _MASKING_FUNCTIONS):
        return True
    return isinstance(node, exp.Anonymous) and str(node.name).lower() in _MASKING_NAMES


def _all_columns(node: exp.Coalesce) -> bool:
    return all(isinstance(e, exp.Column) for e in [node.this, *node.expressions])


def _select_of(expression: exp.Expr, column: str | int) -> exp.Expr | None:
    if not isinstance(expression, exp.Select):
        return None
    selects = expression.selects
    if isinstance(column, int):
        return selects[column] if column < len(selects) else None
    return next((s for s in selects if s.alias_or_name == column and not isinstance(s, exp.Star)), None)


def _index_of(expression: exp.SetOperation, column: str) -> int | None:
    return next((i for i, s in enumerate(expression.selects) if s.alias_or_name == column), None)


def _short(expression: exp.Expr) -> str:
    text = " ".join(expression.sql(dialect=DIALECT).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _norm(name: str) -> str:
    """DuckDB folds unquoted identifiers to lower case and matches case-insensitively; so do we."""
    return name.lower()


def _query_of(sql: str) -> tuple[exp.Query | None, str | None]:
    """The query a workload runs: the one statement, or the SELECT inside ``CREATE … AS`` / ``INSERT``."""
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=DIALECT) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first.get("line") else ""
        message = str(first.get("description") or exc).splitlines()[0]
        return None, f"the SQL does not parse{where}: {message}"
    except Exception as exc:  # sqlglot raises a few non-ParseError types on odd input
        return None, f"the SQL does not parse: {type(exc).__name__}: {exc}"
    if not statements:
        return None, "the SQL is empty"
    if len(statements) > 1:
        return None, f"the SQL has {len(statements)} statements; a workload's SQL is one query"
    statement = statements[0]
    if isinstance(statement, exp.Create | exp.Insert):
        inner = statement.expression
        if isinstance(inner, exp.Query):
            return inner, None
    if isinstance(statement, exp.Query):
        return statement, None
    return None, f"the SQL is a {statement.key.upper()} statement, not a query"


def column_lineage(sql: str, inputs: Mapping[str, Sequence[str]]) -> ColumnLineage:
    """Which input columns each output column of ``sql`` derives from.

    ``inputs`` maps each relation the SQL may read (a workload's input port names) to its column names; an
    empty sequence means "unknown schema" (columns are then taken as written). Returns a
    :class:`ColumnLineage` — a dict ``{output column: [(relation, column), …]}`` with the transformations,
    the dataset-level inputs and the problems alongside. Never raises for SQL it cannot analyse.
    """
    query, problem = _query_of(sql)
    if query is None:
        return ColumnLineage.unknown(problem or "the SQL is not a query")
    # qualify() folds names to lower case; DuckDB keeps the spelling of the query and of the inputs.
    spelled = {_norm(c): c for cols in inputs.values() for c in cols}
    spelled.update({_norm(n): n for n in query.named_selects if n != "*"})
    relations = {_norm(r): r for r in inputs}
    columns = {_norm(r): {_norm(c): c for c in cols} for r, cols in inputs.items()}
    schema: dict[str, object] = {_norm(r): {_norm(c): "UNKNOWN" for c in cols} for r, cols in inputs.items() if cols}
    analysis = _Analysis(relations, columns)
    try:
        qualified = qualify(
            query.copy(), dialect=DIALECT, schema=schema, validate_qualify_columns=False, identify=False
        )
        root = build_scope(qualified)
    except Exception as exc:  # the optimizer is not total; say so and keep the caller running
        return ColumnLineage.unknown(f"sqlglot could not resolve the query's columns: {type(exc).__name__}: {exc}")
    if root is None or not isinstance(qualified, exp.Query):
        return ColumnLineage.unknown("the SQL is not a query")
    try:
        fields: dict[str, list[InputField]] = {}
        for name in qualified.named_selects:
            if spelled.get(name, name) in fields or name == "*":
                continue
            fields[spelled.get(name, name)] = _group(analysis, analysis.trace(root, name))
        if "*" in qualified.named_selects:
            analysis.problem("* could not be expanded: give the schemas of the relations it reads")
        dataset = _group(analysis, analysis.dataset_level(root))
    except Exception as exc:  # an unforeseen shape of tree: report it instead of failing the caller
        analysis.problem(f"lineage analysis stopped: {type(exc).__name__}: {exc}")
        return ColumnLineage(problems=analysis.problems)
    return ColumnLineage(fields, dataset=dataset, problems=analysis.problems)


def _group(analysis: _Analysis, leaves: Iterable[_Leaf]) -> list[InputField]:
    by_input: dict[tuple[str, str], list[_Path]] = {}
    for relation, column, path in leaves:
        by_input.setdefault((_norm(relation), _norm(column)), []).append(path)
    return [analysis.field(r, c, paths) for (r, c), paths in sorted(by_input.items())]
