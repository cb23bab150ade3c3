"""TOTP (RFC 6238) with replay protection, encrypted secrets, recovery codes (KZ164-65)."""

from __future__ import annotations

import base64
import os
import stat
from datetime import timedelta

import pyotp
import pytest
from accounts_fixtures import T0, fast_hashing  # noqa: F401 - autouse fixture

from aktuar.security import mfa


@pytest.mark.req("KZ164-65")
def test_rfc6238_parameters_and_window() -> None:
    secret = mfa.new_secret()
    assert len(base64.b32decode(secret)) * 8 >= 160
    code = mfa.code_at(secret, T0)
    assert code == pyotp.TOTP(secret).at(T0) and len(code) == 6 and code.isdigit()
    step = mfa.step_at(T0)
    assert mfa.verify_totp(secret, code, T0, None) == step
    assert mfa.verify_totp(secret, code, T0 + timedelta(seconds=30), None) == step  # one step of drift
    assert mfa.verify_totp(secret, code, T0 + timedelta(seconds=90), None) is None  # too old
    assert mfa.verify_totp(secret, "000000" if code != "000000" else "111111", T0, None) is None
    assert mfa.verify_totp(secret, "12345", T0, None) is None
    assert mfa.verify_totp(secret, "abcdef", T0, None) is None
    uri = mfa.provisioning_uri(secret, "a.ivanova")
    assert uri.startswith("otpauth://totp/aktuar:a.ivanova?") and f"secret={secret}" in uri


@pytest.mark.req("KZ164-65")
def test_a_code_is_accepted_once_and_never_after_a_newer_one() -> None:
    secret = mfa.new_secret()
    code = mfa.code_at(secret, T0)
    last = mfa.verify_totp(secret, code, T0, None)
    assert last is not None
    assert mfa.verify_totp(secret, code, T0, last) is None  # replay of the same code
    assert mfa.verify_totp(secret, code, T0 + timedelta(seconds=20), last) is None
    newer = mfa.code_at(secret, T0 + timedelta(seconds=30))
    last2 = mfa.verify_totp(secret, newer, T0 + timedelta(seconds=30), last)
    assert last2 == last + 1
    # the previous step's code is still inside the ±1 window but older than the last accepted one
    prev = mfa.code_for_step(secret, last)
    assert mfa.verify_totp(secret, prev, T0 + timedelta(seconds=30), last2) is None


@pytest.mark.req("KZ164-65")
def test_secret_encrypted_at_rest_and_bound_to_its_account(tmp_path) -> None:
    key = mfa.load_key(tmp_path)
    path = tmp_path / "keys" / "secrets.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert mfa.load_key(tmp_path) == key  # created once, then read
    secret = mfa.new_secret()
    blob = mfa.encrypt_secret(key, secret, 7)
    assert secret.encode() not in blob
    assert mfa.decrypt_secret(key, blob, 7) == secret
    with pytest.raises(mfa.SecretsKeyError):
        mfa.decrypt_secret(key, blob, 8)  # moved to another account
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(mfa.SecretsKeyError):
        mfa.decrypt_secret(key, tampered, 7)
    other = mfa.load_key(tmp_path / "elsewhere")
    with pytest.raises(mfa.SecretsKeyError, match="does not decrypt"):
        mfa.decrypt_secret(other, blob, 7)


def test_key_file_from_environment(tmp_path, monkeypatch) -> None:
    kf = tmp_path / "vault" / "aktuar.key"
    monkeypatch.setenv("AKTUAR_SECRETS_KEY_FILE", str(kf))
    key = mfa.load_key(tmp_path / "data")
    assert kf.exists() and not (tmp_path / "data" / "keys").exists()
    assert mfa.load_key(tmp_path / "other") == key
    kf.write_text("not a key\n")
    with pytest.raises(mfa.SecretsKeyError, match="256-bit|cannot be read"):
        mfa.load_key(tmp_path)
    os.unlink(kf)
    with pytest.raises(mfa.SecretsKeyError, match="does not exist"):
        mfa.load_key(tmp_path, create=False)


@pytest.mark.req("KZ164-65")
def test_recovery_codes_random_hashed() -> None:
    codes = mfa.new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(mfa.looks_like_recovery_code(c) for c in codes)
    h = mfa.hash_recovery_code(codes[0])
    assert h.startswith("$argon2id$") and codes[0] not in h
    assert mfa.verify_recovery_code(h, codes[0])
    assert mfa.verify_recovery_code(h, codes[0].upper().replace("-", " "))  # typed loosely
    assert not mfa.verify_recovery_code(h, codes[1])
    assert not mfa.looks_like_recovery_code("123456")
