"""A folder load as staff keep their inbox: subfolders, files of one name, a corrected copy, old/
copies, lock and temporary files, a client code in a name. Each line names its file by its path
in the folder; figures are checked against a truth computed here from the rows written."""
from __future__ import annotations

import datetime as dt
import json
import os
import random

import pytest

from cli import main
from helpers import query, write_csv

SUPPLY_FIELDS = ["dist_date", "channel", "item", "quantity", "client_code"]
CODES = [f"QB{n:02d}T" for n in range(30)]   # synthetic, of the contract's shape
NAME_CODE = "ZZQX01"                         # the code that also names a file


def supply_rows(rng, n, month_days, codes):
    return [[f"{d}", rng.choice(["drop_in", "street_outreach"]), rng.choice(["external_condom", "lubricant"]),
             str(rng.randint(1, 40)), rng.choice(codes)] for d in (rng.choice(month_days) for _ in range(n))]


def touch(path, t):
    os.utime(path, (t, t))



@pytest.fixture()
def inbox(tmp_path):
    """The inbox and the truth: what a careful user expects to be in force after loading it."""
    rng = random.Random(25)
    box = tmp_path / "inbox"
    days = [f"2024-{m:02d}-{d:02d}" for m in (4, 5, 6) for d in (3, 11, 19)]
    older = supply_rows(rng, 40, days, CODES)
    newer = [list(r) for r in older]
    for r in newer[:3]:
        r[3] = str(int(r[3]) + 100)        # the correction: three quantities fixed
    del newer[-1]                          # and one duplicate row taken out
    write_csv(box / "files" / "supplies_2024-25.csv", SUPPLY_FIELDS, older)
    write_csv(box / "corrected" / "supplies_2024-25.csv", SUPPLY_FIELDS, newer)
    # the newer copy is listed first by name (corrected/ < files/): only its time says it is newer
    touch(box / "files" / "supplies_2024-25.csv", 1_700_000_000)
    touch(box / "corrected" / "supplies_2024-25.csv", 1_700_086_400)
    # two files of one name with no dates in common: two months, not two versions
    jan = supply_rows(rng, 7, ["2025-01-06", "2025-01-20"], CODES)
    feb = supply_rows(rng, 5, ["2025-02-03", "2025-02-17"], CODES) + supply_rows(rng, 1, ["2025-01-20"], CODES)
    assert "2025-01-20" in {r[0] for r in jan}
    write_csv(box / "2025-01" / "supplies.csv", SUPPLY_FIELDS, jan)
    write_csv(box / "2025-02" / "supplies.csv", SUPPLY_FIELDS, feb)
    # old/: a copy of a file in force, an earlier version never loaded, and an unreadable leftover
    (box / "old").mkdir()
    (box / "old" / "supplies.csv").write_bytes((box / "2025-01" / "supplies.csv").read_bytes())
    write_csv(box / "archive" / "supplies_2023.csv", SUPPLY_FIELDS,
              supply_rows(rng, 4, ["2023-05-01"], CODES))
    (box / "backup" / "outreach.csv").parent.mkdir()
    (box / "backup" / "outreach.csv").write_text("not a log at all\n")
    # lock, hidden and temporary files
    (box / "~$Outreach.xlsx").write_bytes(b"\x00lock")
    (box / "files" / ".~lock.supplies_2024-25.csv#").write_text("lock")
    (box / ".DS_Store").write_bytes(b"\x00")
    (box / "supplies_2024-25.csv.tmp").write_text("x")
    (box / "files" / "supplies_2024-25.csv~").write_text("x")
    # a client code in a file name, the code also in the file (as staff do: one file per person)
    coded = supply_rows(rng, 3, ["2025-03-03"], [NAME_CODE])
    write_csv(box / "clients" / f"supplies {NAME_CODE} Jane.csv", SUPPLY_FIELDS, coded)
    truth = {"rows": len(newer) + len(jan) + len(feb),
             "units": sum(int(r[3]) for r in newer + jan + feb),
             "people": len({r[4] for r in newer + jan + feb}),
             "fy_units": sum(int(r[3]) for r in newer + jan + feb),
             "replaced_rows": len(older), "unchanged": len(older) - 4}
    return box, truth


