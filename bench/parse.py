"""Parse speed and memory: our reader to typed claims against the pure-Python floor and pyx12.

Run by hand (not in CI):  python bench/parse.py [--mb 50]
Generates a balanced 835 of at least --mb megabytes in bench/out/, then measures, each in its own
subprocess so that peak RSS is that measurement's alone:
  typed      edi_engine.parsers.parse_file -> typed ClaimPayment models (the real path)
  segments   edi_engine.x12.read_segments only (tokenizer + envelope checks)
  split      naive bytes.split of segments then elements, in 1 MB chunks (the pure-Python floor)
  pyx12-reader / pyx12-context   pyx12's X12Reader and X12ContextReader on a ~1 MB slice
Record the figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
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
                "N1*PR*ACME HEALTH PLAN*XV*ACME01", "N3*1 MAIN ST", "N4*SPRINGFIELD*IL*62701",
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


def measure(kind: str, path: str) -> dict[str, float]:
    size = os.path.getsize(path)
    start = time.perf_counter()
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
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "bytes": size, "claims": claims, "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    # VmHWM belongs to this process image alone; ru_maxrss would carry over the parent's peak
    # across fork and exec (Linux keeps it), hiding any measurement below the parent's size.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_child(kind: str, path: Path) -> dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, "--measure", kind, str(path)], stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed")
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=50.0, help="size of the generated 835 (default 50)")
    parser.add_argument("--slice-mb", type=float, default=1.0, help="size of the slice given to pyx12 (default 1)")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    OUT.mkdir(exist_ok=True)
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
        mb = r["bytes"] / 1e6
        print(f"{kind:<15} {mb:>8.1f} {r['seconds']:>8.2f} {mb / r['seconds']:>8.2f} "
              f"{r['claims'] / r['seconds']:>10.0f} {r['peak_rss_mb']:>12.1f}")
    ratio = ((results["typed"]["bytes"] / results["typed"]["seconds"])
             / (results["split"]["bytes"] / results["split"]["seconds"]))
    print(f"typed claims run at {ratio:.2f} of the naive split's MB/s (target: at least 0.33); "
          f"peak RSS {results['typed']['peak_rss_mb']:.0f} MB (target: under 100 MB)")


if __name__ == "__main__":
    main()
