"""The Flask application: configuration, the sign-in guard, CSRF, role checks, errors, headers.

Owns the HTTP side of auth.py's answers: the session cookie (HttpOnly, SameSite=Lax, Secure when
served over https), the redirect to /login for every page, 401 for an unauthenticated POST, 403
for a missing or wrong CSRF token and for an action the role may not take, 400 for a NUL byte in
any parameter and 404 for an id past INTEGER (safety.py), X-Forwarded-For only through ProxyFix
for the configured number of proxies. Pages and actions live in routes.py. The JSON API (api/) has
its own guard (bearer token, or session with a CSRF header), answers every error as a problem
document, and is rate limited per token by Flask-Limiter. Nothing here logs
request data: URLs carry ids, filters and message keys only, and an unexpected error is logged by
its type, never its message (which may quote claim data).
"""

from __future__ import annotations

import hmac
import logging
import re
import weakref
from typing import Any

from flask import Flask, Response, abort, g, redirect, request, url_for
from flask_limiter import Limiter
from jinja2 import StrictUndefined
from limits import parse_many
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from edi_engine.errors import EdiEngineError, UsageError
from edi_engine.web import api
from edi_engine.web.auth import SessionInfo, session_for
from edi_engine.web.context import chrome_for, money
from edi_engine.web.current import LOGIN_CSRF_COOKIE, SESSION_COOKIE, WebConfig, config, engine, render
from edi_engine.web.pages import ErrorContext
from edi_engine.web.routes import bp
from edi_engine.web.safety import BoundedIntConverter, bad_text

__all__ = ["SESSION_COOKIE", "WebConfig", "create_app"]

PUBLIC_ENDPOINTS = frozenset({"web.login", "web.login_post", "static"})
_log = logging.getLogger("edi_engine.web")


def create_app(engine: Engine, config: WebConfig | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.extensions["edi_engine"] = engine
    app.extensions["edi_web_config"] = config = config or WebConfig()
    try:  # a limit Flask-Limiter cannot read would fail every API request; refuse it at start instead
        parse_many(config.api_rate_limit)
    except ValueError:
        raise UsageError(f"API rate limit {config.api_rate_limit!r} is not a limit such as 120/minute") from None
    if config.trusted_proxies:  # request.remote_addr becomes the client address those proxies saw
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies)  # type: ignore[method-assign]
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.filters["money"] = money
    app.url_map.converters["int"] = BoundedIntConverter  # before the routes are registered
    app.register_blueprint(bp)
    app.register_blueprint(api.bp)
    app.before_request(_guard)
    _limit(app, config)
    intake = api.intake_for(engine, config.api_ingest)
    if intake is not None:
        app.extensions["edi_api_intake"] = intake
        weakref.finalize(app, intake.close)  # the queue's pool goes with the app (tests make many)
    app.after_request(api.record_use)
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(UsageError, _usage_error)
    app.register_error_handler(Exception, _unexpected)
    return app


def _limit(app: Flask, config: WebConfig) -> None:
    """The API's rate limit, registered after the guard so its key is the caller the guard found: one
    bucket per token (or user). Counted where `rate_limit_storage` says: memory:// is this process's own
    count (one waitress process); a shared storage (Redis) makes one count for every web process on it."""
    try:
        storage = storage_from_string(config.rate_limit_storage)
    except ConfigurationError as exc:  # an unknown scheme, or its client library is not installed
        why = str(exc).replace(config.rate_limit_storage, _uri(config.rate_limit_storage))
        hint = " (pip install 'edi-engine[redis]')" if "redis" in why else ""
        raise UsageError(f"rate limit storage {_uri(config.rate_limit_storage)!r}: {why}{hint}") from None
    if not storage.check():
        raise UsageError(f"rate limit storage {_uri(config.rate_limit_storage)!r} does not answer")
    # If the storage goes away later, each process counts in its memory until it answers again: the API
    # stays up (the limit is per process meanwhile) rather than failing every request.
    limiter = Limiter(api.rate_key, app=app, storage_uri=config.rate_limit_storage, headers_enabled=True,
                      strategy="sliding-window-counter", key_prefix=config.rate_limit_prefix,
                      in_memory_fallback_enabled=True)
    limiter.limit(lambda: config.api_rate_limit)(api.bp)


def _uri(uri: str) -> str:
    """The storage URI without its password, for messages."""
    return re.sub(r"//[^@/]*@", "//***@", uri)


def _guard() -> Any:
    if api.is_api():
        return api.guard()
    _refuse_bad_text()
    if request.endpoint in PUBLIC_ENDPOINTS:
        if request.method == "POST":
            _check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""))
        return None
    info = session_for(engine(), request.cookies.get(SESSION_COOKIE), config().idle_timeout)
    if info is None:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        abort(401, description="Sign in first.")
    g.edi_session = info
    if request.method == "POST":
        _check_csrf(info.csrf_token)
    return None


def _refuse_bad_text() -> None:
    """400 for a NUL anywhere a route could read it: no text column stores one (PostgreSQL raises)."""
    values = [*request.args.keys(), *request.args.values(), *(str(v) for v in (request.view_args or {}).values())]
    if request.method == "POST":
        values += [*request.form.keys(), *request.form.values()]
    if bad_text(values):
        abort(400, description="The request holds a character no field may contain (a NUL byte).")


def _check_csrf(expected: str) -> None:
    sent = request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(403, description="The form's security token is missing or stale; reload the page and try again.")


def _headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "static":
        resp.headers["Cache-Control"] = "no-store"  # pages and downloads carry PHI
    return resp


def _error_page(status: int, title: str, message: str) -> Response:
    info: SessionInfo | None = g.get("edi_session")
    chrome = chrome_for(info, config().today()) if info is not None else None
    return render("error.html", ErrorContext(chrome, status, title, message), status)


def _http_error(exc: HTTPException) -> Response:
    if exc.code in (301, 302, 303, 307, 308):
        return exc.get_response()  # type: ignore[return-value]
    if api.is_api():
        headers = {k: v for k, v in exc.get_headers() if k.lower() not in ("content-type", "content-length")}
        return api.problem(exc.code or 500, exc.name, exc.description or "", headers)
    return _error_page(exc.code or 500, exc.name, exc.description or "")


def _usage_error(exc: UsageError) -> Response:
    if api.is_api():
        return api.problem(400, "Not possible", str(exc))
    return _error_page(400, "Not possible", str(exc))


def _unexpected(exc: Exception) -> Response:
    page = api.problem if api.is_api() else _error_page
    if isinstance(exc, EdiEngineError):
        _log.warning("request %s %s failed: %s", request.method, request.endpoint, type(exc).__name__)
        return page(422, "Could not be done", str(exc))
    _log.error("request %s %s failed: %s", request.method, request.endpoint, type(exc).__name__)
    return page(500, "Internal error", "Something went wrong; the error has been logged without its details.")