def data_quality_page(db):
    from streamlit.testing.v1 import AppTest
    from conftest import ROOT
    from shop import periods
    from ui.frame import STAFF
    at = AppTest.from_file(str(ROOT / "pages" / "data_quality.py"), default_timeout=60)
    at.session_state["audience"] = STAFF
    fy = periods.fiscal_year(2024)
    at.query_params["from"], at.query_params["to"] = fy.start.isoformat(), fy.end.isoformat()
    os.environ["SHOP_DB"] = str(db)
    at.run()
    assert not at.exception, at.exception
    return at


def lines_of(out):
    return {l.split(": ", 1)[0]: l for l in out.splitlines() if ": " in l and not l.startswith(" ")}


def test_an_inbox_loads_as_a_careful_user_expects(tmp_path, capsys, inbox):
    box, truth = inbox
    db = tmp_path / "shop.duckdb"
    assert main(["load", str(box), "--db", str(db)]) == 1  # the file named with a code is refused
    out = capsys.readouterr().out
    line = lines_of(out)
    # the newer copy replaces the older, whichever sorts first, and says so
    assert line["corrected/supplies_2024-25.csv"].startswith("corrected/supplies_2024-25.csv: replaced")
    assert (f"replaces files/supplies_2024-25.csv (older, {truth['replaced_rows']} rows): "
            f"{truth['unchanged']} rows unchanged") in line["corrected/supplies_2024-25.csv"]
    assert "files/supplies_2024-25.csv: loaded" in out
    # one name, two months (meeting on one late-entered day): both load, said
    assert "2025-01/supplies.csv: loaded" in out and "2025-02/supplies.csv: loaded" in out
    assert "has the file name of 2025-01/supplies.csv too, but not its dates" in out
    # old/ copies: a copy of a file in force is already loaded; the rest of the past is kept out
    assert "old/supplies.csv: already loaded (same content as 2025-01/supplies.csv)" in out
    assert line["archive/supplies_2023.csv"].endswith("skipped: in archive/, a folder that keeps the past: "
                                                      "not loaded (to load it, move it out of archive/ or name "
                                                      "it on the command line)")
    assert line["backup/outreach.csv"].startswith("backup/outreach.csv: skipped: in backup/")
    assert "~$Outreach.xlsx: skipped: Excel's lock file" in out
    assert "files/.~lock.supplies_2024-25.csv#: skipped: LibreOffice's lock file" in out
    assert ".DS_Store: skipped: hidden file" in out
    assert "supplies_2024-25.csv.tmp: skipped: temporary file" in out
    assert "files/supplies_2024-25.csv~: skipped: temporary file" in out
    # the code in a name: refused, the name never echoed, not a letter of the code
    assert NAME_CODE not in out and "Jane" not in out and "ZZ" not in out
    refused = [l for l in out.splitlines() if ": refused:" in l]
    assert refused == ["supplies….csv: refused: its name holds a client code: file and sheet names are stored "
                       "and printed in reports, so rename it (a log's name says its log type and period, never "
                       "a code or a person's name) and load again"]
    # figures: what the truth says, nothing counted twice, nothing of the past, nothing of the coded file
    rows, units, people = query(db, "select count(*), sum(quantity), count(distinct person_key) "
                                    "from core.supplies")[0]
    assert (rows, units, people) == (truth["rows"], truth["units"], truth["people"])
    names = sorted(r[0] for r in query(db, "select file_name from meta.batches where status = 'in_force'"))
    assert names == ["2025-01/supplies.csv", "2025-02/supplies.csv", "corrected/supplies_2024-25.csv"]
    assert NAME_CODE.encode() not in db.read_bytes() and b"Jane" not in db.read_bytes()
    # status names the files by path too
    capsys.readouterr()
    assert main(["status", "--db", str(db), "--json"]) == 0
    files = sorted(b["file"] for b in json.loads(capsys.readouterr().out)["batches"])
    assert files == names
    # the review's latest load and the Data quality page name them by path too
    from metrics import review
    loaded = review.view(review.build(db, dt.date(2025, 6, 20)), False)["loaded"]["files"]
    assert {f["file"] for f in loaded} == set(names) | {"files/supplies_2024-25.csv"}
    at = data_quality_page(db)
    shown = set().union(*(set(df.value["file"]) for df in at.dataframe if "file" in df.value.columns))
    assert shown >= set(names) | {"files/supplies_2024-25.csv"}
    # loading the inbox again changes nothing and says why each file is not loaded again
    assert main(["load", str(box), "--db", str(db)]) == 1
    again = capsys.readouterr().out
    assert ("files/supplies_2024-25.csv: already loaded (an earlier version of corrected/supplies_2024-25.csv, "
            "which replaced it)") in again
    assert "corrected/supplies_2024-25.csv: already loaded" in again
    assert query(db, "select count(*), sum(quantity) from core.supplies")[0] == (truth["rows"], truth["units"])


