"""A consumer's last step in a real browser: from a product page's SQL snippet to rows on /query, within a grant.

Tom is granted the customer master's ``customers`` port for German customers with e-mails hashed (approved
by Maria through the access service before the journey). He follows "Try it" from the product page, signs
in, runs the snippet with Ctrl+Enter, fills the editor from the tables list, downloads the CSV, and asks for
a port he has no grant on — the error links to where access is requested. Screenshots go to the artifacts.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from query_kit import CUSTOMERS, MASTER, grant_tom_customers

SHA256 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def granted(app: FastAPI) -> None:
    grant_tom_customers(app)


def column(page, name: str) -> list[str]:
    """The values of one column of the result table, read from the page."""
    return page.evaluate(
        """name => {
            const table = document.querySelector('[data-testid=result-table]');
            const i = [...table.querySelectorAll('thead th')].findIndex(th => th.textContent === name);
            return [...table.querySelectorAll('tbody tr')].map(tr => tr.children[i].textContent);
        }""",
        name,
    )


def settled(page) -> None:
    """No htmx request in flight and the "running…" indicator faded out (so screenshots show the end state)."""
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"
        " && getComputedStyle(document.getElementById('query-running')).opacity === '0'"
    )


def test_from_a_snippet_to_rows_within_a_grant(page, live_url, shot, granted, tmp_path: Path):
    page.goto(live_url + f"/dp/{MASTER}")
    page.locator("[data-testid=port][data-port=customers] [data-testid=try-query]").click()
    page.wait_for_url(re.compile(r"/query\?sql=SELECT"))
    page.get_by_role("link", name="Sign in to query").click()
    page.select_option("#user", "tom")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/query\?sql=SELECT"))
    editor = page.locator("#sql")
    assert editor.input_value().startswith("SELECT cid") and CUSTOMERS in editor.input_value()
    tables = page.locator("[data-testid=query-table]")
    assert tables.count() == 1 and tables.first.get_attribute("data-name") == CUSTOMERS
    assert tables.first.locator("[data-column=email] [data-testid=masked]").inner_text() == "hash"
    shot(page, "1-editor")

    page.evaluate("window.__samePage = true")  # htmx swaps the result in: no reload
    editor.press("Control+Enter")
    page.locator("[data-testid=result-table]").wait_for()
    assert page.locator("[data-testid=row-count]").inner_text() == "10 rows"
    assert all(SHA256.match(v) for v in column(page, "email"))
    assert set(column(page, "first_name")) == {"****"}
    assert page.evaluate("window.__samePage") is True
    settled(page)
    shot(page, "2-rows")

    tables.first.locator("[data-testid=use-table]").click()
    assert editor.input_value() == f"SELECT * FROM {CUSTOMERS} LIMIT 100"
    page.get_by_role("button", name="Run").click()
    page.wait_for_function("document.querySelector('[data-testid=row-count]').dataset.rows !== '10'")
    assert set(column(page, "country")) == {"DE"}  # the grant's row filter

    with page.expect_download() as download:
        page.locator("[data-testid=download-csv]").click()
    saved = tmp_path / "rows.csv"
    download.value.save_as(saved)
    with saved.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(column(page, "cid")) and {r["country"] for r in rows} == {"DE"}
    assert all(SHA256.match(r["email"]) for r in rows if r["email"])

    editor.fill("SELECT status, count(*) FROM sales.orders.orders GROUP BY status")
    editor.press("Control+Enter")
    error = page.locator("[data-testid=query-error]")
    error.wait_for()
    assert "no grant on sales.orders.orders" in error.inner_text()
    assert page.locator("[data-testid=result-table]").count() == 0
    settled(page)
    shot(page, "3-no-grant")
    error.get_by_role("link", name="Request access to sales.orders.orders").click()
    page.wait_for_url(re.compile(r"/dp/urn:dmb:dp:sales:orders:1/access$"))
