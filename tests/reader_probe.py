"""Which tests would read a CSV differently with DuckDB's reader forced (SHOP_FAST_CSV_BYTES=0).

`make test` runs the suite once with $SHOP_READER_TESTS_FILE set (and $SHOP_READER_MODULES, the
loader's test files to consider): every CSV under the size limit
is then also offered to etl.read's fast path (its answer thrown away, so the slow path still reads
it, as without the probe). A test whose own code or fixtures read a CSV the fast path would take,
or that starts `python -m etl ...` (whose reads the probe cannot see), is written to that file;
the second pass runs those tests again with the DuckDB reader forced. A test whose CSVs the fast
path refuses, or that reads none, would run the same code twice: it is not listed. The demo
database (conftest's demo_on, shared by the whole session) is loaded by the slow path only.
"""
from __future__ import annotations

import contextlib
import os
import subprocess

import pytest

FILE = os.environ.get("SHOP_READER_TESTS_FILE")
MODULES = set(os.environ.get("SHOP_READER_MODULES", "").split())
_where: list[str] = []          # what is running: a test's node id, or fixture names inside it
_fixtures: set[str] = set()     # fixtures that read a CSV the readers treat differently
_tests: set[str] = set()
_quiet = [0]                    # inside the demo's shared build


@contextlib.contextmanager
def quiet():
    """Reads here are not the tests' own (conftest's demo, built once for everyone)."""
    _quiet[0] += 1
    try:
        yield
    finally:
        _quiet[0] -= 1


def _hit():
    if _quiet[0] or not _where:
        return
    if _where[-1].startswith("fixture:"):
        _fixtures.add(_where[-1].removeprefix("fixture:"))
    else:
        _tests.add(_where[-1])


def pytest_configure(config):
    if not FILE:
        return
    from etl import read
    real_fast, real_bytes = read._fast_csv, read.fast_csv_bytes

    def probe_fast(path, name, data, *args):
        fast = real_fast(path, name, data, *args)
        if len(data) >= real_bytes():
            return fast                     # the real decision, unchanged
        if fast is not None:
            _hit()
        return None                         # small: the slow path reads it, as without the probe

    read._fast_csv, read.fast_csv_bytes = probe_fast, lambda: 0
    real_init = subprocess.Popen.__init__

    def probe_popen(self, args, *a, **k):
        argv = [str(x) for x in (args if isinstance(args, (list, tuple)) else [args])]
        if "etl" in argv or any(x.startswith("etl") for x in argv[1:3]):
            _hit()
        real_init(self, args, *a, **k)

    subprocess.Popen.__init__ = probe_popen


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    if not FILE:
        yield
        return
    _where.append(f"fixture:{fixturedef.argname}")
    try:
        yield
    finally:
        _where.pop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not FILE:
        yield
        return
    _where.append(item.nodeid)
    try:
        yield
    finally:
        _where.pop()
        mine = not MODULES or item.nodeid.split("::")[0] in MODULES
        if mine and (item.nodeid in _tests or _fixtures.intersection(item.fixturenames)):
            with open(FILE, "a", encoding="utf-8") as fh:  # one line per write: workers may share the file
                fh.write(item.nodeid + "\n")
