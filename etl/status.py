"""`python -m etl status`: what is loaded (each batch's account), what was rejected, which files in
force overlap, and where the key lives."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

from shop import privacy, schema
from shop.store import DatabaseFault, read_only


SKIPPED = ("header", "title", "blank", "total", "footnote")


def overlaps(con) -> list[dict]:
    """Pairs of files in force of one log type that share dates (rows in both count twice)."""
    cur = con.execute((schema.SQL_DIR / "overlaps.sql").read_text())
    names = [d[0] for d in cur.description]
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in zip(names, r)} for r in cur.fetchall()]


def collect(db: Path) -> dict:
    """Batches in force with their account, their rejects and overlaps, as `status --json` prints them.

    Each batch: rows_read = rows_loaded + rows_rejected + the sum of skipped (by kind)."""
    out = {"batches": [], "rejects": [], "overlaps": []}
    if not db.exists():
        return out
    with read_only(db) as con:
        if not schema.current_version(con):
            return out
        for r in con.execute("""select file_name, sheet, log_type, status, rows_read, rows_loaded, rows_rejected,
                                       strftime(loaded_at, '%Y-%m-%dT%H:%M:%S'), header_rows, title_rows,
                                       blank_rows, total_rows, footnote_rows
                                from meta.batches where status = 'in_force' order by batch_id""").fetchall():
            b = dict(zip(["file", "sheet", "log_type", "status", "rows_read", "rows_loaded", "rows_rejected",
                          "loaded_at"], r[:8]))
            b["skipped"] = dict(zip(SKIPPED, (int(x or 0) for x in r[8:])))
            out["batches"].append(b)
        for r in con.execute("""select b.file_name, b.sheet, r.row_number, r.field, r.reason
                                from meta.rejects r join meta.batches b using (batch_id)
                                where b.status = 'in_force' order by r.batch_id, r.row_number, r.field""").fetchall():
            out["rejects"].append(dict(zip(["file", "sheet", "row", "field", "reason"], r)))
        out["overlaps"] = overlaps(con)
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
        skipped = ", ".join(f"{n} {k}" for k, n in b["skipped"].items() if n)
        print(f"  {b['loaded_at']}  {b['log_type']:<15} {b['file']}{sheet}: {b['rows_read']} rows read = "
              f"{b['rows_loaded']} loaded + {b['rows_rejected']} rejected + {sum(b['skipped'].values())} skipped"
              + (f" ({skipped})" if skipped else ""))
    if info["overlaps"]:
        print(f"{len(info['overlaps'])} overlaps between files in force (rows in both are counted twice, but a "
              "Safe Suite stay in both counts once, as the file loaded last has it; a corrected file should keep "
              "the name of the one it corrects):")
        for o in info["overlaps"]:
            a = o["file"] + (f" [{o['sheet']}]" if o["sheet"] else "")
            b = o["other_file"] + (f" [{o['other_sheet']}]" if o["other_sheet"] else "")
            span = o["first_date"] if o["first_date"] == o["last_date"] else f"{o['first_date']} to {o['last_date']}"
            print(f"  {o['log_type']}: {a} and {b} share {o['shared_dates']} date(s), {span}")
    if info["rejects"]:
        print(f"{len(info['rejects'])} rejects:")
        for r in info["rejects"]:
            sheet = f" [{r['sheet']}]" if r["sheet"] else ""
            print(f"  {r['file']}{sheet} row {r['row']}, {r['field']}: {r['reason']}")
    return 0
