"""What the query gateway and PostgreSQL enforcement consume: one effective grant per readable port.

``PortGrant`` is the contract with the gateway (helper code elsewhere reads exactly these fields). Several
grants can cover one port (the user's own, a group's, a consuming data product's); ``combine`` folds them
into one without ever showing more than some single grant allows (see its docstring).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal

from meshplane.errors import InvalidInputError
from meshplane.spec.durations import parse_duration

MaskKind = Literal["hash", "redact", "null"]
MASK_KINDS: tuple[MaskKind, ...] = ("hash", "redact", "null")
#: How much each mask hides, least first: combining grants keeps the strongest of conflicting masks.
_STRENGTH: dict[str, int] = {"hash": 1, "redact": 2, "null": 3}
#: The mask a PII/sensitive column gets when the grant says nothing about it.
DEFAULT_PII_MASK: MaskKind = "redact"
#: ``grant_id`` of the owners' own view of their ports.
OWNER_GRANT = "owner"


@dataclass(frozen=True)
class PortGrant:
    dp_id: str  # urn:dmb:dp:<domain>:<name>:<major>
    port: str  # output port name
    environment: str
    row_filter: str | None  # DuckDB-dialect SQL predicate over the port's columns, or None
    masks: Mapping[str, str]  # column -> "hash" | "redact" | "null"; default PII masks already merged in
    grant_id: str
    expires_at: datetime | None

    @property
    def unrestricted(self) -> bool:
        return self.row_filter is None and not self.masks

    def to_dict(self) -> dict[str, object]:
        return {
            "dataProduct": self.dp_id,
            "port": self.port,
            "environment": self.environment,
            "rowFilter": self.row_filter,
            "masks": dict(self.masks),
            "grantId": self.grant_id,
            "expiresAt": self.expires_at.isoformat() if self.expires_at else None,
        }


def parse_masks(items: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    """``["email=hash", "phone=null"]`` (or a mapping) → ``{"email": "hash", "phone": "null"}``."""
    pairs = list(items.items()) if isinstance(items, Mapping) else [_pair(i) for i in items]
    masks: dict[str, str] = {}
    for column, kind in pairs:
        if kind not in MASK_KINDS:
            raise InvalidInputError(
                f"unknown mask `{kind}` for column `{column}`", hint=f"use one of: {', '.join(MASK_KINDS)}"
            )
        masks[column] = kind
    return masks


def _pair(item: str) -> tuple[str, str]:
    column, sep, kind = item.partition("=")
    if not sep or not column.strip() or not kind.strip():
        raise InvalidInputError(f"--mask {item}: expected COLUMN=KIND", hint="e.g. --mask email=hash")
    return column.strip(), kind.strip().lower()


def effective_masks(
    masks: Mapping[str, str], protected: Sequence[str], unmasked: Sequence[str]
) -> MappingProxyType[str, str]:
    """The grant's masks with the default mask added on every protected (PII/sensitive) column the grant
    neither masks explicitly nor unmasks."""
    merged = dict(masks)
    for column in protected:
        if column not in merged and column not in unmasked:
            merged[column] = DEFAULT_PII_MASK
    return MappingProxyType(dict(sorted(merged.items())))


def combine(grants: Sequence[PortGrant]) -> PortGrant:
    """One grant for a port covered by several, never more permissive than the grants themselves.

    If one grant sees every row the others see (no filter) with no mask weaker elsewhere, it is used as is.
    Otherwise the rows are the union of the filters (``(a) OR (b)``) and each column keeps the strongest mask
    any grant puts on it: a row visible through a filtered grant that unmasks a column may then show that
    column masked — under-showing, never leaking a clear value to a row only a masking grant admits.
    """
    if not grants:
        raise ValueError("combine() needs at least one grant")
    if len(grants) == 1:
        return grants[0]
    for candidate in grants:
        if candidate.row_filter is None and all(_weaker_or_equal(candidate.masks, g.masks) for g in grants):
            return candidate
    filters = [g.row_filter for g in grants]
    present = sorted({f for f in filters if f is not None})
    row_filter = None if None in filters else " OR ".join(f"({f})" for f in present)
    masks: dict[str, str] = {}
    for g in grants:
        for column, kind in g.masks.items():
            if _STRENGTH.get(kind, 3) > _STRENGTH.get(masks.get(column, ""), 0):
                masks[column] = kind
    expiries = [g.expires_at for g in grants]
    first = grants[0]
    return PortGrant(
        dp_id=first.dp_id,
        port=first.port,
        environment=first.environment,
        row_filter=row_filter,
        masks=MappingProxyType(dict(sorted(masks.items()))),
        grant_id="+".join(sorted({g.grant_id for g in grants}, key=_id_order)),
        expires_at=None if any(e is None for e in expiries) else max(e for e in expiries if e is not None),
    )


def _weaker_or_equal(mine: Mapping[str, str], other: Mapping[str, str]) -> bool:
    """Every column I mask, ``other`` masks at least as strongly (so I show nothing ``other`` hides)."""
    return all(_STRENGTH.get(other.get(col, ""), 0) >= _STRENGTH.get(kind, 3) for col, kind in mine.items())


def _id_order(grant_id: str) -> tuple[int, str]:
    return (int(grant_id), "") if grant_id.isdigit() else (1 << 62, grant_id)


def parse_expiry(text: str | None) -> datetime | None:
    """``30d`` → now + 30 days; ``2027-01-31`` → that midnight UTC; ISO times with a zone as given."""
    if not text:
        return None
    try:
        return datetime.now(UTC) + parse_duration(text)
    except (ValueError, InvalidInputError):
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(
            f"--expires {text}: not a duration or a date", hint="e.g. --expires 30d or --expires 2027-01-31"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
