"""Starting the dashboard for browser tests: one way, shared by the browser and sign-in tests."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from clock import faked_env
from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_app(db, *args, port: int | None = None, env_extra=None):
    """Run dashboard.py on `port` (or a free one) with SHOP_DB=db, its clock at the test's (libfaketime);
    yields the port once healthy."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the CI script does)")
    port = port or free_port()
    env = faked_env(dict(os.environ, SHOP_DB=str(db), **(env_extra or {})))
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
                             "--server.headless", "true", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.25)
    else:
        proc.kill()
        pytest.fail("the dashboard did not start: " + proc.stdout.read().decode()[-3000:])
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def app_with_token(db):
    """The dashboard on loopback, as (url, install token): the staff view there needs the token,
    as `make run` prints it in its link."""
    from ui import access
    with streamlit_app(db, "--server.address", "127.0.0.1") as port:
        yield f"http://127.0.0.1:{port}", access.install_token(db)
