from pathlib import Path

import pytest

from meshplane.spec.loader import accepted_fields, load_dataproduct, load_mesh
from meshplane.spec.model import DataProduct

DATA = Path(__file__).parents[1] / "data" / "mini"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dataproduct.yaml"
    path.write_text(text)
    return path


VALID = """\
apiVersion: meshplane/v1
id: urn:dmb:dp:sales:orders:1
name: orders
domain: sales
kind: aggregate
version: 1.0.0
owner: bob
components:
  - kind: outputPort
    name: orders
    dataContract:
      columns:
        - name: id
          type: string
"""


def test_valid_descriptors_load():
    loaded = load_dataproduct(DATA / "sales" / "orders" / "dataproduct.yaml")
    assert loaded.ok and loaded.model is not None
    dp = loaded.model
    assert dp.parsed_id.major == 1 and dp.semver.minor == 2
    assert [p.name for p in dp.output_ports] == ["orders"]
    assert dp.component_id(dp.output_ports[0]) == "urn:dmb:cmp:sales:orders:1:orders"
    assert load_mesh(DATA / "mesh.yaml").ok


def test_every_problem_is_reported_at_once_with_locations(tmp_path):
    text = VALID.replace("kind: outputPort", "kind: outputport").replace("owner: bob", "ownr: bob")
    text += "        - name: n\n          type: strng\n"
    loaded = load_dataproduct(_write(tmp_path, text))
    assert loaded.model is None
    by_code = {(d.code, d.path): d for d in loaded.diagnostics}
    unknown_kind = by_code[("unknown-value", "components[0].kind")]
    assert (unknown_kind.line, unknown_kind.column) == (9, 11)
    assert unknown_kind.hint == "did you mean `outputPort`?"
    unknown_field = by_code[("unknown-field", "ownr")]
    assert unknown_field.line == 7 and unknown_field.hint == "did you mean `owner`?"
    assert ("missing-field", "owner") in by_code
    # diagnostics come in file order
    assert [d.line for d in loaded.diagnostics] == sorted(d.line for d in loaded.diagnostics)


def test_nested_enum_errors_name_the_choices(tmp_path):
    text = VALID + "        - name: n\n          type: strng\n"
    (diag,) = load_dataproduct(_write(tmp_path, text)).diagnostics
    assert diag.path == "components[0].dataContract.columns[1].type"
    assert diag.line == 16 and "`string`" in (diag.expected or "") and diag.hint == "did you mean `string`?"


def test_unknown_field_hint_uses_the_fields_of_the_nested_model(tmp_path):
    text = VALID.replace("          type: string", "          type: string\n          primarykey: true")
    (diag,) = load_dataproduct(_write(tmp_path, text)).diagnostics
    assert diag.code == "unknown-field" and diag.hint == "did you mean `primaryKey`?"
    assert diag.line == 15


def test_numbers_where_text_is_expected_get_a_quoting_hint(tmp_path):
    (diag,) = load_dataproduct(_write(tmp_path, VALID.replace("version: 1.0.0", "version: 1.0"))).diagnostics
    assert diag.path == "version" and "quote it" in (diag.hint or "") and "1.2.0" in (diag.hint or "")


def test_bad_semver_and_names(tmp_path):
    text = VALID.replace("version: 1.0.0", "version: one").replace("name: orders\n", "name: 'my orders'\n", 1)
    codes = {d.path: d for d in load_dataproduct(_write(tmp_path, text)).diagnostics}
    assert "semantic version" in codes["version"].message
    assert codes["name"].hint == "rename it, e.g. `my_orders`"


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "wrong-type"), ("- a\n- b\n", "wrong-type"), ("a: [\n", "yaml-syntax"), ("just text", "wrong-type")],
)
def test_wrong_documents(tmp_path, text, code):
    loaded = load_dataproduct(_write(tmp_path, text))
    assert loaded.model is None and loaded.diagnostics[0].code == code and loaded.diagnostics[0].line >= 1


def test_accepted_fields_walks_lists_and_unions():
    assert "dataContract" in accepted_fields(DataProduct, ("components", 0, "outputPort"))
    assert "primaryKey" in accepted_fields(DataProduct, ("components", 0, "outputPort", "dataContract", "columns", 0))
    assert "owner" in accepted_fields(DataProduct, ())
