"""Row filters: the SQL predicate an approver attaches to a grant, checked before it is stored.

A filter is untrusted text that ends up inside every query the grantee runs (the gateway's ``WHERE`` and a
PostgreSQL row-level security policy), so it is parsed with sqlglot and accepted only if every node is on a
small allow-list: the port's columns, literals, comparisons, ``AND``/``OR``/``NOT``, ``IN`` over a literal
list, ``LIKE``/``ILIKE``, ``BETWEEN``, ``IS [NOT] NULL`` and typed literals (``DATE '2024-01-01'``). No
subquery, no function (so nothing that reads a file, a table or a setting), no second statement. What is
stored is sqlglot's rendering of the parsed tree with every column quoted, so the text that runs is the text
that was checked.

>>> validate_row_filter("region = 'EU' and amount > 10", {"region": "string", "amount": "number"})
'"region" = \\'EU\\' AND "amount" > 10'
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from meshplane.errors import InvalidInputError

#: Longest filter accepted: a filter is a short business rule, not a program.
MAX_LENGTH = 2000
MAX_DEPTH = 40

_COMPARISONS: tuple[type[exp.Expression], ...] = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
)
_PREDICATES: tuple[type[exp.Expression], ...] = (
    *_COMPARISONS,
    exp.And,
    exp.Or,
    exp.Not,
    exp.In,
    exp.Like,
    exp.ILike,
    exp.Between,
    exp.Is,
    exp.Boolean,
)
_VALUES: tuple[type[exp.Expression], ...] = (exp.Literal, exp.Boolean, exp.Null, exp.Neg, exp.Cast, exp.DataType)
_ALLOWED: tuple[type[exp.Expression], ...] = (*_PREDICATES, *_VALUES, exp.Paren, exp.Column, exp.Identifier)
_TYPED_LITERALS = frozenset(
    {
        exp.DataType.Type.DATE,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPNTZ,
        exp.DataType.Type.TIMESTAMPTZ,
        exp.DataType.Type.TIME,
        exp.DataType.Type.INTERVAL,
        exp.DataType.Type.DECIMAL,
        exp.DataType.Type.INT,
        exp.DataType.Type.BIGINT,
        exp.DataType.Type.DOUBLE,
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.TEXT,
        exp.DataType.Type.BOOLEAN,
    }
)
_HINT = (
    "a row filter compares the port's columns with literals: =, <>, <, >, IN (…), LIKE, BETWEEN, IS NULL, "
    "combined with AND/OR/NOT, e.g. region = 'EU' AND amount >= 100"
)


def validate_row_filter(text: str, columns: Mapping[str, str], *, dialect: str = "duckdb") -> str:
    """The filter as stored and run (DuckDB dialect, columns quoted), or InvalidInputError saying what is not
    allowed and where. ``columns`` maps the port's column names to their logical types."""
    tree = parse_row_filter(text, columns)
    return tree.sql(dialect=dialect, identify=True)


def to_dialect(stored: str, dialect: str) -> str:
    """A stored (DuckDB-dialect, already validated) filter in another dialect, e.g. ``postgres``."""
    return sqlglot.parse_one(stored, read="duckdb").sql(dialect=dialect, identify=True)


