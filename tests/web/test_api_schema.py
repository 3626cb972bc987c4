"""schemathesis against the API's served OpenAPI document (GET /api/v1/openapi.json), over the seeded
`mixed` world on SQLite and PostgreSQL: for every operation, generated requests (valid and not) never
get a 5xx, and every answer conforms to the document: a documented status code, content type,
headers and body schema.
Calls carry an admin token, so the role checks pass and the operations themselves run; the run is
bounded (MAX_EXAMPLES per operation and mode) to stay well under two minutes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine

from edi_engine.rules import list_findings
from edi_engine.store import open_store
from edi_engine.web import WebConfig, create_app
from edi_engine.web.api.spec import build_spec
from edi_engine.web.tokens import create_token
from tests.web.conftest import REPO, TODAY

MAX_EXAMPLES = 10  # per operation and mode: about 210 requests a database
KNOWN_IDS = "known ids"  # positive cases on the findings the world has, so their answers are checked too
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def _operations() -> list[tuple[str, str, GenerationMode | str]]:
    """(method, path, mode) of every operation, read from the document of an app over no database (the
    document depends on the routes only), so each operation is a test of its own: positive cases, and
    negative ones where it takes any input to get wrong."""
    doc = build_spec(create_app(create_engine("sqlite://")), "0")
    out: list[tuple[str, str, GenerationMode | str]] = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            out.append((method.upper(), path, GenerationMode.POSITIVE))
            if "parameters" in ops or "parameters" in op or "requestBody" in op:
                out.append((method.upper(), path, GenerationMode.NEGATIVE))
            if "{finding_id}" in path:  # a generated id names nothing almost always: also the world's own
                out.append((method.upper(), path, KNOWN_IDS))
    return out


@pytest.fixture(scope="module")
def seeded(world_url: str) -> Iterator[tuple[schemathesis.BaseSchema, str, list[int]]]:
    """The schema as served by an app over the seeded world (SQLite, then PostgreSQL), an admin token and
    the world's finding ids."""
    engine = open_store(world_url)
    token = create_token(engine, "ada", name="schemathesis")[1]
    with engine.connect() as conn:
        ids = sorted(f.id for f in list_findings(conn, "all", None))
    app = create_app(engine, WebConfig(today=lambda: TODAY, api_rate_limit="100000/minute"))
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app), token, ids
    engine.dispose()


# schemathesis's own pytest loader (schema.parametrize with a lazy fixture) does not run under pytest 9,
# so each operation's strategies are driven by Hypothesis here: the same cases, the same checks.
@pytest.mark.parametrize(("method", "path", "mode"), _operations())
def test_the_api_keeps_its_openapi_document(method: str, path: str, mode: GenerationMode | str,
                                            seeded: tuple[schemathesis.BaseSchema, str, list[int]]) -> None:
    schema, token, ids = seeded
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {token}"}
    if mode == KNOWN_IDS:
        cases = st.sampled_from(ids).flatmap(lambda fid: operation.as_strategy(path_parameters={"finding_id": fid}))
    else:
        cases = operation.as_strategy(generation_mode=GenerationMode(mode))

    @given(case=cases)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.fixture
def queued_schema(pg_url: str) -> Iterator[tuple[schemathesis.BaseSchema, str]]:
    """The schema as served by an app whose uploads go to the task queue (PostgreSQL after `db upgrade`),
    and an admin token: the 202 answers and the queued files' status are checked too."""
    from edi_engine.tasks import ensure_queue_schema
    from edi_engine.web import add_user
    from tests.web.conftest import PASSWORD
    engine = open_store(pg_url)
    ensure_queue_schema(pg_url)
    add_user(engine, "ada", PASSWORD, "admin")
    token = create_token(engine, "ada", name="schemathesis")[1]
    app = create_app(engine, WebConfig(today=lambda: TODAY, api_rate_limit="100000/minute"))
    assert "edi_api_intake" in app.extensions
    fixture = REPO / "fixtures" / "payer_overpayment" / "20241016-835-HWT05-00810868.835"
    queued = app.test_client().post("/api/v1/files", headers={"Authorization": f"Bearer {token}"},
                                    data={"file": (fixture.open("rb"), fixture.name)},
                                    content_type="multipart/form-data")
    assert queued.status_code == 202  # so GET /files has a queued file to list
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app), token
    app.extensions["edi_api_intake"].close()
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(("method", "path", "mode"), [op for op in _operations() if op[1] == "/api/v1/files"])
def test_queued_uploads_keep_the_openapi_document(method: str, path: str, mode: GenerationMode | str,
                                                  queued_schema: tuple[schemathesis.BaseSchema, str]) -> None:
    schema, token = queued_schema
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    run()
