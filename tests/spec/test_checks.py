"""Cross-reference validation over a whole mesh."""

from pathlib import Path

import yaml

from meshplane.spec.graph import dependency_order, find_cycle
from meshplane.spec.service import validate_path


def _edit(path: Path, fn) -> None:
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _codes(path: Path) -> dict[str, list]:
    found: dict[str, list] = {}
    for diag in validate_path(path).diagnostics:
        found.setdefault(diag.code, []).append(diag)
    return found


def test_the_example_mesh_is_valid(mini_mesh):
    result = validate_path(mini_mesh)
    assert result.diagnostics == []
    assert len(result.files) == 3


def test_input_port_naming_a_missing_port_gets_a_hint(mini_mesh):
    orders = mini_mesh / "sales/orders/dataproduct.yaml"
    _edit(orders, lambda d: d["components"][0]["source"].update(port="customer"))
    (diag,) = _codes(mini_mesh)["unknown-reference"]
    assert diag.file.endswith("orders/dataproduct.yaml") and diag.path == "components[0].source.port"
    assert diag.hint == "did you mean `customers`?" and diag.line > 0


def test_unknown_data_product_and_dependency(mini_mesh):
    orders = mini_mesh / "sales/orders/dataproduct.yaml"

    def edit(d):
        d["components"][0]["source"]["dataProduct"] = "urn:dmb:dp:customer:customer:1"
        d["components"][2]["dependsOn"] = ["buidl"]

    _edit(orders, edit)
    diags = _codes(mini_mesh)["unknown-reference"]
    assert {d.path for d in diags} == {"components[0].source.dataProduct", "components[2].dependsOn[0]"}
    assert {d.hint for d in diags} >= {"did you mean `urn:dmb:dp:customer:customers:1`?", "did you mean `build`?"}


def test_consuming_a_boundary_port_is_refused(mini_mesh):
    customers = mini_mesh / "customer/customers/dataproduct.yaml"
    _edit(customers, lambda d: d["components"][1].update(kind="boundaryPort", consumers=["ml"]))
    (diag,) = _codes(mini_mesh)["boundary-port-consumed"]
    assert diag.file.endswith("sales/orders/dataproduct.yaml")


def test_id_version_and_domain_mismatches(mini_mesh):
    orders = mini_mesh / "sales/orders/dataproduct.yaml"
    _edit(orders, lambda d: d.update(version="2.0.0", domain="billing"))
    codes = _codes(mini_mesh)
    mismatch = {d.path: d for d in codes["id-mismatch"]}
    assert "urn:dmb:dp:sales:orders:2" in (mismatch["version"].hint or "")
    assert "id" in mismatch
    assert codes["unknown-domain"][0].path == "domain"
    assert codes["folder-mismatch"][0].severity.value == "warning"


def test_cycles_between_data_products_are_found(mini_mesh):
    customers = mini_mesh / "customer/customers/dataproduct.yaml"
    _edit(
        customers,
        lambda d: d["components"].append(
            {
                "kind": "inputPort",
                "name": "orders",
                "source": {"type": "outputPort", "dataProduct": "urn:dmb:dp:sales:orders:1", "port": "orders"},
            }
        ),
    )
    (diag,) = _codes(mini_mesh)["cycle"]
    assert "urn:dmb:dp:sales:orders:1" in diag.message and "urn:dmb:dp:customer:customers:1" in diag.message


def test_undeclared_polyseme_system_and_columns(mini_mesh):
    orders = mini_mesh / "sales/orders/dataproduct.yaml"

    def edit(d):
        contract = d["components"][2]["dataContract"]
        contract["columns"][1]["polyseme"] = "custmer"
        contract["quality"][0]["column"] = "state"
        d["components"][1]["source"]["system"] = "shopdb"

    _edit(orders, edit)
    codes = _codes(mini_mesh)
    assert codes["unknown-polyseme"][0].hint == "did you mean `customer`?"
    assert codes["unknown-column"][0].hint == "did you mean `status`?"
    assert codes["unknown-system"][0].hint == "did you mean `shop_db`?"


def test_workload_problems(mini_mesh):
    orders = mini_mesh / "sales/orders/dataproduct.yaml"
    (mini_mesh / "sales/orders/sql/orders.sql").unlink()
    _edit(orders, lambda d: d["components"][3].update(reads=["customers", "raw_order"]))
    codes = _codes(mini_mesh)
    assert codes["file-not-found"][0].path == "components[3].sql.orders"
    assert codes["unknown-reference"][0].hint == "did you mean `raw_orders`?"


def test_validating_one_descriptor_reports_only_its_problems(mini_mesh):
    _edit(mini_mesh / "customer/customers/dataproduct.yaml", lambda d: d.update(owner=None))
    assert validate_path(mini_mesh / "sales/orders").diagnostics == []
    assert validate_path(mini_mesh / "customer/customers/dataproduct.yaml").diagnostics[0].path == "owner"


def test_dependency_order_and_cycle_helpers(mini_mesh):
    ws = validate_path(mini_mesh).workspace
    products = [m for _, m in ws.models()]
    assert dependency_order(products) == ["urn:dmb:dp:customer:customers:1", "urn:dmb:dp:sales:orders:1"]
    assert find_cycle(products) == []