def parse_row_filter(text: str, columns: Mapping[str, str]) -> exp.Expression:
    """The parsed and checked filter tree (see ``validate_row_filter``)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("the row filter is empty", hint=_HINT)
    if len(text) > MAX_LENGTH:
        raise InvalidInputError(f"the row filter is {len(text)} characters long (at most {MAX_LENGTH})", hint=_HINT)
    try:
        statements = sqlglot.parse(text, read="duckdb")
    except SqlglotError as exc:
        raise InvalidInputError(f"the row filter is not valid SQL: {_first_line(exc)}", hint=_HINT) from None
    except Exception as exc:  # sqlglot raises the odd ValueError/RecursionError on pathological input
        raise InvalidInputError(f"the row filter cannot be parsed: {type(exc).__name__}", hint=_HINT) from None
    present = [s for s in statements if s is not None]
    if len(present) != 1:
        raise InvalidInputError(f"the row filter must be one predicate, found {len(present)} statements", hint=_HINT)
    tree = present[0]
    assert isinstance(tree, exp.Expression)
    if not isinstance(_unwrap(tree), _PREDICATES) and not _boolean_column(_unwrap(tree), columns):
        raise InvalidInputError(
            f"the row filter `{_snippet(tree)}` is not a condition (it must be true or false for each row)", hint=_HINT
        )
    by_lower = {name.lower(): name for name in columns}
    _check(tree, by_lower, 0)
    return tree


def _check(node: exp.Expression, columns: Mapping[str, str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInputError(f"the row filter nests deeper than {MAX_DEPTH} levels", hint=_HINT)
    if not isinstance(node, _ALLOWED):
        raise InvalidInputError(f"the row filter may not contain {_describe(node)}: `{_snippet(node)}`", hint=_HINT)
    if isinstance(node, exp.Column):
        _check_column(node, columns)
        return
    if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest") or node.args.get("field")):
        raise InvalidInputError(f"`IN` takes a list of literals here, not `{_snippet(node)}`", hint=_HINT)
    if isinstance(node, exp.Cast):
        target = node.args.get("to")
        if not isinstance(node.this, exp.Literal) or not isinstance(target, exp.DataType):
            raise InvalidInputError(
                f"only literals can be typed (DATE '2024-01-01'), not `{_snippet(node)}`", hint=_HINT
            )
        if target.this not in _TYPED_LITERALS or (target.expressions and target.this is not exp.DataType.Type.DECIMAL):
            raise InvalidInputError(f"the type in `{_snippet(node)}` is not allowed in a row filter", hint=_HINT)
    if isinstance(node, exp.Neg) and not isinstance(node.this, exp.Literal):
        raise InvalidInputError(f"`-` applies to numbers only here, not `{_snippet(node)}`", hint=_HINT)
    for child in node.iter_expressions():
        _check(child, columns, depth + 1)


def _check_column(node: exp.Column, columns: Mapping[str, str]) -> None:
    if node.args.get("table") or node.args.get("db") or node.args.get("catalog"):
        raise InvalidInputError(f"name columns without a table: `{_snippet(node)}`", hint=_HINT)
    ident = node.this
    if not isinstance(ident, exp.Identifier):
        raise InvalidInputError(f"the row filter may not contain `{_snippet(node)}`", hint=_HINT)
    canonical = columns.get(str(ident.this).lower())
    if canonical is None:
        import difflib

        close = difflib.get_close_matches(str(ident.this).lower(), list(columns), n=1)
        hint = f"did you mean `{columns[close[0]]}`?" if close else f"the port's columns: {', '.join(columns.values())}"
        raise InvalidInputError(f"the row filter names `{ident.this}`, which is not a column of the port", hint=hint)
    node.set("this", exp.to_identifier(canonical, quoted=True))


def _unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _boolean_column(node: exp.Expression, columns: Mapping[str, str]) -> bool:
    if not isinstance(node, exp.Column) or not isinstance(node.this, exp.Identifier):
        return False
    lowered = {k.lower(): v for k, v in columns.items()}
    return lowered.get(str(node.this.this).lower()) == "boolean"


def _describe(node: exp.Expression) -> str:
    if isinstance(node, exp.Subquery | exp.Select | exp.Union | exp.Exists):
        return "a subquery"
    if isinstance(node, exp.Func):
        return "a function call"
    if isinstance(node, exp.Star):
        return "`*`"
    if isinstance(node, exp.Placeholder | exp.Parameter):
        return "a parameter"
    return f"{type(node).__name__}"


def _snippet(node: exp.Expression) -> str:
    try:
        text = node.sql(dialect="duckdb")
    except Exception:  # rendering a half-checked tree must not hide the real error
        text = type(node).__name__
    return text if len(text) <= 80 else text[:77] + "…"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
