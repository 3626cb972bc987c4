"""The API rate limit shared by several web processes (issue 15: "per-user API tokens ... rate limits"):
with `serve --rate-limit-storage redis://...` every app on that Redis counts one limit per token, where
memory:// (the default) lets each process count its own. Two app instances in this process stand for
two web processes: each has its own Flask-Limiter and, with memory://, its own count.

Needs Redis (EDI_ENGINE_TEST_REDIS_URL, default redis://127.0.0.1:6379) and its client (the `redis`
extra); skipped, saying which is missing, without them. Each test counts under a key prefix of its own
and deletes its keys, so runs sharing the server never meet."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from edi_engine.errors import UsageError
from edi_engine.web import WebConfig, create_app
from edi_engine.web.tokens import create_token
from tests.web.conftest import TODAY
from tests.web.test_api import API, bearer

REDIS_ENV = "EDI_ENGINE_TEST_REDIS_URL"


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379")
    try:
        import redis
    except ImportError:
        pytest.skip("the redis client is not installed (pip install 'edi-engine[redis]')")
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis answers at {url} ({type(exc).__name__}); set {REDIS_ENV} to one that does")
    yield url
    client.close()


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    import redis
    name = f"edi-engine-test-{uuid.uuid4().hex}"
    yield name
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _calls(clients: list[object], secret: str) -> list[int]:
    return [c.get(f"{API}/files", headers=bearer(secret)).status_code for c in clients]  # type: ignore[attr-defined]


def test_two_app_instances_on_one_redis_share_the_limit(engine: Engine, redis_url: str, prefix: str) -> None:
    config = WebConfig(today=lambda: TODAY, api_rate_limit="3/minute", rate_limit_storage=redis_url,
                       rate_limit_prefix=prefix)
    one, two = create_app(engine, config).test_client(), create_app(engine, config).test_client()
    secret, other = create_token(engine, "rita")[1], create_token(engine, "abe")[1]
    assert _calls([one, two, one], secret) == [200, 200, 200]  # three between them: the limit
    refused = two.get(f"{API}/files", headers=bearer(secret))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.mimetype == "application/problem+json"
    assert _calls([one], secret) == [429]
    assert _calls([two, one], other) == [200, 200]  # per token: another token has its own count


def test_memory_storage_counts_per_process(engine: Engine) -> None:
    """Why the storage is configurable: with memory:// each process lets the whole limit through."""
    config = WebConfig(today=lambda: TODAY, api_rate_limit="3/minute")
    one, two = create_app(engine, config).test_client(), create_app(engine, config).test_client()
    secret = create_token(engine, "rita")[1]
    assert _calls([one, one, one, one], secret) == [200, 200, 200, 429]
    assert _calls([two, two, two, two], secret) == [200, 200, 200, 429]


def test_a_storage_that_cannot_count_is_refused_at_start(engine: Engine) -> None:
    with pytest.raises(UsageError, match="unknown storage scheme"):
        create_app(engine, WebConfig(rate_limit_storage="nothing://here"))
    try:
        import redis  # noqa: F401
    except ImportError:
        return
    # A Redis nobody listens on (port 1 of this machine): refused before serving, its password never shown.
    with pytest.raises(UsageError, match="does not answer") as refused:
        create_app(engine, WebConfig(rate_limit_storage="redis://:sesame@127.0.0.1:1/0"))
    assert "sesame" not in str(refused.value)


def test_serve_refuses_a_bad_storage_before_it_listens(tmp_path: object) -> None:
    from click.testing import CliRunner

    from edi_engine.cli import main
    url = f"sqlite:///{tmp_path}/store.db"
    result = CliRunner().invoke(main, ["--db", url, "serve", "--port", "8099", "--rate-limit-storage", "nothing://"])
    assert result.exit_code == 2 and "rate limit storage 'nothing://'" in result.output, result.output
    assert "Traceback" not in result.output
