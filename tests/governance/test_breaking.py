"""Breaking-change rules between versions of a data product and of ODCS contracts."""

from __future__ import annotations

import pytest

from meshplane.errors import InvalidInputError
from meshplane.governance.changes import ChangeType, Perspective, to_markdown
from meshplane.governance.diff_dataproduct import diff_dataproducts
from meshplane.governance.diff_files import diff_files
from meshplane.spec.model import AcceptedValues, BoundaryPort, Column, LogicalType, NotNull, Range, RowCount, Severity


def _contract(dp, name="orders"):
    port = dp.port(name)
    assert port is not None
    return port.data_contract


def _changes(old, new, perspective=Perspective.BOTH):
    return {(c.type.value, c.path): c.is_breaking(perspective) for c in diff_dataproducts(old, new)}


def test_identical_versions_have_no_changes(orders):
    assert diff_dataproducts(orders, orders.model_copy(deep=True)) == []


@pytest.mark.parametrize(
    ("edit", "key", "consumer", "producer"),
    [
        (lambda c: c.columns.pop(3), ("removed", "ports.orders.columns.status"), True, False),
        (
            lambda c: setattr(c.columns[2], "type", LogicalType.STRING),
            ("changed", "ports.orders.columns.amount.type"),
            True,
            True,
        ),
        (
            lambda c: setattr(c.columns[3], "required", True),
            ("changed", "ports.orders.columns.status.required"),
            False,
            True,
        ),
        (
            lambda c: setattr(c.columns[0], "required", False),
            ("changed", "ports.orders.columns.order_id.required"),
            True,
            False,
        ),
        (
            lambda c: setattr(c.columns[1], "unique", True),
            ("changed", "ports.orders.columns.customer_id.unique"),
            False,
            True,
        ),
        (
            lambda c: setattr(c.columns[1], "primary_key", True),
            ("changed", "ports.orders.columns.customer_id.primaryKey"),
            True,
            True,
        ),
        (
            lambda c: setattr(c.columns[1], "polyseme", None),
            ("changed", "ports.orders.columns.customer_id.polyseme"),
            True,
            True,
        ),
        (
            lambda c: setattr(c.quality[0], "values", ["paid", "shipped"]),
            ("removed", "ports.orders.quality.acceptedValues:status.values"),
            False,
            True,
        ),
        (
            lambda c: setattr(c.quality[0], "values", [*c.quality[0].values, "refunded"]),
            ("added", "ports.orders.quality.acceptedValues:status.values"),
            True,
            False,
        ),
        (lambda c: setattr(c.quality[1], "min", 10), ("changed", "ports.orders.quality.range:amount.min"), False, True),
        (
            lambda c: setattr(c.quality[1], "min", -10),
            ("changed", "ports.orders.quality.range:amount.min"),
            True,
            False,
        ),
        (
            lambda c: c.quality.append(NotNull(column="status")),
            ("added", "ports.orders.quality.notNull:status"),
            False,
            True,
        ),
        (
            lambda c: c.quality.append(Range(column="amount", max=100)),
            ("added", "ports.orders.quality.range:amount#2"),
            False,
            True,
        ),
        (lambda c: c.quality.pop(2), ("removed", "ports.orders.quality.rowCount:"), True, False),
        (lambda c: setattr(c.sla, "timeliness", "5 minutes"), ("changed", "ports.orders.sla.timeliness"), False, True),
        (lambda c: setattr(c.sla, "timeliness", "2h"), ("changed", "ports.orders.sla.timeliness"), True, False),
        (lambda c: setattr(c.sla, "uptime", "99%"), ("changed", "ports.orders.sla.uptime"), True, False),
        (
            lambda c: setattr(c.quality[0], "severity", Severity.WARNING),
            ("changed", "ports.orders.quality.acceptedValues:status.severity"),
            True,
            False,
        ),
    ],
)
def test_contract_rules(orders, edit, key, consumer, producer):
    new = orders.model_copy(deep=True)
    edit(_contract(new))
    found = _changes(orders, new, Perspective.CONSUMER)
    assert found[key] is consumer
    assert _changes(orders, new, Perspective.PRODUCER)[key] is producer
    assert _changes(orders, new)[key] is (consumer or producer)


