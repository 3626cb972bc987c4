"""The rule pack: tolerances, CARC sets, enabled categories, payer types and refund deadlines,
read from TOML (the packaged default.toml, with an optional file merged over it).

Owns the pack's format and its validation. Which categories exist is the registry's
(rules/categories.py); a pack only says which of them run, every registered one unless it lists
`categories.enabled`, and a name the registry does not know is an error. Knows nothing of the
ledger or the store.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from edi_engine.errors import InputError, UsageError
from edi_engine.money import Cents, to_cents
from edi_engine.rules import categories
from edi_engine.rules.approvals import ApprovalChain, parse_chain

__all__ = ["Cms838Rules", "DepositRules", "LetterRules", "PayerLetterRules", "ProviderInfo", "RulePack", "StateRules",
           "load_pack"]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _cents(value: object, where: str) -> Cents:
    """A TOML amount (string, int or float as written) to cents through edi_engine.money, exactly."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise UsageError(f"rule pack: {where} is not an amount: {value!r}") from None
    if not amount.is_finite():
        raise UsageError(f"rule pack: {where} is not an amount: {value!r}")
    try:
        return to_cents(amount, where)
    except InputError as exc:  # the pack is the operator's configuration: a usage error, not bad input data
        raise UsageError(f"rule pack: {exc.message}") from None


@dataclass(frozen=True, slots=True)
class DepositRules:
    """[deposits]: EFT/check reassociation windows and how long a missing side may take (default.toml)."""

    match_window_business_days: int = 3
    check_match_window_business_days: int = 10
    era_wait_days: int = 7
    check_wait_days: int = 21
    deposit_wait_days: int = 7
    holidays: frozenset[date] = frozenset()


def _deposit_rules(raw: dict[str, Any]) -> DepositRules:
    days = {k: int(raw[k]) for k in ("match_window_business_days", "check_match_window_business_days",
                                     "era_wait_days", "check_wait_days", "deposit_wait_days") if k in raw}
    if any(v < 0 for v in days.values()):
        raise UsageError("rule pack: deposits windows and waits are days, not negative")
    return DepositRules(**days, holidays=frozenset(date.fromisoformat(str(h)) for h in raw.get("holidays", [])))


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """[provider]: who the CMS-838 header and the letterhead name (default.toml). Empty: not configured
    (a letter then takes the 837's billing provider)."""

    name: str = ""
    npi: str = ""
    ptan: str = ""  # the 6-digit Medicare provider number (PTAN/CCN) the report is filed under
    contact_name: str = ""
    contact_phone: str = ""
    address: tuple[str, ...] = ()  # street lines of the letterhead
    city: str = ""
    state: str = ""
    postal_code: str = ""  # 5 or 9 digits (or 12345-6789)
    phone: str = ""  # the office's number on the letterhead; else contact_phone
    phone_extension: str = ""
    fax: str = ""


@dataclass(frozen=True, slots=True)
class PayerLetterRules:
    """[letters.payers.ID]: where one payer's refund desk takes letters and checks."""

    refund_address: tuple[str, ...] = ()  # the lines as mailed, the last "CITY, ST ZIP"
    attention: str = ""  # e.g. "Overpayment Recovery Unit"


@dataclass(frozen=True, slots=True)
class LetterRules:
    """[letters]: who signs the letters, and each payer's refund address by canonical payer id."""

    signer_name: str = ""
    signer_title: str = ""
    payers: dict[str, PayerLetterRules] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Cms838Rules:
    """[cms838]: column 8 (open/closed cost report) and whether professional claims are listed."""

    cost_report_closed_through: date | None = None
    professional_claims: bool = False


def _lines(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"rule pack: {where} is a list of address lines, got {value!r}")
    return tuple(v.strip() for v in value if v.strip())


def _provider_info(raw: dict[str, Any]) -> ProviderInfo:
    text = {k: str(raw.get(k, "")).strip() for k in ("name", "npi", "ptan", "contact_name", "contact_phone", "city",
                                                     "state", "postal_code", "phone", "phone_extension", "fax")}
    return ProviderInfo(**text, address=_lines(raw.get("address", []), "provider.address"))


