"""The generated source data: sizes follow the scale, dirt is where the docs say, same seed = same bytes."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import duckdb
from demo_runner import CUSTOMERS, SEED

from meshplane.demo import SOURCE_FILES, write_demo
from meshplane.demo.crm import dirty_counts
from meshplane.demo.layout import CRM_DB, Scale


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_row_counts_follow_the_scale(demo):
    scale = Scale(CUSTOMERS, SEED)
    rows = demo.rows
    assert rows["legacy_crm.crm_customer"] == CUSTOMERS + CUSTOMERS // 100
    assert CUSTOMERS * 1.3 < rows["legacy_crm.crm_address"] < CUSTOMERS * 1.7
    assert rows["webshop.orders"] == 5 * CUSTOMERS
    assert rows["billing_system.invoices"] == rows["webshop.orders"]  # void when the order was cancelled
    assert 0.8 * rows["billing_system.invoices"] < rows["billing_system.payments"] < rows["billing_system.invoices"]
    assert rows["helpdesk.tickets"] == CUSTOMERS // 2 == scale.tickets
    assert rows["marketing_cloud.interactions"] == 3 * CUSTOMERS
    assert rows["marketing_cloud.campaigns"] == 36
    assert set(rows) == set(SOURCE_FILES) == set(demo.sources)


def test_reported_counts_are_the_rows_in_the_files(demo):
    con = duckdb.connect()
    for table, path in demo.sources.items():
        if path.suffix == ".db":
            db = sqlite3.connect(path)
            found = db.execute(f"SELECT count(*) FROM {table.split('.')[1]}").fetchone()[0]
            db.close()
        else:
            reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
            found = con.execute(f"SELECT count(*) FROM {reader}('{path}')").fetchall()[0][0]
        assert found == demo.rows[table], table


def test_the_legacy_crm_is_dirty_as_documented(demo):
    dirty = dirty_counts(Scale(CUSTOMERS, SEED))
    assert dirty == demo.dirty_rows
    assert all(count > 0 for count in dirty.values())
    db = sqlite3.connect(demo.root / CRM_DB)
    try:

        def one(sql: str) -> int:
            return db.execute(sql).fetchone()[0]

        assert one(f"SELECT count(*) FROM crm_customer WHERE cust_no > {CUSTOMERS}") == dirty["duplicate_records"]
        assert one("SELECT count(*) FROM crm_customer WHERE email_addr IS NULL") == dirty["missing_emails"]
        assert (
            one("SELECT count(*) FROM crm_customer WHERE email_addr <> lower(email_addr)") == dirty["upper_case_emails"]
        )
        assert one("SELECT count(*) FROM crm_customer WHERE phone_no LIKE '% %'") == dirty["messy_phone_numbers"]
        # every duplicate really is one: same person, e-mail equal once trimmed and lower-cased
        assert (
            one(f"""SELECT count(*) FROM crm_customer d JOIN crm_customer o
                       ON lower(trim(d.email_addr)) = o.email_addr AND o.cust_no <= {CUSTOMERS}
                       AND d.first_nm = o.first_nm AND d.last_nm = o.last_nm
                       WHERE d.cust_no > {CUSTOMERS}""")
            == dirty["duplicate_records"]
        )
    finally:
        db.close()


def test_values_stay_in_the_fixed_calendar(demo):
    con = duckdb.connect()
    first, last = con.execute(
        f"SELECT min(ordered_at), max(ordered_at) FROM read_parquet('{demo.sources['webshop.orders']}')"
    ).fetchall()[0]
    assert str(first) >= "2018-01-01" and str(last) < "2025-01-01"
    first, last = con.execute(
        f"SELECT min(occurred_at), max(occurred_at) FROM read_parquet('{demo.sources['marketing_cloud.interactions']}')"
    ).fetchall()[0]
    assert str(first) >= "2022-01-01" and str(last) < "2025-01-01"


def test_same_seed_same_bytes_other_seed_other_data(demo, tmp_path):
    again = write_demo(tmp_path / "again", customers=CUSTOMERS, seed=SEED)
    assert _hashes(again.root) == _hashes(demo.root)
    other = write_demo(tmp_path / "other", customers=CUSTOMERS, seed=SEED + 1)
    first, second = _hashes(demo.root), _hashes(other.root)
    for relative in set(SOURCE_FILES.values()):
        assert first[relative] != second[relative], f"{relative} ignores the seed"
    assert first["mesh.yaml"] == second["mesh.yaml"]  # the mesh does not depend on the seed


def test_progress_reports_every_step_to_completion(tmp_path):
    calls: list[tuple[str, int, int]] = []
    write_demo(tmp_path / "p", customers=200, progress=lambda step, done, total: calls.append((step, done, total)))
    last = {}
    for step, done, total in calls:
        assert 0 <= done <= total, (step, done, total)
        assert done >= last.get(step, (0, 0))[0], f"{step} went backwards"
        last[step] = (done, total)
    assert set(last) == {"descriptors", "legacy_crm", "files"}
    assert all(done == total for done, total in last.values())
    assert last["descriptors"][1] == 1 + 8 + 12  # mesh.yaml, the descriptors and their SQL files
