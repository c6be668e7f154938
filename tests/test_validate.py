"""Each kind of bad row gives one reject (row, field, reason), never its value; good rows load."""
from __future__ import annotations

import hashlib
import hmac
import re

import duckdb
import pytest

from cli import main
from shop.contract import CODE, DATE, ENUM, INT, LOG_TYPES, MULTI, NUMBER, TEXT, YESNO
from conftest import TEST_KEY
from helpers import all_text_in_db, future, good_row, write_rows

MARK = "Zq9Unique"  # makes each offending value findable if it leaked


def bad_cases():
    """(log type, field, bad text, reason) for every field the contract constrains."""
    for lt in LOG_TYPES.values():
        for f in lt.fields:
            if f.required:
                yield lt.name, f.name, "", "required value missing"
            if f.kind == DATE:
                yield lt.name, f.name, f"{MARK}-date", "not a date"
                yield lt.name, f.name, future(), "date is in the future"
                yield lt.name, f.name, "1999-12-31", "date is before 2000"
            elif f.kind == ENUM:
                yield lt.name, f.name, f"{MARK}enum", "not one of the values"
            elif f.kind == MULTI:
                yield lt.name, f.name, f"{f.values[0]}; {MARK}multi", "not one the contract lists"
            elif f.kind == YESNO:
                yield lt.name, f.name, f"{MARK}maybe", "not yes/no"
            elif f.kind in (INT, NUMBER):
                yield lt.name, f.name, f"{MARK}n", "not a number"
                if f.hi is not None:
                    yield lt.name, f.name, str(int(f.hi) + 1), "out of range"
                if f.lo is not None:
                    yield lt.name, f.name, str(int(f.lo) - 1), "out of range" if f.hi else "below"
                if f.kind == INT:
                    yield lt.name, f.name, "2.5", "not a whole number"
            elif f.kind == TEXT:
                if f.max_len and lt.name != "targets":
                    yield lt.name, f.name, MARK + "x" * f.max_len, f"longer than {f.max_len}"
                if lt.name != "targets":  # fiscal_year and indicator are checked against their patterns
                    yield lt.name, f.name, f"{MARK} call 250-555-0147", "phone number"
                    yield lt.name, f.name, f"{MARK}@example.org", "email"
            elif f.kind == CODE:
                yield lt.name, f.name, "250-555-0199", "phone number"
                yield lt.name, f.name, f"{MARK}@x.org", "email"
                yield lt.name, f.name, "9698658215", "health number"
                yield lt.name, f.name, "130 692 544", "social insurance"


CASES = list(bad_cases())


@pytest.mark.parametrize("lt_name, field, bad, reason", CASES,
                         ids=[f"{c[0]}.{c[1]}:{c[3]}" for c in CASES])
def test_bad_row_gives_one_reject_and_never_its_value(tmp_path, capsys, lt_name, field, bad, reason):
    rows = [good_row(lt_name, i) for i in range(3)]
    bad_row = good_row(lt_name, 3)
    bad_row[field] = bad
    rows.insert(1, bad_row)
    f = write_rows(tmp_path / f"{lt_name}_test.csv", lt_name, rows)
    db = tmp_path / "t.duckdb"
    code = main(["load", str(f), "--db", str(db)])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    con = duckdb.connect(str(db), read_only=True)
    loaded = con.execute(f"select count(*) from core.{lt_name}").fetchone()[0]
    rejects = con.execute("select row_number, field, reason from meta.rejects").fetchall()
    con.close()
    assert loaded == 3
    assert len(rejects) == 1, rejects
    row, fld, why = rejects[0]
    assert (row, fld) == (3, field)  # header is row 1; the bad row is the file's third line
    assert reason in why
    assert f"row 3, {field}:" in out.out
    if bad and bad not in ("2.5",) and not bad.isdigit():
        for text in (out.out, out.err, all_text_in_db(db)):
            assert bad not in text
            assert MARK not in text
        assert MARK.encode() not in db.read_bytes()


@pytest.mark.parametrize("lt_name", list(LOG_TYPES))
def test_good_rows_in_give_exactly_those_rows(tmp_path, lt_name):
    rows = [good_row(lt_name, i) for i in range(6)]
    f = write_rows(tmp_path / f"{lt_name}_ok.csv", lt_name, rows)
    db = tmp_path / "t.duckdb"
    assert main(["load", str(f), "--db", str(db)]) == 0
    con = duckdb.connect(str(db), read_only=True)
    lt = LOG_TYPES[lt_name]
    stored = con.execute(f"select * exclude (batch_id) from core.{lt_name} order by source_row").fetchall()
    cols = [d[0] for d in con.description]
    con.close()
    assert len(stored) == 6
    for i, rec in enumerate(stored):
        rec = dict(zip(cols, rec))
        assert rec["source_row"] == i + 2
        for f in lt.fields:
            v, want = rec[f.column], rows[i][f.name]
            if f.kind == DATE:
                assert v.isoformat() == want
            elif f.kind == CODE:
                # a keyed hash, never the code: the first 8 bytes of HMAC-SHA-256 of the normalised code
                mac = hmac.new(TEST_KEY.encode(), re.sub(r"[\s\-]+", "", want).upper().encode(), hashlib.sha256)
                assert v == int.from_bytes(mac.digest()[:8], "big") and str(v) != want
            elif f.kind == MULTI:
                assert v == [want]
            elif f.kind == YESNO:
                assert v is True
            elif f.kind in (INT, NUMBER):
                assert v == float(want)
            elif f.name == "indicator":
                assert v == want
            else:
                assert v == want
