"""The grant the /query page tests start from: Tom reads the customer master's ``customers`` port, German
customers only, e-mails hashed (Maria, of the customer team, approves; other PII stays masked by default)."""

from __future__ import annotations

from fastapi import FastAPI

from meshplane.access import AccessService
from meshplane.identity import Directory

MASTER = "urn:dmb:dp:customer:customer_master:1"
CUSTOMERS = "customer.customer_master.customers"
ROW_FILTER = "country = 'DE'"


def grant_tom_customers(app: FastAPI) -> int:
    """Request as Tom and approve as Maria through the access service of the app's registry; the grant's id."""
    state = app.state
    access = AccessService(state.registry, state.mesh, environment=state.environment)
    people = Directory(state.mesh)
    request = access.request(
        people.identity("tom"), f"{MASTER}.customers", purpose="segment sizes per country for the quarterly review"
    )
    grant = access.approve(people.identity("maria"), request.id, row_filter=ROW_FILTER, masks=["email=hash"])
    return grant.id
