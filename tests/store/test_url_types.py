"""Database URLs and the money boundary (Decimal <-> integer cents)."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest

from edi_engine.errors import InputError, UsageError
from edi_engine.store import from_cents, resolve_url, to_cents
from edi_engine.store.url import safe_url


def test_default_is_sqlite_file_in_current_folder(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("EDI_ENGINE_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    url = resolve_url(None)
    assert url.drivername == "sqlite" and url.database == os.path.join(str(tmp_path), "edi-engine.db")


def test_env_variable_is_used_when_no_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDI_ENGINE_DB", "sqlite:////tmp/x.db")
    assert resolve_url(None).database == "/tmp/x.db"
    assert resolve_url("sqlite:////tmp/y.db").database == "/tmp/y.db"


@pytest.mark.parametrize("given", ["postgresql://u:secret@h/db", "postgres://u:secret@h/db",
                                   "postgresql+psycopg://u:secret@h/db"])
def test_postgres_urls_use_psycopg(given: str) -> None:
    url = resolve_url(given)
    assert url.drivername == "postgresql+psycopg" and url.database == "db"
    assert "secret" not in safe_url(url)


@pytest.mark.parametrize("given", ["mysql://h/db", "postgresql+asyncpg://h/db", "not a url"])
def test_unsupported_urls_are_usage_errors(given: str) -> None:
    with pytest.raises(UsageError):
        resolve_url(given)


@pytest.mark.parametrize("value,cents", [("0", 0), ("12.5", 1250), ("-100.01", -10001), ("1E+2", 10000),
                                         ("99999999999.99", 9999999999999)])
def test_cents_round_trip_exactly(value: str, cents: int) -> None:
    assert to_cents(Decimal(value)) == cents
    assert from_cents(cents) == Decimal(value)


def test_sub_cent_amounts_are_rejected_not_rounded() -> None:
    with pytest.raises(InputError, match="more than two decimal places"):
        to_cents(Decimal("1.005"))
    assert to_cents(Decimal("1.500")) == 150
