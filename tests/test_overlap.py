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


def test_a_new_version_of_a_file_that_now_holds_another_file_s_dates_is_said_at_its_load(tmp_path, capsys):
    """April's rows pasted into a corrected March file of the same name: it replaces the March
    file, and its load says that it now shares April's dates with the April file in force (the
    rows in both are counted twice). Before, only `status` showed it."""
    march = month(9)
    april = [dict(r, contact_date=r["contact_date"].replace("2025-03", "2025-04")) for r in month(8)]
    first = tmp_path / "first"
    write_rows(first / "outreach_march.csv", "outreach", march)
    write_rows(first / "outreach_april.csv", "outreach", april)
    db = tmp_path / "t.duckdb"
    assert main(["load", str(first), "--db", str(db)]) == 0
    capsys.readouterr()
    again = write_rows(tmp_path / "second" / "outreach_march.csv", "outreach", march + april)
    assert main(["load", str(again), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "outreach_march.csv: replaced, 17 rows loaded" in out, out
    n = len({r["contact_date"] for r in april})
    assert f"warning: shares {n} date(s) (2025-04-01 to 2025-04-08) with outreach_april.csv, also in force (8 identical rows)" in out, out
    assert count(db, "select count(*) from meta.warnings where reason like 'shares % with outreach_april.csv%'") == 1


def test_an_emptied_tab_says_that_the_rows_loaded_from_it_before_stay(tmp_path, capsys):
    """A tab cleared of everything is skipped as empty (there is no header to tell its log type);
    its line says that the rows loaded from it before are still in force, and how to take them out."""
    from openpyxl import Workbook
    head = ["dist_date", "channel", "item", "quantity"]

    def workbook(path, mar):
        wb = Workbook()
        wb.remove(wb.active)
        for name, rows in (("Mar", mar), ("Apr", [head, ["2025-04-02", "drop in", "naloxone kit", "3"]])):
            ws = wb.create_sheet(name)
            for r in rows:
                ws.append(r)
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)
        return path
    db = tmp_path / "t.duckdb"
    mar = [head] + [["2025-03-0%d" % d, "drop in", "naloxone kit", "5"] for d in range(1, 8)]
    assert main(["load", str(workbook(tmp_path / "a" / "supplies 2025.xlsx", mar)), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["load", str(workbook(tmp_path / "b" / "supplies 2025.xlsx", [])), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert ("supplies 2025.xlsx [Mar]: skipped: empty sheet; the 7 rows loaded from this sheet before stay in force "
            "(to take them out, keep the sheet's header row and load it again)") in out, out
    assert main(["load", str(workbook(tmp_path / "c" / "supplies 2025.xlsx", [head])), "--db", str(db)]) == 0
    assert count(db, "select count(*) from core.supplies where dist_date < '2025-04-01'") == 0


def test_two_sheets_of_one_workbook_sharing_rows_are_both_kept_and_said(tmp_path, capsys):
    """A sheet per worker, with the joint visits in both: one sheet is not an earlier version of
    the other (Sam's sheet replaced Alex's, and Alex's own visits were gone); both load, with the
    warning that the shared rows count twice."""
    from openpyxl import Workbook
    shared = month(8)
    alex = shared + [dict(good_row("outreach", 50 + i), contact_date="2025-03-20") for i in range(2)]
    sam = shared + [dict(good_row("outreach", 60 + i), contact_date="2025-03-21") for i in range(2)]
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in (("Alex", alex), ("Sam", sam)):
        ws = wb.create_sheet(name)
        ws.append(list(rows[0]))
        for r in rows:
            ws.append(list(r.values()))
    f = tmp_path / "Outreach March 2025.xlsx"
    wb.save(f)
    db = tmp_path / "t.duckdb"
    assert main(["load", str(f), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "[Alex]: loaded, 10 rows loaded" in out and "[Sam]: loaded, 10 rows loaded" in out, out
    assert "with Outreach March 2025.xlsx [Alex], also in force (8 identical rows)" in out
    # two tabs cannot have one name: the advice is the tab's, not the file's (helper-25)
    assert "if one corrects the other, empty the tab it corrects, keeping its header row" in out
    assert "give it the same name" not in out
    assert count(db) == 20 and "20 loaded" in out


def test_a_file_replaced_later_in_the_same_load_is_not_counted_as_loaded(tmp_path, capsys):
    """The original and its corrected copy in one inbox: the load's account counts the rows in
    force as loaded and the original's as replaced later in this load (it said 20 loaded for 10)."""
    inbox = tmp_path / "inbox"
    rows = month(10)
    write_rows(inbox / "outreach March.csv", "outreach", rows)
    write_rows(inbox / "outreach March - corrected.csv", "outreach", [dict(r, minutes="99") if i == 3 else r
                                                                       for i, r in enumerate(rows)])
    db = tmp_path / "t.duckdb"
    assert main(["load", str(inbox), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "outreach March.csv: loaded, 10 rows, then replaced by a later file of this load" in out, out
    assert "22 rows read = 10 loaded + 10 replaced later in this load + 0 rejected + 2 skipped" in out, out
    assert count(db) == 10


def test_a_tab_gone_from_a_workbook_says_that_its_rows_stay(tmp_path, capsys):
    """The workbook loaded again without its May tab (deleted): May's rows stay in force, and the
    load says so in a line of its own (it said nothing)."""
    from openpyxl import Workbook
    head = ["dist_date", "channel", "item", "quantity"]

    def workbook(path, months):
        wb = Workbook()
        wb.remove(wb.active)
        for name, day in months:
            ws = wb.create_sheet(name)
            ws.append(head)
            for d in range(1, 4):
                ws.append([f"{day}-0{d}", "drop in", "naloxone kit", "2"])
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)
        return path
    db = tmp_path / "t.duckdb"
    assert main(["load", str(workbook(tmp_path / "a" / "supplies 2024-25.xlsx", [("Apr-24", "2024-04"), ("May-24", "2024-05")])),
                 "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["load", str(workbook(tmp_path / "b" / "supplies 2024-25.xlsx", [("Apr-24", "2024-04")])), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert ("supplies 2024-25.xlsx [May-24]: skipped: not in the workbook any more; the 3 rows loaded from this sheet "
            "before stay in force") in out, out
    assert count(db, "select count(*) from core.supplies") == 6


def test_a_copy_named_by_windows_is_read_as_its_log(tmp_path, capsys):
    """`Copy of outreach_2025-05.csv` is an outreach log (it was refused for having no log type)."""
    rows = month(5)
    write_rows(tmp_path / "inbox" / "outreach_2025-05.csv", "outreach", rows)
    write_rows(tmp_path / "inbox" / "Copy of outreach_2025-05.csv", "outreach", rows)
    write_rows(tmp_path / "inbox" / "Copy (2) of outreach_2025-05.csv", "outreach", rows)
    assert main(["load", str(tmp_path / "inbox"), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert ": refused" not in out and out.count("already loaded (same content as") == 2, out
    assert count(tmp_path / "t.duckdb") == 5


def test_a_stay_in_two_monthly_files_is_said_to_count_once(tmp_path, capsys):
    """A stay open at the end of March's file and closed in April's: the marts count it once (the
    file loaded last has it), and the warning says that, not that its rows count twice."""
    stay = dict(good_row("suite_stays", 0), check_in="2025-03-28", check_out="")
    march = write_rows(tmp_path / "a" / "suite_stays_2025-03.csv", "suite_stays", [stay])
    april = write_rows(tmp_path / "b" / "suite_stays_2025-04.csv", "suite_stays", [dict(stay, check_out="2025-04-02")])
    db = tmp_path / "t.duckdb"
    assert main(["load", str(march), str(april), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert ("a stay in both (same client and check-in) counts once, as the file loaded last has it" in out
            and "counted twice" not in out), out
    assert count(db, "select count(*) from marts.suite_stays") == 1
    assert main(["status", "--db", str(db)]) == 0
    assert "a Safe Suite stay in both counts once" in capsys.readouterr().out


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
