"""Which input ports need a grant before a deploy: every read of another data product by default, only reads
across a domain boundary with ``cross-domain``, none with ``off``; the environment variable wins over mesh.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshplane.provisioning.gating import GATING_ENV, GatingMode, gated_reads, gating_mode
from meshplane.spec.loader import load_dataproduct
from meshplane.spec.model import Mesh

MINI = Path(__file__).resolve().parent.parent / "data" / "mini"


def _orders():
    loaded = load_dataproduct(MINI / "sales" / "orders" / "dataproduct.yaml")
    assert loaded.model is not None
    return loaded.model


def test_every_read_of_another_product_is_gated_by_default(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(GATING_ENV, raising=False)
    assert gating_mode(None) is GatingMode.ALL
    assert gating_mode(Mesh(name="acme")) is GatingMode.ALL
    orders = _orders()
    cross = gated_reads(orders, GatingMode.ALL)
    assert [s.data_product for _, s in cross] == ["urn:dmb:dp:customer:customers:1"]
    # the same read, were orders in the customer domain: still gated by default, free with cross-domain
    same_domain = orders.model_copy(update={"domain": "customer"})
    assert len(gated_reads(same_domain, GatingMode.ALL)) == 1
    assert gated_reads(same_domain, GatingMode.CROSS_DOMAIN) == []
    assert len(gated_reads(orders, GatingMode.CROSS_DOMAIN)) == 1
    assert gated_reads(orders, GatingMode.OFF) == []


def test_mesh_yaml_chooses_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(GATING_ENV, raising=False)
    mesh = Mesh.model_validate({"name": "acme", "access": {"deployGating": "cross-domain"}})
    assert gating_mode(mesh) is GatingMode.CROSS_DOMAIN
    monkeypatch.setenv(GATING_ENV, "off")
    assert gating_mode(mesh) is GatingMode.OFF
    with pytest.raises(ValueError, match="deployGating"):
        Mesh.model_validate({"name": "acme", "access": {"deployGating": "sometimes"}})
