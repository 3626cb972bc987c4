"""Store-backed ledger tests run on SQLite and, with EDI_ENGINE_TEST_PG_URL set, PostgreSQL:
the store helper's fixtures, reused as they are."""

from tests.store.conftest import db_url, pg_url  # noqa: F401
