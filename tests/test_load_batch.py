"""Files of one log type are checked together (one statement per batch, not per file): every
file still gets its own date order, its own duplicates, rejects, warnings and account, exactly
as if it had been loaded alone (SHOP_LOAD_BATCH_BYTES=0)."""
from __future__ import annotations

import datetime as dt

import pytest

from cli import main
from helpers import good_row, query, write_rows


def _rows(lt, n, **over):
    out = []
    for i in range(n):
        r = good_row(lt, i)
        r.update({k: (v(i) if callable(v) else v) for k, v in over.items()})
        out.append(r)
    return out


@pytest.fixture
def box(tmp_path):
    """A folder whose files share batches, with what each must give worked out here."""
    box = tmp_path / "inbox"
    days = [7, 13, 20, 3]
    # outreach: one file day-first, one month-first, one that reads both ways (refused), one plain
    write_rows(box / "outreach_a.csv", "outreach", _rows("outreach", 4, contact_date=lambda i: f"{days[i]:02d}/03/2025"))
    write_rows(box / "outreach_b.csv", "outreach", _rows("outreach", 4, contact_date=lambda i: f"03/{days[i]:02d}/2025",
                                                           client_code=lambda i: f"QB{i}Z", minutes="45"))
    write_rows(box / "outreach_c.csv", "outreach", _rows("outreach", 2, contact_date=lambda i: f"0{3 + i}/0{4 + i}/2025"))
    write_rows(box / "outreach_d.csv", "outreach", _rows("outreach", 3, contact_date="2025-03-14",
                                                           contact_mode=lambda i: "teleport" if i == 1 else "street"))
    # stays: the same client and check-in once in each of two files (two stays, one a file), and
    # twice in a third file (its second row is the duplicate)
    stay = {"client_code": "QS41X", "check_in": "2025-02-03", "check_out": "2025-02-05"}
    write_rows(box / "stays_1.csv", "suite_stays", [dict(good_row("suite_stays", 0), **stay)])
    write_rows(box / "stays_2.csv", "suite_stays", [dict(good_row("suite_stays", 1), **stay)])
    write_rows(box / "stays_3.csv", "suite_stays", [dict(good_row("suite_stays", 2), **dict(stay, check_in="2025-02-10",
                                                                                          check_out="2025-02-11"))] * 2)
    # Friday Network: a Thursday in the second file only
    write_rows(box / "friday_1.csv", "friday_network", _rows("friday_network", 2, session_date="2025-03-07"))
    write_rows(box / "friday_2.csv", "friday_network", _rows("friday_network", 2, session_date=lambda i: ["2025-03-14", "2025-03-13"][i]))
    return box, days


def _load(box, db, monkeypatch, capsys, batch: str | None):
    if batch is None:
        monkeypatch.delenv("SHOP_LOAD_BATCH_BYTES", raising=False)
    else:
        monkeypatch.setenv("SHOP_LOAD_BATCH_BYTES", batch)
    code = main(["load", str(box), "--db", str(db)])
    return code, capsys.readouterr().out



def test_a_batch_gives_each_file_what_it_gives_alone(tmp_path, box, monkeypatch, capsys):
    box, days = box
    together, alone = tmp_path / "together.duckdb", tmp_path / "alone.duckdb"
    code, out = _load(box, together, monkeypatch, capsys, None)
    assert code == 1   # outreach_c is refused
    lines = {l.split(": ", 1)[0]: l for l in out.splitlines() if ": " in l and not l.startswith(" ")}
    # each file its own date order: 13/03 and 03/13 are both 13 March
    want = sorted(dt.date(2025, 3, d) for d in days) * 2 + [dt.date(2025, 3, 14)] * 2
    got = [r[0] for r in query(together, "select contact_date from core.outreach order by 1")]
    assert got == sorted(want)
    assert query(together, "select file_name, date_order from meta.batches where log_type = 'outreach' "
                        "order by 1") == [("outreach_a.csv", "dmy"), ("outreach_b.csv", "mdy"), ("outreach_d.csv", None)]
    assert "outreach_c.csv: refused: has dates written in numbers that read both" in lines["outreach_c.csv"]
    assert query(together, "select b.file_name, r.row_number, r.field from meta.rejects r join meta.batches b using (batch_id) "
                        "order by 1") == [("outreach_d.csv", 3, "contact_mode"), ("stays_3.csv", 3, "client_code")]
    # duplicates are a file's own: one stay in each of two files, the third file's second row
    assert query(together, "select b.file_name, count(*) from core.suite_stays s join meta.batches b using (batch_id) "
                        "group by 1 order by 1") == [("stays_1.csv", 1), ("stays_2.csv", 1), ("stays_3.csv", 1)]
    assert "stays_3.csv: loaded, 1 rows loaded, 1 rejected" in lines["stays_3.csv"]
    assert "same client and check-in as an earlier row" in out
    # warnings are a file's own too
    assert query(together, "select b.file_name, w.row_number from meta.warnings w join meta.batches b using (batch_id) "
                        "where w.reason like 'not a Friday%'") == [("friday_2.csv", 3)]
    # and all of it as if each file were loaded alone
    code_alone, out_alone = _load(box, alone, monkeypatch, capsys, "0")
    assert (code_alone, out_alone) == (code, out)
    for table in ("core.outreach", "core.suite_stays", "core.friday_network", "meta.rejects", "meta.warnings"):
        sql = f"select * exclude (batch_id) from {table} order by all"
        assert query(together, sql) == query(alone, sql), table


