"""Second factor (KZ164-65): TOTP (RFC 6238) with replay protection, recovery codes, secrets encrypted at rest.

TOTP — pyotp, HMAC-SHA-1, 6 digits, 30-second steps (the defaults of every authenticator app), accepted in a
window of ±1 step for clock drift. Replay protection: the caller stores the last accepted time step
(``User.mfa_last_step``) and ``verify_totp`` refuses a code of that step or an earlier one, so a code is
accepted at most once, and never after a newer one.

Secrets at rest — the TOTP secret is encrypted with AES-256-GCM (``cryptography``) under a 256-bit key kept in
the data directory, ``keys/secrets.key`` (mode 0600, created on first use), or in the file named by
``AKTUAR_SECRETS_KEY_FILE``. The user id is authenticated as associated data, so a stored secret cannot be
moved to another account. A database dump alone therefore reveals no second factor.

Recovery codes — 10 random codes of 59 bits each (12 characters of an unambiguous 31-symbol alphabet, shown
as ``xxxx-xxxx-xxxx``), shown once, stored as argon2id hashes and usable once. Because they are random and
long, a lighter argon2id profile (OWASP minimum: m=19 MiB, t=2, p=1) is ample and keeps checking ten of them
fast.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from datetime import datetime
from pathlib import Path

import pyotp
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from aktuar.errors import AktuarError

DIGITS = 6
INTERVAL = 30
WINDOW = 1
ISSUER = "aktuar"
RECOVERY_CODES = 10
KEY_ENV = "AKTUAR_SECRETS_KEY_FILE"
_FORMAT = b"\x01"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # 31 symbols: no 0/o, 1/l/i

RECOVERY_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16,
                                 type=Type.ID)


class SecretsKeyError(AktuarError):
    """The secrets key is missing, unreadable or does not decrypt the stored secrets."""


# ------------------------------------------------------------------------------------------------ secrets key
def key_path(data_dir: Path) -> Path:
    """Where the secrets key is: ``$AKTUAR_SECRETS_KEY_FILE`` or ``<data dir>/keys/secrets.key``."""
    env = os.environ.get(KEY_ENV)
    return Path(env) if env else Path(data_dir) / "keys" / "secrets.key"


def load_key(data_dir: Path, *, create: bool = True) -> bytes:
    """The 256-bit secrets key; created (mode 0600, directory 0700) on first use when ``create``."""
    path = key_path(data_dir)
    if not path.exists():
        if not create:
            raise SecretsKeyError(f"the secrets key {path} does not exist: restore it from the key backup")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = AESGCM.generate_key(bit_length=256)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_key(data_dir, create=False)  # another process created it first
        with os.fdopen(fd, "wb") as f:
            f.write(base64.urlsafe_b64encode(key) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        return key
    try:
        raw = path.read_bytes().strip()
        key = base64.urlsafe_b64decode(raw)
    except (OSError, ValueError) as exc:
        raise SecretsKeyError(f"the secrets key {path} cannot be read ({type(exc).__name__}): restore it from "
                              "the key backup") from None
    if len(key) != 32:
        raise SecretsKeyError(f"the secrets key {path} is not a 256-bit key: restore it from the key backup")
    return key


def _aad(user_id: int) -> bytes:
    return b"aktuar-totp-v1:" + str(int(user_id)).encode()


def encrypt_secret(key: bytes, secret: str, user_id: int) -> bytes:
    """``secret`` encrypted with AES-256-GCM for account ``user_id``: format byte ‖ 96-bit nonce ‖ ciphertext."""
    nonce = secrets.token_bytes(12)
    return _FORMAT + nonce + AESGCM(key).encrypt(nonce, secret.encode("ascii"), _aad(user_id))


def decrypt_secret(key: bytes, blob: bytes, user_id: int) -> str:
    if not blob or blob[:1] != _FORMAT or len(blob) < 1 + 12 + 16:
        raise SecretsKeyError("a stored second-factor secret is malformed: reset the account's MFA")
    try:
        return AESGCM(key).decrypt(blob[1:13], blob[13:], _aad(user_id)).decode("ascii")
    except InvalidTag:
        raise SecretsKeyError("the secrets key does not decrypt the stored second-factor secret (wrong key file "
                              "or tampered database): restore keys/secrets.key or reset the account's MFA") from None


# ------------------------------------------------------------------------------------------------------ TOTP
def new_secret() -> str:
    """A new random TOTP secret (base32, 160 bits as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)


def provisioning_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` URI an authenticator app reads (usually as a QR code)."""
    return _totp(secret).provisioning_uri(name=username, issuer_name=issuer)


def step_at(now: datetime) -> int:
    """The RFC 6238 time step that contains ``now``."""
    return int(now.timestamp()) // INTERVAL


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator app shows at ``now``."""
    return _totp(secret).generate_otp(step_at(now))


def code_for_step(secret: str, step: int) -> str:
    return _totp(secret).generate_otp(step)


def looks_like_totp(code: str) -> bool:
    c = code.replace(" ", "")
    return len(c) == DIGITS and c.isascii() and c.isdigit()


def verify_totp(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step that ``code`` belongs to, if it is valid within ±1 step of ``now`` and newer than
    ``last_step`` (store it as the new last step); ``None`` otherwise. Comparison in constant time."""
    c = code.replace(" ", "")
    if not looks_like_totp(c):
        return None
    current = step_at(now)
    accepted = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(code_for_step(secret, step), c) and (last_step is None or step > last_step):
            accepted = step
    return accepted


# -------------------------------------------------------------------------------------------- recovery codes
def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    """``n`` random recovery codes, each 12 characters (59 bits) shown as ``xxxx-xxxx-xxxx``."""
    out = []
    for _ in range(n):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        out.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return out


def normalize_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.strip().lower() if ch.isalnum())


def looks_like_recovery_code(code: str) -> bool:
    c = normalize_recovery_code(code)
    return len(c) == 12 and all(ch in _ALPHABET for ch in c)


def hash_recovery_code(code: str) -> str:
    return RECOVERY_HASHER.hash(normalize_recovery_code(code))


def verify_recovery_code(stored_hash: str, code: str) -> bool:
    try:
        return RECOVERY_HASHER.verify(stored_hash, normalize_recovery_code(code))
    except (VerificationError, InvalidHashError):
        return False
