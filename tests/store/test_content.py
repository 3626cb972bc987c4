"""Kept file contents (store/content.py, read back through store/read.py): every byte and every
segment comes back from the store, across chunk boundaries; a failed file keeps nothing; a database
from before migration 0008 says so and gets the contents when the file is ingested again."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select

from edi_engine.errors import InputError, UsageError
from edi_engine.outputs import corrected_claim_for_finding, decide, detect_with_audit
from edi_engine.rules import explain
from edi_engine.store import content, create_store_engine, open_store, tables, upgrade
from edi_engine.store.account import NOT_KEPT
from edi_engine.store.content import keep_missing, prepare
from edi_engine.store.findings import finding_by_id, update_finding
from edi_engine.store.ingest import ingest_file, ingest_paths
from edi_engine.store.migrate import alembic_config
from edi_engine.store.read import segments_at, stored_file
from edi_engine.store.sourcefile import content_hash
from edi_engine.x12.reader import read_segments
from tests.outputs.conftest import AS_OF, FIXTURES

_SC = tables.source_content
PACK = FIXTURES / "duplicate_payment"


def _file_id(conn, name: str) -> int:  # type: ignore[no-untyped-def]
    sf = tables.source_file
    return int(conn.execute(select(sf.c.id).where(sf.c.name == name)).scalar_one())


def test_bytes_and_segments_come_back_across_chunks(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content, "CHUNK_BYTES", 128)  # many chunks; segments cross their boundaries
    engine = open_store(db_url)
    paths = sorted(str(p) for p in PACK.iterdir() if p.suffix in (".835", ".837"))
    assert not ingest_paths(engine, paths).failed
    with engine.connect() as conn:
        for path in paths:
            data = Path(path).read_bytes()
            segments = list(read_segments(data))
            file_id = _file_id(conn, path)
            chunks = conn.execute(select(func.count()).where(_SC.c.source_file_id == file_id)).scalar_one()
            assert chunks == -(-len(data) // 128)
            stream = stored_file(conn, file_id)
            assert stream is not None and stream.read() == data
            terminator = data[105:106].decode()
            found = segments_at(conn, [(file_id, s.offset) for s in segments])
            for s in segments:
                end = data.index(terminator.encode(), s.offset)
                assert end - s.offset < 128  # a segment spans at most two chunks (1 MiB chunks, 64 KiB segments)
                assert found[(file_id, s.offset)] == data[s.offset:end].decode("latin-1").strip() + terminator
            assert segments_at(conn, [(file_id, len(data) + 10)]) == {(file_id, len(data) + 10): None}


def test_a_failed_file_keeps_no_contents(db_url: str, tmp_path: Path) -> None:
    engine = open_store(db_url)
    whole = (PACK / "20241007-837P-0001.837").read_bytes()
    bad = tmp_path / "bad.837"  # a sub-cent CLM02 fails the file after its first claims were written
    bad.write_bytes(re.sub(rb"(CLM\*[^*]+\*)[0-9.]+", rb"\g<1>1.001", whole, count=1))
    assert ingest_file(engine, bad).status == "failed"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(_SC)).scalar_one() == 0


def test_contents_must_be_the_bytes_hashed(tmp_path: Path) -> None:
    path = tmp_path / "a.837"
    path.write_bytes((PACK / "20241007-837P-0001.837").read_bytes())
    digest, _ = content_hash(path)
    path.write_bytes(path.read_bytes() + b"\n")  # the file changed after it was hashed
    with pytest.raises(InputError, match="changed while it was being ingested"):
        prepare(path, digest, eager=True)


def test_a_database_from_before_kept_contents(db_url: str, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    shutil.copytree(PACK, drop)
    files = sorted(str(p) for p in drop.iterdir() if p.suffix in (".835", ".837"))
    engine = create_store_engine(db_url)
    with engine.begin() as conn:  # files ingested by an edi-engine that kept no contents: the revision before
        command.upgrade(alembic_config(conn), "0007_identity")
        _SC.create(conn)
    assert not ingest_paths(engine, files).failed
    with engine.begin() as conn:
        _SC.drop(conn)
    assert upgrade(engine)[0] == "0007_identity"
    detect_with_audit(engine, as_of=AS_OF)
    with engine.connect() as conn:
        e = explain(conn, 1)
    assert e.segments and all(s.text is None and s.note == NOT_KEPT for s in e.segments)
    decide(engine, 1, "approve", by="ed")  # a corrected claim follows the approval
    with pytest.raises(UsageError, match="ingested before the store kept file contents"):
        corrected_claim_for_finding(engine, 1)

    summary = ingest_paths(engine, files)  # the same files again: already stored, their contents kept now
    assert summary.count("already ingested") == len(files)
    with engine.connect() as conn:
        e = explain(conn, 1)
    assert e.segments and all(s.text and s.note == "" for s in e.segments)
    assert corrected_claim_for_finding(engine, 1).startswith(b"ISA")
    digest, _ = content_hash(files[0])
    assert keep_missing(engine, digest, files[0]) is False  # kept once


def test_evidence_written_before_file_ids_is_found_by_name(db_url: str) -> None:
    engine = open_store(db_url)
    paths = sorted(str(p) for p in PACK.iterdir() if p.suffix in (".835", ".837"))
    assert not ingest_paths(engine, paths).failed
    detect_with_audit(engine, as_of=AS_OF)
    with engine.begin() as conn:
        row = finding_by_id(conn, 1)
        assert row is not None and '"file_id"' in row.evidence
        evidence = json.loads(row.evidence)
        for rec in evidence["records"]:
            rec.pop("file_id", None)
        update_finding(conn, 1, {"evidence": json.dumps(evidence)})
    with engine.connect() as conn:
        e = explain(conn, 1)
    assert e.segments and all(s.text and s.text.startswith(("CLP*", "SVC*", "CLM*", "PLB*")) for s in e.segments)


def test_a_large_file_streams_its_contents_inside_the_transaction(db_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from edi_engine.store import ingest
    monkeypatch.setattr(ingest, "PREPARSE_BYTES", 0)  # every file takes the path of files over 32 MiB
    monkeypatch.setattr(content, "CHUNK_BYTES", 1000)
    engine = open_store(db_url)
    path = str(PACK / "20241007-837P-0001.837")
    assert ingest_file(engine, path).status == "ingested"
    with engine.connect() as conn:
        stream = stored_file(conn, _file_id(conn, path))
        assert stream is not None and stream.read() == Path(path).read_bytes()
