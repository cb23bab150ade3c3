"""TLS for ``aktuar serve`` (KZ164-62: client–server traffic encrypted with TLS 1.2 or newer).

:func:`server_context` builds the server's ``ssl.SSLContext`` with ``minimum_version = TLSv1_2`` (TLS 1.0 and
1.1 clients get the protocol-version alert); :func:`dev_certificate` makes a self-signed certificate for local
use (ECDSA P-256, subject alternative names for the host, ``localhost`` and ``127.0.0.1``, 90 days) in the data
directory, the private key written with mode 0600.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aktuar.errors import InputError

MIN_TLS = ssl.TLSVersion.TLSv1_2
DEV_CERT_DAYS = 90


class AlertFlushingSSLObject(ssl.SSLObject):
    """Sends the TLS alert of a failed handshake before the connection closes.

    asyncio's SSL transport (which uvicorn uses) closes the connection when ``do_handshake`` fails without
    writing the alert that OpenSSL has queued, so a TLS 1.0 client would see a bare EOF instead of the
    ``protocol_version`` alert. This object reports the first failure as "want read": the transport then flushes
    its outgoing data (the alert) and waits; the next call raises the real error (or the client, having read the
    alert, closes the connection; asyncio's handshake timeout ends it otherwise).
    """

    _failed: ssl.SSLError | None = None

    def do_handshake(self) -> None:
        if self._failed is not None:
            raise self._failed
        try:
            super().do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise
        except ssl.SSLError as exc:
            self._failed = exc
            raise ssl.SSLWantReadError("handshake refused: flushing the alert") from exc


def server_context(cert: Path | str, key: Path | str, *, minimum_version: ssl.TLSVersion = MIN_TLS,
                   ciphers: str | None = None) -> ssl.SSLContext:
    """A server context with ``cert``/``key`` and a protocol floor (TLS 1.2 unless a test lowers it)."""
    cert, key = Path(cert), Path(key)
    for what, p in (("certificate", cert), ("private key", key)):
        if not p.is_file():
            raise InputError(f"the TLS {what} file {p} does not exist: give --cert and --key, or use --dev-cert")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.sslobject_class = AlertFlushingSSLObject
    ctx.minimum_version = minimum_version
    if ciphers:
        ctx.set_ciphers(ciphers)
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    try:
        ctx.load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, OSError) as exc:
        raise InputError(f"the TLS certificate {cert.name} and key {key.name} cannot be used "
                         f"({type(exc).__name__}): give a PEM certificate and its matching private key") from None
    return ctx


def uvicorn_ssl_context(config: Any, _default: Any) -> ssl.SSLContext:
    """uvicorn's ``ssl_context_factory`` for ``aktuar serve --workers N``: each worker process builds the same
    context as a single-process server (:func:`server_context`, TLS ≥ 1.2) from the configured files. A
    module-level function, so that the worker processes can be given it."""
    return server_context(config.ssl_certfile, config.ssl_keyfile)


def _names(host: str) -> list[str]:
    out = ["localhost", "127.0.0.1", "::1"]
    if host and host not in out and host not in ("0.0.0.0", "::"):
        out.append(host)
    return out


def dev_certificate(data_dir: Path, host: str = "127.0.0.1", *,
                    now: datetime | None = None) -> tuple[Path, Path]:
    """A self-signed certificate and key for ``host`` in ``<data_dir>/tls/`` (reused while valid for more than a
    day and covering ``host``); returns (certificate, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = now or datetime.now(UTC)
    folder = Path(data_dir) / "tls"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert_path, key_path = folder / "dev-cert.pem", folder / "dev-key.pem"
    names = _names(host)
    if cert_path.is_file() and key_path.is_file():
        try:
            old = x509.load_pem_x509_certificate(cert_path.read_bytes())
            san = old.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            have = {str(v) for v in san.get_values_for_type(x509.DNSName)} | {
                str(v) for v in san.get_values_for_type(x509.IPAddress)}
            if old.not_valid_after_utc - now > timedelta(days=1) and set(names) <= have:
                return cert_path, key_path
        except (ValueError, x509.ExtensionNotFound):
            pass
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aktuar development certificate"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "aktuar (self-signed, not for production)")])
    alt: list[x509.GeneralName] = []
    for n in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            alt.append(x509.DNSName(n))
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=DEV_CERT_DAYS))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    tmp = key_path.with_name(key_path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem_key)
    finally:
        os.close(fd)
    os.replace(tmp, key_path)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
