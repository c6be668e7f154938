"""The import picture is one-way: shop/ at the bottom; etl/ (writes) and metrics/ (reads) side by
side and apart; ui/, pages/, dashboard.py and the command line (cli.py) on top.

Every .py file of the project is read with ast (imports inside functions too, and
importlib.import_module / runpy with a literal name), never imported, so a file that cannot run
here is still checked. docs/developers.md draws the same picture in words.
"""
from __future__ import annotations

import ast
import os

import pytest

from conftest import ROOT

HOUSE = ("shop", "etl", "metrics", "ui", "pages", "dashboard", "cli")
# What each floor may import from the house (itself included). tests/, bench/ and deploy/ stand
# outside the house and may import any floor, but not the command line (the tests excepted: they
# call its `main` as `python -m etl` would).
ALLOWED = {
    "shop": {"shop"},
    "etl": {"shop", "etl"},
    "metrics": {"shop", "metrics"},
    "ui": {"shop", "metrics", "ui"},
    "pages": {"shop", "metrics", "ui"},
    "dashboard": {"shop", "metrics", "ui"},
    "cli": {"shop", "etl", "metrics", "cli"},
}
# The only imports across the rules, each with its reason. A test below fails when one is no
# longer made, so an exemption cannot outlive its need.
EXEMPT = {
    # `python -m etl` is the command line's documented name (users have it in their notes and
    # scripts); the commands themselves live in cli.py, above both sides, because half of them
    # read. This shim is the whole of the exception: it hands over to cli.main.
    ("etl/__main__.py", "cli"),
    # The reports page is where staff freeze a report and write a program note. Those are writes,
    # and a write goes through the load side's lock and checks, like a load.
    ("pages/reports.py", "etl.load"),
}


def floor(rel: str) -> str | None:
    """The floor of a file ('etl/load.py' -> 'etl'), or None for a file outside the house."""
    top = rel.split("/")[0]
    if top.endswith(".py"):
        top = top[:-3]
    return top if top in HOUSE else None


def package(rel: str) -> list[str]:
    """The package a relative import in this file starts from ('etl/load.py' -> ['etl'])."""
    return rel[:-3].split("/")[:-1]  # etl/__init__.py and etl/load.py alike: ['etl']


def imports(rel: str, source: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file's source, relative ones resolved."""
    out = []
    for node in ast.walk(ast.parse(source, rel)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package(rel)
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            # `from etl import load` imports the module etl.load: name it, so a rule can be exact
            out += [(node.lineno, f"{mod}.{a.name}" if a.name != "*" else mod) for a in node.names]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__",
                                             "runpy.run_module", "run_module")):
            out.append((node.lineno, node.args[0].value))
    return out


def violations(rel: str, source: str) -> list[str]:
    """What in one file breaks the picture, one line each (empty when it keeps to it)."""
    own = floor(rel)
    out = []
    for line, name in imports(rel, source):
        mod = ".".join(name.split(".")[:2])  # `from etl.store import a, b`: one line, etl.store
        top = mod.split(".")[0]
        if top not in HOUSE:
            continue  # the standard library, a package from PyPI, a test helper
        if any(rel == r and (name == x or name.startswith(x + ".")) for r, x in EXEMPT):
            continue
        if own is None:
            if top == "cli" and not rel.startswith("tests/"):
                out.append(f"{rel}:{line} imports {mod}: only `python -m etl` (etl/__main__.py) calls the command line")
        elif top not in ALLOWED[own]:
            out.append(f"{rel}:{line} imports {mod}: {own} may import only {', '.join(sorted(ALLOWED[own]))}")
    return list(dict.fromkeys(out))


def project_files() -> dict[str, str]:
    """Every .py file of the project (not the virtualenv, node_modules or hidden folders): path -> text."""
    files = {}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "__pycache__")]
        for name in filenames:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                files[os.path.relpath(path, ROOT).replace(os.sep, "/")] = open(path, encoding="utf-8").read()
    return files


FILES = project_files()


def test_every_floor_is_read():
    """The walk sees the house, so the picture test below cannot pass by reading nothing."""
    seen = {floor(rel) for rel in FILES}
    assert set(HOUSE) <= seen, set(HOUSE) - seen
    assert {"etl/__main__.py", "shop/store.py", "metrics/release.py", "tests/conftest.py"} <= set(FILES)
    assert len(FILES) > 100


def test_imports_point_down():
    found = [v for rel, source in sorted(FILES.items()) for v in violations(rel, source)]
    assert not found, "imports against the picture (docs/developers.md):\n" + "\n".join(found)


@pytest.mark.parametrize("rel, imported", sorted(EXEMPT))
def test_every_exemption_is_still_needed(rel, imported):
    mods = [mod for _, mod in imports(rel, FILES[rel])]
    assert any(mod == imported or mod.startswith(imported + ".") for mod in mods), \
        f"{rel} no longer imports {imported}: remove its exemption from EXEMPT"


@pytest.mark.parametrize("rel, source, broken", [
    ("shop/periods.py", "from metrics import release\n", "shop may import only shop"),
    ("shop/store.py", "def f():\n    from etl.load import load\n", "shop may import only shop"),
    ("shop/ledger.py", "import cli\n", "shop may import only shop"),
    ("etl/demo.py", "from metrics.periods import fy_label\n", "etl may import only etl, shop"),
    ("etl/backup.py", "def f():\n    from metrics import ledger\n", "etl may import only etl, shop"),
    ("etl/load.py", "from cli import main\n", "etl may import only etl, shop"),
    ("metrics/quality.py", "from etl.schema import SQL_DIR\n", "metrics may import only metrics, shop"),
    ("metrics/release.py", "def f():\n    from etl import privacy\n", "metrics may import only metrics, shop"),
    ("metrics/db.py", "import importlib\nimportlib.import_module('etl.store')\n", "metrics may import only"),
    ("ui/widgets.py", "from etl.schema import SCHEMA_VERSION\n", "ui may import only metrics, shop, ui"),
    ("pages/overview.py", "from etl.load import load\n", "pages may import only metrics, shop, ui"),
    ("pages/reports.py", "from etl.read import read\n", "pages may import only"),
    ("dashboard.py", "import etl\n", "dashboard may import only"),
    ("dashboard.py", "from cli import main\n", "dashboard may import only"),
    ("bench/run.py", "from cli import main\n", "only `python -m etl`"),
])
def test_a_forbidden_import_is_caught(rel, source, broken):
    """The checker itself, on a line that breaks the picture: it must say so, naming the file."""
    found = violations(rel, source)
    assert len(found) == 1 and found[0].startswith(rel + ":") and broken in found[0], found


@pytest.mark.parametrize("rel, source", [
    ("shop/store.py", "from . import schema\nfrom shop import settings\nimport duckdb\n"),
    ("etl/load.py", "from .read import read\nfrom shop.store import load_lock\n"),
    ("metrics/release.py", "from . import db\nfrom shop import ledger, periods\n"),
    ("etl/__main__.py", "from cli import main\n"),
    ("pages/reports.py", "def f():\n    from etl.load import freeze\n"),
    ("cli.py", "from etl.load import load\nfrom metrics import review\n"),
    ("tests/test_load.py", "from cli import main\nfrom etl.load import load\n"),
    ("bench/run.py", "import runpy\nrunpy.run_module('etl', run_name='__main__')\n"),
])
def test_an_allowed_import_passes(rel, source):
    assert violations(rel, source) == []
