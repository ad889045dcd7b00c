"""Full-text search with facets over data products: an in-memory inverted index, pure Python.

Why not SQL ``LIKE`` or a database's full-text engine: the marketplace must answer in well under 100 ms at
10,000 data products on SQLite and PostgreSQL alike, rank a hit in a product's name above one in a column
description, and count facets for every query. An inverted index built once per registry change does all
three in a few milliseconds (see ``benchmarks/bench_marketplace.py``); document sets are integers used as
bit sets (:mod:`~meshplane.marketplace.bitsets`), so filtering and counting run in C.

Semantics:

- text is split into lowercase alphanumeric tokens (``customer_360`` → ``customer``, ``360``), the same way
  for documents and queries;
- every query token must match (AND); the last one also matches as a prefix while it is being typed
  (``cust`` finds ``customer``) unless the query ends with a space;
- a document's score is the sum over query tokens of the weights of the fields that hold the token
  (name > tags and polysemes > domain > description > columns), prefix matches counting a little less;
  a compound word typed whole (``overdue_invoices``, ``golden-record``) scores again where it appears whole,
  so the column of that name outranks a product that merely says "overdue" and "invoices";
- filters are OR within a facet and AND across facets; facet counts are *disjunctive*: the counts of a facet
  apply every filter except that facet's own, so a person can widen a choice as well as narrow it.

>>> index = SearchIndex([Doc("a", {"name": "orders"}), Doc("b", {"name": "invoices"})])
>>> [index.ids[n] for n in index.search(parse_query("ord")).ranked()]
['a']
"""

from __future__ import annotations

import bisect
import heapq
import math
import operator
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from meshplane.marketplace import bitsets

#: Field → weight. A field not listed here is indexed with weight 1.
WEIGHTS: dict[str, float] = {
    "name": 10.0,
    "tags": 5.0,
    "polysemes": 5.0,
    "domain": 3.0,
    "description": 2.0,
    "columns": 1.0,
}
#: Share of a field's weight a prefix match earns (an exact token is the better hit).
PREFIX_FACTOR = 0.7
#: Extra score when the query's tokens are exactly the product name's tokens.
EXACT_NAME_BONUS = 20.0
#: Extra score for a compound word typed whole and found whole (a column name, a tag): almost a name match.
PHRASE_BONUS = 20.0
#: Longest query (in tokens) the index looks at; more words than this only narrow nothing useful.
MAX_TERMS = 16
#: Prefixes whose merged postings are kept (people type the same first letters again and again).
PREFIX_CACHE = 64

_TOKEN = re.compile(r"[^\W_]+")
_COMPOUND = re.compile(r"[^\W_]+(?:[_\-.][^\W_]+)+")
#: 1 + 0.1·ln(tf): a token said often in a field counts a little more, never as much as a better field.
_TF = [0.0] + [1.0 + 0.1 * math.log(tf) for tf in range(1, 257)]


@dataclass
class Posting:
    """Where a token occurs: document → score, and document → bit mask of the fields holding it. Two dicts
    rather than one of pairs, so scoring thousands of hits maps ``dict.__getitem__`` in C."""

    scores: dict[int, float] = field(default_factory=dict)
    fields: dict[int, int] = field(default_factory=dict)


_EMPTY = Posting()


def tokenize(text: str) -> list[str]:
    """Lowercase alphanumeric runs: ``"Customer_360 (CID)"`` → ``["customer", "360", "cid"]``."""
    return _TOKEN.findall(text.casefold())


def compounds(text: str) -> list[str]:
    """Words joined by ``_``, ``-`` or ``.``, whole: ``"overdue_invoices, a-b"`` → ``["overdue_invoices", "a-b"]``."""
    return _COMPOUND.findall(text.casefold())


@dataclass(frozen=True)
class Query:
    """What a person typed, as tokens. ``prefix``: the last token may be the start of a longer word."""

    terms: tuple[str, ...] = ()
    prefix: bool = False
    #: Compound words typed whole, which rank documents holding them whole higher.
    phrases: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms


def parse_query(text: str | None) -> Query:
    """``"cust ord"`` → terms ``("cust", "ord")`` with the last one a prefix; a trailing space ends the word."""
    if not text:
        return Query()
    tokens = tokenize(text)
    terms = tuple(dict.fromkeys(tokens))[:MAX_TERMS]  # a repeated word adds nothing to AND
    prefix = bool(terms) and not text[-1:].isspace() and tokens[-1:] == [terms[-1]]
    return Query(terms, prefix, tuple(dict.fromkeys(compounds(text)))[:MAX_TERMS])


