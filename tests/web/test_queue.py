"""The findings queue over HTTP on SQLite and PostgreSQL (the mixed scenario pack, its payers.csv
imported by load_folder): the search box by each key, sorting, page numbers, a refused filter shown
on the queue with the filters kept, and the CSV export holding the page's rows."""

from __future__ import annotations

import csv
import io
import logging
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine

from edi_engine import outputs
from edi_engine.store import open_store, tables
from edi_engine.store.packs import load_folder
from edi_engine.web import RateLimit, WebConfig, add_user, create_app
from tests.conftest import PG_ENV, PG_SKIP, _pg_url
from tests.web.conftest import AS_OF, PASSWORD, REPO, TODAY, sign_in
from tests.web.queue_helpers import shown_ids

_F, _C, _CP, _PM = tables.finding, tables.claim, tables.claim_payment, tables.payment


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The mixed pack loaded and detected once per backend; the tests here only read."""
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path_factory.mktemp('queue') / 'q.db'}", None
    else:
        import os
        base = os.environ.get(PG_ENV)
        if not base:
            pytest.skip(PG_SKIP)
        schema = "t_" + uuid.uuid4().hex[:16]
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url, drop = _pg_url(base, schema), (admin, schema)
    engine = open_store(url)
    load_folder(engine, REPO / "fixtures" / "mixed")
    outputs.detect_with_audit(engine, as_of=AS_OF)
    add_user(engine, "rita", PASSWORD, "reviewer")
    yield engine
    engine.dispose()
    if drop is not None:
        admin, schema = drop
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def client(store: Engine) -> FlaskClient:
    app: Flask = create_app(store, WebConfig(today=lambda: TODAY, rate_limit=RateLimit(per_username=50,
                                                                                         per_address=50)))
    c = app.test_client()
    assert sign_in(c, "rita") == 303
    return c


def _get(client: FlaskClient, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def _findings(store: Engine, *where) -> list:  # type: ignore[no-untyped-def]
    with store.connect() as conn:
        return list(conn.execute(select(_F).where(*where)))


def test_search_by_claim_number_any_case(store: Engine, client: FlaskClient) -> None:
    target = _findings(store, _F.c.status == "open")[0]
    page = _get(client, f"/findings?q={target.patient_control_number.lower()}")
    assert shown_ids(page) == [target.id]
    assert target.patient_control_number in page


def test_search_by_patient_name_and_member_id(store: Engine, client: FlaskClient) -> None:
    with store.connect() as conn:
        row = conn.execute(select(_F.c.id, _C.c.patient_last_name, _C.c.patient_first_name, _C.c.subscriber_member_id)
                           .join(_C, _C.c.patient_control_number == _F.c.patient_control_number)
                           .where(_F.c.status == "open").order_by(_F.c.id)).first()
        # Every open finding whose claim's patient has that last name: what the search must list, no more.
        same = {r[0] for r in conn.execute(
            select(_F.c.id).join(_C, _C.c.patient_control_number == _F.c.patient_control_number)
            .where(_F.c.status == "open", (_C.c.patient_last_name == row.patient_last_name)
                   | (_C.c.patient_first_name == row.patient_last_name)))}
    last, first = row.patient_last_name, row.patient_first_name
    by_last = _get(client, f"/findings?q={last.title()}")
    assert row.id in shown_ids(by_last) and set(shown_ids(by_last)) >= same
    assert f"{last}, {first}" in by_last  # the patient column
    for q in (f"{last}, {first}", f"{first.lower()} {last.lower()}"):
        assert row.id in shown_ids(_get(client, f"/findings?q={q}"))
    assert shown_ids(_get(client, f"/findings?q={row.subscriber_member_id.lower()}")) == [row.id]
    assert shown_ids(_get(client, "/findings?q=NOSUCHPATIENTNAME")) == []


def test_search_by_check_number(store: Engine, client: FlaskClient) -> None:
    with store.connect() as conn:
        trn02 = conn.execute(select(_PM.c.trace_number).join(_CP, _CP.c.payment_id == _PM.c.id)
                             .join(_F, _F.c.patient_control_number == _CP.c.patient_control_number)
                             .where(_F.c.status == "open").order_by(_F.c.id)).scalar()
        paid = {r[0] for r in conn.execute(select(_F.c.id).join(_CP, _CP.c.patient_control_number
                                                                 == _F.c.patient_control_number)
                                           .join(_PM, _PM.c.id == _CP.c.payment_id)
                                           .where(_PM.c.trace_number == trn02, _F.c.status == "open"))}
    assert paid
    assert set(shown_ids(_get(client, f"/findings?q={trn02}"))) == paid


def test_search_by_payer_name_shows_names(store: Engine, client: FlaskClient) -> None:
    ppn = {r.id for r in _findings(store, _F.c.status == "open", _F.c.payer_id == "PPN04")}
    assert ppn
    page = _get(client, "/findings?q=pinnacle ppo")
    assert set(shown_ids(page)) == ppn
    total = sum((r.amount for r in _findings(store, _F.c.id.in_(ppn))), Decimal(0))
    assert f"<strong>{len(ppn)}</strong> findings · total <strong>${total:,.2f}</strong>" in page
    assert "PINNACLE PPO NETWORK" in page and "<td>PPN04</td>" not in page  # the name, the id beside it
    assert '<option value="PPN04">PINNACLE PPO NETWORK (PPN04)</option>' in page


def test_sort_by_amount_payer_and_patient(store: Engine, client: FlaskClient) -> None:
    rows = _findings(store, _F.c.status == "open")
    assert shown_ids(_get(client, "/findings?sort=amount")) == [r.id for r in sorted(rows, key=lambda r: (r.amount,
                                                                                                         r.id))]
    assert shown_ids(_get(client, "/findings?sort=amount&desc=1")) == \
        [r.id for r in sorted(rows, key=lambda r: (-r.amount, r.id))]
    by_payer = _get(client, "/findings?sort=payer")
    names = re.findall(r'<td data-label="Payer" class="payer">([^<]+?) <span', by_payer)
    assert len(names) == len(rows) and names == sorted(names)
    by_patient = _get(client, "/findings?sort=patient&desc=1")
    patients = re.findall(r'<td data-label="Patient">([^<]+)', by_patient)
    assert len(patients) == len(rows) and patients == sorted(patients, reverse=True)


def test_page_numbers_first_window_last(store: Engine, client: FlaskClient,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import edi_engine.web.queue as queue
    monkeypatch.setattr(queue, "PAGE_SIZE", 3)
    rows = sorted(r.id for r in _findings(store))
    pages = -(-len(rows) // 3)
    assert pages >= 8
    page = _get(client, "/findings?status=all&sort=id&page=5")
    assert shown_ids(page) == rows[12:15]
    pager = page[page.index('<ol class="pages">'):page.index("</ol>")]
    listed = re.findall(r">(\d+|…)</", pager)
    assert listed == ["1", "…", "3", "4", "5", "6", "7", "…", str(pages)]
    assert 'aria-current="page" aria-label="Page 5, current">5<' in page
    assert "status=all" in re.search(rf'href="([^"]*page={pages}[^"]*)"', page).group(1)  # type: ignore[union-attr]
    last = _get(client, f"/findings?status=all&sort=id&page={pages + 40}")  # past the end: the last page
    assert shown_ids(last) == rows[(pages - 1) * 3:]


def test_a_bad_filter_is_shown_on_the_queue_with_the_filters_kept(client: FlaskClient) -> None:
    resp = client.get("/findings?q=smith&category=cob_overpayment&min_amount=lots&deadline=near&sort=amount&desc=1")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Not possible" not in page and "<h1>Findings</h1>" in page
    assert re.search(r'role="alert"[^>]*>Not searched: minimum amount must be an amount such as 125.00', page)
    assert 'name="q" type="search" value="smith"' in page
    assert 'value="lots"' in page
    assert '<option value="cob_overpayment" selected>' in page and '<option value="near" selected>' in page
    assert '<input type="hidden" name="sort" value="amount"><input type="hidden" name="desc" value="1">' in page
    assert shown_ids(page) == []
    assert client.get("/findings?q=%F4%8F%BF%BF").status_code == 200  # the last code point: searched, no error
    for bad in ("status=nope", "sort=nope", "max_age=-1", "q=" + "x" * 101):
        resp = client.get("/findings?" + bad)
        assert resp.status_code == 400 and 'role="alert"' in resp.get_data(as_text=True), bad
    assert client.get("/findings/export.csv?min_amount=lots").status_code == 400


def test_export_holds_the_rows_and_columns_of_the_page(store: Engine, client: FlaskClient) -> None:
    query = "status=all&sort=payer&desc=1"
    page = _get(client, f"/findings?{query}")
    resp = client.get(f"/findings/export.csv?{query}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    body = resp.get_data()
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body  # Excel: UTF-8 with a BOM, CRLF
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == shown_ids(page)
    assert list(rows[0]) == ["id", "category", "claim_id", "payer_id", "payer_name", "patient", "member_id",
                             "service_from", "service_to", "check_number", "amount", "refund_to", "status",
                             "arose_on", "identified_on", "age_days", "deadline", "days_left"]
    stored = {r.id: r for r in _findings(store)}
    for r in rows:
        f = stored[int(r["id"])]
        assert (r["claim_id"], r["payer_id"], Decimal(r["amount"])) == (f.patient_control_number, f.payer_id,
                                                                        f.amount)
        assert r["patient"] and r["payer_name"] and r["service_from"] and r["check_number"]
        assert r["patient"] in page and r["check_number"] in page
    searched = client.get("/findings/export.csv?q=pinnacle").get_data().decode("utf-8-sig")
    assert {r["payer_id"] for r in csv.DictReader(io.StringIO(searched))} == {"PPN04"}
    assert 'href="export.csv?status=all&amp;sort=payer&amp;desc=1"' in page


def test_patient_names_searched_are_never_logged(store: Engine, client: FlaskClient,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    with store.connect() as conn:
        last = conn.execute(select(_C.c.patient_last_name).order_by(_C.c.id)).scalar()
    caplog.set_level(logging.DEBUG)
    for url in (f"/findings?q={last}", f"/findings?q={last}&min_amount=bad", f"/findings/export.csv?q={last}"):
        client.get(url)
    assert last not in caplog.text and last.lower() not in caplog.text


def test_payer_names_on_the_detail_page_and_the_dashboard(store: Engine, client: FlaskClient) -> None:
    target = _findings(store, _F.c.status == "open", _F.c.payer_id == "PPN04")[0]
    detail = _get(client, f"/findings/{target.id}")
    assert '<dt>Payer</dt><dd>PINNACLE PPO NETWORK <span class="muted">PPN04</span>' in detail
    assert '<td><span title="PPN04">PINNACLE PPO NETWORK</span></td>' in detail  # the ledger's party
    dashboard = _get(client, "/dashboard")
    assert '<a href="/findings?payer=PPN04">PINNACLE PPO NETWORK</a> <span class="muted">PPN04</span>' in dashboard
