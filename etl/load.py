"""Batches: atomic, idempotent loads; a corrected file replaces its earlier version.

This module orchestrates: expand the paths, read, validate, write each file's batch.
The lock, the working copy and its atomic swap, and the snapshots live in shop/store.py.
One room, though long: every write to the database (a load, a program note, a frozen report)
goes through the same lock, working copy and account of rows, and splitting them would let one
of them write without the others' guarantees.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from shop import marts, privacy, schema, settings
from shop.contract import CODE, LOG_TYPES
from shop.store import (LoadError, Unchanged, backups_dir, in_place, load_lock, read_only, rewrite_on_swap, snapshot,
                        unforeseen, working_copy)
from .read import RawTable, Refused, Skip, code_masked_name, read, sheet_masked
from .validate import Validated, register_codes, release, use, validate, validate_many

SHOWN_REJECTS = 20


@dataclass
class Outcome:
    file: str
    sheet: str = ""
    status: str = ""              # loaded | replaced | already loaded | refused | skipped
    reason: str = ""
    rows_loaded: int = 0
    rejects: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    unknown_columns: list = field(default_factory=list)
    account: dict | None = None   # rows read = good + rejected + skipped by kind, for a table that was read
    how: str = ""                 # how its log type was decided, when not by its name
    batch_id: int | None = None   # the batch its rows went in as
    file_no: int = 0              # the file's number in the load (masked names can be alike)
    replaced_later: bool = False  # a later file of the same load replaced it: its rows are not in force

    @property
    def label(self) -> str:
        return f"{self.file} [{self.sheet}]" if self.sheet else self.file


# A corrected copy's name: the original's name and a mark such as "- corrected", "(2)", "v2", "FINAL".
_MARK = re.compile(r"[\s_\-]*(\(\d+\)|v(?:er(?:sion)?)?[\s_]*\d+|corrected|correction|revised|updated|"
                   r"update|final|fixed|new|copy)$", re.I)


def version_key(path: Path) -> tuple:
    """Sort key that puts a file before its corrected copies, so the copy loads last and replaces it.
    Of two that only the extension (or case) tells apart (`outreach March.xlsx` saved again as
    `outreach March.ods`), the older loads first, so the newer replaces it: never the name's order."""
    stem = re.sub(r"^copy of\s+", "", path.stem, flags=re.I)
    marks, number = 0, 0
    while (m := _MARK.search(stem)) and m.start() > 0:
        marks += 1
        number = max(number, int((re.findall(r"\d+", m.group(1)) or ["0"])[0]))
        stem = stem[:m.start()]
    return (str(path.parent), stem.strip().lower(), marks, number, _mtime(path), path.name)


# Folders that keep the past in a shared inbox: their files are earlier versions or copies.
ARCHIVE_FOLDERS = {"old", "archive", "archives", "archived", "backup", "backups"}


@dataclass
class Entry:
    """A file to load and the name it is stored and shown by: its path relative to the folder
    loaded (`corrected/supplies_2024-25.csv`), or its own name when given as a file."""
    path: Path
    name: str
    archived: str = ""            # the folder that keeps the past it sits in (`old`), if any
    siblings: tuple = ()          # other files of this load with the same file name
    tie: str = ""                 # a same-named file with the same modification time


def _rel_name(f: Path, folder: Path) -> str:
    return "/".join(settings.file_name(Path(part)) for part in f.relative_to(folder).parts)


def expand(paths) -> list[Entry]:
    """Files to load: a folder gives every file in it and its subfolders (each gets a line, read
    or not), named by its path in the folder; a file is ordered before its corrected copies.

    Files of one name in different folders are versions of one file when their dates meet: they
    load oldest first by modification time, so the newest replaces the others (said in its line),
    never by sort order. Files in a folder that keeps the past (old/, archive/, backup/) load last."""
    out: dict[Path, Entry] = {}
    for p in map(Path, paths):
        if p.is_dir():
            for f in p.rglob("*"):
                if f.is_file() and f not in out:
                    name = _rel_name(f, p)
                    kept = [d for d in name.split("/")[:-1] if d.lower() in ARCHIVE_FOLDERS]
                    out[f] = Entry(f, name, kept[0] if kept else "")
        elif p not in out:
            out[p] = Entry(p, settings.file_name(p))
    entries = sorted(out.values(), key=lambda e: (bool(e.archived), version_key(e.path)))
    groups: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        if not e.archived:
            groups.setdefault(e.name.split("/")[-1].lower(), []).append(i)
    for slots in groups.values():
        if len(slots) < 2:
            continue
        members = sorted((entries[i] for i in slots), key=lambda e: (_mtime(e.path), e.name))
        for i, e in zip(slots, members):
            e.siblings = tuple(m.name for m in members if m is not e)
            same = [m for m in members if m is not e and _mtime(m.path) == _mtime(e.path)
                    and not _same_bytes(m.path, e.path)]
            e.tie = same[0].name if same else ""
            entries[i] = e
    return entries


def _mtime(p: Path) -> int:
    try:
        return p.stat().st_mtime_ns
    except OSError:
        return 0


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


NAME_CODE = ("its name holds a client code: file and sheet names are stored and printed in reports, so "
             "rename it (a log's name says its log type and period, never a code or a person's name) and "
             "load again")