def _letter_rules(raw: dict[str, Any]) -> LetterRules:
    unknown = set(raw) - {"signer_name", "signer_title", "payers"}
    if unknown:
        raise UsageError(f"rule pack: letters: unknown settings {sorted(unknown)}")
    payers = {}
    for payer_id, settings in raw.get("payers", {}).items():
        if not isinstance(settings, dict) or set(settings) - {"refund_address", "attention"}:
            raise UsageError(f"rule pack: letters.payers.{payer_id} takes refund_address and attention")
        payers[str(payer_id)] = PayerLetterRules(
            _lines(settings.get("refund_address", []), f"letters.payers.{payer_id}.refund_address"),
            str(settings.get("attention", "")).strip())
    return LetterRules(str(raw.get("signer_name", "")).strip(), str(raw.get("signer_title", "")).strip(), payers)


def _cms838_rules(raw: dict[str, Any]) -> Cms838Rules:
    closed = str(raw.get("cost_report_closed_through", "") or "").strip()
    try:
        through = date.fromisoformat(closed) if closed else None
    except ValueError:
        raise UsageError(f"rule pack: cms838.cost_report_closed_through is a date (YYYY-MM-DD), got {closed!r}") \
            from None
    flag = raw.get("professional_claims", False)
    if not isinstance(flag, bool):
        raise UsageError(f"rule pack: cms838.professional_claims is true or false, got {flag!r}")
    return Cms838Rules(through, flag)


def _days(section: dict[str, Any], key: str) -> int:
    value = int(section[key])
    if value < 0:
        raise UsageError(f"rule pack: deadlines.{key} is days, not negative")
    return value


def _aging_buckets(raw: Any) -> tuple[int, ...]:
    ends = tuple(int(v) for v in raw)
    if not ends or any(v <= 0 for v in ends) or list(ends) != sorted(set(ends)):
        raise UsageError(f"rule pack: aging.buckets must be increasing days above 0, got {list(ends)}")
    return ends


@dataclass(frozen=True, slots=True)
class StateRules:
    """One state's rules as data ([states.XX] in default.toml, each with its source there)."""

    payer_lookback_days: int | None = None
    payer_lookback_months: int | None = None
    patient_rule: str = ""
    patient_may_keep_credit: bool = True  # may a patient letter offer to keep the credit on account instead?
    unclaimed_dormancy_years: int | None = None
    unclaimed_report_by: str = ""  # MM-DD


def _states(raw: dict[str, Any]) -> dict[str, StateRules]:
    out = {}
    for state, rules in raw.items():
        unknown = set(rules) - set(StateRules.__slots__)
        if unknown:
            raise UsageError(f"rule pack: states.{state}: unknown settings {sorted(unknown)}")
        values = dict(rules)
        for key in ("payer_lookback_days", "payer_lookback_months", "unclaimed_dormancy_years"):
            if key in values and int(values[key]) <= 0:
                raise UsageError(f"rule pack: states.{state}.{key} must be above 0")
        out[str(state).upper()] = StateRules(**values)
    return out


@dataclass(frozen=True, slots=True)
class RulePack:
    enabled: frozenset[str]
    credit_tolerance: Cents
    credit_tolerance_by_type: dict[str, Cents]
    balancing_tolerance: Cents
    fee_per_unit: bool
    duplicate_denial_carcs: frozenset[str]
    bundling_carcs: frozenset[str]
    payer_types_by_filing: dict[str, str]
    payer_types_by_id: dict[str, str]
    state: str
    deadline_days: dict[str, int]  # medicare, medicaid, payer_default, patient_default
    patient_days_by_state: dict[str, int]
    payer_days_by_state: dict[str, int]
    contract_days: dict[str, int]  # payer id -> refund window of the provider's contract
    msp_code_by_payer: dict[str, str]  # CMS-838 column 14, by the other primary payer's id
    msp_code_by_filing: dict[str, str]  # ... else by its CLP06
    msp_secondary_payers: frozenset[str]  # payer ids never primary to Medicare (retiree, small employer, Medigap)
    source: str
    deposits: DepositRules = DepositRules()
    # Days after a credit arose by which reasonable diligence should have found it: identified later,
    # it is flagged late and its clock starts on that day instead (default.toml [deadlines]).
    identification_window_days: int = 180
    investigation_max_days: int = 180  # a Medicare deadline's suspension while investigating (401.305(b))
    investigation_payer_types: frozenset[str] = frozenset({"medicare"})
    aging_buckets: tuple[int, ...] = (30, 60, 90)  # upper ends of the aging buckets, in days
    # Secondaries whose own allowed amount counts under COB (NAIC MDL-120: the highest negotiated fee).
    cob_own_allowable: frozenset[str] = frozenset()
    states: dict[str, StateRules] = field(default_factory=dict)
    provider: ProviderInfo = ProviderInfo()
    cms838: Cms838Rules = Cms838Rules()
    letters: LetterRules = LetterRules()
    approvals: ApprovalChain = ApprovalChain()  # [approvals]: who approves a refund before its letter

    @property
    def state_rules(self) -> StateRules:
        """The provider's state's rules ([provider] state), none when it has no row."""
        return self.states.get(self.state, StateRules())

    def payer_type(self, payer_id: str | None, filing_indicator: str | None) -> str:
        if payer_id and payer_id in self.payer_types_by_id:
            return self.payer_types_by_id[payer_id]
        return self.payer_types_by_filing.get(filing_indicator or "", "commercial")

    def credit_tolerance_for(self, payer_type: str | None) -> Cents:
        return self.credit_tolerance_by_type.get(payer_type or "", self.credit_tolerance)


