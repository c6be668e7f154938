"""Workbooks LibreOffice saved (.ods, .xls): what python-calamine does not give is still read.

helper-25 built workbooks inside LibreOffice: an error cell (#N/A from a lookup, #DIV/0!, #REF!)
came through calamine as a blank cell in .ods and .xls, so a failed code lookup loaded as an
anonymous contact and a #DIV/0! as minutes not recorded; a code merged down over a visit's rows
was not spread in .ods; serials of a 1904 workbook were read four years early. The fixtures are
made by tests/fixtures/make_fixtures.py (`faults`) with LibreOffice; what each row holds is written
out here, not read from the loader."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from etl.load import load
from helpers import good_row, query, write_rows

FIXTURES = Path(__file__).parent / "fixtures"
ERROR = "an Excel error value such as #N/A (fix the formula)"
# the fixture's rows (row 1 the header): row 3's code is =NA(), row 4's minutes =1/0, row 5's mode
# =INDIRECT of a sheet that is not there, row 9's minutes =SQRT("x"); B6:B8 merged (one code); rows
# 11 and 12 the same row twice, its code =NA() (an .ods writes it once, repeated)
REJECTED = [(3, "client_code"), (4, "minutes"), (5, "contact_mode"), (9, "minutes"), (11, "client_code"),
            (12, "client_code")]
LOADED = {2: ("2025-03-03", 30), 6: ("2025-03-07", 10), 7: ("2025-03-07", 25), 8: ("2025-03-07", 5),
          10: ("2025-03-11", 40)}


def _load(path: Path, db: Path, *names: str) -> list:
    return load([path], db, say=lambda *_: None)


@pytest.mark.parametrize("suffix", [".ods", ".xls"])
def test_error_cells_reject_their_rows_and_a_merged_code_is_read_in_each_row(suffix, tmp_path):
    f = shutil.copy(FIXTURES / f"Outreach faults{suffix}", tmp_path)
    db = tmp_path / "shop.duckdb"
    (o,) = _load(Path(f), db)
    assert o.status == "loaded"
    assert sorted((r, fld) for r, fld, _ in o.rejects) == REJECTED
    assert {reason for *_, reason in o.rejects} == {ERROR}
    rows = query(db, "select source_row, contact_date::varchar, minutes, person_key is null from core.outreach "
                     "order by source_row")
    assert {r: (d, m) for r, d, m, _ in rows} == LOADED
    assert not any(anon for *_, anon in rows)   # no failed lookup, no merged row, became anonymous
    keys = dict(query(db, "select source_row, person_key from core.outreach"))
    assert keys[6] == keys[7] == keys[8] and len({keys[2], keys[6], keys[10]}) == 3


@pytest.mark.parametrize("suffix", [".ods", ".xls"])
def test_serials_of_a_1904_workbook_are_read_in_its_own_system(suffix, tmp_path):
    f = shutil.copy(FIXTURES / f"Outreach 1904{suffix}", tmp_path)
    db = tmp_path / "shop.duckdb"
    (o,) = _load(Path(f), db)
    assert (o.status, o.rejects) == ("loaded", [])
    day0 = dt.date(1904, 1, 1)
    want = [(day0 + dt.timedelta(days=s)).isoformat() for s in (44257, 44258, 44290)]
    assert [d for (d,) in query(db, "select contact_date::varchar from core.outreach order by source_row")] == want


def test_an_excel_error_is_said_as_such_in_every_kind_of_field_of_a_csv(tmp_path):
    """Excel's and LibreOffice's error values, saved into a CSV: the reason names them."""
    rows = []
    for i, (field, bad) in enumerate([("event", "Err:502"), ("event", "#NAME?"), ("attendee_group", "#N/A"),
                                      ("session_date", "#VALUE!"), ("client_code", "Err:504")]):
        r = good_row("friday_network", i)
        r[field] = bad
        rows.append(r)
    rows.append(good_row("friday_network", 9))
    (o,) = load([write_rows(tmp_path / "friday_network_2025-03.csv", "friday_network", rows)],
                tmp_path / "shop.duckdb", say=lambda *_: None)
    assert o.status == "loaded" and o.rows_loaded == 1
    assert [(r, fld, why) for r, fld, why in o.rejects] == [
        (2, "event", ERROR), (3, "event", ERROR), (4, "attendee_group", ERROR), (5, "session_date", ERROR),
        (6, "client_code", ERROR)]


@pytest.mark.parametrize("newer", ["outreach March.xlsx", "outreach March.csv"])
def test_of_two_files_only_the_extension_tells_apart_the_newer_is_in_force(newer, tmp_path):
    """A log saved again in another format under the same name (`outreach March.xlsx` beside the
    `.csv` of the corrected copy): the newer replaces the older, whichever name sorts first."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    older_rows = [dict(good_row("outreach", i), minutes="30") for i in range(20)]
    newer_rows = older_rows[:18] + [dict(older_rows[18], minutes="45")]   # a duplicate removed, a row fixed
    names = ["outreach March.xlsx", "outreach March.csv"]
    for name, rows in ((n, newer_rows if n == newer else older_rows) for n in names):
        if name.endswith(".csv"):
            write_rows(inbox / name, "outreach", rows)
        else:
            wb = openpyxl.Workbook()
            ws = wb.active
            fields = list(rows[0])
            ws.append(fields)
            for r in rows:
                ws.append([int(r[k]) if k == "minutes" else r[k] for k in fields])
            wb.save(inbox / name)
        t = dt.datetime(2025, 4, 9 if name == newer else 2, 10).timestamp()
        os.utime(inbox / name, (t, t))
    outs = load([inbox], tmp_path / "shop.duckdb", say=lambda *_: None)
    assert [o.file for o in outs][-1] == newer
    assert query(tmp_path / "shop.duckdb", "select count(*), sum(minutes) from core.outreach") == [(19, 18 * 30 + 45)]