class _NameCodes:
    """Which names of a load hold a client code: a word of the name (or two or three joined, as
    staff type a code) whose keyed hash is a known person key: in the database, in a file of this
    load read so far (the load's temp `person_keys`), or in the file itself. Only keyed hashes are
    compared; no code is written anywhere. First names are not looked for: no list tells a name
    from a word (`Hope`, `Friday`, `May`), so the refusal says what a name should hold instead."""

    def __init__(self, con, key: bytes, files):
        self.con, self.key = con, key
        self._keys: dict[str, int] = {}
        for e in files:
            self._candidates(e.name)
        self.checked = set(self._keys.values())
        con.execute("create temp table if not exists person_keys (code varchar, person_key ubigint)")
        self.load_keys: set[int] = set()   # the keys in `person_keys`, kept here too: checked by every name
        self.known = self._in_core(self.checked)

    def _candidates(self, text: str) -> set[int]:
        cands = privacy.name_code_candidates(text or "")
        new = [c for c in cands if c not in self._keys]
        if new:
            self._keys.update(privacy.hash_codes(new, self.key))
        return {self._keys[c] for c in cands}

    def _in_core(self, keys: set[int]) -> set[int]:
        if not keys:
            return set()
        tables = [lt.name for lt in LOG_TYPES.values() if any(f.column == "person_key" for f in lt.fields)]
        sql = " union ".join(f"select person_key from core.{n} where person_key in (select unnest($k))"
                             for n in tables)
        return {r[0] for r in self.con.execute(sql, {"k": sorted(keys)}).fetchall()}

    def _in_load(self, keys: set[int]) -> set[int]:
        return keys & self.load_keys

    def read(self, keys: set[int]) -> None:
        """The person keys of codes a table of this load holds (etl.validate.register_codes)."""
        self.load_keys |= keys

    def held(self, name: str, sheet: str = "") -> bool:
        keys = self._candidates(name) | self._candidates(sheet)
        if keys - self.checked:  # a sheet's name, known only once its workbook is read
            self.known |= self._in_core(keys - self.checked)
            self.checked |= keys
        return bool(keys & self.known or self._in_load(keys - self.known))

    def held_in_tables(self, name: str, tables) -> bool:
        """The file's name against the codes its tables hold, before anything of it is written (a
        large CSV read by DuckDB is checked after its validation instead: it is one table)."""
        keys = self._candidates(name)
        codes = {privacy.normalise_code(c) for t in tables if t.plan is None
                 for f in t.log_type.fields if f.kind == CODE for c in t.columns.get(f.name, ()) if c}
        return bool(keys & set(privacy.hash_codes(codes, self.key).values())) if keys and codes else False

    def written_late(self, outcomes) -> str:
        """A name shown unmasked that holds a code only a later file of the load revealed."""
        keys = set()
        for o in outcomes:
            keys |= self._candidates(o.file) | self._candidates(o.sheet)
        known = self._in_core(keys) | self._in_load(keys)
        for o in outcomes:
            if (self._candidates(o.file) | self._candidates(o.sheet)) & known:
                return code_masked_name(o.file)
        return ""


def _rows_stay(n: int, how: str) -> str:
    return f"the {n} rows loaded from this sheet before stay in force (to take them out, {how})"


def _still_in_force(con, note) -> str:
    """A sheet not read (an emptied tab): its reason, and the rows loaded from it before, which stay."""
    n = con.execute("select coalesce(sum(rows_loaded), 0) from meta.batches where status = 'in_force' "
                    "and file_name = ? and sheet = ?", [note.file, note.sheet]).fetchone()[0]
    if not n:
        return note.reason
    return f"{note.reason}; " + _rows_stay(n, "keep the sheet's header row and load it again")


def _sheets_gone(con, name: str, got) -> list[Outcome]:
    """A line for each sheet loaded before from this workbook that it no longer has (a deleted or
    renamed tab): its rows stay in force, which the load says rather than leaving unseen."""
    sheets = {t.sheet for t in got.items}
    if "" in sheets:   # a CSV: no sheets
        return []
    return [Outcome(name, sheet, status="skipped", reason="not in the workbook any more; " + _rows_stay(
                        n, "load the workbook with the sheet and only its header row"))
            for sheet, n in con.execute("select sheet, sum(rows_loaded) from meta.batches where status = 'in_force' "
                                        "and file_name = ? and sheet <> '' group by sheet order by sheet",
                                        [name]).fetchall() if sheet not in sheets and n]


def _kept(e: Entry) -> str:
    return (f"in {e.archived}/, a folder that keeps the past: not loaded (to load it, move it out of "
            f"{e.archived}/ or name it on the command line)")


def _archived(con, o: Outcome, t: RawTable, e: Entry) -> None:
    """A table of a file in old/, archive/ or backup/: a copy of a file in force, or an earlier
    version of one, is already loaded; anything else is kept out (it is the past), and said."""
    same = con.execute("select file_name, sheet from meta.batches where status = 'in_force' "
                       "and content_sha256 = ? and log_type = ?", [t.content_sha256, t.log_type.name]).fetchone()
    newer = None if same else _superseded_by(con, t)
    if same:
        o.status, o.reason = "already loaded", f"same content as {_label(*same)}"
    elif newer:
        o.status, o.reason = "already loaded", f"an earlier version of {newer}, which replaced it"
    else:
        o.status, o.reason = "skipped", _kept(e)