def load_pack(path: str | Path | None = None) -> RulePack:
    raw = tomllib.loads(resources.files("edi_engine.rules").joinpath("default.toml").read_text("utf-8"))
    source = "default"
    if path is not None:
        try:
            over = tomllib.loads(Path(path).read_text("utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot read rule pack {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"rule pack {path} is not valid TOML: {exc}") from None
        raw, source = _merge(raw, over), str(path)
    try:
        listed = raw.get("categories", {}).get("enabled")
        enabled = frozenset(categories.names() if listed is None else listed)
        unknown = enabled - set(categories.names())
        if unknown:
            raise UsageError(f"rule pack: unknown categories {sorted(unknown)}")
        deadlines = raw["deadlines"]
        return RulePack(
            enabled=enabled,
            credit_tolerance=_cents(raw["tolerance"]["credit"], "tolerance.credit"),
            credit_tolerance_by_type={str(k): _cents(v, f"tolerance.credit_by_payer_type.{k}") for k, v in
                                      raw["tolerance"].get("credit_by_payer_type", {}).items()},
            balancing_tolerance=_cents(raw["tolerance"]["balancing"], "tolerance.balancing"),
            fee_per_unit=bool(raw["fee_schedule"]["per_unit"]),
            duplicate_denial_carcs=frozenset(raw["carc"]["duplicate_denial"]),
            bundling_carcs=frozenset(raw["carc"]["bundling"]),
            payer_types_by_filing={str(k): str(v) for k, v in raw.get("payer_types", {}).items()},
            payer_types_by_id={str(k): str(v) for k, v in raw.get("payers", {}).items()},
            state=str(raw.get("provider", {}).get("state", "")).upper(),
            deadline_days={k: int(deadlines[k]) for k in ("medicare", "medicaid", "payer_default", "patient_default")},
            patient_days_by_state={k.upper(): int(v) for k, v in deadlines.get("patient_by_state", {}).items()},
            payer_days_by_state={k.upper(): int(v) for k, v in deadlines.get("payer_by_state", {}).items()},
            contract_days={str(k): int(v) for k, v in deadlines.get("contract", {}).items()},
            msp_code_by_payer={str(k): str(v) for k, v in raw.get("msp", {}).get("code_by_payer", {}).items()},
            msp_code_by_filing={str(k): str(v) for k, v in raw.get("msp", {}).get("code_by_filing", {}).items()},
            msp_secondary_payers=frozenset(str(p) for p in raw.get("msp", {}).get("secondary_to_medicare", [])),
            source=source,
            deposits=_deposit_rules(raw.get("deposits", {})),
            identification_window_days=_days(deadlines, "identification_window_days"),
            investigation_max_days=_days(deadlines, "investigation_max_days"),
            investigation_payer_types=frozenset(str(t) for t in deadlines["investigation_payer_types"]),
            aging_buckets=_aging_buckets(raw["aging"]["buckets"]),
            states=_states(raw.get("states", {})),
            provider=_provider_info(raw.get("provider", {})),
            cms838=_cms838_rules(raw.get("cms838", {})),
            letters=_letter_rules(raw.get("letters", {})),
            cob_own_allowable=frozenset(str(p) for p in raw.get("cob", {}).get("own_allowable_secondaries", [])),
            approvals=parse_chain(raw.get("approvals", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"rule pack {source}: missing or invalid setting ({exc})") from None
