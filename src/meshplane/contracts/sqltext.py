"""SQL text helpers: quoting, literals, and reading a contract's custom queries.

Custom ``sql`` rules name the table by its contract name (``SELECT count(*) FROM orders WHERE …``); to run
them against whatever relation holds the data, table references are rewritten. A small lexer does that
instead of a full parser: it keeps the hot path free of a parser's import cost, and it only has to tell
strings, quoted names and comments from the words that may be table names. A query of the shape
``SELECT count(*) FROM <table> [WHERE <condition>]`` is recognised so its condition can join the single scan.

>>> substitute_relation("SELECT count(*) FROM orders o WHERE o.x > 1", {"orders"}, '"data"')
'SELECT count(*) FROM "data" o WHERE o.x > 1'
>>> count_condition("select count(*) from orders where created_at > now();", {"orders"})
'created_at > now()'
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

_TOKEN = re.compile(
    r"""
     (?P<ws>\s+)
    |(?P<comment>--[^\n]*|/\*.*?\*/)
    |(?P<string>[eE]?'(?:[^']|'')*')
    |(?P<qident>"(?:[^"]|"")*")
    |(?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    |(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
    |(?P<op>::|<=|>=|<>|!=|\|\||.)
    """,
    re.S | re.X,
)
#: Words after which a FROM list ends.
_CLAUSE_END = frozenset(
    {
        "where",
        "group",
        "having",
        "order",
        "limit",
        "offset",
        "union",
        "intersect",
        "except",
        "qualify",
        "window",
        "fetch",
        "on",
        "using",
        "select",
        "returning",
    }
)
#: Words that make a counting query more than a filtered count.
_NOT_FOLDABLE = _CLAUSE_END - {"where"} | {"join", "distinct", "lateral", "with", "values", "pivot", "unpivot"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int = 0

    @property
    def significant(self) -> bool:
        return self.kind not in ("ws", "comment")

    @property
    def word(self) -> str | None:
        return self.text.lower() if self.kind == "word" else None

    def names(self, names: Collection[str] | None) -> bool:
        """Whether this token is an identifier spelling one of ``names`` (unquoted words ignore case);
        any identifier when ``names`` is ``None``."""
        if names is None:
            return self.kind == "qident" or (self.kind == "word" and self.text.lower() not in _CLAUSE_END)
        if self.kind == "word":
            return self.text.lower() in {n.lower() for n in names}
        if self.kind == "qident":
            return self.text[1:-1].replace('""', '"') in names
        return False


def tokenize(sql: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup or "op"
        tokens.append(Token(kind, match.group(), match.start()))
    return tokens


def quote_ident(name: str) -> str:
    """A double-quoted identifier; embedded quotes are doubled.

    >>> print(quote_ident("order id"))
    "order id"
    """
    return '"' + name.replace('"', '""') + '"'


def quote_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def literal(value: Any) -> str:
    """A Python value as a SQL literal: numbers bare, everything else a string DuckDB casts to the column's
    type at bind time (``d >= '2020-01-01'`` on a DATE compares dates)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return f"CAST({quote_string(str(value))} AS DOUBLE)"
        return str(int(value)) if value.is_integer() and abs(value) < 2**63 else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date | time):
        return quote_string(value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat())
    return quote_string(str(value))


def _relation_at(tokens: list[Token], i: int, names: Collection[str] | None) -> int:
    """The index just past a table reference naming one of ``names`` that starts at ``i`` (``orders``,
    ``"orders"`` or ``schema.orders``), or ``i`` when there is none."""
    j = i
    while (
        j + 2 < len(tokens)
        and tokens[j].kind in ("word", "qident")
        and tokens[j + 1].text == "."
        and tokens[j + 2].kind in ("word", "qident")
    ):
        j += 2
    if j < len(tokens) and tokens[j].names(names) and not (j + 1 < len(tokens) and tokens[j + 1].text in ".("):
        return j + 1
    return i


def substitute_relation(sql: str, names: Collection[str] | None, relation: str) -> str:
    """``sql`` with every table reference to one of ``names`` (in FROM and JOIN lists, and as the qualifier
    of a column such as ``orders.amount``) replaced by ``relation``. With ``names=None`` every table in a
    FROM or JOIN list is taken for the contract's table (qualifiers are then left alone)."""
    tokens = tokenize(sql)
    out: list[str] = []
    in_from = False
    expect_table = False
    depth_from: list[int] = []
    depth = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.significant:
            out.append(tok.text)
            i += 1
            continue
        word = tok.word
        if expect_table:
            expect_table = False
            end = _relation_at(tokens, i, names)
            if end > i:
                out.append(relation)
                i = end
                continue
        elif (
            names is not None
            and tok.names(names)
            and i + 2 < len(tokens)
            and tokens[i + 1].text == "."
            and tokens[i + 2].significant
        ):
            prev = next((t for t in reversed(tokens[:i]) if t.significant), None)
            if prev is None or prev.text != ".":
                out.append(relation)
                i += 1
                continue
        if word in ("from", "join"):
            in_from, expect_table = True, True
            depth_from.append(depth)
        elif tok.text == "," and in_from and depth_from and depth == depth_from[-1]:
            expect_table = True
        elif word in _CLAUSE_END and in_from and depth_from and depth == depth_from[-1]:
            in_from = False
            depth_from.pop()
        elif tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
            while depth_from and depth_from[-1] > depth:
                depth_from.pop()
                in_from = bool(depth_from)
        out.append(tok.text)
        i += 1
    return "".join(out)


def count_condition(sql: str, names: Collection[str] | None) -> str | None:
    """For ``SELECT count(*) FROM <one of names> [WHERE cond]``: ``cond`` (``"TRUE"`` without WHERE).
    ``None`` for any other query — it then runs as a statement of its own."""
    tokens = [t for t in tokenize(sql) if t.significant]
    while tokens and tokens[-1].text == ";":
        tokens.pop()
    head = [t.text.lower() for t in tokens[:6]]
    if len(head) < 6 or head[0] != "select" or head[1] != "count" or head[2] != "(" or head[4] != ")":
        return None
    if head[3] not in ("*", "1"):
        return None
    rest = tokens[5:]
    if rest and rest[0].word == "as":
        rest = rest[2:]
    elif rest and rest[0].kind in ("word", "qident") and rest[0].word != "from":
        rest = rest[1:]
    if not rest or rest[0].word != "from":
        return None
    end = _relation_at(rest, 1, names)
    if end == 1:
        return None
    tail = rest[end:]
    if not tail:
        return "TRUE"
    if tail[0].word != "where" or len(tail) < 2:
        return None
    condition = tail[1:]
    if any(t.word in _NOT_FOLDABLE for t in condition) or any(t.text == ";" for t in condition):
        return None
    # A qualified column (``orders.x``) would need the table's name in the single scan: keep it whole.
    table = rest[end - 1]
    if any(t.names([table.text.strip('"')] if names is None else names) for t in condition):
        return None
    return sql[condition[0].start : condition[-1].start + len(condition[-1].text)]
