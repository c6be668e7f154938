"""The dashboard's reads of one moment share one read-only connection (shop.store.shared_reader):
a page opens the file once, a file a load swapped in is read at once, and neither a write of this
process nor one of another program is kept waiting by it."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import time

import pytest

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from etl.load import add_annotation, load
from shop import store
from helpers import copy_db, good_row, write_rows
from metrics import db as mdb


def _outreach_db(tmp_path, n: int, name: str = "shop.duckdb"):
    f = write_rows(tmp_path / f"outreach_{n}.csv", "outreach", [good_row("outreach", i) for i in range(n)])
    path = tmp_path / name
    outcomes = load([f], path, say=lambda *_: None)
    assert [o.status for o in outcomes] == ["loaded"]
    return path


def _count(path) -> int:
    return int(mdb.query("select count(*) as n from core.outreach", None, path)["n"][0])


def test_a_pages_reads_open_the_file_once(demo_db, tmp_path, monkeypatch):
    path = tmp_path / "shop.duckdb"
    copy_db(demo_db, path)
    shutil.copyfile(f"{demo_db}.key", f"{path}.key") if os.path.exists(f"{demo_db}.key") else None
    monkeypatch.setattr(store, "SHARED_IDLE_S", 30.0)  # the sharing itself, whatever the machine's pace
    opened = []
    real = store._open_read_only
    monkeypatch.setattr(store, "_open_read_only", lambda db, tries=20: opened.append(db) or real(db, tries))
    store.close_shared(path)
    at = AppTest.from_file(str(ROOT / "pages" / "outreach.py"), default_timeout=60)
    at.session_state["audience"] = "Staff"
    monkeypatch.setenv("SHOP_DB", str(path))
    at.run()
    assert not at.exception
    assert at.metric, "the page drew its figures"
    assert len(opened) == 1, f"the page opened the database {len(opened)} times"
    store.close_shared(path)


def test_a_file_swapped_in_by_a_load_is_read_at_once(tmp_path, monkeypatch):
    """The dashboard's reader is open (as on a busy dashboard, it never idles) when the load
    command, another program, swaps a new file in: the next read reads the new file."""
    monkeypatch.setattr(store, "SHARED_IDLE_S", 30.0)
    path = _outreach_db(tmp_path, 5)
    assert _count(path) == 5
    more = write_rows(tmp_path / "outreach_more.csv", "outreach", [good_row("outreach", 100 + i) for i in range(3)])
    p = subprocess.run([sys.executable, "-m", "etl", "load", str(more), "--db", str(path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert _count(path) == 8
    store.close_shared(path)


def test_a_write_of_this_process_does_not_wait_for_its_own_reader(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "SHARED_IDLE_S", 30.0)
    path = _outreach_db(tmp_path, 5)
    assert _count(path) == 5
    t = time.perf_counter()
    ok, msg = add_annotation(path, dt.date(2025, 1, 6), None, "outreach", "Van off the road for a week")
    assert ok, msg
    assert time.perf_counter() - t < 5, "the note waited for this process's idle reader"
    notes = mdb.query("select count(*) as n from core.annotations", None, path)["n"][0]
    assert notes == 1, "the next read sees the note"
    store.close_shared(path)


def test_another_programs_write_is_not_kept_waiting_by_an_idle_reader(tmp_path):
    path = _outreach_db(tmp_path, 5)
    assert _count(path) == 5  # the shared connection is open now, and left idle
    writer = subprocess.run([sys.executable, "-c", (
        "import datetime as dt, sys, time; from pathlib import Path; from etl.load import add_annotation; "
        "t = time.perf_counter(); ok, msg = add_annotation(Path(sys.argv[1]), dt.date(2025, 1, 6), None, "
        "'outreach', 'Van off the road', wait_s=5); print(ok, round(time.perf_counter() - t, 2), msg)"),
        str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert writer.returncode == 0, writer.stderr[-2000:]
    ok, took = writer.stdout.split()[:2]
    assert ok == "True", writer.stdout
    assert float(took) < 10, f"the other program's note waited {took} s for an idle reader"
    assert mdb.query("select count(*) as n from core.annotations", None, path)["n"][0] == 1


def test_a_plain_read_after_a_swap_reads_the_new_file_not_the_shared_ones(tmp_path, monkeypatch):
    """DuckDB hands a new connection the instance of any connection to the same path still open:
    read_only (the commands' reads, the load's own checks) closes an idle shared one first."""
    monkeypatch.setattr(store, "SHARED_IDLE_S", 30.0)
    path = _outreach_db(tmp_path, 5)
    other = _outreach_db(tmp_path, 7, "other.duckdb")
    assert _count(path) == 5  # shared connection open on the first file
    os.replace(other, path)   # as a restore or a load swaps a file in
    with store.read_only(path) as con:
        assert con.execute("select count(*) from core.outreach").fetchone()[0] == 7
    store.close_shared(path)


def test_a_process_that_ends_just_as_its_reader_idles_out_exits_cleanly(tmp_path):
    """An idle timer closing DuckDB while the interpreter shuts down aborted the process ('terminate
    called after throwing'): a command's exit code must not depend on when it read last."""
    path = _outreach_db(tmp_path, 5)
    script = ("import sys, time; from metrics import db; "
              "db.query('select count(*) from core.outreach', None, sys.argv[1]); time.sleep(float(sys.argv[2]))")
    for delay in (0.245, 0.248, 0.25, 0.2505, 0.251, 0.252, 0.249, 0.2495, 0.253, 0.247):
        p = subprocess.run([sys.executable, "-c", script, str(path), str(delay)], cwd=ROOT, capture_output=True,
                           text=True, timeout=60, env=dict(os.environ))
        assert p.returncode == 0 and "terminate" not in p.stderr, (delay, p.returncode, p.stderr[-300:])


def test_a_page_read_during_a_note_of_the_same_process_waits_instead_of_calling_the_file_damaged(tmp_path):
    import threading
    path = _outreach_db(tmp_path, 5)
    started, done = threading.Event(), threading.Event()

    def note():
        with store.load_lock(path, say=lambda *_: None), store.in_place(path) as con:
            con.execute("select count(*) from core.outreach").fetchall()  # the file is open for writing
            started.set()
            time.sleep(0.6)
        done.set()

    t = threading.Thread(target=note)
    t.start()
    started.wait(10)
    assert _count(path) == 5, "the read waited for the write and then read"
    t.join(10)
    assert done.is_set()
    store.close_shared(path)


def _load_more(tmp_path, path):
    """The load command, another program, swaps a new file in with three more contacts."""
    more = write_rows(tmp_path / "outreach_more.csv", "outreach", [good_row("outreach", 100 + i) for i in range(3)])
    p = subprocess.run([sys.executable, "-m", "etl", "load", str(more), "--db", str(path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]


@contextlib.contextmanager
def _a_read_held(path):
    """Another thread reads the 5 rows and holds its read until the block ends."""
    import threading
    holding, done = threading.Event(), threading.Event()

    def long_read():
        with store.shared_reader(path) as cur:
            assert cur.execute("select count(*) from core.outreach").fetchone()[0] == 5
            holding.set()
            done.wait(60)
    first = threading.Thread(target=long_read)
    first.start()
    try:
        assert holding.wait(60)
        yield
    finally:
        done.set()
        first.join(60)


@contextlib.contextmanager
def _a_read_held_across_a_load(tmp_path, path):
    """_a_read_held, while a load swaps in 3 more rows."""
    with _a_read_held(path):
        _load_more(tmp_path, path)
        yield


def test_a_read_after_a_swap_waits_for_the_reads_still_on_the_old_file_and_reads_the_new(tmp_path, monkeypatch):
    """A page (or the background review) is still reading when a load swaps a new file in: a read
    that starts then would be handed the old file while the dashboard keys what it reads by the
    new file's version, and keep the old figures as the new. It waits for that read, then reads
    the new file."""
    import threading
    monkeypatch.setattr(store, "SHARED_IDLE_S", 30.0)
    path = _outreach_db(tmp_path, 5)
    got = []
    with _a_read_held_across_a_load(tmp_path, path):
        second = threading.Thread(target=lambda: got.append(_count(path)))
        second.start()
        second.join(1.0)
        assert got == [], "a read was handed the replaced file while another read still held it"
    second.join(60)
    assert got == [8]
    store.close_shared(path)


def test_a_read_that_waits_in_vain_for_the_old_file_s_reads_is_refused_not_handed_the_old_file(tmp_path, monkeypatch):
    """A read still on the replaced file past the wait: the next read is refused with a plain
    message (the page says so, and keeps nothing), never handed the old file to be kept as the new.
    Once that read ends, the new file is read."""
    monkeypatch.setattr(store, "SHARED_IDLE_S", 30.0)
    monkeypatch.setattr(store, "STALE_WAIT_S", 0.5)
    path = _outreach_db(tmp_path, 5)
    with _a_read_held_across_a_load(tmp_path, path):
        with pytest.raises(store.Busy) as refused:
            _count(path)
        assert str(path) not in refused.value.staff_text and "try again" in refused.value.staff_text
    assert _count(path) == 8
    store.close_shared(path)


def test_a_read_after_another_read_s_fault_on_an_unchanged_file_is_not_refused(tmp_path, monkeypatch):
    """A read that failed (a fault it met) leaves the connection without a version while another
    thread still reads: the next read, past the wait, reads the unchanged file; it is not told a
    load has just finished."""
    monkeypatch.setattr(store, "SHARED_IDLE_S", 30.0)
    monkeypatch.setattr(store, "STALE_WAIT_S", 0.3)
    path = _outreach_db(tmp_path, 5)
    with _a_read_held(path):
        with pytest.raises(store.Damaged):
            with store.shared_reader(path):
                raise store.Damaged("damaged (injected)", "damaged (injected)")
        assert _count(path) == 5
    store.close_shared(path)


def test_a_read_after_a_fault_met_on_the_replaced_file_is_refused_not_handed_the_old_file(tmp_path, monkeypatch):
    """A read of the old file meets a fault after a load swapped a new file in, while another
    read still holds the old one: the connection is still on the old file, so the next read past
    the wait is refused as after any load (a fault does not make the old file the new one); once
    the long read ends, the new file is read."""
    monkeypatch.setattr(store, "SHARED_IDLE_S", 30.0)
    monkeypatch.setattr(store, "STALE_WAIT_S", 0.3)
    path = _outreach_db(tmp_path, 5)
    with _a_read_held(path):
        with pytest.raises(store.Damaged):
            with store.shared_reader(path) as cur:
                assert cur.execute("select count(*) from core.outreach").fetchone()[0] == 5
                _load_more(tmp_path, path)
                raise store.Damaged("damaged (injected)", "damaged (injected)")
        with pytest.raises(store.Busy):
            _count(path)
    assert _count(path) == 8
    store.close_shared(path)


def test_a_read_inside_a_read_of_the_same_thread_does_not_wait_for_itself(tmp_path, monkeypatch):
    """Within one piece of work the file read is the one it started on, and a nested read does not
    wait for the outer one to end (it never would)."""
    monkeypatch.setattr(store, "SHARED_IDLE_S", 30.0)
    monkeypatch.setattr(store, "STALE_WAIT_S", 20.0)
    path = _outreach_db(tmp_path, 5)
    with store.shared_reader(path) as cur:
        assert cur.execute("select count(*) from core.outreach").fetchone()[0] == 5
        _load_more(tmp_path, path)
        t = time.monotonic()
        assert _count(path) == 5                       # the outer read's file, at once
        assert time.monotonic() - t < 10.0
    assert _count(path) == 8                           # the next piece of work: the new file
    store.close_shared(path)
