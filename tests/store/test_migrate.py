"""Schema versions: `db upgrade`, automatic creation of an empty database, refusal of a newer one."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect, text

from edi_engine.cli import main
from edi_engine.errors import InputError
from edi_engine.store import create_store_engine, head_revision, open_store, upgrade
from edi_engine.store.migrate import all_tables_metadata, current_revision


def test_open_store_creates_an_empty_database_at_head(db_url: str) -> None:
    engine = open_store(db_url)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        tables = set(inspect(conn).get_table_names())
    assert {"source_file", "interchange", "claim", "claim_line", "payment", "claim_payment", "service_payment",
            "adjustment", "provider_adjustment", "patient_payment", "fee_schedule", "payer_alias"} <= tables


def test_migrations_build_exactly_the_declared_schema(db_url: str) -> None:
    engine = open_store(db_url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), all_tables_metadata())
    assert diffs == []


def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    engine = create_store_engine(db_url)
    assert upgrade(engine) == (None, head_revision())
    assert upgrade(engine) == (head_revision(), head_revision())


def test_a_newer_schema_is_refused(db_url: str) -> None:
    engine = open_store(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    with pytest.raises(InputError, match="newer than this edi-engine"):
        open_store(db_url)
    with pytest.raises(InputError, match="newer"):
        upgrade(create_store_engine(db_url))


def test_a_foreign_database_is_refused(db_url: str) -> None:
    engine = create_store_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE someone_elses (x INTEGER)"))
    with pytest.raises(InputError, match="no edi-engine schema version"):
        open_store(db_url)


def test_cli_db_upgrade_and_current(db_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--db", db_url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"schema at {head_revision()} (was empty)" in result.output
    result = runner.invoke(main, ["--db", db_url, "db", "current", "--json"])
    assert result.exit_code == 0 and f'"current": "{head_revision()}"' in result.output


def test_cli_refuses_a_newer_schema_with_exit_1(db_url: str) -> None:
    engine = open_store(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    result = CliRunner().invoke(main, ["--db", db_url, "db", "upgrade"])
    assert result.exit_code == 1
    assert "newer than this edi-engine" in result.output


def test_upgrading_a_populated_store_to_0005_keeps_its_rows_and_keys_its_payments(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from edi_engine.store.ingest import ingest_file
    from edi_engine.store.migrate import downgrade
    from edi_engine.store.packs import load_folder
    from tests.store.test_ingest import counts
    from tests.store.x12copies import reenvelope

    pack = Path(__file__).resolve().parents[2] / "fixtures" / "duplicate_payment"
    engine = open_store(db_url)
    load_folder(engine, pack)
    before = counts(db_url)
    downgrade(engine, "0006_deposits")  # a store of the release before payment identity
    assert upgrade(engine) == ("0006_deposits", head_revision())
    assert counts(db_url) == before
    with engine.connect() as conn:
        keyed = conn.execute(text("SELECT count(*) FROM payment_identity")).scalar()
        assert keyed == conn.execute(text("SELECT count(DISTINCT trace_number) FROM payment")).scalar() == 6
    era = sorted(pack.glob("*.835"))[0]
    copy = tmp_path / "again.835"
    copy.write_bytes(reenvelope(era.read_bytes(), 4004))
    r = ingest_file(engine, copy)  # the stored payment has no digest yet: its identity alone decides
    assert (r.status, r.redelivered, r.payments) == ("ingested", 1, 0)
