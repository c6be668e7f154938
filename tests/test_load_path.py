"""The bulk load's own connection: raw text only in temp tables (memory and a private temp folder
that goes with the load), the same rows and row numbers from DuckDB's reader as from the slow
reader, person keys carried across the v6 upgrade, and small writes made in place."""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import random
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, TEST_KEY
from cli import main
from etl.load import add_annotation, freeze
from etl.read import FastCsv
from shop import privacy, schema
from shop.store import in_place
from helpers import write_csv

HEAD = ["contact_date", "client_code", "contact_mode", "worker_group", "new_contact", "services", "minutes"]


def big_outreach(path: Path, n: int, seed: int = 5) -> tuple[list[list[str]], dict[int, str]]:
    """n outreach rows (codes ZQ0000X style, never a real person) with bad cells at known rows;
    returns the rows and {spreadsheet row: bad field} computed from the rows themselves."""
    rnd = random.Random(seed)
    rows, bad = [], {}
    for i in range(n):
        day = dt.date(2024, 4, 1) + dt.timedelta(days=rnd.randrange(700))
        r = [day.isoformat(), f"ZQ{rnd.randrange(10000):04d}X", rnd.choice(["street", "drop_in", "phone_text"]),
             rnd.choice(["", "indoor", "online"]), rnd.choice(["yes", "no", ""]), "one_to_one", str(rnd.randrange(1, 90))]
        if i % 997 == 5:
            r[6] = "lots"
            bad[i + 2] = "minutes"          # row 1 is the header
        elif i % 1499 == 7:
            r[2] = "by carrier pigeon"
            bad[i + 2] = "contact_mode"
        rows.append(r)
    write_csv(path, HEAD, rows)
    return rows, bad


def load(args, capsys) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