def check_key(con, db: Path) -> bytes:
    """The key for this database, refusing a missing or different one."""
    stored = schema.get_setting(con, "key_fingerprint")
    has_data = con.execute("select count(*) from meta.batches").fetchone()[0] > 0
    key = privacy.load_key(db, create=not (stored and has_data))
    if key is None:
        raise LoadError(f"the key for {db} is missing ({privacy.key_source(db)}): restore the key "
                        f"file from your backup or set {privacy.ENV_KEY}; loading with a new key "
                        "would count every person twice")
    fp = privacy.fingerprint(key)
    if stored and stored != fp and has_data:
        raise LoadError(f"the key from {privacy.key_source(db)} is not the key {db} was built with: "
                        "use the original key (loading with another would count every person twice)")
    con.execute("insert or replace into meta.settings values ('key_fingerprint', ?)", [fp])
    return key


def key_file_hashes(con, key: bytes) -> bool:
    """Once per database: the plain SHA-256 digests that earlier versions kept of each file (in
    meta.batches and in frozen reports' lists of files) become keyed ones (privacy.file_fingerprint);
    True when it did so now. Comparisons stay exact: a new file's digest is keyed the same way."""
    if schema.get_setting(con, "file_hashes") == "keyed":
        return False
    rows = con.execute("select batch_id, content_sha256 from meta.batches").fetchall()
    if rows:
        con.executemany("update meta.batches set content_sha256 = ? where batch_id = ?",
                        [(privacy.file_fingerprint(h, key), b) for b, h in rows])
        rewrite_on_swap(con)  # the old digests' bytes would stay in the copied file's free blocks
    for rid, blob in con.execute("select report_id, batches from meta.frozen_reports").fetchall():
        con.execute("update meta.frozen_reports set batches = ? where report_id = ?",
                    [_keyed_batches_json(blob, key), rid])
    con.execute("insert or replace into meta.settings values ('file_hashes', 'keyed')")
    return True


def _key_if_ours(con, db: Path) -> bytes | None:
    """The key, when it is at hand and is this database's (a write that does not need the key
    leaves the digests to the next load rather than key them with a wrong one)."""
    key = privacy.load_key(db, create=False)
    if key is None or schema.get_setting(con, "key_fingerprint") != privacy.fingerprint(key):
        return None
    return key


def _keyed_batches_json(blob: str, key: bytes) -> str:
    try:
        batches = json.loads(blob)
    except (TypeError, ValueError):
        return blob
    if isinstance(batches, list):
        for b in batches:
            if isinstance(b, dict) and isinstance(b.get("sha256"), str):
                b["sha256"] = privacy.file_fingerprint(b["sha256"], key)
    return json.dumps(batches)


def peek_key(db: Path) -> bytes:
    """The key to hash with before the database is opened for writing."""
    key = privacy.load_key(db, create=not db.exists())
    if key is None:
        if db.exists():
            with read_only(db) as con:
                has_batches = schema.current_version(con) and con.execute(
                    "select count(*) from meta.batches").fetchone()[0]
            if has_batches:
                raise LoadError(f"the key for {db} is missing ({privacy.key_source(db)}): restore the "
                                f"key file from your backup or set {privacy.ENV_KEY}")
        key = privacy.load_key(db, create=True)
    return key


DEMO = "synthetic"   # meta.settings 'demo': a database built by `python -m etl demo`


def demo_guard(con, db: Path, demo: bool) -> None:
    """Synthetic and real logs never share a database: a real file in the demo would replace one month
    of made-up figures and leave the others, silently. Marks a new demo database as one."""
    is_demo = schema.get_setting(con, "demo") == DEMO
    has_data = con.execute("select count(*) from meta.batches").fetchone()[0] > 0
    if is_demo and not demo:
        start = ("make clean-demo && python -m etl load data/inbox" if Path(db) == settings.DEFAULT_DB
                 else f"python -m etl load data/inbox --db {settings.DEFAULT_DB}")
        raise LoadError("this is the demo database (synthetic data), and real logs are never mixed into it; "
                        f"start a real database with: {start}")
    if demo and not is_demo:
        if has_data:
            raise LoadError("this database holds real logs, and the demo is never mixed into it; build the demo "
                            "in a database of its own: python -m etl demo --db data/demo.duckdb")
        con.execute("insert or replace into meta.settings values ('demo', ?)", [DEMO])


def batch_bytes() -> int:
    """Tables of one log type are checked together up to about this much text (a file's size;
    cells read by Python, about 64 bytes each): memory holds one batch, never the whole load."""
    return int(os.environ.get("SHOP_LOAD_BATCH_BYTES", str(32 * 1024 * 1024)))


