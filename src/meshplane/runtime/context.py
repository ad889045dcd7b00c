"""Where a run reads and writes: the data product's folder, its output ports' tables, upstream tables.

Locations come from the provisioning adapters' own helpers (``port_location``, ``product_location``), so a
run writes exactly the table ``deploy`` created. Upstream data products are found in the workspace, or as
deployed in the registry when they are not part of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable

from meshplane.adapters.catalog import adapter_for
from meshplane.adapters.storage import Location, port_location, product_location
from meshplane.errors import InvalidInputError, NotFoundError, UnsupportedError
from meshplane.provisioning.planning import request_for
from meshplane.provisioning.service import Session
from meshplane.runtime.commit import WriteMode, write_mode
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.model import BoundaryPort, DataContract, DataProduct, OutputPort, OutputPortSource


@dataclass(frozen=True)
class Port:
    name: str
    spec: OutputPort | BoundaryPort
    location: Location
    mode: WriteMode

    @property
    def uri(self) -> str:
        return self.location.uri

    @property
    def contract(self) -> DataContract:
        return self.spec.data_contract

    def schema(self) -> pa.Schema:
        return pa.schema(DeltaTable(self.uri).schema().to_arrow())


@dataclass
class RunContext:
    session: Session
    dp: DataProduct
    folder: Path
    product: Location
    ports: dict[str, Port]

    @property
    def environment(self) -> str:
        return self.session.coordinator.target.environment

    @property
    def root(self) -> Path:
        return self.session.coordinator.target.root

    @property
    def mesh_name(self) -> str:
        return self.session.coordinator.target.mesh.name

    @property
    def actor(self) -> str:
        return self.session.coordinator.target.actor

    def locate(self, dp_id: str, port: str) -> tuple[str, DataContract]:
        """An upstream output port's table and contract."""
        model = data_product(self.session, dp_id)
        found = model.port(port)
        if found is None:
            names = [p.name for p in model.output_ports]
            raise NotFoundError(
                f"{dp_id} has no output port `{port}`", hint=did_you_mean(port, names) or f"its ports: {names}"
            )
        target = self.session.coordinator.target
        return port_location(request_for(target, model, found, None)).uri, found.data_contract


def data_product(session: Session, dp_id: str) -> DataProduct:
    """A data product of the workspace, or as deployed when the workspace does not have it."""
    found = session.workspace.by_id().get(dp_id)
    if found is not None:
        return found[1]
    deployed = session.coordinator.deployed(dp_id)
    if deployed is None:
        raise NotFoundError(f"{dp_id} is neither in the mesh nor deployed", hint="deploy it first")
    return deployed


def port_of(session: Session, dp: DataProduct, name: str) -> Port:
    """An output or boundary port of ``dp`` and its table, which must be a deployed Delta table."""
    spec = dp.port(name)
    if spec is None:
        names = [p.name for p in dp.output_ports + dp.boundary_ports]
        raise NotFoundError(f"{dp.id} has no output port `{name}`", hint=did_you_mean(name, names) or f"ports: {names}")
    target = session.coordinator.target
    adapter = adapter_for(spec, target.mesh)
    if adapter.name != "delta":
        raise UnsupportedError(
            f"{dp.id} port `{name}` is stored by the `{adapter.name}` adapter; runs write Delta ports",
            hint="leave infrastructureTemplateId out (or set it to delta) for ports a workload writes",
        )
    location = port_location(request_for(target, dp, spec, None))
    if not DeltaTable.is_deltatable(location.uri):
        raise NotFoundError(
            f"{dp.id} port `{name}` has no table at {location.uri}",
            hint=f"deploy the data product first: meshplane deploy {dp.name}",
        )
    return Port(name, spec, location, write_mode(spec))


def context(session: Session, dp: DataProduct) -> RunContext:
    if not dp.workloads:
        raise InvalidInputError(f"{dp.id} has no workload to run", hint="add a component of kind `workload`")
    written = [p for wl in dp.workloads for p in wl.writes]
    ports = {name: port_of(session, dp, name) for name in dict.fromkeys(written)}
    target = session.coordinator.target
    first = next(iter(ports.values()))
    product = product_location(request_for(target, dp, first.spec, None))
    return RunContext(session, dp, session.workspace.dp_dir(dp), product, ports)


def validate_pins(dp: DataProduct, pins: dict[str, int]) -> None:
    inputs = {p.name: p for p in dp.input_ports}
    for name, version in pins.items():
        port = inputs.get(name)
        if port is None:
            raise NotFoundError(
                f"{dp.id} has no input port `{name}` to pin", hint=did_you_mean(name, list(inputs)) or f"{list(inputs)}"
            )
        if not isinstance(port.source, OutputPortSource):
            raise InvalidInputError(
                f"input `{name}` of {dp.id} reads a {port.source.type} source; only output-port inputs have versions",
                hint="pin inputs that read another data product's port",
            )
        if version < 0:
            raise InvalidInputError(f"--pin {name}={version}: versions start at 0")