def rejects(db: Path) -> list[tuple[int, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select row_number, field from meta.rejects order by 1, 2").fetchall()
    finally:
        con.close()


def stored(db: Path):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select * exclude (batch_id) from core.outreach order by source_row").fetchall()
    finally:
        con.close()


def test_duckdbs_reader_and_the_slow_reader_give_the_same_rows_and_row_numbers(tmp_path, capsys, monkeypatch):
    f = tmp_path / "outreach.csv"
    rows, bad = big_outreach(f, 30_000)
    # blank rows of empty cells, a total and a footnote under the data: skipped and counted by both readers
    with open(f, "a", newline="") as fh:
        fh.write(",,,,,,\r\n,,,,,,\r\nTotal,,,,,,\r\nFigures from the shift sheets\r\n")
    taken = []
    real = FastCsv.materialize
    monkeypatch.setattr(FastCsv, "materialize", lambda *a: taken.append(real(*a)) or taken[-1])
    out = {}
    for path, limit in (("fast", "0"), ("slow", str(10 ** 12))):
        monkeypatch.setenv("SHOP_FAST_CSV_BYTES", limit)
        db = tmp_path / f"{path}.duckdb"
        code, text = load(["load", str(f), "--db", str(db)], capsys)
        assert code == 0, text
        out[path] = (rejects(db), stored(db), text)
    assert taken == [True], "the first load read the file with DuckDB's reader, the second did not"
    want_rejects = sorted(bad.items())
    assert out["fast"][0] == want_rejects == out["slow"][0]
    assert out["fast"][1] == out["slow"][1]
    assert len(out["fast"][1]) == len(rows) - len(bad)
    assert [r[-1] for r in out["fast"][1]][:3] == [r for r in range(2, 30_002) if r not in bad][:3]  # source_row
    line = (f"30005 rows read = {len(rows) - len(bad)} loaded + {len(bad)} rejected + 5 skipped "
            "(1 header, 2 blank, 1 total, 1 footnote)")
    assert line in out["fast"][2] and line in out["slow"][2]


def test_no_raw_client_code_reaches_any_file_of_the_database_even_when_temp_tables_spill(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SHOP_FAST_CSV_BYTES", "0")
    monkeypatch.setenv("SHOP_LOAD_MEMORY_MB", "32")  # small enough that temp tables spill to disk
    folder = tmp_path / "db"
    folder.mkdir()
    f = tmp_path / "outreach.csv"
    rows, _ = big_outreach(f, 60_000)
    db = folder / "shop.duckdb"
    seen, done = {}, threading.Event()

    def watch():  # what the load's temp folder holds while it runs, and its mode
        while not done.is_set():
            for d in folder.glob("*.tmp"):
                with contextlib.suppress(OSError):
                    names = seen.get(d.name, (0, set()))[1] | {q.name for q in d.iterdir()}
                    seen[d.name] = (stat.S_IMODE(d.stat().st_mode), names)
            time.sleep(0.002)
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        code, text = load(["load", str(f), "--db", str(db)], capsys)
    finally:
        done.set()
        watcher.join()
    assert code == 0, text
    spilled = {k: v for k, v in seen.items() if v[1]}
    assert spilled, "temp tables spilled to the load's own temp folder"
    assert all(k.startswith("shop.duckdb.loading-") and mode == 0o700 for k, (mode, _) in spilled.items())
    codes = {r[1].encode() for r in rows}
    assert len(codes) > 5000
    left = [p for p in folder.rglob("*") if p.is_file()]
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")], "the load's temp folder is removed"
    for p in left:
        data = p.read_bytes()
        assert not [c for c in list(codes)[:3000] if c in data], p.name


def test_a_killed_loads_temp_folder_is_removed_by_the_next_write(tmp_path, capsys):
    folder = tmp_path / "db"
    f = tmp_path / "outreach.csv"
    big_outreach(f, 50)
    db = folder / "shop.duckdb"
    assert load(["load", str(f), "--db", str(db)], capsys)[0] == 0
    spill = folder / "shop.duckdb.loading-99999.tmp"   # what a killed load leaves: raw text spilled
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"ZQ0001X ZQ0002X")
    stray = folder / "shop.duckdb.tmp"
    stray.mkdir()
    (stray / "duckdb_temp_block-1.block").write_bytes(b"ZQ0003X")
    assert load(["load", str(f), "--db", str(db)], capsys)[0] == 0    # already loaded: still a write's clean-up
    assert not spill.exists() and not stray.exists()


def test_a_v5_database_keeps_each_persons_key_through_the_upgrade(tmp_path, capsys):
    """Keys written as hex before v6 become the numbers a new load gives the same codes."""
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    schema.migrate(con, upto=5)
    fp = privacy.fingerprint(TEST_KEY.encode())
    con.execute("insert or replace into meta.settings values ('key_fingerprint', ?)", [fp])
    con.execute("insert into meta.batches (batch_id, file_name, sheet, log_type, content_sha256, rows_read, rows_loaded, "
                "rows_rejected, total_rows, loaded_at, status) values (1, 'outreach_old.csv', '', 'outreach', 'x', 3, 3, 0, 0, "
                "now(), 'in_force')")
    for i, c in enumerate(["ZQ0001X", "ZQ0002X", "ZQ0001X"]):
        hexkey = hmac.new(TEST_KEY.encode(), c.encode(), hashlib.sha256).hexdigest()
        con.execute("insert into core.outreach (contact_date, person_key, contact_mode, batch_id, source_row) "
                    "values (date '2024-05-01', ?, 'street', 1, ?)", [hexkey, i + 2])
    con.close()
    f = write_csv(tmp_path / "outreach_new.csv", ["contact_date", "client_code", "contact_mode"],
                  [["2024-06-01", "zq-0001x", "street"], ["2024-06-02", "ZQ0003X", "street"]])
    code, text = load(["load", str(f), "--db", str(db)], capsys)
    assert code == 0, text
    assert f"upgraded the database from schema version 5 to {schema.SCHEMA_VERSION}" in text
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(distinct person_key) from core.outreach").fetchone()[0] == 3
        assert con.execute("select count(*) from core.outreach where person_key = (select person_key from "
                           "core.outreach where batch_id = 1 and source_row = 2)").fetchone()[0] == 3
        assert con.execute("select data_type from information_schema.columns where table_schema = 'core' "
                           "and table_name = 'outreach' and column_name = 'person_key'").fetchone()[0] == "UBIGINT"
        assert con.execute("select count(*) from marts.first_outreach").fetchone()[0] == 3
    finally:
        con.close()


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_a_note_and_a_frozen_report_are_written_in_place_not_through_a_copy(tmp_path, capsys):
    f = tmp_path / "outreach.csv"
    big_outreach(f, 200)
    db = tmp_path / "shop.duckdb"
    assert load(["load", str(f), "--db", str(db)], capsys)[0] == 0
    inode = db.stat().st_ino
    ok, msg = add_annotation(db, dt.date(2025, 1, 6), None, "outreach", "Van off the road for a week")
    assert ok, msg
    rid = freeze(db, "Year-end report", dt.date(2024, 4, 1), dt.date(2025, 3, 31), True, "[]", "{}", say=lambda *a: None)
    assert db.stat().st_ino == inode, "a small write copies nothing and swaps nothing"
    assert not [p for p in tmp_path.iterdir() if ".loading-" in p.name or p.name.endswith((".wal", ".tmp"))]
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from core.annotations").fetchone()[0] == 1
        assert con.execute("select label from meta.frozen_reports where report_id = ?", [rid]).fetchone()[0] == "Year-end report"
    finally:
        con.close()
    # a load still swaps in a new file
    g = tmp_path / "outreach_more.csv"
    write_csv(g, ["contact_date", "contact_mode"], [["2025-02-03", "street"]])
    assert load(["load", str(g), "--db", str(db)], capsys)[0] == 0
    assert db.stat().st_ino != inode


def test_a_small_write_that_fails_part_way_leaves_nothing(tmp_path, capsys):
    f = tmp_path / "outreach.csv"
    rows, bad = big_outreach(f, 100)
    db = tmp_path / "shop.duckdb"
    assert load(["load", str(f), "--db", str(db)], capsys)[0] == 0
    with pytest.raises(RuntimeError):
        with in_place(db) as con:
            con.execute("insert into meta.frozen_reports values (1, 'x', date '2024-04-01', date '2025-03-31', "
                        "true, now(), '[]', '{}')")
            con.execute("delete from core.outreach")
            raise RuntimeError("power cut")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from meta.frozen_reports").fetchone()[0] == 0
        assert con.execute("select count(*) from core.outreach").fetchone()[0] == len(rows) - len(bad)
    finally:
        con.close()


def test_a_frozen_report_waits_for_a_dashboard_reading_the_file(tmp_path, capsys):
    f = tmp_path / "outreach.csv"
    big_outreach(f, 100)
    db = tmp_path / "shop.duckdb"
    assert load(["load", str(f), "--db", str(db)], capsys)[0] == 0
    reader = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
        "c.execute('select count(*) from core.outreach').fetchall(); print('open', flush=True); time.sleep(1.5); c.close()"),
        str(db)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert reader.stdout.readline().strip() == "open"
    rid = freeze(db, "While read", dt.date(2024, 4, 1), dt.date(2025, 3, 31), True, "[]", "{}", say=lambda *a: None)
    reader.wait(timeout=10)
    assert rid == 1


def test_a_killed_loads_temp_folder_is_removed_by_the_next_read_too(tmp_path, capsys):
    """A read (the status command, a page of the dashboard) removes it when no write is under way,
    and leaves it while one is (the lock is held)."""
    folder = tmp_path / "db"
    f = tmp_path / "outreach.csv"
    big_outreach(f, 50)
    db = folder / "shop.duckdb"
    assert load(["load", str(f), "--db", str(db)], capsys)[0] == 0
    spill = folder / "shop.duckdb.loading-99999.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"ZQ0001X ZQ0002X")
    from shop.store import close_shared, load_lock
    with load_lock(db, say=lambda *_: None):   # a write under way: its folder is not touched
        assert main(["status", "--db", str(db)]) == 0
        assert spill.exists()
    assert main(["status", "--db", str(db)]) == 0
    assert not spill.exists()
    spill.mkdir()
    from metrics import db as mdb
    close_shared(db)
    assert mdb.query("select count(*) as n from core.outreach", None, db)["n"][0] > 0  # the dashboard's read
    close_shared(db)
    assert not spill.exists()


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_a_load_stopped_by_a_signal_removes_its_temp_folder_on_the_way_out(tmp_path, sig):
    import os
    import signal
    f = tmp_path / "outreach.csv"
    big_outreach(f, 400_000, seed=9)
    db = tmp_path / "shop.duckdb"
    env = dict(os.environ, SHOP_LOAD_MEMORY_MB="64", SHOP_FAST_CSV_BYTES="0")
    p = subprocess.Popen([sys.executable, "-m", "etl", "load", str(f), "--db", str(db)], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("shop.duckdb.loading-*")) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.02)
    assert p.poll() is None, "the load ended before it could be stopped: " + p.stderr.read()[-500:]
    time.sleep(0.3)
    p.send_signal(getattr(signal, sig))
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, (p.returncode, err[-1000:])
    assert "Traceback" not in err
    assert not [q for q in tmp_path.iterdir() if ".loading-" in q.name], "the stopped load left its working files"
    assert not db.exists(), "nothing was loaded"


