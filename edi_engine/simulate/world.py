"""The world generator: a seeded, deterministic practice billing payers for `claims` claims, on disk.

Owns the calendar walk. Day by day it places situations (scenarios.py) in the world, then drains
that day's events: 837 submissions join the current 837 batch of their variant (written when it
holds `chunk_claims` claims or its oldest claim waited six days), the day's claim payments and
PLB items of each payer and provider become one check, written at once as its own 835. Nothing
but pending events (plan values, not parser models) outlives its day, so 100,000+ claims stream
in bounded memory (about 140 MB peak for 100,000 claims).

The same seed, claim count, scenario and start give byte-identical files. Knows nothing of the
engine: the ground truth is what the scenarios injected.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

from edi_engine.errors import UsageError
from edi_engine.simulate.builder import Builder
from edi_engine.simulate.catalog import PAYERS_COLUMNS, payers_rows
from edi_engine.simulate.expected import Finding, dumps_expected
from edi_engine.simulate.model import ClaimResult, Payer, PlbItem, Provider, Submission
from edi_engine.simulate.packs import MIX, PACKS, readme
from edi_engine.simulate.render import SUBMITTER_ID, render_835, render_837
from edi_engine.simulate.scenarios import SCENARIOS, run_scenario

__all__ = ["DEFAULT_START", "DirectorySink", "MemorySink", "Sink", "World", "generate_world"]

DEFAULT_START = date(2024, 10, 1)
_BATCH_DAYS = 6
PATIENT_PAYMENT_COLUMNS = ("claim_id", "payment_date", "amount", "method", "reference")
REFUNDS = "refunds.csv"  # the provider's issued refund checks (outputs/refunds.py REGISTER_COLUMNS)
REFUND_COLUMNS = ("finding_id", "category", "claim_id", "payer_id", "payee", "payee_name", "amount", "method",
                  "number", "issue_date")


class Sink(Protocol):
    def write(self, name: str, data: bytes) -> None: ...


class DirectorySink:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, data: bytes) -> None:
        (self.path / name).write_bytes(data)


class MemorySink:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def write(self, name: str, data: bytes) -> None:
        self.files[name] = data


@dataclass(frozen=True, slots=True)
class World:
    seed: int
    claims: int  # distinct CLM01s sent (secondary submissions of a claim not counted again)
    scenario: str | None
    start: date
    end: date  # the last check date
    files: tuple[str, ...]  # in the order written
    findings: tuple[Finding, ...]
    counts: Mapping[str, int] = field(default_factory=dict)
    contents: Mapping[str, bytes] | None = None  # when generated in memory
    situations: Mapping[str, int] = field(default_factory=dict)  # "scenario:variant" -> times placed


@dataclass
class _Check:
    payer: Payer
    provider: Provider
    results: list[ClaimResult] = field(default_factory=list)
    plbs: list[PlbItem] = field(default_factory=list)


class _Writer:
    """Chunks 837s, writes 835s, counts."""

    def __init__(self, b: Builder, sink: Sink, chunk_claims: int) -> None:
        self.b, self.sink, self.chunk = b, sink, chunk_claims
        self.files: list[str] = []
        self.buffers: dict[str, list[Submission]] = {"P": [], "I": []}
        self.controls: dict[str, int] = {}  # ISA13 per sender (ISA06)
        self.file_seq = 0
        self.counts = {"submissions": 0, "claim_payments": 0, "checks": 0, "files_837": 0, "files_835": 0}
        self.aliased: dict[str, str] = {}

    def _control(self, sender: str) -> int:
        self.controls[sender] = self.controls.get(sender, 0) + 1
        return self.controls[sender]

    def _write(self, name: str, data: bytes) -> None:
        self.sink.write(name, data)
        self.files.append(name)

    def flush_837(self, variant: str, day: date) -> None:
        subs = self.buffers[variant]
        if not subs:
            return
        self.file_seq += 1
        self._write(f"{day:%Y%m%d}-837{variant}-{self.file_seq:04d}.837",
                    render_837(variant, subs, control_number=self._control(SUBMITTER_ID), day=day))
        self.counts["submissions"] += len(subs)
        self.counts["files_837"] += 1
        self.buffers[variant] = []

    def submit(self, s: Submission) -> None:
        self.buffers[s.claim.variant].append(s)

    def end_of_day(self, day: date) -> None:
        """An 837 goes out when it holds `chunk` claims or its oldest claim waited a week."""
        for variant, buffer in self.buffers.items():
            if buffer and (len(buffer) >= self.chunk or (day - buffer[0].submitted).days >= _BATCH_DAYS):
                self.flush_837(variant, day)

    def check(self, check: _Check, day: date) -> None:
        trace = self.b.trace_number(check.payer, day)
        data = render_835(check.payer, check.provider, day, trace, check.results, check.plbs,
                          control_number=self._control(check.payer.remit_id))
        self._write(f"{day:%Y%m%d}-835-{check.payer.remit_id}-{trace}.835", data)
        self.counts["claim_payments"] += len(check.results)
        self.counts["checks"] += 1
        self.counts["files_835"] += 1
        if check.payer.aliased:
            self.aliased[check.payer.remit_id] = check.payer.payer_id


def _span_days(claims: int) -> int:
    """Days over which claims are submitted: a few hundred claims take about two months."""
    return max(5, min(claims // 5, claims // 250 + 60))


def generate_world(claims: int, seed: int, *, out: str | Path | Sink | None = None, scenario: str | None = None,
                   start: date = DEFAULT_START, chunk_claims: int = 2000,
                   mix: Mapping[str, float] | None = None, leading: Sequence[tuple[str, str]] = ()) -> World:
    """Generate a world of about `claims` claims (scenarios may add up to three more) and write it.

    `out`: a directory (created), a Sink, or None to keep the files in memory (World.contents).
    `scenario`: a pack name of packs.PACKS: its situations on the first day, then normal claims;
    None mixes every situation at the rates of `mix` (default packs.MIX; a property test may weigh
    some situations up to see them at volume), after the (scenario, variant) situations of
    `leading` on the first day (the demo pack's guaranteed cases). Also writes patient_payments.csv (when
    any), fee_schedule.csv, payer_aliases.csv (when an aliased payer remitted), expected.json and
    README.md.
    """
    if claims < 1:
        raise UsageError("--claims must be at least 1")
    if scenario is not None and scenario not in PACKS:
        raise UsageError(f"unknown scenario {scenario!r}; known: {', '.join(sorted(PACKS))}")
    if chunk_claims < 1:
        raise UsageError("chunk_claims must be at least 1")
    sink: Sink
    memory: MemorySink | None = None
    if out is None:
        sink = memory = MemorySink()
    elif isinstance(out, (str, Path)):
        sink = DirectorySink(out)
    else:
        sink = out
    span = _span_days(claims)
    years = range(start.year, (start + timedelta(days=span + 30)).year + 1)
    b = Builder(seed, start, years)
    w = _Writer(b, sink, chunk_claims)
    pending = list(PACKS[scenario].instances) if scenario is not None else list(leading)
    per_day = math.ceil(claims / span)
    rates = MIX if mix is None else mix
    unknown = sorted(set(rates) - set(SCENARIOS))
    if unknown:
        raise UsageError(f"unknown situations in the mix: {', '.join(unknown)}")
    names = sorted(n for n in rates if rates[n] > 0)
    weights = [rates[n] for n in names]
    day = start
    last_check = start
    placed: dict[str, int] = {}

    def place(name: str, variant: str | None = None) -> None:
        chosen = run_scenario(b, name, variant)
        placed[f"{name}:{chosen}"] = placed.get(f"{name}:{chosen}", 0) + 1

    while b.claims_made < claims or b.events:
        b.today = day
        for _ in range(per_day):
            if b.claims_made >= claims and not pending:
                break
            if pending:
                name, variant = pending.pop(0)
                place(name, variant)
            elif scenario is not None:
                place("normal", "")
            else:
                place(b.rng.choices(names, weights)[0])
        checks: dict[tuple[str, str], _Check] = {}
        for event in b.events.pop(day, []):
            if event.kind == "submit":
                assert event.submission is not None
                w.submit(event.submission)
                if len(w.buffers[event.submission.claim.variant]) >= chunk_claims:
                    w.flush_837(event.submission.claim.variant, day)
                continue
            assert event.payer is not None and event.provider is not None
            check = checks.setdefault((event.payer.payer_id, event.provider.npi), _Check(event.payer, event.provider))
            if event.kind == "pay":
                assert event.result is not None
                check.results.append(event.result)
            elif event.kind == "plb":
                assert event.plb is not None
                check.plbs.append(event.plb)
        for key in sorted(checks):
            w.check(checks[key], day)
            last_check = day
        w.end_of_day(day)
        day += timedelta(days=1)
    for variant in ("P", "I"):
        w.flush_837(variant, day - timedelta(days=1))
    _write_tables(b, w)
    if scenario is None:  # a mixed world names its payers (`edi-engine payers import`); scenario packs do not
        w._write("payers.csv", _csv(PAYERS_COLUMNS, payers_rows()))
    findings = tuple(sorted(b.findings, key=lambda f: (f.key, f.line or "")))
    generator = {"seed": seed, "claims": claims, "scenario": scenario, "start": start.isoformat()}
    w._write("expected.json", dumps_expected(findings, generator).encode("utf-8"))
    w._write("README.md", readme(scenario, seed, claims, findings).encode("utf-8"))
    counts = dict(w.counts, claims=b.claims_made, patient_payments=len(b.patient_payments), findings=len(findings))
    return World(seed, b.claims_made, scenario, start, last_check, tuple(w.files), findings, counts,
                 memory.files if memory is not None else None, dict(sorted(placed.items())))


def _csv(header: tuple[str, ...], rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _write_tables(b: Builder, w: _Writer) -> None:
    if b.patient_payments:
        rows = sorted((p.claim_id, p.payment_date.isoformat(), f"{p.amount:.2f}", p.method, p.reference)
                      for p in b.patient_payments)
        rows.sort(key=lambda r: (r[1], r[0], r[4]))
        w._write("patient_payments.csv", _csv(PATIENT_PAYMENT_COLUMNS, rows))
    w._write("fee_schedule.csv", b.fees.to_csv())
    if b.refunds:  # the provider's issued refund checks, in the register `refunds post` reads
        register = [("", r.category, r.claim_id, r.payer.payer_id, "payer", r.payer.name, f"{r.amount:.2f}", "check",
                 r.number, r.issued.isoformat()) for r in sorted(b.refunds, key=lambda r: (r.issued, r.number))]
        w._write(REFUNDS, _csv(REFUND_COLUMNS, register))
    if w.aliased:
        w._write("payer_aliases.csv", _csv(("alias", "payer_id"), sorted(w.aliased.items())))