class _Batch:
    """Tables of one log type waiting to be checked together (validate_many), in the order they
    were read, each already in its temp table of cells with its codes' person keys known (so the
    next file's name is checked against them, as if each had been loaded alone). A new log type,
    a full batch or an archived file writes them, each in turn, with its own account."""

    def __init__(self, con, key, date_order, today, codes, outcomes, fail_after):
        self.con, self.key, self.date_order, self.today = con, key, date_order, today
        self.codes, self.outcomes, self.fail_after = codes, outcomes, fail_after
        self.items: list[tuple[Entry, Outcome, RawTable, str]] = []
        self.weight = 0
        self.made = 0   # temp tables of cells made: each gets a name of its own

    def add(self, e: Entry, o: Outcome, t: RawTable) -> None:
        # a file's size, or about 64 bytes a cell kept in Python (measured: 62)
        weight = t.plan.path.stat().st_size if t.plan is not None else 64 * len(t.rows) * len(t.log_type.fields)
        if self.items and (self.items[0][2].log_type is not t.log_type or self.weight + weight > batch_bytes()):
            self.flush()
        src = f"raw_src_{self.made}"
        self.made += 1
        try:
            t.materialize(self.con, src)
            o.how, o.unknown_columns = t.how, t.unknown_columns   # as the reader that read it says
            new_keys = register_codes(self.con, t.log_type, src, self.key)
        except Refused as exc:
            release(self.con, t.log_type, sources=[src])
            o.status, o.reason = "refused", str(exc)
            return
        except duckdb.Error as exc:  # nothing of this table is written: the rest loads
            release(self.con, t.log_type, sources=[src])
            o.status, o.reason = "refused", f"could not be checked: {unforeseen(exc)}; nothing of it was loaded"
            return
        self.codes.read(new_keys)
        if self.codes.held(e.name, t.sheet):
            # a code this very file holds: refused before anything of it is written
            release(self.con, t.log_type, sources=[src])
            if self.codes.held(e.name):
                o.file = code_masked_name(e.name)
            if t.sheet and self.codes.held("", t.sheet):
                o.sheet = sheet_masked(t)
            o.status, o.reason, o.unknown_columns, o.how = "refused", NAME_CODE, [], ""
            return
        self.items.append((e, o, t, src))
        self.weight += weight

    def flush(self) -> None:
        if not self.items:
            return
        items, self.items, self.weight = self.items, [], 0
        try:
            self._check(items)
        finally:
            release(self.con, items[0][2].log_type)   # whatever of the batch is left

    def _check(self, items) -> None:
        """Check the tables together and write each in turn; if DuckDB fails on them together,
        each is checked alone from the table it already has (so only the one at fault is refused,
        and nothing is read, counted or name-checked twice)."""
        con, lt = self.con, items[0][2].log_type
        try:
            got = validate_many(con, [t for _, _, t, _ in items], [s for *_, s in items], self.key,
                                self.date_order, self.today, registered=True)
        except duckdb.Error as exc:
            release(con, lt, sources=())   # the batch's own objects: each file's table stays
            if len(items) == 1:
                o = items[0][1]
                o.status, o.reason = "refused", f"could not be checked: {unforeseen(exc)}; nothing of it was loaded"
                return
            for item in items:
                self._check([item])
            return
        for (e, o, t, _), v in zip(items, got):
            if isinstance(v, Refused):
                o.status, o.reason = "refused", str(v)
                continue
            o.rejects, o.warnings = v.rejects, list(v.warnings)
            rejected = len({r for r, _, _ in v.rejects})
            o.account = {"rows_read": t.rows_in_table, "good": v.good, "rejected": rejected,
                         "skipped": t.skipped}
            if self.fail_after is not None and next(k for k, x in enumerate(self.outcomes) if x is o) + 1 > self.fail_after:
                raise RuntimeError("injected failure (test)")
            use(con, lt, v)
            _write(con, o, t, v, e.siblings, e.tie)
        release(con, lt, sources=())