def test_a_number_too_large_or_not_finite_is_a_rejected_cell_not_a_failed_load(tmp_path, capsys):
    f = tmp_path / "outreach.csv"
    huge = "9223372036854775809999"
    rows = [["2025-01-0%d" % (i + 1), f"ZQ{i:04d}X", "street", "", "no", "one_to_one", m]
            for i, m in enumerate(["30", huge, "inf", "nan", "-inf", "1e30", "45"])]
    write_csv(f, HEAD, rows)
    db = tmp_path / "shop.duckdb"
    code = main(["load", str(f), "--db", str(db)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert huge not in out.out + out.err and "e+" not in out.out + out.err
    assert rejects(db) == [(r, "minutes") for r in range(3, 8)]   # rows 3-7 of the sheet; 2 and 8 load
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select minutes from core.outreach order by source_row").fetchall() == [(30,), (45,)]
    finally:
        con.close()


def test_an_unforeseen_database_error_is_said_without_the_data_it_quotes():
    from shop.store import unforeseen
    said = unforeseen(duckdb.ConversionException(
        "Conversion Error: Type VARCHAR with value 'ZQ0001X 250-555-0199' can't be cast to DATE"))
    assert "Conversion Error" in said and "ZQ0001X" not in said and "555" not in said
    assert "ZQ0001X" not in unforeseen(KeyError("ZQ0001X"))


def _batches(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select file_name, content_sha256, status from meta.batches order by batch_id").fetchall()
    finally:
        con.close()


def test_a_one_row_files_digest_cannot_be_used_to_test_guesses_at_its_code(tmp_path, capsys):
    """Every other cell of a one-row Safe Suite file is stored typed: a plain SHA-256 of the file
    would let anyone holding the database try codes until the digest matched. The digest kept is
    keyed; the same file is still known again, and a corrected copy still replaces it."""
    f = tmp_path / "suite_stays_2025-03.csv"
    head = ["client_code", "check_in", "check_out", "referral_source", "exit_destination"]
    write_csv(f, head, [["QK37T", "2025-03-02", "2025-03-09", "outreach", "housing"]])
    db = tmp_path / "shop.duckdb"
    assert load(["load", str(f), "--db", str(db)], capsys)[0] == 0
    [(name, digest, status)] = _batches(db)
    data = f.read_bytes()
    guesses = {hashlib.sha256(data).hexdigest(), hashlib.sha256(data.replace(b"QK37T", b"QK37T")).hexdigest()}
    assert digest not in guesses and len(digest) == 64
    assert hashlib.sha256(data).hexdigest()[:12] not in (db.read_bytes() + capsys.readouterr().out.encode()).hex()
    # known again: the same bytes under another name are "already loaded"
    g = tmp_path / "suite_stays_2025-03 (copy).csv"
    g.write_bytes(data)
    code, out = load(["load", str(g), "--db", str(db)], capsys)
    assert code == 0 and "already loaded" in out
    # a corrected copy under the same name replaces it
    write_csv(f, head, [["QK37T", "2025-03-02", "2025-03-10", "outreach", "housing"]])
    assert load(["load", str(f), "--db", str(db)], capsys)[0] == 0
    assert [s for _, _, s in _batches(db)] == ["replaced", "in_force"]


def _as_an_older_version_left_it(tmp_path, capsys, report: bool):
    """A database with one file loaded, its digest plain and no 'file_hashes' setting (and a frozen
    report listing that digest): (the file, the database, the plain digest, the report's id)."""
    f = tmp_path / "outreach.csv"
    big_outreach(f, 30)
    db = tmp_path / "shop.duckdb"
    assert load(["load", str(f), "--db", str(db)], capsys)[0] == 0
    plain = hashlib.sha256(f.read_bytes()).hexdigest()
    rid = freeze(db, "Before", dt.date(2024, 4, 1), dt.date(2025, 3, 31), True,
                 '[{"file": "outreach.csv", "sheet": "", "sha256": "x"}]', "{}", say=lambda *a: None) if report else None
    con = duckdb.connect(str(db))
    con.execute("update meta.batches set content_sha256 = ?", [plain])
    con.execute("update meta.frozen_reports set batches = ? where report_id = ?",
                [f'[{{"file": "outreach.csv", "sheet": "", "sha256": "{plain}"}}]', rid])
    con.execute("delete from meta.settings where key = 'file_hashes'")
    con.close()
    return f, db, plain, rid


def test_plain_digests_of_an_older_database_are_keyed_by_its_next_load(tmp_path, capsys):
    f, db, plain, rid = _as_an_older_version_left_it(tmp_path, capsys, report=True)
    g = tmp_path / "outreach_copy.csv"
    g.write_bytes(f.read_bytes())
    code, out = load(["load", str(g), "--db", str(db)], capsys)
    assert code == 0 and "already loaded" in out, out   # the keyed digests still match
    [(_, digest, _)] = _batches(db)
    assert digest != plain
    from metrics import frozen
    from shop.store import close_shared
    close_shared(db)
    header, _ = frozen.compare(rid, db)
    assert header["files replaced or removed since"] == [] and header["files added since"] == 0
    assert plain not in db.read_bytes().hex() and plain.encode() not in db.read_bytes()


def test_plain_digests_are_keyed_by_a_frozen_report_too_and_its_own_list_with_them(tmp_path, capsys):
    f, db, plain, _ = _as_an_older_version_left_it(tmp_path, capsys, report=False)
    # the dashboard lists the files in force as it reads them (plain here), then freezes
    listed = f'[{{"file": "outreach.csv", "sheet": "", "sha256": "{plain}"}}]'
    rid = freeze(db, "Year end", dt.date(2024, 4, 1), dt.date(2025, 3, 31), True, listed, "{}", say=lambda *a: None)
    from metrics import frozen
    from shop.store import close_shared
    close_shared(db)
    header, _ = frozen.compare(rid, db)
    assert header["files replaced or removed since"] == [] and header["files added since"] == 0
    assert plain.encode() not in db.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if ".loading-" in p.name or p.name.endswith(".fresh")] == []


def test_a_header_or_a_label_that_is_a_phone_number_is_never_repeated(tmp_path, capsys):
    f = tmp_path / "outreach.csv"
    write_csv(f, HEAD + ["250-555-0188"], [["2025-01-06", "ZQ0001X", "street", "", "no", "one_to_one", "30", "x"]])
    db = tmp_path / "shop.duckdb"
    code, out = load(["load", str(f), "--db", str(db)], capsys)
    assert code == 0 and "ignored columns not in the contract: a column whose header looks like" in out
    assert "0188" not in out
    g = tmp_path / "outreach_2.csv"
    write_csv(g, HEAD + ["Phone 250-555-0177"], [["2025-01-07", "ZQ0001X", "street", "", "no", "one_to_one", "30", "x"]])
    code = main(["load", str(g), "--db", str(db)])
    said = capsys.readouterr()
    assert "refused" in said.out and "0177" not in said.out + said.err
    with pytest.raises(Exception) as exc:
        freeze(db, "For QK call 250-555-0199", dt.date(2024, 4, 1), dt.date(2025, 3, 31), True, "[]", "{}",
               say=lambda *a: None)
    assert "0199" not in str(exc.value) and "not frozen" in str(exc.value)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from meta.frozen_reports").fetchone()[0] == 0
    finally:
        con.close()


def test_every_file_a_write_creates_is_owner_only_whatever_the_umask(tmp_path):
    """The working copy, its .wal and spilled temp files (person keys, raw cells) are 0600 from the
    moment DuckDB creates them: a killed load's leftovers are seen here before anything cleans up."""
    import os
    import signal
    f = tmp_path / "outreach.csv"
    big_outreach(f, 400_000, seed=11)
    db = tmp_path / "shop.duckdb"
    env = dict(os.environ, SHOP_LOAD_MEMORY_MB="64", SHOP_FAST_CSV_BYTES="0")
    p = subprocess.Popen([sys.executable, "-m", "etl", "load", str(f), "--db", str(db)], cwd=ROOT, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=lambda: os.umask(0o022))
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("shop.duckdb.loading-*.wal")) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.01)
    time.sleep(0.2)
    p.send_signal(signal.SIGKILL)
    p.wait(30)
    left = [q for q in tmp_path.rglob("*") if ".loading-" in str(q)]
    assert any(q.name.endswith(".wal") for q in left), "the load was killed before it wrote"
    for q in left:
        mode = stat.S_IMODE(q.stat().st_mode)
        assert mode & 0o077 == 0, (q.name, oct(mode))
