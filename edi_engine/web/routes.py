"""Routes of the review app: each a few lines over a function of pages.py, queue.py, auth.py or
the outputs layer. Role checks (`require`) come first, before anything is read or written; an
approval's step names its own role (the rule pack's [approvals]), which outputs.decide checks with
four eyes before it writes (NotPermitted: 403). What a status does not allow is a 409."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, make_response, redirect, request, url_for
from werkzeug.wrappers import Response  # what redirect() returns; Flask's Response is a subclass

from edi_engine.errors import NotPermitted, UsageError
from edi_engine.rules import explain
from edi_engine.rules.approvals import role_allows
from edi_engine.rules.lifecycle import DECISION_NAMES
from edi_engine.rules.pack import load_pack
from edi_engine.web import auth
from edi_engine.web.auth import ACTION_WORDS
from edi_engine.web.current import (
    DEVICE_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    config,
    current,
    engine,
    new_login_token,
    page_chrome,
    render,
    require,
)
from edi_engine.web.pages import AccountContext, LoginContext, dashboard_page, detail_page, ingest_page, users_page
from edi_engine.web.queue import export_csv, queue_error_page, queue_page, read_filters
from edi_engine.web.safety import recorded_key, safe_next

bp = Blueprint("web", __name__)
PROPOSALS = ("refund", "offset", "dismiss", "match")  # match: a reviewer names the claim an unmatched payment pays


def _outputs() -> Any:
    from edi_engine import outputs
    if not hasattr(outputs, "decide"):
        abort(503, description="Decisions, letters and corrected claims need the outputs layer, "
                               "which this installation does not have yet.")
    return outputs


def _cookie(resp: Response, name: str, value: str, max_age: int | None) -> None:
    resp.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Lax", secure=config().secure_cookies,
                    path="/")


def _back(finding_id: int, message_key: str) -> Response:
    """To the finding's page, which shows the message of this key from safety.MESSAGES."""
    return redirect(url_for("web.finding", finding_id=finding_id, msg=message_key), code=303)


def _refused(finding_id: int, message: str) -> Response:
    """The finding's page at once with why an action was refused: the reason quotes the store, so it is
    rendered here rather than carried in a redirect's URL."""
    try:
        ctx = detail_page(engine(), finding_id, page_chrome("queue", message=message),
                          pack=load_pack(config().rules_path))
    except UsageError:
        abort(404, description=f"There is no finding {finding_id}.")
    return render("detail.html", ctx, 409)


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    resp = make_response(data)
    resp.mimetype = mimetype
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


@bp.get("/login")
def login(error: str = "", status: int = 200) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_token()
    ctx = LoginContext(token, request.form.get("username", "")[:64], error,
                       safe_next(request.values.get("next", "/findings")))
    resp = render("login.html", ctx, status)
    _cookie(resp, LOGIN_CSRF_COOKIE, token, 3600)
    return resp


@bp.post("/login")
def login_post() -> Response:
    name, password = request.form.get("username", "").strip()[:64], request.form.get("password", "")
    address, device, limit = request.remote_addr or "unknown", request.cookies.get(DEVICE_COOKIE), config().rate_limit
    wait = auth.sign_in_wait(engine(), name, address, limit, device)
    if wait:  # a delay, not a lockout: the password is not even checked until it has passed
        seconds = math.ceil(wait.total_seconds())
        resp = login(f"Too many failed sign-ins for this account or from this address. Try again in {seconds} "
                     f"second{'s' if seconds != 1 else ''}.", 429)
        resp.headers["Retry-After"] = str(seconds)
        return resp
    user = auth.verify_login(engine(), name, password)
    auth.record_attempt(engine(), name, address, user is not None, device, limit)
    if user is None:
        return login("Wrong username or password, or the account is disabled.", 401)
    return _signed_in(redirect(safe_next(request.form.get("next", "/findings")), code=303), user, device)


def _signed_in(resp: Response, user: auth.User, device: str | None) -> Response:
    """`resp` with a new session cookie and this browser's device cookie for `user`."""
    cfg = config()
    token = auth.create_session(engine(), user, cfg.session_lifetime, cfg.idle_timeout)
    _cookie(resp, SESSION_COOKIE, token, int(cfg.session_lifetime.total_seconds()))
    device = auth.remember_device(engine(), user, device, cfg.rate_limit)
    _cookie(resp, DEVICE_COOKIE, device, int(cfg.rate_limit.device_lifetime.total_seconds()))
    return resp


