"""The dependency graph between data products (through input ports that read output ports)."""

from __future__ import annotations

from collections.abc import Sequence
from graphlib import CycleError, TopologicalSorter

from meshplane.spec.model import DataProduct, OutputPortSource


def upstream(dp: DataProduct) -> list[str]:
    """Ids of the data products ``dp`` reads from."""
    return [p.source.data_product for p in dp.input_ports if isinstance(p.source, OutputPortSource)]


def _sorter(products: Sequence[DataProduct]) -> TopologicalSorter[str]:
    known = {dp.id for dp in products}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for dp in products:
        sorter.add(dp.id, *(u for u in upstream(dp) if u in known))
    return sorter


def find_cycle(products: Sequence[DataProduct]) -> list[str]:
    """One cycle as ``[a, b, …, a]`` (each reads the next), or ``[]``."""
    try:
        _sorter(products).prepare()
    except CycleError as exc:
        nodes: list[str] = list(exc.args[1])
        return list(reversed(nodes))
    return []


def dependency_order(products: Sequence[DataProduct]) -> list[str]:
    """Ids with every upstream data product before its consumers (stable: ties by id)."""
    sorter = _sorter(products)
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order
