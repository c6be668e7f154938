"""Values as people and Excel write them: dates, durations, formula results, header units, and
blank that is not zero."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from cli import main
from helpers import query, write_csv

EDU = ["session_date", "audience", "topic", "attendees"]



@pytest.mark.parametrize("text", [
    "7-Mar-25", "Mar 7, 2025", "Mar. 7, 2025", "7 March 2025", "Friday, March 7, 2025", "March 7th, 2025",
    "2025/03/07", "2025-3-7", "07-03-2025", "2025-03-07 14:30", "7-Mar-2025 2:30 PM", "2025-03-07T14:30:00",
    "2025-03-07T14:30:00-08:00", "Fri Mar 7 2025", "March 7 2025", "7.3.2025"])
def test_a_date_loads_as_the_date_a_person_reads(tmp_path, capsys, text):
    # a second, day-first date in the file (17 March) settles how all-number dates read
    other = "17-03-2025" if "-" in text else "17.3.2025" if text[0].isdigit() else "2025-03-17"
    f = write_csv(tmp_path / "education.csv", EDU, [[text, "police", "safer sex", "12"], [other, "police", "safer sex", "3"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0, capsys.readouterr().out
    assert query(tmp_path / "t.duckdb", "select session_date from core.education order by session_date")[0][0] == \
        dt.date(2025, 3, 7)


@pytest.mark.parametrize("text, reason", [
    ("Mar 7", "date has no year"), ("7-Mar", "date has no year"), ("07/03", "date has no year"),
    ("the 7th", "not a date"), ("2025-02-30", "not a date"), ("Mar 32, 2025", "not a date"), ("Smarch 7, 2025", "not a date"),
    ("32/01/2025", "not a date"),
    # five digits in a CSV: an Excel serial (7 March 2025) or 4/01/25 typed without separators? not guessed
    ("45723", "not a date"), ("40125", "not a date")])
def test_a_date_with_no_year_or_unreadable_is_rejected_with_the_true_reason(tmp_path, capsys, text, reason):
    f = write_csv(tmp_path / "education.csv", EDU, [[text, "police", "safer sex", "12"],
                                                    ["2025-03-07", "police", "safer sex", "3"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert f"row 2, session_date: {reason}" in out and "before 2000" not in out


@pytest.mark.parametrize("typo", ["13/13/2025", "32/13/2025", "00/14/2025", "31/32/2025"])
@pytest.mark.parametrize("first", [True, False])
def test_one_impossible_date_rejects_its_row_not_the_file_for_mixing_orders(tmp_path, capsys, typo, first):
    """A day-first (or month-first) file with one date that is no date either way: that row is
    rejected, naming row and field; the file's order still comes from its other dates."""
    days = [f"{d}/03/2025" if first else f"03/{d}/2025" for d in range(14, 20)]
    typo = typo if first else "/".join([typo.split("/")[1], typo.split("/")[0], typo.split("/")[2]])
    f = write_csv(tmp_path / "education.csv", EDU, [[d, "police", "safer sex", "2"] for d in days] +
                  [[typo, "police", "safer sex", "9"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "loaded, 6 rows loaded, 1 rejected" in out and "row 8, session_date: not a date" in out, out
    assert typo not in out
    assert query(tmp_path / "t.duckdb", "select min(session_date), max(session_date) from core.education") == [
        (dt.date(2025, 3, 14), dt.date(2025, 3, 19))]


@pytest.mark.parametrize("minutes, want", [("1:30", 90), ("0:45", 45), ("01:30:00", 90), ("2:05:00", 125),
                                           ("85.00000000000001", 85), ("84.99999999999999", 84 + 1), ("45", 45)])
def test_durations_and_formula_results_in_a_minutes_column(tmp_path, capsys, minutes, want):
    f = write_csv(tmp_path / "outreach.csv", ["contact_date", "contact_mode", "minutes"],
                  [["2025-03-07", "street", minutes]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0, capsys.readouterr().out
    assert query(tmp_path / "t.duckdb", "select minutes from core.outreach") == [(want,)]


def test_a_value_near_but_not_within_1e9_of_a_whole_number_is_still_rejected(tmp_path, capsys):
    f = write_csv(tmp_path / "education.csv", EDU, [["2025-03-07", "police", "safer sex", "12.000001"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0
    assert "row 2, attendees: not a whole number" in capsys.readouterr().out


@pytest.mark.parametrize("header", ["Minutes (mins)", "Duration (approx.)", "Minutes [min]", "Time spent (minutes)"])
def test_text_in_brackets_after_a_field_name_is_a_unit(tmp_path, capsys, header):
    name = "Duration" if header == "Time spent (minutes)" else header
    f = write_csv(tmp_path / "outreach.csv", ["Contact date", "Mode", name, "Qty (units)"],
                  [["2025-03-07", "street", "40", "1"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert query(tmp_path / "t.duckdb", "select minutes from core.outreach") == [(40,)]
    assert "ignored columns not in the contract: Qty (units)" in out


def test_a_minutes_column_in_hours_is_refused_naming_the_column(tmp_path, capsys):
    f = write_csv(tmp_path / "outreach.csv", ["Contact date", "Mode", "Duration (hrs)"], [["2025-03-07", "street", "1.5"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 1
    assert "outreach.csv: refused: has a column 'Duration (hrs)' in hours" in capsys.readouterr().out


def test_blank_minutes_are_not_recorded_never_zero_support_hours(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    f = write_csv(tmp_path / "outreach.csv", ["contact_date", "contact_mode", "minutes"],
                  [["2025-03-07", "street", ""], ["2025-03-08", "drop in", ""]])
    g = write_csv(tmp_path / "outreach_04.csv", ["contact_date", "contact_mode", "minutes"],
                  [["2025-04-07", "street", "90"], ["2025-04-08", "drop in", ""]])
    assert main(["load", str(f), str(g), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["summary", "--db", str(db), "--from", "2025-03-01", "--to", "2025-03-31", "--exact", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)["indicators"]
    assert got["outreach.support_hours"] is None and got["outreach.contacts"] == 2
    assert main(["summary", "--db", str(db), "--from", "2025-04-01", "--to", "2025-04-30", "--exact", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["indicators"]["outreach.support_hours"] == 1.5
    assert main(["summary", "--db", str(db), "--from", "2025-03-01", "--to", "2025-03-31", "--exact"]) == 0
    line = [l for l in capsys.readouterr().out.splitlines() if "outreach.support_hours" in l][0]
    assert "not recorded" in line
    from shop import periods
    from metrics import indicators, report
    rep = report.build(periods.from_to("2025-03-01", "2025-03-31", dt.date(2025, 6, 1)), suppressed=False, path=db,
                       today=dt.date(2025, 6, 1))
    row = [r for r in rep.summary if r["indicator"] == "outreach.support_hours"][0]
    assert row["value"] == indicators.NOT_RECORDED


def test_a_no_break_space_or_an_en_dash_in_a_code_or_a_value_is_a_space_or_a_hyphen(tmp_path, capsys):
    """Word and Excel put a no-break space or an en dash where staff typed a space or a hyphen: the
    contract removes spaces and hyphens from codes and reads them as underscores in values, so
    these too (they were rejected). The same code typed plainly is the same person."""
    head = ["contact_date", "client_code", "contact_mode"]
    f = write_csv(tmp_path / "outreach.csv", head, [
        ["2025-03-07", "ZQ\u201304", "drop\u00a0in"], ["2025-03-08", "ZQ\u00a005", "phone \u2013 text"],
        ["2025-03-09", "zq-04", "street"], ["2025-03-10", "ZQ05", "drop in"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "4 rows loaded, 0 rejected" in out, out
    got = query(tmp_path / "t.duckdb", "select person_key, contact_mode from core.outreach order by contact_date")
    assert [m for _, m in got] == ["drop_in", "phone_text", "street", "drop_in"]
    assert got[0][0] == got[2][0] and got[1][0] == got[3][0] and got[0][0] != got[1][0]


@pytest.mark.parametrize("typed", ["1e3", "1_5", "0x1E", "1.5e2", "Infinity", "NaN", "--5"])
def test_a_number_written_any_other_way_than_digits_is_rejected(tmp_path, capsys, typed):
    """Digits, a sign, a decimal point and thousands commas make a number; what DuckDB's own cast
    would also take (1e3 as 1000, 1_5 as 15) is rejected, never stored as another number."""
    f = write_csv(tmp_path / "education.csv", EDU, [["2025-03-07", "police", "safer sex", typed],
                                                    ["2025-03-08", "police", "safer sex", "1,200"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "row 2, attendees: not a number" in out, out
    assert query(tmp_path / "t.duckdb", "select attendees from core.education") == [(1200,)]


def test_a_weekday_that_is_not_the_date_s_loads_the_date_and_says_so(tmp_path, capsys):
    """`Monday, March 7, 2025`: 7 March 2025 was a Friday, so the weekday or the date is a typo. The
    date loads (its row is not lost) with a warning naming row and field; a right weekday says nothing."""
    f = write_csv(tmp_path / "education.csv", EDU, [["Monday, March 7, 2025", "police", "safer sex", "4"],
                                                    ["Fri 7 Mar 2025", "police", "safer sex", "5"],
                                                    ["2025-03-10", "police", "safer sex", "6"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "3 rows loaded, 0 rejected" in out, out
    assert out.count("the weekday written is not this date's") == 1
    assert "warning: row 2, session_date: the weekday written is not this date's (loaded as the date)" in out
    assert query(tmp_path / "t.duckdb", "select session_date from core.education order by session_date") == [
        (dt.date(2025, 3, 7),), (dt.date(2025, 3, 7),), (dt.date(2025, 3, 10),)]
