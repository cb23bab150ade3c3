"""Ed25519 signing key of the audit trail (checkpoints and archive files, KZ164-30/31).

The private key lives in the data directory, ``keys/audit_ed25519.pem`` (PKCS#8 PEM, file mode 0600, created on
first use), or in the file named by ``AKTUAR_AUDIT_KEY_FILE``. It is never stored in the database: a database
administrator who rewrites the audit table cannot sign a checkpoint that matches the rewritten chain.

The public keys that verification trusts are the one derived from the private key (when present) and every
``audit/public_keys/*.pem`` of the data directory (written when the key is first used; copy older or external keys
there to keep verifying what they signed). They are not secret and live outside ``keys/`` so that backups carry
them: a restored system verifies its signed checkpoints without the private key. A key is named by its id: the
SHA-256 of its raw 32-byte public key, in hex.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from aktuar.errors import AktuarError

KEY_FILE_ENV = "AKTUAR_AUDIT_KEY_FILE"
KEY_FILE = Path("keys") / "audit_ed25519.pem"
PUBLIC_DIR = Path("audit") / "public_keys"


class AuditKeyError(AktuarError):
    """The audit signing key cannot be used (missing, unreadable, not Ed25519, readable by other users)."""


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class Signer:
    """The private key and its id; ``sign`` returns a base64 signature."""

    private_key: Ed25519PrivateKey
    path: Path

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode("ascii")


def key_path(data_dir: Path) -> Path:
    """Where the private key is: ``$AKTUAR_AUDIT_KEY_FILE`` or ``<data dir>/keys/audit_ed25519.pem``."""
    env = os.environ.get(KEY_FILE_ENV)
    return Path(env).expanduser().resolve() if env else Path(data_dir) / KEY_FILE


def _check_private_mode(path: Path) -> None:
    if os.name != "posix":
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise AuditKeyError(
            f"the audit signing key {path} is accessible to other users (mode {mode:o}): "
            f"run 'chmod 600 {path}' and check who could have read it"
        )


def _write_public(data_dir: Path, public_key: Ed25519PublicKey) -> None:
    d = Path(data_dir) / PUBLIC_DIR
    d.mkdir(parents=True, exist_ok=True)
    target = d / f"{key_id(public_key)[:16]}.pem"
    if not target.exists():
        tmp = d / f".{target.name}.{secrets.token_hex(4)}.tmp"
        tmp.write_bytes(public_pem(public_key))
        os.replace(tmp, target)


def _create(path: Path) -> None:
    """Create a new key file atomically with mode 0600 (another process creating it at the same time wins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path.parent, 0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # atomic, fails when the file exists
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


def load_signer(data_dir: Path, *, create: bool = True) -> Signer:
    """The audit signing key, created on first use (unless ``AKTUAR_AUDIT_KEY_FILE`` names a missing file)."""
    path = key_path(data_dir)
    if not path.exists():
        if os.environ.get(KEY_FILE_ENV):
            raise AuditKeyError(f"{KEY_FILE_ENV} names {path}, which does not exist: point it to the audit key file")
        if not create:
            raise AuditKeyError(f"no audit signing key at {path}")
        _create(path)
    _check_private_mode(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise AuditKeyError(f"the audit signing key {path} cannot be read: {type(exc).__name__}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"the audit signing key {path} is not an Ed25519 key")
    _write_public(Path(data_dir), key.public_key())
    return Signer(key, path)


def load_public_key(source: Path | str | bytes | Ed25519PublicKey) -> Ed25519PublicKey:
    """A public key from a PEM file, PEM bytes, or (passed through) a key object."""
    if isinstance(source, Ed25519PublicKey):
        return source
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise AuditKeyError(f"{source if not isinstance(source, bytes) else 'key'} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise AuditKeyError("the public key is not an Ed25519 key")
    return key


def trusted_public_keys(data_dir: Path | None) -> dict[str, Ed25519PublicKey]:
    """The public keys found in the data directory: of the private key and of ``audit/public_keys/*.pem``."""
    out: dict[str, Ed25519PublicKey] = {}
    if data_dir is None:
        return out
    path = key_path(data_dir)
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError, OSError):
            key = None
        if isinstance(key, Ed25519PrivateKey):
            out[key_id(key.public_key())] = key.public_key()
    d = Path(data_dir) / PUBLIC_DIR
    if d.is_dir():
        for f in sorted(d.glob("*.pem")):
            try:
                pk = load_public_key(f)
            except (AuditKeyError, OSError):
                continue
            out[key_id(pk)] = pk
    return out


def as_key_map(keys: Mapping[str, Ed25519PublicKey] | Iterable[Path | str | bytes | Ed25519PublicKey]
               ) -> dict[str, Ed25519PublicKey]:
    if isinstance(keys, Mapping):
        return {key_id(k): k for k in keys.values()}
    out: dict[str, Ed25519PublicKey] = {}
    for k in keys:
        pk = load_public_key(k)
        out[key_id(pk)] = pk
    return out


def verify_signature(keys: Mapping[str, Ed25519PublicKey], kid: str, message: bytes, signature: str) -> str | None:
    """None when ``signature`` is a valid signature of ``message`` by key ``kid``, else why not."""
    pk = keys.get(kid)
    if pk is None:
        return f"signed by key {kid[:16]}…, which is not a trusted audit key"
    try:
        pk.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return "the Ed25519 signature does not verify"
    return None
