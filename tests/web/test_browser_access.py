"""Access in a real browser (Debian's Chromium via Playwright), two people at once: Tom, an analyst, asks for
the Customer 360 on its access page; Sam, who owns it, approves on /access with a row filter and a mask;
Tom then sees what he may read. Each person has their own browser context (their own sign-in cookie).

Screenshots go to ``$MESHPLANE_TEST_ARTIFACTS/screenshots`` (default tests/artifacts).
"""

from __future__ import annotations

import re
from typing import Any

from web_kit import C360

PURPOSE = "Weekly churn review of German customers for the retention team"


def sign_in(page: Any, live_url: str, user: str, next_path: str) -> None:
    """Sign in through the sign-in page, as a person does, and land on ``next_path``."""
    page.goto(f"{live_url}/signin?next={next_path}")
    page.select_option("#user", user)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def test_request_approve_with_terms_and_read(browser, page, live_url, shot):
    sign_in(page, live_url, "tom", f"/dp/{C360}/access")
    form = page.locator("[data-testid=request-form]")
    form.locator("#port").select_option("customer_360")
    form.locator("#requester").select_option("me")
    form.locator("#purpose").fill(PURPOSE)
    shot(page, "1-request")
    form.get_by_role("button", name="Send the request").click()
    page.wait_for_url(re.compile(r"/access\?done=request\+\d+\+sent$"))
    request_id = re.search(r"request\+(\d+)\+sent", page.url).group(1)  # type: ignore[union-attr]
    assert page.locator("[data-testid=done]").inner_text() == f"request {request_id} sent"
    assert "PENDING" in page.locator("[data-testid=my-requests]").inner_text()
    shot(page, "2-sent")

    owner_context = browser.new_context(viewport={"width": 1280, "height": 900})
    owner_context.set_default_timeout(10_000)
    owner = owner_context.new_page()
    try:
        sign_in(owner, live_url, "sam", "/access")
        decide = owner.locator(f"[data-testid=decide-{request_id}]")
        assert PURPOSE in decide.locator("summary").inner_text()
        decide.locator("summary").click()
        approve = decide.locator("[data-testid=approve-form]")
        approve.locator(f"#filter-{request_id}").fill("country = 'DE'")
        approve.locator("select[name=mask]:has(option[value='cid=hash'])").select_option("cid=hash")
        shot(owner, "3-decide")
        approve.get_by_role("button", name="Approve").click()
        owner.wait_for_url(re.compile(rf"/access\?done=request\+{request_id}\+approved$"))
        assert owner.locator("[data-testid=done]").inner_text() == f"request {request_id} approved"
        assert owner.locator(f"[data-testid=decide-{request_id}]").count() == 0  # off the queue
        shot(owner, "4-approved")
    finally:
        owner_context.close()

    page.goto(live_url + "/access")
    readable = page.locator("[data-testid=readable]")
    row = readable.locator("tbody tr", has_text="marketing.customer_360.customer_360")
    assert row.count() == 1
    text = row.inner_text()
    assert "\"country\" = 'DE'" in text and "cid=hash" in text and "marketing/customer_360" in text
    assert "APPROVED" in page.locator("[data-testid=my-requests]").inner_text()
    shot(page, "5-granted")
