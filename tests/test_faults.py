"""Faults on purpose, as an operator meets them: a damaged database, a full disk, another
user's files, a server in another time zone, a C locale, a path with spaces. Each is said in
one line (or one message on every page), loses nothing, and leaves nothing behind."""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from clock import faked_env
from conftest import ROOT, TEST_KEY
from cli import main
from etl.load import load
from shop import periods, settings, store
from helpers import copy_db, good_row, write_rows
from metrics import indicators
from test_store import DAMAGE, damage
from ui.frame import EXTERNAL, STAFF

QUIET = dict(say=lambda *_: None)
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name != "audit.py")


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def live(tmp_path, demo_db):
    """A copy of the demo database with one good backup beside it."""
    db = tmp_path / "shop.duckdb"
    copy_db(demo_db, db)
    assert main(["backup", "--db", str(db)]) == 0
    return db


def _cli(args, env_extra=None, **kw):
    env = dict(os.environ, SHOP_HASH_KEY=TEST_KEY, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, capture_output=True,
                          env=faked_env(env), timeout=120, **kw)


# ------------------------------------------------------------------ a damaged database

@pytest.mark.parametrize("how", DAMAGE)
def test_every_command_says_damage_in_one_line_with_the_backup_to_restore(live, tmp_path, how, capsys):
    good = next(store.backups_dir(live).iterdir())
    damage(live, how)
    f = write_rows(tmp_path / "in" / "education_x.csv", "education", [good_row("education", 1)])
    for args in (["status"], ["summary", "--fy", "FY2024-25"], ["load", str(f)], ["backup"], ["migrate"],
                 ["export", "--fy", "FY2024-25", "--format", "csv", "--out", str(tmp_path / "out")]):
        capsys.readouterr()
        assert main([*args, "--db", str(live)]) == 1, args
        out = capsys.readouterr()
        lines = [line for line in out.err.splitlines() if line.strip()]
        assert len(lines) == 1, (args, out.err)
        assert "damaged" in lines[0] and f"python -m etl restore {good}" in lines[0], (args, lines[0])
        assert "Traceback" not in out.out + out.err
    assert store.leftovers(live) == []


@pytest.mark.parametrize("how", ["empty", "flipped"])
@pytest.mark.parametrize("audience", [EXTERNAL, STAFF])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_the_database_is_damaged_without_a_path(live, page, audience, how):
    good = next(store.backups_dir(live).iterdir())
    damage(live, how)
    os.environ["SHOP_DB"] = str(live)
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    at.session_state["audience"] = audience
    at.run()
    assert not at.exception, at.exception
    said = " ".join(e.value for e in at.error)
    if audience == STAFF:
        assert "damaged" in said and good.name in said and "python -m etl restore" in said
    else:
        assert "unavailable" in said and "damaged" not in said
    shown = " ".join(str(e.value) for kind in (at.error, at.warning, at.info, at.markdown, at.caption)
                     for e in kind)
    assert str(live.parent) not in shown and "/tmp" not in shown


def test_the_dashboard_says_damage_found_by_a_query_deep_in_the_file(live, monkeypatch):
    """A bad block found only when a page reads it (not when the file opens) is one line too."""
    import duckdb
    real = duckdb.DuckDBPyConnection.execute

    def execute(self, sql, *a, **k):
        if "core." in str(sql):
            raise duckdb.Error("Corrupt database file: computed checksum 1 does not match stored checksum 2")
        return real(self, sql, *a, **k)
    monkeypatch.setattr(duckdb.DuckDBPyConnection, "execute", execute)
    os.environ["SHOP_DB"] = str(live)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["audience"] = STAFF
    at.run()
    assert not at.exception, at.exception
    assert any("damaged" in e.value for e in at.error)


