"""The one screen for free text (shop.privacy.looks_identifying) and identifier columns in every
spelling: an identifier rejects the row or refuses the file, ordinary text with dates and times loads."""
from __future__ import annotations

import duckdb
import pytest

from cli import main
from shop.privacy import looks_identifying
from helpers import all_text_in_db, good_row, write_csv, write_rows

IDENTIFYING = [
    "call 555-0147", "cell 5550147", "25O-555-O147", "250 555 O147", "250_555_0147", "555_0147",
    "two five oh five five five oh one four seven", "five five five zero one four seven",
    "jane＠example.org", "jane dot doe at example dot org", "jane(at)shop(dot)ca", "jane [at] shop.ca",
    "130.692.544", "SIN 130 692 544", "9698658215", "２５０-５５５-０１４７",
]
ORDINARY = [
    "Street nurse: mammograms", "Beauty night 2025-03-07 14:30", "Session 2:00-4:30 pm on 7/3/2025",
    "Closed 2025-03-07 to 2025-03-21", "Dinner at SHOP. Then games", "ASK Wellness Society", "Room 101, 2025",
    "one to one support", "Mar 7 2025 at 10:30am", "FY2024-25", "1,200 condoms handed out", "3.5 hours",
    "Moved 12 Jan 2025 14:00 to 16:30", "Pool night", "Friday 7 March 2025, 2 pm", "10:00-12:00",
    "2025/03/07 10:00:00", "Kamloops Food Bank", "Open 9-5, Mon-Fri",
]


@pytest.mark.parametrize("text", IDENTIFYING)
def test_the_screen_catches_identifiers_in_every_spelling(text):
    assert looks_identifying(text)


@pytest.mark.parametrize("text", ORDINARY)
def test_the_screen_lets_ordinary_text_with_dates_and_times_through(text):
    assert looks_identifying(text) is None


@pytest.mark.parametrize("lt_name, field", [("friday_network", "event"), ("referrals", "referred_to"),
                                            ("annotations", "note")])
def test_an_identifier_in_free_text_rejects_the_row_and_never_stores_it(tmp_path, capsys, lt_name, field):
    rows = [good_row(lt_name, i) for i in range(len(IDENTIFYING) + len(ORDINARY))]
    texts = IDENTIFYING + ORDINARY
    for r, t in zip(rows, texts):
        r[field] = t[:80]
    db = tmp_path / "t.duckdb"
    f = write_rows(tmp_path / f"{lt_name}_x.csv", lt_name, rows)
    assert main(["load", str(f), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    rejected = {int(l.split()[1].rstrip(",")) for l in out.splitlines() if l.startswith("  row ")}
    assert rejected == set(range(2, 2 + len(IDENTIFYING))), out
    stored = all_text_in_db(db)
    for t in IDENTIFYING:
        assert t not in out and t not in stored
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(f"select count(*) from core.{lt_name}").fetchone()[0] == len(ORDINARY)
    con.close()


@pytest.mark.parametrize("column", ["D.O.B.", "Tel #", "Tel. no.", "Health card #", "Care Card No.", "Addr.",
                                    "Postal code", "Postcode", "Ph. no", "E-mail", "MSP #", "S.I.N.", "Cell #",
                                    "Birth date", "Home address", "Phone (cell)", "Client name", "Zip"])
def test_an_identifier_column_in_any_spelling_refuses_the_file_naming_it(tmp_path, capsys, column):
    db = tmp_path / "t.duckdb"
    f = write_csv(tmp_path / "outreach_x.csv", ["contact_date", "contact_mode", column],
                  [["2025-03-07", "street", "Zq9Secret"]])
    assert main(["load", str(f), "--db", str(db)]) == 1
    out = capsys.readouterr().out
    assert f"outreach_x.csv: refused: has a column {column!r} that names a direct identifier" in out
    assert "Zq9Secret" not in out


@pytest.mark.parametrize("column", ["Contact date", "Mode", "Worker initials", "Shift", "Item", "Outcome",
                                    "Status date", "Work setting", "Referred to", "Attendees", "Session (hrs)"])
def test_ordinary_columns_are_not_taken_for_identifiers(tmp_path, capsys, column):
    f = write_csv(tmp_path / "friday_network.csv", ["session_date", "attendee_group", column],
                  [["2025-03-07", "alumni", "x"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0, capsys.readouterr().out
