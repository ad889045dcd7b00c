"""Naming ports and data products the ways people write them: as in gateway SQL (``sales.orders.orders``),
shorter, by major, by id; the same name meaning the same port here and in the gateway; clear errors with the
closest names when nothing matches."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshplane.access.naming import Names
from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.gateway.names import Names as GatewayNames
from meshplane.gateway.names import PortRef
from meshplane.spec.model import DataProduct


def product(domain: str, name: str, major: int, ports: list[str]) -> DataProduct:
    return DataProduct.model_validate(
        {
            "id": f"urn:dmb:dp:{domain}:{name}:{major}",
            "name": name,
            "domain": domain,
            "kind": "source-aligned",
            "version": f"{major}.0.0",
            "owner": "someone",
            "components": [
                {"kind": "outputPort", "name": p, "dataContract": {"columns": [{"name": "id", "type": "integer"}]}}
                for p in ports
            ],
        }
    )


V1 = product("sales", "orders", 1, ["orders", "daily"])
V2 = product("sales", "orders", 2, ["orders"])  # the new major dropped `daily`
C360 = product("marketing", "c360", 1, ["profile"])
MESH = Names([V1, V2, C360], "dev")


@pytest.mark.parametrize(
    ("ref", "dp_id", "port"),
    [
        ("sales.orders.orders", V2.id, "orders"),  # as in gateway SQL: the highest major
        ("orders.orders", V2.id, "orders"),
        ("sales/orders.orders", V2.id, "orders"),
        ("sales.orders_v1.orders", V1.id, "orders"),  # one major, as in gateway SQL
        ("orders_v1.orders", V1.id, "orders"),
        ("sales/orders_v2.orders", V2.id, "orders"),
        ("urn:dmb:dp:sales:orders:1.orders", V1.id, "orders"),
        ("urn:dmb:cmp:sales:orders:1:orders", V1.id, "orders"),
        ('"Sales".Orders.ORDERS', V2.id, "orders"),  # quoted and in any case, as the gateway prints and reads
        ("  sales.orders.orders ", V2.id, "orders"),
        ("sales.orders.daily", V1.id, "daily"),  # the highest major that has the port
        ("marketing.c360.profile", C360.id, "profile"),
    ],
)
def test_every_form_names_the_port(ref: str, dp_id: str, port: str):
    dp, found = MESH.port(ref)
    assert (dp.id, found.name) == (dp_id, port)


def test_the_name_printed_is_the_name_the_gateway_reads():
    gateway = GatewayNames(PortRef(dp.id, p.name) for dp in (V1, V2, C360) for p in dp.output_ports)
    for dp in (V1, V2, C360):
        for port in dp.output_ports:
            name = MESH.port_name(dp.id, port.name)
            assert MESH.port(name)[0].id == dp.id
            hit = gateway.resolve(tuple(name.split(".")))  # type: ignore[arg-type]
            assert hit is not None and hit[0] == PortRef(dp.id, port.name), name
    assert MESH.port_name(V1.id, "orders") == "sales.orders_v1.orders"
    assert MESH.port_name(V2.id, "orders") == "sales.orders.orders"
    assert MESH.port_name(V1.id, "daily") == "sales.orders.daily"


def test_products_by_name_and_labels():
    assert MESH.product("sales/orders").id == V2.id
    assert MESH.product("sales.orders").id == V2.id
    assert MESH.product("orders_v1").id == V1.id
    assert MESH.product("C360").id == C360.id
    assert [MESH.label(dp.id) for dp in (V1, V2, C360)] == ["sales/orders_v1", "sales/orders_v2", "marketing/c360"]
    assert Names([V2], "dev").label(V2.id) == "sales/orders_v2"  # a major above 1 always shows
    assert MESH.label("not-an-id") == "not-an-id"


def test_a_major_only_in_the_workspace_does_not_take_the_name():
    names = Names([V1, V2], "dev", preferred={V1.id})
    assert names.port("sales.orders.orders")[0].id == V1.id
    assert names.port("orders_v2.orders")[0].id == V2.id
    assert names.port_name(V2.id, "orders") == "sales.orders_v2.orders"


def test_a_real_name_beats_the_major_alias_of_another_product():
    real = product("sales", "orders_v1", 1, ["orders"])
    names = Names([V1, V2, real], "dev")
    assert names.port("sales.orders_v1.orders")[0].id == real.id
    assert names.port("urn:dmb:dp:sales:orders:1.orders")[0].id == V1.id


def test_nothing_matching_says_what_is_close():
    with pytest.raises(NotFoundError, match=r"no data product or output port `sales\.ordres\.orders` in dev") as caught:
        MESH.port("sales.ordres.orders")
    assert "sales.orders.orders" in (caught.value.hint or "")
    with pytest.raises(NotFoundError, match="has no output port `ordrs`") as caught:
        MESH.port("sales.orders.ordrs")
    assert caught.value.hint == "did you mean `orders`?"
    with pytest.raises(NotFoundError) as caught:
        MESH.port("nothing.like.it")
    assert "domain.product.port" in (caught.value.hint or "")
    with pytest.raises(InvalidInputError, match="`orders` is a data product, not a port") as caught:
        MESH.port("orders")
    assert caught.value.hint == "name one of its ports: sales.orders.orders"
    with pytest.raises(InvalidInputError, match="does not name a port"):
        MESH.port("nothing")
    with pytest.raises(NotFoundError, match="no data product `ordrs`") as caught:
        MESH.product("ordrs")
    assert "sales/orders" in (caught.value.hint or "")


def test_a_name_two_domains_share_must_say_which():
    crm = product("crm", "orders", 1, ["orders"])
    names = Names([V1, crm], "dev")
    with pytest.raises(InvalidInputError, match="several data products") as caught:
        names.port("orders.orders")
    assert "crm.orders.orders" in caught.value.message and "sales.orders.orders" in caught.value.message
    with pytest.raises(InvalidInputError, match="crm/orders, sales/orders"):
        names.product("orders")
    assert names.port("crm.orders.orders")[0].id == crm.id


_SIMPLE = st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True)
_ANY = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,5}", fullmatch=True)


def _mesh(draw: Any, names: st.SearchStrategy[str]) -> list[DataProduct]:
    made: dict[str, DataProduct] = {}
    for _ in range(draw(st.integers(1, 5))):
        domain, name = draw(names), draw(names)
        ports = draw(st.lists(names, min_size=1, max_size=3, unique_by=str.lower))
        for major in draw(st.lists(st.integers(1, 3), min_size=1, max_size=2, unique=True)):
            dp = product(domain, name, major, ports)
            made.setdefault(dp.id.lower(), dp)  # ids differing only in case would be one name
    return list(made.values())


@st.composite
def simple_meshes(draw: Any) -> list[DataProduct]:
    return _mesh(draw, _SIMPLE)


@st.composite
def any_meshes(draw: Any) -> list[DataProduct]:
    return _mesh(draw, _ANY)


@settings(max_examples=150, deadline=None)
@given(simple_meshes())
def test_printed_names_and_ids_round_trip(products: list[DataProduct]):
    names = Names(products, "dev")
    gateway = GatewayNames(PortRef(dp.id, p.name) for dp in products for p in dp.output_ports)
    for dp in products:
        for port in dp.output_ports:
            assert names.port(f"{dp.id}.{port.name}")[0].id == dp.id
            printed = names.port_name(dp.id, port.name)
            assert names.port(printed)[0].id == dp.id, printed
            assert names.port(printed.upper())[0].id == dp.id
            hit = gateway.resolve(tuple(printed.split(".")))  # type: ignore[arg-type]
            assert hit is not None and hit[0].dp_id == dp.id


@settings(max_examples=150, deadline=None)
@given(any_meshes())
def test_any_legal_names_resolve_or_say_they_are_ambiguous(products: list[DataProduct]):
    """Names may hold dots and hyphens, so ``a.b.c.d`` can mean two ports: the id form never can, and a
    printed name means its port or is refused as ambiguous, naming it — never another port silently."""
    names = Names(products, "dev")
    for dp in products:
        for port in dp.output_ports:
            found, got = names.port(f"{dp.id}.{port.name}")
            assert (found.id, got.name) == (dp.id, port.name)
            printed = names.port_name(dp.id, port.name)
            try:
                found, got = names.port(printed)
            except InvalidInputError as exc:
                assert "several" in exc.message and printed in exc.message
            else:
                assert (found.id, got.name) == (dp.id, port.name)
