"""The 837 loop walker (005010X222A1 professional, X223A2 institutional, X224A2 dental).

Owns reading one ST..SE run into `ClaimsHeader837` and one `Claim837` per 2300 loop, yielded as
each claim completes (at the next CLM, HL or SE), never all collected. Knows nothing of storage,
matching or how the file was split into transaction sets. The writer side (`to_body`) lives in
`x837_body`; it is re-exported here.

How the loops are found (X222A1/X223A2/X224A2 share the HL tree, domain.md 2.1):
    HL03=20 2000A billing provider (2010AA/AB/AC) > HL03=22 2000B subscriber (SBR, 2010BA, 2010BB)
    > HL03=23 2000C patient (PAT, 2010CA). A 2300 claim sits under the 22 when the patient is the
    subscriber and under the 23 otherwise; it holds 2310 providers, 2320/2330 other payers and
    2400 lines (2410 drug, 2420 providers, 2430 line adjudication, 2440 forms).
A party loop (NM1 and its N2/N3/N4/REF/PER/PRV/DMG) ends at the first segment that is not one of
those; everything unmodelled is kept, raw, in the loop it appeared in.

Real files are not always TR3-clean, so structure problems are warnings, not errors: HL parents
that do not exist, a CLM missing an element (composite in CLM04), composites written with another
separator than ISA16, an empty NM101, a file that stops mid-claim. Only a value that cannot be read
(an amount, a date) raises X12Error, through `_elements`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from edi_engine.errors import Position, Problem, X12Error
from edi_engine.parsers._elements import (
    COMPOSITE_SEPARATOR,
    FALLBACK_COMPONENT,
    UNREADABLE,
    amount,
    composite_warning,
    date_range,
    optional_amount,
    parse_date,
    quantity,
    soft_date,
    split_composite,
)
from edi_engine.parsers.balancing_837 import check_claim_charge
from edi_engine.parsers.items import ParseItem
from edi_engine.parsers.transaction import (
    TransactionEnd,
    TransactionInfo,
    TransactionStart,
    Walker,
    split_transactions,
)
from edi_engine.parsers.x837_body import to_body
from edi_engine.parsers.x837_builders import (
    OTHER_PAYER,
    PERSON,
    AdjudicationB,
    ClaimB,
    LevelB,
    LineB,
    OtherPayerB,
    PartyB,
    build_party,
    remember,
)
from edi_engine.parsers.x837_models import (
    Adjustment,
    BillingProvider,
    Claim837,
    ClaimsHeader837,
    ClaimsTrailer837,
    ClaimSubmission837,
    Contact,
    DateSpan,
    DateText,
    Party,
    Patient,
    RawSegment,
    Subscriber,
    Tooth,
)
from edi_engine.x12.reader import Source, read_segments
from edi_engine.x12.segment import Segment

__all__ = ["iter_submissions", "to_body", "walk_837"]

_VARIANT_BY_KIND = {"837P": "P", "837I": "I", "837D": "D"}
_VARIANT_BY_SERVICE = {"SV1": "P", "SV2": "I", "SV3": "D"}
# DTP qualifiers the matching and the money rely on: line service date, institutional statement period.
_SERVICE_DATES = frozenset({"472", "434"})
_PARTY_IDS = frozenset({"N2", "N3", "N4", "REF", "PER", "PRV", "DMG", "DTP"})
_CLM_KNOWN = frozenset({1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 20})
_SV_KNOWN = {"SV1": frozenset({1, 2, 3, 4, 5, 7}), "SV2": frozenset({1, 2, 3, 4, 5, 7}),
             "SV3": frozenset({1, 2, 3, 4, 5, 6, 11})}

# Loops, in the order they nest.
_HDR, _2000A, _2000B, _2000C, _2300, _2320, _2400, _2410, _2430 = range(9)
# NM101 -> LevelB slot: 2010AA/AB/AC, 2010BA/BB, 2010CA.
_LEVEL_SLOTS = {_2000A: {"85": "name", "87": "second", "PE": "third"}, _2000B: {"IL": "name", "PR": "second"},
                _2000C: {"QC": "name"}}

def _code(value: str) -> str:
    """A qualifier for a message: shown when it looks like a code (three digits), else not at all."""
    return value if len(value) == 3 and value.isdecimal() else "(qualifier)"


class _Walk:
    """State of one 837 transaction set being read."""

    def __init__(self, info: TransactionInfo, problems: list[Problem], component: str) -> None:
        self.info = info
        self.problems = problems
        self.comp = component
        self.variant: str | None = _VARIANT_BY_KIND.get(info.kind)
        self.warned: set[str] = set()
        self.loop = _HDR
        self.party: PartyB | None = None
        self.bht: Segment | None = None
        self.submitter: PartyB | None = None
        self.receiver: PartyB | None = None
        self.header_other: list[RawSegment] = []
        self.header: ClaimsHeader837 | None = None
        self.level: LevelB | None = None  # the HL level being read
        self.level_code = ""  # its HL03
        self.level_id = ""
        self.hl_seen = False
        self.billing: BillingProvider | None = None
        self.subscriber: Subscriber | None = None
        self.payer: Party | None = None
        self.patient: Patient | None = None
        self.billings: dict[str, BillingProvider] = {}
        # HL03 22 id -> the (billing provider, subscriber, payer) a patient HL under it inherits
        self.subscribers: dict[str, tuple[BillingProvider | None, Subscriber, Party | None]] = {}
        self.claim: ClaimB | None = None
        self.other_payer: OtherPayerB | None = None
        self.line: LineB | None = None
        self.adjudication: AdjudicationB | None = None
        self.claims = 0
        self.se: Segment | None = None
        self.handlers = {
            "HL": self._hl, "CLM": self._clm, "SE": self._se, "NM1": self._nm1, "N3": self._n3, "N4": self._n4,
            "REF": self._ref, "PER": self._per, "DMG": self._dmg, "DTP": self._dtp, "HI": self._hi,
            "LX": self._lx, "SV1": self._service, "SV2": self._service, "SV3": self._service, "TOO": self._too,
            "SVD": self._svd, "CAS": self._cas, "AMT": self._amt, "SBR": self._sbr, "PAT": self._pat,
            "CL1": self._cl1, "OI": self._cob_raw, "MIA": self._cob_raw, "MOA": self._cob_raw, "LIN": self._lin,
            "CTP": self._ctp, "LQ": self._form, "FRM": self._form, "BHT": self._bht,
        }

    # -- helpers ---------------------------------------------------------------------------------

    def warn(self, code: str, message: str, seg: Segment, once: bool = True) -> None:
        if once:
            if code in self.warned:
                return
            self.warned.add(code)
        self.problems.append(Problem("warning", code, message, seg.position))

    def raw(self, seg: Segment) -> RawSegment:
        comp = self.comp
        if comp == ":":
            return seg.elements
        return tuple(e.replace(comp, ":") if comp in e else e for e in seg.elements)

    def looks_composite(self, value: str) -> bool:
        return self.comp in value or any(ch in value for ch in FALLBACK_COMPONENT)

    def split(self, seg: Segment, n: int, value: str | None = None) -> tuple[str, ...]:
        parts, used = split_composite(seg.get(n) if value is None else value, self.comp)
        if used is not None and COMPOSITE_SEPARATOR not in self.warned:
            self.warned.add(COMPOSITE_SEPARATOR)
            self.problems.append(composite_warning(seg, n, used, self.comp))
        return parts

    def procedure(self, seg: Segment, n: int) -> dict[str, object]:
        parts = self.split(seg, n)
        mods = list(parts[2:6])
        while mods and not mods[-1]:
            mods.pop()
        return {"procedure_qualifier": parts[0] if parts else "", "procedure_code": parts[1] if len(parts) > 1 else "",
                "modifiers": tuple(mods), "procedure_description": parts[6] if len(parts) > 6 else ""}

    def extra(self, seg: Segment, known: frozenset[int]) -> tuple[tuple[int, str], ...]:
        raw = self.raw(seg)
        return tuple((i, raw[i]) for i in range(1, len(raw)) if raw[i] and i not in known)

    def adjustments(self, seg: Segment) -> list[Adjustment]:
        group, out = seg.get(1), []
        for n in (2, 5, 8, 11, 14, 17):
            reason = seg.get(n)
            if reason:
                out.append(Adjustment(group, reason, amount(seg, n + 1), quantity(seg, n + 2), seg.index, seg.offset))
        return out

    def dtp(self, seg: Segment) -> tuple[DateSpan | None, DateText | None]:
        """A 2300/2400 DTP. Service dates (DTP*472, DTP*434) must read; any other date that cannot is
        kept as its text, with a warning, and the claim still loads (it is not money)."""
        qualifier = seg.get(1)
        if qualifier in _SERVICE_DATES:
            return self.dtp_value(seg)
        try:
            return self.dtp_value(seg)
        except X12Error as exc:
            self.problems.append(Problem("warning", UNREADABLE, f"{exc.message} (DTP*{_code(qualifier)}); kept as "
                                         "text, not as a date; the claim is still read", seg.position))
            return None, (qualifier, seg.get(2), seg.get(3))

    def dtp_value(self, seg: Segment) -> tuple[DateSpan | None, DateText | None]:
        qualifier, fmt, value = seg.get(1), seg.get(2), seg.get(3)
        if fmt == "D8":
            day = parse_date(seg, 3)
            return (qualifier, day, day), None
        if fmt == "RD8":
            start, end = date_range(seg, 2, 3)
            return (qualifier, start, end), None
        if fmt == "DT" and len(value) >= 8:
            day = parse_date(seg, 3, value[:8])
            return (qualifier, day, day), (qualifier, fmt, value)
        return None, (qualifier, fmt, value)

    def other(self, seg: Segment) -> None:
        """Keep an unmodelled segment in the loop it appeared in."""
        raw, loop = self.raw(seg), self.loop
        if self.party is not None:
            self.party.other.append(raw)
        elif loop == _2430 and self.adjudication is not None:
            self.adjudication.other.append(raw)
        elif loop in (_2400, _2410) and self.line is not None:
            self.loop = _2400
            self.line.other.append(raw)
        elif loop == _2320 and self.other_payer is not None:
            self.other_payer.other.append(raw)
        elif self.claim is not None:
            self.claim.other.append(raw)
        elif self.level is not None:
            self.level.other.append(raw)
        else:
            self.header_other.append(raw)

    # -- loops opening and closing ----------------------------------------------------------------

    def build_header(self) -> None:
        if self.header is not None:
            return
        b = self.bht
        self.header = ClaimsHeader837(
            b.get(1) if b else "", b.get(2) if b else "", b.get(3) if b else "",
            soft_date(b, 4, self.problems, what="the creation date") if b else None,
            b.get(5) if b else "", b.get(6) if b else "", build_party(self.submitter), build_party(self.receiver),
            tuple(self.header_other), b.index if b else 0, b.offset if b else 0)

    def close_level(self) -> None:
        lv = self.level
        if lv is None:
            return
        self.level = None
        hl = lv.hl
        if self.level_code == "20":
            self.billing = BillingProvider(build_party(lv.name), build_party(lv.second), build_party(lv.third),
                                           tuple(lv.other), hl.index, hl.offset)
            remember(self.billings, self.level_id, self.billing)
        elif self.level_code == "22":
            s = lv.head.get if lv.head is not None else (lambda n: "")
            birth, gender = lv.name.demographics(self.problems) if lv.name else (None, "")
            self.subscriber = Subscriber(s(1), s(2), s(3), s(4), s(5), s(9), build_party(lv.name), birth, gender,
                                         tuple(lv.other), hl.index, hl.offset)
            self.payer = build_party(lv.second)
            remember(self.subscribers, self.level_id, (self.billing, self.subscriber, self.payer))
        else:
            head = lv.head
            birth, gender = lv.name.demographics(self.problems) if lv.name else (None, "")
            pat_extra = tuple((i, v) for i, v in enumerate(self.raw(head)) if i > 1 and v) if head else ()
            self.patient = Patient(head.get(1) if head else "", build_party(lv.name), birth, gender, pat_extra,
                                   tuple(lv.other), hl.index, hl.offset)

    def end_adjudication(self) -> None:
        if self.adjudication is not None and self.line is not None:
            self.line.adjudications.append(self.adjudication.build())
        self.adjudication = None

    def end_line(self) -> None:
        self.end_adjudication()
        if self.line is not None and not self.line.service:
            self.warn("sv-missing", "a 2400 loop has no SV1, SV2 or SV3 service segment", self.line.lx)
        if self.line is not None and self.claim is not None:
            self.claim.lines.append(self.line.build())
        self.line = None

    def end_other_payer(self) -> None:
        if self.other_payer is not None and self.claim is not None:
            self.claim.other_payers.append(self.other_payer.build())
        self.other_payer = None

    def end_claim(self) -> Claim837 | None:
        claim = self.claim
        if claim is None:
            return None
        self.end_other_payer()
        self.end_line()
        self.party = None
        self.claim = None
        if self.variant is None:
            # 837 without a usable version: CLM05-2 A is institutional; B is professional or dental,
            # and a dental claim would have shown an SV3 by now.
            self.variant = "I" if claim.fields["facility_qualifier"] == "A" else "P"
        self.claims += 1
        built = claim.build(self.variant)
        check_claim_charge(built, claim.clm.position, self.problems)
        return built

    def start(self) -> TransactionStart:
        self.build_header()
        info = self.info
        if info.kind == "837" and self.variant is not None:
            info = self.info = dataclasses.replace(info, kind="837" + self.variant)
        assert self.header is not None
        return TransactionStart(info, self.header)

    # -- segment handlers: each returns a completed claim or None ---------------------------------

    def _bht(self, seg: Segment) -> None:
        if self.loop == _HDR and self.bht is None:
            self.bht = seg
        else:
            self.other(seg)

    def _hl(self, seg: Segment) -> Claim837 | None:
        code, hl_id, parent = seg.get(3), seg.get(1), seg.get(2)
        if code not in ("20", "22", "23"):
            self.warn("hl-level", "HL03 is not 20, 22 or 23; kept in the enclosing loop", seg)
            self.other(seg)
            return None
        done = self.end_claim()
        self.close_level()
        self.build_header()
        self.hl_seen = True
        self.party = None
        if code == "22":
            billing = self.billings.get(parent) if parent else None
            if billing is None:
                if parent or self.billing is None:
                    self.warn("hl-parent", "a subscriber HL has no billing provider HL as its parent (HL02)", seg)
            else:
                self.billing = billing
            self.patient = None
            self.loop = _2000B
        elif code == "23":
            context = self.subscribers.get(parent)
            if context is None:
                self.warn("hl-parent", "a patient HL has no subscriber HL as its parent (HL02)", seg)
            else:
                self.billing, self.subscriber, self.payer = context
            self.loop = _2000C
        else:
            self.subscriber = self.payer = self.patient = None
            self.loop = _2000A
        self.level = LevelB(seg)
        self.level_code, self.level_id = code, hl_id
        return done

    def _clm(self, seg: Segment) -> Claim837 | None:
        done = self.end_claim()
        self.close_level()
        self.build_header()
        self.party = None
        if self.subscriber is None:
            self.warn("claim-context", "a CLM is not under a subscriber HL (HL03=22)", seg)
        e, c4 = seg.elements, seg.get(4)
        # X12.NET/InstitutionalClaim.txt: one element short, so the CLM05 composite sits in CLM04.
        shift = 1 if c4 and self.looks_composite(c4) and not self.looks_composite(seg.get(5)) else 0
        if shift:
            self.warn("clm-shifted", "CLM is one element short (composite in CLM04); read as if CLM04 were "
                      "missing", seg, once=False)

        def g(n: int) -> str:
            i = n - shift if n >= 5 else n
            return e[i] if i < len(e) else ""

        if not g(1).strip():
            # CLM01 is what the 835 pays against (CLP01): a claim without it could never be matched.
            raise X12Error("CLM01 (the patient control number) is missing", seg.position)
        c5 = self.split(seg, 5, g(5))
        fields: dict[str, object] = {
            "patient_control_number": g(1), "charge": amount(seg, 2),
            "facility_code": c5[0] if c5 else "", "facility_qualifier": c5[1] if len(c5) > 1 else "",
            "frequency": c5[2] if len(c5) > 2 else "", "provider_signature": g(6), "assignment": g(7),
            "benefits_assignment": g(8), "release_of_information": g(9), "patient_signature_source": g(10),
            "related_causes": self.split(seg, 11, g(11)), "special_program": g(12), "delay_reason": g(20),
        }
        raw = self.raw(seg)
        extra = []
        for i in range(3, len(raw)):
            n = i + shift if i >= 4 else i
            if raw[i] and n not in _CLM_KNOWN:
                extra.append((n, raw[i]))
        fields["clm_extra"] = tuple(extra)
        context = {"billing_provider": self.billing, "subscriber": self.subscriber, "payer": self.payer,
                   "patient": self.patient if self.level_code == "23" else None}
        self.claim = ClaimB(seg, fields, context)
        self.loop = _2300
        return done

    def _se(self, seg: Segment) -> Claim837 | None:
        self.se = seg
        done = self.end_claim()
        self.close_level()
        return done

    def _nm1(self, seg: Segment) -> None:
        entity, loop = seg.get(1), self.loop
        if not entity:
            self.warn("nm1-entity", "NM101 entity identifier code is empty", seg)
        party = PartyB(seg)
        if loop == _2300 and self.claim is not None:
            self.claim.providers.append(party)
        elif loop == _2320 and self.other_payer is not None:
            op = self.other_payer
            if entity == "IL" and op.subscriber is None:
                op.subscriber = party
            elif entity == "PR" and op.payer is None:
                party.kind = OTHER_PAYER
                op.payer = party
            else:
                op.providers.append(party)
        elif loop in (_2400, _2410, _2430) and self.line is not None:
            self.end_adjudication()
            self.loop = _2400
            self.line.providers.append(party)
        elif self.level is not None and loop in (_2000A, _2000B, _2000C):
            lv = self.level
            slot = _LEVEL_SLOTS[loop].get(entity)
            if slot is None or getattr(lv, slot) is not None:
                self.party = None
                self.other(seg)
                return
            if slot == "name" and loop != _2000A:
                party.kind = PERSON
            setattr(lv, slot, party)
        elif loop == _HDR and entity == "41" and self.submitter is None:
            self.submitter = party
        elif loop == _HDR and entity == "40" and self.receiver is None:
            self.receiver = party
        else:
            self.party = None
            self.other(seg)
            return
        self.party = party

    def _n3(self, seg: Segment) -> None:
        p = self.party
        if p is not None and p.address is None:
            p.address = tuple(seg.elements[1:3])
        else:
            self.other(seg)

    def _n4(self, seg: Segment) -> None:
        p = self.party
        if p is not None and p.n4 is None:
            p.n4 = seg
        else:
            self.other(seg)

    def _per(self, seg: Segment) -> None:
        if self.party is None:
            self.other(seg)
            return
        g = seg.get
        pairs = tuple((g(n), g(n + 1)) for n in (3, 5, 7) if g(n) or g(n + 1))
        self.party.contacts.append(Contact(g(1), g(2), pairs))

    def _dmg(self, seg: Segment) -> None:
        p = self.party
        if p is not None and p.kind == PERSON and p.dmg is None:
            p.dmg = seg
        else:
            self.other(seg)

    def _ref(self, seg: Segment) -> None:
        qualifier, value = seg.get(1), seg.get(2)
        simple = len(seg.elements) <= 3  # REF03/REF04 would not survive as a pair
        p, loop = self.party, self.loop
        if not simple:
            self.other(seg)
        elif p is not None:
            if p.kind == OTHER_PAYER and qualifier == "F8" and p.f8 is None:
                p.f8 = value
            else:
                p.refs.append((qualifier, value))
        elif loop == _2300 and self.claim is not None:
            c = self.claim
            if qualifier == "F8" and c.f8 is None:
                c.f8 = value
            elif qualifier == "D9" and c.d9 is None:
                c.d9 = value
            else:
                c.refs.append((qualifier, value))
        elif loop == _2410 and self.line is not None:
            self.line.drug.append(self.raw(seg))
        elif loop == _2400 and self.line is not None:
            if qualifier == "6R" and self.line.r6 is None:
                self.line.r6 = value
            else:
                self.line.refs.append((qualifier, value))
        else:
            self.other(seg)

    def _dtp(self, seg: Segment) -> None:
        p = self.party
        if p is not None:
            if p.kind == OTHER_PAYER and seg.get(1) == "573" and p.dtp573 is None:
                p.dtp573 = soft_date(seg, 3, self.problems, what="an adjudication date")
                return
            self.party = None
        loop = self.loop
        if loop == _2430 and self.adjudication is not None and seg.get(1) == "573" and self.adjudication.date is None:
            self.adjudication.date = soft_date(seg, 3, self.problems, what="an adjudication date")
            return
        target: ClaimB | LineB | None = None
        if loop in (_2400, _2410) and self.line is not None:
            self.loop = _2400
            target = self.line
        elif loop == _2300:
            target = self.claim
        if target is None:
            self.other(seg)
            return
        span, text = self.dtp(seg)
        if span is not None:
            target.dates.append(span)
        if text is not None:
            # DT texts (which also gave a date) before the others, so the order survives a rewrite.
            if text[1] == "DT" and span is not None:
                target.texts.insert(sum(1 for t in target.texts if t[1] == "DT"), text)
            else:
                target.texts.append(text)

    def _hi(self, seg: Segment) -> None:
        if self.loop != _2300 or self.claim is None:
            self.other(seg)
            return
        self.claim.hi.append(tuple(self.split(seg, n) for n in range(1, len(seg.elements)) if seg.elements[n]))

    def _cl1(self, seg: Segment) -> None:
        if self.loop == _2300 and self.claim is not None and self.claim.cl1 is None:
            self.claim.cl1 = (seg.get(1), seg.get(2), seg.get(3))
        else:
            self.other(seg)

    def _sbr(self, seg: Segment) -> None:
        if self.loop == _2000B and self.level is not None and self.level.head is None:
            self.level.head = seg
        elif self.loop in (_2300, _2320) and self.claim is not None:
            self.end_other_payer()
            self.other_payer = OtherPayerB(seg)
            self.loop = _2320
        else:
            self.other(seg)

    def _pat(self, seg: Segment) -> None:
        if self.loop == _2000C and self.level is not None and self.level.head is None:
            self.level.head = seg
        else:
            self.other(seg)

    def _cas(self, seg: Segment) -> None:
        if self.loop == _2320 and self.other_payer is not None:
            self.other_payer.adjustments.extend(self.adjustments(seg))
        elif self.loop == _2430 and self.adjudication is not None:
            self.adjudication.adjustments.extend(self.adjustments(seg))
        else:
            self.other(seg)

    def _amt(self, seg: Segment) -> None:
        qualifier = seg.get(1)
        op, adj = self.other_payer, self.adjudication
        if self.loop == _2320 and op is not None and qualifier in ("D", "A8", "EAF") and qualifier not in op.amounts:
            op.amounts[qualifier] = amount(seg, 2)
        elif self.loop == _2430 and adj is not None and qualifier == "EAF" and adj.eaf is None:
            adj.eaf = amount(seg, 2)
        else:
            self.other(seg)

    def _cob_raw(self, seg: Segment) -> None:
        op, slot = self.other_payer, seg.id.lower()
        if self.loop == _2320 and op is not None and getattr(op, slot) is None:
            setattr(op, slot, self.raw(seg))
        else:
            self.other(seg)

    def _lx(self, seg: Segment) -> None:
        if self.claim is None:
            self.warn("lx-context", "an LX is not inside a claim (CLM)", seg)
            self.other(seg)
            return
        self.end_other_payer()
        self.end_line()
        text = seg.get(1).strip()
        if text.isdecimal():
            number = int(text)
        else:
            number = len(self.claim.lines) + 1
            self.warn("lx-number", "LX01 is not a number; the line's position is used instead", seg)
        self.line = LineB(seg, number)
        self.loop = _2400

    def _service(self, seg: Segment) -> None:
        sid = seg.id
        kind = _VARIANT_BY_SERVICE[sid]
        if self.variant is None:
            self.variant = kind
        elif kind != self.variant:
            self.warn("837-variant", f"{sid} service line in an 837{self.variant} transaction set", seg)
        if self.claim is None:
            self.other(seg)
            return
        line = self.line
        in_line = line is not None and self.loop in (_2400, _2410, _2430)
        if in_line and line is not None and line.service:
            self.other(seg)  # a second service segment in one 2400 loop
            return
        if line is None or not in_line:
            self.warn("lx-missing", f"{sid} without its LX; numbered by position", seg)
            self.end_other_payer()
            self.end_line()
            line = self.line = LineB(seg, len(self.claim.lines) + 1)
        self.loop = _2400
        line.service = sid
        fields = self.procedure(seg, 2 if sid == "SV2" else 1)
        if sid == "SV1":
            fields.update(charge=amount(seg, 2), unit_basis=seg.get(3), units=quantity(seg, 4),
                          place_of_service=seg.get(5), diagnosis_pointers=self.split(seg, 7))
        elif sid == "SV2":
            fields.update(revenue_code=seg.get(1), charge=amount(seg, 3), unit_basis=seg.get(4),
                          units=quantity(seg, 5), non_covered_charge=optional_amount(seg, 7))
        else:
            # X224A2 SV3 (from the X12 SV3 definition and EdiFabric's X224 model; pyx12 ships no 5010
            # 837D map, so nothing checks this layout against a guide here): SV301 AD composite,
            # SV302 charge, SV303 place of service, SV304 oral cavity, SV305 prosthesis I/R,
            # SV306 procedure count, SV311 diagnosis pointers.
            fields.update(charge=amount(seg, 2), place_of_service=seg.get(3), oral_cavity=self.split(seg, 4),
                          prosthesis=seg.get(5), units=quantity(seg, 6), diagnosis_pointers=self.split(seg, 11))
        fields["service_extra"] = self.extra(seg, _SV_KNOWN[sid])
        line.fields = fields

    def _too(self, seg: Segment) -> None:
        if self.loop == _2400 and self.line is not None:
            self.line.teeth.append(Tooth(seg.get(1), seg.get(2), self.split(seg, 3)))
        else:
            self.other(seg)

    def _lin(self, seg: Segment) -> None:
        if self.line is not None and self.loop in (_2400, _2410, _2430):
            self.end_adjudication()
            self.line.drug.append(self.raw(seg))
            self.loop = _2410
        else:
            self.other(seg)

    def _ctp(self, seg: Segment) -> None:
        if self.loop == _2410 and self.line is not None:
            self.line.drug.append(self.raw(seg))
        else:
            self.other(seg)

    def _svd(self, seg: Segment) -> None:
        if self.line is None or self.loop not in (_2400, _2410, _2430):
            self.other(seg)
            return
        self.end_adjudication()
        fields = self.procedure(seg, 3)
        fields.update(payer_id=seg.get(1), paid=amount(seg, 2), revenue_code=seg.get(4),
                      paid_units=quantity(seg, 5), bundled_line_number=seg.get(6))
        self.adjudication = AdjudicationB(seg, fields)
        self.loop = _2430

    def _form(self, seg: Segment) -> None:
        # 2440 LQ/FRM belong to the line, also after a 2430 loop.
        if self.line is not None and self.loop in (_2400, _2410, _2430):
            self.end_adjudication()
            self.loop = _2400
        self.other(seg)

    # -- the run ------------------------------------------------------------------------------------

    def run(self, run: Iterator[Segment]) -> Iterator[ParseItem]:
        started = False
        handlers = self.handlers
        try:
            for seg in run:
                sid = seg.id
                if self.party is not None and sid not in _PARTY_IDS:
                    self.party = None
                handler = handlers.get(sid)
                if handler is None:
                    self.other(seg)
                    continue
                done = handler(seg)
                if not started and self.header is not None and self.variant is not None:
                    started = True
                    yield self.start()
                if done is not None:
                    if not started:
                        started = True
                        yield self.start()
                    yield done
            done = self.end_claim()
            self.close_level()
        except X12Error:
            if not started:
                yield self.start()
            raise
        if not started:
            if self.variant is None and self.hl_seen:
                self.problems.append(Problem("warning", "837-variant", "no service line or CLM05 tells whether "
                                             "this 837 is professional, institutional or dental",
                                             _position(self)))
            yield self.start()
        if done is not None:
            yield done
        if not self.hl_seen:
            self.problems.append(Problem("warning", "837-no-loops", "837 transaction set has no HL loops "
                                         "(no billing provider, subscriber or claim)", _position(self)))
        se = self.se
        trailer = ClaimsTrailer837(se.get(1), se.get(2), self.claims) if se is not None else None
        yield TransactionEnd(self.info, trailer, True, 0)


def _position(walk: _Walk) -> Position:
    info = walk.info
    return Position(info.file, info.offset, info.segment, info.interchange_control, info.group_control,
                    info.transaction_control)


def walk_837(st: Segment, run: Iterator[Segment], info: TransactionInfo,
             problems: list[Problem]) -> Iterator[ParseItem]:
    """The transaction-set walker for 837P/I/D (see transaction.py for the contract)."""
    return _Walk(info, problems, st.envelope.delimiters.component).run(run)


_WALKERS: dict[str, Walker] = {"837": walk_837, "837P": walk_837, "837I": walk_837, "837D": walk_837}


def iter_submissions(source: Source, problems: list[Problem] | None = None) -> Iterator[ClaimSubmission837]:
    """Each 837 transaction set of a file as one ClaimSubmission837 (for tests and small files)."""
    stream = read_segments(source)
    sink = stream.problems if problems is None else problems
    header: ClaimsHeader837 | None = None
    claims: list[Claim837] = []
    for item in split_transactions(iter(stream), _WALKERS, sink):
        if isinstance(item, TransactionStart):
            header = item.header if isinstance(item.header, ClaimsHeader837) else None
            claims = []
        elif isinstance(item, TransactionEnd):
            if header is not None:
                yield ClaimSubmission837(item.info, header, tuple(claims))
            header, claims = None, []
        elif isinstance(item, Claim837):
            claims.append(item)
    if problems is not None and stream.problems is not problems:
        problems.extend(stream.problems)
