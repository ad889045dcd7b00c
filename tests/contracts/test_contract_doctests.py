"""The examples in the contracts package's docstrings run (they are documentation that cannot drift)."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    ["meshplane.contracts", "meshplane.contracts.sqltext", "meshplane.contracts.evaluate", "meshplane.contracts.types"],
)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0
    assert result.failed == 0
