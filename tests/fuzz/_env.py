"""The environment the fuzzers give the engine, set up on import (before the engine is imported):
the engine's checkout (ENGINE=/path/to/a/git-archive-copy, else this one) first on sys.path, then
tests/ (the tests' helpers and attackers), the tests' environment (tests/conftest.py:
_isolated_env, the session key) and a temporary working folder removed at exit."""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

MAIN = Path(__file__).resolve().parents[2]   # the checkout
ENGINE = os.environ.get("ENGINE") or str(MAIN)
TESTS = MAIN / "tests"

# the engine first (metrics, shop, etl), then the tests' helpers and attackers
for p in (str(TESTS), ENGINE):
    if p in sys.path:
        sys.path.remove(p)
sys.path[:0] = [ENGINE, str(TESTS)]

# the environment the tests give the engine (tests/conftest.py: _isolated_env, the session key)
TEST_KEY = "test-key-not-secret-0123456789abcdef"
for var in ("SHOP_DB", "SHOP_SUPPRESS_K", "SHOP_FISCAL_START_MONTH", "SHOP_SUITE_UNITS", "SHOP_MAX_FILE_MB",
            "SHOP_TIMEZONE"):
    os.environ.pop(var, None)
os.environ["SHOP_HASH_KEY"] = TEST_KEY
os.environ["SHOP_PREPARE_EXTERNAL"] = "0"
os.environ["SHOP_CHECK_ROWS"] = os.environ.get("FUZZ_CHECK_ROWS", "1")

WORK = tempfile.mkdtemp(prefix="fuzz-")
os.chdir(WORK)
atexit.register(shutil.rmtree, WORK, True)

