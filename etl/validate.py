"""Raw text tables -> typed rows + rejects + warnings, set-based in DuckDB.

Validation runs in the load's own connection to its working copy, in TEMP tables only:
those live in memory and the connection's owner-only temp folder (removed with the load),
never in the database file, so raw values (client codes among them) are never stored. The
tables of raw text are dropped as soon as the typed rows are made. Each field becomes one
parse expression and one error expression generated from the contract, run once per distinct
value; a row with any error is rejected with (row, field, reason), never the value. The files
of one log type are checked together (validate_many), each with its own date order, rejects,
warnings and count.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from shop import settings
from shop.contract import CODE, DATE, ENUM, INT, MULTI, NUMBER, TEXT, YESNO, INDICATOR_IDS, LogType
from shop.privacy import HOLDS_CODE, codes_held, hash_codes, looks_identifying
from .read import RawTable, Refused

_YES = ["yes", "y", "true", "1", "x"]
_NO = ["no", "n", "false", "0"]
_PARSE_DATES = (Path(__file__).parent / "sql" / "parse_dates.sql").read_text()
# Excel's error values, and LibreOffice's (Err:502, #NAME?, ...); #ERROR is what the reader puts
# for an error cell whose text the workbook did not keep
_EXCEL_ERROR = (r"#(N/A|REF!|DIV/0!|VALUE!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|CONNECT!"
                r"|BUSY!|UNKNOWN!|ERROR)|Err:\d{3}")
# A value this close to a whole number is that number (Excel stores a computed 85 as 85.00000000000001).
WHOLE_TOLERANCE = 1e-9


@dataclass
class Validated:
    good: int                 # rows that passed (temp view `incoming` once `use` is called)
    rejects: list[tuple[int, str, str]]
    warnings: list[tuple[int, str, str]]
    date_order: str | None
    index: int = 0            # the table's number in its batch: column _t of temp table `checked`


WS = "' \t\r\n' || chr(160)"   # trimmed from every cell (a no-break space too)
# Spaces (a no-break space too) and hyphens (en and em dashes too): removed from a code, an
# underscore in a value (a regex character class's contents, for RE2).
_SPACES = r"\s\p{Z}\x{2010}-\x{2015}\-"
_CODE_NORM = "regexp_replace(upper({v}), '[" + _SPACES.replace("{", "{{").replace("}", "}}") + "]+', '', 'g')"


def parse_dates(con, lt: LogType, today: dt.date) -> None:
    """Per date field, a table p__<field> of its distinct texts read as year, month and day."""
    for f in lt.fields:
        if f.kind == DATE:
            sql = _PARSE_DATES.replace("{src}", f"d__{f.name}").replace("{col}", f.name)
            con.execute(f'create temp table "p__{f.name}" as {sql}', {"today": today}).fetchall()


def _orders(con, lt: LogType, given: str | None, tables: list[int]) -> dict[int, str | Refused | None]:
    """Each table's order of all-number dates (see decide_date_order), from one statement."""
    if given:
        return {i: given for i in tables}
    parts = [f'''select r._t, p.a, p.b from (select distinct _t, "{f.name}" as raw_v from raw_src) r
                  join "d__{f.name}" d on d.raw_v = r.raw_v join "p__{f.name}" p on p.v = d."{f.name}"
                  where p.a is not null''' for f in lt.fields if f.kind == DATE]
    out: dict[int, str | Refused | None] = {i: None for i in tables}
    if not parts:
        return out
    for t, dmy, mdy, ambiguous in con.execute(
            # a date that is none either way (13/13/2025, a typo) says nothing of the order: its row
            # is rejected as not a date, the file is not refused for mixing orders
            "select _t, bool_or(a between 13 and 31 and b between 1 and 12), "
            "bool_or(b between 13 and 31 and a between 1 and 12), bool_or(a <> b and a <= 12 and b <= 12) "
            f"from ({' union all '.join(parts)}) group by _t").fetchall():
        out[t] = decide_date_order(dmy, mdy, ambiguous)
    return out


