"""A data contract as a consumer reads it: columns with what protects them, expectations in words, SLA and
terms, and how to start reading the port (SQL through the query gateway, Python, the CLI)."""

from __future__ import annotations

import json
import shlex

from meshplane.marketplace.views import ColumnView, ContractView, ExpectationView, Sla, Snippets
from meshplane.spec.model import (
    PROTECTED_CLASSIFICATIONS,
    AcceptedValues,
    CustomSql,
    DataContract,
    DataProduct,
    Expectation,
    Freshness,
    NotNull,
    Pattern,
    Range,
    RowCount,
    Unique,
)

_COMMON = {"type", "name", "description", "severity", "threshold"}


def contract_view(contract: DataContract) -> ContractView:
    columns = [
        ColumnView(
            name=c.name,
            type=c.type.value,
            physical_type=c.physical_type,
            required=c.required,
            unique=c.unique,
            primary_key=c.primary_key,
            description=c.description,
            classification=c.classification.value if c.classification else None,
            polyseme=c.polyseme,
            tags=list(c.tags),
            protected=c.classification in PROTECTED_CLASSIFICATIONS,
        )
        for c in contract.columns
    ]
    sla = contract.sla
    terms = contract.terms.model_dump(by_alias=True, exclude_none=True) if contract.terms else {}
    return ContractView(
        columns=columns,
        quality=[expectation_view(q) for q in contract.quality],
        sla=Sla(interval_of_change=sla.interval_of_change, timeliness=sla.timeliness, uptime=sla.uptime)
        if sla
        else None,
        terms={k: str(v) for k, v in terms.items()},
        bitemporal=contract.bitemporal.model_dump(by_alias=True) if contract.bitemporal else None,
    )


def expectation_view(q: Expectation) -> ExpectationView:
    data = q.model_dump(mode="json", by_alias=True, exclude_none=True)
    details = {k: v for k, v in data.items() if k not in _COMMON}
    columns = list(q.columns) if isinstance(q, Unique) else [q.column] if hasattr(q, "column") else []
    return ExpectationView(
        type=q.type,
        name=q.name,
        description=q.description,
        severity=q.severity.value,
        columns=columns,
        summary=describe(q),
        details=details,
    )


def describe(q: Expectation) -> str:
    """The expectation in a few words, e.g. ``revenue ≥ 0``."""
    tolerance = f" (up to {q.threshold:g}% of rows may fail)" if q.threshold else ""
    text: str
    if isinstance(q, NotNull):
        text = f"{q.column} is never empty"
    elif isinstance(q, Unique):
        text = f"{', '.join(q.columns)} {'is' if len(q.columns) == 1 else 'are'} unique"
    elif isinstance(q, AcceptedValues):
        text = f"{q.column} is one of {', '.join(map(str, q.values))}"
    elif isinstance(q, Range):
        bounds = []
        if q.min is not None:
            bounds.append(f"{q.column} {'>' if q.exclusive_min else '≥'} {q.min}")
        if q.max is not None:
            bounds.append(f"{q.column} {'<' if q.exclusive_max else '≤'} {q.max}")
        text = " and ".join(bounds)
    elif isinstance(q, Pattern):
        text = f"{q.column} matches {q.pattern}"
    elif isinstance(q, RowCount):
        text = " and ".join(
            part
            for part in (
                f"at least {q.min} rows" if q.min is not None else "",
                f"at most {q.max} rows" if q.max is not None else "",
            )
            if part
        )
    elif isinstance(q, Freshness):
        text = f"the newest {q.column} is at most {q.max_age} old"
    else:
        text = _sql_summary(q)
    return text + tolerance


def _sql_summary(q: CustomSql) -> str:
    bounds = [
        ("=", q.must_be),
        ("<", q.must_be_less_than),
        ("≤", q.must_be_less_or_equal_to),
        (">", q.must_be_greater_than),
        ("≥", q.must_be_greater_or_equal_to),
    ]
    said = " and ".join(f"{op} {value:g}" for op, value in bounds if value is not None)
    return f"{q.name or q.description or 'a custom query'} returns a number {said}".strip()


def snippets(dp: DataProduct, port: str, location: str | None, columns: list[str]) -> Snippets:
    """Copy-and-paste starts: the governed path first (the query gateway, which names a port
    ``<domain>.<product>.<port>`` and applies the caller's grants), then reading the table directly."""
    ref = f"{dp.name}.{port}"
    relation = ".".join(_quoted(part) for part in (dp.domain, dp.name, port))  # the gateway's names
    shown = ", ".join(_quoted(c) for c in columns[:6]) or "*"
    query = f"SELECT {shown} FROM {relation} LIMIT 10"
    path = json.dumps(location or f"<{dp.name}/{port} table>")
    python = "\n".join(
        [
            "import duckdb",
            "from deltalake import DeltaTable",
            "",
            f"{_py_name(port)} = DeltaTable({path}).to_pyarrow_dataset()",
            f'duckdb.sql("SELECT * FROM {_py_name(port)} LIMIT 10").show()',
        ]
    )
    cli = f"meshplane read {ref} --limit 10 --format json"
    return Snippets(sql=f"meshplane query {shlex.quote(query)}", query=query, python=python, cli=cli)


def _quoted(name: str) -> str:
    return name if name.isidentifier() and name.islower() else '"' + name.replace('"', '""') + '"'


def _py_name(text: str) -> str:
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in text)
    return name if name.isidentifier() else f"port_{name}"
