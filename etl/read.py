"""A log file -> tables of text cells, one per log type found (CSV, or XLSX sheets).

Finds the header row below title lines, skips blank and total rows, maps headers
to contract fields and keeps the row number a spreadsheet shows. Values are kept
as text here; etl/validate.py types them. Anything a user can cause raises
Refused with a one-line reason.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from shop import settings

from .contract import (DATE, LOG_TYPES, LogType, header_map, identifier_header, log_type_for,
                       norm_header)

HEADER_SCAN_ROWS = 30
_TOTAL = re.compile(r"^\s*(grand\s+|sub\s*-?\s*)?totals?\b", re.I)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


class Refused(Exception):
    """A file or sheet that cannot be loaded; the message is one line for the user."""


@dataclass
class RawTable:
    file: str
    sheet: str
    log_type: LogType
    content_sha256: str
    columns: dict[str, list]          # field name -> text cells, one per data row
    rows: list[int]                   # the row number a spreadsheet shows, per data row
    unknown_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    total_rows: int = 0
    arrow: object = None              # large CSVs: the same data as an Arrow table read by DuckDB


def max_file_bytes() -> int:
    return int(float(os.environ.get("SHOP_MAX_FILE_MB", "200")) * 1024 * 1024)


def read_file(path: str | Path, log_type: str | None = None) -> list[RawTable]:
    """Every loadable table of a file; Refused for the whole file when it can't be read."""
    path = Path(path)
    name = settings.file_name(path)  # bytes on disk: never fail on a name the locale cannot decode
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Refused(f"cannot be opened ({exc.strerror})") from None
    if size > max_file_bytes():
        raise Refused(f"is {size / 1048576:.0f} MB, over the {max_file_bytes() / 1048576:.0f} MB limit "
                      "(SHOP_MAX_FILE_MB): split it by month")
    if size == 0:
        raise Refused("is empty")
    forced = None
    if log_type:
        forced = LOG_TYPES.get(log_type)
        if forced is None:
            raise Refused(f"--type {log_type!r} is not a log type ({', '.join(LOG_TYPES)})")
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(name, data, forced)
    if suffix in (".csv", ".txt"):
        lt = forced or log_type_for(path.stem)
        if lt is None:
            raise Refused("has no log type: its name must start with one of "
                          f"{', '.join(LOG_TYPES)} (or give --type)")
        digest = hashlib.sha256(data).hexdigest()
        if len(data) >= fast_csv_bytes():
            fast = _fast_csv(path, name, data, lt, digest)
            if fast is not None:
                return [fast]
        return [_table(name, "", lt, _csv_rows(data), digest)]
    raise Refused(f"is a {suffix or 'file without extension'}: only .csv and .xlsx are read")


def fast_csv_bytes() -> int:
    """CSV files at least this big are read by DuckDB itself when their shape allows."""
    return int(os.environ.get("SHOP_FAST_CSV_BYTES", str(64 * 1024)))


def _fast_csv(path: Path, name: str, data: bytes, lt: LogType, digest: str) -> RawTable | None:
    """Read a large, plain CSV with DuckDB's own reader; None when the slow path must decide.

    Taken only when the file is UTF-8 and has no blank line after its header, so that DuckDB's
    record count gives the same row numbers a spreadsheet shows. Any CSV error falls back.
    """
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head_text = data[:65536].decode("utf-8", "ignore")
    head_text = head_text[: head_text.rfind("\n") + 1]
    if head_text.startswith("\ufeff"):
        return None  # a BOM shifts DuckDB's first line; the slow path handles it
    delim = ";" if head_text.count(";") > head_text.count(",") else ","
    reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=delim)
    head_rows, lines_after = [], []
    try:
        for r in reader:
            head_rows.append(r)
            lines_after.append(reader.line_num)
    except csv.Error:
        return None
    hi, mapping, unknown = _find_header(head_rows, lt)
    skip = lines_after[hi]
    offset = 0
    for _ in range(skip):
        offset = data.index(b"\n", offset) + 1
    if re.search(rb"\n\r?\n", data[offset:].rstrip(b"\r\n")) or data[offset:offset + 2] in (b"\n", b"\r\n"):
        return None
    ncols = len(head_rows[hi])
    columns = "{" + ", ".join(f"'c{j}': 'VARCHAR'" for j in range(ncols)) + "}"
    date_cols = [j for j, f in mapping.items() if lt.field(f).kind == DATE]
    total = r"(?i)^\s*(grand\s+|sub\s*-?\s*)?totals?\b"
    blank = " and ".join(f"coalesce(trim(c{j}), '') = ''" for j in range(ncols))
    any_total = " or ".join(f"coalesce(regexp_matches(c{j}, $total), false)" for j in range(ncols))
    no_date = " and ".join(f"(coalesce(trim(c{j}), '') = '' or regexp_matches(c{j}, $total))" for j in date_cols) or "true"
    fields = ", ".join(f'c{j} as "{f}"' for j, f in mapping.items())
    missing = ", ".join(f'null::varchar as "{f.name}"' for f in lt.fields if f.name not in mapping.values())
    import duckdb
    con = duckdb.connect()
    try:
        # One pass: number the records as a spreadsheet does, drop blank rows, mark total rows
        # (the total pattern is tried only on rows with no date, which is few).
        con.execute(f"""create temp table kept as
            with src as (
              select row_number() over () + {hi + 1} as _row, *
              from read_csv($path, header = false, skip = $skip, auto_detect = false, columns = {columns},
                            delim = $delim, quote = '"', escape = '"', max_line_size = 1000000)
            )
            select *, case when {no_date} then {any_total} else false end as is_total
            from src where not ({blank})""",
                    {"path": str(path), "skip": skip, "delim": delim, "total": total}).fetchall()
        totals = con.execute("select count(*) from kept where is_total").fetchall()[0][0]
        tbl = con.sql(f"select _row, {fields}{', ' + missing if missing else ''} from kept where not is_total "
                      "order by _row").to_arrow_table()
    except (duckdb.Error, UnicodeEncodeError):  # a name DuckDB cannot take: the slow path reads bytes
        return None
    finally:
        con.close()
    return RawTable(name, "", lt, digest, {}, [], unknown, tbl.num_rows, totals, tbl)


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise Refused("contains NUL bytes: it is not a text CSV (save it again as CSV UTF-8)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise Refused("is not UTF-8 or Windows-1252 text (save it again as CSV UTF-8)") from None


def _csv_rows(data: bytes) -> list[list[str]]:
    text = _decode(data)
    head = text[:20000]
    delim = ";" if head.count(";") > head.count(",") else ","
    csv.field_size_limit(1_000_000)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True))
    except csv.Error as exc:
        msg = str(exc)
        if "field larger" in msg:
            raise Refused("has a cell over a million characters: not a service log") from None
        raise Refused(f"is not well-formed CSV ({msg}; check for an unbalanced quote)") from None


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dt.timedelta):
        return ""
    return str(v)


