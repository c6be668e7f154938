"""Workbooks as staff keep them: a sheet per month, tabs named after the service, any format."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook

from cli import main
from helpers import query

FIXTURES = Path(__file__).parent / "fixtures"



def load(tmp_path, *files, extra=()):
    return main(["load", *map(str, files), "--db", str(tmp_path / "t.duckdb"), *extra])


EDUCATION = [["session_date", "audience", "topic", "attendees"], [dt.date(2025, 3, 5), "business", "human_trafficking", 30]]


def book(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook with these sheets (name -> rows), in order."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows_ in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows_:
            ws.append(r)
    wb.save(path)
    return path


def month_sheets(path: Path, months=("Apr-23", "May-23", "Jun-23")) -> list[int]:
    """A supplies workbook with a tab per month and a pivot; returns each month's units."""
    wb = Workbook()
    wb.remove(wb.active)
    units = []
    for i, m in enumerate(months):
        ws = wb.create_sheet(m)
        ws.append(["Date", "Channel", "Item", "Qty"])
        day = dt.date(2023, 4 + i, 10)
        ws.append([day, "drop in", "naloxone kit", 2 + i])
        ws.append([day, "street outreach", "external condom", 30])
        units.append(2 + i + 30)
    pivot = wb.create_sheet("Pivot")
    pivot.append(["Row Labels", "Sum of Qty"])
    pivot.append(["naloxone kit", 9])
    wb.save(path)
    return units


def test_every_month_sheet_of_a_workbook_named_by_type_is_read(tmp_path, capsys):
    f = tmp_path / "Supplies 2023-24.xlsx"
    units = month_sheets(f)
    assert load(tmp_path, f) == 0
    out = capsys.readouterr().out
    assert query(tmp_path / "t.duckdb", "select sum(quantity) from core.supplies")[0][0] == sum(units)
    for m in ("Apr-23", "May-23", "Jun-23"):
        assert f"Supplies 2023-24.xlsx [{m}]: loaded, 2 rows loaded" in out
    assert "Supplies 2023-24.xlsx [Pivot]: skipped: not read: the file's name says supplies" in out


@pytest.mark.parametrize("sheet, log_type", [("Safe Suite", "suite_stays"), ("Suite", "suite_stays"),
                                             ("Stays", "suite_stays"), ("Friday dinners", "friday_network"),
                                             ("FAN Jan", "friday_network"), ("Dinner", "friday_network"),
                                             ("Sheet1", "friday_network")])
def test_a_tab_named_after_the_service_or_nothing_is_read_by_its_name_or_header(tmp_path, capsys, sheet, log_type):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if log_type == "suite_stays":
        ws.append(["Client code", "Check in", "Check out"])
        ws.append(["QA10K", dt.date(2025, 3, 3), dt.date(2025, 3, 5)])
    else:
        ws.append(["Date", "Group", "Event"])
        ws.append([dt.date(2025, 3, 7), "alumni", "Beauty night"])
    f = tmp_path / "March 2025.xlsx"
    wb.save(f)
    assert load(tmp_path, f) == 0
    assert query(tmp_path / "t.duckdb", f"select count(*) from core.{log_type}")[0][0] == 1
    out = capsys.readouterr().out
    assert f"March 2025.xlsx [{sheet}]: loaded, 1 rows loaded" in out


def test_a_sheet_whose_columns_fit_several_log_types_says_which_and_how_to_name_it(tmp_path, capsys):
    # the suite keeps two logs: stays and requests; these columns fit both
    f = book(tmp_path / "March 2025.xlsx", {"Suite": [["Client code", "Check in", "Request date", "Outcome"],
                                                      ["QA10K", dt.date(2025, 3, 3), dt.date(2025, 3, 3), "admitted"]],
                                            "Education": EDUCATION})
    assert load(tmp_path, f) == 0
    out = capsys.readouterr().out
    line = [l for l in out.splitlines() if l.startswith("March 2025.xlsx [Suite]")][0]
    assert "skipped" in line and "suite_stays and suite_requests" in line and "name the sheet" in line
    assert query(tmp_path / "t.duckdb", "select count(*) from core.education")[0][0] == 1