def test_the_fiscal_year_figure_is_the_corrected_one(tmp_path, inbox):
    from etl.load import load
    from shop import periods
    from metrics import indicators
    box, truth = inbox
    db = tmp_path / "shop.duckdb"
    load([box], db, say=lambda *_: None)
    fig = indicators.compute(periods.fiscal_year(2024), db, dt.date(2025, 6, 1))
    assert fig["supplies.units"] == truth["fy_units"]


def test_same_name_and_time_with_dates_in_common_is_refused_naming_both(tmp_path, capsys):
    rng = random.Random(3)
    box = tmp_path / "inbox"
    a = supply_rows(rng, 6, ["2024-04-02"], CODES)
    b = [list(r) for r in a]
    b[0][3] = str(int(b[0][3]) + 1)
    write_csv(box / "a" / "supplies.csv", SUPPLY_FIELDS, a)
    write_csv(box / "b" / "supplies.csv", SUPPLY_FIELDS, b)
    for p in ("a", "b"):
        touch(box / p / "supplies.csv", 1_700_000_000)
    db = tmp_path / "shop.duckdb"
    assert main(["load", str(box), "--db", str(db)]) == 1
    out = capsys.readouterr().out
    assert "a/supplies.csv: loaded" in out
    assert ("b/supplies.csv: refused: has the name and the modification time of a/supplies.csv, loaded, and "
            "shares 1 date(s) with it: which is newer cannot be told") in out
    assert query(db, "select sum(quantity) from core.supplies")[0][0] == sum(int(r[3]) for r in a)


