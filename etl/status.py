"""`python -m etl status`: what is loaded, what was rejected, and where the key lives."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

from . import privacy, schema
from .store import DatabaseFault, read_only


def collect(db: Path) -> dict:
    """Batches in force and their rejects, as `status --json` prints them."""
    out = {"batches": [], "rejects": []}
    if not db.exists():
        return out
    with read_only(db) as con:
        if not schema.current_version(con):
            return out
        for r in con.execute("""select file_name, sheet, log_type, status, rows_loaded, rows_rejected,
                                       strftime(loaded_at, '%Y-%m-%dT%H:%M:%S')
                                from meta.batches where status = 'in_force' order by batch_id""").fetchall():
            out["batches"].append(dict(zip(["file", "sheet", "log_type", "status", "rows_loaded",
                                            "rows_rejected", "loaded_at"], r)))
        for r in con.execute("""select b.file_name, b.sheet, r.row_number, r.field, r.reason
                                from meta.rejects r join meta.batches b using (batch_id)
                                where b.status = 'in_force' order by r.batch_id, r.row_number, r.field""").fetchall():
            out["rejects"].append(dict(zip(["file", "sheet", "row", "field", "reason"], r)))
        out["key_fingerprint_stored"] = schema.get_setting(con, "key_fingerprint") is not None
    return out


def status(db: Path, as_json: bool) -> int:
    try:
        info = collect(db)
    except DatabaseFault as exc:  # damaged (naming the backup to restore), or not ours to read
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error:
        print(f"error: {db} is not a readable SHOP database", file=sys.stderr)
        return 1
    key = privacy.load_key(db, create=False)
    key_missing = bool(info["batches"]) and key is None
    if as_json:
        info.pop("key_fingerprint_stored", None)
        print(json.dumps(info, indent=2))
        if key_missing:
            print(f"warning: the key for {db} is missing ({privacy.key_source(db)})", file=sys.stderr)
        return 0
    print(f"database: {db}" + ("" if db.exists() else " (not created yet)"))
    print(f"key: {privacy.key_source(db)}" + (" (present)" if key else " (not created yet)"))
    if key_missing:
        print(f"WARNING: the key for this database is missing. Without it new loads cannot match people "
              f"already loaded. Restore {privacy.key_path(db)} from your backup or set {privacy.ENV_KEY}.")
    print("back up the key separately from the database: it is not in the database or its backups")
    print(f"{len(info['batches'])} batches in force:")
    for b in info["batches"]:
        sheet = f" [{b['sheet']}]" if b["sheet"] else ""
        print(f"  {b['loaded_at']}  {b['log_type']:<15} {b['file']}{sheet}: {b['rows_loaded']} rows, "
              f"{b['rows_rejected']} rejected")
    if info["rejects"]:
        print(f"{len(info['rejects'])} rejects:")
        for r in info["rejects"]:
            sheet = f" [{r['sheet']}]" if r["sheet"] else ""
            print(f"  {r['file']}{sheet} row {r['row']}, {r['field']}: {r['reason']}")
    return 0
