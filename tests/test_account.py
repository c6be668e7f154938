"""The load's own account: every file and sheet of a mixed inbox gets a line, and for each table
read, rows read = loaded + rejected + skipped (header, title, blank, total, footnote)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb

from cli import main
from helpers import write_csv

FIXTURES = Path(__file__).parent / "fixtures"
ACCOUNT = re.compile(r"^  (\d+) rows read = (\d+) (?:loaded|already loaded) \+ (\d+) rejected \+ (\d+) skipped(?: \((.*)\))?$")


def accounts(out: str) -> dict[str, tuple]:
    """label -> (read, loaded, rejected, skipped, {kind: n}) from the load's output."""
    got, label = {}, None
    for line in out.splitlines():
        if not line.startswith(" ") and ": " in line:
            label = line.split(": ")[0]
        m = ACCOUNT.match(line)
        if m:
            kinds = {k: int(n) for n, k in (p.split(" ") for p in m.group(5).split(", "))} if m.group(5) else {}
            got[label] = tuple(int(x) for x in m.groups()[:4]) + (kinds,)
    return got


def mixed_inbox(folder: Path) -> Path:
    folder.mkdir()
    # CSV: a title, the header, 3 good rows, 1 bad, a blank row, a total row and a footnote.
    write_csv(folder / "outreach_2025-03.csv", ["Contact date", "Mode", "Minutes"],
              [["2025-03-03", "street", "30"], ["2025-03-04", "skateboard", "10"], ["2025-03-05", "drop in", "1:15"],
               [], ["2025-03-06", "online", "5"], ["Total", "", "45"], ["Counts from the shift sheets"]],
              pre=[["SHOP outreach, March 2025"]])
    shutil.copy(FIXTURES / "Supplies 2023-24.xls", folder)
    shutil.copy(FIXTURES / "March services.ods", folder)
    write_csv(folder / "referrals_march.tsv", ["referral_date", "referral_type", "status"],
              [["2025-03-03", "housing", "made"], ["2025-03-10", "detox", "attended"]], delimiter="\t")
    # Excel's "Text (Tab delimited)": Windows-1252, tabs, a title line.
    write_csv(folder / "education Q4.txt", ["Session date", "Audience", "Topic", "Attendees"],
              [["2025-03-12", "business", "sex work awareness", "14"]], encoding="cp1252", delimiter="\t",
              pre=[["Éducation communautaire – café sessions"]])
    (folder / "minutes.pdf").write_bytes(b"%PDF-1.4 not a log")
    (folder / "~$Supplies 2023-24.xlsx").write_bytes(b"lock")
    return folder


# Expected, counted from the files above (not from the loader): read, loaded, rejected, skipped by kind.
EXPECTED = {
    "outreach_2025-03.csv": (9, 3, 1, {"header": 1, "title": 1, "blank": 1, "total": 1, "footnote": 1}),
    "Supplies 2023-24.xls [Apr-23]": (6, 3, 0, {"header": 1, "title": 1, "total": 1}),
    "Supplies 2023-24.xls [May-23]": (4, 2, 0, {"header": 1, "footnote": 1}),
    "March services.ods [Safe Suite]": (3, 2, 0, {"header": 1}),
    "March services.ods [Friday dinners]": (4, 3, 0, {"header": 1}),
    "referrals_march.tsv": (3, 2, 0, {"header": 1}),
    "education Q4.txt": (3, 1, 0, {"header": 1, "title": 1}),
}
NOT_READ = {
    "Supplies 2023-24.xls [Summary]": "skipped: not read",
    "Supplies 2023-24.xls [Lists]": "skipped: not read",
    "March services.ods [Totals]": "skipped: not read",
    "minutes.pdf": "skipped: not a spreadsheet",
    "~$Supplies 2023-24.xlsx": "skipped: Excel's lock file",
}


def test_a_mixed_inbox_gives_every_file_and_sheet_a_line_with_numbers_that_add_up(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SHOP_PREPARE_EXTERNAL", "1")  # as staff run it
    inbox = mixed_inbox(tmp_path / "inbox")
    db = tmp_path / "t.duckdb"
    assert main(["load", str(inbox), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    got = accounts(out)
    assert set(got) == set(EXPECTED), out
    for label, (read, loaded, rejected, kinds) in EXPECTED.items():
        r, l, j, s, k = got[label]
        assert (r, l, j, k) == (read, loaded, rejected, kinds), (label, out)
        assert r == l + j + s and s == sum(k.values())
    for label, text in NOT_READ.items():
        assert any(line.startswith(f"{label}: {text}") for line in out.splitlines()), (label, out)
    assert "read as suite_stays: its columns fit that log type" in out
    *report, prepared = out.strip().splitlines()
    assert prepared.startswith("External view prepared for FY2026-27, FY2025-26")  # after the load, not in it
    last = report[-1]  # the load's report ends with the inbox's account
    total_read = sum(e[0] for e in EXPECTED.values())
    assert last.startswith("account: 7 file(s), 7 table(s) read: ") and f"{total_read} rows read = " in last
    assert "0 refused, 5 skipped" in last

    # status --json gives the same account per batch
    capsys.readouterr()
    assert main(["status", "--db", str(db), "--json"]) == 0
    batches = json.loads(capsys.readouterr().out)["batches"]
    by_label = {b["file"] + (f" [{b['sheet']}]" if b["sheet"] else ""): b for b in batches}
    assert set(by_label) == set(EXPECTED)
    for label, (read, loaded, rejected, kinds) in EXPECTED.items():
        b = by_label[label]
        assert (b["rows_read"], b["rows_loaded"], b["rows_rejected"]) == (read, loaded, rejected)
        assert {k: n for k, n in b["skipped"].items() if n} == kinds
        assert b["rows_read"] == b["rows_loaded"] + b["rows_rejected"] + sum(b["skipped"].values())

    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from core.supplies").fetchone()[0] == 5       # both months
    assert con.execute("select count(*) from core.suite_stays").fetchone()[0] == 2
    assert con.execute("select count(*) from core.friday_network").fetchone()[0] == 3
    assert con.execute("select sum(minutes) from core.outreach").fetchone()[0] == 30 + 75 + 5
    con.close()


def test_reloading_the_inbox_changes_nothing_and_still_accounts_for_every_row(tmp_path, capsys):
    inbox = mixed_inbox(tmp_path / "inbox")
    db = tmp_path / "t.duckdb"
    assert main(["load", str(inbox), "--db", str(db)]) == 0
    before = db.read_bytes()
    capsys.readouterr()
    assert main(["load", str(inbox), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    got = accounts(out)
    assert set(got) == set(EXPECTED)
    assert all(f"{label}: already loaded" in out for label in EXPECTED)
    assert db.read_bytes() == before
