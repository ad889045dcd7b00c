"""Policies evaluated on a remote OPA-compatible server give the same results as in-process evaluation."""

from __future__ import annotations

import pytest
import yaml

from meshplane.errors import MeshplaneError
from meshplane.governance.check import check
from meshplane.spec.workspace import open_workspace
from support.opa import create_opa
from support.servers import running


def _with_opa(mesh, url):
    path = mesh / "mesh.yaml"
    data = yaml.safe_load(path.read_text())
    data["opa"] = {"url": url}
    path.write_text(yaml.safe_dump(data))


def _findings(report):
    return sorted((d.code, d.path, d.message) for d in report.diagnostics)


def test_remote_opa_matches_in_process_evaluation(mini_mesh):
    orders = mini_mesh / "sales/orders/dataproduct.yaml"
    data = yaml.safe_load(orders.read_text())
    data.update(owner="mallory", description="Too short.")
    orders.write_text(yaml.safe_dump(data, sort_keys=False))
    local = check(open_workspace(mini_mesh))
    app = create_opa()
    with running(app) as url:
        _with_opa(mini_mesh, url)
        remote = check(open_workspace(mini_mesh))
    assert {code for code, _, _ in _findings(remote)} == {"owner-known", "description-length"}
    assert _findings(remote) == _findings(local)
    assert app.state.queries == 2  # one aggregate query per data product


def test_an_unreachable_opa_server_is_a_clear_error(mini_mesh):
    _with_opa(mini_mesh, "http://127.0.0.1:9")
    with pytest.raises(MeshplaneError) as info:
        check(open_workspace(mini_mesh))
    assert "cannot be reached" in info.value.message and "in-process" in (info.value.hint or "")


def test_mesh_policies_are_uploaded_with_the_pack(mini_mesh):
    (mini_mesh / "policies").mkdir()
    (mini_mesh / "policies" / "x.rego").write_text("package meshplane.policies.x\n\nimport rego.v1\n\nx := 1\n")
    app = create_opa()
    with running(app) as url:
        _with_opa(mini_mesh, url)
        report = check(open_workspace(mini_mesh))
    assert report.ok  # a valid extra policy without deny rules passes everywhere
    assert {"x", "owner-known", "meshplane-aggregate"} <= set(app.state.modules)