def decide_date_order(dmy: bool, mdy: bool, ambiguous: bool) -> str | Refused | None:
    """dmy or mdy for a file's all-number dates (07/03/2025, 07-03-2025), decided by its values:
    some day over 12 in the first place (a month in the second), or in the second; a Refused when
    they say both, or neither and some read both ways."""
    if dmy and mdy:
        return Refused("mixes day-first and month-first dates written in numbers: fix them, or give "
                       "--date-order dmy|mdy to reject the ones that do not fit")
    if dmy:
        return "dmy"
    if mdy:
        return "mdy"
    if ambiguous:
        return Refused("has dates written in numbers that read both day-first and month-first (like 03/04/2025): "
                       "give --date-order dmy or mdy")
    return None


def _exprs(f, lt: LogType, order: str | None, params: list, today: dt.date):
    """_field_exprs, with an Excel error value (a cell of a workbook, or a CSV Excel saved) said as
    such in every field, before what the field's own checks would say of it (`not a number`)."""
    parse, err, pre = _field_exprs(f, lt, order, params, today)
    v = f'"{f.name}"'
    params += [_EXCEL_ERROR, "an Excel error value such as #N/A (fix the formula)"]
    err = (f"case when {v} is not null and regexp_full_match({v}, ${len(params) - 1}) then ${len(params)} "
           f"else ({err}) end")
    return parse, err, pre


def _field_exprs(f, lt: LogType, order: str | None, params: list, today: dt.date):
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
        key = f"trim(regexp_replace(lower({v}), '[{_SPACES}/]+', '_', 'g'), '_')"
        vals = bind(list(f.values))
        parse = f"case when {v} is null then {bind(f.default)} when list_contains({vals}, {key}) then {key} end"
        err = (f"case {missing} when not list_contains({vals}, {key}) then "
               f"{bind('not one of the values the contract lists')} end")
        return parse, err, None
    if f.kind == MULTI:
        parts = (f"list_filter(list_transform(string_split_regex({v}, '[;,]'), "
                 f"lambda x: trim(regexp_replace(lower(trim(x)), '[{_SPACES}/]+', '_', 'g'), '_')), lambda x: x <> '')")
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
        # plain digits (a thousands comma allowed): DuckDB's own cast would also take 1e3, 1_5, inf
        num = (f"try_cast(case when regexp_full_match({v}, '\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?') "
               f"then replace({v}, ',', '') when regexp_full_match({v}, '[+-]?(\\d+\\.?\\d*|\\.\\d+)') "
               f"then {v} end as double)")
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
        err = f"case {missing} "
        if f.kind == INT:
            # 2.000 in a count: a thousands point (a German or French spreadsheet's 2000) or three
            # decimals of 2? Read as 2 it was 1,000 times too small, silently (helper-25)
            err += (f"when regexp_full_match({v}, '\\d{{1,3}}(\\.\\d{{3}})+') then "
                    f"{bind('a point before three digits (2.000): write 2000, or 2, without the point')} ")
        err += f"when {num} is null or isnan({num}) or isinf({num}) then {bind('not a number')} "
        if f.kind == INT:
            err += f"when not {whole} then {bind('not a whole number')} "
            err += f"when {parse} is null then {bind('too large a number')} "
        if f.lo is not None:
            err += f"when {snapped} < {bind(f.lo)} then {bind(_range(f))} "
        if f.hi is not None:
            err += f"when {snapped} > {bind(f.hi)} then {bind(_range(f))} "
        return parse, err + "end", pre
    if f.kind == TEXT:
        err = f"case {missing} "   # an Excel error value: _exprs
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
        norm = _CODE_NORM.format(v=v)
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
    """Type and check one table (validate_many of one); raises Refused for a whole-file problem.
    The rows that pass are left in temp view `incoming`; `release(con)` drops everything. With
    no `con`, in a private in-memory connection."""
    own = con is None
    if own:
        con = duckdb.connect()
    try:
        raw.materialize(con, "raw_src_0")
        got = validate_many(con, [raw], ["raw_src_0"], key, date_order, today)[0]
        if isinstance(got, BaseException):
            raise got
        use(con, raw.log_type, got)
        return got
    except BaseException:
        release(con)
        raise
    finally:
        if own:
            con.close()


