"""access: requests, grants (on a major, with row filter and masks) and the transactional outbox

Revision ID: 17a11fe4c25b
Revises: 58b6691dd64b
Create Date: 2026-11-22 05:00:49.679532+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "17a11fe4c25b"
down_revision: str | Sequence[str] | None = "58b6691dd64b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_kind", sa.String(length=20), nullable=False),
        sa.Column("requester", sa.String(length=400), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("dp_id", sa.String(length=400), nullable=False),
        sa.Column("port", sa.String(length=200), nullable=False),
        sa.Column("environment", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "requester_kind IN ('user', 'group', 'dataProduct')", name=op.f("ck_access_requests_requester_kind")
        ),
        sa.CheckConstraint(
            "state IN ('PENDING', 'APPROVED', 'DENIED', 'REVOKED', 'EXPIRED')", name=op.f("ck_access_requests_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
    )
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.create_index("ix_access_requests_dp_id_state", ["dp_id", "state"], unique=False)
        batch_op.create_index("ix_access_requests_requester", ["requester"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("id", name=op.f("uq_outbox_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_published_at", ["published_at"], unique=False)

    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("principal_kind", sa.String(length=20), nullable=False),
        sa.Column("principal", sa.String(length=400), nullable=False),
        sa.Column("dp_id", sa.String(length=400), nullable=False),
        sa.Column("product", sa.String(length=400), nullable=False),
        sa.Column("major", sa.Integer(), nullable=False),
        sa.Column("port", sa.String(length=200), nullable=False),
        sa.Column("environment", sa.String(length=100), nullable=False),
        sa.Column("row_filter", sa.Text(), nullable=True),
        sa.Column("masks", sa.JSON(), nullable=False),
        sa.Column("pii_unmasked", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.Column("migrated_from", sa.Integer(), nullable=True),
        sa.CheckConstraint("principal_kind IN ('user', 'group', 'dataProduct')", name=op.f("ck_grants_principal_kind")),
        sa.CheckConstraint("state IN ('ACTIVE', 'REVOKED', 'EXPIRED')", name=op.f("ck_grants_state")),
        sa.ForeignKeyConstraint(["migrated_from"], ["grants.id"], name=op.f("fk_grants_migrated_from_grants")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["access_requests.id"], name=op.f("fk_grants_request_id_access_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
        sa.UniqueConstraint("request_id", "dp_id", name=op.f("uq_grants_request_id_dp_id")),
    )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.create_index("ix_grants_principal_state", ["principal", "state"], unique=False)
        batch_op.create_index("ix_grants_product_port", ["product", "port", "environment"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index("ix_grants_product_port")
        batch_op.drop_index("ix_grants_principal_state")

    op.drop_table("grants")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_published_at")

    op.drop_table("outbox")
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_access_requests_requester")
        batch_op.drop_index("ix_access_requests_dp_id_state")

    op.drop_table("access_requests")
