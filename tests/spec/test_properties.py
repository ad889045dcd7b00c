"""Property-based tests: random and mutated descriptors give a located error or success, never a crash."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshplane.spec import yamlio
from meshplane.spec.diagnostics import Severity
from meshplane.spec.loader import load_model
from meshplane.spec.model import DataProduct

BASE = yaml.safe_load((Path(__file__).parents[1] / "data/mini/sales/orders/dataproduct.yaml").read_text())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["outputPort", "sql", "urn:dmb:dp:a:b:1", "1.0.0", "", "pii"]),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.extend(_paths(value, (*prefix, i)))
    return found


PATHS = _paths(BASE)[1:]


@st.composite
def mutated(draw: st.DrawFn) -> dict:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["replace", "delete", "rename"]))
            if action == "replace":
                parent[path[-1]] = draw(values)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=10))] = parent.pop(path[-1])
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the path
    return data


def _assert_located_or_ok(text: str) -> None:
    doc = yamlio.parse(text, "prop.yaml")
    loaded = load_model(doc, DataProduct)
    errors = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
    if loaded.model is None:
        assert errors, "a descriptor that does not load must say why"
    for diag in errors:
        assert diag.file == "prop.yaml"
        assert diag.line >= 1 and diag.column >= 1, diag
        assert diag.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_descriptors_give_located_errors_or_load(data):
    _assert_located_or_ok(yaml.safe_dump(data, sort_keys=False))


@settings(max_examples=150, deadline=None)
@given(values)
def test_random_documents_never_crash(data):
    _assert_located_or_ok(yaml.safe_dump(data))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_crashes_the_reader(text):
    doc = yamlio.parse(text, "t.yaml")
    for diag in doc.diagnostics:
        assert diag.file == "t.yaml" and diag.message


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(yaml.safe_dump(BASE)) - 1), st.sampled_from([":", "-", "\t", "  ", "[", "'", "{", "\n"]))
def test_corrupted_yaml_text_is_located(position, junk):
    text = yaml.safe_dump(BASE, sort_keys=False)
    _assert_located_or_ok(text[:position] + junk + text[position:])
