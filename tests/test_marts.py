"""The marts that are tables (shop/marts.py): after every load, a replacement and an upgrade, each
holds exactly what core holds, counted here in Python from core's rows."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import duckdb

from shop import marts, schema
from shop.contract import LOG_TYPES
from etl.load import load
from helpers import query, write_rows



def _expected_log_months(db) -> Counter:
    out = Counter()
    for n in marts.SERVICE_LOGS:
        d = LOG_TYPES[n].date_field.name
        for batch, day in query(db, f"select batch_id, {d} from core.{n}"):
            out[(n, batch, day.replace(day=1))] += 1
    return out


def _log_months(db) -> Counter:
    return Counter({(lt, b, m): r for lt, b, m, r in query(db, "select log_type, batch_id, month, rows "
                                                               "from marts.log_months")})


def _as_rebuilt(db) -> None:
    """Every mart as a rebuild of every month from core would make it."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table, model in marts.TABLES.items():
            lo, hi = marts.EVERYTHING
            kept = con.execute(f"select * from marts.{table} order by all").fetchall()
            cols = ", ".join(c[0] for c in con.execute(f"select * from marts.{table} limit 0").description)
            full = con.execute(f"select {cols} from ({model()}) order by all", {"lo": lo, "hi": hi}).fetchall()
            assert kept == full, table
    finally:
        con.close()


def _outreach(day, code, minutes):
    return {"contact_date": day, "client_code": code, "contact_mode": "street", "minutes": minutes}


def test_a_load_and_its_corrected_copy_leave_the_marts_equal_to_core(tmp_path):
    logs = tmp_path / "logs"
    write_rows(logs / "outreach_2025-03.csv", "outreach",
               [_outreach("2025-03-03", "AA11A", "30"), _outreach("2025-03-20", "BB22B", ""),
                _outreach("2025-04-02", "AA11A", "15"), _outreach("2025-05-10", "AA11A", "15")])
    db = tmp_path / "shop.duckdb"
    load([logs], db, say=lambda *_: None)
    assert _log_months(db) == _expected_log_months(db) != Counter()
    vols = {(m, i): v for m, i, v in query(db, "select month, indicator, value from marts.monthly_volumes "
                                               "where indicator like 'outreach.%'")}
    assert vols[(dt.date(2025, 3, 1), "outreach.contacts")] == 2
    assert vols[(dt.date(2025, 3, 1), "outreach.support_hours")] == 0.5
    blank = {(m, f): (r, b) for lt, f, m, r, b in query(db, "select log_type, field, month, rows, blank "
                                                           "from marts.blank_cells where log_type = 'outreach'")}
    assert blank[(dt.date(2025, 3, 1), "minutes")] == (2, 1)
    # the file corrected and loaded again replaces its earlier version: its rows alone are counted,
    # and a month only the earlier version had (a mistyped date) is gone
    write_rows(logs / "outreach_2025-03.csv", "outreach",
               [_outreach("2025-03-03", "AA11A", "30"), _outreach("2025-03-20", "BB22B", "45"),
                _outreach("2025-04-02", "AA11A", "15"), _outreach("2025-04-09", "CC33C", "10")])
    load([logs], db, say=lambda *_: None)
    assert _log_months(db) == _expected_log_months(db)
    assert sum(_log_months(db).values()) == 4 and {b for _, b, _ in _log_months(db)} == {2}
    assert dt.date(2025, 5, 1) not in {m for m, in query(db, "select month from marts.monthly_volumes")}
    _as_rebuilt(db)
    # a month of another log added later: only its months are counted again, the rest stay exact
    write_rows(logs / "supplies_2025-06.csv", "supplies",
               [{"dist_date": "2025-06-05", "item": "naloxone_kit", "quantity": "2", "channel": "drop_in"}])
    load([logs], db, say=lambda *_: None)
    _as_rebuilt(db)
    assert sum(_log_months(db).values()) == 5
    blank = {(m, f): (r, b) for lt, f, m, r, b in query(db, "select log_type, field, month, rows, blank "
                                                           "from marts.blank_cells where log_type = 'outreach'")}
    assert blank[(dt.date(2025, 3, 1), "minutes")] == (2, 0)


def test_an_upgraded_database_gets_its_marts_filled_from_core(tmp_path):
    db = tmp_path / "old.duckdb"
    write_rows(tmp_path / "logs" / "outreach.csv", "outreach",
               [_outreach("2025-03-03", "AA11A", "30"), _outreach("2025-05-20", "BB22B", "")])
    load([tmp_path / "logs"], db, say=lambda *_: None)
    con = duckdb.connect(str(db))
    for t in marts.TABLES:  # as a v6 database was: no review marts
        con.execute(f"drop table marts.{t}")
    con.execute("update meta.settings set value = '6' where key = 'schema_version'")
    con.close()
    con = duckdb.connect(str(db))
    try:
        assert schema.migrate(con) == 6
    finally:
        con.close()
    assert _log_months(db) == _expected_log_months(db) != Counter()
    assert {i for _, i, _ in query(db, "select month, indicator, value from marts.monthly_volumes")} >= {
        "outreach.contacts", "outreach.people"}
