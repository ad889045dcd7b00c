"""The identity every service decision is made for."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Identity:
    """A mesh user, the groups they belong to, and — when they act for one — the consuming data product.

    ``data_product`` is set when a pipeline or a person acts *as* a data product (a consuming product's
    input port reads another product's output port): that product's grants then count as well.
    """

    user: str
    groups: frozenset[str] = field(default_factory=frozenset)
    data_product: str | None = None

    @property
    def principals(self) -> frozenset[str]:
        """Every principal whose grants this identity holds: the user, its groups, its data product."""
        names = {self.user, *self.groups}
        if self.data_product:
            names.add(self.data_product)
        return frozenset(names)

    def acting_for(self, data_product: str | None) -> Identity:
        """The same person acting for ``data_product`` (or for nobody with None)."""
        return Identity(self.user, self.groups, data_product)

    def to_dict(self) -> dict[str, object]:
        return {"user": self.user, "groups": sorted(self.groups), "dataProduct": self.data_product}
