"""The data products access decisions are about: deployed descriptors, plus not-yet-deployed ones.

Access is decided against what is *deployed* in an environment (its ports and columns are what a consumer
will read). A workspace may add descriptors that are not deployed yet, so a consuming team can be granted
access before the first deploy of its product (the demo does this: grants precede deploys).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from meshplane.access.naming import Names
from meshplane.errors import NotFoundError
from meshplane.registry import Registry
from meshplane.spec.ids import DataProductId
from meshplane.spec.model import PROTECTED_CLASSIFICATIONS, DataProduct, OutputPort


class Catalog:
    """Data products of one environment, found by any of their names (:mod:`meshplane.access.naming`)."""

    def __init__(self, registry: Registry, environment: str, extra: Iterable[DataProduct] = ()) -> None:
        self.registry = registry
        self.environment = environment
        self._extra = {dp.id: dp for dp in extra}
        self._cache: dict[str, tuple[int, DataProduct | None]] = {}

    def get(self, dp_id: str) -> DataProduct | None:
        """The deployed descriptor of ``dp_id`` here, else a workspace one, else None."""
        return self.get_deployed(dp_id) or self._extra.get(dp_id)

    def get_deployed(self, dp_id: str) -> DataProduct | None:
        """The descriptor of ``dp_id`` as deployed here, or None (workspace descriptors do not count)."""
        deployment = self.registry.deployment(dp_id, self.environment)
        if deployment is None or not deployment.descriptor:
            return None
        cached = self._cache.get(dp_id)
        if cached is not None and cached[0] == deployment.revision:
            return cached[1]
        model = DataProduct.model_validate(deployment.descriptor)
        self._cache[dp_id] = (deployment.revision, model)
        return model

    def deployed(self) -> list[DataProduct]:
        """Every data product deployed here (every major), read in one query; models are cached per revision."""
        found: list[DataProduct] = []
        for deployment in self.registry.deployments(self.environment):
            if deployment.descriptor:
                cached = self._cache.get(deployment.dp_id)
                if cached is None or cached[0] != deployment.revision:
                    cached = (deployment.revision, DataProduct.model_validate(deployment.descriptor))
                    self._cache[deployment.dp_id] = cached
                if cached[1] is not None:
                    found.append(cached[1])
        return found

    def all(self) -> list[DataProduct]:
        """Every deployed data product here (every major), then workspace ones not deployed."""
        found = {dp.id: dp for dp in self.deployed()}
        for dp_id, dp in self._extra.items():
            found.setdefault(dp_id, dp)
        return list(found.values())

    def names(self) -> Names:
        """Every name of the products here and their ports (see :mod:`meshplane.access.naming`); a name
        without a major means the highest deployed major."""
        deployed = self.deployed()
        products = {dp.id: dp for dp in deployed}
        for dp_id, dp in self._extra.items():
            products.setdefault(dp_id, dp)
        return Names(products.values(), self.environment, preferred={dp.id for dp in deployed})

    def resolve(self, ref: str) -> DataProduct:
        """A data product by id, ``domain/name``, ``domain.name``, name or ``name_v<major>``."""
        return self.get(ref) or self.names().product(ref)

    def resolve_port(self, ref: str) -> tuple[DataProduct, OutputPort]:
        """An output port by any name the gateway or people use: ``domain.product.port`` and the rest."""
        return self.names().port(ref)

    def majors(self, dp_id: str) -> list[DataProduct]:
        """Every deployed major of the product ``dp_id`` belongs to, oldest first."""
        base = DataProductId.parse(dp_id)
        same = [dp for dp in self.all() if _same_product(dp.id, base)]
        return sorted(same, key=lambda dp: DataProductId.parse(dp.id).major)


def port_of(dp: DataProduct, name: str) -> OutputPort:
    """The output port ``name`` of ``dp``; NotFoundError naming the ports there are."""
    for port in dp.output_ports:
        if port.name == name:
            return port
    names = [p.name for p in dp.output_ports]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean `{close[0]}`?" if close else f"its output ports: {', '.join(names) or 'none'}"
    raise NotFoundError(f"{dp.id} has no output port `{name}`", hint=hint)


def columns_of(port: OutputPort) -> dict[str, str]:
    """Column name → logical type, as the row-filter validator wants them."""
    return {c.name: c.type.value for c in port.data_contract.columns}


def protected_columns(port: OutputPort) -> list[str]:
    """Columns classified PII or sensitive: masked unless a grant unmasks them."""
    return [c.name for c in port.data_contract.columns if c.classification in PROTECTED_CLASSIFICATIONS]


def _same_product(dp_id: str, base: DataProductId) -> bool:
    try:
        parsed = DataProductId.parse(dp_id)
    except ValueError:
        return False
    return (parsed.domain, parsed.name) == (base.domain, base.name)


def owners_of(dp: DataProduct, owner_group_of_domain: str | None) -> Sequence[str]:
    """The principals owning ``dp``: its owner, its owner group, its domain's owner group."""
    return [p for p in (dp.owner, dp.owner_group, owner_group_of_domain) if p]