@dataclass(frozen=True)
class Doc:
    """One searchable thing: ``fields`` (name → text) are searched, ``facets`` (name → one value) are counted
    and filtered on, ``labels`` (name → several values, e.g. tags) are only filtered on."""

    id: str
    fields: Mapping[str, str]
    facets: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    doc: int
    score: float
    #: The fields the query matched in, for showing why a product was found.
    fields: tuple[str, ...]


@dataclass
class Result:
    """The matching documents (ascending document numbers), their scores and the facet counts."""

    index: SearchIndex
    docs: list[int]
    facets: dict[str, dict[str, int]]
    #: Document → score, for every matching document; None when nothing was typed (all score 0).
    scores: dict[int, float] | None = None
    _terms: list[Posting] = field(default_factory=list, repr=False)

    @property
    def total(self) -> int:
        return len(self.docs)

    def score(self, n: int) -> float:
        return self.scores.get(n, 0.0) if self.scores is not None else 0.0

    def fields(self, n: int) -> tuple[str, ...]:
        """The fields the query matched in for document ``n`` (computed for the hits shown only)."""
        mask = 0
        for posting in self._terms:
            mask |= posting.fields.get(n, 0)
        return self.index.field_list(mask)

    def ranked(self, limit: int | None = None) -> list[int]:
        """Best first (ties by id); ``limit`` takes only the first few without sorting everything."""
        ids = self.index.ids
        scores = self.scores or {}

        def key(n: int) -> tuple[float, str]:
            return (-scores.get(n, 0.0), ids[n])

        if limit is not None and limit < len(self.docs):
            return heapq.nsmallest(limit, self.docs, key=key)
        return sorted(self.docs, key=key)

    @property
    def matches(self) -> list[Match]:
        return [Match(n, self.score(n), self.fields(n)) for n in self.ranked()]


