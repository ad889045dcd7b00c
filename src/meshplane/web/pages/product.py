"""The data product page, and the forms on it: rate and review, ask, answer, accept an answer.

Forms post here (not to the REST API) so they work without script: a plain post redirects back to the page
(303, post/redirect/get); an htmx post gets back only the reviews or FAQ section, re-rendered, which htmx
swaps in place. Input a person got wrong comes back in the form with the reason, not as an error page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.marketplace import Marketplace
from meshplane.web.pages.charts import Stack, legend, stacked_columns
from meshplane.web.pages.common import colours, market, signed_in
from meshplane.web.pages.rendering import dp_url, identity_of, is_htmx, render

router = APIRouter(include_in_schema=False)


def _social(request: Request, mp: Marketplace, dp_id: str) -> dict[str, Any]:
    identity = identity_of(request)
    owners = mp.owners(dp_id) if identity is not None else set()
    reviews = mp.reviews(dp_id)
    return {
        "dp_id": dp_id,
        "reviews": reviews,
        "mine": next((r for r in reviews.reviews if identity is not None and r.author == identity.user), None),
        "faq": mp.faq(dp_id),
        "is_owner": identity is not None and identity.user in owners,
    }


def _page_context(request: Request, mp: Marketplace, dp_id: str) -> dict[str, Any]:
    page = mp.product(dp_id)
    stacks = [
        Stack(
            label=f"#{r.seq}",
            counts=r.counts.model_dump(),
            title=f"run #{r.seq} ({r.status}): {r.counts.passed} passed, {r.counts.warned} warned, "
            f"{r.counts.failed} failed",
            bad=r.status != "SUCCEEDED",
        )
        for r in reversed(page.quality_history)  # oldest left
    ]
    return {
        "page": page,
        "colours": colours(request),
        "quality_chart": stacked_columns(stacks, title=f"Check outcomes of the last {len(stacks)} runs"),
        "quality_legend": legend() if stacks else "",
        **_social(request, mp, page.summary.id),
    }


@router.get("/dp/{dp_id}", response_class=HTMLResponse)
def product_page(request: Request, dp_id: str) -> HTMLResponse:
    return render(request, "product.html", _page_context(request, market(request), dp_id))


async def _field(request: Request, name: str) -> str:
    form = await request.form()
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _after(request: Request, dp_id: str, section: str, **extra: Any) -> Response:
    """What a successful or refused post answers: the section for htmx; else back to the page (303), or the
    page again with the reason shown (422) when the input was refused."""
    mp = market(request)
    if is_htmx(request):
        template = "_reviews.html" if section == "reviews" else "_faq.html"
        # oob: the rating in the page's header is swapped too (htmx out-of-band), so both agree.
        return render(request, template, {**_social(request, mp, dp_id), "oob": True, **extra})
    if any(k.endswith("_error") for k in extra):
        return render(request, "product.html", {**_page_context(request, mp, dp_id), **extra}, status=422)
    return RedirectResponse(dp_url(dp_id) + f"#{section}", status_code=303)


def _resolve(mp: Marketplace, ref: str) -> str:
    """The product's id (NotFoundError, a 404 page, for an unknown one)."""
    return mp.reviews(ref).data_product


@router.post("/dp/{dp_id}/reviews")
async def post_review(request: Request, dp_id: str) -> Response:
    identity = signed_in(request)
    mp = market(request)
    dp_id = _resolve(mp, dp_id)
    form = await request.form()
    try:
        raw = form.get("rating")
        try:
            stars = int(raw) if isinstance(raw, str) else 0
        except ValueError:
            stars = 0
        if not 1 <= stars <= 5:
            raise InvalidInputError("pick a rating from 1 to 5 stars")
        mp.rate(dp_id, identity.user, stars, await _field(request, "title"), await _field(request, "body"))
    except InvalidInputError as exc:
        return _after(request, dp_id, "reviews", review_error=exc.message)
    return _after(request, dp_id, "reviews", review_saved=True)


@router.post("/dp/{dp_id}/questions")
async def post_question(request: Request, dp_id: str) -> Response:
    identity = signed_in(request)
    mp = market(request)
    dp_id = _resolve(mp, dp_id)
    try:
        mp.ask(dp_id, identity.user, await _field(request, "body"))
    except InvalidInputError as exc:
        return _after(request, dp_id, "faq", faq_error=exc.message)
    return _after(request, dp_id, "faq")


def _question_of(mp: Marketplace, dp_id: str, question_id: int) -> None:
    if not any(q.id == question_id for q in mp.faq(dp_id).questions):
        raise NotFoundError(f"{dp_id} has no question {question_id}")


@router.post("/dp/{dp_id}/questions/{question_id}/answers")
async def post_answer(request: Request, dp_id: str, question_id: int) -> Response:
    identity = signed_in(request)
    mp = market(request)
    dp_id = _resolve(mp, dp_id)
    _question_of(mp, dp_id, question_id)
    try:
        mp.answer(question_id, identity.user, await _field(request, "body"))
    except InvalidInputError as exc:
        return _after(request, dp_id, "faq", faq_error=exc.message)
    return _after(request, dp_id, "faq")


@router.post("/dp/{dp_id}/questions/{question_id}/answers/{answer_id}/accept")
def accept_answer(request: Request, dp_id: str, question_id: int, answer_id: int) -> Response:
    identity = signed_in(request)
    mp = market(request)
    dp_id = _resolve(mp, dp_id)
    _question_of(mp, dp_id, question_id)
    mp.accept(question_id, answer_id, identity.user)  # PermissionDeniedError (403) for anyone but the owners
    return _after(request, dp_id, "faq")