def _read_xlsx(name: str, data: bytes, forced: LogType | None) -> list[RawTable]:
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise Refused("is a password-protected workbook or an old .xls: remove the password or "
                      "save it as .xlsx")
    if data[:2] != b"PK":
        raise Refused("is not an Excel .xlsx workbook (save it again as .xlsx)")
    import python_calamine
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(wb.sheet_names)
    except Exception:
        raise Refused("is not a readable .xlsx workbook (damaged, or a zip under another name)") from None
    by_name = forced or log_type_for(Path(name).stem)
    if by_name:
        wanted = [(names[0], by_name)] if names else []
    else:
        wanted = [(s, LOG_TYPES[log_type_for(s).name]) for s in names if log_type_for(s)]
        if not wanted:
            raise Refused("has no log type: neither its name nor any sheet name starts with one of "
                          f"{', '.join(LOG_TYPES)} (or give --type)")
    tables = []
    for sheet, lt in wanted:
        try:
            grid = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except Exception:
            raise Refused(f"sheet {sheet!r} cannot be read (damaged workbook)") from None
        rows = [[_cell_text(v) for v in r] for r in grid]
        raw = [list(r) for r in grid]
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        t = _table(name, sheet, lt, rows, digest, raw)
        tables.append(t)
    return tables


def _find_header(rows: list[list[str]], lt: LogType) -> tuple[int, dict[int, str], list[str]]:
    hmap = header_map(lt)
    best = (-1, 0)
    for i, r in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = len({hmap[k] for k in (norm_header(c) for c in r) if k in hmap})
        if score > best[1]:
            best = (i, score)
    if best[0] < 0:
        raise Refused(f"has no header row with {lt.name} columns in its first {HEADER_SCAN_ROWS} rows "
                      f"(needs {', '.join(f.name for f in lt.fields if f.required)})")
    i = best[0]
    mapping: dict[int, str] = {}
    unknown = []
    for j, c in enumerate(rows[i]):
        k = norm_header(c)
        if not k:
            continue
        f = hmap.get(k)
        if f and f not in mapping.values():
            mapping[j] = f
        else:
            if identifier_header(c):
                raise Refused(f"has a column {str(c)[:40]!r} that names a direct identifier: the whole "
                              "file is refused and nothing was stored; delete that column and load again")
            unknown.append(str(c)[:40] + (" (duplicate)" if f else ""))
    missing = [f.name for f in lt.fields if f.required and f.name not in mapping.values()]
    if missing:
        raise Refused(f"has no column for required field {', '.join(missing)} "
                      f"(header row {i + 1})")
    return i, mapping, unknown


def _table(name, sheet, lt, rows, digest, raw=None) -> RawTable:
    hi, mapping, unknown = _find_header(rows, lt)
    cols = {f.name: [] for f in lt.fields}
    rownums = []
    date_fields = {f.name for f in lt.fields if f.kind == DATE}
    read = totals = 0
    for i in range(hi + 1, len(rows)):
        r = rows[i]
        if not any(c.strip() for c in r):
            continue
        if any(_TOTAL.match(c) for c in r if c) and _no_date(r, mapping, date_fields):
            totals += 1
            continue
        read += 1
        rownums.append(i + 1)
        for fname in cols:
            cols[fname].append(None)
        for j, fname in mapping.items():
            v = r[j] if j < len(r) else ""
            if raw is not None and fname in date_fields and j < len(raw[i]):
                cell = raw[i][j]
                # An Excel date typed or pasted as a number keeps its serial; read it as a date.
                if isinstance(cell, (int, float)) and not isinstance(cell, bool) and 20000 < cell < 80000:
                    v = (_EXCEL_EPOCH + dt.timedelta(days=int(cell))).isoformat()
            cols[fname][-1] = v
    return RawTable(name, sheet, lt, digest, cols, rownums, unknown, read, totals)


def _no_date(r, mapping, date_fields) -> bool:
    """A total row carries no date of its own (or the word Total where the date goes)."""
    for j, fname in mapping.items():
        if fname in date_fields and j < len(r) and r[j].strip() and not _TOTAL.match(r[j]):
            return False
    return True
