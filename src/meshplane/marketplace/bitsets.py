"""Sets of document numbers as Python integers (bit ``n`` set = document ``n`` is in the set).

Why: intersecting filters and counting facets over 10,000 documents in a Python loop costs tens of
milliseconds; ``a & b`` and ``int.bit_count`` on 10,000-bit integers cost microseconds, in C.

>>> members(of([1, 5, 9]) & of([5, 9, 12]))
[5, 9]
"""

from __future__ import annotations

from collections.abc import Iterable

#: For each byte value, the positions of its set bits.
_BYTE_BITS = [tuple(i for i in range(8) if b >> i & 1) for b in range(256)]


def of(docs: Iterable[int]) -> int:
    """The set holding ``docs`` (built in a byte array: OR-ing growing integers one bit at a time would be
    quadratic)."""
    numbers = list(docs)
    if not numbers:
        return 0
    buffer = bytearray(max(numbers) // 8 + 1)
    for n in numbers:
        buffer[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(buffer, "little")


def members(bits: int) -> list[int]:
    """The document numbers in ``bits``, ascending."""
    if bits <= 0:
        return []
    found: list[int] = []
    for i, byte in enumerate(bits.to_bytes((bits.bit_length() + 7) // 8, "little")):
        if byte:
            base = i << 3
            found.extend([base + j for j in _BYTE_BITS[byte]])
    return found


def universe(size: int) -> int:
    """Every document of a collection of ``size``."""
    return (1 << size) - 1


def by_value(values: Iterable[str]) -> dict[str, int]:
    """A column of values (one per document, in order) as value → set of documents."""
    grouped: dict[str, list[int]] = {}
    for n, value in enumerate(values):
        grouped.setdefault(value, []).append(n)
    return {value: of(docs) for value, docs in grouped.items()}
