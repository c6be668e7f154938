"""Batches: identifier columns refuse a file, nothing is counted twice, corrections replace,
a failed load changes nothing."""
from __future__ import annotations

import hashlib
import json

import duckdb
import pytest

from cli import main
from etl.load import load
from helpers import good_row, write_csv, write_rows


def digest(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def count(db, table):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"select count(*) from {table}").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("column", ["Name", "First name", "DOB", "Phone #", "email", "Address", "PHN",
                                    "SIN", "Licence plate", "Notes", "Comments", "Description", "Date of Birth"])
def test_identifier_column_refuses_whole_file_and_stores_nothing(tmp_path, capsys, column):
    db = tmp_path / "t.duckdb"
    ok = write_rows(tmp_path / "education.csv", "education", [good_row("education")])
    bad = write_csv(tmp_path / "outreach_x.csv", ["contact_date", "contact_mode", column],
                    [["2025-03-07", "street", "Zq9Secret Person"]])
    assert main(["load", str(ok), str(bad), "--db", str(db)]) == 1
    out = capsys.readouterr().out
    line = [l for l in out.splitlines() if l.startswith("outreach_x.csv")][0]
    assert "refused" in line and repr(column) in line
    assert "Zq9Secret" not in out
    assert count(db, "core.outreach") == 0 and count(db, "core.education") == 1
    assert b"Zq9Secret" not in db.read_bytes()


def test_loading_twice_changes_nothing_and_a_copy_is_already_loaded(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    f = write_rows(tmp_path / "referrals_1.csv", "referrals", [good_row("referrals", i) for i in range(5)])
    assert main(["load", str(f), "--db", str(db)]) == 0
    before = count(db, "core.referrals")
    copy = tmp_path / "copy" / "referrals_1 (1).csv"
    copy.parent.mkdir()
    copy.write_bytes(f.read_bytes())
    capsys.readouterr()
    assert main(["load", str(f), str(copy), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "referrals_1.csv: already loaded" in out
    assert "referrals_1 (1).csv: already loaded (same content as referrals_1.csv)" in out
    assert count(db, "core.referrals") == before == 5
    assert count(db, "meta.batches") == 1


def test_corrected_file_replaces_its_earlier_version(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    f = tmp_path / "suite_requests_2025-03.csv"
    write_rows(f, "suite_requests", [good_row("suite_requests", i) for i in range(4)])
    assert main(["load", str(f), "--db", str(db)]) == 0
    write_rows(f, "suite_requests", [good_row("suite_requests", i) for i in range(7)])
    assert main(["load", str(f), "--db", str(db)]) == 0
    assert "suite_requests_2025-03.csv: replaced, 7 rows loaded" in capsys.readouterr().out
    assert count(db, "core.suite_requests") == 7
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select status, count(*) from meta.batches group by all order by 1").fetchall() == [
        ("in_force", 1), ("replaced", 1)]
    con.close()


def test_a_failure_mid_load_leaves_the_database_as_it_was(tmp_path):
    db = tmp_path / "t.duckdb"
    first = write_rows(tmp_path / "education.csv", "education", [good_row("education", i) for i in range(3)])
    load([first], db, say=lambda *_: None)
    before = digest(db)
    files = [write_rows(tmp_path / f"referrals_{i}.csv", "referrals", [good_row("referrals", i)]) for i in range(3)]
    for n in range(3):
        with pytest.raises(RuntimeError):
            load(files, db, say=lambda *_: None, _fail_after=n)
        assert digest(db) == before
        assert not list(tmp_path.glob("t.duckdb.loading-*"))
    load(files, db, say=lambda *_: None)
    assert count(db, "core.referrals") == 3


def test_a_file_of_no_known_type_is_refused_and_the_rest_loads(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    ok = write_rows(tmp_path / "education.csv", "education", [good_row("education")])
    odd = write_csv(tmp_path / "minutes of meeting.csv", ["a"], [["b"]])
    assert main(["load", str(ok), str(odd), "--db", str(db)]) == 1
    out = capsys.readouterr().out
    assert "minutes of meeting.csv: refused: has no log type" in out
    assert count(db, "core.education") == 1


def test_status_json_lists_batches_and_rejects(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    rows = [good_row("outreach", i) for i in range(3)]
    rows[1]["contact_mode"] = "skateboard"
    f = write_rows(tmp_path / "outreach_03.csv", "outreach", rows)
    main(["load", str(f), "--db", str(db)])
    capsys.readouterr()
    assert main(["status", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(b["file"], b["log_type"], b["status"], b["rows_loaded"], b["rows_rejected"]) for b in data["batches"]] == [
        ("outreach_03.csv", "outreach", "in_force", 2, 1)]
    assert set(data["batches"][0]) == {"file", "sheet", "log_type", "status", "rows_read", "rows_loaded",
                                       "rows_rejected", "skipped", "loaded_at"}
    assert (data["batches"][0]["rows_read"], data["batches"][0]["skipped"]) == (
        4, {"header": 1, "title": 0, "blank": 0, "total": 0, "footnote": 0})
    assert data["rejects"] == [{"file": "outreach_03.csv", "sheet": "", "row": 3, "field": "contact_mode",
                                "reason": "not one of the values the contract lists"}]


def test_a_different_key_is_refused(tmp_path, capsys, monkeypatch):
    db = tmp_path / "t.duckdb"
    f = write_rows(tmp_path / "outreach_1.csv", "outreach", [good_row("outreach")])
    assert main(["load", str(f), "--db", str(db)]) == 0
    before = digest(db)
    monkeypatch.setenv("SHOP_HASH_KEY", "another key entirely")
    g = write_rows(tmp_path / "outreach_2.csv", "outreach", [good_row("outreach", 2)])
    assert main(["load", str(g), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "not the key" in err and "another key" not in err and "Traceback" not in err
    assert digest(db) == before


def test_key_file_is_created_0600_beside_the_database_and_status_warns_when_lost(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SHOP_HASH_KEY")
    db = tmp_path / "t.duckdb"
    f = write_rows(tmp_path / "outreach_1.csv", "outreach", [good_row("outreach")])
    assert main(["load", str(f), "--db", str(db)]) == 0
    key = tmp_path / "t.duckdb.key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
    assert key.read_text().strip() not in db.read_bytes().decode("latin-1")
    key.unlink()
    capsys.readouterr()
    main(["status", "--db", str(db)])
    assert "WARNING: the key for this database is missing" in capsys.readouterr().out
    g = write_rows(tmp_path / "outreach_2.csv", "outreach", [good_row("outreach", 2)])
    assert main(["load", str(g), "--db", str(db)]) == 1
    assert "key" in capsys.readouterr().err and not key.exists()
