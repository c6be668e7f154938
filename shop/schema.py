"""The database schema: core (one table per log type), meta and marts, with migrations.

Core tables are generated from the contract so a field is declared once. The
schema version lives in meta.settings; `migrate` brings an older database up to
date inside the caller's transaction.
"""
from __future__ import annotations

from pathlib import Path

from .contract import CODE, DATE, ENUM, INT, LOG_TYPES, MULTI, NUMBER, TEXT, YESNO

SCHEMA_VERSION = 7
SQL_DIR = Path(__file__).parent / "sql"
MARTS_FILLED = 7  # from this version on, the review's monthly marts are tables (shop/marts.py)
_SQL_TYPE = {DATE: "date", CODE: "varchar", ENUM: "varchar", MULTI: "varchar[]", YESNO: "boolean",
             INT: "bigint", NUMBER: "double", TEXT: "varchar"}


def core_ddl() -> list[str]:
    """The core tables as version 1 created them (later migrations alter them: v6 makes
    person_key a number)."""
    out = []
    for lt in LOG_TYPES.values():
        cols = [f'"{f.column}" {_SQL_TYPE[f.kind]}' + (" not null" if f.required else "")
                for f in lt.fields]
        cols += ["batch_id integer not null", "source_row integer not null"]
        out.append(f"create table if not exists core.{lt.name} (\n  " + ",\n  ".join(cols) + "\n)")
    return out


def current_version(con) -> int:
    """The schema version of an open database (0 for a new, empty one)."""
    has = con.execute("select count(*) from information_schema.tables "
                      "where table_schema = 'meta' and table_name = 'settings'").fetchone()[0]
    if not has:
        return 0
    row = con.execute("select value from meta.settings where key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrations() -> list[tuple[int, Path]]:
    """(version, file) of every migration, in order: sql/migrations/NNNN_name.sql."""
    return sorted((int(p.name[:4]), p) for p in (SQL_DIR / "migrations").glob("[0-9][0-9][0-9][0-9]_*.sql"))


def migrate(con, upto: int | None = None) -> int:
    """Create or upgrade the schema inside the caller's transaction; returns the version found."""
    upto = upto or SCHEMA_VERSION
    before = current_version(con)
    if before > SCHEMA_VERSION:
        raise RuntimeError(f"the database is schema version {before}, newer than this program "
                           f"({SCHEMA_VERSION}): update the program")
    for version, path in migrations():
        if before < version <= upto:
            con.execute(path.read_text())
            if version == 1:
                for ddl in core_ddl():
                    con.execute(ddl)
                con.execute((SQL_DIR / "marts.sql").read_text())
            con.execute("insert or replace into meta.settings values ('schema_version', ?)", [str(version)])
    if 0 < before < MARTS_FILLED <= upto:
        from .marts import refresh  # the marts added since are built from the rows already in core
        refresh(con)
    return before


def get_setting(con, key: str) -> str | None:
    row = con.execute("select value from meta.settings where key = ?", [key]).fetchone()
    return row[0] if row else None
