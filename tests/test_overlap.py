"""Corrected copies under new names replace the file they correct; other overlaps load with a
warning, and status and the Data quality page list them. Nothing is counted twice unnoticed."""
from __future__ import annotations

import json

import duckdb
import pytest

from cli import main
from helpers import good_row, write_rows
from metrics import quality


def month(n: int = 25, day0: int = 1) -> list[dict]:
    out = []
    for i in range(n):
        r = good_row("outreach", i)
        r["contact_date"] = f"2025-03-{day0 + i % 28:02d}"
        r["minutes"] = str(10 + i)
        out.append(r)
    return out


def count(db, sql="select count(*) from core.outreach"):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


@pytest.mark.parametrize("copy_name", ["outreach March - corrected.csv", "outreach March (2).csv",
                                       "outreach March v2.csv", "outreach March FINAL.csv"])
def test_a_corrected_copy_in_the_same_folder_replaces_the_original(tmp_path, capsys, copy_name):
    inbox = tmp_path / "inbox"
    rows = month()
    write_rows(inbox / "outreach March.csv", "outreach", rows)
    fixed = [dict(r) for r in rows]
    fixed[3]["minutes"] = "99"
    write_rows(inbox / copy_name, "outreach", fixed)
    db = tmp_path / "t.duckdb"
    assert main(["load", str(inbox), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert f"{copy_name}: replaced, 25 rows loaded, 0 rejected (replaces outreach March.csv: 24 of its 25 rows unchanged)" in out
    assert count(db) == 25
    assert count(db, "select sum(minutes) from core.outreach") == sum(10 + i for i in range(25)) - 13 + 99
    # Loading the folder again changes nothing: the original does not come back.
    capsys.readouterr()
    assert main(["load", str(inbox), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "outreach March.csv: already loaded (an earlier version of " + copy_name in out
    assert count(db) == 25


def test_a_corrected_copy_loaded_later_replaces_the_original(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    rows = month()
    orig = write_rows(tmp_path / "a" / "outreach March.csv", "outreach", rows)
    assert main(["load", str(orig), "--db", str(db)]) == 0
    fixed = rows[:24] + [dict(rows[24], contact_mode="escort_agency")] + [good_row("outreach", 40)]
    copy = write_rows(tmp_path / "b" / "Outreach March corrected.csv", "outreach", fixed)
    assert main(["load", str(copy), "--db", str(db)]) == 0
    assert "replaces outreach March.csv: 24 of its 25 rows unchanged" in capsys.readouterr().out
    assert count(db) == 26


def test_a_partial_overlap_loads_with_a_warning_naming_both_files_and_the_dates(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    march = write_rows(tmp_path / "outreach_2025-03.csv", "outreach", month(20))
    quarter = month(6, day0=15)  # 2025-03-15 .. 2025-03-20, new rows, plus January rows
    for r in quarter:
        r["minutes"] = "500"
    jan = [dict(good_row("outreach", i), contact_date="2025-01-10") for i in range(4)]
    q = write_rows(tmp_path / "outreach Q4.csv", "outreach", jan + quarter)
    assert main(["load", str(march), str(q), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    line = [l for l in out.splitlines() if "warning: shares" in l][0]
    assert "6 date(s) (2025-03-15 to 2025-03-20) with outreach" in line
    assert count(db) == 30  # loaded, but never unnoticed
    capsys.readouterr()
    assert main(["status", "--db", str(db), "--json"]) == 0
    ov = json.loads(capsys.readouterr().out)["overlaps"]
    both = {"outreach_2025-03.csv", "outreach Q4.csv"}
    assert [({o["file"], o["other_file"]}, o["shared_dates"], o["first_date"], o["last_date"]) for o in ov] == [
        (both, 6, "2025-03-15", "2025-03-20")]
    assert main(["status", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "share 6 date(s), 2025-03-15 to 2025-03-20" in text and all(f in text.split("overlaps")[1] for f in both)
    df = quality.overlaps(str(db))
    assert [({a, b}, n) for a, b, n in df[["file", "other_file", "shared_dates"]].itertuples(index=False, name=None)] == [
        (both, 6)]


def test_files_of_different_months_do_not_overlap(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    a = write_rows(tmp_path / "outreach_2025-03.csv", "outreach", month(5))
    b = write_rows(tmp_path / "outreach_2025-04.csv", "outreach",
                   [dict(r, contact_date=r["contact_date"].replace("-03-", "-04-")) for r in month(5)])
    assert main(["load", str(a), str(b), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "warning" not in out and "replaces" not in out
    assert count(db) == 10


def test_the_data_quality_page_lists_overlaps_between_files_in_force(tmp_path, capsys, monkeypatch):
    from test_pages import run_page
    from ui.frame import STAFF
    db = tmp_path / "t.duckdb"
    a = write_rows(tmp_path / "outreach_2025-03.csv", "outreach", month(10))
    b = write_rows(tmp_path / "outreach week 2.csv", "outreach", [dict(r, minutes="7") for r in month(3, day0=8)])
    assert main(["load", str(a), str(b), "--db", str(db)]) == 0
    at = run_page("data_quality.py", db, STAFF)
    assert not at.exception
    warning = [w.value for w in at.warning if "share dates" in w.value]
    assert warning and "1 pair(s) of files in force share dates" in warning[0]
    frames = [df.value for df in at.dataframe if "other_file" in df.value.columns]
    assert len(frames) == 1 and {frames[0]["file"][0], frames[0]["other_file"][0]} == {
        "outreach_2025-03.csv", "outreach week 2.csv"}
