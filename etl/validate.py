"""Raw text tables -> typed rows + rejects + warnings, set-based in DuckDB.

Validation runs in the load's own connection to its working copy, in TEMP tables only:
those live in memory and the connection's owner-only temp folder (removed with the load),
never in the database file, so raw values (client codes among them) are never stored. The
tables of raw text are dropped as soon as the typed rows are made. Each field becomes one
parse expression and one error expression generated from the contract, run once per distinct
value; a row with any error is rejected with (row, field, reason), never the value.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from shop import settings
from shop.contract import CODE, DATE, ENUM, INT, MULTI, NUMBER, TEXT, YESNO, INDICATOR_IDS, LogType
from shop.privacy import hash_codes, looks_identifying
from .read import RawTable, Refused

_YES = ["yes", "y", "true", "1", "x"]
_NO = ["no", "n", "false", "0"]
_PARSE_DATES = (Path(__file__).parent / "sql" / "parse_dates.sql").read_text()
# A value this close to a whole number is that number (Excel stores a computed 85 as 85.00000000000001).
WHOLE_TOLERANCE = 1e-9


@dataclass
class Validated:
    good: int                 # rows that passed: temp view `incoming` in the connection (with source_row)
    rejects: list[tuple[int, str, str]]
    warnings: list[tuple[int, str, str]]
    date_order: str | None


def parse_dates(con, lt: LogType, today: dt.date) -> None:
    """Per date field, a table p__<field> of its distinct texts read as year, month and day."""
    for f in lt.fields:
        if f.kind == DATE:
            sql = _PARSE_DATES.replace("{src}", f"d__{f.name}").replace("{col}", f.name)
            con.execute(f'create temp table "p__{f.name}" as {sql}', {"today": today}).fetchall()


def decide_date_order(con, lt: LogType, given: str | None) -> str | None:
    """dmy or mdy for the file's all-number dates (07/03/2025, 07-03-2025), decided by the values
    (or --date-order)."""
    if given:
        return given
    parts = [f'select a, b from "p__{f.name}" where a is not null' for f in lt.fields if f.kind == DATE]
    if not parts:
        return None
    dmy, mdy, ambiguous = con.execute(
        "select coalesce(bool_or(a > 12), false), coalesce(bool_or(b > 12), false), "
        f"coalesce(bool_or(a <> b and a <= 12 and b <= 12), false) from ({' union all '.join(parts)})"
    ).fetchone()
    if dmy and mdy:
        raise Refused("mixes day-first and month-first dates written in numbers: fix them, or give "
                      "--date-order dmy|mdy to reject the ones that do not fit")
    if dmy:
        return "dmy"
    if mdy:
        return "mdy"
    if ambiguous:
        raise Refused("has dates written in numbers that read both day-first and month-first (like 03/04/2025): "
                      "give --date-order dmy or mdy")
    return None


def _exprs(f, lt: LogType, order: str | None, params: list, today: dt.date):
    """(parse SQL, error SQL, number SQL or None) for one field; v is the trimmed text value. A
    number field's number is computed once per value as column _num (from the third SQL) and
    not written out again in every test: that made a statement DuckDB took 50 ms to plan."""
    v = f'"{f.name}"'
    def bind(x):  # numbered, so an expression used twice binds the same value
        params.append(x)
        return f"${len(params)}"
    missing = f"when {v} is null then {bind('required value missing')}" if f.required else f"when {v} is null then null"
    if f.kind == DATE:
        p = f"pd_{f.name}"
        day, month = (f"{p}.b", f"{p}.a") if order == "mdy" else (f"{p}.a", f"{p}.b")
        parse = (f"try_cast(printf('%04d-%02d-%02d', {p}.y, coalesce({p}.m, {month}), "
                 f"coalesce({p}.d, {day})) as date)")
        err = (f"case {missing} when {parse} is null and {p}.no_year then {bind('date has no year')} "
               f"when {parse} is null then {bind('not a date')} "
               f"when {parse} > {bind(today)}::date then {bind('date is in the future')} "
               f"when {parse} < date '2000-01-01' then {bind('date is before 2000')} end")
        return parse, err, None
    if f.kind == ENUM:
        key = f"trim(regexp_replace(lower({v}), '[\\s\\-/]+', '_', 'g'), '_')"
        vals = bind(list(f.values))
        parse = f"case when {v} is null then {bind(f.default)} when list_contains({vals}, {key}) then {key} end"
        err = (f"case {missing} when not list_contains({vals}, {key}) then "
               f"{bind('not one of the values the contract lists')} end")
        return parse, err, None
    if f.kind == MULTI:
        parts = (f"list_filter(list_transform(string_split_regex({v}, '[;,]'), "
                 f"lambda x: trim(regexp_replace(lower(trim(x)), '[\\s\\-/]+', '_', 'g'), '_')), lambda x: x <> '')")
        vals = bind(list(f.values))
        parse = f"list_sort(list_distinct({parts}))"
        err = (f"case {missing} when len({parts}) = 0 then {bind('required value missing') if f.required else 'null'} "
               f"when len(list_filter({parts}, lambda x: not list_contains({vals}, x))) > 0 then "
               f"{bind('has a value that is not one the contract lists')} end")
        return parse, err, None
    if f.kind == YESNO:
        parse = (f"case when lower({v}) in (select unnest({bind(_YES)})) then true "
                 f"when lower({v}) in (select unnest({bind(_NO)})) then false end")
        err = f"case {missing} when ({parse}) is null then {bind('not yes/no')} end"
        return parse, err, None
    if f.kind in (INT, NUMBER):
        num = (f"try_cast(case when regexp_full_match({v}, '\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?') "
               f"then replace({v}, ',', '') else {v} end as double)")
        if f.unit == "minutes":
            # A duration typed as a time (1:30) or an Excel [h]:mm cell (read as 1:30:00): minutes.
            num = (f"case when regexp_full_match({v}, '\\d{{1,4}}:[0-5]\\d(:[0-5]\\d(\\.\\d+)?)?') then "
                   f"round(split_part({v}, ':', 1)::double * 60 + split_part({v}, ':', 2)::double "
                   f"+ coalesce(try_cast(nullif(split_part({v}, ':', 3), '') as double), 0) / 60) else {num} end")
        pre, num = num, "raw_in._num"
        whole = f"(abs({num} - round({num})) <= {bind(WHOLE_TOLERANCE)})"
        snapped = f"case when {whole} then round({num}) else {num} end"
        # try_cast: the parse runs for every distinct value, the rejected too (inf, 1e22), and a
        # failed cast would stop the whole load (and DuckDB's message would quote the value).
        parse = f"try_cast(({snapped}) as bigint)" if f.kind == INT else snapped
        err = f"case {missing} when {num} is null or isnan({num}) or isinf({num}) then {bind('not a number')} "
        if f.kind == INT:
            err += f"when not {whole} then {bind('not a whole number')} "
            err += f"when {parse} is null then {bind('too large a number')} "
        if f.lo is not None:
            err += f"when {snapped} < {bind(f.lo)} then {bind(_range(f))} "
        if f.hi is not None:
            err += f"when {snapped} > {bind(f.hi)} then {bind(_range(f))} "
        return parse, err + "end", pre
    if f.kind == TEXT:
        err = f"case {missing} "
        if f.max_len:
            err += f"when length({v}) > {bind(f.max_len)} then {bind(f'longer than {f.max_len} characters')} "
        err += f"when f_{f.name}.reason is not null then f_{f.name}.reason "
        if lt.name == "targets" and f.name == "fiscal_year":
            err += (f"when not regexp_full_match(upper({v}), 'FY\\d{{4}}-\\d{{2}}') "
                    f"or (try_cast(substr({v}, 3, 4) as int) + 1) % 100 <> try_cast(substr({v}, 8, 2) as int) "
                    f"then {bind('not a fiscal year like FY2025-26')} ")
        if lt.name == "targets" and f.name == "indicator":
            err += f"when not list_contains({bind(list(INDICATOR_IDS))}, lower({v})) then {bind('not an indicator id the dashboard defines')} "
        parse = f"upper({v})" if f.name == "fiscal_year" else (f"lower({v})" if f.name == "indicator" else v)
        return parse, err + "end", None
    if f.kind == CODE:
        norm = f"regexp_replace(upper({v}), '[\\s\\-]+', '', 'g')"
        err = (f"case {missing} when f_{f.name}.reason is not null then f_{f.name}.reason "
               f"when not regexp_full_match({norm}, '[A-Z0-9]{{2,20}}') then "
               f"{bind('not a client code (2 to 20 letters and digits)')} end")
        return f"k_{f.name}.person_key", err, None
    raise AssertionError(f.kind)


def _range(f) -> str:
    lo = "" if f.lo is None else f"{f.lo:g}"
    hi = "" if f.hi is None else f"{f.hi:g}"
    return f"out of range ({lo} to {hi})" if hi else f"below {lo}"


def validate(raw: RawTable, key: bytes, date_order: str | None = None,
             today: dt.date | None = None, con=None) -> Validated:
    """Type and check a table; raises Refused for a whole-file problem.

    Runs in `con`, the load's own connection (a private in-memory one when None), in TEMP tables:
    they live in memory and the connection's private temp folder, never in the database file, so
    raw values (client codes among them) are never stored. The rows that pass are left in the
    temp view `incoming` for the caller to insert; `release(con)` drops everything.
    """
    today = today or settings.today()  # Kamloops's today, not the server's
    lt = raw.log_type
    own = con is None
    if own:
        con = duckdb.connect()
    try:
        raw.materialize(con, "raw_src")
        # Per field, its distinct values, trimmed (blank as null): every check below runs on these,
        # once per distinct value, and the rows are joined back at the end.
        ws = "' \t\r\n' || chr(160)"
        for f in lt.fields:
            con.execute(f"""create temp table "d__{f.name}" as select raw_v, nullif(trim(raw_v::varchar, {ws}), '')
                            as "{f.name}" from (select distinct "{f.name}" as raw_v from raw_src)""")
        parse_dates(con, lt, today)
        order = decide_date_order(con, lt, date_order)
        joins = []
        for f in lt.fields:
            if f.kind == DATE:
                joins.append(f'left join "p__{f.name}" pd_{f.name} on pd_{f.name}.v = raw_in."{f.name}"')
            if f.kind in (TEXT, CODE):
                _screen(con, f.name)
                joins.append(f'left join screened f_{f.name} on f_{f.name}.value = raw_in."{f.name}"')
            if f.kind == CODE:
                _person_keys(con, f.name, key)
                joins.append(f"""left join person_keys k_{f.name}
                                 on k_{f.name}.code = regexp_replace(upper(raw_in."{f.name}"), '[\\s\\-]+', '', 'g')""")
        # Each field is typed and checked once per distinct value (a map), then joined to the rows:
        # a decade of logs has a few thousand distinct dates and a handful of enum values.
        sel = []
        maps = []
        for f in lt.fields:
            params: list = []
            parse, err, pre = _exprs(f, lt, order, params, today)
            src_joins = " ".join(j for j in joins if f'"{f.name}"' in j)
            src = f'(select *, {pre} as _num from "d__{f.name}")' if pre else f'"d__{f.name}"'
            con.execute(f"""create temp table "m__{f.name}" as
                            select raw_in.raw_v as v, {parse} as p, {err} as e
                            from {src} raw_in {src_joins}""", params)
            maps.append(f'left join "m__{f.name}" as "j__{f.name}" on "j__{f.name}".v is not distinct from raw_in."{f.name}"')
            sel.append(f'"j__{f.name}".p as "{f.column}"')
            sel.append(f'"j__{f.name}".e as "err__{f.name}"')
        # The raw text is not needed past this point: only typed values and person keys go on.
        con.execute(f"create temp table checked as select raw_in._row::bigint as _row, {', '.join(sel)} "
                    f"from raw_src raw_in {' '.join(maps)}")
        _drop_raw(con, lt)
        _cross_field_rules(con, lt)
        errs = [f'"err__{f.name}"' for f in lt.fields]
        any_err = " or ".join(f"{e} is not null" for e in errs)
        rejects = con.execute(
            "select _row, field, reason from (unpivot (select _row, " + ", ".join(errs) +
            f" from checked where {any_err}) on " + ", ".join(errs) + " into name field value reason) "
            "where reason is not null order by _row, field").fetchall()
        rejects = [(r, fld.removeprefix("err__"), reason) for r, fld, reason in rejects]
        cols = ", ".join(f'"{f.column}"' for f in lt.fields)
        ok = " and ".join(f"{e} is null" for e in errs)
        con.execute(f"create temp view incoming as select {cols}, _row as source_row from checked where {ok}")
        good = con.execute("select count(*) from incoming").fetchone()[0]
        warnings = []
        if lt.name == "friday_network":
            warnings = [(r, "session_date", "not a Friday (loaded)") for (r,) in con.execute(
                "select source_row from incoming where dayofweek(session_date) <> 5 order by source_row").fetchall()]
        return Validated(good, rejects, warnings, order)
    except BaseException:
        release(con)
        raise
    finally:
        if own:
            con.close()


def _temp_from(con, name: str, columns: dict[str, list], types: dict | None = None) -> None:
    """Append rows from Python lists to a small temp table (text unless `types` says)."""
    types = types or {}
    cols = ", ".join(f"unnest(${i + 1}::{types.get(k, 'varchar')}[])" for i, k in enumerate(columns))
    con.execute(f"insert into {name} select {cols}", list(columns.values()))


def _screen(con, field: str) -> None:
    """Every distinct text of the field in temp table `screened` (value, why it looks identifying
    or null). Kept for the connection's life, so a value seen in an earlier file of the same load
    is not screened again: only new values go through Python."""
    con.execute("create temp table if not exists screened (value varchar, reason varchar)")
    new = [r[0] for r in con.execute(
        f'select distinct "{field}" from "d__{field}" d where "{field}" is not null '
        f'and not exists (select 1 from screened s where s.value = d."{field}")').fetchall()]
    if new:
        _temp_from(con, "screened", {"value": new, "reason": [looks_identifying(v) for v in new]})


def _person_keys(con, field: str, key: bytes) -> None:
    """Normalised code -> person key for every code of the field, in temp table `person_keys`
    (kept for the connection's life, never in the database file: each code is hashed once)."""
    con.execute("create temp table if not exists person_keys (code varchar, person_key ubigint)")
    new = [r[0] for r in con.execute(
        f"""select distinct regexp_replace(upper("{field}"), '[\\s\\-]+', '', 'g') as code from "d__{field}"
            where "{field}" is not null except select code from person_keys""").fetchall()]
    if new:
        keys = hash_codes(new, key)
        _temp_from(con, "person_keys", {"code": list(keys), "person_key": list(keys.values())},
                   {"person_key": "ubigint"})


def _drop_raw(con, lt: LogType | None = None) -> None:
    """Drop every temp table of this file that holds raw text (cells, distinct values, maps):
    by name when the log type is known (one round trip), else whatever the catalog lists."""
    view = con.execute("select count(*) from duckdb_views() where temporary and view_name = 'raw_src'").fetchone()[0]
    if lt is None:
        names = [r[0] for r in con.execute("select table_name from duckdb_tables() where temporary").fetchall()
                 if r[0] in ("raw_src", "raw_src_csv") or r[0].startswith(("d__", "p__", "m__"))]
    else:
        names = ["raw_src_csv"] + (["raw_src"] if not view else []) + [
            f"{pre}__{f.name}" for f in lt.fields for pre in ("d", "p", "m") if pre != "p" or f.kind == DATE]
    con.execute(("drop view temp.raw_src; " if view else "")
                + " ".join(f'drop table if exists temp."{n}";' for n in names))


def release(con, lt: LogType | None = None) -> None:
    """Drop what validate left in the connection (raw text first, then the checked rows)."""
    _drop_raw(con, lt)
    con.execute("drop view if exists temp.incoming; drop table if exists temp.checked")


_LATER_THAN = {  # (field that must not be before, the field it is compared with, reason)
    "referrals": ("status_date", "referral_date", ">=", "before referral_date"),
    "suite_stays": ("check_out", "check_in", ">=", "before check_in"),
    "bad_dates": ("incident_date", "report_date", "<=", "after report_date"),
    "annotations": ("end_date", "start_date", ">=", "before start_date"),
}


def _cross_field_rules(con, lt: LogType) -> None:
    rule = _LATER_THAN.get(lt.name)
    if rule:
        a, b, op, reason = rule
        con.execute(f"""update checked set "err__{a}" = ? where "err__{a}" is null and "err__{b}" is null
                        and "{a}" is not null and not ("{a}" {op} "{b}")""", [reason])
    if lt.name == "suite_stays":
        # A stay is identified by (client, check-in): a second row for it in one file is a duplicate.
        con.execute("""update checked set err__client_code = 'same client and check-in as an earlier row'
                       where _row in (select _row from (select _row, row_number() over (
                           partition by person_key, check_in order by _row) as n from checked
                           where err__client_code is null and err__check_in is null) where n > 1)""")
