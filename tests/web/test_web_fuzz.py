"""The REST API fuzzed in process against its own OpenAPI schema (/openapi.json).

With ``schemathesis`` installed, every operation gets positive and negative cases generated from the schema,
sent through the ASGI app with a service-account token that may do everything the API offers (roles actuary
and chief actuary are incompatible, so two tokens: an actuary's and a chief actuary's), and checked: no 5xx,
responses conform to the schema (status codes, content type, body), no stack trace, SQL or server path in
any body. Without a token every protected operation is refused with 401. Without schemathesis the same
properties are checked by a small hypothesis generator that walks the schema (path parameters, query
parameters and JSON bodies of the declared types, plus hostile strings).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import T0, prepared_run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aktuar.services import accounts

LEAKS = re.compile(r"Traceback|File \"|sqlalchemy|SELECT |INSERT |/srv/|/tmp/|/work/|\.py\b")
HOSTILE = ["' OR 1=1--", "../../etc/passwd", "<script>alert(1)</script>", "\x00", "%00", "９９", "-1", "1e309",
           "null", "{}", "A" * 5000]
EXAMPLES = 25


def _token(web, username: str, roles: list[str], scopes: list[str]) -> str:  # type: ignore[no-untyped-def]
    it = web.person(username, ["it_admin"])
    sa = accounts.request_service_account(web.db, it.actor, "fuzzer", f"fuzz-{username}", "API fuzzing",
                                          username, roles, now=T0)
    accounts.approve_service_account(web.db, it.actor, sa.id, now=T0)
    accounts.approve_service_account(web.db, web.officer.actor, sa.id, now=T0)
    return accounts.issue_token(web.db, it.actor, sa.id, scopes, 30, now=T0).token


def _operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    return [(path, method.upper()) for path, item in schema["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")]


def _no_leak(status: int, text: str) -> None:
    assert status < 500, text[:500]
    assert not LEAKS.search(text), text[:500]


def test_unauthenticated_access_to_every_operation_is_refused(web) -> None:  # type: ignore[no-untyped-def]
    c = web.client()
    schema = c.get("/openapi.json").json()
    ops = _operations(schema)
    assert len(ops) >= 10
    for path, method in ops:
        url = re.sub(r"\{[^}]+\}", "1", path)
        for headers in ({}, {"Authorization": "Bearer akt_000000000000_forged"}, {"Authorization": "Basic eDp5"}):
            r = c.request(method, url, json={} if method == "POST" else None, headers=headers)
            # 401 before anything else (validation 422 would disclose the body's shape only after auth)
            assert r.status_code in (401, 422), (method, url, r.status_code)
            if r.status_code == 422:
                assert method == "POST"
            _no_leak(r.status_code, r.text)
    # every operation declares the bearer scheme
    for path, item in schema["paths"].items():
        for method, op in item.items():
            assert op.get("security") or schema.get("security"), (method, path)


def _schemathesis_fuzz(web, tokens: list[str]) -> int:  # type: ignore[no-untyped-def]
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_asgi("/openapi.json", web.app)
    count = 0
    for result in schema.get_all_operations():
        op = result.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            strategy = op.as_strategy(generation_mode=mode)

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy, token=st.sampled_from(tokens))
            def run(case: Any, token: str) -> None:
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                         content_type_conformance, response_schema_conformance])
                ctype = response.headers.get("content-type", [""])
                ctype = ctype[0] if isinstance(ctype, list) else str(ctype)
                body = response.content.decode("utf-8", "replace") if "json" in ctype or "text" in ctype else ""
                _no_leak(response.status_code, body)

            run()
            count += 1
    return count


def _hypothesis_fuzz(web, tokens: list[str]) -> int:  # type: ignore[no-untyped-def]
    c = web.client()
    schema = c.get("/openapi.json").json()
    ops = _operations(schema)
    value = st.one_of(st.integers(-2**40, 2**40), st.text(max_size=40), st.sampled_from(HOSTILE), st.booleans(),
                      st.none(), st.floats(allow_nan=True))

    @settings(max_examples=EXAMPLES * len(ops), deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(op=st.sampled_from(ops), segment=value, query=st.dictionaries(st.sampled_from(["limit", "status", "x"]),
                                                                          value, max_size=3),
           body=st.one_of(st.none(), st.dictionaries(st.text(max_size=12), value, max_size=4)),
           token=st.sampled_from(tokens))
    def run(op: tuple[str, str], segment: Any, query: dict[str, Any], body: Any, token: str) -> None:
        path, method = op
        from urllib.parse import quote

        url = re.sub(r"\{[^}]+\}", quote(str(segment), safe=""), path)
        r = c.request(method, url, params={k: str(v) for k, v in query.items()}, json=body,
                      headers={"Authorization": f"Bearer {token}"})
        _no_leak(r.status_code, r.text)
        declared = schema["paths"][path][method.lower()]["responses"]
        assert str(r.status_code) in declared or r.status_code in (400, 404, 405, 409, 413, 422), (url, r.status_code)

    run()
    return len(ops)


@pytest.mark.req("KZ164-69")
def test_api_fuzzed_against_its_schema(web) -> None:  # type: ignore[no-untyped-def]
    prepared_run(web.db, web.tmp, reviewed=False)
    prepared_run(web.db, web.tmp, reviewed=True)
    tokens = [_token(web, "i.fuzz1", ["actuary"], ["run.read", "run.review", "run.reject", "run.prepare",
                                                    "data.read", "report.read"]),
              _token(web, "i.fuzz2", ["chief_actuary"], ["run.read", "run.approve", "run.reject", "report.read"])]
    try:
        import schemathesis  # noqa: F401
    except ImportError:
        n = _hypothesis_fuzz(web, tokens)
    else:
        n = _schemathesis_fuzz(web, tokens)
    assert n >= 10
