"""The review web app for billing teams: sign-in, findings queue, finding detail with decisions,
letters and corrected claims, dashboard and ingest status, over the same database as the CLI.

Public API:
    create_app(engine, config=None) -> flask.Flask     the WSGI app (tests use app.test_client())
    WebConfig(secure_cookies=False, rate_limit=RateLimit(), password_policy=PasswordPolicy(), session_lifetime,
              idle_timeout, trusted_proxies=0, today=date.today, api_rate_limit="120/minute", api_upload_bytes,
              api_ingest="auto", rate_limit_storage="memory://", rate_limit_prefix="edi-engine")
    serve(engine, host="127.0.0.1", port=8080, *, secure_cookies=False, trusted_proxies=0, idle_minutes=30,
          rules_path=None, api_rate_limit="120/minute", rate_limit_storage="memory://", api_ingest="auto")
        blocking (waitress)
    auth: ROLES, add_user, set_password, disable_user, list_users, RateLimit, PasswordPolicy
    tokens (edi_engine.web.tokens): create_token, revoke_token, list_tokens   the HTTP API's bearer tokens
    the HTTP API: edi_engine.web.api, under /api/v1 of the same app
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from edi_engine.web.auth import (
    ROLES,
    PasswordPolicy,
    RateLimit,
    User,
    add_user,
    disable_user,
    list_users,
    set_password,
)

__all__ = ["ROLES", "PasswordPolicy", "RateLimit", "User", "WebConfig", "add_user", "create_app", "disable_user",
           "list_users", "serve", "set_password"]


def __getattr__(name: str) -> Any:
    # Flask is imported only when the app is wanted, so `edi-engine users ...` and every other command start fast.
    if name in ("create_app", "WebConfig"):
        from edi_engine.web import app
        return getattr(app, name)
    raise AttributeError(name)


def serve(engine: Engine, host: str = "127.0.0.1", port: int = 8080, *, secure_cookies: bool = False,
          trusted_proxies: int = 0, idle_minutes: int = 30, rules_path: str | None = None,
          api_rate_limit: str = "120/minute", rate_limit_storage: str = "memory://", api_ingest: str = "auto") -> None:
    """Serve the app with waitress until interrupted (the app is built first: a bad setting is refused
    before anything listens)."""
    from datetime import timedelta

    import waitress

    from edi_engine.web.app import WebConfig, create_app

    config = WebConfig(secure_cookies=secure_cookies, trusted_proxies=trusted_proxies,
                       idle_timeout=timedelta(minutes=idle_minutes), rules_path=rules_path,
                       api_rate_limit=api_rate_limit, rate_limit_storage=rate_limit_storage, api_ingest=api_ingest)
    waitress.serve(create_app(engine, config), host=host, port=port, threads=8, ident="edi-engine")