def test_a_corrected_copy_in_a_folder_replaces_the_file_loaded_before(tmp_path, capsys):
    rng = random.Random(4)
    db = tmp_path / "shop.duckdb"
    first = supply_rows(rng, 6, ["2024-04-02", "2024-04-09"], CODES)
    f = write_csv(tmp_path / "march" / "supplies.csv", SUPPLY_FIELDS, first)
    assert main(["load", str(f), "--db", str(db)]) == 0
    fixed = [list(r) for r in first[:2]]           # most rows gone: only the name says it is a version
    g = write_csv(tmp_path / "inbox" / "corrected" / "supplies.csv", SUPPLY_FIELDS, fixed)
    capsys.readouterr()
    assert main(["load", str(tmp_path / "inbox"), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "corrected/supplies.csv: replaced" in out
    assert "replaces supplies.csv (loaded before, 6 rows): 2 rows unchanged" in out
    assert query(db, "select sum(quantity) from core.supplies")[0][0] == sum(int(r[3]) for r in fixed)
    assert g.exists()


def test_a_sheet_named_with_a_client_code_is_refused_unechoed(tmp_path, capsys):
    from openpyxl import Workbook
    rng = random.Random(5)
    db = tmp_path / "shop.duckdb"
    known = write_csv(tmp_path / "supplies_known.csv", SUPPLY_FIELDS, supply_rows(rng, 2, ["2024-04-02"], ["KQ77M"]))
    assert main(["load", str(known), "--db", str(db)]) == 0
    wb = Workbook()
    ws = wb.active
    ws.title = "supplies kq-77m"
    ws.append(SUPPLY_FIELDS)
    for r in supply_rows(rng, 2, ["2024-05-02"], CODES):
        ws.append(r)
    wb.save(tmp_path / "book.xlsx")
    capsys.readouterr()
    assert main(["load", str(tmp_path / "book.xlsx"), "--db", str(db), "--type", "supplies"]) == 1
    out = capsys.readouterr().out
    assert "book.xlsx [sheet 1 (supplies…)]: refused: its name holds a client code" in out
    assert "77" not in out and "kq" not in out.lower().replace("book", "")
    assert query(db, "select count(*) from meta.batches")[0][0] == 1


def test_a_code_only_a_later_file_reveals_stops_the_load(tmp_path, capsys):
    rng = random.Random(6)
    box = tmp_path / "inbox"
    write_csv(box / "a" / "supplies WX42P.csv", SUPPLY_FIELDS, supply_rows(rng, 2, ["2024-04-02"], CODES))
    write_csv(box / "b" / "supplies.csv", SUPPLY_FIELDS, supply_rows(rng, 2, ["2024-05-02"], ["WX42P"]))
    db = tmp_path / "shop.duckdb"
    assert main(["load", str(box), "--db", str(db)]) == 1
    captured = capsys.readouterr()
    assert "WX42P" not in captured.out + captured.err
    assert "has a client code in its name" in captured.err and "nothing was loaded" in captured.err
    assert not db.exists() or query(db, "select count(*) from meta.batches")[0][0] == 0


def test_names_that_hold_a_code_are_refused_before_anything_prints_them(tmp_path, capsys):
    """A lock file named with a known code, a workbook named with a code its own sheet holds (and
    an empty sheet, whose line would print the name), a folder named with a phone number."""
    from openpyxl import Workbook
    rng = random.Random(7)
    db = tmp_path / "shop.duckdb"
    known = write_csv(tmp_path / "supplies_known.csv", SUPPLY_FIELDS, supply_rows(rng, 2, ["2024-04-02"], ["KQ77M"]))
    assert main(["load", str(known), "--db", str(db)]) == 0
    box = tmp_path / "inbox"
    box.mkdir()
    (box / "~$supplies KQ77M.xlsx").write_bytes(b"\x00lock")
    wb = Workbook()
    ws = wb.active
    ws.title = "supplies"
    ws.append(SUPPLY_FIELDS)
    for r in supply_rows(rng, 3, ["2024-05-02"], ["RT55W"]):
        ws.append(r)
    wb.create_sheet("notes")
    wb.save(box / "supplies RT55W.xlsx")
    write_csv(box / "250-555-0199" / "supplies.csv", SUPPLY_FIELDS, supply_rows(rng, 2, ["2024-06-02"], CODES))
    capsys.readouterr()
    assert main(["load", str(box), "--db", str(db)]) == 1
    captured = capsys.readouterr()
    out = captured.out + captured.err
    for secret in ("KQ77M", "RT55W", "250", "0199"):
        assert secret not in out
    refused = sorted(l for l in out.splitlines() if ": refused:" in l)
    assert [l.split(": refused: ")[0] for l in refused] == ["supplies….csv", "supplies….xlsx", "supplies….xlsx"]
    assert sum("its name holds a client code" in l for l in refused) == 2
    assert query(db, "select count(*) from meta.batches")[0][0] == 1
