"""``meshplane demo``: a realistic example mesh with its source data, ready to validate, run and browse.

The mesh (``acme``) has five domains and eight data products around a customer MDM that issues the global
customer id (CID); its sources are a dirty legacy CRM in SQLite and Parquet/CSV exports of four operational
systems, generated deterministically at any scale. The CLI command is a thin shell over :func:`write_demo`.

Design choice for correlating customers (the Customer 360 article's "approach 3"): the MDM issues the CID
and feeds it back to the operational systems, so source-aligned outputs carry ``cid`` (polyseme
``customer``) next to their local keys, and consumer-aligned products join on it. Source-aligned products
read only their own external systems; where a system lacks the CID (the helpdesk, and web-shop orders newer
than the shop's nightly CID batch), consumers resolve local keys through the MDM's ``customer_keys`` port.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from meshplane.demo import crm, generate, layout, mesh, readme, target
from meshplane.demo.layout import Scale
from meshplane.errors import MeshplaneError

__all__ = ["MAX_CUSTOMERS", "MIN_CUSTOMERS", "SOURCE_FILES", "DemoSummary", "write_demo"]

MIN_CUSTOMERS = 100
MAX_CUSTOMERS = 100_000_000

#: Source table (``system.table``) -> file, relative to the mesh folder.
SOURCE_FILES: dict[str, str] = {
    f"legacy_crm.{layout.CRM_CUSTOMER_TABLE}": layout.CRM_DB,
    f"legacy_crm.{layout.CRM_ADDRESS_TABLE}": layout.CRM_DB,
    **{f"{system}.{Path(relative).stem}": relative for system, relative, _, _ in generate.FILES},
}


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`write_demo` wrote, for the CLI to report."""

    root: Path
    mesh_file: Path
    readme: Path
    descriptors: tuple[Path, ...]
    sql_files: tuple[Path, ...]
    #: ``system.table`` -> the file holding it (the two CRM tables share the SQLite file).
    sources: dict[str, Path]
    #: ``system.table`` -> rows generated.
    rows: dict[str, int]
    #: domain -> number of data products.
    data_products: dict[str, int]
    #: Dirty rows planted in the legacy CRM, by kind.
    dirty_rows: dict[str, int]
    customers: int
    seed: int
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def write_demo(
    target_dir: Path,
    *,
    customers: int = 20_000,
    seed: int = 7,
    progress: Callable[[str, int, int], None] | None = None,
    force: bool = False,
) -> DemoSummary:
    """Write the demo mesh and its source data into ``target_dir``.

    ``target_dir`` must be missing or empty; a previous demo is replaced only with ``force``, and ``force``
    also lets the demo go into a non-empty folder (overwriting same-named files, deleting nothing).
    Same ``customers`` and ``seed``, same bytes. ``progress(step, done, total)`` is called for the steps
    ``descriptors`` (files), ``legacy_crm`` (rows) and ``files`` (source files); the last two run at the
    same time, so ``progress`` is also called from a worker thread.
    """
    if not MIN_CUSTOMERS <= customers <= MAX_CUSTOMERS:
        raise MeshplaneError(
            f"cannot generate a demo with {customers:,} customers",
            hint=f"choose between {MIN_CUSTOMERS:,} and {MAX_CUSTOMERS:,}",
        )
    started = time.perf_counter()
    scale = Scale(customers=customers, seed=seed)
    target.prepare(target_dir, force=force)
    mesh_files = mesh.plan()
    target.write_manifest(
        target_dir, [*mesh_files, "README.md", *sorted(set(SOURCE_FILES.values()))], customers=customers, seed=seed
    )
    written = mesh.write(target_dir, mesh_files, progress)
    rows = _generate(target_dir, scale, progress)
    dirty = crm.dirty_counts(scale)
    readme_path = target_dir / "README.md"
    readme_path.write_text(readme.render(scale, rows, SOURCE_FILES, dirty), encoding="utf-8")
    descriptors = tuple(p for p in written if p.name == "dataproduct.yaml")
    return DemoSummary(
        root=target_dir,
        mesh_file=target_dir / "mesh.yaml",
        readme=readme_path,
        descriptors=descriptors,
        sql_files=tuple(p for p in written if p.suffix == ".sql"),
        sources={table: target_dir / relative for table, relative in SOURCE_FILES.items()},
        rows=rows,
        data_products=dict(sorted(Counter(p.parent.parent.name for p in descriptors).items())),
        dirty_rows=dirty,
        customers=customers,
        seed=seed,
        seconds=time.perf_counter() - started,
    )


def _generate(root: Path, scale: Scale, progress: Callable[[str, int, int], None] | None) -> dict[str, int]:
    """The CRM (Python-bound SQLite inserts) in a worker thread while DuckDB writes the files.

    DuckDB runs with at least two threads even on one core: with a single thread it writes Parquet row
    groups differently, and the files must not depend on the machine.
    """
    con = generate.connect(scale, threads=max(2, os.cpu_count() or 2))
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-crm") as pool:
            crm_rows = pool.submit(crm.write_crm, con.cursor(), root, scale, progress)
            file_rows = generate.write_files(con, root, progress)
            rows = crm_rows.result()
    finally:
        con.close()
    rows.update(file_rows)
    return {table: rows[table] for table in SOURCE_FILES}
