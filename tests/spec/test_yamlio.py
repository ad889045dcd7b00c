from meshplane.spec import yamlio
from meshplane.spec.diagnostics import Severity


def test_positions_are_recorded_for_keys_and_values():
    doc = yamlio.parse("a: 1\nb:\n  - x: 2\n    y: [3, 4]\n", "f.yaml")
    assert doc.data == {"a": 1, "b": [{"x": 2, "y": [3, 4]}]}
    assert doc.locate(("b", 0, "y")) == (4, 8)
    assert doc.locate(("b", 0, "y"), key=True) == (4, 5)
    assert doc.locate(("b", 0, "y", 1)) == (4, 12)
    # a missing path falls back to its nearest ancestor
    assert doc.locate(("b", 0, "missing")) == (3, 5)


def test_duplicate_keys_are_reported_with_both_lines_and_last_wins():
    doc = yamlio.parse("owner: a\nname: n\nowner: b\n", "dup.yaml")
    assert doc.data["owner"] == "b"
    (diag,) = doc.diagnostics
    assert diag.code == "duplicate-key"
    assert diag.severity is Severity.ERROR
    assert (diag.line, diag.column) == (3, 1)
    assert "line 1" in diag.message


def test_duplicate_keys_can_be_downgraded_for_lenient_imports():
    doc = yamlio.parse("a: 1\na: 2\n", duplicate_keys=Severity.WARNING)
    assert doc.diagnostics[0].severity is Severity.WARNING


def test_yaml11_booleans_warn_and_timestamps_stay_text():
    doc = yamlio.parse("gdpr: Yes\nok: true\nday: 2023-01-15\n")
    assert doc.data == {"gdpr": True, "ok": True, "day": "2023-01-15"}
    (diag,) = doc.diagnostics
    assert diag.code == "yaml11-boolean" and diag.line == 1 and "quote" in (diag.hint or "")


def test_keys_keep_the_authors_text():
    assert yamlio.parse("on: 1\n1: x\nnull: y\n").data == {"on": 1, "1": "x", "null": "y"}


def test_syntax_errors_are_located_not_raised():
    doc = yamlio.parse("a: [1, 2\nb: 3\n", "broken.yaml")
    assert doc.data is None
    (diag,) = doc.diagnostics
    assert diag.code == "yaml-syntax" and diag.file == "broken.yaml" and diag.line >= 1


def test_tabs_get_a_hint():
    doc = yamlio.parse("a:\n\tb: 1\n")
    assert doc.diagnostics[0].hint == "indent with spaces, not tabs"


def test_merge_keys_and_json_are_supported():
    doc = yamlio.parse("base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n")
    assert doc.data["child"] == {"x": 1, "y": 2}
    assert yamlio.parse('{"a": [1, {"b": null}]}').data == {"a": [1, {"b": None}]}


def test_unreadable_files_become_diagnostics(tmp_path):
    missing = yamlio.load(tmp_path / "nope.yaml")
    assert missing.diagnostics[0].code == "file-not-found"
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert yamlio.load(binary).diagnostics[0].code == "encoding"
