"""Passwords: argon2id hashing and the password policy (KZ164-26).

Hashing — argon2id (argon2-cffi) with time_cost=3, memory_cost=64 MiB (65,536 KiB), parallelism=1, a 16-byte
random salt and a 32-byte tag. This is RFC 9106's second recommended option (t=3, m=64 MiB) at one lane and is
stronger than every OWASP Password Storage Cheat Sheet configuration for argon2id (the strongest of which is
m=46 MiB, t=1, p=1; the minimum m=19 MiB, t=2, p=1): about 0.25 s per hash on one core. The parameters are
stored in each hash (PHC string), so stronger parameters later are picked up by ``verify_password``, which
returns a new hash whenever the stored one was made with other parameters ("rehash on login").

Policy (NIST SP 800-63B §3.1.1.2, no composition rules and no forced periodic changes):

- at least ``min_length`` characters (12 by default; an organisation setting) and at most 128;
- not one of the ~40,000 most common passwords of public breach corpora (``data/common-passwords.txt``, see
  ``data/SOURCES.txt``), nor such a password with digits or symbols added before or after it;
- not repetitive or sequential ("aaaaaaaaaaaa", "abcabcabcabc", "123456789012", keyboard walks such as
  "qwertyuiopasdf");
- not containing the account's user name, a part of the person's full name, or the name of the service;
- no control characters.

Passwords are Unicode-normalised (NFKC) before hashing and checking, so the same password typed on different
keyboards or systems verifies.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from aktuar.errors import InputError

TIME_COST = 3
MEMORY_COST_KIB = 65536  # 64 MiB
PARALLELISM = 1
HASH_LEN = 32
SALT_LEN = 16

MIN_LENGTH = 12
MAX_LENGTH = 128
SERVICE_WORDS = ("aktuar", "актуар")

# The hasher in force. Tests may substitute a cheaper argon2id hasher to stay fast; production code never does.
HASHER = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM,
                        hash_len=HASH_LEN, salt_len=SALT_LEN, type=Type.ID)

_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
    "1q2w3e4r5t6y7u8i9o0p",
    "!@#$%^&*()_+",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "йцукенгшщзхъфывапролджэячсмитьбю",
)


class WeakPassword(InputError):
    """A new password does not meet the password policy (the message lists every reason)."""


@dataclass(frozen=True)
class Verification:
    """Outcome of ``verify_password``: ``ok``, and a new hash to store when the old one needs upgrading."""

    ok: bool
    new_hash: str | None = None


def normalize(password: str) -> str:
    """The form in which a password is hashed and checked (Unicode NFKC)."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """An argon2id PHC string for ``password`` (random salt; parameters as documented above)."""
    return HASHER.hash(normalize(password))


def verify_password(stored_hash: str | None, password: str) -> Verification:
    """Check ``password`` against ``stored_hash`` in constant work; a missing or unreadable hash fails after the
    same argon2 work as a real check (no shortcut that would tell an attacker the account does not exist)."""
    candidate = normalize(password)
    if not stored_hash:
        dummy_verify(candidate)
        return Verification(False)
    try:
        HASHER.verify(stored_hash, candidate)
    except VerifyMismatchError:
        return Verification(False)
    except (InvalidHashError, VerificationError):
        dummy_verify(candidate)
        return Verification(False)
    if HASHER.check_needs_rehash(stored_hash):
        return Verification(True, HASHER.hash(candidate))
    return Verification(True)


def dummy_verify(password: str) -> None:
    """Spend the same argon2 work as a real verification (used for unknown, disabled or locked accounts)."""
    try:
        HASHER.verify(_dummy_hash(HASHER.time_cost, HASHER.memory_cost, HASHER.parallelism), normalize(password))
    except VerificationError:
        pass


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return HASHER.hash("aktuar dummy password that never matches: " + str((time_cost, memory_cost, parallelism)))


def parameters(stored_hash: str) -> dict[str, int]:
    """The argon2 parameters recorded in a PHC string, e.g. ``{"m": 65536, "t": 3, "p": 1}``."""
    m = re.match(r"^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$", stored_hash)
    if not m:
        raise ValueError("not an argon2id hash")
    return {"m": int(m.group(1)), "t": int(m.group(2)), "p": int(m.group(3))}


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common and breached passwords (normalised, case-folded)."""
    text = resources.files("aktuar.security").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.split("\n") if line)


def _is_sequence(s: str) -> bool:
    if len(s) < 4:
        return False
    for seq in _SEQUENCES:
        if s in seq or s[::-1] in seq:
            return True
    return False


def _repeated_unit(s: str) -> str | None:
    """The shortest unit that ``s`` is a repetition of (``None`` when it is not a repetition)."""
    n = len(s)
    for k in range(1, n // 2 + 1):
        if n % k == 0 and s[:k] * (n // k) == s:
            return s[:k]
    return None


def _name_parts(full_name: str | None) -> list[str]:
    if not full_name:
        return []
    parts = re.split(r"[\W_]+", normalize(full_name).casefold())
    return [p for p in parts if len(p) >= 3]


def check_password(
    password: str,
    *,
    username: str | None = None,
    full_name: str | None = None,
    min_length: int = MIN_LENGTH,
    max_length: int = MAX_LENGTH,
) -> list[str]:
    """Every reason why ``password`` does not meet the policy (an empty list when it does). The reasons never
    repeat the password."""
    p = normalize(password)
    folded = p.casefold()
    problems: list[str] = []
    if len(p) < min_length:
        problems.append(f"it has {len(p)} characters; use at least {min_length} (a passphrase of several words "
                        "is easy to remember)")
    if len(p) > max_length:
        problems.append(f"it has {len(p)} characters; use at most {max_length}")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in p):
        problems.append("it contains control characters")
    common = common_passwords()
    core = folded.strip(string.digits + string.punctuation + string.whitespace)
    unit = _repeated_unit(folded)
    if folded in common:
        problems.append("it is one of the most common passwords found in public password breaches")
    elif core != folded and len(core) >= 4 and core in common:
        problems.append("it is a common breached password with digits or symbols added")
    elif len(set(folded)) < 4 and folded:
        problems.append("it uses fewer than 4 different characters")
    elif unit is not None and (len(unit) <= 4 or unit in common or unit.strip(string.digits) in common):
        problems.append("it repeats a short pattern")
    elif _is_sequence(folded) or _is_sequence(core):
        problems.append("it is a sequence of consecutive letters, digits or keyboard keys")
    if username:
        u = normalize(username).casefold()
        if len(u) >= 3 and u in folded:
            problems.append("it contains the user name")
    parts = [part for part in _name_parts(full_name) if part in folded]
    if parts:
        problems.append("it contains a part of the person's name")
    if any(w in folded for w in SERVICE_WORDS):
        problems.append("it contains the name of the service")
    return problems


def validate_password(
    password: str,
    *,
    username: str | None = None,
    full_name: str | None = None,
    min_length: int = MIN_LENGTH,
    max_length: int = MAX_LENGTH,
) -> None:
    """Raise ``WeakPassword`` listing every reason when ``password`` does not meet the policy."""
    problems = check_password(password, username=username, full_name=full_name, min_length=min_length,
                              max_length=max_length)
    if problems:
        raise WeakPassword("password refused: " + "; ".join(problems) + ". Choose another password.")
