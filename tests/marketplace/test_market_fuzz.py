"""The marketplace API fuzzed from its own OpenAPI document with schemathesis: whatever a client sends — odd
ids, out-of-range numbers, unicode, missing bodies — the API never answers 5xx, answers only the status codes
it documents, and its bodies match the documented schemas.

Bounded to stay quick (a few examples per operation, derandomized so a failure replays the same way).
Writes are sent with a real token for a mesh user, so they reach the service rather than stopping at 401.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from market_kit import bearer
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from meshplane.registry import ENV_VAR
from meshplane.web.app import create_app

INVOICES = "urn:dmb:dp:billing:invoices:1"


@pytest.fixture(scope="module")
def api_schema(demo: Path) -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_VAR, raising=False)
        app = create_app(demo, environment="dev")
        loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
        yield loaded.include(path_regex=r"^/api/v1/")


@pytest.fixture(scope="module")
def headers(demo: Path) -> dict[str, str]:
    return bearer(demo, "li")  # an owner in billing: accepting answers is tried for real too


CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def test_api_never_answers_a_server_error(api_schema: Any, headers: dict[str, str]) -> None:
    """Every operation, with valid (positive) and schema-violating (negative) requests. Driven by hand rather
    than by ``schemathesis.pytest.from_fixture``, whose lazy loader does not run under pytest 9."""
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    market = api_schema.app.state.marketplace
    question = market.ask(INVOICES, "tom", "Is VAT included?")
    answer = market.answer(question.id, "li", "No, amounts are net.")
    known = {"dp_id": INVOICES, "port": "invoices", "name": "billing", "question_id": question.id}
    known["answer_id"] = answer.id
    for operation in operations:
        # Random path ids mostly miss (404); a third pass sends real ones so valid requests reach the service.
        real = {p.name: known[p.name] for p in operation.path_parameters if p.name in known}
        passes = [(GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None)]
        if real:
            passes.append((GenerationMode.POSITIVE, real))
        for mode, path_parameters in passes:

            @settings(
                max_examples=8,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            def check(case: Any) -> None:
                statuses[case.call_and_validate(headers=dict(headers), checks=CHECKS).status_code] += 1

            try:
                check()
            except Unsatisfiable:  # nothing to break in an operation without parameters
                assert mode is GenerationMode.NEGATIVE and not operation.path_parameters and not operation.query
            except Exception as exc:  # collect every operation's failure, not just the first
                failures.append(f"{operation.label} ({mode.value}): {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
    # The fuzzing reached the service, not only the validation layer: answers, misses and refusals all seen.
    assert statuses[200] >= len(operations) and statuses[201] and statuses[404] and statuses[422], statuses
