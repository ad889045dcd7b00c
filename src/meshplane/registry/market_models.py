"""Registry tables of the marketplace's social side: ratings with reviews, and questions with answers (an FAQ).

Imported by ``models.py`` so they are part of ``Base.metadata``; the migration ``…_marketplace_reviews_and_faq``
creates exactly these tables. Reviews and questions are about a data product (its id includes the major
version), not about one environment's deployment: consumers judge the product.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from meshplane.registry.models import Base


class ReviewRow(Base):
    """One consumer's rating of a data product (1 to 5 stars) with an optional review; one per author, editable."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("dp_id", "author"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        Index("ix_reviews_dp_id", "dp_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dp_id: Mapped[str] = mapped_column(String(400))
    author: Mapped[str] = mapped_column(String(200))
    rating: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class QuestionRow(Base):
    """A consumer's question about a data product; answered by anyone, the owners' answer marked accepted."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_dp_id", "dp_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dp_id: Mapped[str] = mapped_column(String(400))
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AnswerRow(Base):
    """An answer to a question; ``accepted`` marks the one shown first in the FAQ."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    accepted: Mapped[bool]
    created_at: Mapped[datetime]