def test_files_and_sheets_named_by_a_code_are_each_counted_and_told_apart(tmp_path, capsys):
    """Two sheets named by their client's code are refused as sheet 1 and sheet 2 (both printed
    as `[file…]` before, so nobody could tell which to rename), and two files whose names are
    masked alike count as two files in the load's account (it said 1)."""
    from etl.load import report
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    wb = openpyxl.Workbook()
    for i, code in enumerate(["QA10K", "QA11K"]):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = code if i == 0 else f"suite_stays 2025.{code}"   # a dot: no suffix to keep
        ws.append(["client_code", "check_in", "check_out", "referral_source"])
        ws.append([code, dt.date(2025, 3, 3 + i), dt.date(2025, 3, 6 + i), "self"])
    wb.save(inbox / "suite_stays 2025.xlsx")
    for code in ("QA20K", "QA21K"):
        write_rows(inbox / f"outreach {code}.csv", "outreach", [dict(good_row("outreach"), client_code=code)])
    outs = load([inbox], tmp_path / "shop.duckdb", say=lambda *_: None)
    assert sorted((o.file, o.sheet, o.status) for o in outs) == [
        ("outreach….csv", "", "refused"), ("outreach….csv", "", "refused"),
        ("suite_stays 2025.xlsx", "sheet 1 (its name not shown)", "refused"),
        ("suite_stays 2025.xlsx", "sheet 2 (suite_stays…)", "refused")]
    capsys.readouterr()
    report(outs)
    out = capsys.readouterr().out
    assert "account: 3 file(s), 0 table(s) read" in out, out
    assert not any(code in out for code in ("QA10K", "QA11K", "QA20K", "QA21K"))


def test_a_count_written_with_a_thousands_point_is_rejected_not_read_1000_times_too_small(tmp_path):
    """A semicolon CSV from a German or French spreadsheet writes 2000 as `2.000`: read as 2 it
    loaded silently (helper-25). A point before three digits in a count is rejected with a reason."""
    rows = [dict(good_row("supplies", i), quantity=q) for i, q in enumerate(["2.000", "12.500.000", "1.500", "25", "2.5"])]
    (o,) = load([write_rows(tmp_path / "supplies_2025-03.csv", "supplies", rows, delimiter=";")],
                tmp_path / "shop.duckdb", say=lambda *_: None)
    point = "a point before three digits (2.000): write 2000, or 2, without the point"
    assert [(r, f, why) for r, f, why in o.rejects] == [(2, "quantity", point), (3, "quantity", point),
                                                      (4, "quantity", point), (6, "quantity", "not a whole number")]
    assert query(tmp_path / "shop.duckdb", "select quantity from core.supplies") == [(25,)]


@pytest.mark.parametrize("bom", ["utf-16-le", "utf-16-be"])
def test_unicode_text_saved_by_excel_loads(bom, tmp_path):
    """Excel's "Unicode Text" (and LibreOffice's "Unicode"): UTF-16 with its byte-order mark, tab
    separated. It was refused as `contains NUL bytes`; it is text, and loads as such."""
    rows = [dict(good_row("supplies", i), item="external_condom", quantity=str(10 + i)) for i in range(3)]
    utf8 = write_rows(tmp_path / "utf8" / "supplies_2025-03.txt", "supplies", rows, delimiter="\t")
    path = tmp_path / "supplies_2025-03.txt"
    path.write_bytes(("\ufeff" + utf8.read_text(encoding="utf-8")).encode(bom))
    (o,) = load([path], tmp_path / "shop.duckdb", say=lambda *_: None)
    assert (o.status, o.rejects) == ("loaded", [])
    assert query(tmp_path / "shop.duckdb", "select sum(quantity), count(*) from core.supplies") == [(33, 3)]


def test_a_hidden_sheet_is_read_and_its_line_says_it_is_hidden(tmp_path):
    """A tab hidden in Excel (often an old copy kept out of sight) is read as any other, and its
    line says it is hidden, so its rows counting twice beside the visible tab can be traced."""
    wb = openpyxl.Workbook()
    for day, title in ((3, "Mar 1-15"), (20, "Mar 16-31")):
        ws = wb.active if day == 3 else wb.create_sheet(title)
        ws.title = title
        ws.append(["contact_date", "client_code", "contact_mode", "minutes"])
        ws.append([dt.date(2025, 3, day), "QA10K", "street", 30])
    wb["Mar 16-31"].sheet_state = "hidden"
    wb.save(tmp_path / "outreach March.xlsx")
    outs = load([tmp_path / "outreach March.xlsx"], tmp_path / "shop.duckdb", say=lambda *_: None)
    said = {o.sheet: o.how for o in outs}
    assert "a hidden sheet" in said["Mar 16-31"] and "hidden" not in said["Mar 1-15"], said
    assert [o.status for o in outs] == ["loaded", "loaded"]
