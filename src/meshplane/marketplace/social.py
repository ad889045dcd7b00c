"""Ratings, reviews and the FAQ: the rules (what input is acceptable, who may accept an answer) and the
records as views. Storage is ``registry.reviews``; the facade (:class:`~meshplane.marketplace.Marketplace`)
checks the product exists first.
"""

from __future__ import annotations

from collections.abc import Mapping

from meshplane.errors import InvalidInputError
from meshplane.marketplace.views import Rating
from meshplane.marketplace.views_mesh import AnswerView, QuestionView, Reviews, ReviewView
from meshplane.registry.reviews import AnswerRecord, QuestionRecord, ReviewRecord
from meshplane.spec.model import Mesh

TITLE_MAX = 200
BODY_MAX = 5000
AUTHOR_MAX = 200
#: Database integer keys: ids beyond this cannot exist, and PostgreSQL would refuse to compare them.
ID_MAX = 2**31 - 1


def text(value: object, field: str, *, required: bool, limit: int) -> str:
    """``value`` stripped; InvalidInputError naming ``field`` when it is missing, too long or not text."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInputError(
            f"`{field}` must be text, got {type(value).__name__}", hint=f"send `{field}` as a string"
        )
    stripped = value.strip()
    if required and not stripped:
        raise InvalidInputError(f"`{field}` is empty", hint=f"write something in `{field}`")
    if len(stripped) > limit:
        raise InvalidInputError(
            f"`{field}` is {len(stripped)} characters long; at most {limit} are allowed",
            hint=f"shorten `{field}`",
        )
    if "\x00" in stripped:
        raise InvalidInputError(f"`{field}` contains a NUL character", hint="send plain text")
    return stripped


def rating(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInputError(f"`rating` must be a whole number from 1 to 5, got {value!r}", hint="rate 1 to 5 stars")
    return value


def identifier(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
        raise InvalidInputError(f"`{field}` must be a positive whole number, got {value!r}")
    return value


def author(value: object) -> str:
    return text(value, "author", required=True, limit=AUTHOR_MAX)


def _name(mesh: Mesh, user: str) -> str | None:
    return next((u.name for u in mesh.users if u.id == user), None)


def review_view(r: ReviewRecord, mesh: Mesh) -> ReviewView:
    return ReviewView(
        id=r.id,
        data_product=r.dp_id,
        author=r.author,
        author_name=_name(mesh, r.author),
        rating=r.rating,
        title=r.title,
        body=r.body,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def reviews_view(dp_id: str, records: list[ReviewRecord], distribution: Mapping[int, int], mesh: Mesh) -> Reviews:
    total = sum(distribution.values())
    average = round(sum(k * v for k, v in distribution.items()) / total, 2) if total else None
    return Reviews(
        data_product=dp_id,
        rating=Rating(average=average, count=total),
        distribution={str(k): int(distribution.get(k, 0)) for k in range(1, 6)},
        reviews=[review_view(r, mesh) for r in records],
    )


def answer_view(a: AnswerRecord, mesh: Mesh, owners: set[str]) -> AnswerView:
    return AnswerView(
        id=a.id,
        question_id=a.question_id,
        author=a.author,
        author_name=_name(mesh, a.author),
        body=a.body,
        accepted=a.accepted,
        by_owner=a.author in owners,
        created_at=a.created_at,
    )


def question_view(q: QuestionRecord, mesh: Mesh, owners: set[str]) -> QuestionView:
    accepted = q.accepted
    return QuestionView(
        id=q.id,
        data_product=q.dp_id,
        author=q.author,
        author_name=_name(mesh, q.author),
        body=q.body,
        created_at=q.created_at,
        answers=[answer_view(a, mesh, owners) for a in q.answers],
        accepted_answer_id=accepted.id if accepted else None,
    )