def validate_many(con, raws: list[RawTable], sources: list[str], key: bytes, date_order: str | None = None,
                  today: dt.date | None = None, registered: bool = False) -> list[Validated | Refused]:
    """Type and check tables of one log type together, each already in its temp relation
    `sources[i]` (_row and the fields as text, see RawTable.materialize): a Validated per table,
    or the Refused that refuses it (a date order of its own that cannot be told).

    Runs in `con`, the load's own connection, in TEMP tables: they live in memory and the
    connection's private temp folder, never in the database file, so raw values (client codes
    among them) are never stored. Every check runs once per distinct value of the batch, and the
    statements run once per batch, not per file: a load of 80 files of eight types makes eight
    batches. The typed rows of all tables stay in temp table `checked` (column _t: the table's
    number) for `use`; the raw text and the per-value tables are dropped before returning.
    `registered`: each table's codes went through register_codes (their distinct values are kept).
    A duckdb.Error leaves the temp objects for the caller's `release`.
    """
    today = today or settings.today()  # Kamloops's today, not the server's
    lt = raws[0].log_type
    assert all(r.log_type is lt for r in raws)
    cols = ", ".join(f'"{f.name}"' for f in lt.fields)

    def union(tables, orders=None):
        con.execute("create or replace temp view raw_src as " + " union all ".join(
            f"select {i} as _t, '{'m' if orders and orders[i] == 'mdy' else 'd'}' as _o, _row, {cols} "
            f'from "{sources[i]}"' for i in tables))

    def values(f, tables):
        if registered and f.kind == CODE:   # each table's distinct codes, kept when it was registered
            return "select distinct raw_v from (" + " union all ".join(
                f'select raw_v from "{sources[i]}__k_{f.name}"' for i in tables) + ")"
        return f'select distinct "{f.name}" as raw_v from raw_src'

    def distinct(tables):
        # Per field, its distinct values, trimmed (blank as null): every check below runs on these,
        # once per distinct value, and the rows are joined back at the end.
        con.execute(" ".join(f'''drop table if exists "d__{f.name}"; drop table if exists "p__{f.name}";
                                create temp table "d__{f.name}" as select raw_v, nullif(trim(raw_v::varchar, {WS}), '')
                                as "{f.name}" from ({values(f, tables)});'''
                             for f in lt.fields))
        parse_dates(con, lt, today)

    out: list = [None] * len(raws)
    live = list(range(len(raws)))
    union(live)
    distinct(live)
    orders = _orders(con, lt, date_order, live)
    refused = [i for i in live if isinstance(orders[i], Refused)]
    for i in refused:
        out[i] = orders[i]
    live = [i for i in live if i not in refused]
    if not live:
        _drop_raw(con, lt, sources)
        return out
    union(live, orders)
    if refused:
        distinct(live)   # the values of the refused tables go no further
    joins = []
    if not registered:  # the batch's own codes first: a text is checked against them too
        for f in lt.fields:
            if f.kind == CODE:
                _person_keys(con, f.name, key)
    for f in lt.fields:
        if f.kind == DATE:
            joins.append(f'left join "p__{f.name}" pd_{f.name} on pd_{f.name}.v = raw_in."{f.name}"')
        if f.kind == CODE:
            _screen(con, f.name)
            joins.append(f'left join screened f_{f.name} on f_{f.name}.value = raw_in."{f.name}"')
        if f.kind == TEXT:
            _screen(con, f.name)
            _screen_codes(con, f.name, key)
            joins.append(f'left join "c__{f.name}" f_{f.name} on f_{f.name}.value = raw_in."{f.name}"')
        if f.kind == CODE:
            joins.append(f"""left join person_keys k_{f.name}
                             on k_{f.name}.code = {_CODE_NORM.format(v=f'raw_in."{f.name}"')}""")
    # Each field is typed and checked once per distinct value (a map), then joined to the rows:
    # a decade of logs has a few thousand distinct dates and a handful of enum values. A date's
    # reading depends on its table's order: its map has a row per order the batch needs (_o).
    variants = sorted({"m" if orders[i] == "mdy" else "d" for i in live})
    sel = []
    maps = []
    weekday_off = []
    for f in lt.fields:
        params: list = []
        src_joins = " ".join(j for j in joins if f'"{f.name}"' in j)
        parts = []
        for o in (variants if f.kind == DATE else ["d"]):
            parse, err, pre = _exprs(f, lt, "mdy" if o == "m" else None, params, today)
            src = f'(select *, {pre} as _num from "d__{f.name}")' if pre else f'"d__{f.name}"'
            # a weekday written in front that is not the date's (`Monday, March 7, 2025`): loaded, said
            wd = (f", coalesce(pd_{f.name}.wd_n <> isodow({parse}), false) as w" if f.kind == DATE else "")
            parts.append(f"select '{o}' as _o, raw_in.raw_v as v, {parse} as p, {err} as e{wd} "
                         f"from {src} raw_in {src_joins}")
        con.execute(f'create temp table "m__{f.name}" as ' + " union all ".join(parts), params)
        if f.kind == DATE and con.execute(f'select bool_or(w) from "m__{f.name}"').fetchone()[0]:
            weekday_off.append(f)   # its rows are looked for below (a scan of the rows only then)
        on = f'"j__{f.name}".v is not distinct from raw_in."{f.name}"'
        if f.kind == DATE:
            on += f' and "j__{f.name}"._o = raw_in._o'
        maps.append(f'left join "m__{f.name}" as "j__{f.name}" on {on}')
        sel.append(f'"j__{f.name}".p as "{f.column}"')
        sel.append(f'"j__{f.name}".e as "err__{f.name}"')
        if f.kind == DATE:
            sel.append(f'"j__{f.name}".w as "wd__{f.name}"')
    # The raw text is not needed past this point: only typed values and person keys go on.
    con.execute(f"create temp table checked as select raw_in._t, raw_in._row::bigint as _row, {', '.join(sel)} "
                f"from raw_src raw_in {' '.join(maps)}")
    _drop_raw(con, lt, sources)
    _cross_field_rules(con, lt)
    errs = [f'"err__{f.name}"' for f in lt.fields]
    any_err = " or ".join(f"{e} is not null" for e in errs)
    rejects: dict[int, list] = {i: [] for i in live}
    for t, r, fld, reason in con.execute(
            "select _t, _row, field, reason from (unpivot (select _t, _row, " + ", ".join(errs) +
            f" from checked where {any_err}) on " + ", ".join(errs) + " into name field value reason) "
            "where reason is not null order by _t, _row, field").fetchall():
        rejects[t].append((r, fld.removeprefix("err__"), reason))
    good = dict(con.execute(f"select _t, count(*) from checked where {_ok(lt)} group by _t").fetchall())
    warnings: dict[int, list] = {i: [] for i in live}
    if lt.name == "friday_network":
        for t, r in con.execute(f"select _t, _row from checked where {_ok(lt)} and dayofweek(session_date) <> 5 "
                                "order by _t, _row").fetchall():
            warnings[t].append((r, "session_date", "not a Friday (loaded)"))
    for f in weekday_off:
        for t, r in con.execute(f'select _t, _row from checked where {_ok(lt)} and "wd__{f.name}" '
                                "order by _t, _row").fetchall():
            warnings[t].append((r, f.name, "the weekday written is not this date's (loaded as the date)"))
    for t in warnings:
        warnings[t].sort(key=lambda w: w[0])
    for i in live:
        # rows the reader rejected whole (cells past the header), in row order with the rest
        out[i] = Validated(good.get(i, 0), sorted(raws[i].pre_rejects + rejects[i], key=lambda r: r[0]),
                           warnings[i], orders[i], i)
    return out


