"""Uploads are bounded before they are read (KZ164-69(3)): FastAPI parses a multipart form — spooling its files
to disk — before any dependency runs, so the security middleware refuses a multipart body without a session or a
token, without a declared size, or larger than the upload limit, before a byte of it is parsed."""

from __future__ import annotations

import io

import pytest
from conftest import csrf_of
from fastapi.testclient import TestClient
from starlette import formparsers

from aktuar.web import WebSettings, create_app


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bytes of file parts the form parser saw."""
    seen: list[int] = []
    original = formparsers.MultiPartParser.on_part_data

    def counting(self, data: bytes, start: int, end: int) -> None:  # type: ignore[no-untyped-def]
        seen.append(end - start)
        original(self, data, start, end)

    monkeypatch.setattr(formparsers.MultiPartParser, "on_part_data", counting)
    return seen


@pytest.mark.req("KZ164-69")
def test_anonymous_uploads_are_refused_unread(web, parsed: list[int]) -> None:  # type: ignore[no-untyped-def]
    c = web.client()
    body = {"file": ("big.csv", io.BytesIO(b"origin,12\n" + b"2020,1\n" * 300_000), "text/csv")}
    r = c.post("/api/v1/datasets", data={"kind": "triangle"}, files=body)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert set(r.json()) == {"error", "correlation_id"}
    for path in ("/data/upload", "/isms/reports/verify", "/isms/assets/import"):
        body = {"file": ("big.csv", io.BytesIO(b"x" * 2_000_000), "text/csv")}
        r = c.post(path, data={"kind": "triangle"}, files=body)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
    assert sum(parsed) == 0
    # a forged cookie gets past the cheap check but not the session check, and its body is bounded
    c.cookies.set("__Host-aktuar_session", "forged", domain="testserver")
    r = c.post("/api/v1/datasets", data={"kind": "triangle"},
               files={"file": ("t.csv", io.BytesIO(b"origin,12\n2020,1\n"), "text/csv")})
    assert r.status_code == 401


@pytest.mark.req("KZ164-69")
def test_oversized_or_unsized_uploads_are_refused_unread(web, parsed: list[int]) -> None:  # type: ignore[no-untyped-def]
    small = TestClient(create_app(WebSettings(database=web.db, clock=web.clock, max_upload_bytes=64 * 1024)),
                       base_url="https://testserver", follow_redirects=False)
    p = web.person("n.actuary", ["actuary"])
    assert web.login(small, p).status_code == 303
    csrf = csrf_of(small.get("/data").text)
    r = small.post("/data/upload", data={"csrf_token": csrf, "kind": "triangle"},
                   files={"file": ("big.csv", io.BytesIO(b"2020,1\n" * 40_000), "text/csv")})
    assert r.status_code == 413
    assert sum(parsed) == 0

    def chunks():  # type: ignore[no-untyped-def]
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
        yield b"origin,12\r\n2020,1\r\n--b--\r\n"

    r = small.post("/data/upload", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b",
                                                              "x-csrf-token": csrf})
    assert r.status_code == 411
    assert sum(parsed) == 0
    # within the limit the upload goes through to the usual checks
    r = small.post("/data/upload", data={"csrf_token": csrf, "kind": "triangle"},
                   files={"file": ("t.csv", io.BytesIO(b"origin,12,24\n2020,1,2\n2021,3,\n"), "text/csv")})
    assert r.status_code == 303 and sum(parsed) > 0
