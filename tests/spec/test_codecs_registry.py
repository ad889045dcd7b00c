"""The codec registry, every shared fixture file through its codec, and malformed input in every format."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from meshplane.errors import NotFoundError, UnsupportedError
from meshplane.spec.codecs import CODECS, export, import_file, native_data
from meshplane.spec.diagnostics import Severity
from meshplane.spec.loader import load_dataproduct
from meshplane.spec.model import DataProduct

MINI = Path(__file__).parents[1] / "data" / "mini"
FORMATS = ["dps", "odps", "odcs", "dpds"]


def errors(result):
    return [d for d in result.diagnostics if d.severity is Severity.ERROR]


def test_the_registry_names_four_formats_and_three_writers():
    assert sorted(CODECS) == ["dpds", "dps", "odcs", "odps"]
    assert sorted(name for name, c in CODECS.items() if c.write is not None) == ["dps", "odcs", "odps"]


def test_an_unknown_format_is_not_found_with_a_suggestion(tmp_path):
    with pytest.raises(NotFoundError) as caught:
        import_file(tmp_path / "x.yaml", "odsp")
    assert "odsp" in caught.value.message
    assert caught.value.hint == "did you mean `odps`?"
    with pytest.raises(NotFoundError):
        export(load_dataproduct(MINI / "sales" / "orders" / "dataproduct.yaml").model, "openapi")


def test_dpds_is_read_only():
    dp = load_dataproduct(MINI / "sales" / "orders" / "dataproduct.yaml").model
    with pytest.raises(UnsupportedError, match="imported but not exported"):
        export(dp, "dpds")


def test_export_names_the_files_it_writes():
    dp = load_dataproduct(MINI / "sales" / "orders" / "dataproduct.yaml").model
    assert sorted(export(dp, "odps")) == ["orders.odcs.yaml", "orders.odps.yaml"]
    assert sorted(export(dp, "odcs")) == ["orders.odcs.yaml"]
    assert sorted(export(dp, "dps")) == ["orders.dps.yaml"]


# -- every shared fixture, exactly as it is --------------------------------------------------------------


def test_every_descriptor_fixture_imports_without_errors(shared_fixtures, descriptor_fixture):
    fmt, rel = descriptor_fixture
    result = import_file(shared_fixtures / rel, fmt)
    assert errors(result) == []
    assert result.data_products or result.contracts
    for diag in result.diagnostics:  # every diagnostic is located in a real file
        assert diag.file and Path(diag.file).is_file()
        assert diag.line >= 1 and diag.column >= 1
    for dp in result.data_products:
        assert dp.id.startswith("urn:dmb:dp:")
        assert DataProduct.model_validate(native_data(dp)).to_data() == dp.to_data()


def test_every_imported_product_loads_back_as_a_native_descriptor(shared_fixtures, descriptor_fixture, tmp_path):
    fmt, rel = descriptor_fixture
    for dp in import_file(shared_fixtures / rel, fmt).data_products:
        target = tmp_path / "dataproduct.yaml"
        target.write_text(yaml.safe_dump(native_data(dp), sort_keys=False))
        loaded = load_dataproduct(target)
        assert [d.render() for d in loaded.diagnostics if d.severity is Severity.ERROR] == []
        assert loaded.model is not None and loaded.model.to_data() == dp.to_data()


def test_files_that_are_not_descriptors_give_an_error_not_an_exception(shared_fixtures, other_fixture):
    fmt, rel = other_fixture
    result = import_file(shared_fixtures / rel, fmt)
    assert result.data_products == [] and result.contracts == []
    assert errors(result), "a JSON schema or policy file must be refused with an error"
    assert all(d.line >= 1 for d in errors(result))


# -- malformed input: located errors, never exceptions ---------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_yaml_is_a_located_syntax_error(tmp_path, fmt):
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nname: [unclosed\nversion: 1.0.0\n")
    result = import_file(path, fmt)
    (diag,) = result.diagnostics
    assert (diag.severity, diag.code, diag.file) == (Severity.ERROR, "yaml-syntax", str(path))
    assert diag.line == 3
    assert result.data_products == [] and result.contracts == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("text", "got"), [("- a\n- b\n", "got a list"), ("", "got an empty file"), ("42\n", "got a number")]
)
def test_the_wrong_top_level_type_is_an_error(tmp_path, fmt, text, got):
    path = tmp_path / "top.yaml"
    path.write_text(text)
    result = import_file(path, fmt)
    (diag,) = errors(result)
    assert got in diag.message and "must be a mapping" in diag.message
    assert (diag.line, diag.column) == (1, 1)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_file_is_an_error(tmp_path, fmt):
    result = import_file(tmp_path / "nope.yaml", fmt)
    assert [d.code for d in result.diagnostics] == ["file-not-found"]


def test_a_list_where_a_mapping_is_expected_is_located(tmp_path):
    path = tmp_path / "dp.yaml"
    path.write_text(
        "id: urn:dmb:dp:d:n:1\nname: n\ndomain: d\nversion: 1.0.0\ndataProductOwner: bob\n"
        "components:\n  - kind: outputport\n    name: p\n    dataContract: [1, 2]\n"
    )
    result = import_file(path, "dps")
    (diag,) = errors(result)
    assert (diag.line, diag.path) == (9, "components[0].dataContract")
    assert "must be a mapping" in diag.message


def test_a_mapping_where_a_list_is_expected_is_located(tmp_path):
    path = tmp_path / "c.odcs.yaml"
    path.write_text(
        "apiVersion: v3.1.0\nkind: DataContract\nid: c\nversion: 1.0.0\nstatus: active\n"
        "schema:\n  - name: t\n    properties:\n      name: a\n"
    )
    result = import_file(path, "odcs")
    (diag,) = errors(result)
    assert (diag.line, diag.path) == (9, "schema[0].properties")
    assert "must be a list" in diag.message


@pytest.mark.parametrize(
    ("fmt", "text", "line", "path"),
    [
        ("dps", "kind: dataproduct\nversion: 1.0.0\n", 1, "name"),
        ("odcs", "kind: DataContract\napiVersion: v3.1.0\nschema:\n  - properties: []\n", 4, "schema[0]"),
        (
            "odcs",
            "kind: DataContract\napiVersion: v3.1.0\nschema:\n  - name: t\n"
            "    properties:\n      - logicalType: string\n",
            6,
            "schema[0].properties[0]",
        ),
        ("odps", "apiVersion: v1.0.0\nkind: DataProduct\nstatus: draft\n", 1, "name"),
        (
            "dpds",
            '{"dataProductDescriptor": "1.0.0",\n "info": {"version": "1.0.0", "domain": "d"},\n'
            ' "interfaceComponents": {"outputPorts": []}}',
            2,
            "info.name",
        ),
    ],
)
def test_missing_required_fields_are_located_errors(tmp_path, fmt, text, line, path):
    file = tmp_path / ("x.json" if fmt == "dpds" else "x.yaml")
    file.write_text(text)
    result = import_file(file, fmt)
    found = errors(result)
    assert found, [d.render() for d in result.diagnostics]
    assert (found[0].line, found[0].path, found[0].code) == (line, path, "missing-field")


def test_a_foreign_kind_is_refused(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("apiVersion: v3.1.0\nkind: DataProduct\nid: x\n")
    (diag,) = errors(import_file(path, "odcs"))
    assert diag.path == "kind" and diag.line == 2
