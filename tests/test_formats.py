"""Files as programs save them: tab-delimited text, other separators, folders with anything in them;
a refusal names the real problem."""
from __future__ import annotations

import duckdb
import pytest

from cli import main
from helpers import write_csv

HEAD = ["contact_date", "contact_mode", "minutes"]
ROWS = [["2025-03-07", "street", "30"], ["2025-03-08", "drop in", "15"]]


def n_rows(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*), sum(minutes) from core.outreach").fetchone()
    finally:
        con.close()


@pytest.mark.parametrize("name, encoding, delimiter", [
    ("outreach.tsv", "utf-8", "\t"), ("outreach.txt", "cp1252", "\t"), ("outreach.txt", "utf-8", ","),
    ("outreach.csv", "utf-8", "\t"), ("outreach.csv", "utf-8", "|"), ("outreach.csv", "cp1252", ";")])
def test_tab_and_other_separators_are_read(tmp_path, capsys, name, encoding, delimiter):
    f = write_csv(tmp_path / name, HEAD, ROWS, encoding=encoding, delimiter=delimiter, pre=[["Outreach – café"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0, capsys.readouterr().out
    assert n_rows(tmp_path / "t.duckdb") == (2, 45)


def test_a_large_tab_delimited_file_takes_the_fast_path_and_gives_the_same_rows(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SHOP_FAST_CSV_BYTES", "10")
    from etl.read import FastCsv
    taken, real = [], FastCsv.materialize
    monkeypatch.setattr(FastCsv, "materialize", lambda *a: taken.append(real(*a)) or taken[-1])
    rows = [[f"2025-03-{1 + i % 28:02d}", "street", str(i % 60)] for i in range(500)]
    f = write_csv(tmp_path / "outreach.tsv", HEAD, rows + [["Total", "", ""], ["Figures from the shift sheets"]],
                  delimiter="\t")
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "503 rows read = 500 loaded + 0 rejected + 3 skipped (1 header, 1 total, 1 footnote)" in out
    assert taken == [True], "DuckDB's reader read it, footnote and all"
    assert n_rows(tmp_path / "t.duckdb") == (500, sum(i % 60 for i in range(500)))


@pytest.mark.parametrize("footnote", [None, '"Note: from the sign-in sheets"'])
def test_a_large_csv_whose_last_cell_is_typed_over_two_lines_loads_every_row(tmp_path, capsys, monkeypatch, footnote):
    """The last record's event typed with Alt+Enter ends in a line of one cell, as a footnote does:
    it is a row, loaded and counted (it was dropped as a footnote); a quoted footnote is still one."""
    monkeypatch.setenv("SHOP_FAST_CSV_BYTES", "10")
    head = ["session_date", "client_code", "attendee_group", "event"]
    rows = [["2025-03-07", f"QF{i:03d}T", "indoor", ""] for i in range(300)]
    rows.append(["2025-03-14", "QF999T", "guest", "Street nurse:\nmammograms"])
    f = write_csv(tmp_path / "friday_network_2024-25.csv", head, rows)
    if footnote:
        with open(f, "a", newline="") as fh:
            fh.write(footnote + "\r\n")
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    skipped = "(1 header, 1 footnote)" if footnote else "(1 header)"
    assert f"{302 + bool(footnote)} rows read = 301 loaded + 0 rejected + {1 + bool(footnote)} skipped {skipped}" in out, out
    con = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    try:
        assert con.execute("select event from core.friday_network where session_date = '2025-03-14'").fetchall() == [
            ("Street nurse:\nmammograms",)]
    finally:
        con.close()


@pytest.mark.parametrize("fast", [False, True])
def test_a_row_with_more_cells_than_its_header_is_rejected_never_read_short(tmp_path, capsys, monkeypatch, fast):
    """1,500 typed without quotes splits into 1 and 500: the row has a cell past its header and
    is rejected whole (it was stored as 1 unit); a column under no header that most rows fill is
    a column, ignored and said. Whichever reader reads the file."""
    if fast:
        monkeypatch.setenv("SHOP_FAST_CSV_BYTES", "10")
    f = tmp_path / "a" / "supplies_2025-03.csv"
    f.parent.mkdir()
    lines = ["dist_date,channel,item,quantity"] + [f"2025-03-{d:02d},drop in,naloxone kit,{d}" for d in range(1, 21)]
    lines[3] = "2025-03-03,drop in,external condom,1,500"
    lines[7] = "2025-03-07,drop in,external condom,2,000,"
    f.write_text("\n".join(lines) + "\n")
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "21 rows read = 18 loaded + 2 rejected + 1 skipped (1 header)" in out, out
    assert "row 4, row: has more cells than its header" in out and "row 8, row: has more cells than its header" in out
    con = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    assert con.execute("select count(*), sum(quantity) from core.supplies").fetchone() == (
        18, sum(range(1, 21)) - 3 - 7)
    con.close()
    g = tmp_path / "b" / "supplies_2025-04.csv"
    g.parent.mkdir()
    g.write_text("dist_date,channel,item,quantity,\n" + "".join(
        f"2025-04-{d:02d},drop in,naloxone kit,{d},note {d}\n" for d in range(1, 21)))
    assert main(["load", str(g), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "20 loaded + 0 rejected" in out and "cells past the header's last column, under no header, were ignored" in out, out


def test_a_file_with_one_column_per_line_is_refused_for_its_separator_not_its_header(tmp_path, capsys):
    f = tmp_path / "outreach.csv"
    f.write_text("contact_date  contact_mode  minutes\n2025-03-07    street        30\n2025-03-08    drop in       15\n")
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 1
    line = capsys.readouterr().out.strip()
    assert line.startswith("outreach.csv: refused: has one column on every line") and "separated" in line
    assert "header" not in line


def test_every_file_in_a_folder_gets_a_line(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    write_csv(inbox / "outreach.csv", HEAD, ROWS)
    (inbox / "Board minutes.docx").write_bytes(b"PK\x03\x04 not a log")
    (inbox / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (inbox / "sub").mkdir()
    write_csv(inbox / "sub" / "education.csv", ["session_date", "audience", "topic", "attendees"],
              [["2025-03-05", "business", "other", "9"]])
    assert main(["load", str(inbox), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "Board minutes.docx: skipped: not a spreadsheet" in out
    assert "photo.jpg: skipped: not a spreadsheet" in out
    assert "outreach.csv: loaded, 2 rows loaded" in out and "education.csv: loaded, 1 rows loaded" in out
