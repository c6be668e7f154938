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
import unicodedata
from pathlib import Path

import phonenumbers
from stdnum.ca import bc_phn, sin

ENV_KEY = "SHOP_HASH_KEY"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# North American numbers written the usual ways, as a net under phonenumbers' own matcher.
_NANP = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?[2-9]\d{2}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
_DIGITS = re.compile(r"(?<!\d)\d[\d\s.-]{7,14}\d(?!\d)")


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


def file_fingerprint(sha_hex: str, key: bytes) -> str:
    """What the database keeps of a file's (or sheet's) SHA-256: keyed, HMAC-SHA-256(key, digest).
    A plain digest of a one-row file is an oracle: every other cell of the row is stored typed,
    so guesses at its client code could be tested against it without the key."""
    return hmac.new(key, b"shop-file-v1:" + sha_hex.encode(), hashlib.sha256).hexdigest()


_HASHED: dict[tuple[bytes, str], int] = {}


def person_key(code: str, key: bytes) -> int:
    """A normalised client code's person key: the first 8 bytes of HMAC-SHA-256(key, code), as
    an unsigned 64-bit number (schema v6; earlier keys were the hex digest, whose first 16
    digits are this number)."""
    return int.from_bytes(hmac.new(key, code.encode(), hashlib.sha256).digest()[:8], "big")


def hash_codes(codes, key: bytes) -> dict[str, int]:
    """Normalised client code -> person key; each distinct code hashed once per process,
    however many files it appears in (kept in memory only, never written)."""
    out = {}
    for c in set(codes):
        k = (key, c)
        if k not in _HASHED:
            _HASHED[k] = person_key(c, key)
        out[c] = _HASHED[k]
    return out


_MONTH_WORDS = {m[:3].upper() for m in ("january february march april may june july august september "
                                           "october november december").split()} | {
    m.upper() for m in ("january february march april june july august september october november "
                        "december sept").split()}


def name_code_candidates(name: str) -> set[str]:
    """The words of a file, folder or sheet name that could be a client code as staff type one
    (`ZZQX01`, `ZZ-QX01`, `zz qx01`): each word and each run of two or three adjacent words
    joined, normalised, 2-20 letters or digits. A year, a one- or two-digit number and a
    month's name are dates in a file name, never taken for a code."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    out = set()
    for i in range(len(words)):
        for j in range(i + 1, min(i + 3, len(words)) + 1):
            c = "".join(words[i:j]).upper()
            if 2 <= len(c) <= 20 and not (c.isdigit() and (len(c) <= 2 or re.fullmatch(r"(19|20)\d\d", c))) \
                    and c not in _MONTH_WORDS:
                out.add(c)
    return out


HOLDS_CODE = "holds a client code: write it without the code (text is shown in reports)"


def known_keys(con, keys: set[int]) -> set[int]:
    """Which of these person keys the load has read (temp `person_keys`) or the database holds."""
    if not keys:
        return set()
    from .contract import CODE, LOG_TYPES
    there = {(t, n) for t, n in con.execute(
        "select case when temporary then 'temp' else schema_name end, table_name from duckdb_tables() "
        "where temporary or (schema_name = 'core' and database_name = current_database())").fetchall()}
    sources = [f"core.{lt.name}" for lt in LOG_TYPES.values()
               if any(f.kind == CODE for f in lt.fields) and ("core", lt.name) in there]
    if ("temp", "person_keys") in there:
        sources.append("person_keys")
    if not sources:
        return set()
    sql = " union ".join(f"select person_key from {t} where person_key in (select unnest($k))" for t in sources)
    return {r[0] for r in con.execute(sql, {"k": sorted(keys)}).fetchall()}


def codes_held(con, texts, key: bytes) -> set[str]:
    """The texts holding a client code the load has read or the database holds: a word of it, or
    two or three joined, as staff type a code (only keyed hashes are compared, none is written)."""
    cands = {t: name_code_candidates(t) for t in texts if t}
    hashed = hash_codes({c for cs in cands.values() for c in cs}, key)
    known = known_keys(con, set(hashed.values()))
    return {t for t, cs in cands.items() if any(hashed[c] in known for c in cs)} if known else set()


def normalise_code(code: str) -> str:
    """Upper case, spaces and hyphens removed (the contract's normalisation; a no-break space and
    an en or em dash too, as in etl/validate.py's SQL)."""
    return re.sub(r"[\s\u2010-\u2015\-]+", "", str(code)).upper()


_NUMBER_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
                 "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
# Seven or more number words in a row (`two five oh, five five five ...`): spelled-out digits.
_SPELLED = re.compile(r"\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b[\s,.\-_/]*){7,}", re.I)
# Digit groups where the letter O stands for zero (and l or I for one): each group holds a digit.
_LOOKALIKE = re.compile(r"(?<![A-Za-z])(?=[0-9OoIl]*\d)[0-9OoIl]+(?:[\s.\-]+(?=[0-9OoIl]*\d)[0-9OoIl]+)+(?![A-Za-z])")
# A local number: seven digits, 3 + 4, the first not 0 or 1 (a NANP exchange code).
_LOCAL = re.compile(r"(?<![\d:/.,$-])[2-9]\d{2}[\s.\-]?\d{4}(?![\d:/,])(?!\.\d)")
# Nine digits grouped 3-3-3 (`123.456.789`, `123 456 789`): how a SIN is written, valid or not.
_SIN_SHAPE = re.compile(r"(?<![\d.])\d{3}([\s.\-])\d{3}\1\d{3}(?![\d.])")
# An email written out: `jane dot doe at example dot org`, `jane(at)example(dot)ca`, `jane [at] x.org`.
_TLD = r"(?:com|ca|org|net|edu|gov|info|io|me|co|us|biz|uk)"
_DOT = r"(?:\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+|\.)"
_AT_WORD = re.compile(r"[\w.+-]+(?:\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+)[\w-]+(?:" + _DOT + r"[\w-]+)*"
                      + r"(?:\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+)" + _TLD + r"\b", re.I)
_AT_BRACKET = re.compile(r"[\w.+-]+\s*[(\[{<]\s*at\s*[)\]}>]\s*[\w-]+(?:" + _DOT + r"[\w-]+)+", re.I)
# Dates and times in ordinary text are not numbers about a person: taken out before digits are counted.
_DATE_TIME = re.compile(
    r"(?<!\d)(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2}))(?!\d)"
    r"(?:[T\s]+\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|(?<!\d)\d{1,2}(?::\d{2}){1,2}(?:\s*[ap]\.?m\.?)?(?!\d)"
    r"|(?<!\d)\d{1,2}\s*[ap]\.?m\.?\b", re.I)


def _plausible_date(m: re.Match) -> bool:
    """A date-shaped match that a calendar could hold (month 1-12, day 1-31); times always are."""
    text = m.group()
    if ":" in text and not re.search(r"[-/.]", text.split(" ")[0]) or re.search(r"[ap]\.?m", text, re.I):
        return True
    parts = [int(p) for p in re.findall(r"\d+", text.split("T")[0].split(" ")[0])]
    if len(parts) < 3:
        return False
    if parts[0] > 31:  # year first
        return 1 <= parts[1] <= 12 and 1 <= parts[2] <= 31
    a, b = parts[0], parts[1]
    return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)


