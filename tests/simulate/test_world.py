"""generate_world: deterministic bytes, streaming to a directory in chunks, the simulate command."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi_engine.cli import main
from edi_engine.errors import UsageError
from edi_engine.parsers import parse_file
from edi_engine.simulate import generate_world, load_expected
from edi_engine.simulate.world import MemorySink


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name])
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    a = generate_world(120, 5).contents
    b = generate_world(120, 5).contents
    c = generate_world(120, 6).contents
    assert a is not None and b is not None and c is not None
    assert _digest(dict(a)) == _digest(dict(b))
    assert _digest(dict(a)) != _digest(dict(c))


def test_streams_to_a_directory_in_chunks(tmp_path: Path) -> None:
    world = generate_world(400, 8, out=tmp_path, chunk_claims=50)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(world.files)
    assert {"fee_schedule.csv", "expected.json", "README.md", "patient_payments.csv"} <= set(names)
    claims_837 = 0
    for name in names:
        if name.endswith(".837"):
            run = parse_file(tmp_path / name)
            n = sum(1 for item in run if type(item).__name__ == "Claim837")
            assert 0 < n <= 50 and not run.problems
            claims_837 += n
    assert claims_837 == world.counts["submissions"]
    assert world.counts["claims"] >= 400
    assert load_expected(tmp_path / "expected.json").findings == world.findings


def test_chunk_size_does_not_change_the_remittances_or_truth() -> None:
    small = MemorySink()
    big = MemorySink()
    a = generate_world(150, 9, out=small, chunk_claims=10)
    b = generate_world(150, 9, out=big, chunk_claims=5000)
    assert a.findings == b.findings
    assert {k: v for k, v in small.files.items() if k.endswith(".835")} == \
        {k: v for k, v in big.files.items() if k.endswith(".835")}


def test_aliased_payer_gets_an_alias_file() -> None:
    world = generate_world(5, 114, scenario="payer_alias")
    assert world.contents is not None
    assert world.contents["payer_aliases.csv"] == b"alias,payer_id\nPPN835,PPN04\n"
    assert any("-835-PPN835-" in name for name in world.files)
    assert [f.payer_id for f in world.findings] == ["PPN04"]


def test_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        generate_world(0, 1)
    with pytest.raises(UsageError):
        generate_world(5, 1, scenario="no_such_thing")


def test_simulate_command(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = CliRunner().invoke(main, ["simulate", "--claims", "30", "--seed", "4", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "30 claims" in result.output or "31 claims" in result.output or "32 claims" in result.output
    assert (out / "expected.json").is_file()
    bad = CliRunner().invoke(main, ["simulate", "--claims", "3", "-o", str(out), "--scenario", "nope"])
    assert bad.exit_code == 2


def test_provider_refunds_are_written_as_the_issued_checks_register() -> None:
    from edi_engine.outputs.refunds import REGISTER_COLUMNS

    world = generate_world(40, 3, mix={"normal": 1.0, "provider_refund": 1.0})
    assert world.contents is not None
    lines = world.contents["refunds.csv"].decode().splitlines()
    assert tuple(lines[0].split(",")) == REGISTER_COLUMNS  # what `refunds post` reads
    refunded = sorted((f.claim_id, f.payer_id, f.amount) for f in world.findings if f.status == "refunded")
    rows = sorted((r[2], r[3], r[6]) for r in (line.split(",") for line in lines[1:]))
    assert rows == refunded and len(rows) == sum(n for k, n in world.situations.items()
                                                 if k.startswith("provider_refund:"))


def test_an_unknown_situation_in_the_mix_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        generate_world(5, 1, mix={"normal": 1.0, "no_such_thing": 1.0})
