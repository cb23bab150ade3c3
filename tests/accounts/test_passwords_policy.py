"""Password hashing (argon2id, OWASP parameters or stronger) and the password policy (NIST SP 800-63B)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from aktuar.security import passwords


@pytest.mark.req("KZ164-26")
def test_production_parameters_are_argon2id_and_at_least_owasp() -> None:
    h = passwords.hash_password("granite river lantern okapi")
    assert h.startswith("$argon2id$")
    params = passwords.parameters(h)
    assert params == {"m": 65536, "t": 3, "p": 1}
    # OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1 (and m*t tradeoffs)
    assert params["m"] >= 19456 and params["t"] >= 2
    assert passwords.verify_password(h, "granite river lantern okapi").ok
    assert not passwords.verify_password(h, "granite river lantern okapI").ok
    # salted: the same password hashes differently
    assert passwords.hash_password("granite river lantern okapi") != h


def test_weaker_stored_hash_is_upgraded_on_login() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID).hash("granite river lantern")
    v = passwords.verify_password(weak, "granite river lantern")
    assert v.ok and v.new_hash is not None and passwords.parameters(v.new_hash) == {"m": 65536, "t": 3, "p": 1}
    assert not passwords.verify_password(weak, "wrong").ok


def test_missing_or_corrupt_hash_fails_after_the_same_work(monkeypatch) -> None:
    calls = []
    real = passwords.dummy_verify
    monkeypatch.setattr(passwords, "dummy_verify", lambda p: (calls.append(p), real(p)))
    assert not passwords.verify_password(None, "anything at all").ok
    assert not passwords.verify_password("$argon2id$garbage", "anything at all").ok
    assert len(calls) == 2


def test_unicode_is_normalised() -> None:
    h = passwords.hash_password("ｃａｆé au lait with friends")  # fullwidth letters, precomposed é
    assert passwords.verify_password(h, "cafe\u0301 au lait with friends").ok


@pytest.mark.req("KZ164-26")
def test_shipped_common_password_list() -> None:
    common = passwords.common_passwords()
    assert len(common) >= 10_000
    for pw in ("123456", "password", "qwerty", "iloveyou", "1q2w3e4r5t6y", "qwerty123456"):
        assert pw in common


@pytest.mark.req("KZ164-26")
@pytest.mark.parametrize("pw, reason", [
    ("short pw", "at least 12"),
    ("x" * 129, "at most 128"),
    ("qwerty123456", "most common passwords"),
    ("1q2w3e4r5t6y", "most common passwords"),
    ("QWERTY123456", "most common passwords"),  # case does not help
    ("iloveyou12345678", "digits or symbols added"),
    ("!!sunshine2026!!", "digits or symbols added"),
    ("aaaaaaaaaaaaaa", "fewer than 4 different"),
    ("abcdabcdabcdabcd", "repeats a short pattern"),
    ("abcdefghijklmn", "sequence"),
    ("98765432109876", "sequence"),
    ("qwertyuiopasdf", "sequence"),
    ("my aktuar password", "name of the service"),
    ("tab\there is fine otherwise", "control characters"),
])
def test_policy_refuses(pw: str, reason: str) -> None:
    problems = passwords.check_password(pw)
    assert any(reason in p for p in problems), problems
    with pytest.raises(passwords.WeakPassword) as exc:
        passwords.validate_password(pw)
    assert pw not in str(exc.value)  # the password is never echoed


@pytest.mark.req("KZ164-26")
def test_policy_refuses_user_name_and_full_name() -> None:
    assert any("user name" in p for p in passwords.check_password("hello a.ivanova friends", username="a.ivanova"))
    assert any("person's name" in p for p in passwords.check_password("aigerim loves the mountains",
                                                                     full_name="Ivanova Aigerim"))
    assert any("person's name" in p for p in passwords.check_password("ИВАНОВА навсегда в горах",
                                                                     full_name="Иванова Айгерим"))


@pytest.mark.req("KZ164-26")
@pytest.mark.parametrize("pw", [
    "granite river lantern okapi",
    "correct horse battery staple",
    "Тау шыңы мен көк аспан",  # Kazakh passphrase
    "zq7!Lp2#vR9x",  # 12 random characters, no rule about classes needed
    "onlylowercaseletterslong",  # no composition rules (NIST SP 800-63B)
])
def test_policy_accepts_passphrases_without_composition_rules(pw: str) -> None:
    assert passwords.check_password(pw, username="a.ivanova", full_name="Ivanova Aigerim") == []


def test_minimum_length_is_a_parameter() -> None:
    assert passwords.check_password("violet harbor", min_length=16)
    assert not passwords.check_password("violet harbor", min_length=12)