def test_old_xls_and_ods_workbooks_are_read(tmp_path, capsys):
    xls = shutil.copy(FIXTURES / "Supplies 2023-24.xls", tmp_path)
    ods = shutil.copy(FIXTURES / "March services.ods", tmp_path)
    assert load(tmp_path, xls, ods) == 0
    db = tmp_path / "t.duckdb"
    assert query(db, "select dist_date, item, quantity from core.supplies order by dist_date") == [
        (dt.date(2023, 4, 3), "naloxone_kit", 2), (dt.date(2023, 4, 12), "external_condom", 40),
        (dt.date(2023, 4, 28), "lubricant", 10), (dt.date(2023, 5, 5), "naloxone_kit", 3),
        (dt.date(2023, 5, 19), "internal_condom", 12)]
    assert query(db, "select check_in, check_out, exit_destination from core.suite_stays order by check_in") == [
        (dt.date(2025, 3, 3), dt.date(2025, 3, 6), "housing"), (dt.date(2025, 3, 10), dt.date(2025, 3, 12), "shelter")]
    assert query(db, "select count(*), count(event) from core.friday_network") == [(3, 2)]


def test_formula_results_and_time_cells_in_a_minutes_column(tmp_path, capsys):
    """Cached formula values a hair off a whole number, an h:mm time and an [h]:mm duration."""
    f = shutil.copy(FIXTURES / "Outreach formulas.xlsx", tmp_path)
    assert load(tmp_path, f) == 0, capsys.readouterr().out
    assert query(tmp_path / "t.duckdb", "select minutes from core.outreach order by contact_date") == [
        (85,), (90,), (135,), (57,)]


def test_a_sheet_named_with_an_identifier_refuses_the_file(tmp_path, capsys):
    f = book(tmp_path / "education.xlsx", {"call 250 555 0147": EDUCATION})
    assert load(tmp_path, f) == 1
    out = capsys.readouterr().out
    assert "education.xlsx: refused: sheet 1: its name holds" in out and "rename the sheet" in out and "555" not in out