@pytest.mark.parametrize("refused_read", [0, 1, 2])
def test_a_load_between_the_dashboard_s_reads_is_one_line_never_an_exception(demo_db, tmp_path, monkeypatch,
                                                                              refused_read):
    """A load swaps a new file in between two reads of one run while a long read holds the old
    file: the read after it is refused (Busy). Whichever read that is, the sidebar's or the page's,
    the viewer gets the one line, not an exception (the sidebar once read the status a second time,
    outside its check)."""
    import itertools

    from metrics import db as mdb, quality
    db = tmp_path / "shop.duckdb"
    copy_db(demo_db, db)
    real_status, calls = quality.status, itertools.count()

    def status(path):
        if next(calls) == refused_read:
            raise store.Busy("busy (test)", "A load has just finished: try again in a moment for its figures.")
        return real_status(path)
    versions = itertools.count()
    real_version = mdb.version
    monkeypatch.setattr(quality, "status", status)
    monkeypatch.setattr(mdb, "version", lambda path=None: f"{real_version(path)}-{next(versions)}")  # a load each time
    monkeypatch.setenv("SHOP_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    assert next(calls) > refused_read, "the refused read was never made"
    assert any("try again" in e.value or "unavailable" in e.value for e in at.error), [e.value for e in at.error]


def test_the_whole_fault_tour_leaves_the_figures_as_they_were(live, tmp_path):
    """Backups of a damaged file, loads into it, a restore: figures before = figures after."""
    p = periods.fiscal_year(periods.fy_start_year(settings.today()) - 1)
    before = indicators.compute(p, live)
    for _ in range(3):
        assert main(["backup", "--db", str(live), "--keep", "3"]) == 0
    damage(live, "flipped")
    for _ in range(4):
        assert main(["backup", "--db", str(live), "--keep", "3"]) == 1
    f = write_rows(tmp_path / "in" / "education_late.csv", "education", [good_row("education", 1)])
    assert main(["load", str(f), "--db", str(live)]) == 1
    newest = store.newest_good_backup(live)
    assert newest is not None
    assert main(["restore", str(newest), "--db", str(live)]) == 0
    assert indicators.compute(p, live) == before
    assert len(list(store.backups_dir(live).glob("*-backup.duckdb"))) == 3
    assert len(list(store.backups_dir(live).glob("*-before-restore.duckdb"))) == 1
    assert store.leftovers(live) == []


# ------------------------------------------------------------------ a full disk

def _limit_file_size(n: int):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG), no signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
    return pre


