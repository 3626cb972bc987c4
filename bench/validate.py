"""Start-up and `validate` on a multi-interchange file, side by side (issue 14, items 2 and 3).

Run by hand (not in CI):  python bench/validate.py [--rounds 3] [--skip-reference]
Each measurement runs in its own process, in turn, `--rounds` times; wall and CPU time (of the
child) are printed. The multi-interchange file is every fixture 835/837 (fixtures/*/), one
interchange each, concatenated into bench/out/multi.x12. `validate` runs the batched path and
the per-interchange path it replaced (validate_file(..., batch=False)).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def _measure(argv: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-reference", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    files = sorted((ROOT / "fixtures").glob("*/*.83[57]"))
    multi = OUT / "multi.x12"
    multi.write_bytes(b"".join(f.read_bytes().rstrip() + b"\n" for f in files))
    small = ROOT / "fixtures" / "mixed" / "20241021-835-MCRB1-24102110117952.835"
    py = sys.executable
    runs = {
        "python -c 'import click'": [py, "-c", "import click"],
        "edi-engine --version": [py, "-m", "edi_engine", "--version"],
        "edi-engine --help": [py, "-m", "edi_engine", "--help"],
        f"edi-engine parse {small.name} ({small.stat().st_size} B)": [py, "-m", "edi_engine", "parse", str(small)],
        f"edi-engine validate multi.x12 ({len(files)} interchanges, {multi.stat().st_size // 1024} KB)":
            [py, "-m", "edi_engine", "validate", str(multi)],
    }
    if not args.skip_reference:
        runs["the same, one pyx12 run per interchange (batch=False)"] = [
            py, "-c", "from edi_engine.parsers.validation import validate_file; "
            f"validate_file({str(multi)!r}, batch=False)"]
    print(f"load average before: {os.getloadavg()}")
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in runs}
    for _ in range(args.rounds):
        for name, argv in runs.items():
            results[name].append(_measure(argv))
    for name, rs in results.items():
        walls, cpus = sorted(r[0] for r in rs), sorted(r[1] for r in rs)
        print(f"{name}: wall {walls[0]:.3f}-{walls[-1]:.3f} s, cpu {cpus[0]:.3f}-{cpus[-1]:.3f} s")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
