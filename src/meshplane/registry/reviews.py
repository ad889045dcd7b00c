"""Ratings, reviews and the FAQ of data products: the registry side of the marketplace's social features
(``Registry.reviews``).

Each method is one transaction and writes its audit record in the same one, so a review or an accepted answer
never exists without the trace of who wrote it. Input is checked by the marketplace service (it names the
field at fault); the checks here only keep the store consistent whoever calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from meshplane.registry import convert
from meshplane.registry.errors import RegistryError, RegistryNotFoundError
from meshplane.registry.market_models import AnswerRow, QuestionRow, ReviewRow
from meshplane.registry.records import utcnow

Tx = Callable[..., AbstractContextManager[Session]]


@dataclass(frozen=True)
class ReviewRecord:
    id: int
    dp_id: str
    author: str
    rating: int
    title: str
    body: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RatingSummary:
    """How many rated a data product and their average, for search results and the product page."""

    count: int
    average: float


@dataclass(frozen=True)
class AnswerRecord:
    id: int
    question_id: int
    author: str
    body: str
    accepted: bool
    created_at: datetime


@dataclass(frozen=True)
class QuestionRecord:
    id: int
    dp_id: str
    author: str
    body: str
    created_at: datetime
    #: The accepted answer first, then the others oldest first.
    answers: tuple[AnswerRecord, ...] = ()

    @property
    def accepted(self) -> AnswerRecord | None:
        return next((a for a in self.answers if a.accepted), None)


def _review(row: ReviewRow) -> ReviewRecord:
    return ReviewRecord(row.id, row.dp_id, row.author, row.rating, row.title, row.body, row.created_at, row.updated_at)


def _answer(row: AnswerRow) -> AnswerRecord:
    return AnswerRecord(row.id, row.question_id, row.author, row.body, bool(row.accepted), row.created_at)


def _question(row: QuestionRow, answers: Iterable[AnswerRow] = ()) -> QuestionRecord:
    ordered = sorted(answers, key=lambda a: (not a.accepted, a.id))
    return QuestionRecord(row.id, row.dp_id, row.author, row.body, row.created_at, tuple(_answer(a) for a in ordered))


class ReviewRecords:
    """The reviews and questions of one registry; get it as ``registry.reviews``."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # -- ratings and reviews -------------------------------------------------------------------------
    def rate(self, dp_id: str, author: str, *, rating: int, title: str = "", body: str = "") -> ReviewRecord:
        """Create or replace ``author``'s review of ``dp_id`` (one per author: editing replaces it)."""
        if not 1 <= rating <= 5:
            raise RegistryError(f"rating {rating} is out of range", hint="rate from 1 to 5 stars")
        for attempt in range(2):
            try:
                with self._tx(write=True) as s:
                    now = utcnow()
                    row = s.scalar(
                        select(ReviewRow).where(ReviewRow.dp_id == dp_id, ReviewRow.author == author).with_for_update()
                    )
                    action = "review.updated" if row is not None else "review.created"
                    if row is None:
                        row = ReviewRow(dp_id=dp_id, author=author, created_at=now)
                        s.add(row)
                    row.rating, row.title, row.body, row.updated_at = rating, title, body, now
                    s.add(convert.audit_row(author, action, dp_id, {"rating": rating}))
                    s.flush()
                    return _review(row)
            except IntegrityError:  # the same author's first review raced in from elsewhere: update that one
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def reviews(self, dp_id: str, *, limit: int = 100) -> list[ReviewRecord]:
        """Reviews of ``dp_id``, most recently written first."""
        query = (
            select(ReviewRow)
            .where(ReviewRow.dp_id == dp_id)
            .order_by(ReviewRow.updated_at.desc(), ReviewRow.id.desc())
            .limit(max(limit, 0))
        )
        with self._tx() as s:
            return [_review(r) for r in s.scalars(query)]

    def summaries(self, dp_ids: Iterable[str] | None = None) -> dict[str, RatingSummary]:
        """Count and average rating per data product (of ``dp_ids``, or of every rated one)."""
        query = select(ReviewRow.dp_id, func.count(), func.avg(ReviewRow.rating)).group_by(ReviewRow.dp_id)
        if dp_ids is not None:
            query = query.where(ReviewRow.dp_id.in_(list(dp_ids)))
        with self._tx() as s:
            return {dp: RatingSummary(int(n), round(float(avg), 2)) for dp, n, avg in s.execute(query)}

    def distribution(self, dp_id: str) -> dict[int, int]:
        """How many reviews of ``dp_id`` gave each number of stars (only the numbers given appear)."""
        query = select(ReviewRow.rating, func.count()).where(ReviewRow.dp_id == dp_id).group_by(ReviewRow.rating)
        with self._tx() as s:
            return {int(stars): int(n) for stars, n in s.execute(query)}

    # -- questions and answers -----------------------------------------------------------------------
    def question_count(self, dp_id: str) -> int:
        with self._tx() as s:
            return int(s.scalar(select(func.count()).select_from(QuestionRow).where(QuestionRow.dp_id == dp_id)) or 0)

    def ask(self, dp_id: str, author: str, body: str) -> QuestionRecord:
        with self._tx(write=True) as s:
            row = QuestionRow(dp_id=dp_id, author=author, body=body, created_at=utcnow())
            s.add(row)
            s.flush()
            s.add(convert.audit_row(author, "question.asked", dp_id, {"question": row.id}))
            return _question(row)

    def answer(self, question_id: int, author: str, body: str) -> AnswerRecord:
        with self._tx(write=True) as s:
            question = self._question_row(s, question_id)
            row = AnswerRow(question_id=question_id, author=author, body=body, accepted=False, created_at=utcnow())
            s.add(row)
            s.flush()
            s.add(
                convert.audit_row(
                    author, "question.answered", question.dp_id, {"question": question_id, "answer": row.id}
                )
            )
            return _answer(row)

    def accept(self, question_id: int, answer_id: int, *, by: str) -> QuestionRecord:
        """Mark ``answer_id`` as the accepted answer of ``question_id`` (any previously accepted one is not
        any more). Who may accept is the marketplace's decision; this records it."""
        with self._tx(write=True) as s:
            question = self._question_row(s, question_id)
            answer = s.get(AnswerRow, answer_id)
            if answer is None or answer.question_id != question_id:
                raise RegistryNotFoundError(
                    f"question {question_id} has no answer {answer_id}", hint="accept one of the question's answers"
                )
            s.execute(update(AnswerRow).where(AnswerRow.question_id == question_id).values(accepted=False))
            s.execute(update(AnswerRow).where(AnswerRow.id == answer_id).values(accepted=True))
            s.add(
                convert.audit_row(by, "answer.accepted", question.dp_id, {"question": question_id, "answer": answer_id})
            )
            s.flush()
            answers = s.scalars(
                select(AnswerRow).where(AnswerRow.question_id == question_id).execution_options(populate_existing=True)
            )
            return _question(question, answers)

    def question(self, question_id: int) -> QuestionRecord:
        with self._tx() as s:
            row = self._question_row(s, question_id)
            answers = s.scalars(select(AnswerRow).where(AnswerRow.question_id == question_id))
            return _question(row, answers)

    def questions(self, dp_id: str, *, limit: int = 100) -> list[QuestionRecord]:
        """Questions about ``dp_id`` with their answers, newest question first."""
        with self._tx() as s:
            rows = list(
                s.scalars(
                    select(QuestionRow)
                    .where(QuestionRow.dp_id == dp_id)
                    .order_by(QuestionRow.id.desc())
                    .limit(max(limit, 0))
                )
            )
            by_question: dict[int, list[AnswerRow]] = {r.id: [] for r in rows}
            if rows:
                for a in s.scalars(select(AnswerRow).where(AnswerRow.question_id.in_(list(by_question)))):
                    by_question[a.question_id].append(a)
            return [_question(r, by_question[r.id]) for r in rows]

    @staticmethod
    def _question_row(s: Session, question_id: int) -> QuestionRow:
        row = s.get(QuestionRow, question_id)
        if row is None:
            raise RegistryNotFoundError(
                f"no question {question_id}", hint="see the data product's FAQ for question ids"
            )
        return row
