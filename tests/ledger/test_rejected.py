"""A claim its payer rejected (999/277CA, ClaimFact.rejected) is not a receivable and never matches."""

from __future__ import annotations

from edi_engine.ledger import Account, StoreFacts, analyse, build_postings, match_account
from edi_engine.store.read import ClaimFact, ClpFact


def _account(rejected: bool) -> tuple[Account, StoreFacts]:
    claim = ClaimFact(1, 1, 10, 0, "PCN1", "PAYER1", 15000, "1", "", "M1", ("DOE", "JANE", ""), None, None,
                      rejected=rejected)
    clp = ClpFact(7, 1, 2, 20, 0, "PCN1", "1", 15000, 12000, 3000, "CI", "ICN1", "M1", None, None, "PAYER1")
    return Account("PCN1", [claim], [clp]), StoreFacts({}, {}, {}, {}, {}, {})


def test_an_accepted_claim_matches_and_is_billed() -> None:
    account, facts = _account(rejected=False)
    m = match_account(account, facts)
    assert m.claim_of[7].id == 1 and not m.problems
    assert any(p.kind == "charge" for p in build_postings(analyse(account, m, facts)))


def test_a_rejected_claim_never_matches_and_is_not_billed() -> None:
    account, facts = _account(rejected=True)
    m = match_account(account, facts)
    assert not m.claim_of and [(p.cause, p.candidates) for p in m.problems] == [("claim-rejected", (1,))]
    view = analyse(account, m, facts)
    assert view.billed_claim is None and not view.pending and not any(p.kind == "charge" for p in build_postings(view))