def test_a_name_holding_a_code_of_a_file_waiting_in_the_batch_is_refused(tmp_path, monkeypatch, capsys):
    """The second file's name holds a code the first (still waiting to be checked) holds."""
    box = tmp_path / "inbox"
    write_rows(box / "a" / "supplies.csv", "supplies", _rows("supplies", 2, client_code="WX42P"))
    write_rows(box / "b" / "supplies WX42P.csv", "supplies", _rows("supplies", 2, dist_date="2025-03-14"))
    code, out = _load(box, tmp_path / "t.duckdb", monkeypatch, capsys, None)
    assert code == 1 and "WX42P" not in out
    assert "supplies….csv: refused: its name holds a client code" in out
    assert query(tmp_path / "t.duckdb", "select file_name from meta.batches") == [("a/supplies.csv",)]


def test_one_date_typed_with_and_without_a_space_is_one_date_in_a_file_and_across_files(tmp_path, monkeypatch, capsys):
    """`2025-03-07` and `2025-03-07 ` are two texts of one date: read once, so no row is joined
    twice (3 rows were loaded as 6) and no stay meets itself as a duplicate."""
    box = tmp_path / "inbox"
    write_rows(box / "outreach_a.csv", "outreach",
               _rows("outreach", 3, contact_date=lambda i: "2025-03-07" + (" " if i == 2 else "")))
    write_rows(box / "outreach_b.csv", "outreach", _rows("outreach", 2, contact_date="2025-03-07 ",
                                                           client_code=lambda i: f"QB{i}Z", minutes="45"))
    write_rows(box / "stays_a.csv", "suite_stays", [dict(good_row("suite_stays", 0), check_in="2025-02-03")])
    write_rows(box / "stays_b.csv", "suite_stays", [dict(good_row("suite_stays", 1), check_in="2025-02-03 ")])
    db = tmp_path / "t.duckdb"
    code, out = _load(box, db, monkeypatch, capsys, None)
    assert code == 0, out
    assert query(db, "select b.file_name, count(*) from core.outreach o join meta.batches b using (batch_id) "
                     "group by 1 order by 1") == [("outreach_a.csv", 3), ("outreach_b.csv", 2)]
    assert query(db, "select count(*) from core.suite_stays") == [(2,)]
    assert query(db, "select count(*) from meta.rejects") == [(0,)]


def test_a_batch_duckdb_cannot_take_is_checked_file_by_file_as_if_alone(tmp_path, box, monkeypatch, capsys):
    """A DuckDB error on a batch (memory, say): each table is checked alone from the table it
    already has. Nothing is read, counted or name-checked twice (blank rows of a CSV DuckDB read,
    a name holding a code only a later file holds)."""
    import duckdb as ddb
    from etl import load as load_mod
    box, _ = box
    real = load_mod.validate_many

    def fails_together(con, raws, *a, **kw):
        if len(raws) > 1:
            raise ddb.OutOfMemoryException("injected: the batch does not fit")
        return real(con, raws, *a, **kw)
    monkeypatch.setenv("SHOP_FAST_CSV_BYTES", "1")   # every CSV read by DuckDB, blank rows counted there
    write_rows(box / "supplies_1.csv", "supplies", _rows("supplies", 3) + [{}])   # a row of empty cells
    write_rows(box / "supplies_2.csv", "supplies", _rows("supplies", 2, dist_date="2025-03-14") + [{}])
    alone = _load(box, tmp_path / "alone.duckdb", monkeypatch, capsys, "0")
    monkeypatch.setattr(load_mod, "validate_many", fails_together)
    forced = _load(box, tmp_path / "forced.duckdb", monkeypatch, capsys, None)
    assert forced == alone
    assert "(1 header, 1 blank)" in forced[1]
    # and the code only a later file reveals still stops the whole load
    late = tmp_path / "late"
    write_rows(late / "a" / "supplies WX42P.csv", "supplies", _rows("supplies", 2, client_code="QQ11A"))
    write_rows(late / "b" / "supplies.csv", "supplies", _rows("supplies", 2, client_code="WX42P"))
    code = main(["load", str(late), "--db", str(tmp_path / "late.duckdb")])
    err = capsys.readouterr().err
    assert code == 1 and "has a client code in its name" in err and "WX42P" not in err


def test_a_code_held_only_by_a_file_refused_for_its_dates_still_stops_a_name_that_holds_it(tmp_path, capsys):
    """A file refused for its dates is still read: a code it holds is a code, so another file
    named with it is not loaded (it was, and its name stored, when a refused file's codes were
    never hashed)."""
    box = tmp_path / "inbox"
    write_rows(box / "a" / "outreach QZ9Y.csv", "outreach", _rows("outreach", 2))
    write_rows(box / "b" / "outreach.csv", "outreach",
               _rows("outreach", 2, client_code="QZ9Y", contact_date=lambda i: f"0{3 + i}/0{4 + i}/2025"))
    db = tmp_path / "t.duckdb"
    code = main(["load", str(box), "--db", str(db)])
    captured = capsys.readouterr()
    assert code == 1 and "has a client code in its name" in captured.err
    assert "QZ9Y" not in captured.out + captured.err
    assert not db.exists() or query(db, "select count(*) from meta.batches") == [(0,)]