def load(paths, db: str | Path, log_type: str | None = None, date_order: str | None = None,
         say=print, today: dt.date | None = None, _fail_after: int | None = None, demo: bool = False) -> list[Outcome]:
    """Load files into the database; every file is reported, and the whole load is one transaction.
    `demo`: the demo's synthetic logs (refused in a database of real ones, and real ones in it)."""
    db = Path(db)
    files = expand(paths)
    if not files:
        raise LoadError("no files found in " + ", ".join(map(str, paths)))
    key = peek_key(db)
    outcomes: list[Outcome] = []
    # Files read one at a time, checked in batches of one log type (batch_bytes(), 32 MB of text),
    # straight into the working copy: memory holds one batch, never the whole load.
    new_bytes = sum(e.path.stat().st_size for e in files if e.path.is_file())
    with load_lock(db, say=say), working_copy(db, new_bytes) as con:
        before = schema.migrate(con)
        demo_guard(con, db, demo)
        if 0 < before < schema.SCHEMA_VERSION:
            kept = snapshot(db, backups_dir(db), f"before-schema-v{schema.SCHEMA_VERSION}", keep=10_000)
            say(f"upgraded the database from schema version {before} to {schema.SCHEMA_VERSION} "
                f"(the old one is kept as {kept})")
        rekeyed = key_file_hashes(con, check_key(con, db))
        since_batch = con.execute("select coalesce(max(batch_id), 0) from meta.batches").fetchone()[0]
        codes = _NameCodes(con, key, files)
        batch = _Batch(con, key, date_order, today, codes, outcomes, _fail_after)
        for number, e in enumerate(files, 1):
            for o in outcomes:   # the previous file's lines are numbered by now
                o.file_no = o.file_no or number - 1
            if e.archived:
                batch.flush()   # what an old copy is said to be depends on every file before it
            if codes.held(e.name):
                outcomes.append(Outcome(code_masked_name(e.name), status="refused", reason=NAME_CODE))
                continue
            try:
                got = read(e.path, log_type, e.name)
            except Skip as exc:
                outcomes.append(Outcome(exc.masked, status="skipped", reason=str(exc)))
                continue
            except Refused as exc:
                name = getattr(exc, "masked", e.name)
                outcomes.append(Outcome(name, status="skipped", reason=_kept(e)) if e.archived else
                                Outcome(name, status="refused", reason=str(exc)))
                continue
            if codes.held_in_tables(e.name, got.tables):
                outcomes.append(Outcome(code_masked_name(e.name), status="refused", reason=NAME_CODE))
                continue
            outcomes += _sheets_gone(con, e.name, got)
            for t in got.items:
                if not isinstance(t, RawTable):
                    sheet = sheet_masked(t) if codes.held(t.sheet) else t.sheet
                    outcomes.append(Outcome(t.file, sheet, status=t.status,
                                            reason=NAME_CODE if sheet != t.sheet else _still_in_force(con, t)))
                    continue
                o = Outcome(e.name, t.sheet, unknown_columns=t.unknown_columns, how=t.how)
                outcomes.append(o)
                t.content_sha256 = privacy.file_fingerprint(t.content_sha256, key)
                if e.archived:
                    _archived(con, o, t, e)
                    continue
                batch.add(e, o, t)
        for o in outcomes:
            o.file_no = o.file_no or len(files)
        batch.flush()
        for o in outcomes:  # a header holding a code of this load or the database is not printed
            o.unknown_columns = [HEADER_WITH_CODE if codes.held(h) else h for h in o.unknown_columns]
            if o.reason:    # nor one a refusal quotes ("has a column 'Phone for ...'")
                o.reason = _QUOTED.sub(lambda m: "(a name that holds a client code: not shown)"
                                       if codes.held(m.group(1) or m.group(2)) else m.group(0), o.reason)
        gone = {r[0] for r in con.execute("select batch_id from meta.batches where batch_id > ? and status = 'replaced'",
                                          [since_batch]).fetchall()}
        for o in outcomes:   # loaded, then replaced by a later file of this load: said, not counted as loaded
            o.replaced_later = o.batch_id in gone
        late = codes.written_late(outcomes)
        if late:
            raise LoadError(f"{late} has a client code in its name (a code that another file of this load "
                            "holds): file names are stored and printed in reports, so rename it and load "
                            "again; nothing was loaded")
        if any(o.status in ("loaded", "replaced") for o in outcomes) or before < schema.SCHEMA_VERSION or rekeyed:
            refresh_marts(con, since_batch)
        else:
            raise Unchanged()
    return outcomes


def refresh_marts(con, since_batch: int | None = None) -> None:
    """Rebuild the marts that are tables (derived from core, in the load's transaction); with
    `since_batch`, only the months the batches written since (or replaced) touch."""
    marts.refresh(con, since_batch)


def _superseded_by(con, t: RawTable) -> str | None:
    """The file in force that replaced this very content under another name, if any."""
    row = con.execute("select batch_id from meta.batches where status = 'replaced' and content_sha256 = ? "
                      "and log_type = ? order by batch_id desc limit 1", [t.content_sha256, t.log_type.name]).fetchone()
    seen = set()
    while row and row[0] not in seen:
        seen.add(row[0])
        nxt = con.execute("select replaced_by, status, file_name, sheet from meta.batches where batch_id = ?",
                          [row[0]]).fetchone()
        if nxt is None:
            return None
        if nxt[1] == "in_force":
            return None if (nxt[2], nxt[3]) == (t.file, t.sheet) else _label(nxt[2], nxt[3])
        row = (nxt[0],) if nxt[0] else None
    return None


def _label(file: str, sheet: str) -> str:
    return f"{file} [{sheet}]" if sheet else file


# Logs whose files may cover the same dates by design: notes and targets are not counted rows.
_NO_OVERLAP_CHECK = ("targets", "annotations")


def _overlaps(con, t: RawTable) -> list[tuple]:
    """Files in force of the same log type sharing dates with `incoming` (see overlap_incoming.sql)."""
    lt = t.log_type
    if lt.name in _NO_OVERLAP_CHECK:
        return []
    first, last = con.execute(f'select min("{lt.date_field.name}"), max("{lt.date_field.name}") from incoming').fetchone()
    if first is None or not con.execute(
            f'select count(*) from (select 1 from core.{lt.name} where "{lt.date_field.name}" between ? and ? limit 1)',
            [first, last]).fetchone()[0]:
        return []  # the common case, a new month: nothing in force in its date range, no hashing
    cols = ", ".join(f'"{f.column}"' for f in lt.fields)
    sql = (schema.SQL_DIR / "overlap_incoming.sql").read_text().replace("{table}", lt.name) \
        .replace("{date}", lt.date_field.name).replace("{cols}", cols)
    return con.execute(sql, {"log_type": lt.name}).fetchall()


def _shares_dates(ofile, osheet, same_rows, ndates, first, last, log_type: str = "", file: str = "") -> tuple:
    span = f"{first}" if first == last else f"{first} to {last}"
    twice = ("a stay in both (same client and check-in) counts once, as the file loaded last has it"
             if log_type == "suite_stays" else "rows in both are counted twice")
    # two tabs of one workbook cannot have one name: the older tab goes instead
    fix = ("empty the tab it corrects, keeping its header row, and load the workbook again" if ofile == file
           else "give it the same name and load it again")
    return (None, None, f"shares {ndates} date(s) ({span}) with {_label(ofile, osheet)}, also in force "
            f"({same_rows} identical rows): {twice}; if one corrects the other, {fix}")


