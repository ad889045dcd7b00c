"""The /query page through TestClient, on a deployed and run demo mesh with one real grant.

Tom (an analyst) is granted the customer master's ``customers`` port for German customers only, e-mails
hashed (Maria, of the customer team, approves); the other PII columns stay masked by default. Olga has no
grant at all. Every answer is read as a person would: the rows in the table, the error and its hint, the file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from html import unescape
from types import MappingProxyType
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from query_kit import CUSTOMERS, MASTER, grant_tom_customers
from web_kit import C360, attr_values, text_of

from meshplane.access import PortGrant
from meshplane.gateway import Limits, PortRef
from meshplane.web.pages import query as query_page

HTMX = {"HX-Request": "true"}
SHA256 = re.compile(r"^[0-9a-f]{64}$")
SignIn = Callable[[str], TestClient]


@pytest.fixture(scope="module")
def granted(app: FastAPI) -> int:
    return grant_tom_customers(app)


def cells(html: str) -> tuple[list[str], list[list[str]]]:
    """The result table's header and rows, as text."""
    table = html[html.index('data-testid="result-table"') :]
    table = table[: table.index("</table>")]
    head = [unescape(h) for h in re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table)]
    rows = [
        [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") :], re.S)
    ]
    return head, rows


def query_audits(app: FastAPI, user: str) -> int:
    return sum(1 for r in app.state.registry.audit_log(actor=user, limit=500) if r.action == "query")


# -- signed out ------------------------------------------------------------------------------------------


def test_signed_out_gets_a_sign_in_prompt(client: TestClient) -> None:
    page = client.get("/query", params={"sql": f"SELECT * FROM {CUSTOMERS}"})
    assert page.status_code == 200
    assert 'data-testid="query-signin"' in page.text and 'data-testid="query-form"' not in page.text
    back = [parse_qs(urlsplit(h).query)["next"][0] for h in attr_values(page.text, "href") if h.startswith("/signin?")]
    assert back and all(b.startswith("/query?sql=SELECT") for b in back)  # signing in comes back with the SQL
    assert "Query" in text_of(page.text, 'aria-label="Main"')  # in the navigation on every page

    assert client.post("/query", data={"sql": "SELECT 1"}, follow_redirects=False).status_code == 401
    fragment = client.post("/query", data={"sql": "SELECT 1"}, headers=HTMX)
    assert fragment.status_code == 200 and 'data-testid="query-signin"' in fragment.text
    download = client.post("/query/download", data={"sql": "SELECT 1", "format": "csv"}, follow_redirects=False)
    assert download.status_code == 401 and "Sign in" in download.text


# -- no grant --------------------------------------------------------------------------------------------


def test_without_grants_the_page_says_how_to_get_one(signed_in: SignIn, app: FastAPI) -> None:
    olga = signed_in("olga")
    page = olga.get("/query")
    assert page.status_code == 200 and 'data-testid="query-form"' in page.text
    assert "Request access" in text_of(page.text, 'data-testid="no-tables"')

    before = query_audits(app, "olga")
    refused = olga.post("/query", data={"sql": f"SELECT count(*) FROM {CUSTOMERS}"}, headers=HTMX)
    assert refused.status_code == 200  # htmx swaps only 2xx: the refusal is in the fragment
    error = text_of(refused.text, 'data-testid="query-error"')
    assert "no grant on customer.customer_master.customers" in error
    assert "meshplane access request" in error  # the hint, for the command line
    assert attr_values(refused.text, "href", tag="a") == [f"/dp/{MASTER}/access"]
    assert query_audits(app, "olga") == before + 1  # the refusal is audited by the gateway

    plain = olga.post("/query", data={"sql": f"SELECT count(*) FROM {CUSTOMERS}"})
    assert plain.status_code == 403 and f"/dp/{MASTER}/access" in plain.text
    assert 'data-testid="query-form"' in plain.text  # the whole page again, the SQL kept
    assert f"SELECT count(*) FROM {CUSTOMERS}" in unescape(plain.text)

    csv_refused = olga.post("/query/download", data={"sql": f"SELECT * FROM {CUSTOMERS}", "format": "csv"})
    assert csv_refused.status_code == 403 and "phone" not in csv_refused.text


# -- with a grant ----------------------------------------------------------------------------------------


def test_tables_list_the_grant_with_its_filter_and_masks(signed_in: SignIn, granted: int) -> None:
    page = signed_in("tom").get("/query").text
    assert attr_values(page, "data-name") == [CUSTOMERS]
    listed = text_of(page, f'data-name="{CUSTOMERS}"')
    assert "Only rows where \"country\" = 'DE'" in " ".join(listed.split())
    rows = re.findall(r'<tr data-column="([^"]+)">(.*?)</tr>', page, re.S)
    masked = {name: m.group(1) for name, row in rows if (m := re.search(r'"masked"[^>]*>(\w+)<', row))}
    assert len(rows) == 10 and masked == {
        "email": "hash",
        "first_name": "redact",
        "last_name": "redact",
        "phone": "redact",
    }
    editor = text_of(page, 'id="sql"')
    assert f"FROM {CUSTOMERS}" in editor  # an example to start from


def test_a_granted_query_shows_filtered_masked_rows(signed_in: SignIn, granted: int, app: FastAPI) -> None:
    tom = signed_in("tom")
    before = query_audits(app, "tom")
    sql = f"SELECT cid, email, phone, first_name, country FROM {CUSTOMERS} ORDER BY cid"
    answer = tom.post("/query", data={"sql": sql}, headers=HTMX)
    assert answer.status_code == 200 and 'data-testid="query-error"' not in answer.text
    head, rows = cells(answer.text)
    assert head == ["cid", "email", "phone", "first_name", "country"]
    assert rows and {r[4] for r in rows} == {"DE"}
    assert all(SHA256.match(r[1]) for r in rows) and {r[2] for r in rows} == {"****"} == {r[3] for r in rows}
    count = attr_values(answer.text, "data-rows")
    assert count == [str(len(rows))]
    read = " ".join(text_of(answer.text, 'data-testid="ports-read"').split())
    assert re.search(rf"Read {re.escape(CUSTOMERS)} at table version \d+", read)
    assert "rows where \"country\" = 'DE'" in read and "email (hash)" in read
    assert query_audits(app, "tom") == before + 1
    assert "HX-Replace-Url" not in answer.headers and "HX-Push-Url" not in answer.headers  # SQL stays out of URLs

    # the filter holds whatever the SQL says
    escape = tom.post("/query", data={"sql": f"SELECT count(*) AS n FROM {CUSTOMERS} WHERE country <> 'DE'"})
    assert escape.status_code == 200 and cells(escape.text)[1] == [["0"]]


def test_a_get_only_fills_the_editor(signed_in: SignIn, granted: int, app: FastAPI) -> None:
    tom = signed_in("tom")
    before = query_audits(app, "tom")
    sql = f"SELECT '<b>' AS tag, count(*) FROM {CUSTOMERS}"
    page = tom.get("/query", params={"sql": sql})
    assert "&lt;b&gt;" in page.text and "<b>" not in page.text.split('id="sql"')[1].split("</textarea>")[0]
    assert unescape(text_of(page.text, 'id="sql"')).strip() == sql
    assert 'data-testid="result-table"' not in page.text
    assert query_audits(app, "tom") == before  # nothing ran


def test_refused_sql_shows_the_reason(signed_in: SignIn, granted: int) -> None:
    tom = signed_in("tom")
    for sql, reason in [
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv() is not allowed"),
        (f"DELETE FROM {CUSTOMERS}", "DELETE is not allowed"),
        ("SELECT * FROM customer.customer_master.custmers", "no table `customer.customer_master.custmers`"),
    ]:
        answer = tom.post("/query", data={"sql": sql}, headers=HTMX)
        error = text_of(answer.text, 'data-testid="query-error"')
        assert reason in error, error
        assert 'data-testid="query-hint"' in answer.text  # what to do instead
    plain = tom.post("/query", data={"sql": "SELECT * FROM read_csv('/etc/passwd')"})
    assert plain.status_code == 422 and "root:" not in plain.text


def test_a_query_past_its_time_limit_is_stopped(
    signed_in: SignIn, granted: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query_page, "PAGE_LIMITS", Limits(timeout=0.2, max_rows=1_000))
    slow = "SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b"
    answer = signed_in("tom").post("/query", data={"sql": slow}, headers=HTMX)
    assert attr_values(answer.text, "data-status") == ["408"]
    assert "Too slow" in text_of(answer.text, 'data-testid="query-error"')


def test_a_long_result_says_it_was_cut(signed_in: SignIn, granted: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query_page, "PAGE_LIMITS", Limits(max_rows=3))
    answer = signed_in("tom").post("/query", data={"sql": f"SELECT cid FROM {CUSTOMERS}"}, headers=HTMX)
    assert len(cells(answer.text)[1]) == 3
    assert "stopped at 3 rows" in text_of(answer.text, 'data-testid="truncated"')


def test_downloads_honour_the_grant(signed_in: SignIn, granted: int, app: FastAPI) -> None:
    tom = signed_in("tom")
    sql = f"SELECT cid, email, phone, country FROM {CUSTOMERS}"
    before = query_audits(app, "tom")
    got = tom.post("/query/download", data={"sql": sql, "format": "csv"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"].startswith('attachment; filename="query-')
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert rows and {r["country"] for r in rows} == {"DE"}
    assert all(SHA256.match(r["email"]) or r["email"] == "" for r in rows) and {r["phone"] for r in rows} == {"****"}
    assert got.headers["x-meshplane-rows"] == str(len(rows))
    assert query_audits(app, "tom") == before + 1

    as_json = tom.post("/query/download", data={"sql": sql, "format": "json"})
    document = json.loads(as_json.text)
    assert as_json.headers["content-disposition"].endswith('.json"')
    assert [c["name"] for c in document["columns"]] == ["cid", "email", "phone", "country"]
    assert document["rowCount"] == len(rows) and {r[3] for r in document["rows"]} == {"DE"}

    # the result fragment's download form posts exactly the query that ran
    fragment = tom.post("/query", data={"sql": sql}, headers=HTMX).text
    assert attr_values(fragment, "action", tag="form") == ["/query/download"]
    assert unescape(re.search(r'name="sql" value="([^"]*)"', fragment).group(1)) == sql  # type: ignore[union-attr]
    assert tom.post("/query/download", data={"sql": sql, "format": "arrow"}).status_code == 422


def test_owners_query_their_own_ports_in_clear(signed_in: SignIn) -> None:
    maria = signed_in("maria")
    page = maria.get("/query").text
    assert CUSTOMERS in attr_values(page, "data-name") and 'data-testid="masked"' not in page
    answer = maria.post("/query", data={"sql": f"SELECT count(DISTINCT country) AS n FROM {CUSTOMERS}"}, headers=HTMX)
    assert int(cells(answer.text)[1][0][0]) > 1


# -- from the product page -------------------------------------------------------------------------------


def test_product_pages_link_their_sql_to_the_query_page(client: TestClient, signed_in: SignIn) -> None:
    page = client.get(f"/dp/{MASTER}").text
    links = [unescape(h) for h in attr_values(page, "href") if h.startswith("/query?")]
    assert len(links) == 3  # one per output port
    sql = parse_qs(urlsplit(links[0]).query)["sql"][0]
    assert sql.startswith("SELECT ") and "FROM customer.customer_master." in sql
    maria = signed_in("maria")
    assert sql in unescape(maria.get(links[0]).text)
    answer = maria.post("/query", data={"sql": sql}, headers=HTMX)
    assert 'data-testid="query-error"' not in answer.text and cells(answer.text)[1]


def test_asking_a_question_updates_the_count_in_the_header(signed_in: SignIn) -> None:
    amara = signed_in("amara")
    before = int(attr_values(amara.get(f"/dp/{C360}").text, "data-count")[0])
    fragment = amara.post(f"/dp/{C360}/questions", data={"body": "Is churn scored daily?"}, headers=HTMX).text
    at = fragment.index('id="question-count"')
    head = fragment[fragment.rindex("<a", 0, at) : fragment.index("</a>", at)]
    assert 'hx-swap-oob="true"' in head and f'data-count="{before + 1}"' in head
    assert f"{before + 1} question" in head
    assert f'data-count="{before + 1}"' in amara.get(f"/dp/{C360}").text  # and a reload agrees


def test_an_older_major_is_named_with_its_major() -> None:
    """Two majors of one product readable: the plain name reads the newer, the older one needs ``_v1``."""
    grants = [
        PortGrant(f"urn:dmb:dp:sales:orders:{major}", "orders", "dev", None, MappingProxyType({}), "owner", None)
        for major in (1, 2)
    ]
    names = query_page._names(grants)
    assert sorted(names.values()) == ["sales.orders.orders", "sales.orders_v1.orders"]
    assert names[PortRef("urn:dmb:dp:sales:orders:2", "orders")] == "sales.orders.orders"
