"""Calendar reminders by e-mail (issue 7, "reminders (e-mail via SMTP setting …)") against a tiny SMTP server
written here with ``socketserver`` (EHLO, STARTTLS with a self-signed certificate, MAIL, RCPT, DATA, QUIT), in
process on loopback: no dependency, no network."""

from __future__ import annotations

import datetime as dt
import email
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import Message
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from isms_support import OFFICER, T0
from typer.testing import CliRunner

from aktuar import cli_isms
from aktuar.cli import app
from aktuar.errors import InputError
from aktuar.services import calendar, isms
from aktuar.store.db import Database, Settings


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message
    tls: bool


@dataclass
class Mailbox:
    messages: list[Received] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


def _tls_context(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    cp, kp = folder / "smtp.pem", folder / "smtp.key"
    cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cp, kp)
    return ctx


def _handler(box: Mailbox, ctx: ssl.SSLContext) -> type[socketserver.StreamRequestHandler]:
    class SMTPHandler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            f = sock.makefile("rwb")
            tls = False
            sender, rcpts = "", []

            def send(line: str) -> None:
                f.write(line.encode("ascii") + b"\r\n")
                f.flush()

            send("220 localhost aktuar test SMTP")
            while True:
                raw = f.readline(1000)
                if not raw:
                    return
                cmd = raw.decode("ascii", "replace").rstrip("\r\n")
                box.commands.append(cmd.split(" ")[0].upper())
                up = cmd.upper()
                if up.startswith(("EHLO", "HELO")):
                    f.write(b"250-localhost\r\n")
                    if not tls:
                        f.write(b"250-STARTTLS\r\n")
                    send("250 8BITMIME")
                elif up == "STARTTLS" and not tls:
                    send("220 ready to start TLS")
                    f.close()
                    sock = ctx.wrap_socket(sock, server_side=True)
                    f = sock.makefile("rwb")
                    tls = True
                elif up.startswith("MAIL FROM:"):
                    sender, rcpts = cmd[10:].strip().strip("<>").split(">")[0], []
                    send("250 OK")
                elif up.startswith("RCPT TO:"):
                    rcpts.append(cmd[8:].strip().strip("<>"))
                    send("250 OK")
                elif up == "DATA":
                    send("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while (line := f.readline(100_000)) not in (b".\r\n", b""):
                        lines.append(line[1:] if line.startswith(b"..") else line)
                    box.messages.append(Received(sender, rcpts, email.message_from_bytes(b"".join(lines)), tls))
                    send("250 queued")
                elif up in ("RSET", "NOOP"):
                    send("250 OK")
                elif up == "QUIT":
                    send("221 bye")
                    return
                else:
                    send("502 not implemented")

    return SMTPHandler


@pytest.fixture
def smtp(tmp_path, monkeypatch) -> Iterator[Mailbox]:  # type: ignore[no-untyped-def]
    box = Mailbox()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(box, _tls_context(tmp_path)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AKTUAR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AKTUAR_SMTP_PORT", str(server.server_address[1]))
    monkeypatch.setenv("AKTUAR_SMTP_FROM", "aktuar@insurer.example")
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.req("KZ164-50")
def test_reminders_are_mailed_over_starttls(database, smtp) -> None:  # type: ignore[no-untyped-def]
    isms.register_document(database, OFFICER, code="PRC-INC", title="Incident procedure", kind="procedure",
                           approval_body="executive_body", approved_on=date(2025, 4, 20), version="1",
                           revision_months=12, owner="CISO", now=T0)
    today = date(2026, 4, 10)
    due = calendar.reminders(database, OFFICER, today, 30)
    n = calendar.send_reminders(database, OFFICER, today, ["ciso@insurer.example", "cro@insurer.example"], 30)
    assert n == len(due) == 5  # 10.01 ISMS report (overdue), 20.04 revision, three 30.04 deadlines
    assert len(smtp.messages) == 1
    m = smtp.messages[0]
    assert m.tls and smtp.commands.index("STARTTLS") < smtp.commands.index("MAIL")  # nothing in clear text
    assert m.sender == "aktuar@insurer.example"
    assert m.recipients == ["ciso@insurer.example", "cro@insurer.example"]
    assert m.message["Subject"] == f"aktuar: {n} regulatory deadline(s) due"
    body = m.message.get_payload(decode=True).decode("utf-8")
    assert "20.04.2026  Revision of PRC-INC" in body and "30.04.2026  Mandatory actuarial opinion" in body
    assert "10.01.2026  Annual ISMS report for 2025 to the ARDFM" in body  # still open: listed as overdue
    assert body.count("OVERDUE") == 1
    # a deadline done is not reminded; nothing due → nothing sent
    for d in due:
        calendar.set_status(database, OFFICER, d.key, "done", now=T0)
    assert calendar.send_reminders(database, OFFICER, today, ["ciso@insurer.example"], 30) == 0
    assert len(smtp.messages) == 1


def test_reminders_need_the_smtp_setting(database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("AKTUAR_SMTP_HOST", raising=False)
    with pytest.raises(InputError, match="AKTUAR_SMTP_HOST"):
        calendar.send_reminders(database, OFFICER, date(2026, 4, 10), ["x@example.kz"])


def test_cli_calendar_remind(tmp_path, smtp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AKTUAR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("AKTUAR_DATABASE_URL", raising=False)
    db = Database(Settings.from_env())
    db.upgrade()
    db.dispose()
    monkeypatch.setattr(cli_isms, "ACTOR_PROVIDER", lambda _db: OFFICER)
    r = CliRunner().invoke(app, ["calendar", "remind", "--to", "ciso@insurer.example", "--days", "60"])
    assert r.exit_code == 0 and "reminder(s) sent" in r.output, r.output
    assert smtp.messages and smtp.messages[0].tls
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AKTUAR_SMTP_PORT", str(port))
    r = CliRunner().invoke(app, ["calendar", "remind", "--to", "ciso@insurer.example"])
    assert r.exit_code == 2 and "could not be reached" in r.output
