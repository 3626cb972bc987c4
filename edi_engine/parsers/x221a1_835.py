"""The 835 (005010X221A1) loop walker: segments of one ST..SE to typed remittance models, and back.

Owns the loop structure of the guide (domain.md 1.1-1.2): table 1 (BPR, TRN, CUR, REF, DTM,
loops 1000A payer and 1000B payee), loop 2000 (LX header number, TS3/TS2), loop 2100 (CLP claim
payment) and 2110 (SVC service payment), and table 3 (PLB). `walk_835` follows the walker
contract of `parsers.transaction`; `to_body` writes models back to the segments between ST and SE;
`iter_remittances` assembles whole transaction sets for small files and tests.
Knows nothing of storage, matching or the ledger.

Leniency: real files are 4010 (CR group codes), lack LX, put segments out of order or cut a CLP
short. The walker reads what is there, warns through `problems`, and raises X12Error (through the
`_elements` helpers) only for a value that cannot be read, such as a non-numeric amount. A missing
required amount reads as 0 with a warning, so a claim is never lost to a truncated segment.

Speed: a remittance holds millions of segments. The walker only appends each 2100/2110 segment
to its open loop (a few comparisons on the segment id, in a loop of its own while a claim is open);
the loop is read in one tight function when it closes; amounts and dates go through small caches
(remits repeat the same few values); and the frozen models are built through mutable twins (see
`_twin`). Nothing but the models is allocated per segment. The hot paths read a Segment by position
(`seg[0]` id, `seg[1]` elements, `seg[2]` offset, `seg[3]` index): a NamedTuple's field by name
costs about three times its index, and the walk reads several fields of every segment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, make_dataclass
from datetime import date
from decimal import Decimal
from itertools import chain

from edi_engine.errors import Position, Problem, X12Error
from edi_engine.parsers._elements import (
    UNREADABLE,
    composite_warning,
    date_range,
    parse_date,
    soft_date,
    split_composite,
)
from edi_engine.parsers._elements import amount as _checked_amount
from edi_engine.parsers.balancing_835 import TransactionBalance, check_claim, check_payment_amount
from edi_engine.parsers.items import ParseItem
from edi_engine.parsers.transaction import TransactionEnd, TransactionInfo, TransactionStart, split_transactions
from edi_engine.parsers.x221a1_835_body import CLAIM_DATES as _CLAIM_DATES
from edi_engine.parsers.x221a1_835_body import to_body
from edi_engine.parsers.x221a1_835_models import (
    Address,
    Adjustment,
    ClaimPayment,
    Contact,
    HeaderNumber,
    Party,
    PartyLoop,
    Procedure,
    ProviderAdjustment,
    RawSegment,
    Remittance835,
    RemittanceHeader,
    RemittanceTrailer,
    ServicePayment,
)
from edi_engine.x12.reader import Source, read_segments
from edi_engine.x12.segment import Segment

__all__ = ["iter_remittances", "to_body", "walk_835"]

_ZERO = Decimal(0)
_CACHE_LIMIT = 1 << 16
_AMOUNTS: dict[str, Decimal] = {}
_DATES: dict[str, date] = {}

# Ids that close a 2100/2110 loop; ids of 2100 that may turn up (out of order) after an SVC.
_LOOP_ENDS = frozenset({"CLP", "LX", "PLB", "SE"})
_CLAIM_ONLY = frozenset({"NM1", "MIA", "MOA", "PER"})
_CLAIM_PARTIES = frozenset({"QC", "IL", "74", "82", "TT", "PR", "GB"})
_CLAIM_DATE_QUALIFIERS = frozenset(_CLAIM_DATES)
_SERVICE_PERIOD = frozenset({"232", "233"})  # 2100 DTM statement from/to: service dates, which must read


# -- fast construction of the frozen models --------------------------------------------------


def _twin(cls: type) -> type:
    """A mutable slots twin of frozen dataclass `cls`, with the same slots in the same order.

    A frozen dataclass's __init__ sets each field through object.__setattr__, which makes a
    ClaimPayment cost about 10 us; a remittance of 100,000 claims and 300,000 adjustments spends
    most of its walk there. The twin's __init__ stores slots directly, and re-classing the object to
    `cls` (allowed because the slot layouts are identical) leaves a real, frozen `cls` instance:
    three to four times cheaper, and callers never see the twin.
    """
    twin = make_dataclass("_Mutable" + cls.__name__, [f.name for f in fields(cls)], slots=True, eq=False)
    if twin.__slots__ != cls.__slots__:  # type: ignore[attr-defined]  # pragma: no cover - guards the trick
        raise TypeError(f"{cls.__name__}: twin slots differ")
    return twin


_AdjustmentT = _twin(Adjustment)
_PartyT = _twin(Party)
_ServiceT = _twin(ServicePayment)
_ClaimT = _twin(ClaimPayment)


# -- element readers ------------------------------------------------------------------------


def _raw(e: tuple[str, ...]) -> RawSegment:
    """A segment kept as read, without trailing empty elements (as any writer would drop them)."""
    if len(e) > 1 and not e[-1]:
        n = len(e)
        while n > 1 and not e[n - 1]:
            n -= 1
        return e[:n]
    return e


def _amount(seg: Segment, n: int, problems: list[Problem]) -> Decimal:
    """A required amount; absent reads as 0 with a warning, malformed raises X12Error."""
    e = seg[1]
    text = e[n] if n < len(e) else ""
    value = _AMOUNTS.get(text)
    if value is not None:
        return value
    if not text.strip():
        problems.append(Problem("warning", "missing-element",
                                f"{seg.id}{n:02d} (a required amount) is missing; read as 0", seg.position))
        return _ZERO
    value = _checked_amount(seg, n)
    if len(_AMOUNTS) < _CACHE_LIMIT:
        _AMOUNTS[text] = value
    return value


def _optional(seg: Segment, n: int) -> Decimal | None:
    e = seg[1]
    text = e[n] if n < len(e) else ""
    if not text:
        return None
    value = _AMOUNTS.get(text)
    if value is not None:
        return value
    if not text.strip():
        return None
    value = _checked_amount(seg, n)
    if len(_AMOUNTS) < _CACHE_LIMIT:
        _AMOUNTS[text] = value
    return value


def _date(seg: Segment, n: int) -> date | None:
    e = seg[1]
    text = e[n] if n < len(e) else ""
    value = _DATES.get(text)
    if value is not None:
        return value
    if not text.strip():
        return None
    value = parse_date(seg, n)
    if len(_DATES) < _CACHE_LIMIT:
        _DATES[text] = value
    return value


def _soft_date(seg: Segment, n: int, problems: list[Problem], what: str) -> date | None:
    """A date the money does not depend on (BPR16, DTM*405, DTM*036/050, PLB02): unreadable reads as
    None with an "unreadable-element" warning, and the set and its claims still load."""
    e = seg.elements
    text = e[n] if n < len(e) else ""
    value = _DATES.get(text)
    if value is not None:
        return value
    value = soft_date(seg, n, problems, text, what)
    if value is not None and len(_DATES) < _CACHE_LIMIT:
        _DATES[text] = value
    return value


def _soft_number(seg: Segment, n: int, problems: list[Problem], what: str) -> Decimal | None:
    """A number the money does not depend on (QTY02, CLP12, CLP13): unreadable reads as None with an
    "unreadable-element" warning (a QTY is then kept raw with the loop's other segments)."""
    try:
        return _optional(seg, n)
    except X12Error as exc:
        problems.append(Problem("warning", UNREADABLE,
                                f"{exc.message} ({what}); read as empty, the rest of the transaction set is read",
                                seg.position))
        return None


def _get(e: tuple[str, ...], n: int) -> str:
    return e[n] if n < len(e) else ""


def _adjustments(seg: Segment, out: list[Adjustment], problems: list[Problem]) -> None:
    """CAS01 group, then up to six reason/amount/quantity triplets: one Adjustment per triplet."""
    e = seg[1]
    n = len(e)
    group = e[1] if n > 1 else ""
    index, offset = seg[3], seg[2]
    get = _AMOUNTS.get
    for i in range(2, n, 3):
        reason = e[i]
        text = e[i + 1] if i + 1 < n else ""
        value = get(text)
        if value is None:
            if not reason and not text and not _get(e, i + 2):
                continue  # an empty triplet between used ones
            value = _amount(seg, i + 1, problems)
        adjustment = _AdjustmentT(group, reason, value, _optional(seg, i + 2) if i + 2 < n else None, index, offset)
        adjustment.__class__ = Adjustment
        out.append(adjustment)


def _party(e: tuple[str, ...]) -> Party:
    """NM1: NM101 entity, NM102 type, NM103-105 and NM107 name parts, NM108/NM109 identifier."""
    n = len(e)
    if n >= 10:
        party = _PartyT(e[1], e[3], e[4], e[5], e[7], e[8], e[9], e[2])
    else:
        party = _PartyT(e[1] if n > 1 else "", e[3] if n > 3 else "", e[4] if n > 4 else "", e[5] if n > 5 else "",
                        e[7] if n > 7 else "", e[8] if n > 8 else "", "", e[2] if n > 2 else "")
    party.__class__ = Party
    return party  # type: ignore[no-any-return]


def _contact(e: tuple[str, ...]) -> Contact:
    pairs = tuple((_get(e, i), _get(e, i + 1)) for i in range(3, min(len(e), 9), 2))
    return Contact(_get(e, 1), _get(e, 2), pairs)


def _components(seg: Segment, n: int, separator: str, problems: list[Problem]) -> list[str]:
    """Element n's components; a composite written with another separator than ISA16 (`HC>55669`
    under `:`) is split on that one, with a warning, as the 837 walker does (`_elements.split_composite`)."""
    e = seg.elements
    text = e[n] if n < len(e) else ""
    if separator in text:
        return text.split(separator)
    parts, used = split_composite(text, separator)
    if used is not None:
        problems.append(composite_warning(seg, n, used, separator))
    return list(parts) or [""]


def _procedure_parts(parts: list[str]) -> tuple[str, str, tuple[str, ...], str]:
    """qualifier, code, modifiers (trailing empties dropped), description of a procedure composite."""
    n = len(parts)
    if n <= 2:
        return parts[0], parts[1] if n > 1 else "", (), ""
    modifiers = parts[2:6]
    while modifiers and not modifiers[-1]:
        modifiers.pop()
    return parts[0], parts[1], tuple(modifiers), parts[6] if n > 6 else ""


# -- loop builders: each loop's segments are collected as they come and read when it closes ----


def _build_service(svc: Segment, segs: list[Segment], separator: str, problems: list[Problem]) -> ServicePayment:
    """Loop 2110 from its SVC and the segments that followed it."""
    e = svc[1]
    n = len(e)
    cached, dates = _AMOUNTS, _DATES
    get = cached.get
    charge = get(e[2]) if n > 2 else None
    if charge is None:
        charge = _amount(svc, 2, problems)
    paid = get(e[3]) if n > 3 else None
    if paid is None:
        paid = _amount(svc, 3, problems)
    date_from: date | None = None
    date_to: date | None = None
    adjustments: list[Adjustment] = []
    line_control = ""
    references: list[tuple[str, str]] = []
    amounts: list[tuple[str, Decimal]] = []
    quantities: list[tuple[str, Decimal]] = []
    remarks: list[tuple[str, str]] = []
    other: list[RawSegment] = []
    for seg in segs:
        sid, s = seg[0], seg[1]
        ns = len(s)
        if sid == "CAS":
            value = get(s[3]) if ns == 4 else None
            if value is None:
                _adjustments(seg, adjustments, problems)
            else:  # the usual single triplet without quantity
                adjustment = _AdjustmentT(s[1], s[2], value, None, seg[3], seg[2])
                adjustment.__class__ = Adjustment
                adjustments.append(adjustment)
        elif sid == "DTM":
            qualifier = s[1] if ns > 1 else ""
            if qualifier == "472" and date_from is None:
                if ns == 3 and s[2] in dates:  # the usual DTM*472*CCYYMMDD, a date read before
                    date_from = date_to = dates[s[2]]
                elif ns > 6 and s[6] and not s[2].strip():  # 4010 style: DTM05 D8/RD8, DTM06 period
                    date_from, date_to = date_range(seg, 5, 6)
                else:
                    date_from = date_to = _date(seg, 2)
            elif qualifier == "150" and date_from is None:
                date_from = _date(seg, 2)
            elif qualifier == "151" and date_to is None:
                date_to = _date(seg, 2)
            else:
                other.append(_raw(s))
        elif sid == "REF":
            if ns > 2 and s[1] == "6R" and not line_control:
                line_control = s[2]
            else:
                references.append((_get(s, 1), _get(s, 2)))
        elif sid == "AMT" and ns == 3 and s[2] in cached:  # the usual AMT*B6*amount, an amount read before
            amounts.append((s[1], cached[s[2]]))
        elif sid == "AMT" or sid == "QTY":
            value = _optional(seg, 2) if sid == "AMT" else _soft_number(seg, 2, problems, "a quantity")
            if value is None:
                other.append(_raw(s))
            else:
                (amounts if sid == "AMT" else quantities).append((s[1], value))
        elif sid == "LQ":
            remarks.append((s[1], s[2]) if ns > 2 else (_get(s, 1), ""))
        else:
            other.append(_raw(s))
    qualifier, code, modifiers, description = _procedure_parts(_components(svc, 1, separator, problems))
    submitted = Procedure(*_procedure_parts(_components(svc, 6, separator, problems))) if n > 6 and e[6] else None
    # Positional, in ServicePayment's field order: keywords would double the cost of this call.
    service = _ServiceT(
        qualifier, code, modifiers, charge, paid, description, e[4] if n > 4 else "",
        _optional(svc, 5) if n > 5 else None, submitted, _optional(svc, 7) if n > 7 else None,
        date_from, date_to, tuple(adjustments), line_control, tuple(references),
        tuple(amounts), tuple(quantities), tuple(remarks), tuple(other), svc[3], svc[2],
    )
    service.__class__ = ServicePayment
    return service  # type: ignore[no-any-return]


def _build_claim(clp: Segment, segs: list[Segment], services: list[ServicePayment],
                 header_number: HeaderNumber | None, problems: list[Problem]) -> ClaimPayment:
    """Loop 2100 from its CLP, the 2100 segments that followed it and its finished 2110 loops."""
    e = clp[1]
    n = len(e)
    read_dates = _DATES
    adjustments: list[Adjustment] = []
    parties: dict[str, Party] = {}
    dates: dict[str, date | None] = {}
    inpatient: tuple[str, ...] | None = None
    outpatient: tuple[str, ...] | None = None
    contacts: list[Contact] = []
    amounts: list[tuple[str, Decimal]] = []
    quantities: list[tuple[str, Decimal]] = []
    references: list[tuple[str, str]] = []
    other: list[RawSegment] = []
    for seg in segs:
        sid, s = seg[0], seg[1]
        if sid == "CAS":
            _adjustments(seg, adjustments, problems)
            continue
        if sid == "NM1":
            entity = s[1] if len(s) > 1 else ""
            if entity in _CLAIM_PARTIES and entity not in parties:
                parties[entity] = _party(s)
                continue
        elif sid == "DTM":
            qualifier = s[1] if len(s) > 1 else ""
            if qualifier in _CLAIM_DATE_QUALIFIERS and qualifier not in dates:
                # DTM*232/233 (the claim's service period) must read; 036/050 are not money.
                if qualifier in _SERVICE_PERIOD:
                    day = read_dates.get(s[2]) if len(s) > 2 else None
                    dates[qualifier] = day if day is not None else _date(seg, 2)
                else:
                    dates[qualifier] = _soft_date(seg, 2, problems, f"DTM*{qualifier}")
                continue
        elif sid == "REF":
            references.append((_get(s, 1), _get(s, 2)))
            continue
        elif sid == "AMT" or sid == "QTY":
            value = _optional(seg, 2) if sid == "AMT" else _soft_number(seg, 2, problems, "a quantity")
            if value is not None:
                (amounts if sid == "AMT" else quantities).append((s[1], value))
                continue
        elif sid == "MIA" and inpatient is None:
            inpatient = _raw(s)[1:]
            continue
        elif sid == "MOA" and outpatient is None:
            outpatient = _raw(s)[1:]
            continue
        elif sid == "PER":
            contacts.append(_contact(s))
            continue
        other.append(_raw(s))
    get = parties.get
    if n < 2 or not e[1].strip():
        # CLP01 is the key the payment is matched on (= CLM01): a payment posted to no claim would
        # read as money nobody billed, so the set fails rather than guess.
        raise X12Error("CLP01 (the patient control number) is missing", clp.position)
    charge = _amount(clp, 3, problems)
    paid = _amount(clp, 4, problems)
    # Positional, in ClaimPayment's field order (CLP01-09, CLP11-13, CAS, NM1s, MIA/MOA, DTMs, PER,
    # AMT, QTY, REF, services, LX, others, position): keywords would double the cost of this call.
    claim = _ClaimT(
        e[1] if n > 1 else "", e[2] if n > 2 else "", charge, paid,
        _optional(clp, 5) if n > 5 else None, e[6] if n > 6 else "", e[7] if n > 7 else "",
        e[8] if n > 8 else "", e[9] if n > 9 else "", e[11] if n > 11 else "",
        _soft_number(clp, 12, problems, "the DRG weight") if n > 12 else None,
        _soft_number(clp, 13, problems, "the discharge fraction") if n > 13 else None,
        tuple(adjustments),
        get("QC"), get("IL"), get("74"), get("82"), get("TT"), get("PR"), get("GB"),
        inpatient, outpatient,
        dates.get("232"), dates.get("233"), dates.get("036"), dates.get("050"),
        tuple(contacts), tuple(amounts), tuple(quantities), tuple(references),
        tuple(services), header_number, tuple(other), clp[3], clp[2],
    )
    claim.__class__ = ClaimPayment
    return claim  # type: ignore[no-any-return]


class _PartyLoop:
    __slots__ = ("seg", "address", "references", "contacts", "other")

    def __init__(self, seg: Segment) -> None:
        self.seg = seg
        self.address: Address | None = None
        self.references: list[tuple[str, str]] = []
        self.contacts: list[Contact] = []
        self.other: list[RawSegment] = []

    def add(self, seg: Segment) -> None:
        sid, e = seg.id, seg.elements
        if sid == "N3" and (self.address is None or not (self.address.line1 or self.address.line2)):
            old = self.address or Address()
            self.address = Address(_get(e, 1), _get(e, 2), old.city, old.state, old.postal_code, old.country,
                                   old.country_subdivision)
        elif sid == "N4" and (self.address is None or not self.address.city):
            old = self.address or Address()
            self.address = Address(old.line1, old.line2, _get(e, 1), _get(e, 2), _get(e, 3), _get(e, 4), _get(e, 7))
        elif sid == "REF":
            self.references.append((_get(e, 1), _get(e, 2)))
        elif sid == "PER":
            self.contacts.append(_contact(e))
        else:
            self.other.append(_raw(e))

    def build(self) -> PartyLoop:
        e = self.seg.elements
        party = Party(entity=_get(e, 1), last_or_organization=_get(e, 2), id_qualifier=_get(e, 3), id=_get(e, 4))
        return PartyLoop(party, self.address, tuple(self.references), tuple(self.contacts), tuple(self.other),
                         self.seg.index, self.seg.offset)


# -- table 1 -------------------------------------------------------------------------------


def _read_header(st: Segment, segments: Iterator[Segment],
                 problems: list[Problem]) -> tuple[RemittanceHeader, Segment | None]:
    """Table 1 up to the first LX, CLP, PLB or SE (returned, unconsumed, as the second item)."""
    bpr: Segment | None = None
    trn: tuple[str, ...] = ()
    cur: tuple[str, ...] = ()
    receiver_id = version_id = ""
    production: date | None = None
    payer: _PartyLoop | None = None
    payee: _PartyLoop | None = None
    current: _PartyLoop | None = None
    other: list[RawSegment] = []
    stop: Segment | None = None
    for seg in segments:
        sid, e = seg.id, seg.elements
        if sid in _LOOP_ENDS:
            stop = seg
            break
        if sid == "N1":
            entity = _get(e, 1)
            current = None
            if entity == "PR" and payer is None:
                current = payer = _PartyLoop(seg)
            elif entity == "PE" and payee is None:
                current = payee = _PartyLoop(seg)
            else:
                other.append(_raw(e))
        elif sid == "BPR" and bpr is None:
            bpr = seg
        elif sid == "TRN" and not trn:
            trn = e
        elif sid == "CUR" and not cur:
            cur = e
        elif sid == "DTM" and _get(e, 1) == "405" and production is None:
            production = _soft_date(seg, 2, problems, "the production date DTM*405")
        elif current is not None:
            current.add(seg)
        elif sid == "REF" and _get(e, 1) == "EV" and not receiver_id:
            receiver_id = _get(e, 2)
        elif sid == "REF" and _get(e, 1) == "F2" and not version_id:
            version_id = _get(e, 2)
        else:
            other.append(_raw(e))
    if bpr is None:
        problems.append(Problem("warning", "missing-segment", "the 835 has no BPR; total payment read as 0",
                                st.position))
        anchor = st
        b: tuple[str, ...] = ("BPR",)
        total = _ZERO
        payment_date = None
    else:
        anchor, b = bpr, bpr.elements
        total = _amount(bpr, 2, problems)
        check_payment_amount(total, bpr.position, problems)
        payment_date = _soft_date(bpr, 16, problems, "the check or EFT date")
    if not trn:
        problems.append(Problem("warning", "missing-segment", "the 835 has no TRN reassociation trace number",
                                anchor.position))
    header = RemittanceHeader(
        handling_code=_get(b, 1), total_payment=total, credit_debit=_get(b, 3), payment_method=_get(b, 4),
        payment_format=_get(b, 5), banking=_raw(("",) + b[6:16])[1:], payment_date=payment_date,
        trace_type=_get(trn, 1), trace_number=_get(trn, 2), payer_identifier=_get(trn, 3),
        originating_supplemental_code=_get(trn, 4), currency_entity=_get(cur, 1), currency=_get(cur, 2),
        receiver_id=receiver_id, version_id=version_id, production_date=production,
        payer=payer.build() if payer else None, payee=payee.build() if payee else None,
        other_segments=tuple(other), segment=anchor.index, offset=anchor.offset,
    )
    return header, stop


def _provider_adjustments(seg: Segment, separator: str, out: list[ProviderAdjustment],
                          balance: TransactionBalance, problems: list[Problem]) -> None:
    """PLB01 provider, PLB02 fiscal period date, then up to six (reason:reference, amount) pairs."""
    e = seg.elements
    n = len(e)
    provider, fiscal = _get(e, 1), _soft_date(seg, 2, problems, "the fiscal period date")
    for i in range(3, n, 2):
        composite = e[i]
        if not composite and not _get(e, i + 1):
            continue
        parts = _components(seg, i, separator, problems)
        reason, reference = parts[0], separator.join(parts[1:])
        adjustment = ProviderAdjustment(provider, fiscal, reason, reference, _amount(seg, i + 1, problems),
                                        seg.index, seg.offset)
        balance.add_provider_adjustment(adjustment)
        out.append(adjustment)


# -- the walker ----------------------------------------------------------------------------


def walk_835(st: Segment, run: Iterator[Segment], info: TransactionInfo,
             problems: list[Problem]) -> Iterator[ParseItem]:
    """Walk one 835 ST..SE: TransactionStart(header), each ClaimPayment as it completes, TransactionEnd."""
    segments = iter(run)
    separator = st.envelope.delimiters.component
    base: Position = st.position
    header, first = _read_header(st, segments, problems)
    yield TransactionStart(info, header)

    balance = TransactionBalance()
    clp: Segment | None = None  # the open 2100 loop: its CLP, its other segments, its finished 2110s
    claim_segs: list[Segment] = []
    services: list[ServicePayment] = []
    svc: Segment | None = None  # the open 2110 loop
    svc_segs: list[Segment] = []
    lx: HeaderNumber | None = None  # the LX the next claims sit under, frozen at its first CLP
    lx_seg: Segment | None = None  # an LX whose loop is still collecting TS3/TS2
    lx_other: list[RawSegment] = []
    plbs: list[ProviderAdjustment] = []
    trailer_other: list[RawSegment] = []
    in_trailer = warned_lx = False
    se: Segment | None = None
    loop_ends = _LOOP_ENDS
    it = chain((first,), segments) if first is not None else segments
    pending: Segment | None = None  # the segment that closed a claim, read between claims next
    while True:
        if pending is None:
            seg = next(it, None)
            if seg is None:
                break
        else:
            seg, pending = pending, None
        sid = seg[0]
        # Between claims: LX, CLP, PLB, SE, and whatever sits in an LX before its first CLP.
        if sid == "CLP":
            if lx_seg is not None:
                lx = HeaderNumber(_get(lx_seg.elements, 1), tuple(lx_other), lx_seg.index, lx_seg.offset)
                lx_seg, lx_other = None, []
            elif lx is None and not warned_lx:
                warned_lx = True
                problems.append(Problem("warning", "missing-segment",
                                        "claim payment (CLP) outside a header number loop (LX)", seg.position))
            if in_trailer:
                problems.append(Problem("warning", "segment-order", "claim payment (CLP) after the PLB", seg.position))
            clp, claim_segs, services = seg, [], []
            add_claim_seg = claim_segs.append
            svc = None
            # The open 2100 loop, in a loop of its own: its segments (most of the file) are only
            # appended, to the claim or to its open 2110, until the next CLP, LX, PLB or SE.
            for seg in it:
                sid = seg[0]
                if sid in loop_ends:
                    pending = seg
                    break
                if sid == "SVC":
                    if svc is not None:
                        services.append(_build_service(svc, svc_segs, separator, problems))
                    svc, svc_segs = seg, []
                    add_svc_seg = svc_segs.append
                elif svc is None:
                    add_claim_seg(seg)
                elif sid not in _CLAIM_ONLY:
                    add_svc_seg(seg)
                else:
                    problems.append(Problem("warning", "segment-order",
                                            f"{sid} after a service line belongs to the claim; kept with the claim",
                                            seg.position))
                    add_claim_seg(seg)
            # Closed by the next loop's segment, or the set ended without SE.
            if svc is not None:
                services.append(_build_service(svc, svc_segs, separator, problems))
            done = _build_claim(clp, claim_segs, services, lx, problems)
            check_claim(done, base, problems)
            balance.add_claim(done)
            yield done
        elif sid == "LX":
            if lx_seg is not None:
                _orphan_lx(lx_seg, lx_other, trailer_other, problems)
            lx_seg, lx_other, lx = seg, [], None
        elif sid == "PLB":
            if lx_seg is not None:
                _orphan_lx(lx_seg, lx_other, trailer_other, problems)
                lx_seg, lx_other = None, []
            in_trailer = True
            _provider_adjustments(seg, separator, plbs, balance, problems)
        elif sid == "SE":
            se = seg
            break
        elif lx_seg is not None and not in_trailer:
            lx_other.append(_raw(seg.elements))
        else:
            trailer_other.append(_raw(seg.elements))
    if lx_seg is not None:
        _orphan_lx(lx_seg, lx_other, trailer_other, problems)
    balance.check(header.total_payment, (se or st).position, problems, header.credit_debit)
    yield TransactionEnd(info, RemittanceTrailer(tuple(plbs), tuple(trailer_other)), True, 0)


def _orphan_lx(seg: Segment, other: list[RawSegment], trailer_other: list[RawSegment], problems: list[Problem]) -> None:
    """An LX with no claim: kept, raw, with the trailer's other segments."""
    problems.append(Problem("warning", "empty-loop", "header number loop (LX) without claim payments", seg.position))
    trailer_other.append(_raw(seg.elements))
    trailer_other.extend(other)


def iter_remittances(source: Source, name: str | None = None,
                     problems: list[Problem] | None = None) -> Iterator[Remittance835]:
    """Whole 835 transaction sets of a file (for small files and tests; large files should stream).

    Problems of reading and walking go to `problems` when given. A set with a value that cannot be
    read is reported there and not yielded.
    """
    stream = read_segments(source, name=name)
    if problems is not None:
        stream.problems = problems
    found = stream.problems
    header: RemittanceHeader | None = None
    info: TransactionInfo | None = None
    claims: list[ClaimPayment] = []
    for item in split_transactions(iter(stream), {"835": walk_835}, found):
        if isinstance(item, ClaimPayment):
            claims.append(item)
        elif isinstance(item, TransactionStart):
            info, claims = item.info, []
            header = item.header if isinstance(item.header, RemittanceHeader) else None
        elif isinstance(item, TransactionEnd):
            trailer = item.trailer
            if item.complete and isinstance(trailer, RemittanceTrailer) and header is not None:
                yield Remittance835(info, header, tuple(claims), trailer.provider_adjustments, trailer.other_segments)
            header, claims = None, []
