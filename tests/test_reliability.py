"""Nothing lost under an open dashboard, a killed load, or a hostile file."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from conftest import ROOT, TEST_KEY
from cli import main
from etl.load import load
from etl.read import Refused, read_file
from etl.validate import validate
from shop import periods, schema
from shop.store import load_lock
from helpers import good_row, write_rows
from metrics import indicators


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def base_db(tmp_path):
    db = tmp_path / "t.duckdb"
    f = write_rows(tmp_path / "in" / "education.csv", "education", [good_row("education", i) for i in range(4)])
    load([f], db, say=lambda *_: None)
    return db


def _xlsx_bytes(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "outreach"
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


HOSTILE = {
    "outreach_empty.csv": (b"", "is empty"),
    "outreach_random.csv": (bytes(random.Random(1).randrange(256) for _ in range(5000)) + b"\x00", "NUL bytes"),
    "outreach_header_only.csv": (b"contact_date,contact_mode\n", None),
    "outreach_nul.csv": (b"contact_date,contact_mode\n2025-03-07,street\x00\n", "NUL bytes"),
    "outreach_wide.csv": ((",".join(f"col{i}" for i in range(5000)) + "\n" + ",".join("1" for _ in range(5000)) + "\n").encode(),
                          "no header row"),
    "outreach_longline.csv": (b"contact_date,contact_mode\n" + b"x" * (20 * 1024 * 1024) + b"\n", "million characters"),
    "outreach_zip.xlsx": (_zip_bytes(), "not a readable .xlsx"),
    "outreach_password.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000, "password-protected"),
    "outreach_corrupt.xlsx": (_xlsx_bytes([["contact_date", "contact_mode"]])[:1500], "not a readable .xlsx"),
    "unknown_kind.csv": (b"a,b\n1,2\n", "has no log type"),
    "outreach_quotes.csv": (b'contact_date,contact_mode\n2025-03-07,"street\n2025-03-08,street\n', "unbalanced quote"),
    "outreach_text.xlsx": (b"contact_date,contact_mode\n", "not an Excel .xlsx"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_gets_one_clear_line_and_changes_nothing(tmp_path, base_db, capsys, name):
    content, reason = HOSTILE[name]
    f = tmp_path / name
    f.write_bytes(content)
    before = digest(base_db)
    code = main(["load", str(f), "--db", str(base_db)])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    if reason is None:  # a header only: a valid, empty month
        assert code == 0 and "loaded, 0 rows loaded" in out.out
        return
    assert code == 1
    lines = [l for l in out.out.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"{name}: refused: ") and reason in lines[0], lines
    assert digest(base_db) == before


def test_file_over_the_size_limit_is_refused(tmp_path, base_db, capsys, monkeypatch):
    monkeypatch.setenv("SHOP_MAX_FILE_MB", "0.01")
    f = write_rows(tmp_path / "outreach_big.csv", "outreach", [good_row("outreach", i) for i in range(400)])
    before = digest(base_db)
    assert main(["load", str(f), "--db", str(base_db)]) == 1
    assert "over the 0 MB limit" in capsys.readouterr().out
    assert digest(base_db) == before


HEADERISH = ["contact_date", "Contact Date", "mode", "client_code", "Total", "street", "drop in", "2025-03-07",
             "07/03/2025", "3/17/2025", "x", "", '"', "'", ";", ",", "\n", "\r\n", "=1+1", "Notes", "é", "\t"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(HEADERISH), st.text(max_size=12)), max_size=60), st.binary(max_size=40))
def test_fuzz_csv_reader_never_crashes(tmp_path, parts, noise):
    f = tmp_path / "outreach_fuzz.csv"
    f.write_bytes("".join(parts).encode("utf-8", "surrogatepass") + noise)
    try:
        for t in read_file(f):
            v = validate(t, TEST_KEY.encode())
            assert v.good + len({r for r, _, _ in v.rejects}) == t.rows_read
    except Refused as exc:
        assert "\n" not in str(exc)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.one_of(st.sampled_from(HEADERISH), st.integers(-5, 80000), st.floats(allow_nan=True),
                                   st.none(), st.booleans()), max_size=6), max_size=12),
       st.integers(0, 4000), st.booleans())
def test_fuzz_xlsx_reader_never_crashes(tmp_path, rows, cut, corrupt):
    data = _xlsx_bytes([["contact_date", "contact_mode"]] + rows)
    if corrupt:
        data = data[:cut] + bytes(reversed(data[cut:cut + 50])) + data[cut + 50:]
    f = tmp_path / "outreach_fuzz.xlsx"
    f.write_bytes(data)
    try:
        for t in read_file(f):
            v = validate(t, TEST_KEY.encode())
            assert v.good + len({r for r, _, _ in v.rejects}) == t.rows_read
    except Refused as exc:
        assert "\n" not in str(exc)


def test_load_succeeds_while_a_reader_holds_the_database_open(tmp_path, base_db):
    """A dashboard's read-only connection does not block a load, and a new read sees the load."""
    from metrics import db as mdb
    reader = duckdb.connect(str(base_db), read_only=True)
    v1 = mdb.version(base_db)
    f = write_rows(tmp_path / "education_2.csv", "education", [good_row("education", 9)])
    out = subprocess.run([sys.executable, "-m", "etl", "load", str(f), "--db", str(base_db)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert reader.execute("select count(*) from core.education").fetchone()[0] == 4  # its snapshot
    reader.close()
    assert mdb.version(base_db) != v1
    with mdb.connect(base_db) as con:
        assert con.execute("select count(*) from core.education").fetchone()[0] == 5


def test_a_second_load_waits_then_says_a_load_is_running(tmp_path, base_db):
    f = write_rows(tmp_path / "education_2.csv", "education", [good_row("education", 9)])
    before = digest(base_db)
    with load_lock(base_db, say=lambda *_: None):
        out = subprocess.run([sys.executable, "-m", "etl", "load", str(f), "--db", str(base_db)], cwd=ROOT,
                             capture_output=True, text=True, timeout=60, env=dict(os.environ, SHOP_LOCK_WAIT="1"))
    assert out.returncode == 1
    assert "waiting: another load" in out.stdout and "still running" in out.stderr
    assert "Traceback" not in out.stderr and digest(base_db) == before
    assert subprocess.run([sys.executable, "-m", "etl", "load", str(f), "--db", str(base_db)], cwd=ROOT,
                          capture_output=True, timeout=60).returncode == 0


def _count(db, table):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def test_a_load_killed_at_any_moment_leaves_the_database_whole(tmp_path, base_db):
    big = tmp_path / "big" / "outreach_big.csv"
    rows = [good_row("outreach", i) for i in range(60_000)]
    write_rows(big, "outreach", rows)
    before = digest(base_db)
    rng = random.Random(3)
    for delay in [0.3, 0.8, 1.5, 2.5] + [rng.uniform(0.2, 3) for _ in range(2)]:
        proc = subprocess.Popen([sys.executable, "-m", "etl", "load", str(big), "--db", str(base_db)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        n = _count(base_db, "core.outreach")
        if n:  # the kill came after the atomic swap: the load is whole, never partial
            assert n == 60_000
            return
        assert digest(base_db) == before
    out = subprocess.run([sys.executable, "-m", "etl", "load", str(big), "--db", str(base_db)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert _count(base_db, "core.outreach") == 60_000
    assert not list(base_db.parent.glob("t.duckdb.loading-*"))


def test_backup_and_restore_give_the_same_figures(tmp_path, demo_db, capsys, today):
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    p = periods.fiscal_year(periods.fy_start_year(today) - 1)
    before = indicators.compute(p, db)
    for _ in range(3):
        assert main(["backup", "--db", str(db), "--keep", "2"]) == 0
    out = capsys.readouterr().out
    backups = sorted((tmp_path / "backups").glob("copy-*.duckdb"))
    assert len(backups) == 2  # rotated
    assert "back it up separately" in out and str(backups[-1]) in out
    f = write_rows(tmp_path / "referrals_late.csv", "referrals", [good_row("referrals", i) for i in range(3)])
    f.write_text(f.read_text().replace("2025-03-07", p.start.isoformat()))
    assert main(["load", str(f), "--db", str(db)]) == 0
    assert indicators.compute(p, db) != before
    assert main(["restore", str(backups[-1]), "--db", str(db)]) == 0
    assert indicators.compute(p, db) == before


def test_restore_refuses_what_is_not_a_shop_database(tmp_path, base_db, capsys):
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database at all")
    before = digest(base_db)
    assert main(["restore", str(junk), "--db", str(base_db)]) == 1
    assert "not a readable DuckDB database" in capsys.readouterr().err
    assert digest(base_db) == before


def test_an_older_schema_is_migrated_in_place_with_a_backup_first(tmp_path, capsys):
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    schema.migrate(con, upto=1)  # what version 1 of this project made
    con.execute("insert into meta.batches values (1, 'education_old.csv', '', 'education', 'abc', 1, 1, 0, "
                "now()::timestamp, 'in_force', null, null)")
    con.execute("insert into core.education values (date '2025-01-10', 'police', 'safer_sex', 12, 1, 2)")
    con.close()
    f = write_rows(tmp_path / "education.csv", "education", [good_row("education", 1)])
    assert main(["load", str(f), "--db", str(db)]) == 0
    assert f"upgraded the database from schema version 1 to {schema.SCHEMA_VERSION}" in capsys.readouterr().out
    with duckdb.connect(str(db), read_only=True) as con:
        assert schema.current_version(con) == schema.SCHEMA_VERSION
        assert con.execute("select count(*) from core.education").fetchone()[0] == 2
        assert con.execute("select total_rows from meta.batches where batch_id = 1").fetchone()[0] == 0
    kept = list((tmp_path / "backups").glob(f"old-*-before-schema-v{schema.SCHEMA_VERSION}.duckdb"))
    assert len(kept) == 1
    with duckdb.connect(str(kept[0]), read_only=True) as con:
        assert schema.current_version(con) == 1
