"""The marketplace over a PostgreSQL registry: the demo deployed and run into a fresh database, then search,
the product page, reviews and the FAQ, and the API's bad-input answers (PostgreSQL refuses what SQLite takes,
such as NUL characters and ids beyond 32-bit integers)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from market_kit import CUSTOMER_MASTER, ORDERS, bearer

from meshplane.marketplace import Marketplace
from meshplane.registry import ENV_VAR
from meshplane.web.app import create_app
from support.demo_mesh import build_demo

PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    try:
        psycopg.connect(PG_DSN, autocommit=True).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is unreachable: {str(exc).strip().splitlines()[0]}")
    name = f"meshplane_market_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pg_demo(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_VAR, pg_url)
        yield build_demo(tmp_path_factory.mktemp("market_pg") / "acme")


@pytest.fixture(scope="module")
def pg_market(pg_demo: Path, pg_url: str) -> Iterator[Marketplace]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_VAR, pg_url)
        with Marketplace.open(pg_demo, "dev") as market:
            assert market.registry.url.get_backend_name() == "postgresql"
            yield market


def test_search_and_page_on_postgresql(pg_market: Marketplace) -> None:
    everything = pg_market.search()
    assert everything.total == 8
    assert pg_market.search("orders ").hits[0].id == ORDERS
    page = pg_market.product(CUSTOMER_MASTER, samples=2)
    assert page.quality_history and page.versions
    customers = next(p for p in page.output_ports if p.name == "customers")
    assert customers.sample is not None and customers.sample.available and "email" in customers.sample.masked
    assert pg_market.overview().totals["dataProducts"] == 8


def test_reviews_and_faq_on_postgresql(pg_market: Marketplace) -> None:
    pg_market.rate(ORDERS, "tom", 3)
    pg_market.rate(ORDERS, "tom", 5, "Great")
    pg_market.rate(ORDERS, "olga", 4)
    reviews = pg_market.reviews(ORDERS)
    assert reviews.rating.count == 2 and reviews.rating.average == 4.5
    assert pg_market.search("orders ").hits[0].rating.average == 4.5
    question = pg_market.ask(ORDERS, "tom", "Are returns included?")
    answer = pg_market.answer(question.id, "jonas", "Yes, with status returned.")
    accepted = pg_market.accept(question.id, answer.id, "jonas")
    assert accepted.accepted_answer_id == answer.id
    assert pg_market.faq(ORDERS).questions[0].answers[0].accepted


def test_api_bad_input_on_postgresql(pg_demo: Path, pg_url: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_VAR, pg_url)
        app = create_app(pg_demo, environment="dev")
    with TestClient(app) as client:
        tom = bearer(pg_demo, "tom")
        assert client.get("/api/v1/products/a%00b").status_code == 404
        nul = client.post(f"/api/v1/products/{ORDERS}/questions", json={"body": "a\u0000b"}, headers=tom)
        assert nul.status_code == 422 and nul.json()["error"]["type"] == "InvalidInputError"
        big = client.post("/api/v1/questions/99999999999/answers", json={"body": "x"}, headers=tom)
        assert big.status_code == 422
        assert client.get("/api/v1/products", params={"q": "\u0000"}).status_code == 200


def test_concurrent_first_reviews_by_one_author_leave_one_review(pg_market: Marketplace) -> None:
    """Two requests of the same person racing to write their first review: the loser of the insert race
    updates the winner's row instead of failing (the unique constraint on product and author)."""
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(6)

    def rate(stars: int) -> int:
        barrier.wait()
        return pg_market.registry.reviews.rate(CUSTOMER_MASTER, "amara", rating=stars).id

    with ThreadPoolExecutor(6) as pool:
        ids = set(pool.map(rate, [1, 2, 3, 4, 5, 5]))
    assert len(ids) == 1
    reviews = pg_market.registry.reviews.reviews(CUSTOMER_MASTER)
    assert [r.author for r in reviews].count("amara") == 1