def _without_dates(text: str) -> str:
    return _DATE_TIME.sub(lambda m: " ; " if _plausible_date(m) else m.group(), text)


def header_said(header) -> str:
    """A column header as a message may quote it: cut to 40 characters, and not at all when it
    looks like an identifier itself (a phone number typed as a header)."""
    why = looks_identifying(str(header))
    return f"a column whose header {why} (not shown)" if why else str(header)[:40]


def looks_identifying(text: str) -> str | None:
    """Why a text looks like a direct identifier, else None: the one screen for free text.

    Catches emails (also `＠`, `at`/`dot` spellings), phone numbers (10-digit, local 7-digit,
    separated by spaces, dots, hyphens or `_`, typed with the letter O, spelled out), health
    numbers (PHN) and SINs (also dotted). Dates and times in ordinary text are not numbers
    about a person. The reason names the kind, never the value. Used by the load on every text
    field, file and sheet name, and by the release checks on stored text.
    """
    if not text:
        return None
    return _looks_identifying(str(text))


@functools.lru_cache(maxsize=200_000)
def _looks_identifying(text: str) -> str | None:
    text = unicodedata.normalize("NFKC", text).replace("_", " ")
    if ("@" in text and _EMAIL.search(text)) or _AT_WORD.search(text) or _AT_BRACKET.search(text):
        return "looks like an email address"
    if _SPELLED.search(text):
        spelled = _SPELLED.sub(lambda m: "".join(_NUMBER_WORDS[w.lower()] for w in re.findall(r"[A-Za-z]+", m.group())) + " ", text)
        if _digit_reason(_without_dates(spelled)):
            return "looks like a phone or other number spelled out in words"
    plain = _without_dates(text)
    reason = _digit_reason(plain)
    if reason:
        return reason
    swapped = _LOOKALIKE.sub(lambda m: m.group().translate(str.maketrans("OoIl", "0011")), plain)
    if swapped != plain and _digit_reason(swapped):
        return "looks like a phone or other number typed with letters for digits"
    squeezed = _squeeze(plain)
    if squeezed != plain and _digit_reason(squeezed):
        return "looks like a phone or other number written with other separators"
    return None


_WORD_DIGIT = re.compile(r"\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b", re.I)
_LONE_LOOKALIKE = re.compile(r"(?<![A-Za-z])[OoIl](?![A-Za-z])")
# Digit groups joined by any one to three other characters (`250|555|0199`, `250~555~0199`,
# `250 x 555 x 0199`, `250 · 555 · 0199`): the whole class, not each separator in turn.
_ANY_SEPARATOR = re.compile(r"(?<=\d)(?:[^0-9A-Za-z]{1,3}|\s?[xX]\s?)(?=\d)")


def _squeeze(text: str) -> str:
    """Digits as a person reads them: number words and lone O/I/l as digits, groups joined."""
    t = _WORD_DIGIT.sub(lambda m: _NUMBER_WORDS[m.group().lower()], text)
    t = _LONE_LOOKALIKE.sub(lambda m: "0" if m.group() in "Oo" else "1", t)
    if sum(ch.isdigit() for ch in t) < 7:
        return text
    return _ANY_SEPARATOR.sub("", t)


def _digit_reason(text: str) -> str | None:
    reason = identifier_in_text(text)
    if reason:
        return reason
    if _SIN_SHAPE.search(text):
        return "looks like a social insurance number"
    if _LOCAL.search(text):
        return "looks like a local phone number"
    return None


@functools.lru_cache(maxsize=200_000)
def identifier_in_text(text: str) -> str | None:
    """The plain-digit part of looks_identifying: phone, email, PHN, SIN written the usual ways."""
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
