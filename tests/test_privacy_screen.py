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
    assert f"outreach_x.csv: refused: has a column {column!r} (column C) that names a direct identifier" in out
    assert "Zq9Secret" not in out


@pytest.mark.parametrize("column", ["Contact date", "Mode", "Worker initials", "Shift", "Item", "Outcome",
                                    "Status date", "Work setting", "Referred to", "Attendees", "Session (hrs)"])
def test_ordinary_columns_are_not_taken_for_identifiers(tmp_path, capsys, column):
    f = write_csv(tmp_path / "friday_network.csv", ["session_date", "attendee_group", column],
                  [["2025-03-07", "alumni", "x"]])
    assert main(["load", str(f), "--db", str(tmp_path / "t.duckdb")]) == 0, capsys.readouterr().out


# A client code typed into free text, as staff type codes (case, hyphens, spaces): a pseudonym
# still points at one person, and text is shown in reports. The codes are the synthetic ones below.
CODE_TEXTS = ["Birthday cake for {c}", "cake for {lower}", "{hyph} moved in", "thanks {spaced}!"]


def _spellings(code: str) -> list[str]:
    return [t.format(c=code, lower=code.lower(), hyph=code[:2] + "-" + code[2:], spaced=code[:2] + " " + code[2:])
            for t in CODE_TEXTS]


@pytest.mark.parametrize("lt_name, field", [("friday_network", "event"), ("referrals", "referred_to"),
                                            ("annotations", "note")])
