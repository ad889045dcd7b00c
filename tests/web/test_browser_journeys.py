"""A person's journeys through the marketplace in a real browser (Debian's Chromium, headless, via Playwright):
search as they type, narrow with a facet and go back, open a product and read its schema, sample and
snippets, follow lineage by clicking a box, sign in and review and ask, and land on a 404 page.

Every step saves a screenshot under ``$MESHPLANE_TEST_ARTIFACTS/screenshots`` (default tests/artifacts).
One browser serves the whole module; the app runs on a real port (uvicorn in a thread).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from web_kit import C360, MASTER


def results(page) -> list[str]:
    return page.locator("article.result").evaluate_all("els => els.map(e => e.dataset.id)")


def settled(page) -> None:
    """No htmx request in flight (so a screenshot shows the final state, not the "searching…" indicator)."""
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")


def test_search_as_you_type_filter_and_go_back(page, live_url, shot):
    page.goto(live_url + "/")
    assert len(results(page)) == 8
    page.locator("#q").press_sequentially("customer", delay=30)
    page.wait_for_url(re.compile(r"/\?q=customer$"))  # htmx pushed the shareable URL
    # Every demo product carries the customer id, so all match; the ones named "customer" now come first.
    page.wait_for_function("document.querySelector('article.result').dataset.id.includes(':customer')")
    found = results(page)
    assert set(found[:2]) == {C360, MASTER}
    settled(page)
    shot(page, "1-search")

    page.locator("fieldset[data-facet=domain] input[value=marketing]").check()
    page.wait_for_url(re.compile(r"domain=marketing"))
    page.wait_for_function(
        "[...document.querySelectorAll('article.result')].every(a => a.dataset.id.includes(':marketing:'))"
    )
    narrowed = results(page)
    assert C360 in narrowed and MASTER not in narrowed
    assert page.locator("#result-count").get_attribute("data-total") == str(len(narrowed))
    settled(page)
    shot(page, "2-filtered")

    page.go_back()
    page.wait_for_url(re.compile(r"/\?q=customer$"))
    page.wait_for_function("!document.querySelector('fieldset[data-facet=domain] input[value=marketing]').checked")
    assert MASTER in results(page)

    shared = page.context.new_page()  # the URL alone reproduces the filtered search
    shared.goto(live_url + "/?q=customer&domain=marketing")
    assert sorted(results(shared)) == sorted(narrowed)
    shared.set_viewport_size({"width": 390, "height": 844})
    shot(shared, "3-search-phone")
    shared.close()


def test_a_product_page_then_lineage_by_clicking(page, live_url, shot):
    page.goto(live_url + "/?q=customer_360")
    page.get_by_role("link", name="customer_360", exact=True).first.click()
    page.wait_for_url(re.compile(r"/dp/urn:dmb:dp:marketing:customer_360:1$"))
    port = page.locator("[data-testid=port][data-port=customer_360]")
    assert port.locator("[data-testid=schema]").is_visible()
    assert "cid" in port.locator("[data-testid=schema]").inner_text()
    sample = port.locator("[data-testid=sample]")
    assert sample.is_visible() and sample.locator("tbody tr").count() == 5
    snippets = port.locator("[data-testid=snippets] pre")
    assert snippets.count() == 3 and "SELECT" in snippets.first.inner_text()
    copy = port.locator("button.copy").first
    copy.click()
    page.wait_for_function("document.querySelector('button.copy[data-copied]') !== null")
    shot(page, "1-product")

    page.get_by_role("link", name="Lineage", exact=True).last.click()
    page.wait_for_url(re.compile(r"/lineage$"))
    svg = page.locator("svg.lineage")
    assert svg.is_visible()
    assert page.locator(f'svg.lineage a.node.focus[data-id="{C360}"]').count() == 1
    before = float(svg.get_attribute("data-scale"))
    page.locator("button[data-zoom=in]").click()
    zoomed = float(svg.get_attribute("data-scale"))
    assert zoomed > before
    box = svg.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.wheel(0, 300)  # scrolling down zooms out
    assert float(svg.get_attribute("data-scale")) < zoomed
    view = svg.get_attribute("viewBox")
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] - 30)
    page.mouse.down()
    page.mouse.move(box["x"] + 130, box["y"] + box["height"] - 60, steps=5)
    page.mouse.up()
    assert svg.get_attribute("viewBox") != view and "/lineage" in page.url  # panned, not navigated
    page.locator("button[data-zoom=reset]").click()
    shot(page, "2-lineage")

    page.locator(f'svg.lineage a.node[data-id="{MASTER}"]').click()
    page.wait_for_url(re.compile(r"/dp/urn:dmb:dp:customer:customer_master:1$"))
    assert page.locator("h1").inner_text().startswith("customer_master")
    shot(page, "3-followed")


def test_sign_in_review_and_ask(page, live_url, shot):
    page.goto(live_url + f"/dp/{C360}")
    page.get_by_role("link", name="Sign in to rate and review").click()
    page.wait_for_url(re.compile(r"/signin\?next="))
    page.select_option("#user", "jonas")
    shot(page, "1-signin")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/dp/urn:dmb:dp:marketing:customer_360:1(#reviews)?$"))
    assert "Jonas Berg" in page.locator("[data-testid=signed-in-user]").inner_text()

    page.evaluate("window.__samePage = true")  # a full reload would lose it: htmx swaps the section in place
    form = page.locator("[data-testid=review-form]")
    form.locator("label[for=rate-4]").click()
    form.locator("#review-title").fill("Does what it says")
    form.locator("#review-body").fill("Joined with our orders in minutes; the CID made it trivial.")
    form.get_by_role("button", name="Post review").click()
    reviews = page.locator("[data-testid=reviews]")
    reviews.get_by_text("Does what it says").wait_for()
    assert "4.0 from 1 rating" in page.locator("[data-testid=rating-summary]").inner_text()
    assert "1 rating" in page.locator("#rating-head").inner_text()  # the header was swapped out of band
    assert page.evaluate("window.__samePage") is True
    shot(page, "2-reviewed")

    page.locator("#question-body").fill("How late can yesterday's orders arrive?")
    page.get_by_role("button", name="Ask").click()
    page.locator("[data-testid=faq]").get_by_text("How late can yesterday's orders arrive?").wait_for()
    assert page.evaluate("window.__samePage") is True
    page.locator("#faq").scroll_into_view_if_needed()
    shot(page, "3-asked")


def test_an_unknown_product_is_a_404_page(page, live_url, shot):
    response = page.goto(live_url + "/dp/" + quote("urn:dmb:dp:nowhere:nothing:1", safe=":"))
    assert response is not None and response.status == 404
    assert page.locator("[data-testid=error] h1").inner_text() == "Not found"
    assert "nowhere" in page.locator("[data-testid=error]").inner_text()
    shot(page, "404")
