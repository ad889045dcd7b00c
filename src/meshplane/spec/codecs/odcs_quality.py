"""ODCS v3 quality rules and SLA properties ↔ native expectations and SLA.

ODCS states a rule as a metric plus one comparison (``nullValues``, ``mustBe: 0``); Meshplane states it as a
kind of expectation with a tolerance in percent of rows. The mapping is exact where the two agree, and a
native expectation ODCS has no words for is written as an ODCS ``custom`` rule with engine ``meshplane`` so
that a round trip restores it. A foreign rule Meshplane cannot run is left for the caller to keep (``None``).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import TypeAdapter, ValidationError

from meshplane.spec.codecs.common import FieldPath, Reporter, native_data, text
from meshplane.spec.codecs.values import split_duration
from meshplane.spec.model import (
    AcceptedValues,
    Column,
    CustomSql,
    DataContract,
    Expectation,
    Freshness,
    LogicalType,
    NotNull,
    Pattern,
    Range,
    RowCount,
    Severity,
    Unique,
)

ENGINE = "meshplane"
_EXPECTATION: TypeAdapter[Expectation] = TypeAdapter(Expectation)
_OPERATORS = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
)
_SQL_BOUNDS = {
    "mustBe": "mustBe",
    "mustBeGreaterThan": "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo": "mustBeGreaterOrEqualTo",
    "mustBeLessThan": "mustBeLessThan",
    "mustBeLessOrEqualTo": "mustBeLessOrEqualTo",
}


def expectation(data: Any, rep: Reporter, path: FieldPath) -> Expectation | None:
    try:
        return _EXPECTATION.validate_python(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"])
            rep.error(path, f"quality rule cannot be imported: {loc}: {str(err['msg']).removeprefix('Value error, ')}")
        return None


# -- reading ---------------------------------------------------------------------------------------------


def read_rule(rule: Any, rep: Reporter, path: FieldPath, column: str | None) -> Expectation | None:
    """The native expectation for one ODCS quality rule, or ``None`` when Meshplane cannot enforce it."""
    if not isinstance(rule, dict):
        rep.error(path, "a quality rule must be a mapping of fields")
        return None
    common: dict[str, Any] = {}
    if text(rule.get("name")):
        common["name"] = text(rule["name"])
    if text(rule.get("description")):
        common["description"] = text(rule["description"])
    if rule.get("severity") is not None:
        common["severity"] = _severity(rule["severity"], rep, (*path, "severity"))
    kind = text(rule.get("type")) or "library"
    if kind == "custom":
        implementation = rule.get("implementation")
        if rule.get("engine") == ENGINE and isinstance(implementation, dict):
            return expectation(implementation, rep, path)
        rep.info(path, f"custom rule for engine `{rule.get('engine')}` is kept but not run by Meshplane")
        return None
    if kind == "text":
        rep.info(path, "a text rule is documentation only; kept but not run")
        return None
    if kind == "sql":
        return _sql(rule, common, rep, path)
    metric = text(rule.get("metric"))
    if metric is None and text(rule.get("rule")):
        metric = text(rule["rule"])
        rep.warning((*path, "rule"), "`rule` is deprecated in ODCS v3; read as `metric`", hint="rename it `metric`")
    raw_arguments = rule.get("arguments")
    arguments: dict[str, Any] = raw_arguments if isinstance(raw_arguments, dict) else {}
    if metric == "rowCount":
        return _row_count(rule, common, rep, path)
    if metric == "duplicateValues":
        props = arguments.get("properties")
        columns = [column] if column else [str(p) for p in props] if isinstance(props, list) and props else None
        if columns is None:
            rep.info(path, "duplicate rows over the whole schema are not a native expectation; kept but not run")
            return None
        return _with_threshold(Unique, {**common, "columns": columns}, rule, rep, path)
    if metric not in ("nullValues", "missingValues", "invalidValues"):
        rep.warning(path, f"unknown quality metric `{metric}`; kept but not run", code="codec-not-mapped")
        return None
    if column is None:
        rep.info(path, f"a schema-level `{metric}` rule names no column; kept but not run")
        return None
    base = {**common, "column": column}
    if metric == "nullValues":
        return _with_threshold(NotNull, base, rule, rep, path)
    if metric == "missingValues":
        missing = arguments.get("missingValues")
        if missing is None or (isinstance(missing, list) and all(v is None for v in missing)):
            return _with_threshold(NotNull, base, rule, rep, path)
        rep.info(path, "missing values other than null are not a native expectation; kept but not run")
        return None
    if isinstance(arguments.get("validValues"), list) and arguments["validValues"]:
        return _with_threshold(AcceptedValues, {**base, "values": arguments["validValues"]}, rule, rep, path)
    if text(arguments.get("pattern")):
        return _with_threshold(Pattern, {**base, "pattern": text(arguments["pattern"])}, rule, rep, path)
    rep.info(path, "an `invalidValues` rule without `validValues` or `pattern` is kept but not run")
    return None


def _severity(value: Any, rep: Reporter, path: FieldPath) -> str:
    word = (text(value) or "").lower()
    if word in ("error", "warning"):
        return word
    if word == "info":
        rep.info(path, "severity `info` is read as `warning` (Meshplane has error and warning)", code="codec-quirk")
        return "warning"
    rep.warning(path, f"unknown severity `{value}`; read as `error`", code="codec-quirk")
    return "error"


def _operators(rule: dict[str, Any]) -> dict[str, Any]:
    return {op: rule[op] for op in _OPERATORS if op in rule}


def _with_threshold(
    model: type[NotNull | Unique | AcceptedValues | Pattern],
    data: dict[str, Any],
    rule: dict[str, Any],
    rep: Reporter,
    path: FieldPath,
) -> Expectation | None:
    """A zero-tolerance rule (``mustBe: 0``) or a percentage tolerance (``mustBeLessOrEqualTo: 5 %``)."""
    ops = _operators(rule)
    unit = (text(rule.get("unit")) or "rows").lower()
    threshold: float | None = None
    if not ops:
        rep.info(path, "the rule has no comparison; read as `mustBe: 0`", code="codec-quirk")
        threshold = 0.0
    elif len(ops) == 1:
        ((op, value),) = ops.items()
        if isinstance(value, int | float) and not isinstance(value, bool):
            if op == "mustBe" and value == 0:
                threshold = 0.0
            elif unit in ("percent", "%") and op in ("mustBeLessOrEqualTo", "mustBeLessThan") and 0 <= value <= 100:
                threshold = float(value)
                if op == "mustBeLessThan":
                    rep.info((*path, op), f"`mustBeLessThan: {value}` percent read as a tolerance of {value}%")
            elif unit == "rows" and (
                (op == "mustBeLessOrEqualTo" and value == 0) or (op == "mustBeLessThan" and value == 1)
            ):
                threshold = 0.0
    if threshold is None:
        rep.warning(
            path,
            f"this comparison ({ops}, unit {unit}) has no native tolerance; kept but not run",
            code="codec-not-mapped",
            hint="native tolerances are zero rows or a percentage of rows",
        )
        return None
    return expectation({**data, "type": model.model_fields["type"].default, "threshold": threshold}, rep, path)


def _row_count(rule: dict[str, Any], common: dict[str, Any], rep: Reporter, path: FieldPath) -> Expectation | None:
    bounds: dict[str, int] = {}
    for op, value in _operators(rule).items():
        values = value if op == "mustBeBetween" and isinstance(value, list) and len(value) == 2 else [value]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            rep.warning((*path, op), f"`{op}` needs numbers; the row count rule is kept but not run")
            return None
        if op == "mustBe":
            bounds.update(min=int(value), max=int(value))
        elif op == "mustBeGreaterThan":
            bounds["min"] = math.floor(value) + 1
        elif op == "mustBeGreaterOrEqualTo":
            bounds["min"] = math.ceil(value)
        elif op == "mustBeLessThan":
            bounds["max"] = math.ceil(value) - 1
        elif op == "mustBeLessOrEqualTo":
            bounds["max"] = math.floor(value)
        elif op == "mustBeBetween":
            bounds.update(min=math.ceil(min(values)), max=math.floor(max(values)))
        else:
            rep.warning((*path, op), f"`{op}` has no native row count equivalent; kept but not run")
            return None
    if not bounds:
        rep.warning(path, "a row count rule without a comparison is kept but not run")
        return None
    return expectation({**common, "type": "rowCount", **bounds}, rep, path)


def _sql(rule: dict[str, Any], common: dict[str, Any], rep: Reporter, path: FieldPath) -> Expectation | None:
    query = text(rule.get("query"))
    if not query:
        rep.error(path, "an `sql` rule needs a `query`", hint="add `query:`")
        return None
    data: dict[str, Any] = {**common, "type": "sql", "query": query}
    for op, value in _operators(rule).items():
        if op in _SQL_BOUNDS:
            data[_SQL_BOUNDS[op]] = value
        elif op == "mustBeBetween" and isinstance(value, list) and len(value) == 2:
            data["mustBeGreaterOrEqualTo"], data["mustBeLessOrEqualTo"] = min(value), max(value)
        else:
            rep.warning((*path, op), f"`{op}` has no native equivalent; the SQL rule is kept but not run")
            return None
    return expectation(data, rep, path)


# -- writing ---------------------------------------------------------------------------------------------


def _custom(exp: Expectation) -> dict[str, Any]:
    rule: dict[str, Any] = {"type": "custom", "engine": ENGINE, "implementation": native_data(exp)}
    if exp.name:
        rule["name"] = exp.name
    if exp.description:
        rule["description"] = exp.description
    rule["severity"] = exp.severity.value
    return rule


def _common(exp: Expectation) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    if exp.name:
        rule["name"] = exp.name
    if exp.description:
        rule["description"] = exp.description
    rule["severity"] = exp.severity.value
    return rule


def _tolerance(threshold: float) -> dict[str, Any]:
    return {"mustBe": 0} if threshold == 0 else {"mustBeLessOrEqualTo": threshold, "unit": "percent"}


def _range_options(exp: Range, column: Column) -> dict[str, Any] | None:
    numeric = column.type in (LogicalType.INTEGER, LogicalType.NUMBER, LogicalType.DECIMAL)
    temporal = column.type in (LogicalType.DATE, LogicalType.TIMESTAMP, LogicalType.TIME)
    bounds = [b for b in (exp.min, exp.max) if b is not None]
    if not (
        (numeric and all(isinstance(b, float | int) for b in bounds))
        or (temporal and all(isinstance(b, str) for b in bounds))
    ):
        return None
    options: dict[str, Any] = {}
    if exp.min is not None:
        options["exclusiveMinimum" if exp.exclusive_min else "minimum"] = exp.min
    if exp.max is not None:
        options["exclusiveMaximum" if exp.exclusive_max else "maximum"] = exp.max
    return options


def _plain(exp: Expectation) -> bool:
    return exp.name is None and not exp.description and exp.severity is Severity.ERROR and exp.threshold == 0


def write_quality(
    contract: DataContract, schema_name: str
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(rules by column, logicalTypeOptions by column, schema-level rules, SLA properties)."""
    by_column: dict[str, list[dict[str, Any]]] = {}
    options: dict[str, dict[str, Any]] = {}
    schema_rules: list[dict[str, Any]] = []
    sla: list[dict[str, Any]] = []
    columns = {c.name: c for c in contract.columns}
    for exp in contract.quality:
        column = columns.get(getattr(exp, "column", ""))
        rule: dict[str, Any] | None = None
        if isinstance(exp, NotNull) and column:
            rule = {"metric": "nullValues", **_tolerance(exp.threshold)}
        elif isinstance(exp, AcceptedValues) and column:
            rule = {"metric": "invalidValues", "arguments": {"validValues": exp.values}, **_tolerance(exp.threshold)}
        elif isinstance(exp, Pattern) and column:
            rule = {"metric": "invalidValues", "arguments": {"pattern": exp.pattern}, **_tolerance(exp.threshold)}
        elif isinstance(exp, Unique) and len(exp.columns) == 1 and exp.columns[0] in columns:
            by_column.setdefault(exp.columns[0], []).append(
                {"metric": "duplicateValues", **_tolerance(exp.threshold), **_common(exp)}
            )
            continue
        elif isinstance(exp, Unique):
            schema_rules.append(
                {
                    "metric": "duplicateValues",
                    "arguments": {"properties": exp.columns},
                    **_tolerance(exp.threshold),
                    **_common(exp),
                }
            )
            continue
        elif isinstance(exp, Range) and column and _plain(exp) and column.name not in options:
            found = _range_options(exp, column)
            if found is not None:
                options[column.name] = found
                continue
        elif isinstance(exp, RowCount) and exp.threshold == 0:
            bounds: dict[str, Any]
            if exp.min is not None and exp.max is not None:
                bounds = {"mustBe": exp.min} if exp.min == exp.max else {"mustBeBetween": [exp.min, exp.max]}
            elif exp.min is not None:
                bounds = {"mustBeGreaterOrEqualTo": exp.min}
            else:
                bounds = {"mustBeLessOrEqualTo": exp.max}
            schema_rules.append({"metric": "rowCount", **bounds, **_common(exp)})
            continue
        elif isinstance(exp, Freshness) and exp.name is None and exp.severity is Severity.ERROR and exp.threshold == 0:
            value, unit = split_duration(exp.max_age)
            prop: dict[str, Any] = {"property": "freshness", "value": value}
            if unit:
                prop["unit"] = unit
            prop["element"] = f"{schema_name}.{exp.column}"
            if exp.description:
                prop["description"] = exp.description
            sla.append(prop)
            continue
        elif isinstance(exp, CustomSql) and exp.threshold == 0:
            sql_bounds = _sql_bounds(exp)
            if sql_bounds is not None:
                schema_rules.append({"type": "sql", "query": exp.query, **sql_bounds, **_common(exp)})
                continue
        if rule is not None and column is not None:
            by_column.setdefault(column.name, []).append({**rule, **_common(exp)})
        else:
            schema_rules.append(_custom(exp))
    return by_column, options, schema_rules, sla


def _sql_bounds(exp: CustomSql) -> dict[str, Any] | None:
    given = {
        "mustBe": exp.must_be,
        "mustBeLessThan": exp.must_be_less_than,
        "mustBeLessOrEqualTo": exp.must_be_less_or_equal_to,
        "mustBeGreaterThan": exp.must_be_greater_than,
        "mustBeGreaterOrEqualTo": exp.must_be_greater_or_equal_to,
    }
    set_ = {k: v for k, v in given.items() if v is not None}
    if len(set_) == 1:
        return set_
    if (
        set(set_) == {"mustBeGreaterOrEqualTo", "mustBeLessOrEqualTo"}
        and set_["mustBeGreaterOrEqualTo"] < set_["mustBeLessOrEqualTo"]
    ):
        return {"mustBeBetween": [set_["mustBeGreaterOrEqualTo"], set_["mustBeLessOrEqualTo"]]}
    return None
