"""Web app fixtures: one world database (the `mixed` scenario pack, loaded with store.packs.load_folder
and detected as of 2025-06-30), copied per test so actions never leak between tests; users of
each role; a signed-in in-process client. The app's today is pinned to 2025-08-05, so deadlines
60 days after identification fall due within the queue's 30-day window."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from edi_engine.store import open_store
from edi_engine.store.packs import load_folder
from edi_engine.web import RateLimit, WebConfig, add_user, create_app

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2025-06-30"
TODAY = date(2025, 8, 5)
PASSWORD = "correct horse battery"
USERS = {"rita": "reviewer", "abe": "approver", "ada": "admin"}


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """Argon2 at its production cost takes ~0.5 s a sign-in here; the tests sign in often."""
    from argon2 import PasswordHasher

    from edi_engine.web import auth
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="session")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from edi_engine import outputs
    from edi_engine.rules import detect
    run = getattr(outputs, "detect_with_audit", detect)  # with it, each finding's history opens with "identified"
    path = tmp_path_factory.mktemp("web") / "world.db"
    engine = open_store(f"sqlite:///{path}")
    load_folder(engine, REPO / "fixtures" / "mixed")
    run(engine, as_of=AS_OF)
    for name, role in USERS.items():
        add_user(engine, name, PASSWORD, role)
    engine.dispose()
    return path


@pytest.fixture
def engine(world_db: Path, tmp_path: Path) -> Engine:
    copy = tmp_path / "world.db"
    shutil.copy(world_db, copy)
    return open_store(f"sqlite:///{copy}")


@pytest.fixture
def app(engine: Engine) -> Flask:
    return create_app(engine, WebConfig(today=lambda: TODAY, rate_limit=RateLimit(per_username=5, per_address=8)))


def login_token(client: FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m, page
    return m.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD, *, environ: dict | None = None) -> int:
    token = login_token(client)
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": "/findings"}, environ_base=environ or {})
    return resp.status_code


def page_token(client: FlaskClient, url: str = "/findings") -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert m
    return m.group(1)


@pytest.fixture
def as_user(app: Flask) -> Callable[[str], FlaskClient]:
    def make(username: str) -> FlaskClient:
        client = app.test_client()
        assert sign_in(client, username) == 303
        return client
    return make


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world_url(request: pytest.FixtureRequest, world_db: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seeded world (the `mixed` pack detected, conftest's users) for a module: a copy of `world_db`
    on SQLite, and the same world loaded into a schema of its own on PostgreSQL (EDI_ENGINE_TEST_PG_URL)."""
    if request.param == "sqlite":
        copy = tmp_path_factory.mktemp("world") / "world.db"
        shutil.copy(world_db, copy)
        yield f"sqlite:///{copy}"
        return
    import os
    import uuid

    from sqlalchemy import create_engine, text

    from edi_engine import outputs
    from tests.conftest import PG_ENV, PG_SKIP, _pg_url
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    schema = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = _pg_url(base, schema)
        engine = open_store(url)
        load_folder(engine, REPO / "fixtures" / "mixed")
        outputs.detect_with_audit(engine, as_of=AS_OF)
        for name, role in USERS.items():
            add_user(engine, name, PASSWORD, role)
        engine.dispose()
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
