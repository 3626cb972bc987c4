"""Who calls the API and how refusals look: the bearer token or the browser session (with its CSRF
header), the rate limit's key, problem documents, and the use row of each token request.

A request with `Authorization: Bearer TOKEN` is the token's user (web/tokens.py) and needs no CSRF
token: a browser never adds that header by itself, and no CORS header lets another site's script add
it. Without one, the session cookie of a signed-in browser is accepted too, but then every request
that is not a read needs the session's CSRF token in `X-CSRF-Token`, so a form or script on another
site that rides the cookie is refused (403). Nothing here logs request data.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

import msgspec
from flask import Response, abort, g, request

from edi_engine.web.api.schemas import Problem
from edi_engine.web.auth import session_for
from edi_engine.web.current import SESSION_COOKIE, config, engine
from edi_engine.web.safety import bad_text
from edi_engine.web.tokens import record_use as store_use
from edi_engine.web.tokens import token_session

__all__ = ["CSRF_HEADER", "PREFIX", "guard", "is_api", "problem", "rate_key", "record_use"]

PREFIX = "/api/v1"
CSRF_HEADER = "X-CSRF-Token"
PUBLIC = frozenset({"api.openapi"})
READS = frozenset({"GET", "HEAD", "OPTIONS"})
_log = logging.getLogger("edi_engine.web")


def is_api() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def problem(status: int, title: str, detail: str = "", headers: dict[str, str] | None = None) -> Response:
    body = msgspec.json.encode(Problem(title=title, status=status, detail=detail))
    resp = Response(body, status=status, mimetype="application/problem+json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="edi-engine"'
    return resp


def guard() -> Any:
    """Before every API request: refuse NULs, then find the caller (none needed for the document)."""
    if request.endpoint == "api.upload":  # files, not forms: the app's 64 KiB bound is for forms
        request.max_content_length = config().api_upload_bytes
    if request.endpoint in PUBLIC:
        _refuse_bad_text()
        return None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.strip().partition(" ")
        found = token_session(engine(), secret.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            abort(401, description="The API token is unknown or revoked, or its user is disabled "
                                   "(send Authorization: Bearer TOKEN).")
        g.edi_session, g.api_token_id = found
        g.api_key = f"token:{found[1]}"
        _refuse_bad_text()  # after the token is known, so the refused request is in its use record too
        return None
    info = session_for(engine(), request.cookies.get(SESSION_COOKIE), config().idle_timeout)
    if info is None:
        abort(401, description="Send Authorization: Bearer TOKEN (`edi-engine users token create USER`), "
                               "or sign in.")
    g.edi_session = info
    g.api_key = f"user:{info.user.id}"
    _refuse_bad_text()
    if request.method not in READS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), info.csrf_token.encode()):
            abort(403, description=f"A browser session must send its CSRF token in {CSRF_HEADER}; an "
                                   "API client sends Authorization: Bearer TOKEN instead.")
    return None


def _refuse_bad_text() -> None:
    values = [*request.args.keys(), *request.args.values(), *(str(v) for v in (request.view_args or {}).values())]
    if bad_text(values):
        abort(400, description="The request holds a character no field may contain (a NUL byte).")


def rate_key() -> str:
    """The rate limit's bucket: the token, else the signed-in user, else the client address."""
    return str(g.get("api_key") or f"address:{request.remote_addr or 'unknown'}")


def record_use(resp: Response) -> Response:
    token_id = g.get("api_token_id")
    if token_id is not None:
        try:
            store_use(engine(), int(token_id), method=request.method, path=request.path, status=resp.status_code,
                      address=request.remote_addr or "unknown")
        except Exception as exc:  # the answer stands (a decision is already committed); the gap is logged
            _log.error("could not record API token %s use: %s", token_id, type(exc).__name__)
    return resp
