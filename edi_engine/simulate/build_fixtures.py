"""Regenerate fixtures/: one pack per entry of packs.PACKS plus fixtures/mixed, deterministically.

    python -m edi_engine.simulate.build_fixtures [ROOT]      (default: <repo>/fixtures)
    python -m edi_engine.simulate.build_fixtures --check     (exit 1 when fixtures/ differs)

Owns only which pack goes in which folder: each pack is `generate_world` with the pack's seed and
claim count, so a pack on disk always equals what this script writes. A pack folder is emptied of
generated files before it is rewritten; other folders under fixtures/ are left alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

from edi_engine.simulate import bank
from edi_engine.simulate.packs import MIXED_MIX, MIXED_PACK, PACKS
from edi_engine.simulate.world import MemorySink, generate_world

__all__ = ["MIXED", "build_fixtures", "expected_packs", "pack_contents"]

MIXED = "mixed"
_GENERATED_SUFFIXES = (".835", ".837", ".csv", ".json", ".md", ".bai2")


def pack_contents(name: str) -> dict[str, bytes]:
    """The files of pack `name` (a PACKS key or "mixed"), in memory."""
    sink = MemorySink()
    if name == MIXED:
        generate_world(MIXED_PACK.claims, MIXED_PACK.seed, out=sink, mix=MIXED_MIX, leading=MIXED_PACK.instances)
    elif name == bank.PACK:  # a world and its bank statement (simulate/bank.py)
        claims, seed, scenario = bank.PACK_WORLD
        generate_world(claims, seed, out=sink, scenario=scenario)
        return bank.pack_files(sink.files, {"seed": seed, "claims": claims, "scenario": bank.PACK,
                                            "world": scenario})
    else:
        pack = PACKS[name]
        generate_world(pack.claims, pack.seed, out=sink, scenario=name)
    return sink.files


def expected_packs() -> list[str]:
    return sorted([*PACKS, bank.PACK]) + [MIXED]


def build_fixtures(root: str | Path) -> list[Path]:
    """Write every pack under `root`; returns the pack folders."""
    root = Path(root)
    written = []
    for name in expected_packs():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if old.is_file() and old.suffix in _GENERATED_SUFFIXES:
                old.unlink()
        for file, data in pack_contents(name).items():
            (folder / file).write_bytes(data)
        written.append(folder)
    return written


def _differences(root: Path) -> list[str]:
    out = []
    for name in expected_packs():
        folder = root / name
        want = pack_contents(name)
        have = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}
        have = {k: v for k, v in have.items() if Path(k).suffix in _GENERATED_SUFFIXES}
        for file in sorted(set(want) | set(have)):
            if want.get(file) != have.get(file):
                out.append(f"{name}/{file}")
    return out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if any(a.startswith("-") for a in args) or len(args) > 1:
        # A flag taken as the output folder once committed a folder named "--help" of packs.
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    root = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "fixtures"
    if check:
        diffs = _differences(root)
        for d in diffs:
            print(f"differs: {d}")
        return 1 if diffs else 0
    for folder in build_fixtures(root):
        print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