def _mostly_same_dates(con, t: RawTable, old_id: int, shared: int) -> bool:
    """True when the dates two files share are most of either's: versions of one file, not
    `2025-01/outreach.csv` and `2025-02/outreach.csv` meeting on a late-entered day."""
    d = t.log_type.date_field.name
    mine = con.execute(f'select count(distinct "{d}") from incoming').fetchone()[0]
    theirs = con.execute(f'select count(distinct "{d}") from core.{t.log_type.name} where batch_id = ?',
                         [old_id]).fetchone()[0]
    return shared * 2 > min(mine, theirs)


def _write(con, o: Outcome, t: RawTable, v: Validated, siblings=(), tie: str = "") -> None:
    same = con.execute("select file_name, sheet from meta.batches where status = 'in_force' "
                       "and content_sha256 = ? and log_type = ?", [t.content_sha256, t.log_type.name]).fetchone()
    if same:
        o.status = "already loaded"
        if (same[0], same[1]) != (t.file, t.sheet):
            o.reason = f"same content as {_label(*same)}"
        o.rejects, o.warnings = [], []
        return
    newer = _superseded_by(con, t)
    if newer:
        # Reloading the inbox must not bring back a version a corrected copy replaced.
        o.status, o.reason = "already loaded", f"an earlier version of {newer}, which replaced it"
        o.rejects, o.warnings = [], []
        return
    batch_id = con.execute("select coalesce(max(batch_id), 0) + 1 from meta.batches").fetchone()[0]
    old = con.execute("select batch_id, log_type from meta.batches where status = 'in_force' "
                      "and file_name = ? and sheet = ?", [t.file, t.sheet]).fetchall()
    if not old and v.good:
        # Another file in force with the same dates: one of the same file name in another folder
        # (`files/x.csv`, `corrected/x.csv`) is an earlier version (this load takes same-named files
        # oldest first); one with most rows the same is too (a corrected copy under a new name);
        # otherwise both stay, with a warning naming both.
        base = t.file.split("/")[-1].lower()
        for old_id, ofile, osheet, orows, same_rows, ndates, first, last in _overlaps(con, t):
            if ofile.split("/")[-1].lower() == base and ofile != t.file and t.sheet == osheet \
                    and _mostly_same_dates(con, t, old_id, ndates):
                if tie == ofile:
                    o.status = "refused"
                    o.reason = (f"has the name and the modification time of {_label(ofile, osheet)}, loaded, and "
                                f"shares {ndates} date(s) with it: which is newer cannot be told, so this one "
                                "is not loaded; delete the older one (or save the newer again) and load again")
                    o.rejects, o.warnings, o.account = [], [], None
                    return
                old.append((old_id, t.log_type.name))
                older = " (older" if ofile in siblings else " (loaded before"
                o.reason = "; ".join(filter(None, [o.reason, f"replaces {_label(ofile, osheet)}{older}, {orows} "
                                                   f"rows): {same_rows} rows unchanged"]))
                continue
            # another sheet of the same workbook is never an earlier version of this one (a sheet
            # per worker sharing joint visits): both stay, with the warning below
            if not old and same_rows * 2 > orows and same_rows * 2 > v.good and ofile != t.file:
                old = [(old_id, t.log_type.name)]
                o.reason = f"replaces {_label(ofile, osheet)}: {same_rows} of its {orows} rows unchanged"
                continue
            o.warnings.append(_shares_dates(ofile, osheet, same_rows, ndates, first, last, t.log_type.name, t.file))
    elif v.good:
        # a new version of a file in force may now share dates with another file (April's rows
        # pasted into the March file): said as for any file
        replaced = {i for i, _ in old}
        o.warnings += [_shares_dates(ofile, osheet, same_rows, ndates, first, last, t.log_type.name, t.file)
                       for old_id, ofile, osheet, _, same_rows, ndates, first, last in _overlaps(con, t)
                       if old_id not in replaced]
    gone = {r[0] for r in con.execute("select file_name from meta.batches where batch_id in (select unnest(?))",
                                      [[i for i, _ in old]]).fetchall()} if old else set()
    apart = [n for n in siblings if n not in gone and con.execute(
        "select count(*) from meta.batches where status = 'in_force' and file_name = ?", [n]).fetchone()[0]]
    if apart and v.good:
        o.warnings.append((None, None, f"has the file name of {', '.join(apart)} too, but not its dates: "
                           "each is loaded as a file of its own"))
    for old_id, old_type in old:
        con.execute(f"delete from core.{old_type} where batch_id = ?", [old_id])
        con.execute("update meta.batches set status = 'replaced', replaced_by = ? where batch_id = ?",
                    [batch_id, old_id])
    o.status = "replaced" if old else "loaded"
    cols = ", ".join(f'"{f.column}"' for f in t.log_type.fields) + ", source_row"
    con.execute(f"insert into core.{t.log_type.name} ({cols}, batch_id) select {cols}, ? from incoming",
                [batch_id])
    # the rows as loaded, in one number: a release tells by it what it read after the database is
    # rebuilt from its files, which may load the same bytes as other rows (another date order,
    # codes known by then, merged cells: helper-40). (release._files_in_force)
    con.execute("create table if not exists meta.batch_rows (batch_id integer primary key, rows_digest ubigint)")
    fields = ", ".join(f'"{f.column}"' for f in t.log_type.fields)
    con.execute(f"insert into meta.batch_rows select ?, coalesce(bit_xor(hash({fields})), 0) from incoming", [batch_id])
    o.rows_loaded = v.good
    o.batch_id = batch_id
    rejected_rows = len({r for r, _, _ in v.rejects})
    con.execute("""insert into meta.batches (batch_id, file_name, sheet, log_type, content_sha256, rows_read,
                   rows_loaded, rows_rejected, total_rows, loaded_at, status, replaced_by, date_order,
                   header_rows, title_rows, blank_rows, footnote_rows)
                   values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'in_force', null, ?, ?, ?, ?, ?)""",
                [batch_id, t.file, t.sheet, t.log_type.name, t.content_sha256, t.rows_in_table,
                 v.good, rejected_rows, t.total_rows, settings.now(),
                 v.date_order, t.header_rows, t.title_rows, t.blank_rows, t.footnote_rows])
    if v.rejects:
        _insert_rows(con, "meta.rejects", batch_id, v.rejects)
    warnings = list(o.warnings)
    if o.reason:
        warnings.append((None, None, o.reason))
    if t.how:
        warnings.append((None, None, t.how))
    if t.unknown_columns:
        warnings.append((None, None, f"{len(t.unknown_columns)} column(s) not in the contract were ignored"))
    if warnings:
        _insert_rows(con, "meta.warnings", batch_id, warnings)


