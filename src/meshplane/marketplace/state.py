"""The marketplace's cached state and when it is refreshed.

What is costly to compute is cached and keyed by a fingerprint of the registry (aggregates over deployments,
runs and reviews): the search index and everything derived from the deployed descriptors are rebuilt only
after a deployment changes (or the day changes: lifecycle dates); quality and ratings are re-read only after
a run or a review.

The fingerprint itself is not free — on SQLite it scans rows that hold whole descriptors, about 30 ms at
10,000 products — so it is checked at most every ``recheck_after`` seconds, and *behind* the requests:
a request that finds the last check too old is answered from the current state while a background thread
checks and, if something changed, rebuilds (stale-while-revalidate). Changes made through the marketplace
itself are shown at once: a review patches its product's rating in place; questions and answers are never
cached. ``recheck_after=0`` checks synchronously on every call.

Concurrent requests share one cache; rebuilding is serialised by a lock and publishes new state objects
whole, so readers never see half of one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from meshplane.marketplace import bitsets, store
from meshplane.marketplace import catalog as catalog_mod
from meshplane.marketplace.catalog import Catalog
from meshplane.marketplace.live import Live
from meshplane.registry import Registry
from meshplane.registry.reviews import RatingSummary

log = logging.getLogger("meshplane.marketplace")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class CatalogState:
    """Everything derived from the deployed descriptors, for one catalog fingerprint (and day)."""

    key: tuple[Any, ...]
    catalog: Catalog
    #: Per-fingerprint memo of derived results (validated models, governance, lineage, lead times …).
    memo: dict[Any, Any] = field(default_factory=dict)


@dataclass
class LiveState:
    """Quality and ratings for one live fingerprint, with what search needs of them precomputed."""

    key: tuple[Any, ...]
    live: Live
    #: Quality per catalog entry (index order), as value → set of entries (``bitsets``), and as sort ranks.
    quality: list[str]
    quality_sets: dict[str, int]
    quality_rank: list[int]
    rating_rank: list[int]
    memo: dict[Any, Any] = field(default_factory=dict)


#: Sort order of quality: the products one can rely on first.
QUALITY_ORDER = {"passing": 0, "warning": 1, "unknown": 2, "failing": 3}


def live_state(key: tuple[Any, ...], live: Live, catalog: Catalog) -> LiveState:
    quality = live.quality_column(catalog)
    entries = catalog.entries

    def rating(n: int) -> tuple[float, int, int]:
        rated = live.ratings.get(entries[n].id)
        return (-(rated.average if rated else 0.0), -(rated.count if rated else 0), catalog.name_rank[n])

    positions = range(len(entries))
    return LiveState(
        key,
        live,
        quality,
        bitsets.by_value(quality),
        catalog_mod.ranks(list(positions), lambda n: (QUALITY_ORDER[quality[n]], catalog.name_rank[n])),
        catalog_mod.ranks(list(positions), rating),
    )


class Cache:
    """The marketplace's state and its refresh rule; see the module docstring."""

    def __init__(
        self,
        fingerprint: Callable[[], store.Fingerprint],
        load_catalog: Callable[[], Catalog],
        load_live: Callable[[], Live],
        *,
        recheck_after: float = 1.0,
    ) -> None:
        self._fingerprint = fingerprint
        self._load_catalog = load_catalog
        self._load_live = load_live
        self.recheck_after = recheck_after
        self._lock = threading.Lock()
        self._flag = threading.Lock()
        self._checked_at = float("-inf")
        self._checking = False
        self.catalog: CatalogState | None = None
        self.live: LiveState | None = None

    def current(self) -> tuple[CatalogState, LiveState]:
        cat, live = self.catalog, self.live
        if cat is None or live is None or self.recheck_after <= 0:
            return self.refresh()
        if time.monotonic() - self._checked_at >= self.recheck_after:
            with self._flag:
                start = not self._checking
                self._checking = True
            if start:
                threading.Thread(target=self._check_behind, name="marketplace-refresh", daemon=True).start()
        return cat, live

    def patch_ratings(self, ratings: Mapping[str, RatingSummary]) -> None:
        """A review was written through the marketplace: show its product's new rating at once, without
        re-reading every product's quality (the background check re-reads everything soon anyway)."""
        with self._lock:
            if self.catalog is None or self.live is None:
                return
            old = self.live
            live = replace(old.live, ratings={**old.live.ratings, **ratings})
            self.live = live_state(old.key, live, self.catalog.catalog)
            self.live.memo = old.memo

    def warm_up(self) -> None:
        """Build the state in the background now, so the first request does not wait for it."""
        with self._flag:
            start = not self._checking
            self._checking = True
        if start:
            threading.Thread(target=self._check_behind, name="marketplace-warm-up", daemon=True).start()

    def refresh(self) -> tuple[CatalogState, LiveState]:
        """Check the fingerprint now and rebuild what changed; returns the current state."""
        with self._lock:
            fingerprint = self._fingerprint()
            self._checked_at = time.monotonic()
            catalog_key = (*fingerprint.catalog, utcnow().date().isoformat())
            if self.catalog is None or self.catalog.key != catalog_key:
                self.catalog = CatalogState(catalog_key, self._load_catalog())
                self.live = None  # the quality column is per catalog order
            if self.live is None or self.live.key != fingerprint.live:
                self.live = live_state(fingerprint.live, self._load_live(), self.catalog.catalog)
            return self.catalog, self.live

    def _check_behind(self) -> None:
        try:
            self.refresh()
        except Exception:  # the registry went away (shutdown) or hiccuped: the next request tries again
            log.warning("marketplace refresh failed", exc_info=True)
        finally:
            with self._flag:
                self._checking = False

    def memo(self, state: CatalogState | LiveState, key: Any, make: Callable[[], Any]) -> Any:
        """``make()`` once per state and key (a lost race computes twice and keeps one: harmless)."""
        if key not in state.memo:
            state.memo[key] = make()
        return state.memo[key]


def load_catalog(registry: Registry, environment: str) -> Catalog:
    """Every deployed product of ``environment``, indexed (the expensive rebuild the fingerprint guards)."""
    return catalog_mod.build(store.deployed(registry, environment), utcnow().date(), built_at=utcnow())