@pytest.mark.parametrize("command", ["load", "backup", "restore"])
def test_a_write_that_runs_out_of_room_says_so_and_leaves_nothing(live, tmp_path, command):
    """A size limit stands in for a full disk at the worst moment: after the free-space check."""
    good = next(store.backups_dir(live).iterdir())
    f = write_rows(tmp_path / "in" / "education_x.csv", "education", [good_row("education", 1)])
    args = {"load": ["load", str(f)], "backup": ["backup"], "restore": ["restore", str(good)]}[command]
    before, backups = digest(live), sorted(store.backups_dir(live).iterdir())
    out = _cli([*args, "--db", str(live)], preexec_fn=_limit_file_size(live.stat().st_size // 2))
    err = out.stderr.decode()
    assert out.returncode == 1 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "not enough free disk space" in err, err
    assert digest(live) == before
    assert store.leftovers(live) == []
    after = sorted(store.backups_dir(live).iterdir())
    assert [p for p in after if p not in backups and "before-restore" not in p.name] == []
    assert all(p.suffix == ".duckdb" for p in after)


@contextlib.contextmanager
def tmpfs(size: str):
    where = Path(tempfile.mkdtemp(prefix="shop-tmpfs-"))
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs for a real full disk here ({done.stderr.strip()})")
        try:
            yield where
        finally:
            subprocess.run(["umount", "-l", str(where)], check=False)
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_a_load_checks_free_space_first_on_a_real_full_disk(demo_db, tmp_path):
    size = demo_db.stat().st_size
    with tmpfs(f"{(3 * size) // 1024 + 512}k") as disk:
        db = disk / "shop.duckdb"
        copy_db(demo_db, db)
        p = periods.fiscal_year(periods.fy_start_year(settings.today()) - 1)
        figures = indicators.compute(p, db)
        filler = disk / "filler"
        free = shutil.disk_usage(disk).free
        filler.write_bytes(b"\0" * (free - int(1.5 * size)))  # room for a copy, not for a load
        before = digest(db)
        f = write_rows(tmp_path / "education_x.csv", "education", [good_row("education", 1)])
        with pytest.raises(store.NoSpace, match="needs about") as info:
            load([f], db, **QUIET)
        assert "twice the database" in str(info.value)
        assert digest(db) == before and store.leftovers(db) == []
        filler.unlink()
        load([f], db, **QUIET)
        assert indicators.compute(p, db) == figures  # the new row is outside that year


# ------------------------------------------------------------------ another user's files

NOBODY = 65534


def _as_nobody(code: str, env_extra=None):
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("acting as another user needs root and setpriv (util-linux)")
    env = dict(os.environ, SHOP_HASH_KEY=TEST_KEY, PYTHONPATH=str(ROOT), **(env_extra or {}))
    # The checkout may be an owner-only folder (`mktemp -d`): `nobody` needs to pass through the
    # folders above it and to list it (imports do), for this call only.
    opened = []
    for folder, need in [*((f, stat.S_IXOTH) for f in ROOT.parents), (ROOT, stat.S_IXOTH | stat.S_IROTH)]:
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & need != need:
            os.chmod(folder, mode | need)
            opened.append((folder, mode))
    try:
        return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                               sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
                              timeout=120)
    finally:
        for folder, mode in reversed(opened):
            os.chmod(folder, mode)


@pytest.fixture
def shared(demo_db):
    """A folder others can enter, holding root's owner-only database."""
    folder = Path(tempfile.mkdtemp(prefix="shop-perm-"))
    os.chmod(folder, 0o755)
    db = folder / "shop.duckdb"
    copy_db(demo_db, db)
    os.chmod(db, 0o600)
    yield db
    shutil.rmtree(folder, ignore_errors=True)


COUNT_CONNECTS = """
import duckdb, sys
calls = []
real = duckdb.connect
duckdb.connect = lambda *a, **k: (calls.append(1), real(*a, **k))[1]
"""


def test_a_database_owned_by_another_user_is_said_at_once(shared):
    out = _as_nobody(COUNT_CONNECTS + f"""
from cli import main
code = main(["status", "--db", {str(shared)!r}])
from metrics import db
try:
    with db.connect({str(shared)!r}):
        pass
except db.NoAccess as exc:
    print("PAGE:", exc.for_page(True))
print("CONNECTS:", len(calls), "CODE:", code)
""")
    assert "Traceback" not in out.stderr, out.stderr
    err = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(err) == 1 and "permission denied" in err[0], out.stderr
    assert "belongs to root" in err[0] and "mode 0600" in err[0] and "runs as nobody" in err[0]
    assert "busy" not in err[0] and "not a readable" not in err[0]
    page = next(line for line in out.stdout.splitlines() if line.startswith("PAGE:"))
    assert "permission denied" in page and str(shared.parent) not in page
    assert "CONNECTS: 2 CODE: 1" in out.stdout  # one try each, not twenty "busy" retries


def test_a_lock_file_owned_by_another_user_is_said_at_once(shared, tmp_path):
    os.chmod(shared.parent, 0o777)
    os.chmod(shared, 0o666)
    lock = Path(str(shared) + ".lock")
    lock.touch(mode=0o600)
    os.chmod(lock, 0o600)
    f = write_rows(shared.parent / "in" / "education_x.csv", "education", [good_row("education", 1)])
    os.chmod(f.parent, 0o755)
    os.chmod(f, 0o644)
    before = digest(shared)
    out = _as_nobody(f"from cli import main; raise SystemExit(main(['load', {str(f)!r}, '--db', "
                     f"{str(shared)!r}]))")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    err = out.stderr.strip()
    assert "permission denied" in err and str(lock) in err and "belongs to root" in err and "nobody" in err, err
    assert digest(shared) == before


def test_the_audit_log_in_a_read_only_folder_is_not_retried(shared):
    out = _as_nobody(COUNT_CONNECTS + f"""
from metrics import audit
try:
    audit.record("someone@example.org", "staff", "page_view", "overview", database={str(shared)!r})
except audit.AuditError as exc:  # fails closed (issue 14), at once: the caller refuses the view
    print("REFUSED:", exc)
print("CONNECTS:", len(calls))
""")
    assert "CONNECTS: 1" in out.stdout, out.stdout + out.stderr
    assert "REFUSED: the audit log" in out.stdout, out.stdout


# ------------------------------------------------------------------ the Reports page's forms

def _reports(db, audience=STAFF):
    os.environ["SHOP_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "pages" / "reports.py"), default_timeout=90)
    at.session_state["audience"] = audience
    at.run()
    assert not at.exception, at.exception
    return at


def _submit(at, form: str):
    if form == "freeze":
        at.text_input[0].input("Grant report (test)")
        [b for b in at.button if b.label == "Freeze as submitted"][0].click()
    else:
        [t for t in at.text_input if t.label == "Note"][0].input("Safe Suite closed for repairs")
        [b for b in at.button if b.label == "Add the note"][0].click()
    return at.run()


@pytest.mark.parametrize("form", ["freeze", "note"])
def test_a_reports_form_during_a_load_says_so_after_a_short_wait(live, form):
    at = _reports(live)
    before = digest(live)
    started = time.monotonic()
    with store.load_lock(live, **QUIET):
        at = _submit(at, form)
    waited = time.monotonic() - started
    assert not at.exception, at.exception
    said = " ".join(e.value for e in at.error)
    assert "a load or a backup is running" in said, said
    assert waited < 60  # SHOP_LOCK_WAIT's two minutes are for the command line, not a form
    assert digest(live) == before


@pytest.mark.parametrize("form", ["freeze", "note"])
def test_a_reports_form_on_a_full_disk_says_so(live, form):
    at = _reports(live)
    before = digest(live)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (live.stat().st_size // 2, hard))  # Python ignores SIGXFSZ
    try:
        at = _submit(at, form)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert not at.exception, at.exception
    said = " ".join(e.value for e in at.error)
    assert "Not enough free disk space" in said and "/tmp" not in said, said
    assert digest(live) == before and store.leftovers(live) == []


# ------------------------------------------------------------------ SHOP_TIMEZONE

def _at(monkeypatch, utc: str, tz: str | None, time_machine):
    """Move the clock to `utc` (ISO, UTC), stopped there (time-machine's fixture), and the server's
    own zone to `tz`."""
    time_machine.move_to(dt.datetime.fromisoformat(utc).replace(tzinfo=dt.timezone.utc), tick=False)
    if tz:
        monkeypatch.setenv("TZ", tz)
        time.tzset()


@pytest.fixture(autouse=True)
def _server_zone_back():
    yield
    time.tzset()


def test_today_is_kamloops_today_whatever_the_server_zone(monkeypatch, time_machine):
    _at(monkeypatch, "2026-04-01T00:30:00", "UTC", time_machine)  # 17:30 on 31 March in Kamloops
    assert settings.today() == dt.date(2026, 3, 31)
    assert settings.now() == dt.datetime(2026, 3, 31, 17, 30)
    monkeypatch.setenv("SHOP_TIMEZONE", "UTC")
    assert settings.today() == dt.date(2026, 4, 1)
    monkeypatch.setenv("SHOP_TIMEZONE", "Kamloops")
    with pytest.raises(ValueError, match="SHOP_TIMEZONE='Kamloops'"):
        settings.today()


def test_a_server_in_honolulu_accepts_kamloops_today(tmp_path, monkeypatch, time_machine):
    _at(monkeypatch, "2026-04-01T08:00:00", "Pacific/Honolulu", time_machine)  # 01:00 1 April in Kamloops, 22:00 31 March there
    rows = [dict(good_row("education", i), session_date=d) for i, d in enumerate(["2026-04-01", "2026-04-02"])]
    f = write_rows(tmp_path / "education_apr.csv", "education", rows)
    [o] = load([f], tmp_path / "t.duckdb", **QUIET)
    assert o.rows_loaded == 1
    assert [(r, field, reason) for r, field, reason in o.rejects] == [(3, "session_date", "date is in the future")]


def test_the_fiscal_year_turns_over_at_midnight_in_kamloops(demo_db, monkeypatch, time_machine):
    _at(monkeypatch, "2026-04-01T00:30:00", "UTC", time_machine)
    os.environ["SHOP_DB"] = str(demo_db)
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=60)
    at.session_state["audience"] = STAFF
    at.run()
    assert not at.exception, at.exception
    frm, to = at.query_params["from"], at.query_params["to"]
    assert (frm if isinstance(frm, str) else frm[0]) == "2025-04-01"  # still FY2025-26 to date
    assert (to if isinstance(to, str) else to[0]) == "2026-03-31"


# ------------------------------------------------------------------ a C locale and accented names

def test_a_c_locale_loads_and_lists_accented_names(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    write_rows(folder / "outreach_été.csv", "outreach", [good_row("outreach", i) for i in range(3)])
    latin = os.path.join(os.fsencode(folder), b"education_f\xe9vrier.csv")  # a name from a Windows share
    shutil.copyfile(write_rows(tmp_path / "x" / "e.csv", "education", [good_row("education", 1)]), latin)
    big = os.path.join(os.fsencode(folder), b"referrals_d\xe9cembre.csv")  # large: DuckDB's own reader
    shutil.copyfile(write_rows(tmp_path / "x" / "r.csv", "referrals",
                               [good_row("referrals", i) for i in range(2500)]), big)
    assert os.path.getsize(big) > 64 * 1024
    db = tmp_path / "t.duckdb"
    c_locale = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": ""}
    out = _cli(["load", str(folder), "--db", str(db)], c_locale)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    text = out.stdout.decode("utf-8")
    for name in ("outreach_été.csv: loaded", "education_février.csv: loaded", "referrals_décembre.csv: loaded"):
        assert name in text, text
    out = _cli(["status", "--db", str(db)], c_locale)
    assert out.returncode == 0 and b"Traceback" not in out.stderr, out.stderr
    assert "outreach_été.csv" in out.stdout.decode("utf-8") and "education_février.csv" in out.stdout.decode()


# ------------------------------------------------------------------ a path with spaces and accents

def test_make_demo_into_a_folder_with_spaces_and_accents(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    target = tmp_path / "Données SHOP" / "new.duckdb"
    target.parent.mkdir()
    env = dict(os.environ, SHOP_HASH_KEY=TEST_KEY)
    env.pop("MAKEFLAGS", None)
    # the machine's clock here: make compares files' times with it (the demo needs no chosen day)
    out = subprocess.run(["make", "demo", f"DB={target}"], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert target.exists() and store.check(target)["batches"] > 0
