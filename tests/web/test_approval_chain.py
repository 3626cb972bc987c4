"""The approval chain through HTTP (issue 13 item 3): with a two-step chain (a reviewer proposes, an
approver approves), every role x status combination is offered exactly the buttons it may use, and
every action it is not offered is refused when posted directly (403 for the role or four eyes, 409
for the status). A letter and a corrected claim cannot be had before the last approval, on SQLite
and PostgreSQL. Opening a finding records a `viewed` event once a day per person."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine

from edi_engine import outputs
from edi_engine.store import findings as stored
from edi_engine.store import open_store, tables
from edi_engine.web import RateLimit, WebConfig, add_user, create_app
from tests.conftest import PG_ENV, PG_SKIP, _pg_url
from tests.web.conftest import PASSWORD, REPO, TODAY, USERS, page_token, sign_in

_F = tables.finding
TWO = """
[approvals]
steps = [{ name = "proposal", role = "reviewer" }, { name = "approval", role = "approver" }]
"""
STATES = ("open", "open-1", "approved", "refunded", "offset", "dismissed", "resolved")
ACTIONS = ("approve", "dismiss", "offset", "mark-refunded", "letter", "corrected-claim")
# What each action shows on the page when offered.
BUTTONS = {"approve": 'name="action" value="approve"', "dismiss": 'name="action" value="dismiss"',
           "offset": 'name="action" value="offset"', "mark-refunded": 'name="action" value="mark-refunded"',
           "letter": "Download letter", "corrected-claim": "Download 837"}


def expected(role: str, state: str, action: str) -> bool:
    """The rules as the issue states them, written out here rather than read from the code."""
    deciders = role in ("approver", "admin")
    if action == "approve":
        return state == "open" or (state == "open-1" and role != "reviewer")  # rita took step 1: four eyes
    if action == "dismiss":
        return deciders and state in ("open", "open-1", "approved")
    if action in ("offset", "mark-refunded"):
        return deciders and state == "approved"
    return deciders and state in ("approved", "refunded", "offset")  # letter, corrected claim


def _rules(tmp_path: Path) -> str:
    path = tmp_path / "office.toml"
    path.write_text(TWO)
    return str(path)


def _finding(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(_F.c.id).where(_F.c.category == "duplicate_payment", _F.c.status == "open")
                            .order_by(_F.c.id)).scalars().first()


def _put_in(engine: Engine, fid: int, state: str, rules: str) -> None:
    if state == "open":
        return
    outputs.decide(engine, fid, "approve", by="rita", role="reviewer", rules_path=rules)
    if state == "open-1":
        return
    if state == "resolved":
        with engine.begin() as conn:
            assert stored.set_status_if(conn, fid, "open", "resolved")
        return
    outputs.decide(engine, fid, "approve", by="abe", role="approver", rules_path=rules)
    if state == "refunded":
        outputs.record_refund(engine, fid, by="abe", method="check", number="9001", paid_on="2025-08-01")
    elif state in ("offset", "dismissed"):
        outputs.decide(engine, fid, state.replace("dismissed", "dismiss"), by="abe", note="as the test needs")


def _app(url: str | Engine, rules: str) -> Flask:
    return create_app(open_store(url) if isinstance(url, str) else url, WebConfig(today=lambda: TODAY, rules_path=rules,
                                                 rate_limit=RateLimit(per_username=50, per_address=500)))


def _client(app: Flask, user: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, user) == 303
    return client


def _post(client: FlaskClient, fid: int, action: str):  # type: ignore[no-untyped-def]
    token = page_token(client, f"/findings/{fid}")
    if action == "letter":
        return client.post(f"/findings/{fid}/letter", data={"to": "payer", "csrf_token": token})
    if action == "corrected-claim":
        return client.post(f"/findings/{fid}/corrected-claim", data={"mode": "finding", "csrf_token": token})
    form = {"action": action, "note": "why", "csrf_token": token}
    if action == "mark-refunded":
        form |= {"method": "check", "number": "9100", "paid_on": "2025-08-01"}
    return client.post(f"/findings/{fid}/decide", data=form)


def test_every_role_and_status_is_offered_only_what_it_may_do(world_db: Path, tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    mismatches: list[tuple[object, ...]] = []
    for state in STATES:
        base = tmp_path / f"{state}.db"
        shutil.copy(world_db, base)
        engine = open_store(f"sqlite:///{base}")
        fid = _finding(engine)
        _put_in(engine, fid, state, rules)
        app = _app(engine, rules)
        for user, role in USERS.items():
            client = _client(app, user)
            page = client.get(f"/findings/{fid}").get_data(as_text=True)
            for action in ACTIONS:
                offered, allowed = BUTTONS[action] in page, expected(role, state, action)
                if offered != allowed:
                    mismatches.append((state, role, action, "offered" if offered else "not offered"))
                if allowed:  # done on a copy, so the next combination starts from the same state
                    copy = tmp_path / f"{state}-{user}-{action}.db"
                    shutil.copy(base, copy)
                    wal = base.with_name(base.name + "-wal")  # what the open engine has not checkpointed yet
                    if wal.exists():
                        shutil.copy(wal, copy.with_name(copy.name + "-wal"))
                    resp = _post(_client(_app(f"sqlite:///{copy}", rules), user), fid, action)
                    if resp.status_code != (200 if action in ("letter", "corrected-claim") else 303):
                        mismatches.append((state, role, action, resp.status_code))
                    copy.unlink()
                    continue
                before = (_status_of(engine, fid), len(outputs.audit_events(engine, fid)))
                resp = _post(client, fid, action)
                body = resp.get_data().decode("utf-8", "replace")
                role_refusal = (role == "reviewer" and action != "approve") or \
                    (action == "approve" and state == "open-1" and role == "reviewer")
                want, why = (403, ("may not",)) if role_refusal else (409, ("Not recorded", "No letter",
                                                                           "No corrected claim"))
                if resp.status_code != want or not any(w in body for w in why):
                    mismatches.append((state, role, action, resp.status_code))
                # refused: nothing changed but, at most, the day's one `viewed` event of the page it shows
                after = (_status_of(engine, fid), len(outputs.audit_events(engine, fid)))
                if after != before:
                    mismatches.append((state, role, action, "changed", before, after))
        engine.dispose()
    assert mismatches == [], "\n".join(map(str, mismatches))


def _status_of(engine: Engine, fid: int) -> str:
    with engine.connect() as conn:
        return conn.execute(select(_F.c.status).where(_F.c.id == fid)).scalar_one()


def test_the_two_step_chain_in_http(engine: Engine, tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    app = _app(engine, rules)
    fid = _finding(engine)
    rita, abe = _client(app, "rita"), _client(app, "abe")
    page = rita.get(f"/findings/{fid}").get_data(as_text=True)
    assert "Approve step 1 of 2 (proposal)" in page and "Download letter" not in page
    resp = rita.post(f"/findings/{fid}/decide", data={"action": "approve", "note": "EOB shows two payments",
                                                      "csrf_token": page_token(rita, f"/findings/{fid}")},
                     follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Recorded: your approval step" in page and 'value="approve"' not in page
    assert "step 2 of 2 (approval) needs the approver role or higher" in page
    again = rita.post(f"/findings/{fid}/decide", data={"action": "approve",
                                                       "csrf_token": page_token(rita, f"/findings/{fid}")})
    assert again.status_code == 403 and "may not take it" in again.get_data(as_text=True)
    letter = abe.post(f"/findings/{fid}/letter", data={"to": "payer", "csrf_token": page_token(abe)})
    assert letter.status_code == 409 and "only after the last approval step" in letter.get_data(as_text=True)
    page = abe.get(f"/findings/{fid}").get_data(as_text=True)
    assert "by rita" in page and "EOB shows two payments" in page and "Approve refund (step 2 of 2)" in page
    abe.post(f"/findings/{fid}/decide", data={"action": "approve", "csrf_token": page_token(abe)})
    assert abe.post(f"/findings/{fid}/letter", data={"to": "payer", "csrf_token": page_token(abe)}).status_code == 200
    # four eyes: an administrator who took the first step of another finding may not take its second
    ada, other = _client(app, "ada"), _finding(engine)
    ada.post(f"/findings/{other}/decide", data={"action": "approve", "csrf_token": page_token(ada)})
    page = ada.get(f"/findings/{other}").get_data(as_text=True)
    assert 'value="approve"' not in page and "ada took step 1 (proposal) of this finding; four eyes" in page
    refused = ada.post(f"/findings/{other}/decide", data={"action": "approve", "csrf_token": page_token(ada)})
    assert refused.status_code == 403 and "four eyes" in refused.get_data(as_text=True)
    history = [e.event for e in outputs.audit_events(engine, fid)]
    assert history.index("step_approved") < history.index("approved") < history.index("letter_written")


def test_opening_a_finding_is_audited_once_a_day(engine: Engine, as_user) -> None:  # type: ignore[no-untyped-def]
    fid = _finding(engine)
    abe, rita = as_user("abe"), as_user("rita")
    for _ in range(3):
        assert abe.get(f"/findings/{fid}").status_code == 200
    page = rita.get(f"/findings/{fid}").get_data(as_text=True)
    views = [(e.actor, e.details) for e in outputs.audit_events(engine, fid) if e.event == "viewed"]
    assert views == [("abe", {}), ("rita", {})]
    today = views and outputs.audit_events(engine, fid)[-1].at.strftime("%Y-%m-%d")
    assert f"Viewed by abe {today}, rita {today}" in page
    assert '<strong class="event">viewed</strong>' not in page  # the history lists decisions, not views
    assert abe.get("/findings/2147483000").status_code == 404
    assert not outputs.audit_events(engine, 2147483000)


@pytest.fixture(scope="module")
def pg_engine() -> Iterator[Engine]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    from edi_engine.store.packs import load_folder
    schema = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = open_store(_pg_url(base, schema))
        load_folder(engine, REPO / "fixtures" / "mixed")
        outputs.detect_with_audit(engine, as_of="2025-06-30")
        for name, role in USERS.items():
            add_user(engine, name, PASSWORD, role)
        yield engine
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_the_two_step_chain_in_http_on_postgresql(pg_engine: Engine, tmp_path: Path) -> None:
    test_the_two_step_chain_in_http(pg_engine, tmp_path)
