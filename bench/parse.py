"""Parse speed and memory: our reader to typed claims and to JSON against the pure-Python floor,
pyx12 and edi-835-parser.

Run by hand (not in CI):  python bench/parse.py [--mb 50] [--compare-mb 3] [--rounds 3]
Generates a balanced 835 of at least --mb megabytes in bench/out/, then measures, each in its own
subprocess so that peak RSS is that measurement's alone:
  typed      edi_engine.parsers.parse_file -> typed ClaimPayment models (the real path)
  segments   edi_engine.x12.read_segments only (tokenizer + envelope checks)
  split      naive bytes.split of segments then elements, in 1 MB chunks (the pure-Python floor)
  pyx12-reader / pyx12-context   pyx12's X12Reader and X12ContextReader on a ~1 MB slice
Then, side by side in --rounds interleaved rounds on one --compare-mb 835 of a single check
(edi-835-parser reads one payer per file):
  split      the floor again, on this file
  typed      parse_file alone again, on this file (what json costs beyond it is the export)
  json       what `edi-engine parse --format json` does: parse_file -> export.write_json to a file
  jsonl / xml            the same for --format jsonl and --format xml
  json-before / xml-before   the export before msgspec (tests/parsers/_export_reference.py), same models
  edi-835-parser         edi_835_parser.parse(file).to_dataframe(), the PyPI package, installed
                         here in bench/out/edi835-venv unless this Python can import it
Imports are done before the clock starts in these (pandas' import would swamp edi-835-parser's).
With --against DIR (another checkout, e.g. main), instead, side by side on the --mb file in --rounds
interleaved rounds: the floor, then the tokenizer and typed claims of DIR, of this tree, and of this
tree with EDI_ENGINE_PURE_TOKENIZER=1 (the pure-Python tokenizer, as without a compiler).
Record the figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
# Run from a checkout without installing: the package is the folder above.
sys.path.insert(0, str(OUT.parent.parent))


def _claim(i: int) -> list[str]:
    lines = 1 + i % 3
    charge, co45, pr2 = 125, 31.25, 18.75
    paid = charge - co45 - pr2
    segs = [
        f"CLP*PCN{i:08d}*1*{charge * lines:.2f}*{paid * lines:.2f}*{pr2 * lines:.2f}*12*PCC{i:010d}*11*1",
        f"NM1*QC*1*DOE{i % 997}*JANE****MI*M{i:09d}",
        "NM1*82*1*SMITH*JOHN****XX*1234567893",
        "DTM*232*20260105",
        "DTM*233*20260105",
    ]
    for n in range(lines):
        segs += [
            f"SVC*HC:9921{n + 3}:25*{charge:.2f}*{paid:.2f}**1",
            "DTM*472*20260105",
            f"CAS*CO*45*{co45:.2f}",
            f"CAS*PR*2*{pr2:.2f}",
            f"REF*6R*L{i:08d}{n}",
            f"AMT*B6*{charge - co45:.2f}",
            "LQ*HE*N130",
        ]
    return segs


def generate(path: Path, min_bytes: int, claims_per_check: int = 5000) -> int:
    """Write a balanced 835 file of at least min_bytes; returns the number of claims."""
    isa = "ISA*00*          *00*          *ZZ*PAYERID        *ZZ*PROVIDERID     *260110*1200*^*00501*{:09d}*0*P*:~\n"
    written, claims, check = 0, 0, 0
    with open(path, "w", encoding="ascii", newline="") as out:
        while written < min_bytes:
            check += 1
            body = []
            total = 0.0
            for _ in range(claims_per_check):
                segs = _claim(claims)
                lines = 1 + claims % 3
                total += 75.0 * lines
                claims += 1
                body += segs
            head = [
                f"BPR*I*{total:.2f}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260110",
                f"TRN*1*EFT{check:08d}*1512345678", "DTM*405*20260109",
                # N104 numeric: edi-835-parser reads it as an int (compare_figures)
                "N1*PR*ACME HEALTH PLAN*XV*12345", "N3*1 MAIN ST", "N4*SPRINGFIELD*IL*62701",
                "PER*BL*EDI DESK*TE*5555550100",
                "N1*PE*GOOD CLINIC*XX*1234567893", "LX*1",
            ]
            segments = head + body
            text = isa.format(check) + f"GS*HP*PAYERID*PROVIDERID*20260110*1200*{check}*X*005010X221A1~\n"
            text += f"ST*835*{check:04d}*005010X221A1~\n" + "".join(s + "~\n" for s in segments)
            text += f"SE*{len(segments) + 2}*{check:04d}~\nGE*1*{check}~\nIEA*1*{check:09d}~\n"
            out.write(text)
            written += len(text)
    return claims


EDI835 = "edi-835-parser==1.8.0"  # the version measured in bench/RESULTS.md


def _export(kind: str, path: str) -> dict[str, float]:
    from edi_engine.parsers import TransactionEnd, TransactionStart, UnmodelledSet, export, parse_file

    if kind.endswith("-before"):
        sys.path.insert(0, str(OUT.parent.parent / "tests" / "parsers"))
        import _export_reference as before  # type: ignore[import-not-found]

    target = OUT / f"bench-out.{kind}"
    claims = 0

    def counted(items: object) -> object:
        nonlocal claims
        for item in items:  # type: ignore[attr-defined]
            if not isinstance(item, (TransactionStart, TransactionEnd, UnmodelledSet)):
                claims += 1
            yield item

    start, cpu = time.perf_counter(), time.process_time()
    run = parse_file(path, keep_unmodelled=True)
    if kind == "json-before":
        with open(target, "w", encoding="utf-8") as text_out:
            before.write_json(counted(run), text_out)
    elif kind == "xml-before":
        with open(target, "wb") as out:
            before.write_xml(counted(run), out)
    else:
        writer = {"json": export.write_json, "jsonl": export.write_jsonl, "xml": export.write_xml}[kind]
        with open(target, "wb") as out:
            writer(counted(run), out)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "bytes": os.path.getsize(path), "claims": claims,
            "output_mb": target.stat().st_size / 1e6, "peak_rss_mb": _peak_rss_mb()}


def _edi835(path: str) -> dict[str, float]:
    from edi_835_parser import parse

    start, cpu = time.perf_counter(), time.process_time()
    sets = parse(path)
    frame = sets.to_dataframe()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    claims = sum(len(s.claims) for s in sets)
    return {"seconds": seconds, "cpu_seconds": cpu, "bytes": os.path.getsize(path), "claims": claims,
            "rows": len(frame),
            "peak_rss_mb": _peak_rss_mb()}


def edi835_python() -> str:
    """A Python that imports edi_835_parser: this one, or bench/out/edi835-venv made here."""
    probe = subprocess.run([sys.executable, "-c", "import edi_835_parser"], capture_output=True)
    if probe.returncode == 0:
        return sys.executable
    env = OUT / "edi835-venv"
    python = env / "bin" / "python"
    if not python.exists():
        print(f"installing {EDI835} into {env} ...", flush=True)
        venv.create(env, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", EDI835], check=True)
    return str(python)


def measure(kind: str, path: str) -> dict[str, float]:
    if kind in ("json", "jsonl", "xml", "json-before", "xml-before"):
        return _export(kind, path)
    if kind == "edi-835-parser":
        return _edi835(path)
    size = os.path.getsize(path)
    if kind in ("typed", "segments"):  # imported before the clock, like every other measurement
        import edi_engine.parsers.x221a1_835
        import edi_engine.x12  # noqa: F401
    start, cpu = time.perf_counter(), time.process_time()
    claims = 0
    if kind == "typed":
        from edi_engine.parsers import TransactionEnd, TransactionStart, parse_file

        for item in parse_file(path):
            if not isinstance(item, (TransactionStart, TransactionEnd)):
                claims += 1
    elif kind == "segments":
        from edi_engine.x12 import read_segments

        for seg in read_segments(path):
            if seg.id == "CLP":
                claims += 1
    elif kind == "split":
        with open(path, "rb") as f:
            tail = b""
            while chunk := f.read(1 << 20):
                pieces = (tail + chunk).split(b"~")
                tail = pieces.pop()
                for piece in pieces:
                    elements = piece.strip().split(b"*")
                    if elements[0] == b"CLP":
                        claims += 1
    elif kind == "pyx12-reader":
        import pyx12.x12file

        for seg in pyx12.x12file.X12Reader(path):
            if seg.get_seg_id() == "CLP":
                claims += 1
    elif kind == "pyx12-context":
        import pyx12.error_handler
        import pyx12.params
        import pyx12.x12context

        reader = pyx12.x12context.X12ContextReader(pyx12.params.params(), pyx12.error_handler.errh_null(), path)
        for node in reader.iter_segments("2100"):
            if node.id == "2100":
                claims += 1
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "bytes": size, "claims": claims, "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    # VmHWM belongs to this process image alone; ru_maxrss would carry over the parent's peak
    # across fork and exec (Linux keeps it), hiding any measurement below the parent's size.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_child(kind: str, path: Path, python: str = sys.executable, script: str = __file__,
              env: dict[str, str] | None = None) -> dict[str, float]:
    proc = subprocess.run([python, script, "--measure", kind, str(path)], stdout=subprocess.PIPE, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed")
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=50.0, help="size of the generated 835 (default 50)")
    parser.add_argument("--slice-mb", type=float, default=1.0, help="size of the slice given to pyx12 (default 1)")
    parser.add_argument("--compare-mb", type=float, default=3.0,
                        help="size of the single-check 835 for json against the floor and edi-835-parser (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the side-by-side (default 3)")
    parser.add_argument("--skip-typed", action="store_true", help="only the side-by-side (no --mb file)")
    parser.add_argument("--against", metavar="DIR",
                        help="another checkout: floor, tokenizer and typed of it and of this tree, side by side")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    OUT.mkdir(exist_ok=True)
    if args.against:
        against_figures(args)
        return
    if not args.skip_typed:
        typed_figures(args)
    compare_figures(args)


def _row(kind: str, r: dict[str, float]) -> str:
    mb = r["bytes"] / 1e6
    return (f"{kind:<15} {mb:>8.1f} {r['seconds']:>8.2f} {mb / r['seconds']:>8.2f} "
            f"{r['claims'] / r['seconds']:>10.0f} {r['peak_rss_mb']:>12.1f}")


def compare_figures(args: argparse.Namespace) -> None:
    path = OUT / "bench-compare.835"
    claims = generate(path, int(args.compare_mb * 1e6), claims_per_check=int(args.compare_mb * 2500))
    python = edi835_python()
    print(f"\ngenerated {path.name}: {path.stat().st_size / 1e6:.2f} MB, {claims} claims, one check; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'measurement':<15} {'file MB':>8} {'seconds':>8} {'MB/s':>8} {'claims/s':>10} {'peak RSS MB':>12} "
          f"{'CPU MB/s':>8} {'out MB':>7}")
    kinds = ("split", "typed", "json", "edi-835-parser", "jsonl", "xml", "json-before", "xml-before")
    # MB/s by wall clock and by CPU time of the measuring process: on a shared machine the second
    # moves less with the load (both are printed; RESULTS.md says which it quotes).
    wall: dict[str, list[float]] = {k: [] for k in kinds}
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    for n in range(args.rounds):
        for kind in kinds:
            r = run_child(kind, path, python if kind == "edi-835-parser" else sys.executable)
            wall[kind].append(r["bytes"] / 1e6 / r["seconds"])
            cpu[kind].append(r["bytes"] / 1e6 / r["cpu_seconds"])
            print(_row(kind, r) + f" {cpu[kind][-1]:>8.2f}" + (f" {r['output_mb']:>7.1f}" if "output_mb" in r else ""),
                  flush=True)
        print(f"-- round {n + 1}: load average {os.getloadavg()[0]:.1f}", flush=True)
    for label, rates in (("wall clock", wall), ("CPU time", cpu)):
        def ratio(a: str, b: str, rates: dict[str, list[float]] = rates) -> str:
            values = sorted(x / y for x, y in zip(rates[a], rates[b], strict=True))
            return f"{statistics.median(values):.3f} ({values[0]:.3f}-{values[-1]:.3f})"
        print(f"by {label}, median (range) of {args.rounds} rounds: json at {ratio('json', 'split')} of the floor's "
              f"MB/s (target at least 0.25); {ratio('json', 'edi-835-parser')}x edi-835-parser (target at least 3); "
              f"{ratio('json', 'json-before')}x the export before msgspec; {ratio('json', 'typed')} of typed parse "
              f"alone; jsonl {ratio('jsonl', 'json')} and xml {ratio('xml', 'json')} of json; xml "
              f"{ratio('xml', 'xml-before')}x the XML export before")


def against_figures(args: argparse.Namespace) -> None:
    """The floor, and the tokenizer and typed claims of `--against` and of this tree, in interleaved rounds."""
    big = OUT / "bench-big.835"
    claims = generate(big, int(args.mb * 1e6))
    other = str(Path(args.against).resolve() / "bench" / "parse.py")
    pure = {**os.environ, "EDI_ENGINE_PURE_TOKENIZER": "1"}
    runs = (("floor (split)", "split", __file__, None),
            ("tokenizer, other", "segments", other, None), ("tokenizer", "segments", __file__, None),
            ("tokenizer, pure", "segments", __file__, pure),
            ("typed, other", "typed", other, None), ("typed", "typed", __file__, None),
            ("typed, pure", "typed", __file__, pure))
    print(f"generated {big.name}: {big.stat().st_size / 1e6:.1f} MB, {claims} claims; other = {args.against}; "
          f"load average {os.getloadavg()[0]:.1f}")
    wall: dict[str, list[float]] = {label: [] for label, *_ in runs}
    cpu: dict[str, list[float]] = {label: [] for label, *_ in runs}
    for n in range(args.rounds):
        for label, kind, script, env in runs:
            r = run_child(kind, big, script=script, env=env)
            wall[label].append(r["bytes"] / 1e6 / r["seconds"])
            cpu[label].append(r["bytes"] / 1e6 / r["cpu_seconds"])
            print(f"{_row(label, r)} {cpu[label][-1]:>8.2f} CPU MB/s", flush=True)
        print(f"-- round {n + 1}: load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"{'':<17} {'MB/s wall':>17} {'MB/s CPU':>17} {'of the floor (CPU)':>24} {'of the floor (wall)':>24}")
    for label, *_ in runs:
        by_cpu = sorted(x / y for x, y in zip(cpu[label], cpu["floor (split)"], strict=True))
        by_wall = sorted(x / y for x, y in zip(wall[label], wall["floor (split)"], strict=True))
        print(f"{label:<17} {min(wall[label]):>8.1f}-{max(wall[label]):<8.1f} {min(cpu[label]):>8.1f}-"
              f"{max(cpu[label]):<8.1f} {statistics.median(by_cpu):>8.3f} ({by_cpu[0]:.3f}-{by_cpu[-1]:.3f})"
              f"{'':>4} {statistics.median(by_wall):>8.3f} ({by_wall[0]:.3f}-{by_wall[-1]:.3f})")
    print("target: typed at least 0.33 of the floor")


def typed_figures(args: argparse.Namespace) -> None:
    big, small = OUT / "bench-big.835", OUT / "bench-slice.835"
    claims = generate(big, int(args.mb * 1e6))
    generate(small, int(args.slice_mb * 1e6), claims_per_check=int(args.slice_mb * 2500))
    print(f"generated {big.name}: {big.stat().st_size / 1e6:.1f} MB, {claims} claims; "
          f"pyx12 slice {small.stat().st_size / 1e6:.2f} MB")
    print(f"{'measurement':<15} {'file MB':>8} {'seconds':>8} {'MB/s':>8} {'claims/s':>10} {'peak RSS MB':>12}")
    results = {}
    for kind, path in (("split", big), ("segments", big), ("typed", big), ("pyx12-reader", small),
                       ("pyx12-context", small)):
        r = run_child(kind, path)
        results[kind] = r
        print(_row(kind, r))
    ratio = ((results["typed"]["bytes"] / results["typed"]["seconds"])
             / (results["split"]["bytes"] / results["split"]["seconds"]))
    print(f"typed claims run at {ratio:.2f} of the naive split's MB/s (target: at least 0.33); "
          f"peak RSS {results['typed']['peak_rss_mb']:.0f} MB (target: under 100 MB)")


if __name__ == "__main__":
    main()