@bp.post("/logout")
def logout() -> Response:
    auth.end_session(engine(), request.cookies.get(SESSION_COOKIE))
    resp = redirect(url_for("web.login"), code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@bp.get("/")
def home() -> Response:
    return redirect(url_for("web.queue"))


@bp.get("/findings")
def queue() -> Response:
    require("view")
    f, chrome = read_filters(request.args), page_chrome("queue")
    try:
        return render("queue.html", queue_page(engine(), f, chrome))
    except UsageError as exc:  # the filters stay as typed, the reason shown above them
        return render("queue.html", queue_error_page(engine(), f, chrome, f"Not searched: {exc}."), 400)


@bp.get("/findings/export.csv")
def queue_export() -> Response:
    """The queue's rows as the filters and sort select them, every page, as CSV (Excel opens it)."""
    require("view")
    f, chrome = read_filters(request.args), page_chrome("queue")
    try:
        data = export_csv(engine(), f, chrome.today)
    except UsageError as exc:
        return render("queue.html", queue_error_page(engine(), f, chrome, f"Not exported: {exc}."), 400)
    return _download(data, f"findings-{chrome.today.isoformat()}.csv", "text/csv")


@bp.get("/findings/<int:finding_id>")
def finding(finding_id: int) -> Response:
    require("view")
    _outputs().record_view(engine(), finding_id, by=current().user.username)  # once a day per person and finding
    try:
        ctx = detail_page(engine(), finding_id, page_chrome("queue"), request.args.get("match_q", "")[:64],
                          load_pack(config().rules_path))
    except UsageError:
        abort(404, description=f"There is no finding {finding_id}.")
    return render("detail.html", ctx)


@bp.post("/findings/<int:finding_id>/decide")
def decide(finding_id: int) -> Response:
    action = request.form.get("action", "")
    if action not in DECISION_NAMES:
        abort(400, description="Unknown decision.")
    pack = load_pack(config().rules_path) if action == "approve" else None
    if pack is not None:  # the chain's steps name their roles: the least of them may begin
        role = current().user.role
        if not any(role_allows(role, s.role) for s in pack.approvals.steps + pack.approvals.extra_steps):
            abort(403, description=f"Your role ({role}) may not {ACTION_WORDS['approve']}.")
    else:
        require(action)
    note = request.form.get("note", "").strip()[:2000]
    if action == "dismiss" and not note:
        return _back(finding_id, "dismiss-needs-reason")
    try:
        if action == "mark-refunded":  # a refund is cash: the check or EFT, its amount and date
            done = _outputs().record_refund(
                engine(), finding_id, by=current().user.username, method=request.form.get("method", ""),
                number=request.form.get("number", "")[:60], amount=request.form.get("amount", "")[:30] or None,
                paid_on=request.form.get("paid_on", "")[:30] or None, note=note, source="web")
            if done.outstanding > 0:
                return _back(finding_id, "recorded-partial-refund")
        else:
            decided = _outputs().decide(engine(), finding_id, action, by=current().user.username, note=note,
                                        role=current().user.role, pack=pack)
            if decided.step is not None and not decided.step.last:
                return _back(finding_id, "recorded-step")
    except NotPermitted as exc:  # the role does not reach this step, or four eyes: another person takes it
        abort(403, description=f"Not recorded: {exc}.")
    except UsageError as exc:  # an illegal transition, e.g. decided meanwhile in another tab; a bad amount
        return _refused(finding_id, f"Not recorded: {exc}")
    return _back(finding_id, recorded_key(action))


@bp.post("/findings/<int:finding_id>/note")
def note(finding_id: int) -> Response:
    proposal = request.form.get("proposal", "")
    require("propose" if proposal else "note")
    text = request.form.get("note", "").strip()[:2000]
    if proposal and proposal not in PROPOSALS:
        abort(400, description="Unknown proposal.")
    if not text and not proposal:
        return _back(finding_id, "note-empty")
    body = f"Proposed {proposal}" + (f": {text}" if text else "") if proposal else text
    try:
        _outputs().add_note(engine(), finding_id, by=current().user.username, note=body)
    except UsageError as exc:
        return _refused(finding_id, f"Not recorded: {exc}")
    return _back(finding_id, "proposal-recorded" if proposal else "note-added")


@bp.post("/findings/<int:finding_id>/match")
def match(finding_id: int) -> Response:
    """Match an unmatched payment to a claim (or a line) by hand, or undo it (outputs/manual.py)."""
    require("match")
    step = request.form.get("step", "match")
    if step not in ("match", "unmatch"):
        abort(400, description="Unknown matching step.")
    f, by = request.form, current().user.username
    note = f.get("note", "").strip()[:2000]
    if not note:
        return _back(finding_id, "match-needs-note")
    from edi_engine.outputs.manual import match_payment, unmatch_payment
    try:
        if step == "unmatch":
            unmatch_payment(engine(), finding_id, by=by, note=note)
            return _back(finding_id, "payment-unmatched")
        claim = f.get("claim", "").strip()[:64]
        if not claim:
            return _back(finding_id, "match-needs-claim")
        line_text = f.get("line", "").strip()
        if line_text and not (line_text.isdigit() and 0 < int(line_text) < 100000):
            return _refused(finding_id, "Not matched: the line is a line number (LX01), e.g. 2.")
        match_payment(engine(), finding_id, claim=claim, line=int(line_text) if line_text else None, by=by,
                      note=note, override=f.get("override") == "yes")
    except UsageError as exc:
        return _refused(finding_id, f"Not matched: {exc}")
    return _back(finding_id, "payment-matched")


@bp.post("/findings/<int:finding_id>/investigation")
def investigation(finding_id: int) -> Response:
    """Begin or end the investigation that suspends a Medicare deadline (outputs/decisions.py)."""
    require("investigate")
    step = request.form.get("step", "")
    if step not in ("start", "end"):
        abort(400, description="Unknown investigation step.")
    note = request.form.get("note", "").strip()[:2000]
    if step == "start" and not note:
        return _back(finding_id, "investigation-needs-note")
    from edi_engine.outputs.decisions import end_investigation, start_investigation
    cfg, by = config(), current().user.username
    try:
        if step == "start":
            start_investigation(engine(), finding_id, by=by, note=note, on=cfg.today(), rules_path=cfg.rules_path)
        else:
            end_investigation(engine(), finding_id, by=by, note=note, on=cfg.today(), rules_path=cfg.rules_path)
    except UsageError as exc:
        return _refused(finding_id, f"Not recorded: {exc}")
    return _back(finding_id, f"investigation-{'started' if step == 'start' else 'ended'}")


@bp.post("/findings/<int:finding_id>/letter")
def letter(finding_id: int) -> Response:
    require("letter")
    to = request.form.get("to", "payer")
    if to not in ("payer", "patient"):
        abort(400, description="A letter goes to the payer or the patient.")
    outputs = _outputs()
    if not hasattr(outputs, "render_letter"):
        abort(503, description="Letters need the outputs layer's letter writer, which this installation lacks.")
    try:
        data = outputs.render_letter(engine(), finding_id, to=to, fmt="pdf", by=current().user.username,
                                     rules_path=config().rules_path)
    except UsageError as exc:
        return _refused(finding_id, f"No letter: {exc}")
    return _download(data, f"finding-{finding_id}-{to}-letter.pdf", "application/pdf")


@bp.post("/findings/<int:finding_id>/corrected-claim")
def corrected_claim(finding_id: int) -> Response:
    require("corrected-claim")
    mode = request.form.get("mode", "replace")
    if mode not in ("finding", "replace", "void"):
        abort(400, description="A corrected claim replaces or voids.")
    outputs, by = _outputs(), current().user.username
    with engine().connect() as conn:
        f = explain(conn, finding_id).finding
    if not f.claim_id:
        abort(400, description="This finding has no claim to correct.")
    try:
        if mode == "finding":  # the correction the finding calls for (a duplicate voids the payment made again)
            data = outputs.corrected_claim_for_finding(engine(), finding_id, by=by)
        else:
            data = outputs.corrected_claim(engine(), f.claim_id, mode=mode, payer_id=f.payer_id, by=by,
                                           finding_id=finding_id)
    except UsageError as exc:
        return _refused(finding_id, f"No corrected claim: {exc}")
    return _download(data, f"finding-{finding_id}-{mode}.837", "application/edi-x12")


@bp.get("/dashboard")
def dashboard() -> Response:
    require("view")
    return render("dashboard.html", dashboard_page(engine(), page_chrome("dashboard"), load_pack(config().rules_path)))


@bp.get("/ingest")
def ingest() -> Response:
    require("view")
    return render("ingest.html", ingest_page(engine(), page_chrome("ingest")))


@bp.get("/users")
def users() -> Response:
    require("users")
    return render("users.html", users_page(engine(), page_chrome("users"), config().password_policy.min_length))


@bp.post("/users")
def users_add() -> Response:
    require("users")
    f = request.form
    auth.add_user(engine(), f.get("username", ""), f.get("password", ""), f.get("role", ""), config().password_policy)
    return redirect(url_for("web.users", msg="user-added"), code=303)


@bp.post("/users/<username>/disable")
def users_disable(username: str) -> Response:
    require("users")
    if username == current().user.username:
        abort(400, description="You cannot disable your own account.")
    auth.disable_user(engine(), username)
    return redirect(url_for("web.users", msg="user-disabled"), code=303)


@bp.get("/account")
def account(error: str = "", status: int = 200) -> Response:
    require("view")
    ctx = AccountContext(page_chrome("account"), config().password_policy.min_length, error)
    return render("account.html", ctx, status)


@bp.post("/account/password")
def account_password() -> Response:
    """Change one's own password; every session ends, and this browser gets a new one."""
    require("view")
    f, user = request.form, current().user
    try:
        auth.change_password(engine(), user, f.get("current", ""), f.get("new", ""), config().password_policy)
    except UsageError as exc:
        return account(f"Not changed: {exc}.", 400)
    return _signed_in(redirect(url_for("web.account", msg="password-changed"), code=303), user, None)
