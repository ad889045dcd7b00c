"""How consumers name output ports in gateway SQL.

A port is a three-part name, DuckDB's ``catalog.schema.table``: ``<domain>.<product>.<port>``, e.g.
``SELECT * FROM sales.orders.orders``. A product name always reads its highest major the caller is granted;
``<product>_v<major>`` names one major explicitly (``sales.orders_v1.orders``), so consumers keep working
while two majors run side by side. Names compare case-insensitively, as DuckDB's do.

Time travel is a suffix on the port, quoted because ``@`` is not an identifier character:
``sales.orders."orders@v3"`` reads table version 3, ``sales.orders."orders@2026-01-01T00:00:00Z"`` the
version current at that moment (a date alone means midnight UTC). Filters and masks apply all the same.

>>> split_time_travel("orders@v3")
('orders', AsOf(version=3, timestamp=None))
>>> PortRef("urn:dmb:dp:sales:orders:1", "orders").name
'sales.orders.orders'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from meshplane.errors import InvalidInputError
from meshplane.spec.ids import DataProductId

_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$", re.IGNORECASE)


def quote(name: str) -> str:
    """An identifier as SQL, quoted only when it has to be (for messages people copy from)."""
    return name if _PLAIN.match(name) else '"' + name.replace('"', '""') + '"'


def always_quote(name: str) -> str:
    """An identifier as SQL, always quoted (for SQL the gateway writes)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class AsOf:
    """A point in a port's history: a table version or a moment (UTC)."""

    version: int | None = None
    timestamp: datetime | None = None

    @property
    def suffix(self) -> str:
        if self.version is not None:
            return f"v{self.version}"
        assert self.timestamp is not None
        return self.timestamp.isoformat().replace("+00:00", "Z")

    @classmethod
    def parse(cls, text: str, what: str = "--as-of") -> AsOf:
        """``v3`` or ``3`` → version 3; an ISO date or time → that moment (UTC unless it says otherwise)."""
        value = text.strip()
        digits = value[1:] if value[:1] in ("v", "V") else value
        if digits.isdigit():
            return cls(version=int(digits))
        return cls(timestamp=parse_moment(value, what))


def parse_moment(text: str, what: str) -> datetime:
    value = text.strip()
    if not _ISO.match(value):
        raise InvalidInputError(
            f"{what} `{text}` is neither a table version nor a date or time",
            hint="write v3 for a version, or 2026-01-01 / 2026-01-01T10:00:00Z for a moment",
        )
    moment = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def split_time_travel(table: str) -> tuple[str, AsOf | None]:
    """``orders@v3`` → (``orders``, version 3); ``orders`` → (``orders``, None)."""
    base, sep, when = table.rpartition("@")
    if not sep:
        return table, None
    if not base:
        raise InvalidInputError(f"`{table}` names no port before the @", hint='write e.g. sales.orders."orders@v3"')
    return base, AsOf.parse(when, f"the time travel suffix of `{table}`")


@dataclass(frozen=True)
class PortRef:
    """An output (or boundary) port of one data product major."""

    dp_id: str
    port: str

    @property
    def product(self) -> DataProductId:
        return DataProductId.parse(self.dp_id)

    @property
    def name(self) -> str:
        """The name a consumer writes: ``domain.product.port``."""
        dp = self.product
        return ".".join(quote(p) for p in (dp.domain, dp.name, self.port))

    @property
    def major_name(self) -> str:
        """The name of exactly this major: ``domain.product_v<major>.port``."""
        dp = self.product
        return ".".join(quote(p) for p in (dp.domain, f"{dp.name}_v{dp.major}", self.port))

    def __str__(self) -> str:
        return f"{self.dp_id}.{self.port}"


#: A three-part table name as written, lowercased: (catalog, schema, table) — the table part may carry ``@…``.
TableName = tuple[str, str, str]


def display(name: TableName) -> str:
    return ".".join(quote(p) for p in name if p)


class Names:
    """Resolves consumer-written table names to ports, given the ports that can be named."""

    def __init__(self, ports: Iterable[PortRef]) -> None:
        self._latest: dict[tuple[str, str, str], PortRef] = {}
        self._exact: dict[tuple[str, str, str], PortRef] = {}
        for ref in sorted(set(ports), key=lambda r: r.product.major):
            dp = ref.product
            key = (dp.domain.lower(), dp.name.lower(), ref.port.lower())
            self._latest[key] = ref  # sorted by major: the highest wins
            self._exact[(dp.domain.lower(), f"{dp.name}_v{dp.major}".lower(), ref.port.lower())] = ref

    def resolve(self, name: TableName) -> tuple[PortRef, AsOf | None] | None:
        """The port a three-part name means and its time travel, or None when no port has that name."""
        catalog, schema, table = name
        if not catalog or not schema:
            return None
        base, at = split_time_travel(table)
        key = (catalog, schema, base.lower())
        ref = self._latest.get(key) or self._exact.get(key)  # a product really named `x_v1` wins over an alias
        return (ref, at) if ref is not None else None

    def names(self) -> list[str]:
        """Every name that can be written, the plain names first."""
        latest = sorted({r.name for r in self._latest.values()})
        return latest + sorted({r.major_name for r in self._exact.values()} - set(latest))
