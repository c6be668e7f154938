"""The released year tables kept beside the database between processes: used only for the very
same database file, year, k and day; anything else is rebuilt."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from etl.load import load
from helpers import write_rows
from metrics import release, release_cache
from shop import periods

TODAY = dt.date(2025, 6, 20)
FY = 2024  # April 2024 to March 2025, ended by TODAY


def outreach(tmp_path, name: str, n: int):
    rows = [{"contact_date": (dt.date(2024, 4, 1) + dt.timedelta(days=i % 300)).isoformat(),
             "client_code": f"QZ{i % 40:02d}K", "contact_mode": "street"} for i in range(n)]
    folder = tmp_path / name
    write_rows(folder / "outreach.csv", "outreach", rows)
    return folder


@pytest.fixture
def db(tmp_path):
    db = tmp_path / "shop.duckdb"
    load([outreach(tmp_path, "first", 400)], db, say=lambda *_: None)
    release._CACHE.clear()
    yield db
    release._CACHE.clear()


def fresh_process(monkeypatch, builds: list):
    """Forget the in-memory tables, as a new process would, and count real builds."""
    release._CACHE.clear()
    real = release._build
    monkeypatch.setattr(release, "_build", lambda *a: builds.append(a) or real(*a))


def test_a_new_process_reads_the_year_another_built(db, monkeypatch):
    first = release.year(FY, db, TODAY)
    files = list(release_cache.folder(db).glob("*.json"))
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"
    builds = []
    fresh_process(monkeypatch, builds)
    again = release.year(FY, db, TODAY)
    assert builds == [] and again == first
    assert release.figures(periods.fiscal_year(FY), True, db, TODAY) == release.figures(
        periods.fiscal_year(FY), True, db, TODAY)


def test_a_load_makes_the_saved_year_unusable(db, tmp_path, monkeypatch):
    before = release.year(FY, db, TODAY)
    load([outreach(tmp_path, "second", 900)], db, say=lambda *_: None)   # more contacts in the same year
    builds = []
    fresh_process(monkeypatch, builds)
    after = release.year(FY, db, TODAY)
    assert len(builds) == 1
    key = ("contacts", (0, 11), None, None)
    assert before.cells[key] != after.cells[key]


def test_another_day_or_k_is_another_table(db, monkeypatch):
    release.year(FY, db, TODAY)
    builds = []
    fresh_process(monkeypatch, builds)
    release.year(FY, db, TODAY + dt.timedelta(days=1))
    monkeypatch.setenv("SHOP_SUPPRESS_K", "6")
    release.year(FY, db, TODAY)
    assert len(builds) == 2


def test_a_damaged_or_foreign_file_is_rebuilt(db, monkeypatch):
    first = release.year(FY, db, TODAY)
    (f,) = release_cache.folder(db).glob("*.json")
    data = json.loads(f.read_text())
    data["key"] = data["key"].replace(str(FY), str(FY - 1))     # a file written for another key
    f.write_text(json.dumps(data))
    builds = []
    fresh_process(monkeypatch, builds)
    assert release.year(FY, db, TODAY) == first and len(builds) == 1
    f.write_text("{not json")
    release._CACHE.clear()
    assert release.year(FY, db, TODAY) == first and len(builds) == 2


def test_a_folder_that_cannot_be_written_is_not_an_error(db, monkeypatch):
    release_cache.folder(db).write_text("a file where the folder would be")
    first = release.year(FY, db, TODAY)
    assert first.cells


def _spring_2025_contacts() -> list[dict]:
    """120 online contacts of 30 people in April and May 2025."""
    return [{"contact_date": (dt.date(2025, 4, 1) + dt.timedelta(days=i % 60)).isoformat(),
             "client_code": f"QZ{i % 30:02d}K", "contact_mode": "online"} for i in range(120)]


def test_a_load_on_the_command_line_prepares_the_external_view_and_releases_nothing(tmp_path, monkeypatch):
    """`etl load` builds the tables the External view opens on (this year to date and the year
    before) once the data is in, so its first reader does not wait for the audit; nothing is
    recorded in the ledger until a reader is given a table, and what it is given is what a build
    on the spot gives."""
    import subprocess
    import sys

    import time_machine

    from clock import KAMLOOPS, faked_env
    from conftest import ROOT
    from helpers import copy_db
    from shop import ledger
    day = dt.date(2025, 6, 20)  # FY2025-26 has two whole months; FY2024-25 is over
    folder = outreach(tmp_path, "logs", 400)
    rows = _spring_2025_contacts()
    write_rows(folder / "outreach_this_year.csv", "outreach", rows)
    old = [{"contact_date": f"2023-05-{1 + i % 28:02d}", "client_code": f"QZ{i % 25:02d}K", "contact_mode": "street"}
           for i in range(60)]
    write_rows(folder / "outreach_2023.csv", "outreach", old)  # the review compares May 2025 with May 2023 too
    db = tmp_path / "shop.duckdb"
    with time_machine.travel(dt.datetime(2025, 6, 20, 11, 0, tzinfo=KAMLOOPS), tick=True):
        skipped = tmp_path / "skipped.duckdb"   # SHOP_PREPARE_EXTERNAL=0 (the tests' default): a load alone
        out = subprocess.run([sys.executable, "-m", "etl", "load", str(folder), "--db", str(skipped)], cwd=ROOT,
                             capture_output=True, text=True, timeout=300, env=faked_env())
        assert out.returncode == 0 and "prepared" not in out.stdout and not release_cache.folder(skipped).exists()
        monkeypatch.setenv("SHOP_PREPARE_EXTERNAL", "1")
        out = subprocess.run([sys.executable, "-m", "etl", "load", str(folder), "--db", str(db)], cwd=ROOT,
                             capture_output=True, text=True, timeout=300, env=faked_env())
        assert out.returncode == 0, out.stdout + out.stderr
        assert "External view prepared for FY2025-26, FY2024-25, FY2023-24 in " in out.stdout, out.stdout
        assert len(list(release_cache.folder(db).glob("*.json"))) == 3
        assert ledger.entries(db) == []                       # prepared, not released
        cold = tmp_path / "cold" / "shop.duckdb"
        cold.parent.mkdir()
        copy_db(db, cold)
        __import__("shutil").rmtree(release_cache.folder(cold))
        builds = []
        fresh_process(monkeypatch, builds)
        given = {fy: release.year(fy, db, day) for fy in (2025, 2024)}
        from metrics import review
        ext = review.view(review.build(db, day), True)        # the External review: May 2025, ..., May 2023
        assert [c for c in ext["compare"]["columns"] if c.startswith("May")] == ["May 2025", "May 2024", "May 2023"]
        assert builds == []                                   # every reader was given the prepared tables
        assert ledger.entries(db) != []                       # and only now are they recorded
        release._CACHE.clear()
        assert {fy: release.year(fy, cold, day) for fy in (2025, 2024)} == given
        assert len(builds) == 2                               # built on the spot: the same tables


def test_etl_prepare_builds_what_a_load_would_and_again_after_an_upgrade_of_the_engine(tmp_path, monkeypatch, capsys):
    """A database loaded without preparing (SHOP_PREPARE_EXTERNAL=0, the tests' default), or one
    whose tables were prepared by an older version of the engine (they are kept per version of its
    code): `etl prepare` builds them, as a load would, releasing nothing; asked again, it builds
    nothing. A database that is not there is one line and exit 1."""
    import time_machine

    from clock import KAMLOOPS
    from cli import main
    from shop import ledger
    db = tmp_path / "shop.duckdb"
    rows = _spring_2025_contacts()
    load([write_rows(tmp_path / "logs" / "outreach.csv", "outreach", rows)], db, say=lambda *_: None)
    assert not release_cache.folder(db).exists()
    with time_machine.travel(dt.datetime(2025, 6, 20, 11, 0, tzinfo=KAMLOOPS), tick=True):
        capsys.readouterr()
        assert main(["prepare", "--db", str(db)]) == 0
        assert "External view prepared for FY2025-26, FY2024-25 in " in capsys.readouterr().out
        assert len(list(release_cache.folder(db).glob("*.json"))) == 2 and ledger.entries(db) == []
        assert main(["prepare", "--db", str(db)]) == 0
        assert "already prepared" in capsys.readouterr().out
        assert len(list(release_cache.folder(db).glob("*.json"))) == 2
        monkeypatch.setattr(release_cache, "CODE", "another-version")   # the program upgraded
        release._CACHE.clear()
        assert main(["prepare", "--db", str(db)]) == 0
        assert "External view prepared for FY2025-26, FY2024-25 in " in capsys.readouterr().out
        assert len(list(release_cache.folder(db).glob("*.json"))) == 4 and ledger.entries(db) == []
    assert main(["prepare", "--db", str(tmp_path / "none.duckdb")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no database" in err and "Traceback" not in err