def test_an_empty_or_damaged_sheet_named_with_an_identifier_is_never_printed(tmp_path, capsys):
    """A tab left empty, or one that cannot be read, still has its name said in the load's line:
    a name holding a phone number is said as the sheet's number."""
    import zipfile
    f = book(tmp_path / "education.xlsx", {"Mar": EDUCATION, "call back 250-555-0147": [], "Ms Testperson 555-0188": []})
    assert load(tmp_path, f) == 0
    out = capsys.readouterr().out
    assert "[sheet 2 (its name not shown)]: skipped: empty sheet; its name holds what looks like" in out
    assert "[sheet 3 (its name not shown)]" in out
    assert all(part not in out for part in ("555", "0147", "0188", "Testperson")), out
    whole = book(tmp_path / "src.xlsx", {"Mar": EDUCATION, "Apr call 250-555-0147": EDUCATION * 200})
    cut = tmp_path / "cut" / "education.xlsx"
    cut.parent.mkdir()
    with zipfile.ZipFile(whole) as zin, zipfile.ZipFile(cut, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data[:len(data) * 6 // 10] if item.filename == "xl/worksheets/sheet2.xml" else data)
    assert load(tmp_path, cut) == 1
    out = capsys.readouterr().out
    assert "education.xlsx: refused: sheet 2 cannot be read (damaged workbook)" in out
    assert "555" not in out and "0147" not in out, out


@pytest.mark.parametrize("name", ["outreach 250-555-0147.csv", "outreach jane(at)shop(dot)ca.csv",
                                  "outreach 130.692.544.csv"])
def test_a_file_named_with_an_identifier_is_refused_and_never_printed(tmp_path, capsys, name):
    from helpers import good_row, query, write_rows
    f = write_rows(tmp_path / name, "outreach", [good_row("outreach")])
    assert load(tmp_path, f) == 1
    out = capsys.readouterr().out
    assert "refused: its name holds what looks like" in out and "rename it" in out
    assert all(part not in out for part in ("555", "0147", "jane", "692"))
    assert not (tmp_path / "t.duckdb").exists() or "555" not in (tmp_path / "t.duckdb").read_bytes().decode("latin-1")


@pytest.mark.parametrize("header, log_type", [(["client_code", "check_in", "check_out"], "suite_stays"),
                                              (["request_date", "client_code", "outcome"], "suite_requests")])
def test_a_csv_named_after_the_suite_is_read_by_its_header(tmp_path, capsys, header, log_type):
    from helpers import write_csv
    row = {"client_code": "QA10K", "check_in": "2025-03-03", "check_out": "2025-03-05", "request_date": "2025-03-03",
           "outcome": "full"}
    f = write_csv(tmp_path / "Safe Suite March.csv", header, [[row[h] for h in header]])
    assert load(tmp_path, f) == 0
    assert f"read as {log_type}: its columns fit that log type" in capsys.readouterr().out
    assert query(tmp_path / "t.duckdb", f"select count(*) from core.{log_type}")[0][0] == 1


OUTREACH_HEAD = ["Contact Date", "Client Code", "Contact Mode", "Minutes"]


def _outreach_rows(db):
    return query(db, "select contact_date, person_key, minutes from core.outreach order by source_row")


@pytest.mark.parametrize("dimension", [None, "A1"])
def test_excel_error_cells_reject_their_rows_never_read_as_blank(tmp_path, capsys, dimension):
    """#N/A from a failed lookup in the code column is not an anonymous contact, #DIV/0! in minutes
    is not "not recorded", #REF! in a date is not a missing date: each is a reject naming row and
    field. A row of nothing but errors (a lookup filled down past the data) is a blank row, and the
    line says so. Whatever the sheet's <dimension> claims (A1: written by a careless program)."""
    import re
    import zipfile
    f = book(tmp_path / "src.xlsx", {"March": [
        OUTREACH_HEAD + ["Lookup"],
        [dt.date(2025, 3, 3), "ZQ01AA", "street", 30, "k1"],
        [dt.date(2025, 3, 4), "#N/A", "street", 45, "k2"],
        [dt.date(2025, 3, 5), "ZQ02AA", "drop in", "#DIV/0!", "k3"],
        ["#REF!", "ZQ03AA", "street", 20, "k4"],
        ["#N/A", "#N/A", "#N/A", "#N/A", "#N/A"], [None, None, None, "#N/A", None],
        [dt.date(2025, 3, 6), "ZQ04AA", "street", 10, "#N/A"]]})
    g = tmp_path / "in" / "Outreach March 2025.xlsx"
    g.parent.mkdir()
    with zipfile.ZipFile(f) as zin, zipfile.ZipFile(g, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if dimension and item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="%s"/>' % dimension.encode(), data)
            zout.writestr(item, data)
    assert load(tmp_path, g) == 0
    out = capsys.readouterr().out
    assert "8 rows read = 2 loaded + 3 rejected + 3 skipped (1 header, 2 blank)" in out, out
    assert "2 row(s) of nothing but Excel error cells (#N/A, #REF!) read as blank" in out
    why = "an Excel error value such as #N/A (fix the formula)"   # in every kind of field
    for line in (f"row 3, client_code: {why}", f"row 4, minutes: {why}", f"row 5, contact_date: {why}"):
        assert line in out, (line, out)
    rest = out.replace("(#N/A, #REF!)", "").replace(why, "")   # the cells' own values are never said
    assert "#N/A" not in rest and "#REF!" not in rest and "#DIV/0!" not in rest
    assert len(_outreach_rows(tmp_path / "t.duckdb")) == 2


def test_a_cell_merged_down_over_rows_is_read_in_each_row_and_said(tmp_path, capsys):
    """A code or a date merged down over the rows of one visit is what a person reads in each of
    them: not anonymous contacts, not missing dates; the load says how many cells it spread. A
    title merged across the top stays a title."""
    from openpyxl import load_workbook
    f = book(tmp_path / "Outreach May 2025.xlsx", {"May": [
        ["Outreach, May 2025", None, None, None], OUTREACH_HEAD,
        [dt.date(2025, 5, 6), "ZQ11BB", "drop in", 10], [None, None, "drop in", 20], [None, None, "street", 30],
        [None, None, None, None], [None, "Total", None, 60],
        [dt.date(2025, 5, 7), "ZQ12BB", "street", 40]]})
    wb = load_workbook(f)
    for cells in ("A1:D1", "A3:A7", "B3:B5"):   # the date's cell runs on over a spacer and the Total
        wb["May"].merge_cells(cells)
    wb.save(f)
    assert load(tmp_path, f) == 0
    out = capsys.readouterr().out
    assert "8 rows read = 4 loaded + 0 rejected + 4 skipped (1 header, 1 title, 1 blank, 1 total)" in out, out
    assert "4 cell(s) merged over several rows read as their value in each row" in out
    got = _outreach_rows(tmp_path / "t.duckdb")
    assert [d for d, _, _ in got] == [dt.date(2025, 5, 6)] * 3 + [dt.date(2025, 5, 7)]
    assert len({k for _, k, _ in got[:3]}) == 1 and got[3][1] != got[0][1] and None not in [k for _, k, _ in got]


def test_a_code_excel_turned_into_a_date_and_a_plain_fraction_of_minutes_are_rejected(tmp_path, capsys):
    """JUN3 typed in a code column becomes 3 June in Excel: no code, rejected (it was hashed as the
    code 20250603, a person of its own). 0.5 in a minutes column of General format is half a
    minute, not half a day: rejected as in a CSV. A time cell 1:30 is 90 minutes."""
    import datetime as dtm
    f = book(tmp_path / "Outreach June 2025.xlsx", {"June": [
        OUTREACH_HEAD,
        [dt.date(2025, 6, 9), dt.date(2025, 6, 3), "street", 10],
        [dt.date(2025, 6, 10), "ZQ21CC", "street", 0.5],
        [dt.date(2025, 6, 11), "ZQ21CC", "street", dtm.time(1, 30)]]})
    assert load(tmp_path, f) == 0
    out = capsys.readouterr().out
    assert "row 2, client_code: not a client code" in out and "row 3, minutes: not a whole number" in out, out
    assert [m for _, _, m in _outreach_rows(tmp_path / "t.duckdb")] == [90]
    assert "numbers in Excel" not in out
    g = book(tmp_path / "Outreach July 2025.xlsx", {"July": [OUTREACH_HEAD, [dt.date(2025, 7, 9), 123, "street", 10],
                                                            [dt.date(2025, 7, 9), "00124", "street", 10]]})
    assert load(tmp_path, g) == 0
    assert "1 client code(s) are numbers in Excel: one typed with leading zeros (00123) has lost them" in \
        capsys.readouterr().out


def test_a_date_serial_in_a_1904_workbook_is_read_in_that_system(tmp_path, capsys):
    """An old Mac workbook counts days from 1904: a date cell that lost its format (a bare serial)
    is read in the workbook's own system, as its formatted dates are (it was four years off)."""
    from openpyxl import load_workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904
    f = book(tmp_path / "Education 2024-25.xlsx", {"Sessions": [
        ["session_date", "audience", "topic", "attendees"],
        [dt.date(2025, 3, 7), "business", "human_trafficking", 30], [44268, "police", "other", 9]]})
    wb = load_workbook(f)
    wb.epoch = CALENDAR_MAC_1904
    ws = wb["Sessions"]
    ws["A2"].value = dt.date(2025, 3, 7)   # written again in the 1904 system
    wb.save(f)
    assert load(tmp_path, f) == 0, capsys.readouterr().out
    assert query(tmp_path / "t.duckdb", "select session_date from core.education order by source_row") == [
        (dt.date(2025, 3, 7),), (dt.date(1904, 1, 1) + dt.timedelta(days=44268),)]
