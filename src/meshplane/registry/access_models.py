"""Registry tables of access control: requests, the grants they lead to, and the transactional outbox.

Imported by ``models.py`` so they are part of ``Base.metadata``; the migration ``…_access_requests_grants_outbox``
creates exactly these tables. A grant is on a data product's *major* (its id ``urn:dmb:dp:<domain>:<name>:<major>``
already carries it), so it follows the product across minor versions; moving to a new major copies it as a new
grant that points back with ``migrated_from``. The outbox is written in the same transaction as the decision it
announces, and a relay publishes it later (at least once; consumers de-duplicate on the message id).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from meshplane.registry.models import Base


class RequestState(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DENIED = "DENIED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


class GrantState(StrEnum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


class PrincipalKind(StrEnum):
    USER = "user"
    GROUP = "group"
    DATA_PRODUCT = "dataProduct"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class AccessRequestRow(Base):
    """Someone asks for read access to one output port of one data product (major) in one environment."""

    __tablename__ = "access_requests"
    __table_args__ = (
        Index("ix_access_requests_dp_id_state", "dp_id", "state"),
        Index("ix_access_requests_requester", "requester"),
        CheckConstraint(_one_of("state", RequestState), name="state"),
        CheckConstraint(_one_of("requester_kind", PrincipalKind), name="requester_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who gets the access: a user, a group or a consuming data product (by id).
    requester_kind: Mapped[str] = mapped_column(String(20))
    requester: Mapped[str] = mapped_column(String(400))
    #: The user who filed the request (a member of the group, an owner of the consuming product).
    requested_by: Mapped[str] = mapped_column(String(200))
    dp_id: Mapped[str] = mapped_column(String(400))
    port: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)


class GrantRow(Base):
    """A principal's right to read one output port of one major in one environment, with its filter and masks."""

    __tablename__ = "grants"
    __table_args__ = (
        UniqueConstraint("request_id", "dp_id"),
        Index("ix_grants_principal_state", "principal", "state"),
        Index("ix_grants_product_port", "product", "port", "environment"),
        CheckConstraint(_one_of("state", GrantState), name="state"),
        CheckConstraint(_one_of("principal_kind", PrincipalKind), name="principal_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("access_requests.id"))
    principal_kind: Mapped[str] = mapped_column(String(20))
    principal: Mapped[str] = mapped_column(String(400))
    dp_id: Mapped[str] = mapped_column(String(400))
    #: The data product without its major (``urn:dmb:dp:<domain>:<name>``): finds a grant's other majors.
    product: Mapped[str] = mapped_column(String(400))
    major: Mapped[int]
    port: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str] = mapped_column(String(100))
    #: A SQL predicate over the port's columns (validated when the grant is made), or NULL for every row.
    row_filter: Mapped[str | None] = mapped_column(Text)
    #: Column → ``hash`` | ``redact`` | ``null``, as the approver set them (PII defaults are applied on read).
    masks: Mapped[dict[str, Any]]
    #: PII/sensitive columns this grant shows in clear.
    pii_unmasked: Mapped[list[str]]
    expires_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(200))
    migrated_from: Mapped[int | None] = mapped_column(ForeignKey("grants.id"))


class OutboxRow(Base):
    """An event to publish, written with the change it announces. ``id`` (a UUID) is the broker's message id,
    so two registries publishing to one stream never collide; ``seq`` keeps the order."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("id"), Index("ix_outbox_published_at", "published_at"))

    seq: Mapped[int] = mapped_column(primary_key=True)
    id: Mapped[str] = mapped_column(String(36))
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(400))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