def test_renamed_column_and_port_are_breaking(orders):
    new = orders.model_copy(deep=True)
    _contract(new).columns[3].name = "state"
    renamed = [c for c in diff_dataproducts(orders, new) if c.type is ChangeType.RENAMED]
    assert [(c.old, c.new, c.is_breaking()) for c in renamed] == [("status", "state", True)]
    new = orders.model_copy(deep=True)
    new.port("orders").name = "all_orders"
    (change,) = [c for c in diff_dataproducts(orders, new) if c.path == "ports.orders"]
    assert change.type is ChangeType.RENAMED and change.is_breaking()


def test_additions_are_not_breaking(orders):
    new = orders.model_copy(deep=True)
    _contract(new).columns.append(Column(name="channel", type=LogicalType.STRING, required=True))
    new.components.append(new.port("orders").model_copy(update={"name": "orders_daily"}, deep=True))
    changes = diff_dataproducts(orders, new)
    assert {c.path for c in changes} == {"ports.orders.columns.channel", "ports.orders_daily"}
    assert not any(c.is_breaking() for c in changes)
    (column,) = [c for c in changes if c.path.endswith("channel")]
    assert column.is_breaking(Perspective.PRODUCER)  # a producer must now always fill it


def test_removed_boundary_port_is_breaking(customers):
    old = customers.model_copy(deep=True)
    port = old.port("customers")
    old.components.append(BoundaryPort(name="ml_export", consumers=["ml"], data_contract=port.data_contract))
    (change,) = diff_dataproducts(old, customers)
    assert change.message == "boundary port `ml_export` removed" and change.is_breaking()


def test_row_count_bounds(orders):
    new = orders.model_copy(deep=True)
    _contract(new).quality[2] = RowCount(min=100)
    assert _changes(orders, new)[("changed", "ports.orders.quality.rowCount:.min")] is True


def test_accepted_values_changes_are_described(orders):
    new = orders.model_copy(deep=True)
    quality = _contract(new).quality[0]
    assert isinstance(quality, AcceptedValues)
    quality.values = ["pending", "paid", "shipped", "cancelled", "refunded"]
    markdown = to_markdown(diff_dataproducts(orders, new), title="orders")
    assert "### Breaking" in markdown and "refunded" in markdown


def test_different_data_products_are_refused(orders, customers):
    with pytest.raises(InvalidInputError):
        diff_dataproducts(orders, customers)


def test_real_contract_pair_matches_a_careful_consumer(shared_dir):
    """The v1→v2 orders pair: the consumer-breaking fields are exactly what datacontract-cli calls errors."""
    folder = shared_dir / "bench" / "contract-tests" / "breaking"
    result = diff_files(folder / "orders-v1.odcs.yaml", folder / "orders-v2.odcs.yaml")
    assert (result.old_version, result.new_version, result.major_bump) == ("1.0.0", "2.0.0", True)
    consumer = {c.path for c in result.changes if c.is_breaking(Perspective.CONSUMER)}
    assert consumer == {
        "schema.orders.columns.customer_id",
        "schema.orders.columns.amount.type",
        "schema.orders.columns.amount.physicalType",
        "schema.orders.columns.email.required",
        "schema.orders.quality.range:amount.min",
        "schema.orders.quality.acceptedValues:status.values",
    }
    expected_text = (folder / "breaking_consumer.txt").read_text()
    for field in ("properties.customer_id", "properties.amount", "properties.email", "validValues"):
        assert field in expected_text  # the peer tool flags the same fields
    producer = {c.path for c in result.changes if c.is_breaking(Perspective.PRODUCER)}
    assert producer == {
        "schema.orders.columns.channel",
        "schema.orders.columns.amount.type",
        "schema.orders.columns.amount.physicalType",
    }