class SearchIndex:
    """Built once from the documents; ``search`` only reads it (its caches are guarded), so one index serves
    concurrent requests."""

    def __init__(self, docs: Sequence[Doc]) -> None:
        self.ids = [d.id for d in docs]
        self.field_names = sorted({name for d in docs for name in d.fields} | set(WEIGHTS))
        self._bit = {name: 1 << i for i, name in enumerate(self.field_names)}
        #: token → doc → (score, bit mask of the fields holding it)
        self._postings: dict[str, Posting] = {}
        #: compound word → doc → best field weight
        self._compounds: dict[str, dict[int, float]] = {}
        #: A name's tokens but the last → (last token, document), to find names a query spells out.
        self._names: dict[tuple[str, ...], list[tuple[str, int]]] = {}
        for n, doc in enumerate(docs):
            self._add(n, doc)
        self._vocabulary = sorted(self._postings)
        self.facets: dict[str, list[str]] = {}
        for name in sorted({k for d in docs for k in d.facets}):
            self.facets[name] = [d.facets.get(name, "") for d in docs]
        self.facet_sets = {name: bitsets.by_value(column) for name, column in self.facets.items()}
        labels: dict[str, dict[str, list[int]]] = {}
        for n, doc in enumerate(docs):
            for name, values in doc.labels.items():
                for value in {v.casefold() for v in values}:
                    labels.setdefault(name, {}).setdefault(value, []).append(n)
        self.label_sets = {k: {v: bitsets.of(ns) for v, ns in vs.items()} for k, vs in labels.items()}
        self._all = bitsets.universe(len(docs))
        self._sets: dict[str, int] = {}
        self._prefixes: OrderedDict[str, tuple[int, Posting]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def _add(self, n: int, doc: Doc) -> None:
        spelled = tokenize(doc.fields.get("name", ""))
        if spelled:
            self._names.setdefault(tuple(spelled[:-1]), []).append((spelled[-1], n))
        per_token: dict[str, tuple[float, int]] = {}
        for name, text in doc.fields.items():
            weight, bit = WEIGHTS.get(name, 1.0), self._bit[name]
            folded = text.casefold()
            joined = "_" in folded or "-" in folded or "." in folded
            for word in _COMPOUND.findall(folded) if joined else ():
                best = self._compounds.setdefault(word, {})
                if weight > best.get(n, 0.0):
                    best[n] = weight
            for token, tf in Counter(_TOKEN.findall(folded)).items():
                score = weight * (_TF[tf] if tf < 257 else _TF[256])
                have = per_token.get(token)
                per_token[token] = (score, bit) if have is None else (have[0] + score, have[1] | bit)
        postings = self._postings
        for token, (score, mask) in per_token.items():
            posting = postings.get(token)
            if posting is None:
                posting = postings[token] = Posting()
            posting.scores[n] = score
            posting.fields[n] = mask

    # -- querying --------------------------------------------------------------------------------------
    def field_list(self, mask: int) -> tuple[str, ...]:
        return tuple(name for i, name in enumerate(self.field_names) if mask >> i & 1)

    def expand(self, prefix: str, limit: int | None = None) -> list[str]:
        """The indexed tokens starting with ``prefix``, in order (``limit`` caps how many)."""
        start = bisect.bisect_left(self._vocabulary, prefix)
        found: list[str] = []
        for token in self._vocabulary[start:]:
            if not token.startswith(prefix) or (limit is not None and len(found) >= limit):
                break
            found.append(token)
        return found

    def _exact(self, term: str) -> tuple[int, Posting]:
        posting = self._postings.get(term, _EMPTY)
        found = self._sets.get(term)
        if found is None:
            found = bitsets.of(posting.scores)
            with self._lock:
                self._sets[term] = found
        return found, posting

    def _prefix(self, term: str) -> tuple[int, Posting]:
        """Documents holding a token that starts with ``term``, with the best score among those tokens."""
        with self._lock:
            cached = self._prefixes.get(term)
            if cached is not None:
                self._prefixes.move_to_end(term)
                return cached
        exact = self._postings.get(term, _EMPTY)
        scores, fields = dict(exact.scores), dict(exact.fields)
        for token in self.expand(term):
            if token == term:
                continue
            posting = self._postings[token]
            for n, score in posting.scores.items():
                scaled = score * PREFIX_FACTOR
                if scaled > scores.get(n, 0.0):
                    scores[n] = scaled
                fields[n] = fields.get(n, 0) | posting.fields[n]
        merged = Posting(scores, fields)
        made = (bitsets.of(merged.scores), merged)
        with self._lock:
            self._prefixes[term] = made
            while len(self._prefixes) > PREFIX_CACHE:
                self._prefixes.popitem(last=False)
        return made

    def _scores(self, query: Query, docs: list[int], postings: list[Posting]) -> dict[int, float]:
        """Score of each of ``docs`` (every one holds every term). Dict comprehensions: at 10,000 hits the
        plain loop with ``+=`` costs twice as much."""
        first, *rest = postings
        values = list(map(first.scores.__getitem__, docs))
        for posting in rest:
            values = list(map(operator.add, values, map(posting.scores.__getitem__, docs)))
        scores = dict(zip(docs, values, strict=True))
        for phrase in query.phrases:
            for n, weight in self._compounds.get(phrase, {}).items():
                if n in scores:
                    scores[n] += PHRASE_BONUS + weight
        *head, last = query.terms
        for token, n in self._names.get(tuple(head), ()):
            if n in scores and (token == last or (query.prefix and token.startswith(last))):
                scores[n] += EXACT_NAME_BONUS
        return scores

    def search(
        self,
        query: Query,
        filters: Mapping[str, Sequence[str]] | None = None,
        *,
        facets: Mapping[str, Mapping[str, int]] | None = None,
    ) -> Result:
        """Every document matching ``query`` and ``filters``, with facet counts.

        ``facets`` adds or replaces facets for this search, as value → set of documents (see ``bitsets``) —
        for facets that change more often than the index is rebuilt, such as quality.
        """
        sets: dict[str, Mapping[str, int]] = {**self.facet_sets, **(facets or {})}
        postings: list[Posting] = []
        candidates = self._all
        if not query.empty:
            last = len(query.terms) - 1
            for i, term in enumerate(query.terms):
                docs_of, posting = self._prefix(term) if query.prefix and i == last else self._exact(term)
                candidates &= docs_of
                postings.append(posting)
        chosen: dict[str, int] = {}
        for name, wanted in (filters or {}).items():
            if not wanted:
                continue
            if name in self.label_sets and name not in sets:
                pool = self.label_sets[name]
                chosen[name] = _union(pool.get(v.casefold(), 0) for v in wanted)
            else:
                chosen[name] = _union(sets.get(name, {}).get(v, 0) for v in wanted)
        kept = candidates
        for docs_of in chosen.values():
            kept &= docs_of
        counts: dict[str, dict[str, int]] = {}
        for name, by_value in sets.items():
            base = candidates
            for other, docs_of in chosen.items():
                if other != name:
                    base &= docs_of
            found = {value: n for value, docs_of in by_value.items() if (n := (base & docs_of).bit_count())}
            counts[name] = found
        for name in chosen:  # a facet no document has still answers, with no values
            if name not in counts and name not in self.label_sets:
                counts[name] = {}
        docs = bitsets.members(kept)
        scores = self._scores(query, docs, postings) if postings else None
        return Result(self, docs, counts, scores, postings)


def _union(sets: Iterable[int]) -> int:
    found = 0
    for docs_of in sets:
        found |= docs_of
    return found
