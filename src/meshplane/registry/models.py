"""The registry's tables, as SQLAlchemy 2 typed declarative models.

These models are the source of truth for the schema; the Alembic migrations in ``migrations/versions`` must
produce exactly the same thing (a test compares them on SQLite and PostgreSQL). Change both together:
``meshplane.registry.migrate.new_revision("what changed")`` writes the migration from the difference.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, CheckConstraint, DateTime, Dialect, ForeignKey, Index, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from meshplane.registry.records import ComponentStatus, DeploymentStatus, PlanStatus

# Deterministic constraint names, so migrations can refer to (and drop) them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out. SQLite keeps no zone and PostgreSQL answers in the session's zone;
    callers always see UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the registry stores timezone-aware UTC times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _one_of(column: str, values: type[Any]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class DeploymentRow(Base):
    """One data product (id includes its major version) in one environment."""

    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint("dp_id", "environment"),
        CheckConstraint(_one_of("status", DeploymentStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dp_id: Mapped[str] = mapped_column(String(400))
    environment: Mapped[str] = mapped_column(String(100))
    version: Mapped[str | None] = mapped_column(String(100))
    descriptor: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(32))
    # Bumped by every change of the row; the lock is taken by a conditional UPDATE on it.
    revision: Mapped[int]
    lock_owner: Mapped[str | None] = mapped_column(String(400))
    locked_at: Mapped[datetime | None]
    deprecated_on: Mapped[date | None]
    retire_on: Mapped[date | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DescriptorVersionRow(Base):
    """Every descriptor recorded for a deployment, oldest first; never updated."""

    __tablename__ = "descriptor_versions"
    __table_args__ = (CheckConstraint(_one_of("status", DeploymentStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    version: Mapped[str] = mapped_column(String(100))
    descriptor: Mapped[dict[str, Any]]
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(400))


class ComponentRow(Base):
    """The provisioning state of one component of a deployed data product."""

    __tablename__ = "components"
    __table_args__ = (
        UniqueConstraint("deployment_id", "component_id"),
        CheckConstraint(_one_of("status", ComponentStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    component_id: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(50))
    adapter: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32))
    desired_hash: Mapped[str | None] = mapped_column(String(64))
    info: Mapped[dict[str, Any]]
    log: Mapped[list[str]]
    updated_at: Mapped[datetime]


class PlanRow(Base):
    """A plan as shown to the deployer, and what applying it did. Plans exist before any deployment does."""

    __tablename__ = "plans"
    __table_args__ = (
        Index("ix_plans_dp_id_environment", "dp_id", "environment"),
        CheckConstraint(_one_of("status", PlanStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dp_id: Mapped[str] = mapped_column(String(400))
    environment: Mapped[str] = mapped_column(String(100))
    plan: Mapped[dict[str, Any]]
    actor: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class AuditRow(Base):
    """Append-only: the API never updates or deletes, and database triggers refuse it (see the migration)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(500), index=True)
    details: Mapped[dict[str, Any]]


# Tables defined in their own modules, imported here so ``Base.metadata`` (Alembic, the schema test) has them all.
import meshplane.registry.access_models  # noqa: E402
import meshplane.registry.market_models  # noqa: E402
import meshplane.registry.run_models  # noqa: E402, F401
