"""Which expectations become storage constraints, and the SQL each dialect gets (no database needed)."""

from __future__ import annotations

from adapter_kit import product
from psycopg import sql

from meshplane.adapters.constraints import compile_checks, render_delta
from meshplane.adapters.postgres import _constraints, render_check
from meshplane.spec.model import DataContract


def contract(quality, columns=None, **extra):
    cols = columns or [
        {"name": "amount", "type": "decimal"},
        {"name": "qty", "type": "integer", "required": True},
        {"name": "status", "type": "string"},
        {"name": "valid_from", "type": "timestamp"},
        {"name": "valid_to", "type": "timestamp"},
    ]
    return DataContract.model_validate({"columns": cols, "quality": quality, **extra})


def test_only_errors_without_tolerance_are_enforced_by_storage():
    checks = compile_checks(
        contract(
            [
                {"type": "range", "column": "qty", "min": 1},
                {"type": "range", "column": "qty", "max": 9, "severity": "warning"},
                {"type": "range", "column": "qty", "max": 9, "threshold": 5},
                {"type": "range", "column": "nope", "min": 1},  # unknown column: the descriptor checks report it
                {"type": "pattern", "column": "status", "pattern": "^[a-z]+$"},
                {"type": "notNull", "column": "qty"},  # already required
                {"type": "notNull", "column": "status"},
                {"type": "acceptedValues", "column": "status", "values": ["a", "b"]},
            ]
        )
    )
    assert [(c.kind, c.column) for c in checks] == [("range", "qty"), ("notnull", "status"), ("accepted", "status")]


def test_bitemporal_ports_get_valid_from_before_valid_to():
    checks = compile_checks(contract([], bitemporal={"validFrom": "valid_from", "validTo": "valid_to"}))
    assert [(c.kind, c.column, c.other) for c in checks] == [("bitemporal", "valid_from", "valid_to")]


def test_names_are_stable_short_and_change_with_the_meaning():
    one = compile_checks(contract([{"type": "range", "column": "qty", "min": 1}]))[0]
    same = compile_checks(contract([{"type": "range", "column": "qty", "min": 1}]))[0]
    other = compile_checks(contract([{"type": "range", "column": "qty", "min": 2}]))[0]
    assert one.name() == same.name() != other.name()
    assert one.name().startswith("mp_range_qty_")
    long = compile_checks(
        contract([{"type": "notNull", "column": "x" * 100}], columns=[{"name": "x" * 100, "type": "string"}])
    )[0]
    assert len(long.name()) <= 63


def test_delta_rendering_lets_nulls_pass_and_compares_decimals_as_double():
    checks = compile_checks(
        contract(
            [
                {"type": "range", "column": "amount", "min": 0, "max": 99.5, "exclusiveMax": True},
                {"type": "acceptedValues", "column": "status", "values": ["it's", "b"]},
            ]
        )
    )
    assert [render_delta(c) for c in checks] == [
        '"amount" IS NULL OR (CAST("amount" AS DOUBLE) >= 0 AND CAST("amount" AS DOUBLE) < 99.5)',
        "\"status\" IS NULL OR (\"status\" IN ('it''s', 'b'))",
    ]


def test_postgres_rendering_quotes_identifiers_and_literals():
    checks = compile_checks(
        contract(
            [
                {"type": "range", "column": "qty", "min": 1, "max": "10"},
                {"type": "acceptedValues", "column": "status", "values": ["it's", "b"]},
            ]
        )
    )
    assert [render_check(c).as_string(None) for c in checks] == [
        '"qty" >= 1 AND "qty" <= 10',
        "\"status\" IN ('it''s', 'b')",
    ]


def test_postgres_keys_become_primary_key_and_unique_constraints():
    dp = product(
        [
            {"name": "id", "type": "string", "required": True, "primaryKey": True, "unique": True},
            {"name": "email", "type": "string", "unique": True},
            {"name": "a", "type": "string"},
            {"name": "b", "type": "string"},
        ],
        [{"type": "unique", "columns": ["a", "b"]}, {"type": "unique", "columns": ["a"], "severity": "warning"}],
    )
    found = {name: sql_.as_string(None) for name, sql_ in _constraints(dp.output_ports[0], "t").items()}
    assert sorted(found.values()) == ['PRIMARY KEY ("id")', 'UNIQUE ("a", "b")', 'UNIQUE ("email")']
    assert all(isinstance(v, sql.Composable) for v in _constraints(dp.output_ports[0], "t").values())
    # index-backed names include the table, so two tables in one schema never collide
    assert set(_constraints(dp.output_ports[0], "t")) != set(_constraints(dp.output_ports[0], "u"))