def _ok(lt: LogType) -> str:
    return " and ".join(f'"err__{f.name}" is null' for f in lt.fields)


def use(con, lt: LogType, v: Validated) -> None:
    """Temp view `incoming`: the rows of v's table that passed, to insert."""
    cols = ", ".join(f'"{f.column}"' for f in lt.fields)
    con.execute(f"create or replace temp view incoming as select {cols}, _row as source_row from checked "
                f"where _t = {int(v.index)} and {_ok(lt)}")


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


def _screen_codes(con, field: str, key: bytes) -> None:
    """Temp table `c__<field>` (value, reason): the identifier screen's reason (`screened`), else
    HOLDS_CODE for a text holding a client code (a code this batch holds too: checked per batch,
    as the codes known grow with the load), else null."""
    vals = [r[0] for r in con.execute(f'select distinct "{field}" from "d__{field}" where "{field}" is not null').fetchall()]
    held = codes_held(con, vals, key)
    con.execute(f'create or replace temp table "c__{field}" (value varchar, reason varchar)')
    if vals:
        _temp_from(con, f"c__{field}", {"value": vals, "reason": [HOLDS_CODE if v in held else None for v in vals]})
    con.execute(f'update "c__{field}" c set reason = s.reason from screened s '
                f'where s.value = c.value and s.reason is not null')


