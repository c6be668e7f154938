"""The README, docs/ and templates agree with the contract and the command line."""
from __future__ import annotations

import csv
import re

import pytest
from openpyxl import load_workbook

from conftest import ROOT, docs_text
from etl.templates import contract_markdown
from metrics.indicators import REGISTRY
from shop.contract import LOG_TYPES

README = (ROOT / "README.md").read_text()
DOCS = docs_text()  # the README plus docs/*.md, where the reference text lives
SHARED = ROOT.parent / "shared" / "DATA-CONTRACT.md"


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_readme_field_tables_are_generated_from_the_contract():
    block = DOCS.split("<!-- contract:start -->\n")[1].split("<!-- contract:end -->")[0]
    assert block == contract_markdown()


def test_every_indicator_is_defined_in_the_readme():
    for i in REGISTRY:
        assert f"`{i}`" in DOCS


def test_every_command_and_flag_is_documented():
    from cli import main
    import argparse
    parser_holder = {}
    real = argparse.ArgumentParser.parse_args

    def capture(self, *a, **k):
        parser_holder.setdefault("p", self)
        raise SystemExit(0)
    argparse.ArgumentParser.parse_args = capture
    try:
        with pytest.raises(SystemExit):
            main([])
    finally:
        argparse.ArgumentParser.parse_args = real
    p = parser_holder["p"]
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    for name, sp in sub.choices.items():
        assert f"python -m etl {name}" in DOCS, name
        for a in sp._actions:
            for opt in a.option_strings:
                if opt not in ("-h", "--help"):
                    assert opt in DOCS, (name, opt)
                    assert a.help, (name, opt)


@pytest.mark.parametrize("lt", list(LOG_TYPES))
def test_templates_have_the_contract_header(lt):
    with open(ROOT / "data" / "templates" / f"{lt}.csv", newline="") as fh:
        assert next(csv.reader(fh)) == [f.name for f in LOG_TYPES[lt].fields]
    wb = load_workbook(ROOT / "data" / "templates" / "shop_logs.xlsx", read_only=True)
    assert [c.value for c in next(wb[lt].iter_rows(max_row=1))] == [f.name for f in LOG_TYPES[lt].fields]


@pytest.mark.skipif(not SHARED.exists(), reason="the shared contract sits beside the checkout")
def test_contract_module_matches_the_shared_data_contract():
    """Every field, alias and enum value in DATA-CONTRACT.md is in shop/contract.py, and back."""
    text = SHARED.read_text()
    for lt in LOG_TYPES.values():
        m = re.search(rf"### {lt.name}\b[^\n]*\n((?:\|[^\n]*\n)+)", text)
        assert m, lt.name
        rows = [r.split("|")[1:-1] for r in m.group(1).strip().splitlines()[2:]]
        assert [r[0].strip().rstrip("*") for r in rows] == [f.name for f in lt.fields]
        for r, f in zip(rows, lt.fields):
            assert r[0].strip().endswith("*") == f.required, f.name
            assert r[1].strip().replace("-", "_").replace("/", "_") == f.kind, f.name
            if f.values:
                listed = [v.strip(" `") for v in re.split(r",", r[2]) if v.strip()]
                listed = [v.split(" (")[0] for v in listed]
                assert listed == list(f.values), f.name
            if len(r) > 3:
                aliases = [a.strip() for a in r[3].split(",") if a.strip()]
                assert aliases == list(f.aliases), f.name
    ids = re.findall(r"^\| (\w+\.\w+) \|", text, re.M)
    assert ids == list(REGISTRY)
