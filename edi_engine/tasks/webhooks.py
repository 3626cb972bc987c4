"""Webhooks (issue 15 item 4): optional HTTP POSTs when the workers ingest a file (ingested, failed,
re-delivered remittances) or a detect run opens or resolves findings.

Owns the event's shape and its signature. Configured in each worker's environment (never on a
command line, where `ps` shows it): EDI_ENGINE_WEBHOOK_URL and EDI_ENGINE_WEBHOOK_SECRET; without a
URL nothing is sent. An event is a procrastinate job (`edi.webhook`), so a receiver that is down or
answers other than 2xx is retried by procrastinate's RetryStrategy (exponential wait, MAX_ATTEMPTS),
from any worker, and a worker killed while delivering is covered by the stalled-job sweep.

Bodies carry ids only, never PHI: the file's store id and content hash, counts, finding ids and
categories. Each request has headers X-EDI-Event, X-EDI-Delivery (the same on every retry, for the
receiver to drop repeats), X-EDI-Timestamp and X-EDI-Signature: "sha256=" + the hex HMAC-SHA256,
keyed by the secret, of "<timestamp>.<body>" (`signature`); a receiver recomputes it and refuses a
stale timestamp. Knows nothing of X12.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_ATTEMPTS", "SECRET_ENV", "URL_ENV", "WebhookConfig", "WebhookFailed", "deliver", "event",
           "signature"]

URL_ENV, SECRET_ENV = "EDI_ENGINE_WEBHOOK_URL", "EDI_ENGINE_WEBHOOK_SECRET"
MAX_ATTEMPTS = 10
TIMEOUT = 10.0  # seconds per request


class WebhookFailed(Exception):
    """The receiver did not take the event (no answer, or not 2xx): procrastinate retries the job."""


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    secret: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> WebhookConfig | None:
        url = env.get(URL_ENV, "").strip()
        if not url:
            return None
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"{URL_ENV} must be an http(s) URL")
        secret = env.get(SECRET_ENV, "")
        if len(secret) < 16:
            raise ValueError(f"{SECRET_ENV} must be set, 16 characters or more, with {URL_ENV}")
        return cls(url, secret)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def event(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """An event ready to queue: its kind, its delivery id and its ids-only data."""
    return {"event": kind, "delivery": uuid.uuid4().hex, "data": data}


def deliver(config: WebhookConfig, payload: dict[str, Any]) -> None:
    """POST the event once; WebhookFailed when the receiver did not take it."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(config.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "edi-engine", "X-EDI-Event": str(payload["event"]),
        "X-EDI-Delivery": str(payload["delivery"]), "X-EDI-Timestamp": stamp,
        "X-EDI-Signature": signature(config.secret, stamp, body)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (http(s) only, checked)
            status = response.status
    except urllib.error.HTTPError as exc:
        raise WebhookFailed(f"{payload['event']}: receiver answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise WebhookFailed(f"{payload['event']}: receiver not reached ({type(exc).__name__})") from None
    if not 200 <= status < 300:
        raise WebhookFailed(f"{payload['event']}: receiver answered {status}")
