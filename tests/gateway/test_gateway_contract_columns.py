"""Consumers see only the columns a port's contract declares. Masks name contract columns, so a column stored
in the table but not declared (left behind when a minor version dropped it from the contract, or written by
hand) must not show at all — not even unmasked to a consumer whose grant masks everything else."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from meshplane.access import AccessService
from meshplane.errors import InvalidInputError
from meshplane.gateway.service import QueryService
from meshplane.identity import Directory
from meshplane.provisioning.service import Session, open_session
from support.demo_mesh import build_demo

CUSTOMERS = "customer.customer_master.customers"
SECRET = "not-in-the-contract"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    root = build_demo(tmp_path_factory.mktemp("gateway-contract-columns") / "acme")
    with open_session(root, "dev") as opened:
        yield opened


@pytest.fixture(scope="module")
def service(session: Session) -> Iterator[QueryService]:
    mesh = session.workspace.mesh_model
    assert mesh is not None
    directory = Directory(mesh)
    access = AccessService(session.registry, mesh, environment="dev")
    request = access.request(directory.identity("tom"), CUSTOMERS, purpose="segment sizes per country")
    access.approve(directory.identity("maria"), request.id)
    # the same rows again, with one column the contract does not declare
    path = next(
        str(c.info["path"])
        for c in session.registry.components("urn:dmb:dp:customer:customer_master:1", "dev")
        if c.kind == "outputPort" and c.component_id.endswith(":customers")
    )
    data = DeltaTable(path).to_pyarrow_table()
    data = data.append_column("internal_note", pa.array([SECRET] * data.num_rows))
    write_deltalake(path, data, mode="overwrite", schema_mode="overwrite")
    made = QueryService.open(session.registry, mesh, session.workspace.root, "dev")
    yield made
    made.close()


def test_a_column_outside_the_contract_is_not_shown_to_consumers(service: QueryService, session: Session) -> None:
    mesh = session.workspace.mesh_model
    assert mesh is not None
    tom = Directory(mesh).identity("tom")
    rows = service.query(tom, f"SELECT * FROM {CUSTOMERS}").table
    assert rows.num_rows > 0 and "internal_note" not in rows.column_names and "country" in rows.column_names
    with pytest.raises(InvalidInputError) as caught:
        service.query(tom, f"SELECT internal_note FROM {CUSTOMERS}")
    assert SECRET not in str(caught.value)


def test_owners_still_see_what_the_table_stores(service: QueryService, session: Session) -> None:
    mesh = session.workspace.mesh_model
    assert mesh is not None
    maria = Directory(mesh).identity("maria")
    rows = service.query(maria, f"SELECT DISTINCT internal_note FROM {CUSTOMERS}").table
    assert rows.column("internal_note").to_pylist() == [SECRET]
