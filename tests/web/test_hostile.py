"""Every route of the app (read from app.url_map, so a new route is covered when it is added) with
hostile values in its path, its query string and its form fields, signed out and signed in as an
admin: each answer is a 2xx, 3xx or 4xx page, never a 500. The parameter names are read from the
web package's source (every `.get("name")`), so a new filter or form field is covered too.
On PostgreSQL (EDI_ENGINE_TEST_PG_URL) the same run goes against a PostgreSQL world, where a NUL
byte reaching the database is an error of its own."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.datastructures import ImmutableMultiDict

from edi_engine.web import RateLimit, WebConfig, add_user, create_app
from tests.conftest import PG_ENV, PG_SKIP, _pg_url
from tests.web.conftest import PASSWORD, REPO, TODAY, login_token, page_token, sign_in

WEB = REPO / "edi_engine" / "web"
HOSTILE = [
    "99999999999999999999999", "-1", "0", "2147483648", "9" * 5000, "1e309", "-1e309", "NaN", "sNaN", "inf",
    "-Infinity", "1e-309", "0x10", "1_000", "a\x00b", "\x00", "line\nbreak", "\r\nSet-Cookie: x=1",
    "/findings\r\nX-Evil: 1", "/a\nb", "/\t/evil.example", "/%09/evil.example", "\\\\evil.example",
    "https://evil.example", "%00", "'; DROP TABLE finding; --", "<script>alert(1)</script>", "../../../etc/passwd",
    "x" * 5000, "\u202e\u0000", "\U0001f600", "\ufffd", " ", "9999-99-99", "-99999999",
]


# Each one tried alone in every parameter a route reads (the others benign, so validation reaches it).
ALONE = ["99999999999999999999999", "999999", "36501", "1e309", "NaN", "-inf", "a\x00b", "line\nbreak",
         "/%09/evil.example", "x" * 5000, "-99999999", "9999-99-99"]
# What a parameter holds while another is under test: enough for a route to read on.
BENIGN = {"action": "dismiss", "to": "payer", "mode": "replace", "role": "reviewer", "proposal": "refund",
          "status": "all", "username": "hostile-probe", "password": "plum kettle organ 88", "note": "n"}


class _Recording(ImmutableMultiDict[str, str]):
    """Query and form storage that notes which names the route in hand reads."""

    read: ClassVar[set[str]] = set()

    def get(self, key, default=None, type=None):  # type: ignore[no-untyped-def, override]
        _Recording.read.add(key)
        return super().get(key, default, type)

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        _Recording.read.add(key)
        return super().__getitem__(key)

    def getlist(self, key, type=None):  # type: ignore[no-untyped-def, override]
        _Recording.read.add(key)
        return super().getlist(key, type)


def _param_names() -> set[str]:
    names = set()
    for source in WEB.glob("*.py"):
        names |= set(re.findall(r"""\.get\(\s*["']([a-z_]+)["']""", source.read_text()))
    return names - {"csrf_token"} | {"next", "msg", "page"} | set(BENIGN)


def _rules(app: Flask) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, rule) for every rule but static files."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, rule.rule


def _path(rule: str, value: str) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?[a-z_]+>", quote(value, safe=""), rule)


class _Sweep:
    def __init__(self, app: Flask, client: FlaskClient, signed_in: bool) -> None:
        self.client, self.signed_in = client, signed_in
        self.failures: list[str] = []
        self.reads: dict[tuple[str, str], set[str]] = {}
        self.count = 0
        app.request_class = type("Recording", (app.request_class,), {"parameter_storage_class": _Recording})

    def send(self, endpoint: str, method: str, path: str, data: dict[str, str], label: str) -> None:
        if endpoint == "web.logout" and self.signed_in:
            return  # swept on its own in _run: it ends the session the others need
        _Recording.read = set()
        self.count += 1
        if method == "GET":
            resp = self.client.get(path, query_string=data)
        else:
            token = page_token(self.client) if self.signed_in else login_token(self.client)
            _Recording.read = set()
            resp = self.client.post(path, data={**data, "csrf_token": token})
        self.reads.setdefault((endpoint, method), set()).update(_Recording.read - {"csrf_token"})
        if resp.status_code >= 500 and resp.status_code != 503:  # 503: an installation without outputs
            self.failures.append(f"{method} {path[:50]!r} {label[:60]!r}: {resp.status_code}")


def _sweep(app: Flask, client: FlaskClient, signed_in: bool, hostile: list[str], alone: list[str]) -> list[str]:
    sweep, names = _Sweep(app, client, signed_in), _param_names()
    for i, value in enumerate(hostile):
        if not signed_in:  # each value from its own address, so sign-in throttling does not answer first
            client.environ_base["REMOTE_ADDR"] = f"10.66.0.{i + 1}"
        for endpoint, method, rule in _rules(app):
            sweep.send(endpoint, method, _path(rule, value), dict.fromkeys(names, value), f"all={value}")
            sweep.send(endpoint, method, _path(rule, "1"), dict(BENIGN), f"path={value}")
    for i, value in enumerate(alone):
        if not signed_in:
            client.environ_base["REMOTE_ADDR"] = f"10.67.0.{i + 1}"
        for endpoint, method, rule in _rules(app):
            for name in sorted(sweep.reads.get((endpoint, method), set())):
                sweep.send(endpoint, method, _path(rule, "1"), {**BENIGN, name: value}, f"{name}={value}")
    assert sweep.count > 20 * len(hostile) and any(sweep.reads.values())
    return sweep.failures


def _run(app: Flask, hostile: list[str] = HOSTILE, alone: list[str] = ALONE) -> None:
    stranger = app.test_client()
    failures = _sweep(app, stranger, False, hostile, alone)
    admin = app.test_client()
    assert sign_in(admin, "ada") == 303
    failures += _sweep(app, admin, True, hostile, alone)
    for value in HOSTILE[:6]:
        resp = admin.post("/logout", data={"next": value, "csrf_token": page_token(admin)})
        assert resp.status_code == 303
        assert sign_in(admin, "ada") == 303
    assert failures == []


def test_no_route_answers_500_to_hostile_values(app: Flask) -> None:
    _run(app)


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    from edi_engine import outputs
    from edi_engine.rules import detect
    from edi_engine.store import open_store
    from edi_engine.store.packs import load_folder
    schema = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = open_store(_pg_url(base, schema))
        load_folder(engine, Path(REPO) / "fixtures" / "mixed")
        getattr(outputs, "detect_with_audit", detect)(engine, as_of="2025-06-30")
        add_user(engine, "ada", PASSWORD, "admin")
        yield create_app(engine, WebConfig(today=lambda: TODAY, rate_limit=RateLimit(per_username=5,
                                                                                    per_address=8)))
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_no_route_answers_500_to_hostile_values_on_postgresql(pg_app: Flask) -> None:
    # What PostgreSQL refuses where SQLite does not: NUL bytes, numbers past INTEGER and BIGINT.
    values = ["a\x00b", "\x00", "\u202e\u0000", "99999999999999999999999", "2147483648", "1e309", "-99999999",
              "999999", "9999-99-99"]
    _run(pg_app, values, values)