def _insert_rows(con, table: str, batch_id: int, rows: list[tuple]) -> None:
    """(row, field, reason) rows of one batch in one statement: executemany runs one statement a
    row (a file with 8,000 warnings took 6 s)."""
    r, f, why = (list(c) for c in zip(*rows))
    con.execute(f"insert into {table} select ?, unnest(?::integer[]), unnest(?::varchar[]), unnest(?::varchar[])",
                [batch_id, r, f, why])


_SKIPPED_KINDS = ("header", "title", "blank", "total", "footnote")


def _account_text(a: dict, good_word: str = "loaded") -> str:
    """rows read = loaded + rejected + skipped (by kind), in words and numbers."""
    skipped = sum(a["skipped"].values())
    kinds = ", ".join(f"{a['skipped'][k]} {k}" for k in _SKIPPED_KINDS if a["skipped"].get(k))
    return (f"{a['rows_read']} rows read = {a['good']} {good_word} + {a['rejected']} rejected + "
            f"{skipped} skipped" + (f" ({kinds})" if kinds else ""))


HEADER_WITH_CODE = "a column whose header holds a client code (not shown)"
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def report(outcomes: list[Outcome], say=print) -> int:
    """Print a line per file and sheet with its account, its rejects and warnings, and the whole
    load's account at the end; the exit code (0 ok, 1 a file or sheet was refused)."""
    code = 0
    for o in outcomes:
        if o.status in ("refused", "skipped"):
            say(f"{o.label}: {o.status}: {o.reason}")
            code = 1 if o.status == "refused" else code
            continue
        rejected = len({r for r, _, _ in o.rejects})
        line = f"{o.label}: {o.status}"
        if o.replaced_later:
            line += f", {o.rows_loaded} rows, then replaced by a later file of this load (see below)"
        elif o.status != "already loaded":
            line += f", {o.rows_loaded} rows loaded, {rejected} rejected"
            if o.reason:
                line += f" ({o.reason})"
        elif o.reason:
            line += f" ({o.reason})"
        say(line)
        if o.account:
            say("  " + _account_text(o.account, "already loaded" if o.status == "already loaded" else "loaded"))
        if o.how:
            say(f"  {o.how}")
        if o.unknown_columns and o.status != "already loaded":
            more = len(o.unknown_columns) - 5
            say("  ignored columns not in the contract: " + ", ".join(
                h if h is HEADER_WITH_CODE else privacy.header_said(h) for h in o.unknown_columns[:5])
                + (f" and {more} more" if more > 0 else ""))
        for r, f, reason in o.rejects[:SHOWN_REJECTS]:
            say(f"  row {r}, {f}: {reason}")
        if len(o.rejects) > SHOWN_REJECTS:
            say(f"  ... and {len(o.rejects) - SHOWN_REJECTS} more: python -m etl status")
        for r, f, reason in o.warnings[:SHOWN_REJECTS]:
            say(f"  warning: row {r}, {f}: {reason}" if r is not None else f"  warning: {reason}")
    accounted = [o.account for o in outcomes if o.account]
    if len(outcomes) > 1:
        files = len({o.file_no or o.file for o in outcomes})   # two masked names may read alike
        by = {s: sum(o.status == s for o in outcomes) for s in ("refused", "skipped")}
        total = {"rows_read": sum(a["rows_read"] for a in accounted), "good": sum(
            o.account["good"] for o in outcomes if o.account and o.status in ("loaded", "replaced")
            and not o.replaced_later),
            "rejected": sum(a["rejected"] for a in accounted),
            "skipped": {k: sum(a["skipped"].get(k, 0) for a in accounted) for k in _SKIPPED_KINDS}}
        again = sum(o.account["good"] for o in outcomes if o.account and o.status == "already loaded")
        later = sum(o.account["good"] for o in outcomes if o.account and o.replaced_later)
        text = _account_text(total)
        if again:
            text = text.replace(" + ", f" + {again} already loaded + ", 1)
        if later:
            text = text.replace(" + ", f" + {later} replaced later in this load + ", 1)
        say(f"account: {files} file(s), {len(accounted)} table(s) read: {text}; "
            f"{by['refused']} refused, {by['skipped']} skipped")
    return code


