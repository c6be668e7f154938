"""The released tables of a fiscal year, kept on disk beside the database between processes.

Building a year's released table reads the year's rows and runs the disclosure audit (seconds at
ten years of data); every page, export and CLI answer then reads it. In memory it lives as long
as the dashboard's process; this keeps it across processes (a restarted dashboard, a CLI call,
another worker), so only the first reader after a load pays for it.

The files hold released values only (what the External audience may see), as JSON, in an
owner-only folder `<database>.release/`. A file is used only when its key matches exactly: the
database file's version (it changes with every load), the fiscal year, k, the day, the fiscal
year's first month, the Safe Suite units, and a fingerprint of the code that builds the table.
Anything unreadable is ignored and rebuilt; a folder that cannot be written is not an error.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

KEEP = 64  # files kept; older ones are removed
_HERE = Path(__file__).parent
_SHOP = _HERE.parent / "shop"  # the ledger lives on the bottom floor


def _code_fingerprint() -> str:
    h = hashlib.sha256()
    for p in [*(_HERE / f for f in ("release.py", "linked.py", "protect.py", "spans.py")), _SHOP / "ledger.py",
              _HERE / "suppress.py", _HERE / "indicators.py", *sorted((_HERE / "sql" / "families").glob("*.sql"))]:
        with contextlib.suppress(OSError):
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


CODE = _code_fingerprint()


def folder(db_path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".release")


def _file(db_path, key: tuple) -> Path:
    name = hashlib.sha256(repr((CODE,) + tuple(key)).encode()).hexdigest()[:40]
    return folder(db_path) / f"{name}.json"


def _enc(x):
    if isinstance(x, tuple):
        return {"t": [_enc(v) for v in x]}
    if isinstance(x, list):
        return [_enc(v) for v in x]
    if isinstance(x, dict):
        return {"d": [[_enc(k), _enc(v)] for k, v in x.items()]}
    if hasattr(x, "item"):  # a numpy number
        return x.item()
    return x


def _dec(x: dict):
    """What _enc encoded, as the JSON parser meets each object (innermost first): a {"t": ...} is a
    tuple, a {"d": ...} a dict; lists and numbers are as parsed (one call an object, not a value)."""
    if "t" in x:
        return tuple(x["t"])
    if "d" in x:
        return {k: v for k, v in x["d"]}
    return x


def load(db_path, key: tuple) -> dict | None:
    """The fields of a Released saved under exactly this key, or None."""
    f = _file(db_path, key)
    try:
        data = json.loads(f.read_text(), object_hook=_dec)
        if data.get("key") != repr((CODE,) + tuple(key)):
            return None
        return data["fields"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save(db_path, key: tuple, fields: dict) -> None:
    """Write the fields (atomically, owner-only); any failure leaves no file and is not an error."""
    d = folder(db_path)
    f = _file(db_path, key)
    tmp = f.with_name(f"{f.name}.{os.getpid()}.part")
    try:
        d.mkdir(mode=0o700, exist_ok=True)
        text = json.dumps({"key": repr((CODE,) + tuple(key)), "fields": _enc(fields)})
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, f)
        old = sorted(d.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-KEEP]
        for p in old:
            p.unlink()
    except (OSError, TypeError, ValueError):
        with contextlib.suppress(OSError):
            tmp.unlink()
