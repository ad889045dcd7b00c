"""Grant row filters: checked as SQL, then applied *below* the consumer's query, in the Arrow scan itself.

Why not a ``WHERE`` in a view: DuckDB's optimizer may evaluate a consumer's predicate before the view's own
filter (filters are merged and reordered by cost), and a predicate that fails — ``CAST(secret AS INT)``,
``error(secret)`` — then shows a value from a row outside the grant in its error message: the "leaky view"
that PostgreSQL guards against with ``security_barrier``. So a filter is translated to a pyarrow dataset
expression (``Dataset.filter``), and DuckDB only ever receives rows the grant permits, whatever the plan.

The translation covers what grants are made of — comparisons of a column with a literal or another column,
``IN``, ``BETWEEN``, ``LIKE``/``ILIKE``, ``IS [NOT] NULL``, ``AND``/``OR``/``NOT`` — with SQL's three-valued
logic kept exactly (a property test compares it with DuckDB). Anything else raises :class:`Untranslatable`
and the gateway filters the rows in a trusted step before the consumer's query can see them instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from meshplane.errors import InvalidInputError
from meshplane.gateway.sqlcheck import refused_function

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$")
_NULL_BOOL = pa.scalar(None, pa.bool_())
#: Node types a row filter may not contain: it is a predicate over one row, nothing more.
_FORBIDDEN = (exp.Query, exp.Table, exp.Placeholder, exp.Star, exp.AggFunc, exp.Window, exp.Parameter)


class Untranslatable(Exception):
    """The filter is valid SQL but has no exact pyarrow equivalent (the gateway falls back to SQL)."""


def parse_filter(text: str, what: str) -> exp.Expr:
    """A grant's row filter as a checked sqlglot expression: one predicate over the port's columns.

    Parsed once per distinct text (a grant's filter is read by every query of its grantee); the tree is
    shared, so nothing may change it."""
    try:
        return _parse_filter(text)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{what}: the row filter `{text}` {exc.message}", hint=exc.hint) from exc


@functools.lru_cache(maxsize=512)
def _parse_filter(text: str) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(text, read="duckdb", into=exp.Condition)
    except (ParseError, ValueError) as exc:
        raise InvalidInputError(f"is not a SQL predicate: {exc}") from exc
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN):
            raise InvalidInputError(
                f"contains {node.key.upper()}",
                hint="a row filter is a predicate over the port's own columns, e.g. country IN ('DE', 'FR')",
            )
        if isinstance(node, exp.Column) and node.table:
            raise InvalidInputError("qualifies a column; name columns alone")
        if isinstance(node, exp.Func) and refused_function(_func_name(node)):
            raise InvalidInputError(f"calls {_func_name(node)}()")
    return tree


def _func_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def filter_sql(tree: exp.Expr) -> str:
    """The checked filter rendered back as DuckDB SQL (what the fallback and the audit use)."""
    return tree.sql(dialect="duckdb")


def to_arrow(tree: exp.Expr, schema: pa.Schema) -> pc.Expression:
    """The filter as a pyarrow expression with the same three-valued result as SQL, or Untranslatable."""
    return _Translator(schema).predicate(tree)


class _Translator:
    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.fields: dict[str, pa.Field] = {}
        for f in schema:
            self.fields.setdefault(f.name.lower(), f)
        for f in schema:  # an exact spelling beats a case-insensitive one
            self.fields[f.name] = f

    def predicate(self, node: exp.Expr) -> pc.Expression:
        handler = self._HANDLERS.get(type(node))
        if handler is not None:
            # sqlglot keeps some negations as a flag (``NOT LIKE`` is Like(negate=True)); any argument this
            # translation does not know would otherwise be silently dropped, so it makes the node untranslatable
            given = {key for key, value in node.args.items() if value not in (None, False, [])}
            unknown = given - _ARGS.get(type(node), _BINARY)
            if unknown - {"negate"}:
                raise Untranslatable(f"{node.key} with {', '.join(sorted(unknown))}")
            result = handler(self, node)
            return ~result if "negate" in unknown else result
        if isinstance(node, exp.Boolean):
            return pc.scalar(bool(node.this))
        if isinstance(node, exp.Column):
            field = self._field(node)
            if not pa.types.is_boolean(field.type):
                raise Untranslatable(f"column {field.name} is not boolean")
            return pc.field(field.name)
        raise Untranslatable(f"{node.key} is not translated")

    # -- logic -----------------------------------------------------------------------------------
    def _and(self, node: exp.Expr) -> pc.Expression:
        return self.predicate(node.this) & self.predicate(node.expression)

    def _or(self, node: exp.Expr) -> pc.Expression:
        return self.predicate(node.this) | self.predicate(node.expression)

    def _not(self, node: exp.Expr) -> pc.Expression:
        return ~self.predicate(node.this)

    def _paren(self, node: exp.Expr) -> pc.Expression:
        return self.predicate(node.this)

    # -- comparisons -----------------------------------------------------------------------------
    def _compare(self, node: exp.Expr) -> pc.Expression:
        op = _OPERATORS[type(node)]
        left, right = node.this, node.expression
        if isinstance(left, exp.Column) and isinstance(right, exp.Column):
            a, b = self._field(left), self._field(right)
            if not _comparable(a.type, b.type):
                raise Untranslatable(f"{a.name} and {b.name} have different types")
            return op(pc.field(a.name), pc.field(b.name))
        if isinstance(right, exp.Column):  # literal OP column → column OP' literal
            left, right, op = right, left, _FLIPPED[type(node)]
        if not isinstance(left, exp.Column):
            raise Untranslatable("a comparison needs a column")
        field = self._field(left)
        return op(pc.field(field.name), self._literal(right, field.type))

    def _null_safe(self, node: exp.Expr) -> pc.Expression:
        """``a IS [NOT] DISTINCT FROM b``: never NULL; two NULLs are the same."""
        left, right = node.this, node.expression
        if isinstance(right, exp.Column) and not isinstance(left, exp.Column):
            left, right = right, left
        if not isinstance(left, exp.Column):
            raise Untranslatable("IS DISTINCT FROM needs a column")
        a = self._field(left)
        column = pc.field(a.name)
        if isinstance(right, exp.Column):
            b = self._field(right)
            if not _comparable(a.type, b.type):
                raise Untranslatable(f"{a.name} and {b.name} have different types")
            other = pc.field(b.name)
            same = pc.if_else(column.is_null() | other.is_null(), column.is_null() & other.is_null(), column == other)
        else:
            value = self._literal(right, a.type)
            same = column.is_null() if not value.is_valid else pc.coalesce(column == value, pa.scalar(False))
        return same if isinstance(node, exp.NullSafeEQ) else ~same

    def _is(self, node: exp.Expr) -> pc.Expression:
        if not isinstance(node.expression, exp.Null) or not isinstance(node.this, exp.Column):
            raise Untranslatable("IS compares a column with NULL only")
        return pc.field(self._field(node.this).name).is_null()

    def _in(self, node: exp.Expr) -> pc.Expression:
        if node.args.get("query") or node.args.get("unnest") or not isinstance(node.this, exp.Column):
            raise Untranslatable("IN over a column and a list of literals only")
        field = self._field(node.this)
        values = [self._literal(v, field.type) for v in node.expressions]
        column = pc.field(field.name)
        if any(not v.is_valid for v in values):  # x IN (…, NULL) is TRUE or NULL, never FALSE
            result = column == values[0]
            for v in values[1:]:
                result = result | (column == v)
            return result
        value_set = pa.array([v.as_py() for v in values], type=field.type)
        return pc.if_else(column.is_null(), _NULL_BOOL, column.isin(value_set))

    def _between(self, node: exp.Expr) -> pc.Expression:
        if not isinstance(node.this, exp.Column):
            raise Untranslatable("BETWEEN over a column only")
        field = self._field(node.this)
        column = pc.field(field.name)
        low, high = self._literal(node.args["low"], field.type), self._literal(node.args["high"], field.type)
        return (column >= low) & (column <= high)

    def _like(self, node: exp.Expr) -> pc.Expression:
        if not isinstance(node.this, exp.Column) or not isinstance(node.expression, exp.Literal):
            raise Untranslatable("LIKE over a column and a pattern only")
        field = self._field(node.this)
        pattern = node.expression
        if not pattern.is_string or "\\" in pattern.this or not _is_text(field.type):
            raise Untranslatable("LIKE needs a text column and a pattern without backslashes")
        return pc.match_like(pc.field(field.name), pattern.this, ignore_case=isinstance(node, exp.ILike))

    _HANDLERS: ClassVar[dict[type[exp.Expr], Callable[[_Translator, exp.Expr], pc.Expression]]] = {
        exp.And: _and,
        exp.Or: _or,
        exp.Not: _not,
        exp.Paren: _paren,
        exp.EQ: _compare,
        exp.NEQ: _compare,
        exp.GT: _compare,
        exp.GTE: _compare,
        exp.LT: _compare,
        exp.LTE: _compare,
        exp.NullSafeEQ: _null_safe,
        exp.NullSafeNEQ: _null_safe,
        exp.Is: _is,
        exp.In: _in,
        exp.Between: _between,
        exp.Like: _like,
        exp.ILike: _like,
    }

    # -- operands --------------------------------------------------------------------------------
    def _field(self, node: exp.Column) -> pa.Field:
        field = self.fields.get(node.name) or self.fields.get(node.name.lower())
        if field is None:
            raise Untranslatable(f"no column {node.name}")  # the SQL fallback reports it properly
        return field

    def _literal(self, node: exp.Expr, target: pa.DataType) -> pa.Scalar:
        """A literal as a scalar of the column's type, only where SQL would read it the same way."""
        if isinstance(node, exp.Paren):
            return self._literal(node.this, target)
        if isinstance(node, exp.Null):
            return pa.scalar(None, target)
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
            wanted = node.to.this
            if wanted == exp.DataType.Type.DATE and pa.types.is_date(target):
                return self._literal(node.this, target)
            if wanted in _TIMESTAMP_TYPES and pa.types.is_timestamp(target):
                return self._literal(node.this, target)
            raise Untranslatable("a typed literal of another type")
        value = _python_value(node)
        try:
            return _as_scalar(value, target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError, TypeError) as exc:
            raise Untranslatable(f"{value!r} as {target}: {exc}") from exc


_BINARY = frozenset({"this", "expression"})
_ARGS: dict[type[exp.Expr], frozenset[str]] = {
    exp.Not: frozenset({"this"}),
    exp.Paren: frozenset({"this"}),
    exp.In: frozenset({"this", "expressions"}),
    exp.Between: frozenset({"this", "low", "high"}),
}
_TIMESTAMP_TYPES = {exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ, exp.DataType.Type.TIMESTAMPTZ}


def _python_value(node: exp.Expr) -> Any:
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and node.this.is_number:
        return _number(node.this.this, negate=True)
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else _number(node.this)
    raise Untranslatable(f"{node.key} is not a literal")


def _number(text: str, *, negate: bool = False) -> int | Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise Untranslatable(f"{text} is not a number") from exc
    value = -value if negate else value
    return int(value) if value == value.to_integral_value() and re.fullmatch(r"-?\d+", text.lstrip("-")) else value


def _as_scalar(value: Any, target: pa.DataType) -> pa.Scalar:
    if pa.types.is_boolean(target):
        if not isinstance(value, bool):
            raise Untranslatable("a boolean column compared with a non-boolean")
        return pa.scalar(value)
    if _is_text(target):
        if not isinstance(value, str):
            raise Untranslatable("a text column compared with a number")  # DuckDB would cast the column
        return pa.scalar(value, target)
    temporal = pa.types.is_date(target) or pa.types.is_timestamp(target)
    if isinstance(value, bool) or (isinstance(value, str) and not temporal):
        raise Untranslatable(f"{value!r} compared with a {target} column")
    if pa.types.is_integer(target):
        if not isinstance(value, int):  # 2.5 against an integer column: exactness needs SQL's decimal rules
            raise Untranslatable(f"{value} compared with an integer column")
        return pa.scalar(value, target)
    if pa.types.is_floating(target):
        return pa.scalar(float(value))
    if pa.types.is_decimal(target):
        return pa.scalar(Decimal(value)).cast(target)  # raises when it does not fit exactly
    if pa.types.is_date(target) and isinstance(value, str) and _DATE.match(value):
        return pa.scalar(date.fromisoformat(value), target)
    if pa.types.is_timestamp(target) and isinstance(value, str) and _TIMESTAMP.match(value):
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        if isinstance(target, pa.TimestampType) and target.tz is not None:
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        elif moment.tzinfo is not None:
            raise Untranslatable("a zoned time compared with a zoneless timestamp column")
        return pa.scalar(moment, target)
    raise Untranslatable(f"{value!r} compared with a {target} column")


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _comparable(a: pa.DataType, b: pa.DataType) -> bool:
    numeric = pa.types.is_integer(a) or pa.types.is_floating(a), pa.types.is_integer(b) or pa.types.is_floating(b)
    return a == b or all(numeric) or (_is_text(a) and _is_text(b))


_OPERATORS: dict[type[exp.Expr], Callable[[Any, Any], pc.Expression]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}
_FLIPPED: dict[type[exp.Expr], Callable[[Any, Any], pc.Expression]] = {
    exp.EQ: _OPERATORS[exp.EQ],
    exp.NEQ: _OPERATORS[exp.NEQ],
    exp.GT: _OPERATORS[exp.LT],
    exp.GTE: _OPERATORS[exp.LTE],
    exp.LT: _OPERATORS[exp.GT],
    exp.LTE: _OPERATORS[exp.GTE],
}
