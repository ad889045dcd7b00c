"""What consumer SQL may be: one read-only query over the caller's own ports, checked by two parsers.

1. **sqlglot** (DuckDB dialect) reads the query first, for errors people can act on: a refused statement is
   named (``PRAGMA is not allowed…``), so is a refused table function, and it yields the table names the
   gateway must resolve to grants.
2. **DuckDB's own parser** (``json_serialize_sql``, which serializes SELECT statements only) then reads the
   very text that will run, so no difference between the parsers can smuggle anything through: one SELECT; every
   base table is one of the views built for this request or a CTE; no table function but ``unnest``, ``range``
   and ``generate_series``; no refused scalar function; no ``AT (…)`` clause; no table reference of a kind this
   module does not know (a new DuckDB release adding one is refused, not waved through).

A CTE may not take the name of anything a one-part table name reaches in the sandbox: DuckDB's catalog
views (``duckdb_views`` shows every view's SQL, the salt of hash masks included; ``pg_class``, ``pg_settings``…)
and the request's registered data (``__mp_…``). CTE scoping is subtler than a list of names — a CTE defined
in a subquery is out of scope beside it, a non-recursive CTE's own name inside its body means the catalog's
table — so rather than model the scopes, the names that could fall through to the catalog are refused.

Functions are refused by a deny list, not admitted by an allow list. DuckDB ships some 800 functions and
adds more every release; an allow list would break ordinary SQL on every upgrade, while the sandbox's
settings (no file or network access, a locked configuration, no Python replacement scans) already make the
dangerous families inert. What the list refuses is what would still *inform*: settings and variables
(``current_setting``, ``getvariable``), the catalog (``duckdb_*``, ``pg_*``, ``information_schema`` is a
table and refused as such), plans and serialized SQL (``json_serialize_plan`` shows view definitions), and
column statistics (``stats``). File readers are table functions and are refused with the rest of them.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from meshplane.errors import InvalidInputError
from meshplane.gateway.names import TableName

# sqlglot logs a warning when it falls back to an opaque Command (RESET, LOAD, CALL…); we refuse those anyway.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

#: Table functions a query may use: they make rows from values, never from anything stored.
TABLE_FUNCTIONS = frozenset({"unnest", "range", "generate_series"})
DENIED_FUNCTIONS = frozenset(
    {
        "current_setting",
        "getvariable",
        "getenv",
        "stats",
        "query",
        "query_table",
        "glob",
        "sniff_csv",
        "which_secret",
        "checkpoint",
        "force_checkpoint",
        "col_description",
        "obj_description",
        "shobj_description",
        "has_any_column_privilege",
        "has_column_privilege",
        "has_database_privilege",
        "has_foreign_data_wrapper_privilege",
        "has_function_privilege",
        "has_language_privilege",
        "has_schema_privilege",
        "has_sequence_privilege",
        "has_server_privilege",
        "has_table_privilege",
        "has_tablespace_privilege",
        "current_schemas",
        "in_search_path",
        "enable_logging",
        "disable_logging",
        "truncate_duckdb_logs",
    }
)
DENIED_PREFIXES = (
    "duckdb_",
    "pragma_",
    "pg_",
    "read_",
    "write_",
    "parquet_",
    "iceberg_",
    "delta_",
    "json_serialize",
    "json_deserialize",
    "json_execute",
    "sqlite_",
    "postgres_",
    "mysql_",
    "arrow_",
    "python_",
    "load_",
    "install_",
)
#: Leading words of statements that are not queries, for a message that names the statement even when
#: sqlglot cannot parse it (``EXPORT DATABASE``) or reads it as something else (``CHECKPOINT``).
_STATEMENTS = frozenset(
    {
        *("alter", "analyze", "attach", "begin", "call", "checkpoint", "commit", "copy", "create", "deallocate"),
        *("delete", "describe", "detach", "drop", "execute", "explain", "export", "force", "import", "insert"),
        *("install", "load", "merge", "pivot", "pragma", "prepare", "reset", "rollback", "set", "show"),
        *("summarize", "truncate", "unpivot", "update", "use", "vacuum"),
    }
)
_ALLOWED = "the gateway runs one read-only query: SELECT, WITH … SELECT, or a UNION/INTERSECT/EXCEPT of them"


def refused_function(name: str) -> bool:
    low = name.lower()
    return low in DENIED_FUNCTIONS or low.startswith(DENIED_PREFIXES)


@dataclass(frozen=True)
class Checked:
    """A query that passed the first parser: its text and the distinct three-part names it reads."""

    sql: str
    tables: tuple[TableName, ...]


def check_query(sql: str) -> Checked:
    """The sqlglot pass; InvalidInputError names what is refused."""
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise InvalidInputError("the query is empty", hint="e.g. SELECT * FROM sales.orders.orders LIMIT 10")
    first = text.split(None, 1)[0].lower()
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except RecursionError:  # sqlglot descends ~10 frames per parenthesis
        raise InvalidInputError(
            "the query is nested too deeply to check", hint="flatten it: CTEs instead of nested subqueries"
        ) from None
    except (ParseError, TokenError) as exc:
        if first in _STATEMENTS:
            raise InvalidInputError(f"{first.upper()} is not allowed", hint=_ALLOWED) from exc
        raise InvalidInputError(f"the query does not parse: {_first_error(exc)}", hint=_ALLOWED) from exc
    if len(statements) != 1:
        raise InvalidInputError(f"the query has {len(statements)} statements", hint="send one statement at a time")
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        keyword = first.upper() if first in _STATEMENTS else _keyword(statement)
        raise InvalidInputError(f"{keyword} is not allowed", hint=_ALLOWED)
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    tables: dict[TableName, None] = {}
    for node in statement.walk():
        if isinstance(node, exp.Placeholder | exp.Parameter):
            raise InvalidInputError("query parameters are not supported", hint="write the values into the SQL")
        if isinstance(node, exp.Func) and not isinstance(node, exp.Unnest):
            name = _func_name(node)
            if refused_function(name):
                raise InvalidInputError(f"the function {name}() is not allowed in the gateway", hint=_FUNC_HINT)
        if isinstance(node, exp.Table):
            found = _table(node, ctes)
            if found is not None:
                tables[found] = None
    return Checked(text, tuple(tables))


_FUNC_HINT = "it reads settings, the catalog or files, which the gateway keeps to itself"


def _table(node: exp.Table, ctes: set[str]) -> TableName | None:
    if node.args.get("when") is not None or node.args.get("version") is not None:
        raise InvalidInputError(
            "AT (…) / FOR … AS OF is not how the gateway travels in time",
            hint='name the version in the table instead: sales.orders."orders@v3" or "orders@2026-01-01"',
        )
    if not isinstance(node.this, exp.Identifier):
        name = _func_name(node.this) if isinstance(node.this, exp.Func) else node.this.key
        if name in TABLE_FUNCTIONS:
            return None
        raise InvalidInputError(
            f"the table function {name}() is not allowed in the gateway",
            hint="read the data products you are granted by name, e.g. FROM sales.orders.orders",
        )
    catalog, schema, table = node.catalog.lower(), node.db.lower(), node.name.lower()
    if not catalog and not schema and table in ctes:
        return None
    return catalog, schema, table


def _func_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower() if isinstance(node, exp.Func) else node.key


def _keyword(statement: exp.Expr) -> str:
    if isinstance(statement, exp.Command):
        return str(statement.this).upper()
    if isinstance(statement, exp.Values):
        return "a bare VALUES list"
    return {"column": "a bare expression", "alias": "a bare expression"}.get(statement.key, statement.key.upper())


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        first = errors[0]
        return f"{first.get('description', 'invalid syntax')} (line {first.get('line')}, col {first.get('col')})"
    return str(exc).splitlines()[0]


# -- the second parser: DuckDB's own -------------------------------------------------------------------


def verify_with_duckdb(con: duckdb.DuckDBPyConnection, sql: str, views: set[TableName]) -> None:
    """Refuse unless DuckDB reads ``sql`` as one SELECT over ``views`` (and CTEs) and allowed functions."""
    try:
        rows = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    except duckdb.Error as exc:
        raise InvalidInputError(f"DuckDB cannot read the query: {_duck_message(exc)}", hint=_ALLOWED) from exc
    tree: dict[str, Any] = json.loads(rows[0][0]) if rows else {"error": True}
    if tree.get("error"):
        message = tree.get("error_message") or "not a SELECT"
        raise InvalidInputError(f"DuckDB refuses the query: {message}", hint=_ALLOWED)
    count = len(tree.get("statements") or [])
    if count != 1:
        raise InvalidInputError(f"DuckDB reads {count} statements in the query", hint="send one statement at a time")
    ctes = {str(name).lower() for name in _cte_names(tree)}
    reachable = catalog_names(con)
    for name in sorted(ctes):
        if name in reachable or name.startswith(_RESERVED_PREFIXES):
            raise InvalidInputError(
                f"a CTE may not be named `{name}`: DuckDB would read its own catalog under that name",
                hint="rename the CTE",
            )
    for node in _dicts(tree):
        if "class" in node:
            _verify_expression(node)
        elif _is_table_ref(node):
            _verify_table(node, views, ctes)


#: CTE names refused whatever the catalog holds today: DuckDB's catalog families and the gateway's own names.
_RESERVED_PREFIXES = ("duckdb_", "pg_", "sqlite_", "pragma_", "__")
_CATALOG_SQL = """SELECT lower(view_name) FROM duckdb_views() WHERE schema_name IN ('main', 'pg_catalog')
UNION SELECT lower(table_name) FROM duckdb_tables() WHERE schema_name IN ('main', 'pg_catalog')"""
_catalog: frozenset[str] | None = None
_catalog_lock = threading.Lock()


def catalog_names(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """What a one-part table name can reach besides a CTE: the tables and views of the search path's schemas
    (DuckDB's system views; ``information_schema`` is not on the path). Read once per process, from a sandbox
    connection before anything of a request is registered in it."""
    global _catalog
    with _catalog_lock:
        if _catalog is None:
            _catalog = frozenset(str(row[0]) for row in con.execute(_CATALOG_SQL).fetchall())
        return _catalog


def _is_table_ref(node: dict[str, Any]) -> bool:
    """A serialized TableRef: a known kind, or anything shaped like one (``type`` + ``alias`` + ``sample``)."""
    kind = node.get("type")
    if not isinstance(kind, str):
        return False
    return kind in _TABLE_REFS or ("alias" in node and "sample" in node)


_TABLE_REFS = frozenset(
    {"BASE_TABLE", "TABLE_FUNCTION", "SUBQUERY", "JOIN", "EXPRESSION_LIST", "EMPTY", "EMPTY_FROM", "PIVOT"}
    | {"SHOW_REF", "COLUMN_DATA", "DELIM_GET", "CTE", "BOUND_TABLE_REF", "INVALID"}
)
_HARMLESS_REFS = frozenset({"SUBQUERY", "JOIN", "EXPRESSION_LIST", "EMPTY", "EMPTY_FROM", "PIVOT"})


def _verify_table(node: dict[str, Any], views: set[TableName], ctes: set[str]) -> None:
    kind = node["type"]
    if kind in _HARMLESS_REFS:
        return
    if kind == "TABLE_FUNCTION":
        name = str((node.get("function") or {}).get("function_name", "?")).lower()
        if name not in TABLE_FUNCTIONS:
            raise InvalidInputError(f"the table function {name}() is not allowed in the gateway")
        return
    if kind != "BASE_TABLE":
        raise InvalidInputError(f"DuckDB reads a {kind.lower().replace('_', ' ')} in the query", hint=_ALLOWED)
    if node.get("at_clause"):
        raise InvalidInputError("AT (…) is not how the gateway travels in time", hint='write "orders@v3"')
    catalog = str(node.get("catalog_name") or "").lower()
    schema = str(node.get("schema_name") or "").lower()
    table = str(node.get("table_name") or "").lower()
    if not catalog and not schema and table in ctes:
        return
    if (catalog, schema, table) not in views:
        shown = ".".join(p for p in (catalog, schema, table) if p)
        raise InvalidInputError(f"DuckDB reads the table `{shown}`, which this query may not use")


def _verify_expression(node: dict[str, Any]) -> None:
    name = node.get("function_name")
    if name is None:
        return
    if node.get("schema") or node.get("catalog"):
        raise InvalidInputError(f"the function {node.get('schema')}.{name}() is qualified; call functions by name")
    if refused_function(str(name)):
        raise InvalidInputError(f"the function {str(name).lower()}() is not allowed in the gateway", hint=_FUNC_HINT)


def _cte_names(tree: Any) -> Iterator[str]:
    for node in _dicts(tree):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map") or []:
                yield entry.get("key", "")


def _dicts(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _duck_message(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0]