def _person_keys(con, field: str, key: bytes, source: str | None = None) -> set[int]:
    """Normalised code -> person key for every code of the field, in temp table `person_keys`
    (kept for the connection's life, never in the database file: each code is hashed once). The
    codes of `d__<field>`, or with `source` those of one table of cells (as the load reads it)."""
    con.execute("create temp table if not exists person_keys (code varchar, person_key ubigint)")
    src = f'"d__{field}"'
    if source is not None:   # its distinct codes, kept for validate_many (raw text: dropped with the table)
        con.execute(f'create temp table "{source}__k_{field}" as select distinct "{field}" as raw_v from "{source}"')
        src = f'(select nullif(trim(raw_v::varchar, {WS}), \'\') as "{field}" from "{source}__k_{field}")'
    new = [r[0] for r in con.execute(
        f"""select distinct {_CODE_NORM.format(v=f'"{field}"')} as code from {src}
            where "{field}" is not null except select code from person_keys""").fetchall()]
    if not new:
        return set()
    keys = hash_codes(new, key)
    _temp_from(con, "person_keys", {"code": list(keys), "person_key": list(keys.values())},
               {"person_key": "ubigint"})
    return set(keys.values())


def register_codes(con, lt: LogType, source: str, key: bytes) -> set[int]:
    """The person keys of a table's codes, as soon as it is read (the new ones are returned): a
    later file's name is checked against them before the batch they wait in is validated."""
    return set().union(*(_person_keys(con, f.name, key, source) for f in lt.fields if f.kind == CODE))


def _drop_raw(con, lt: LogType | None = None, sources=None) -> None:
    """Drop every temp object that holds raw text: the union `raw_src`, the per-value tables (of
    lt's fields, or all) and the tables of cells: all of them, or with `sources` only those
    (each with its DuckDB-read table and its distinct codes)."""
    objs = con.execute("select 'table', table_name from duckdb_tables() where temporary union all "
                       "select 'view', view_name from duckdb_views() where temporary").fetchall()
    per_field = tuple(f"{pre}__" for pre in ("d", "p", "m", "c"))

    def raw(n):
        if n == "raw_src" or sources is None:
            return n.startswith("raw_src")
        return any(n == s or n == s + "_csv" or n.startswith(s + "__k_") for s in sources)
    names = [(k, n) for k, n in objs if raw(n) or (n.startswith(per_field) and (
        lt is None or n[3:] in {f.name for f in lt.fields}))]
    names.sort(key=lambda kn: kn[0] == "table")   # views first: they read the tables
    if names:
        con.execute(" ".join(f'drop {k} if exists temp."{n}";' for k, n in names))


def release(con, lt: LogType | None = None, sources=None) -> None:
    """Drop what validation left in the connection (raw text first, then the checked rows);
    `sources`: only those tables of cells (see _drop_raw)."""
    _drop_raw(con, lt, sources)
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
                       from (select _t, _row from (select _t, _row, row_number() over (
                           partition by _t, person_key, check_in order by _row) as n from checked
                           where err__client_code is null and err__check_in is null) where n > 1) dup
                       where checked._t = dup._t and checked._row = dup._row""")
