"""The query gateway: consumer SQL over granted output ports, in a sandboxed DuckDB, filters and masks applied.

    service = QueryService.open(registry, mesh, mesh_root, "dev")
    result = service.query(tom, 'SELECT count(*) FROM sales.orders.orders')
    result.table  # pyarrow.Table; result.reads: the ports and table versions read

``Gateway.run`` is the core (grants passed in, nothing audited); ``QueryService`` wires it to the access
service and the registry and audits every query. See ``names`` for how ports are named (and time travel),
``sqlcheck`` for what SQL is allowed, ``policy``/``filters`` for how grants become views, ``sandbox`` for
the DuckDB settings and limits, ``snapshots`` for the Delta tables kept open between queries.
"""

from meshplane.gateway.core import CEILING, DEFAULTS, Gateway, PortDirectory, PortRead, QueryResult, Trace
from meshplane.gateway.names import AsOf, PortRef
from meshplane.gateway.results import ResultFormat, render, to_document
from meshplane.gateway.sandbox import Limits, QueryLimitError, QueryMemoryError, QueryTimeoutError, SandboxPool
from meshplane.gateway.service import QueryService, RegistryPorts, mask_salt

__all__ = [
    "CEILING",
    "DEFAULTS",
    "AsOf",
    "Gateway",
    "Limits",
    "PortDirectory",
    "PortRead",
    "PortRef",
    "QueryLimitError",
    "QueryMemoryError",
    "QueryResult",
    "QueryService",
    "QueryTimeoutError",
    "RegistryPorts",
    "ResultFormat",
    "SandboxPool",
    "Trace",
    "mask_salt",
    "render",
    "to_document",
]
