"""What a request in hand needs: the store engine, the app's configuration, the signed-in session,
the page chrome, the role check and rendering. Routes and the app both import this; it imports
neither (the app registers the routes, the routes never reach back into the app).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Response, abort, current_app, g, render_template, request
from sqlalchemy.engine import Engine

from edi_engine.web.auth import (
    ACTION_WORDS,
    IDLE_TIMEOUT,
    SESSION_LIFETIME,
    PasswordPolicy,
    RateLimit,
    SessionInfo,
    allowed,
)
from edi_engine.web.context import Chrome, chrome_for
from edi_engine.web.safety import message_for

__all__ = ["DEVICE_COOKIE", "LOGIN_CSRF_COOKIE", "SESSION_COOKIE", "WebConfig", "config", "current", "engine",
           "new_login_token", "page_chrome", "render", "require"]

SESSION_COOKIE = "edi_session"
LOGIN_CSRF_COOKIE = "edi_login_csrf"
DEVICE_COOKIE = "edi_device"  # a browser that signed in before: sign-in throttling lets it through


@dataclass(frozen=True, slots=True)
class WebConfig:
    secure_cookies: bool = False  # set when served over https (or behind a TLS-terminating proxy)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    session_lifetime: timedelta = SESSION_LIFETIME  # a session ends this long after sign-in ...
    idle_timeout: timedelta = IDLE_TIMEOUT  # ... or after this long without a request
    # Reverse proxies in front of the app whose X-Forwarded-For is believed (werkzeug's ProxyFix x_for):
    # 0 (the default) uses the connecting address, right when nothing sits in between. Set it to the
    # number of proxies that each append the client address, never more: a client can send its own.
    trusted_proxies: int = 0
    today: Callable[[], date] = date.today  # injectable so tests can pin the queue's ages and deadlines
    rules_path: str | None = None  # the rule pack detect runs with: its aging buckets age the dashboard
    # Requests per API token (or signed-in user) in Flask-Limiter's notation: "120/minute", "10/second;1000/hour".
    api_rate_limit: str = "120/minute"
    api_upload_bytes: int = 64 * 1024 * 1024  # the largest upload POST /api/v1/files takes
    # Where API uploads go (api/intake.py): auto (the task queue when the store has one, else here), queue, direct.
    api_ingest: str = "auto"
    # Where the API rate limit counts, as a `limits` storage URI: memory:// counts in this process only (one web
    # process); several web processes share one count in e.g. redis://127.0.0.1:6379 (pip install 'edi-engine[redis]').
    rate_limit_storage: str = "memory://"
    rate_limit_prefix: str = "edi-engine"  # the storage's key prefix: deployments that share one Redis set their own


def engine() -> Engine:
    return current_app.extensions["edi_engine"]  # type: ignore[no-any-return]


def config() -> WebConfig:
    return current_app.extensions["edi_web_config"]  # type: ignore[no-any-return]


def current() -> SessionInfo:
    return g.edi_session  # type: ignore[no-any-return]


def page_chrome(active: str = "", message: str = "") -> Chrome:
    """The page frame; its status line is `message`, else the known message `?msg=` names (never its text)."""
    shown = message or message_for(request.args.get("msg", ""))
    return chrome_for(current(), config().today(), active=active, message=shown)


def require(action: str) -> None:
    """403 unless the signed-in user's role allows `action`."""
    if not allowed(current().user.role, action):
        abort(403, description=f"Your role ({current().user.role}) may not {ACTION_WORDS[action]}.")


def render(template: str, page: Any, status: int = 200) -> Response:
    return Response(render_template(template, page=page), status=status, mimetype="text/html")


def new_login_token() -> str:
    return secrets.token_urlsafe(24)
