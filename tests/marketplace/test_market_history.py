"""When the mesh folder is a git repository, the marketplace reads it: the lead time from a descriptor's first
commit to its first deployment, and each product's changelog from git."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from market_kit import ORDERS

from meshplane.marketplace import Marketplace
from meshplane.registry import ENV_VAR

TWO_DAYS = timedelta(days=2)


def _git(root: Path, *args: str, when: datetime | None = None) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="Jonas", GIT_AUTHOR_EMAIL="jonas@acme.example")
    env |= {"GIT_COMMITTER_NAME": "Jonas", "GIT_COMMITTER_EMAIL": "jonas@acme.example"}
    if when is not None:
        env |= {"GIT_AUTHOR_DATE": when.isoformat(), "GIT_COMMITTER_DATE": when.isoformat()}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def repo_market(demo: Path) -> Iterator[Marketplace]:
    """The demo, committed as if written two days before it was deployed, then a description edited."""
    _git(demo, "init", "-q")
    _git(demo, "add", "-A")
    _git(demo, "commit", "-q", "-m", "The ACME mesh", when=datetime.now(UTC) - TWO_DAYS)
    orders = demo / "sales" / "orders" / "dataproduct.yaml"
    orders.write_text(orders.read_text().replace("version: 1.0.0", "version: 1.1.0"))
    _git(demo, "commit", "-q", "-am", "orders 1.1.0")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_VAR, raising=False)
        with Marketplace.open(demo, "dev") as market:
            yield market


def test_lead_time_runs_from_the_first_commit(repo_market: Marketplace) -> None:
    lead = {t.data_product: t for t in repo_market.overview().lead_times}
    orders = lead[ORDERS]
    assert orders.source == "git"
    assert orders.seconds is not None and abs(orders.seconds - TWO_DAYS.total_seconds()) < 600
    assert len(lead) == 8 and all(t.source == "git" for t in lead.values())


def test_the_product_page_has_the_git_changelog(repo_market: Marketplace) -> None:
    changelog = repo_market.product(ORDERS, samples=0).changelog
    assert [e.version for e in changelog] == ["1.1.0", "1.0.0"]
    assert changelog[0].subject == "orders 1.1.0" and changelog[0].author == "Jonas"