def migrate_only(db: Path, say=print) -> int:
    """Upgrade the schema without loading anything; returns the version found."""
    db = Path(db)
    if not db.exists():
        raise LoadError(f"no database at {db}")
    with load_lock(db, say=say), working_copy(db) as con:
        before = schema.migrate(con)
        key = _key_if_ours(con, db)
        if key is not None and key_file_hashes(con, key):
            say("the files' digests are now keyed (a plain digest of a small file could be used to test "
                "guesses at its client codes)")
        if before < schema.SCHEMA_VERSION:
            kept = snapshot(db, backups_dir(db), f"before-schema-v{schema.SCHEMA_VERSION}", keep=10_000)
            say(f"upgraded {db} from schema version {before} to {schema.SCHEMA_VERSION} (the old one is kept as {kept})")
        else:
            say(f"{db} is up to date (schema version {before})")
    return before


@contextlib.contextmanager
def _small_write(db: Path, wait_s: float | None, say):
    """Under the lock, a connection for a write of a few rows: in place, in one transaction
    (no copy of the whole database); through a working copy when the schema must be upgraded
    first, or there is no database yet."""
    with load_lock(db, wait_s, say=say):
        current = False
        if db.exists():
            with read_only(db) as con:
                # a database whose file digests are still plain is keyed through a fresh copy
                current = schema.current_version(con) == schema.SCHEMA_VERSION and (
                    schema.get_setting(con, "file_hashes") == "keyed" or _key_if_ours(con, db) is None)
        with (in_place(db) if current else working_copy(db)) as con:
            if not current:
                before = schema.migrate(con)
                if 0 < before < schema.SCHEMA_VERSION:
                    kept = snapshot(db, backups_dir(db), f"before-schema-v{schema.SCHEMA_VERSION}", keep=10_000)
                    say(f"upgraded the database from schema version {before} to {schema.SCHEMA_VERSION} "
                        f"(the old one is kept as {kept})")
            yield con


def freeze(db: Path, label: str, period_from, period_to, suppressed: bool, batches_json: str,
           figures_json: str, say=print, wait_s: float | None = None) -> int:
    """Record a report's figures, period and batches in force, as submitted; returns its id."""
    db = Path(db)
    why = privacy.looks_identifying(label)
    if why:  # the label is stored, and listed outside the staff view
        raise LoadError(f"the report's label {why}: not frozen; give it a label without it")
    with _small_write(db, wait_s, say) as con:
        key = _key_if_ours(con, db)
        if key is not None and privacy.codes_held(con, [label], key):  # the label is listed outside the staff view
            raise LoadError(f"the report's label {privacy.HOLDS_CODE}: not frozen")
        if key is not None and key_file_hashes(con, key):  # the caller's list has the old digests
            batches_json = _keyed_batches_json(batches_json, key)
        rid = con.execute("select coalesce(max(report_id), 0) + 1 from meta.frozen_reports").fetchone()[0]
        con.execute("insert into meta.frozen_reports values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [rid, label[:80], period_from, period_to, suppressed, settings.now(),
                     batches_json, figures_json])
    return rid


def add_annotation(db: Path, start, end, scope: str, note: str,
                   wait_s: float | None = None) -> tuple[bool, str]:
    """A program note entered in the dashboard, checked like any logged text; (ok, message)."""
    from shop.contract import LOG_TYPES
    import hashlib
    # Kamloops's wall clock (one clock: shop.settings), to the microsecond so two notes differ
    stamp = settings.now().strftime("%Y-%m-%d %H:%M:%S") + f".{time.time_ns() // 1000 % 1_000_000:06d}"
    cols = {"start_date": [start.isoformat() if start else ""], "end_date": [end.isoformat() if end else ""],
            "scope": [scope], "note": [note]}
    raw = RawTable("annotations (dashboard)", stamp, LOG_TYPES["annotations"],
                   hashlib.sha256(f"{stamp}{cols}".encode()).hexdigest(), cols, [1], [], 1, 0)
    try:
        key = peek_key(Path(db))
        raw.content_sha256 = privacy.file_fingerprint(raw.content_sha256, key)
        v = validate(raw, key)
    except (Refused, LoadError) as exc:
        return False, f"Not added: {exc}"
    if v.rejects:
        return False, "Not added: " + "; ".join(f"{f}: {reason}" for _, f, reason in v.rejects)
    o = Outcome(raw.file, raw.sheet)
    with _small_write(Path(db), wait_s, lambda *_: None) as con:
        key_file_hashes(con, check_key(con, Path(db)))
        v = validate(raw, key, con=con)
        _write(con, o, raw, v)
        release(con)
    return True, "Note added: it shows on the trend charts it falls in."
