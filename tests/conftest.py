"""Suite-wide fixtures: a real PostgreSQL server for the session, and the shared fixtures dir."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/ has no __init__.py; put it on the path so that `import pgserver` works from anywhere.
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import pgserver  # noqa: E402


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return Path(os.environ.get("ARIANE_FIXTURES", TESTS.parent.parent / "shared" / "fixtures"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.PgServer]:
    """One throw-away cluster per test process (each xdist worker has its own)."""
    try:
        server = pgserver.PgServer()
    except pgserver.PgUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server: pgserver.PgServer) -> str:
    """libpq URL (password included) of the session's test database."""
    return pg_server.url()


@pytest.fixture
def pg_db(pg_server: pgserver.PgServer) -> Iterator[str]:
    """libpq URL of a fresh, empty database, dropped after the test."""
    name = pg_server.create_database()
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)
