"""The marketplace: where consumers find, understand and trust data products.

A service-layer read model over the registry and the mesh folder; the REST API (``meshplane.web.api``) and
the pages are thin shells over :class:`Marketplace`. Modules:

- :mod:`~meshplane.marketplace.facade`: the :class:`Marketplace` API;
- :mod:`~meshplane.marketplace.search`: the pure inverted index (ranking, prefix matching, facets);
- :mod:`~meshplane.marketplace.catalog`, :mod:`~meshplane.marketplace.live`,
  :mod:`~meshplane.marketplace.state`, :mod:`~meshplane.marketplace.store`: what is read from the registry
  and when it is read again;
- :mod:`~meshplane.marketplace.product`, :mod:`~meshplane.marketplace.samples`,
  :mod:`~meshplane.marketplace.contract_view`: the data product page;
- :mod:`~meshplane.marketplace.insights`, :mod:`~meshplane.marketplace.governance_view`,
  :mod:`~meshplane.marketplace.lineage_view`: domains, polysemes, value metrics, policies, lineage;
- :mod:`~meshplane.marketplace.social`: ratings, reviews and the FAQ;
- :mod:`~meshplane.marketplace.views`, :mod:`~meshplane.marketplace.views_mesh`: the pydantic answers.
"""

from meshplane.marketplace.facade import Marketplace
from meshplane.marketplace.search import SearchIndex, parse_query, tokenize

__all__ = ["Marketplace", "SearchIndex", "parse_query", "tokenize"]
