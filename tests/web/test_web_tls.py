"""TLS of ``aktuar serve`` (KZ164-62): TLS 1.0 and 1.1 refused with the protocol-version alert, TLS 1.2 and 1.3
accepted, probed with a client that offers the old versions (``DEFAULT:@SECLEVEL=0``) against a real uvicorn
server on loopback; a control case lowers the server's floor to prove the probe can speak TLS 1.0/1.1 at all.
Also: the development certificate's key is private, and plain HTTP is refused with production settings."""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from web_server import running_server

from aktuar.web.tls import dev_certificate, server_context

OLD = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1)
pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")


def probe(port: int, version: ssl.TLSVersion) -> str:
    """Handshake with exactly ``version``; the negotiated version, or the error text."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.minimum_version = version
    ctx.maximum_version = version
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                return str(tls.version())
        except ssl.SSLError as exc:
            return f"refused: {exc}"


def _client_can_offer(version: ssl.TLSVersion) -> bool:
    try:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = version
        ctx.maximum_version = version
    except (ValueError, ssl.SSLError):
        return False
    return True


@pytest.fixture(scope="module")
def cert_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return dev_certificate(tmp_path_factory.mktemp("tls"), "127.0.0.1")


@pytest.fixture(scope="module")
def tiny_app():  # type: ignore[no-untyped-def]
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


@pytest.mark.req("KZ164-62")
def test_old_tls_refused_new_tls_accepted(cert_pair, tiny_app) -> None:  # type: ignore[no-untyped-def]
    if not all(_client_can_offer(v) for v in OLD):
        pytest.skip("the local OpenSSL cannot offer TLS 1.0/1.1 at all, so the probe cannot test the refusal")
    with running_server(tiny_app, server_context(*cert_pair)) as port:
        for v in OLD:
            got = probe(port, v)
            assert got.startswith("refused"), f"{v.name} was accepted: {got}"
            # the server's fatal alert 70 (protocol_version), not just a closed connection
            assert "ALERT_PROTOCOL_VERSION" in got.upper(), got
        assert probe(port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
        assert probe(port, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"


@pytest.mark.req("KZ164-62")
def test_control_probe_connects_when_floor_lowered(cert_pair, tiny_app) -> None:  # type: ignore[no-untyped-def]
    """Control: with the server floor at TLS 1.0 the same probe connects, so the refusal above is the server's."""
    if not all(_client_can_offer(v) for v in OLD):
        pytest.skip("the local OpenSSL cannot offer TLS 1.0/1.1 at all")
    ctx = server_context(*cert_pair, minimum_version=ssl.TLSVersion.TLSv1, ciphers="DEFAULT:@SECLEVEL=0")
    with running_server(tiny_app, ctx) as port:
        assert probe(port, ssl.TLSVersion.TLSv1) == "TLSv1"
        assert probe(port, ssl.TLSVersion.TLSv1_1) == "TLSv1.1"


@pytest.mark.req("KZ164-62")
def test_server_context_floor_is_tls12(cert_pair) -> None:  # type: ignore[no-untyped-def]
    assert server_context(*cert_pair).minimum_version == ssl.TLSVersion.TLSv1_2


def test_dev_certificate_key_is_private_and_reused(tmp_path: Path) -> None:
    cert, key = dev_certificate(tmp_path, "127.0.0.1")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes() and b"CERTIFICATE" in cert.read_bytes()
    before = cert.read_bytes()
    assert dev_certificate(tmp_path, "127.0.0.1")[0].read_bytes() == before  # still valid: reused
    assert dev_certificate(tmp_path, "10.1.2.3")[0].read_bytes() != before  # another host: a new certificate


@pytest.mark.req("KZ164-62")
@pytest.mark.parametrize("flag", ["--insecure-dev-http", "--dev-cert"])
def test_serve_refuses_plain_http_and_dev_cert_in_production(tmp_path: Path, flag: str) -> None:
    env = {**os.environ, "AKTUAR_ENV": "production", "AKTUAR_DATA_DIR": str(tmp_path)}
    p = subprocess.run([str(Path(sys.executable).with_name("aktuar")), "serve", flag, "--port", "1"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "production" in p.stderr and "Traceback" not in p.stderr


def test_serve_needs_a_mode(tmp_path: Path) -> None:
    env = {**os.environ, "AKTUAR_DATA_DIR": str(tmp_path)}
    env.pop("AKTUAR_ENV", None)
    p = subprocess.run([str(Path(sys.executable).with_name("aktuar")), "serve"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2 and "--cert" in p.stderr


@pytest.mark.req("KZ164-62")
def test_serve_with_several_worker_processes(tmp_path: Path) -> None:
    """``aktuar serve --workers 2``: two server processes (sessions, jobs and languages are in the database), each
    with the same TLS ≥ 1.2 context; the login page answers over TLS 1.2/1.3 and TLS 1.1 is refused."""
    from web_server import free_port

    env = {**os.environ, "AKTUAR_DATA_DIR": str(tmp_path)}
    env.pop("AKTUAR_ENV", None)
    env.pop("AKTUAR_DATABASE_URL", None)
    exe = str(Path(sys.executable).with_name("aktuar"))
    subprocess.run([exe, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([exe, "serve", "--dev-cert", "--port", str(port), "--workers", "2"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        import time

        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        deadline = time.monotonic() + 90
        while log.read_text().count("Application startup complete") < 2:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        import urllib.request

        for _ in range(20):  # new connections, served by either process
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/login", context=ctx, timeout=20) as r:
                assert r.status == 200 and b'autocomplete="off"' in r.read()
        text = log.read_text()
        assert len(set(re.findall(r"Started server process \[(\d+)\]", text))) == 2, text
        if _client_can_offer(ssl.TLSVersion.TLSv1_1):
            assert probe(port, ssl.TLSVersion.TLSv1_1).startswith("refused")
        assert probe(port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