def test_free_text_holding_a_client_code_rejects_the_row_and_never_stores_it(tmp_path, capsys, lt_name, field):
    """Codes the database already holds (an earlier load) and codes of the same file both count."""
    db = tmp_path / "t.duckdb"
    earlier = write_rows(tmp_path / "a" / "outreach_early.csv", "outreach",
                         [dict(good_row("outreach", 0), client_code="QZ7KX4")])
    assert main(["load", str(earlier), "--db", str(db)]) == 0
    rows = [good_row(lt_name, i) for i in range(10)]
    has_code = any(f.name == "client_code" for f in __import__("shop.contract", fromlist=["LOG_TYPES"]).LOG_TYPES[lt_name].fields)
    here = "WV3JP9" if has_code else "QZ7KX4"   # a code of this very file (where the log has codes)
    if has_code:
        rows[9]["client_code"] = here
    texts = _spellings("QZ7KX4") + _spellings(here)[:2]
    for r, t in zip(rows, texts):
        r[field] = t
    f = write_rows(tmp_path / "b" / f"{lt_name}_x.csv", lt_name, rows)
    capsys.readouterr()
    assert main(["load", str(f), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    rejected = {int(l.split()[1].rstrip(",")) for l in out.splitlines() if l.startswith("  row ")}
    assert rejected == set(range(2, 2 + len(texts))), out
    assert "holds a client code" in out
    stored = all_text_in_db(db)
    for t in texts:
        assert t not in out and t not in stored
    for code in ("QZ7KX4", here):
        assert code not in out and code.lower() not in out and code not in stored
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(f"select count(*) from core.{lt_name}").fetchone()[0] == len(rows) - len(texts)
    con.close()


def test_text_that_a_later_load_shows_to_hold_a_code_is_never_printed_and_labels_are_refused(tmp_path, capsys):
    """An event typed before its person's first contact loads (nothing says it is a code yet); once
    a later load brings the code, the event is withheld in every view, and a report label that
    holds a known code is refused."""
    import datetime as dt
    from etl.load import LoadError, freeze
    from metrics import release
    from shop.periods import Period
    db = tmp_path / "t.duckdb"
    fri = [dict(good_row("friday_network", i), event="") for i in range(3)]
    fri[1]["event"] = "cake for qz-7kx4"
    f = write_rows(tmp_path / "a" / "friday_network_x.csv", "friday_network", fri)
    assert main(["load", str(f), "--db", str(db)]) == 0
    day = dt.date.fromisoformat(fri[1]["session_date"])
    period = Period(day.replace(day=1), day)
    assert [e for _, e in release.events(period, False, db)] == ["cake for qz-7kx4"]  # not a code yet
    later = write_rows(tmp_path / "b" / "outreach_later.csv", "outreach",
                       [dict(good_row("outreach", 0), client_code="QZ7KX4")])
    assert main(["load", str(later), "--db", str(db)]) == 0
    capsys.readouterr()
    for suppressed in (True, False):
        assert [e for _, e in release.events(period, suppressed, db)] == [release.WITHHELD_TEXT]
    with pytest.raises(LoadError) as exc:
        freeze(db, "Grant report QZ 7KX4", day, day, True, "[]", "{}", say=lambda *_: None)
    assert "holds a client code" in str(exc.value) and "7KX4" not in str(exc.value)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from meta.frozen_reports").fetchone()[0] == 0
    con.close()


def test_a_column_header_holding_a_client_code_is_never_printed(tmp_path, capsys):
    """An extra column headed with a client code (a tick column `ZZQC77 follow-up`, `zz-qc78`): the
    code of a row of the same file, of another file of the load, or of the database is not said
    in the line of ignored columns; an ordinary extra column still is."""
    db = tmp_path / "t.duckdb"
    first = write_rows(tmp_path / "a" / "outreach_a.csv", "outreach", [dict(good_row("outreach", 0), client_code="QD51KW")])
    assert main(["load", str(first), "--db", str(db)]) == 0
    rows = [dict(good_row("outreach", i), client_code=c) for i, c in enumerate(["ZZQC77", "ZZQC78"], 1)]
    head = list(rows[0]) + ["Reminder for the outreach team about ZZQC78",   # the code past the 40 characters printed
                            "ZZQC77 follow-up", "zz-qc78", "Qd 51kw", "Shift", "Rm-4Hx2"]
    f = tmp_path / "b" / "outreach_b.csv"
    write_csv(f, head, [list(r.values()) + ["", "x", "", "", "am", ""] for r in rows])
    other = write_rows(tmp_path / "b" / "referrals_b.csv", "referrals", [dict(good_row("referrals", 0), client_code="RM4HX2")])
    capsys.readouterr()
    assert main(["load", str(f), str(other), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if "ignored columns" in l)
    assert line.count("a column whose header holds a client code (not shown)") == 4 and "Shift" in line, line
    assert "and 1 more" in line and "Reminder" not in line   # the sixth, past the five listed
    assert all(part not in out.upper().replace("-", "").replace(" ", "") for part in ("QC77", "QC78", "51KW", "4HX2"))


def test_a_refusal_never_quotes_a_header_holding_a_known_client_code(tmp_path, capsys):
    """A refusal that names a column by its header (a minutes column in hours) does not print a
    client code the database holds; one that names an identifier column says its place only."""
    db = tmp_path / "t.duckdb"
    first = write_rows(tmp_path / "a" / "outreach_a.csv", "outreach", [dict(good_row("outreach", 0), client_code="QD51KW")])
    assert main(["load", str(first), "--db", str(db)]) == 0
    f = write_csv(tmp_path / "b" / "outreach_b.csv", ["contact_date", "contact_mode", "Minutes (hrs, qd-51kw)"],
                  [["2025-03-07", "street", "2"]])
    g = write_csv(tmp_path / "b" / "outreach_c.csv", ["contact_date", "contact_mode", "Phone for QD51KW"],
                  [["2025-03-07", "street", "x"]])
    capsys.readouterr()
    assert main(["load", str(f), str(g), "--db", str(db)]) == 1
    out = capsys.readouterr().out
    assert "outreach_b.csv: refused: has a column (a name that holds a client code: not shown) in hours" in out, out
    assert "outreach_c.csv: refused: has a column 'Phone for …' (column C) that names a direct identifier" in out
    assert "51KW" not in out.upper().replace("-", ""), out
