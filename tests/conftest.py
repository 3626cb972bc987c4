"""Shared test fixtures: the public sample corpus beside the repository, and `db_url`.

`db_url` runs a store-backed test against SQLite and, when EDI_ENGINE_TEST_PG_URL is set,
PostgreSQL. Each PostgreSQL test gets its own schema (search_path set through the URL's libpq
`options`), so runs and tests never see each other's rows; subprocesses given the URL land in the
same schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus, present in the project's workplace and CI but not in a user's own clone."""
    if not CORPUS.is_dir():
        pytest.skip(f"no sample corpus at {CORPUS} (it lives beside the repository, not in it)")
    return CORPUS


PG_ENV = "EDI_ENGINE_TEST_PG_URL"
PG_SKIP = (f"PostgreSQL tests need a server: set {PG_ENV}, e.g. "
           "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_url(base: str, schema: str) -> str:
    url = make_url(base)
    query = dict(url.query)
    query["options"] = f"-csearch_path={schema}"
    return url.set(query=query).render_as_string(hide_password=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL server, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    schema = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path / "store.db")
    return request.getfixturevalue("pg_url")

