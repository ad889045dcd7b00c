"""Fixtures for the spec tests: the shared, real-world descriptor examples in ``../shared/fixtures``.

Those files sit beside the project (they are inputs written by other projects, copied verbatim); when the
folder is absent the tests that need them skip with a reason instead of failing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
ABSENT = "(../shared/fixtures is absent)"

#: Codec name → the fixture files that are descriptors (or contracts) in that format.
DESCRIPTOR_GLOBS = {
    "dps": ["dps/*.yaml"],
    "odps": ["odps/*.odps.yaml"],
    "odcs": ["odcs/*.odcs.yaml"],
    "dpds": [
        "dpds/*.dpd.json",
        "dpds/odm_dpds_inline_core_example.json",
        "dpds/tripexecution/data-product-descriptor.json",
    ],
}
#: Files in the same folders that are not descriptors: JSON schemas and OPA policy files.
OTHER_GLOBS = {
    "odps": ["odps/*.json"],
    "odcs": ["odcs/*.json"],
    "dpds": ["dpds/*schema*.json", "dpds/odm_policy_*.json"],
}


def _files(globs: dict[str, list[str]]) -> list[tuple[str, str]]:
    if not SHARED_FIXTURES.is_dir():
        return [("-", ABSENT)]
    found = {
        (fmt, path.relative_to(SHARED_FIXTURES).as_posix())
        for fmt, patterns in globs.items()
        for pattern in patterns
        for path in SHARED_FIXTURES.glob(pattern)
    }
    return sorted(found)


@pytest.fixture
def shared_fixtures() -> Path:
    """``../shared/fixtures`` (beside the project), or a skip saying it is missing."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"../shared/fixtures is absent: expected {SHARED_FIXTURES} (real-world descriptor examples)")
    return SHARED_FIXTURES


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests taking ``descriptor_fixture`` / ``other_fixture`` run once per matching shared file.

    The value is ``(codec name, path relative to ../shared/fixtures)``; tests also request
    ``shared_fixtures``, which skips them when the folder is absent.
    """
    for name, globs in (("descriptor_fixture", DESCRIPTOR_GLOBS), ("other_fixture", OTHER_GLOBS)):
        if name in metafunc.fixturenames:
            files = _files(globs)
            metafunc.parametrize(name, files, ids=[rel for _, rel in files])
