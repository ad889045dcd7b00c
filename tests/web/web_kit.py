"""Reading the marketplace's HTML in tests: attribute values and the text of one marked element."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

C360 = "urn:dmb:dp:marketing:customer_360:1"
MASTER = "urn:dmb:dp:customer:customer_master:1"


def attr_values(html: str, name: str, *, tag: str | None = None) -> list[str]:
    """Every value of attribute ``name`` (on ``tag`` elements only, when given), in document order."""
    found: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, t: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag is not None and t != tag:
                return
            found.extend(v for k, v in attrs if k == name and v is not None)

    Collect().feed(html)
    return found


def text_of(html: str, marker: str) -> str:
    """The text inside the element whose start tag holds ``marker`` (e.g. ``data-testid="schema"``)."""
    start = html.find(marker)
    assert start >= 0, f"nothing marked {marker}"
    open_at = html.rfind("<", 0, start)
    tag = re.match(r"<(\w+)", html[open_at:]).group(1)  # type: ignore[union-attr]
    depth, pos = 0, open_at
    pattern = re.compile(rf"<(/?){tag}\b[^>]*>")
    for m in pattern.finditer(html, open_at):
        depth += -1 if m.group(1) else 1
        pos = m.end()
        if depth == 0:
            break
    inner = html[open_at:pos]
    return unescape(re.sub(r"<[^>]+>", " ", inner))
