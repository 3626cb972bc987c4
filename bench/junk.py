"""Memory under hostile input: junk after a valid ISA, and one claim of a million REF segments.

Run by hand (not in CI):  python bench/junk.py [--mb 1024] [--refs 1000000] [--only NAME]
Each measurement runs in its own subprocess, reading a generated stream (nothing is held in
memory or written to disk first), and reports that process's peak RSS (resource.getrusage
ru_maxrss), the time, and how many problems were kept and counted:
  junk-segments      ISA GS ST, then --mb MB of junk segments ("Z9*<random letters>~"), no SE
  junk-mixed-ids     the same with random segment ids ("QX9*...~")
  junk-unterminated  ISA GS ST, then --mb MB with no segment terminator at all
  junk-binary        ISA, then --mb MB of random bytes
  refs-835           an 835 whose one claim has --refs REF segments before its SVC
  refs-837           an 837P whose one claim has --refs REF segments in its 2300 loop
Record the figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

# Run from a checkout without installing: the package is the folder above.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ISA = (b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260110*1200*^*00501*"
       b"000000001*0*P*:~\n")
GS_835 = b"GS*HP*SENDER*RECEIVER*20260110*1200*1*X*005010X221A1~\nST*835*0001*005010X221A1~\n"
GS_837 = b"GS*HC*SENDER*RECEIVER*20260110*1200*1*X*005010X222A1~\nST*837*0001*005010X222A1~\n"
HEAD_835 = (b"BPR*I*100*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260110~\n"
            b"TRN*1*EFT0001*1512345678~\nN1*PR*PAYER~\nN1*PE*CLINIC*XX*1234567893~\nLX*1~\n"
            b"CLP*PCN1*1*100*100**12*ICN1*11*1~\nNM1*QC*1*DOE*JANE****MI*M1~\n")
TAIL_835 = b"SVC*HC:99213*100*100**1~\nDTM*472*20260105~\nSE*{n}*0001~\nGE*1*1~\nIEA*1*000000001~\n"
HEAD_837 = (b"BHT*0019*00*B1*20260110*1200*CH~\nNM1*41*2*SUBMITTER*****46*S1~\nNM1*40*2*RECEIVER*****46*R1~\n"
            b"HL*1**20*1~\nNM1*85*2*CLINIC*****XX*1234567893~\nN3*1 MAIN ST~\nN4*TOWN*NY*10001~\n"
            b"REF*EI*123456789~\nHL*2*1*22*0~\nSBR*P*18*******CI~\nNM1*IL*1*DOE*JANE****MI*M1~\n"
            b"NM1*PR*2*PAYER*****PI*P1~\nCLM*PCN1*100***11:B:1*Y*A*Y*Y~\n")
TAIL_837 = (b"HI*ABK:R51~\nLX*1~\nSV1*HC:99213*100*UN*1***1~\nDTP*472*D8*20260105~\nSE*{n}*0001~\nGE*1*1~\n"
            b"IEA*1*000000001~\n")


def _junk_segments(total: int, mixed: bool = False) -> Iterator[bytes]:
    rng = random.Random(1)
    letters = bytes(range(65, 91))

    def sid() -> bytes:
        return bytes(rng.choice(letters) for _ in range(2)) + b"9" if mixed else b"Z9"

    block = b"".join(sid() + b"*" + bytes(rng.choice(letters) for _ in range(rng.randint(5, 60))) + b"~\n"
                     for _ in range(20000))
    yield ISA + GS_835
    sent = 0
    while sent < total:
        yield block
        sent += len(block)


def _junk_unterminated(total: int) -> Iterator[bytes]:
    block = bytes(range(65, 91)) * 40000  # letters only: no terminator, no element separator
    yield ISA + GS_835
    sent = 0
    while sent < total:
        yield block
        sent += len(block)


def _junk_binary(total: int) -> Iterator[bytes]:
    rng = random.Random(2)
    block = rng.randbytes(1 << 20)
    yield ISA
    sent = 0
    while sent < total:
        yield block
        sent += len(block)


def _refs(kind: str, count: int) -> Iterator[bytes]:
    head, tail = (GS_835 + HEAD_835, TAIL_835) if kind == "835" else (GS_837 + HEAD_837, TAIL_837)
    yield ISA + head
    batch = 10000
    for start in range(0, count, batch):
        yield b"".join(b"REF*F8*%09d~\n" % k for k in range(start, min(start + batch, count)))
    body = head.count(b"~") - 1 + count + tail.count(b"~") - 2  # ST..SE
    yield tail.replace(b"{n}", str(body).encode())


class _Stream:
    """A read()-able file over a generator of blocks: the input is never whole in memory."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self.blocks = blocks
        self.buffer = b""
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        while len(self.buffer) < n:
            block = next(self.blocks, None)
            if block is None:
                break
            self.buffer += block
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        self.read_bytes += len(out)
        return out


def _source(name: str, mb: int, refs: int) -> Iterator[bytes]:
    total = mb << 20
    if name in ("junk-segments", "junk-mixed-ids"):
        return _junk_segments(total, mixed=name == "junk-mixed-ids")
    if name == "junk-unterminated":
        return _junk_unterminated(total)
    if name == "junk-binary":
        return _junk_binary(total)
    return _refs(name.split("-")[1], refs)


def _measure(name: str, mb: int, refs: int) -> dict[str, object]:
    from edi_engine.errors import EdiEngineError
    from edi_engine.parsers import parse_file

    stream = _Stream(_source(name, mb, refs))
    start = time.perf_counter()
    items = 0
    error = None
    run = parse_file(stream, name=name)  # type: ignore[arg-type]
    try:
        for _ in run:
            items += 1
    except EdiEngineError as exc:
        error = type(exc).__name__ + ": " + exc.message[:80]
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    suppressed = sum(getattr(run.problems, "suppressed", {}).values())
    return {"name": name, "input_mb": round(stream.read_bytes / (1 << 20), 1), "seconds": round(elapsed, 1),
            "peak_rss_mb": round(peak_kb / 1024, 1), "items": items, "problems_kept": len(run.problems),
            "problems_counted": suppressed, "error": error}


NAMES = ["junk-segments", "junk-mixed-ids", "junk-unterminated", "junk-binary", "refs-835", "refs-837"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=1024, help="megabytes of junk (default 1024)")
    parser.add_argument("--refs", type=int, default=1_000_000, help="REF segments in the one claim")
    parser.add_argument("--only", choices=NAMES, action="append", help="run only these")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.child, args.mb, args.refs)))
        return
    baseline = subprocess.run([sys.executable, "-c", "import resource, edi_engine.parsers; "
                               "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
                              capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(
                                  Path(__file__).resolve().parent.parent)})
    print(f"baseline (interpreter + edi_engine.parsers imported): {int(baseline.stdout) / 1024:.1f} MB peak RSS")
    for name in args.only or NAMES:
        out = subprocess.run([sys.executable, __file__, "--child", name, "--mb", str(args.mb), "--refs",
                              str(args.refs)], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"{name}: exit {out.returncode}: {out.stderr.strip().splitlines()[-1:]}")
            continue
        print(out.stdout.strip())


if __name__ == "__main__":
    main()
