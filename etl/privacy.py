"""Keyed hashing of client codes, the secret key, and identifier detection.

A raw client code never leaves this module: callers hand in normalised codes and
get back keys. The key lives in $SHOP_HASH_KEY or in a 0600 file beside the
database, never in the repository or the database; only a fingerprint of it is
stored, so a load with the wrong key can be refused.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

import phonenumbers
from stdnum.ca import bc_phn, sin

ENV_KEY = "SHOP_HASH_KEY"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# North American numbers written the usual ways, as a net under phonenumbers' own matcher.
_NANP = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?[2-9]\d{2}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
_DIGITS = re.compile(r"(?<!\d)\d[\d\s-]{7,14}\d(?!\d)")


class KeyError_(Exception):
    """The key is missing or does not match the database."""


def key_path(db_path: str | Path) -> Path:
    return Path(str(db_path) + ".key")


def key_source(db_path: str | Path) -> str:
    """Where the key comes from, in words (never the key)."""
    if os.environ.get(ENV_KEY):
        return f"the environment variable {ENV_KEY}"
    return f"the key file {key_path(db_path)}"


def load_key(db_path: str | Path, create: bool) -> bytes | None:
    """The secret key: $SHOP_HASH_KEY, else the key file, created (0600) when asked."""
    env = os.environ.get(ENV_KEY)
    if env:
        return env.encode()
    kp = key_path(db_path)
    if kp.exists():
        return kp.read_text().strip().encode()
    if not create:
        return None
    kp.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(kp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return kp.read_text().strip().encode()


def fingerprint(key: bytes) -> str:
    """A public fingerprint of the key: tells keys apart, cannot give the key back."""
    return hmac.new(key, b"shop-key-fingerprint-v1", hashlib.sha256).hexdigest()[:16]


_HASHED: dict[tuple[bytes, str], str] = {}


def hash_codes(codes, key: bytes) -> dict[str, str]:
    """Normalised client code -> person key (HMAC-SHA-256, hex); each distinct code hashed once
    per process, however many files it appears in (kept in memory only, never written)."""
    out = {}
    for c in set(codes):
        k = (key, c)
        if k not in _HASHED:
            _HASHED[k] = hmac.new(key, c.encode(), hashlib.sha256).hexdigest()
        out[c] = _HASHED[k]
    return out


def normalise_code(code: str) -> str:
    """Upper case, spaces and hyphens removed (the contract's normalisation)."""
    return re.sub(r"[\s\-]+", "", str(code)).upper()


@functools.lru_cache(maxsize=200_000)
def identifier_in_text(text: str) -> str | None:
    """Why a text looks like a direct identifier (phone, email, PHN, SIN), else None."""
    if not text:
        return None
    if "@" in text and _EMAIL.search(text):
        return "looks like an email address"
    if sum(ch.isdigit() for ch in text) < 7:
        return None  # too few digits for a phone, health or insurance number
    # Health and insurance numbers first: a BC PHN also has a phone number's shape.
    for m in _DIGITS.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) == 10 and bc_phn.is_valid(digits):
            return "looks like a health number (PHN)"
        if len(digits) == 9 and sin.is_valid(digits):
            return "looks like a social insurance number"
    if _NANP.search(text):
        return "looks like a phone number"
    try:
        if any(True for _ in phonenumbers.PhoneNumberMatcher(text, "CA", leniency=phonenumbers.Leniency.VALID)):
            return "looks like a phone number"
    except Exception:  # the matcher is a heuristic; an odd string must not stop a load
        pass
    for m in _DIGITS.finditer(text):
        if len(re.sub(r"\D", "", m.group())) == 10:
            return "looks like a phone or health number"
    return None
