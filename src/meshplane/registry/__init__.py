"""The control-plane registry: deployments, deploy locks, components, plans, lifecycle and the audit log.

SQLAlchemy 2 over SQLite (the default, one file beside the mesh) or PostgreSQL, with Alembic migrations
shipped in the package and applied by ``Registry.open``::

    with Registry.open("sqlite:///.meshplane/registry.db") as registry:
        lease = registry.acquire(dp.id, "dev", new_owner("alice"))
        try:
            registry.record_deployment(lease, version=dp.version, descriptor=dp.to_data(), status="DEPLOYED")
        finally:
            registry.release(lease)
"""

from meshplane.registry.engine import ENV_VAR
from meshplane.registry.errors import ConcurrentDeployError, LockLostError, RegistryError, RegistryNotFoundError
from meshplane.registry.locking import new_owner
from meshplane.registry.records import (
    AuditRecord,
    ComponentState,
    ComponentStatus,
    ComponentUpdate,
    Deployment,
    DeploymentStatus,
    DescriptorVersion,
    Lease,
    PlanRecord,
    PlanStatus,
)
from meshplane.registry.registry import LOG_LIMIT, Registry
from meshplane.registry.run_models import RunStatus
from meshplane.registry.runs import ConcurrentRunError, RunRecord, RunRecords

__all__ = [
    "ENV_VAR",
    "LOG_LIMIT",
    "AuditRecord",
    "ComponentState",
    "ComponentStatus",
    "ComponentUpdate",
    "ConcurrentDeployError",
    "ConcurrentRunError",
    "Deployment",
    "DeploymentStatus",
    "DescriptorVersion",
    "Lease",
    "LockLostError",
    "PlanRecord",
    "PlanStatus",
    "Registry",
    "RegistryError",
    "RegistryNotFoundError",
    "RunRecord",
    "RunRecords",
    "RunStatus",
    "new_owner",
]
