"""Access control: requests for output ports, decisions by the owning team, grants with row filters and
column masks, expiry, migration across majors, and what a caller may read (``effective_grants``).

    service = AccessService(registry, mesh, environment="dev")
    req = service.request(tom, "orders.orders", purpose="weekly revenue report for finance")
    service.approve(jonas, req.id, row_filter="region = 'EU'", masks=["email=hash"])
    service.effective_grants(tom, "dev")  # -> [PortGrant(dp_id=..., port="orders", row_filter='"region" = …')]
"""

from meshplane.access.model import DEFAULT_PII_MASK, MASK_KINDS, OWNER_GRANT, PortGrant
from meshplane.access.service import AccessService, Offer

__all__ = ["DEFAULT_PII_MASK", "MASK_KINDS", "OWNER_GRANT", "AccessService", "Offer", "PortGrant"]
