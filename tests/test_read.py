"""The files staff really have: title rows, total rows, encodings, separators, Excel dates."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from openpyxl import Workbook

from cli import main
from helpers import write_csv


def rows_in(db, table, cols="*"):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"select {cols} from core.{table} order by source_row").fetchall()
    finally:
        con.close()


def load(tmp_path, *files, extra=()):
    return main(["load", *map(str, files), "--db", str(tmp_path / "t.duckdb"), *extra])


@pytest.mark.parametrize("header", [
    ["Contact Date", "Mode"], ["contact-date", "contact_mode"], ["CONTACT_DATE", "TYPE"], ["date", "Mode."]])
def test_headers_match_loosely_and_by_alias(tmp_path, header):
    f = write_csv(tmp_path / "outreach_a.csv", header, [["2025-03-07", "Drop in"], ["2025-03-08", "phone/text"]])
    assert load(tmp_path, f) == 0
    assert rows_in(tmp_path / "t.duckdb", "outreach", "contact_date, contact_mode, worker_group") == [
        (dt.date(2025, 3, 7), "drop_in", "unknown"), (dt.date(2025, 3, 8), "phone_text", "unknown")]


@pytest.mark.parametrize("encoding, delimiter", [("utf-8", ","), ("utf-8-sig", ","), ("cp1252", ";"), ("utf-8", ";")])
def test_title_rows_blank_rows_total_rows_encodings(tmp_path, encoding, delimiter):
    f = write_csv(tmp_path / "Supplies March.csv", ["Dist Date", "Channel", "Item", "Qty", "Notes on café"][:4],
                  [["2025-03-07", "Drop in", "Naloxone kit", "2"], ["", "", "", ""],
                   ["2025-03-09", "online request", "Lubricant", "1,200"], ["Total", "", "", "1202"]],
                  encoding=encoding, delimiter=delimiter, pre=[["SHOP supplies – café log, March"], []])
    assert load(tmp_path, f) == 0
    got = rows_in(tmp_path / "t.duckdb", "supplies", "dist_date, channel, item, quantity, source_row")
    assert got == [(dt.date(2025, 3, 7), "drop_in", "naloxone_kit", 2, 4),
                   (dt.date(2025, 3, 9), "online_request", "lubricant", 1200, 6)]


def test_total_word_in_a_data_row_is_data(tmp_path):
    f = write_csv(tmp_path / "referrals_q1.csv", ["referral_date", "referral_type", "referred_to", "status"],
                  [["2025-03-07", "housing", "Total Health Clinic", "made"]])
    assert load(tmp_path, f) == 0
    assert len(rows_in(tmp_path / "t.duckdb", "referrals")) == 1


@pytest.mark.parametrize("text, order, want", [
    ("7-Mar-2025", None, dt.date(2025, 3, 7)), ("March 7, 2025", None, dt.date(2025, 3, 7)),
    ("17/03/2025", None, dt.date(2025, 3, 17)), ("03/17/2025", None, dt.date(2025, 3, 17)),
    ("03/04/2025", "dmy", dt.date(2025, 4, 3)), ("03/04/2025", "mdy", dt.date(2025, 3, 4)),
])
def test_date_formats_and_order(tmp_path, text, order, want):
    f = write_csv(tmp_path / "education.csv", ["session_date", "audience", "topic", "attendees"],
                  [[text, "police", "human trafficking", "12"]])
    assert load(tmp_path, f, extra=["--date-order", order] if order else []) == 0
    assert rows_in(tmp_path / "t.duckdb", "education", "session_date")[0][0] == want


def test_ambiguous_slashed_dates_refuse_the_file(tmp_path, capsys):
    f = write_csv(tmp_path / "education.csv", ["session_date", "audience", "topic", "attendees"],
                  [["03/04/2025", "police", "safer sex", "12"], ["05/06/2025", "police", "safer sex", "3"]])
    assert load(tmp_path, f) == 1
    out = capsys.readouterr().out
    assert "education.csv: refused" in out and "--date-order" in out
    assert len(out.strip().splitlines()) == 1


def test_xlsx_title_rows_date_cells_serials_total_row_and_sheets(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Friday Network"
    ws.append(["Friday Afternoon Network – sign in"])
    ws.append([])
    ws.append(["Session Date", "Client Code", "Group", "Event"])
    ws.append([dt.date(2025, 3, 7), "ab-85k", "Alumni", "Beauty night"])
    ws.append([dt.datetime(2025, 3, 14), None, "guest", None])
    ws.append([45737, "CD12E", "outdoor", None])  # an Excel serial typed as a number: 2025-03-21
    ws.append(["Total", None, None, None])
    ed = wb.create_sheet("Education")
    ed.append(["session_date", "audience", "topic", "attendees"])
    ed.append([dt.date(2025, 3, 5), "business", "human_trafficking", 30])
    wb.create_sheet("Scratch").append(["anything", "else"])
    f = tmp_path / "March logs.xlsx"
    wb.save(f)
    assert load(tmp_path, f) == 0
    fri = rows_in(tmp_path / "t.duckdb", "friday_network", "session_date, attendee_group, event, source_row")
    assert fri == [(dt.date(2025, 3, 7), "alumni", "Beauty night", 4), (dt.date(2025, 3, 14), "guest", None, 5),
                   (dt.date(2025, 3, 21), "outdoor", None, 6)]
    assert rows_in(tmp_path / "t.duckdb", "education", "attendees") == [(30,)]


def test_friday_on_another_weekday_loads_with_a_warning(tmp_path, capsys):
    f = write_csv(tmp_path / "friday_network.csv", ["session_date", "attendee_group"],
                  [["2025-03-07", "alumni"], ["2025-03-06", "indoor"]])
    assert load(tmp_path, f) == 0
    assert "warning: row 3, session_date: not a Friday" in capsys.readouterr().out
    assert len(rows_in(tmp_path / "t.duckdb", "friday_network")) == 2


@pytest.mark.parametrize("head", [["ID", "Contact Date", "Client Code", "Contact Mode"],
                                  ["Contact Date", "Client Code", "Contact Mode", "ID"],
                                  ["Code", "Contact Date", "Client_Code", "Mode"]])
def test_a_field_s_own_name_wins_over_an_alias_in_any_column_order(tmp_path, capsys, head):
    """A row counter headed `ID` (an alias of client_code) beside the real `Client Code` column:
    the codes come from the column named as the contract names the field, whatever the order;
    the other is listed as a duplicate column, not used."""
    codes = ["QR12KT", "QR34KT"]
    rows = [dict(zip(["ID", "Contact Date", "Client Code", "Contact Mode"],
                     [str(n), f"2025-03-{n:02d}", codes[n % 2], "street"])) for n in range(1, 13)]
    other = {"Code": "ID", "Client_Code": "Client Code", "Mode": "Contact Mode"}
    f = write_csv(tmp_path / "outreach.csv", head, [[r[other.get(h, h)] for h in head] for r in rows])
    assert load(tmp_path, f) == 0
    out = capsys.readouterr().out
    assert "12 rows loaded, 0 rejected" in out and f"ignored columns not in the contract: {head[0] if head[0] in ('ID', 'Code') else 'ID'} (duplicate)" in out, out
    con = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    assert con.execute("select count(distinct person_key), count(person_key) from core.outreach").fetchone() == (2, 12)
    con.close()


def test_unknown_columns_are_ignored_and_reported(tmp_path, capsys):
    f = write_csv(tmp_path / "outreach.csv", ["date", "mode", "Worker initials", "Shift"],
                  [["2025-03-07", "street", "QQ", "day"]])
    assert load(tmp_path, f) == 0
    assert "ignored columns not in the contract: Worker initials, Shift" in capsys.readouterr().out
    con = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    cols = [c[0] for c in con.execute("select column_name from information_schema.columns "
                                     "where table_name = 'outreach'").fetchall()]
    con.close()
    assert not {"Worker initials", "Shift", "shift"} & set(cols)
