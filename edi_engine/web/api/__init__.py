"""The HTTP API under /api/v1, beside the review pages in the same Flask app: the same users and
roles (a token acts as its user), the same functions behind each action, JSON in and out, errors as
RFC 9457 problem documents, an OpenAPI 3.1 document generated from the routes (spec.py).

Public API:
    bp                          the blueprint (create_app registers it)
    PREFIX                      "/api/v1"
    guard() -> None             before each API request: who is calling (bearer token or session + CSRF)
    problem(status, title, detail, headers=None) -> Response
    record_use(resp) -> Response   after each request made with a token: its use row
    intake_for(engine, mode) -> Intake | None   where uploads go: the task queue, or None (ingested here)
"""

from __future__ import annotations

from edi_engine.web.api.access import PREFIX, guard, is_api, problem, rate_key, record_use
from edi_engine.web.api.intake import MODES, Intake, intake_for
from edi_engine.web.api.routes import bp

__all__ = ["MODES", "PREFIX", "Intake", "bp", "guard", "intake_for", "is_api", "problem", "rate_key", "record_use"]
