"""How people name data products and output ports: one set of rules for every access command, API field,
page and hint.

The query gateway names a port ``domain.product.port`` (``SELECT * FROM sales.orders.orders``), so that is
the name hints print and the first one accepted; shorter and longer forms are accepted too:

=================================================  ===================================================
``sales.orders.orders``, ``sales/orders.orders``   domain, product, port: the product's highest major
                                                   that has the port (as in gateway SQL)
``orders.orders``                                  product and port, when no other domain has the name
``sales.orders_v1.orders``, ``orders_v1.orders``   one major, as in gateway SQL
``urn:dmb:dp:sales:orders:1.orders``               the data product id and the port
``urn:dmb:cmp:sales:orders:1:orders``              the port's component id
=================================================  ===================================================

A data product alone is named the same way without the port (``sales/orders``, ``sales.orders``,
``orders``, ``orders_v2``, its id). Names compare case-insensitively, as DuckDB's do, and double quotes
are ignored (the gateway quotes names it must: ``"web-shop".orders.orders``). A product really named
``orders_v1`` wins over the major alias of ``orders``. Nothing matching is an error that lists the
closest names.

    names = Names(catalog.deployed(), "dev")
    names.port("sales.orders.orders")         # -> (the highest major of sales/orders, its port `orders`)
    names.port_name("urn:dmb:dp:sales:orders:1", "orders")  # -> "sales.orders_v1.orders" once v2 runs
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Sequence
from functools import cached_property
from typing import NamedTuple

from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError
from meshplane.spec.ids import DataProductId
from meshplane.spec.model import DataProduct, OutputPort

#: Tiers of a name: a product's real name beats the ``_v<major>`` alias another product's major has.
_REAL, _ALIAS = 0, 1
FORMS = "domain.product.port (sales.orders.orders), product.port, product_v2.port or DATA_PRODUCT_ID.port"


def key(text: str) -> str:
    """How a written name is compared: trimmed, without double quotes, lowercased."""
    return text.strip().replace('"', "").lower()


class Hit(NamedTuple):
    """One thing a name may mean: a data product (``port`` empty) or one of its ports."""

    tier: int
    dp_id: str
    port: str = ""


class Names:
    """Every name of the data products and ports given; ``where`` ends messages ("dev", "mesh acme").

    ``preferred`` (deployed ids) decides which major a name without a major means: the highest preferred
    one, else the highest of all, so a newer major only in the workspace does not take a name from the
    major consumers read.
    """

    def __init__(self, products: Iterable[DataProduct], where: str, preferred: Collection[str] = ()) -> None:
        self.where = where
        self._products: dict[str, DataProduct] = {dp.id: dp for dp in products}
        self._ids = {dp_id: DataProductId.parse(dp_id) for dp_id in self._products}
        #: (domain, name) and (domain, name, port), lowercased -> the id a name without a major means.
        self._top: dict[tuple[str, ...], str] = {}
        self._majors: dict[tuple[str, str], int] = {}  # how many majors each product has here
        for dp in sorted(self._products.values(), key=lambda dp: (dp.id in preferred, self._ids[dp.id].major)):
            self._top[_base(dp)] = dp.id  # sorted: the last (preferred, highest) major wins
            self._majors[_base(dp)] = self._majors.get(_base(dp), 0) + 1
            for port in dp.output_ports:
                self._top[(*_base(dp), port.name.lower())] = dp.id

    @cached_property
    def _by_name(self) -> dict[str, list[Hit]]:
        """Every product name (lowercased) -> what it may mean; built on first use (printing needs none)."""
        index: dict[str, list[Hit]] = {}
        for dp in self._products.values():
            for tier, alias in _aliases(dp.id, self._ids[dp.id], latest=self._top[_base(dp)] == dp.id):
                index.setdefault(alias, []).append(Hit(tier, dp.id))
        return index

    @cached_property
    def _by_port(self) -> dict[str, list[Hit]]:
        """Every port name (lowercased) -> what it may mean, component ids included."""
        index: dict[str, list[Hit]] = {}
        for dp in self._products.values():
            d = self._ids[dp.id]
            for port in dp.output_ports:
                lowered = port.name.lower()
                for tier, alias in _aliases(dp.id, d, latest=self._top[(*_base(dp), lowered)] == dp.id):
                    index.setdefault(f"{alias}.{lowered}", []).append(Hit(tier, dp.id, port.name))
                component = f"urn:dmb:cmp:{d.domain}:{d.name}:{d.major}:{port.name}".lower()
                index.setdefault(component, []).append(Hit(_REAL, dp.id, port.name))
        return index

    # -- names to things -----------------------------------------------------------------------------
    def product(self, ref: str) -> DataProduct:
        """The data product ``ref`` names; NotFoundError with the closest names, or InvalidInputError when
        it names several."""
        found = _best(self._by_name.get(key(ref), []))
        if len(found) == 1:
            return self._products[found[0].dp_id]
        if found:
            labels = ", ".join(sorted(self.label(h.dp_id) for h in found))
            raise InvalidInputError(
                f"`{ref}` names several data products: {labels}", hint="name one as domain/name, e.g. sales/orders"
            )
        close = self._close(ref, self._by_name)
        raise NotFoundError(
            f"no data product `{ref}` in {self.where}",
            hint=f"did you mean {close}?" if close else "name it domain/name or by its id; see `meshplane status`",
        )

    def port(self, ref: str) -> tuple[DataProduct, OutputPort]:
        """The data product and output port ``ref`` names (see the module docstring for the forms)."""
        found = _best(self._by_port.get(key(ref), []))
        if len(found) == 1:
            dp = self._products[found[0].dp_id]
            return dp, next(p for p in dp.output_ports if p.name == found[0].port)
        if found:
            names = ", ".join(sorted(self.port_name(h.dp_id, h.port) for h in found))
            raise InvalidInputError(
                f"`{ref}` names ports of several data products: {names}", hint="write domain.product.port"
            )
        raise self._no_port(ref)

    # -- things to names -----------------------------------------------------------------------------
    def port_name(self, dp_id: str, port: str) -> str:
        """The name to write for a port: ``domain.product.port`` when that means this major (its highest
        major with the port), else ``domain.product_v<major>.port``; the id form for an unknown product."""
        dp = self._products.get(dp_id)
        if dp is None:
            return f"{dp_id}.{port}"
        d = self._ids[dp_id]
        latest = self._top.get((*_base(dp), port.lower())) == dp_id
        return f"{d.domain}.{d.name if latest else f'{d.name}_v{d.major}'}.{port}"

    def label(self, dp_id: str) -> str:
        """A data product for people: ``domain/name``, with ``_v<major>`` when the major is above 1 or other
        majors are known."""
        try:
            d = self._ids.get(dp_id) or DataProductId.parse(dp_id)
        except ValueError:
            return dp_id
        majors = self._majors.get((d.domain.lower(), d.name.lower()), 0) + (dp_id not in self._products)
        return f"{d.domain}/{d.name}" + (f"_v{d.major}" if d.major > 1 or majors > 1 else "")

    def principal(self, kind: str, who: str) -> str:
        """Who holds or asks, short: ``tom``, ``group:analysts``, ``dp:marketing/c360`` (``kind`` is a
        ``PrincipalKind`` value: user, group, dataProduct)."""
        if kind == "group":
            return f"group:{who}"
        if kind == "dataProduct":
            return f"dp:{self.label(who)}"
        return who

    # -- errors --------------------------------------------------------------------------------------
    def _no_port(self, ref: str) -> MeshplaneError:
        """Why ``ref`` names no port: no dot at all, a product without that port, or nothing near it."""
        text = ref.strip().replace('"', "")
        if "." not in text and not key(text).startswith("urn:dmb:cmp:"):
            found = _best(self._by_name.get(key(text), []))
            if len(found) == 1:  # a product: say which of its ports
                dp_id = found[0].dp_id
                ports = [self.port_name(dp_id, p.name) for p in self._products[dp_id].output_ports]
                return InvalidInputError(
                    f"`{ref}` is a data product, not a port", hint=f"name one of its ports: {', '.join(ports)}"
                )
            return InvalidInputError(f"`{ref}` does not name a port", hint=f"write {FORMS}")
        cut = len(text)
        while (cut := text.rfind(".", 0, cut)) > 0:  # the longest product name first: names may hold dots
            found = _best(self._by_name.get(key(text[:cut]), []))
            if len(found) == 1:
                dp, wanted = self._products[found[0].dp_id], text[cut + 1 :]
                ports = [p.name for p in dp.output_ports]
                near = difflib.get_close_matches(wanted, ports, n=1)
                return NotFoundError(
                    f"{self.label(dp.id)} ({dp.id}) has no output port `{wanted}`",
                    hint=f"did you mean `{near[0]}`?" if near else f"its output ports: {', '.join(ports) or 'none'}",
                )
        close = self._close(ref, self._by_port)
        return NotFoundError(
            f"no data product or output port `{ref}` in {self.where}",
            hint=f"did you mean {close}?" if close else f"write {FORMS}; see `meshplane status`",
        )

    def _close(self, ref: str, index: dict[str, list[Hit]]) -> str:
        """Up to three names near ``ref``, each in the form people write (whatever form ``ref`` took)."""
        shown: list[str] = []
        for alias in difflib.get_close_matches(key(ref), list(index), n=12, cutoff=0.6):
            for hit in _best(index[alias]):
                name = self.port_name(hit.dp_id, hit.port) if hit.port else self.label(hit.dp_id)
                if name not in shown:
                    shown.append(name)
        return ", ".join(shown[:3])


def _base(dp: DataProduct) -> tuple[str, str]:
    return dp.domain.lower(), dp.name.lower()


def _best(hits: Sequence[Hit]) -> list[Hit]:
    """The hits of the best tier, each once."""
    if not hits:
        return []
    tier = min(h.tier for h in hits)
    return sorted({h for h in hits if h.tier == tier})


def _aliases(dp_id: str, d: DataProductId, *, latest: bool) -> list[tuple[int, str]]:
    """Every lowercased name of ``dp_id`` (parsed: ``d``); the names without a major only for the major they
    mean."""
    domain, name = d.domain.lower(), d.name.lower()
    found = [(_REAL, dp_id.lower())]
    if latest:
        found += [(_REAL, f"{domain}/{name}"), (_REAL, f"{domain}.{name}"), (_REAL, name)]
    versioned = f"{name}_v{d.major}"
    return [*found, (_ALIAS, f"{domain}/{versioned}"), (_ALIAS, f"{domain}.{versioned}"), (_ALIAS, versioned)]
