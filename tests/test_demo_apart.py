"""The demo is kept apart: a database built by `python -m etl demo` says "demo data" on every page,
slide and sheet; real logs loaded into it are refused with the command that starts a real
database (nothing of them is written), and the demo is never built into a database of real logs."""
from __future__ import annotations

import os

import duckdb
import pytest
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from conftest import ROOT, TEST_KEY, pin_clock
from etl.load import LoadError, load
from ui.frame import EXTERNAL, STAFF

@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    pin_clock(monkeypatch)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from etl.demo import build_demo
    with pytest.MonkeyPatch.context() as mp:
        pin_clock(mp)
        mp.setenv("SHOP_HASH_KEY", TEST_KEY)
        db = tmp_path_factory.mktemp("demo") / "shop.duckdb"
        assert build_demo(db, seed=7, years=1, say=lambda *_: None) == 0
    return db


def _real_file(folder):
    folder.mkdir(exist_ok=True)
    (folder / "outreach_2026-11.csv").write_text("contact_date,client_code,mode\n2026-11-02,,street\n2026-11-03,,street\n")
    return folder


def _contacts(db) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select count(*) from core.outreach where contact_date >= '2026-11-01'").fetchone()[0]


def test_real_logs_are_refused_in_the_demo_with_the_command_that_starts_a_real_one(demo, tmp_path, capsys):
    from cli import main
    before = _contacts(demo)
    with pytest.raises(LoadError, match="demo database") as exc:
        load([_real_file(tmp_path / "inbox")], demo, say=lambda *_: None)
    assert "python -m etl load data/inbox" in str(exc.value)
    assert _contacts(demo) == before  # November's synthetic contacts are not replaced
    capsys.readouterr()
    assert main(["load", str(tmp_path / "inbox"), "--db", str(demo)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "python -m etl load" in err


def test_the_demo_is_never_built_into_a_database_of_real_logs(tmp_path):
    from etl.demo import build_demo
    db = tmp_path / "real.duckdb"
    load([_real_file(tmp_path / "inbox")], db, say=lambda *_: None)
    with pytest.raises(LoadError, match="real logs"):
        build_demo(db, seed=7, years=1, say=lambda *_: None)
    assert _contacts(db) == 2


@pytest.mark.parametrize("audience", [EXTERNAL, STAFF])
@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name != "audit.py"))
def test_every_page_of_the_demo_says_demo_data(demo, page, audience):
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=90)
    at.session_state["audience"] = audience
    os.environ["SHOP_DB"] = str(demo)
    at.run()
    assert not at.exception, at.exception
    assert any("Demo data" in w.value and "make clean-demo" in w.value for w in at.warning), page


def test_a_real_database_has_no_demo_banner(tmp_path):
    db = tmp_path / "real.duckdb"
    load([_real_file(tmp_path / "inbox")], db, say=lambda *_: None)
    at = AppTest.from_file(str(ROOT / "pages" / "outreach.py"), default_timeout=60)
    os.environ["SHOP_DB"] = str(db)
    at.run()
    assert not at.exception
    assert not any("Demo data" in w.value for w in at.warning)


@pytest.mark.parametrize("exact", [False, True])
def test_every_slide_and_sheet_of_a_demo_export_says_demo_data(demo, tmp_path, exact):
    from openpyxl import load_workbook

    from cli import main
    out = tmp_path / "out"
    assert main(["export", "--db", str(demo), "--fy", "FY2025-26", "--format", "pptx", "--format", "xlsx",
                 "--out", str(out)] + (["--exact"] if exact else [])) == 0
    prs = Presentation(next(out.glob("*.pptx")))
    for i, s in enumerate(prs.slides):
        text = " ".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
        assert "DEMO DATA" in text, i
    wb = load_workbook(next(out.glob("*.xlsx")))
    for ws in wb.worksheets:
        assert "DEMO DATA" in str(ws["A2"].value), ws.title
        assert "DEMO DATA" in ws.oddHeader.left.text, ws.title
