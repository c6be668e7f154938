"""A log file -> tables of text cells, one per log type found (CSV/TSV/TXT, or workbook sheets).

Finds the header row below title lines, skips blank, total and footnote rows (and counts
them, so a load can account for every row), maps headers to contract fields and keeps the
row number a spreadsheet shows. Values are kept as text here; etl/validate.py types them.
A workbook's sheets are each read, or noted with the reason they were not. Anything a user
can cause raises Refused (the whole file) or Skip (not a log file) with a one-line reason.
One room, though long: the two readers (DuckDB's for large CSVs, the careful one for the rest and
for workbooks) must give the same rows and row numbers, and keeping them side by side keeps them so.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from shop import settings

from shop.contract import (CODE, DATE, LOG_TYPES, LogType, header_map, identifier_header, log_types_named, norm_header,
                           split_unit)
from shop.privacy import header_said, looks_identifying

HEADER_SCAN_ROWS = 30
_TOTAL = re.compile(r"^\s*(grand\s+|sub\s*-?\s*)?totals?\b", re.I)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


class Refused(Exception):
    """A file or sheet that cannot be loaded; the message is one line for the user."""


class NameRefused(Refused):
    """A file refused because its name holds an identifier: it is shown by `masked`, never by name."""

    def __init__(self, message: str, masked: str):
        super().__init__(message)
        self.masked = masked


def masked_name(name: str) -> str:
    """A file name fit to print when it holds an identifier: its first word, digits hidden."""
    path = Path(name)
    first = (re.findall(r"[A-Za-z]+|\d+", path.stem) or ["file"])[0]
    return re.sub(r"\d", "#", first) + "…" + path.suffix


def code_masked_name(name: str) -> str:
    """A file (or sheet) name fit to print when it holds a client code: its log type, if its name
    starts with one, and its suffix; no letter of the rest (the code could start right after)."""
    path = Path(name.split("/")[-1])
    named = log_types_named(path.stem)
    return (named[0] if named else "file") + "…" + path.suffix


def sheet_masked(t) -> str:
    """A sheet (a RawTable or SheetNote) whose name holds a client code, as printed: its number,
    and the log type its name starts with (`sheet 2 (supplies…)`)."""
    named = log_types_named(t.sheet)   # (a sheet's name has no suffix: `supplies 2025.QA10K` is all name)
    said = f"{named[0]}…" if named else "its name not shown"
    return f"sheet {t.number} ({said})" if t.number else f"a sheet ({said})"


class Skip(Exception):
    """A file that is not a log file (not a spreadsheet, an Excel lock file): noted, not an error."""


BOOKS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXTS = (".csv", ".tsv", ".txt")
_DELIMITERS = (",", ";", "\t", "|")
_HOURS = {"h", "hr", "hrs", "hour", "hours"}


@dataclass
class RawTable:
    file: str
    sheet: str
    log_type: LogType
    content_sha256: str
    columns: dict[str, list]          # field name -> text cells, one per data row
    rows: list[int]                   # the row number a spreadsheet shows, per data row
    unknown_columns: list[str] = field(default_factory=list)
    rows_read: int = 0                # data rows: loaded + rejected
    total_rows: int = 0
    plan: "FastCsv | None" = None     # large CSVs: read by DuckDB into the load's connection
    header_rows: int = 0
    number: int = 0                   # the sheet's place in its workbook (1 = the first; 0 = a CSV)
    title_rows: int = 0               # non-blank rows above the header row
    blank_rows: int = 0
    footnote_rows: int = 0            # one-cell text rows below the data (notes, sources)
    how: str = ""                     # how the log type was decided, when not by a name
    pre_rejects: list = field(default_factory=list)  # (row, field, reason) of rows rejected whole when read

    @property
    def skipped(self) -> dict[str, int]:
        """Rows that are not data, by kind (header, title, blank, total, footnote)."""
        return {"header": self.header_rows, "title": self.title_rows, "blank": self.blank_rows,
                "total": self.total_rows, "footnote": self.footnote_rows}

    @property
    def rows_in_table(self) -> int:
        """Every row the file or sheet holds: data rows plus skipped ones."""
        return self.rows_read + sum(self.skipped.values())

    def materialize(self, con, into: str) -> None:
        """Temp table `into` in con: _row (the row number a spreadsheet shows) and the log type's
        fields as text. A large CSV is read by DuckDB here; if it cannot be, it is read again by
        the slow path (which may refuse it)."""
        if self.plan is not None:
            if self.plan.materialize(con, self, into):
                return
            slow = _table(self.file, self.sheet, self.log_type,
                          _csv_rows(self.plan.path.read_bytes(), self.log_type, self.plan.delim), self.content_sha256)
            for k in ("columns", "rows", "unknown_columns", "rows_read", "total_rows", "header_rows",
                      "title_rows", "blank_rows", "footnote_rows", "pre_rejects", "how"):
                setattr(self, k, getattr(slow, k))
            self.plan = None
        # Lists as parameters, unnested side by side: no Arrow or pandas to import for a small file.
        fields = self.log_type.fields
        cols = ", ".join(f'unnest(${i + 2}::varchar[]) as "{f.name}"' for i, f in enumerate(fields))
        con.execute(f'create or replace temp table "{into}" as select unnest($1::bigint[]) as _row, {cols}',
                    [self.rows] + [self.columns[f.name] for f in fields])


@dataclass
class SheetNote:
    """A sheet of a workbook that was not read, and why."""
    file: str
    sheet: str
    status: str                       # skipped | refused
    reason: str
    number: int = 0                   # the sheet's place in its workbook (1 = the first)


@dataclass
class Read:
    items: list                       # RawTable | SheetNote, in the order of the sheets

    @property
    def tables(self) -> list[RawTable]:
        return [t for t in self.items if isinstance(t, RawTable)]

    @property
    def notes(self) -> list[SheetNote]:
        return [n for n in self.items if isinstance(n, SheetNote)]


def max_file_bytes() -> int:
    return int(float(os.environ.get("SHOP_MAX_FILE_MB", "200")) * 1024 * 1024)


def read_file(path: str | Path, log_type: str | None = None) -> list[RawTable]:
    """Every loadable table of a file; Refused for the whole file when it can't be read."""
    return read(path, log_type).tables


def _skip_reason(name: str) -> str | None:
    """Why a file of a folder is not a log file at all, from its name (its path in the folder)."""
    parts = name.split("/")
    base = parts[-1]
    if base.startswith("~$"):
        return "Excel's lock file for a workbook that is open: close the workbook"
    if base.startswith(".~lock.") and base.endswith("#"):
        return "LibreOffice's lock file for a workbook that is open: close the workbook"
    if base.startswith("."):
        return "hidden file"
    if any(p.startswith(".") or p == "__MACOSX" for p in parts[:-1]):
        return "in a hidden folder"
    if base.startswith("~") or base.endswith(("~", "#")) or Path(base).suffix.lower() in (".tmp", ".bak", ".part"):
        return "temporary file"
    if Path(base).suffix.lower() not in BOOKS + TEXTS:
        return "not a spreadsheet"
    return None


def name_identifying(name: str) -> str | None:
    """Why a file's name (each folder of its path, and its stem) looks like an identifier, else None.
    Folders are screened one by one: `2024/2025/03` together would read as a phone number."""
    parts = name.split("/")
    return next(filter(None, (looks_identifying(p) for p in parts[:-1] + [Path(parts[-1]).stem])), None)


def read(path: str | Path, log_type: str | None = None, name: str | None = None) -> Read:
    """Every loadable table of a file and a note per sheet not read; Refused for the whole file
    when it can't be read, Skip when it is not a log file at all.

    `name` is the file's path relative to the folder loaded (`corrected/supplies.csv`), the
    name it is stored and shown by; by default its own name."""
    path = Path(path)
    # bytes on disk: never fail on a name the locale cannot decode
    name = name or settings.file_name(path)
    suffix = path.suffix.lower()
    why = name_identifying(name)
    skip = _skip_reason(name)
    if skip:
        exc = Skip(skip)
        exc.masked = masked_name(name) if why else name
        raise exc
    if why:
        raise NameRefused(f"its name holds what {why}: file names are stored and printed in reports, "
                          "so rename it and load again", masked_name(name))
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
    if suffix in BOOKS:
        return _read_book(name, suffix, data, forced)
    named = log_types_named(Path(name).stem)
    lt = forced or (LOG_TYPES[named[0]] if len(named) == 1 else None)
    delim = "\t" if suffix == ".tsv" else None
    if lt is None and named:
        # A name that could be two logs (`Safe Suite March.csv`): the header decides, as for a sheet.
        rows = _csv_rows(data, LOG_TYPES[named[0]], delim)
        lt, how, problem = _decide(rows, (), named)
        if lt is None:
            raise Refused(problem.removeprefix("not read: ").replace("name the sheet", "start its name with"))
        t = _table(name, "", lt, rows, hashlib.sha256(data).hexdigest())
        t.how = how
        return Read([t])
    if lt is None:
        raise Refused("has no log type: its name must start with one of "
                      f"{', '.join(LOG_TYPES)} (or give --type)")
    digest = hashlib.sha256(data).hexdigest()
    if len(data) >= fast_csv_bytes() and suffix != ".txt":
        fast = _fast_csv(path, name, data, lt, digest, delim)
        if fast is not None:
            return Read([fast])
    return Read([_table(name, "", lt, _csv_rows(data, lt, delim), digest)])


def fast_csv_bytes() -> int:
    """CSV files at least this big are read by DuckDB itself when their shape allows."""
    return int(os.environ.get("SHOP_FAST_CSV_BYTES", str(64 * 1024)))


def _fast_csv(path: Path, name: str, data: bytes, lt: LogType, digest: str, delim: str | None) -> RawTable | None:
    """A large, plain CSV to be read by DuckDB itself, straight into the load's connection (see
    FastCsv); None when the slow path must decide.

    Taken only when the file is UTF-8 and has no blank line after its header, so that DuckDB's
    record count gives the same row numbers a spreadsheet shows. A CSV error when it is read
    falls back to the slow path.
    """
    if b"\x00" in data:
        return None
    if not data.isascii():  # isascii() copies nothing; a decode of a large file would
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    head_text = data[:65536].decode("utf-8", "ignore")
    head_text = head_text[: head_text.rfind("\n") + 1]
    if head_text.startswith("\ufeff"):
        return None  # a BOM shifts DuckDB's first line; the slow path handles it
    delim = delim or _sniff(head_text, lt)
    reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=delim)
    head_rows, lines_after = [], []
    try:
        for r in reader:
            head_rows.append(r)
            lines_after.append(reader.line_num)
    except csv.Error:
        return None
    try:
        hi, mapping, unknown = _find_header(head_rows, lt)
    except Refused:
        return None  # the slow path refuses it, naming the real problem (a separator, an identifier column)
    tail = _footnote_tail(data, delim)
    if tail is None:
        return None
    skip = lines_after[hi]
    offset = 0
    for _ in range(skip):
        offset = data.index(b"\n", offset) + 1
    end = len(data)
    while end > offset and data[end - 1] in b"\r\n":
        end -= 1
    if _BLANK_LINE.search(data, offset, end) or data[offset:offset + 2] in (b"\n", b"\r\n"):
        return None
    titles = sum(1 for r in head_rows[:hi] if any(c.strip() for c in r))
    t = RawTable(name, "", lt, digest, {}, [], unknown, 0, 0, header_rows=1, title_rows=titles,
                 blank_rows=hi - titles)
    width = max((j + 1 for j, c in enumerate(head_rows[hi]) if c.strip()), default=0)
    t.plan = FastCsv(path, skip, delim, len(head_rows[hi]), hi, tail, mapping, width)
    return t


_BLANK_LINE = re.compile(rb"\n\r?\n")
_TOTAL_SQL = r"(?i)^\s*(grand\s+|sub\s*-?\s*)?totals?\b"


@dataclass
class FastCsv:
    """How DuckDB reads a large CSV into the load's own connection, as a TEMP table (memory and
    the connection's private temp folder, never the database file): numbered as a spreadsheet
    numbers its rows, blank rows dropped, total and footnote rows counted and dropped."""
    path: Path
    skip: int
    delim: str
    ncols: int
    header_index: int
    tail: int
    mapping: dict
    width: int = 0                    # the header's last named column + 1: a cell past it sends the file to the slow path

    def materialize(self, con, t: RawTable, into: str) -> bool:
        """Create temp table `into` (_row and the log type's fields, as text) and set t's counts;
        False when DuckDB cannot read the file as planned (the caller falls back)."""
        import duckdb
        lt, n = t.log_type, self.ncols
        columns = "{" + ", ".join(f"'c{j}': 'VARCHAR'" for j in range(n)) + "}"
        date_cols = [j for j, f in self.mapping.items() if lt.field(f).kind == DATE]
        blank = " and ".join(f"coalesce(trim(c{j}), '') = ''" for j in range(n))
        needed = [j for j, f in self.mapping.items() if lt.field(f).required]
        # A row with a required cell filled (its date, say) is not blank: every cell is tried only
        # where that one is empty.
        if needed:
            blank = f"case when coalesce(trim(c{needed[0]}), '') = '' then {blank} else false end"
        any_total = " or ".join(f"coalesce(regexp_matches(c{j}, $total), false)" for j in range(n))
        past = " or ".join(f"coalesce(trim(c{j}), '') <> ''" for j in range(self.width or n, n)) or "false"
        no_date = " and ".join(f"(coalesce(trim(c{j}), '') = '' or regexp_matches(c{j}, $total))"
                               for j in date_cols) or "true"
        fields = ", ".join(f'c{j} as "{f}"' for j, f in self.mapping.items())
        missing = ", ".join(f'null::varchar as "{f.name}"' for f in lt.fields if f.name not in self.mapping.values())
        first = self.header_index + 2  # the row a spreadsheet shows for the first record after the header
        try:
            # One parallel pass: the records in file order (so a record's rowid is its place in the
            # file, and rowid + first the row a spreadsheet shows), blank rows and total rows marked
            # (the total pattern is tried only on rows with no date, which is few).
            # Short rows (a footnote's one cell) need null_padding, which DuckDB's parallel reader
            # cannot combine with line breaks inside quotes: the plain read is tried first.
            for padding in (False, True):
                try:
                    con.execute(f"""create or replace temp table "{into}_csv" as
                        select {fields}{', ' + missing if missing else ''}, ({blank}) as _blank,
                               case when {no_date} then {any_total} else false end as _total, ({past}) as _past
                        from read_csv($path, header = false, skip = $skip, auto_detect = false, columns = {columns},
                                      delim = $delim, quote = '"', escape = '"', max_line_size = 1000000,
                                      null_padding = {str(padding).lower()})""",
                                {"path": str(self.path), "skip": self.skip, "delim": self.delim, "total": _TOTAL_SQL})
                    break
                except duckdb.Error:
                    if padding:
                        raise
            # Footnotes: the one-cell text rows at the end (counted from the file's tail, which is
            # small), past `cut`: the last row with text, less the tail's footnote rows.
            blanks, totals, footnotes, rows, cut, past_n = con.execute(
                f"""with m as (select coalesce(max(rowid) filter (where not _blank), -1) - $tail as cut from "{into}_csv")
                    select count(*) filter (where _blank), count(*) filter (where _total and not _blank),
                           count(*) filter (where not _total and not _blank and rowid > m.cut),
                           count(*) filter (where not _total and not _blank and rowid <= m.cut), any_value(m.cut),
                           count(*) filter (where _past)
                    from "{into}_csv", m""", {"tail": self.tail}).fetchall()[0]
            if past_n:   # cells under no header: the slow path decides (a column of its own, or rows rejected)
                raise duckdb.Error("cells past the header")
            con.execute(f"""create or replace temp view "{into}" as select rowid + {first} as _row, *
                            from "{into}_csv" where not _blank and not _total and rowid <= {-1 if cut is None else int(cut)}""")
        except (duckdb.Error, UnicodeEncodeError):  # a name DuckDB cannot take: the slow path reads bytes
            with contextlib.suppress(duckdb.Error):
                con.execute(f'drop view if exists temp."{into}"')
            con.execute(f'drop table if exists temp."{into}_csv"')
            return False
        t.rows_read, t.total_rows, t.footnote_rows = rows, totals, footnotes
        t.blank_rows += blanks  # rows of empty cells (,,,) are skipped and counted like blank lines
        return True


def _footnote_tail(data: bytes, delim: str) -> int | None:
    """How many records at the end of a CSV are footnotes (one text cell); None when unsure."""
    tail = data[-4096:].decode("utf-8", "ignore").rstrip("\r\n").splitlines()[1:]
    n = 0
    for line in reversed(tail):
        cells = [c for c in next(csv.reader([line], delimiter=delim), []) if c.strip()]
        if len(cells) == 1 and _is_footnote_text(cells[0]):
            if line.count('"') % 2:
                # the end of a quoted cell typed over lines (Alt+Enter) looks like a one-cell line
                # too: only the slow path, which reads records, can tell
                return None
            n += 1
        else:
            return n
    return None if tail else 0


def _is_footnote_text(cell: str) -> bool:
    """One cell of text with a letter, not a total and not a date: a note under a table."""
    return bool(re.search(r"[A-Za-z]", cell)) and not _TOTAL.match(cell) and not re.search(r"\d{1,4}[-/]\d", cell)


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):   # Excel's "Unicode Text", LibreOffice's "Unicode": UTF-16
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise Refused("is not readable UTF-16 text (save it again as CSV UTF-8)") from None
        if "\x00" not in text:
            return text
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


def _sniff(text: str, lt: LogType) -> str:
    """The delimiter whose split gives the best header for the log type (then the most columns)."""
    best = (-1, -1, ",")
    lines = text.splitlines()[:HEADER_SCAN_ROWS + 5]
    for d in _DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines), newline=""), delimiter=d))
        except csv.Error:
            continue
        score = _header_fit(rows, lt)[3] if rows else 0
        width = max((len(r) for r in rows), default=0)
        if (score, width) > best[:2]:
            best = (score, width, d)
    return best[2]


def _csv_rows(data: bytes, lt: LogType, delim: str | None = None) -> list[list[str]]:
    text = _decode(data)
    delim = delim or _sniff(text[:20000], lt)
    csv.field_size_limit(1_000_000)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True))
    except csv.Error as exc:
        msg = str(exc)
        if "field larger" in msg:
            raise Refused("has a cell over a million characters: not a service log") from None
        raise Refused(f"is not well-formed CSV ({msg}; check for an unbalanced quote)") from None
    filled = [r for r in rows[:HEADER_SCAN_ROWS] if any(c.strip() for c in r)]
    if filled and all(len(r) == 1 for r in filled) and len(filled) > 1:
        # Never blame the header when the separator is the problem.
        raise Refused("has one column on every line: its values are not separated by commas, semicolons "
                      "or tabs (save it again as CSV UTF-8, or as Text (Tab delimited))")
    return rows


def _clock(seconds: float) -> str:
    """A duration as h:mm:ss text (hours may pass 24), which validate reads as minutes."""
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


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
    if isinstance(v, dt.timedelta):  # an [h]:mm duration cell
        return _clock(v.total_seconds())
    if isinstance(v, dt.time):       # an h:mm time cell
        return _clock(v.hour * 3600 + v.minute * 60 + v.second)
    return str(v)


def _duration_cell(v):
    """A minutes cell as Excel may hold it: an h:mm past a day (a time cell is read as a time; a
    plain number under 1, 0.5, is a number of minutes, not a fraction of a day, and is rejected
    as not whole, as in a CSV)."""
    if isinstance(v, dt.datetime) and v.year <= 1900:  # [h]:mm of a day or more, read as a 1900 date
        return _clock((v - dt.datetime(1899, 12, 30)).total_seconds())
    return None


def _open_book(name: str, suffix: str, data: bytes):
    import python_calamine
    cfb = data[:4] == b"\xd0\xcf\x11\xe0"
    if suffix in (".xlsx", ".xlsm", ".xlsb") and cfb:
        raise Refused("is a password-protected workbook or an old .xls under another name: remove the "
                      "password, or save it again as .xlsx")
    if suffix in (".xlsx", ".xlsm", ".ods") and data[:2] != b"PK":
        kind = "an OpenDocument .ods" if suffix == ".ods" else f"an Excel {suffix}"
        raise Refused(f"is not {kind} workbook (save it again as .xlsx, or as CSV UTF-8)")
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return wb, list(wb.sheet_names)
    except Exception:
        if cfb:
            raise Refused("is a password-protected or damaged workbook: remove the password, or save it "
                          "again as .xlsx") from None
        raise Refused(f"is not a readable {suffix} workbook (damaged, or a zip under another name)") from None


class ExcelError(str):
    """An Excel error cell (#N/A, #REF!, #DIV/0!): read as the text Excel shows, which no field takes
    (a text field rejects it too, etl/validate.py), so its row is rejected, never read as blank."""


def _error_cells(data: bytes) -> dict[str, list[tuple[int, int, str]]]:
    """{sheet: [(row, column, error text)]} of an .xlsx workbook's error cells, 0-based
    (python-calamine reads an error as an empty cell). Only the sheets whose XML holds an error
    cell are read, by their cells' own references (`<c r="B3" t="e">`); where a writer left the
    references out, openpyxl reads that sheet."""
    import html
    import zipfile
    out: dict[str, list] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            rels = {m.group(1): m.group(2) for m in re.finditer(
                rb'<Relationship\b[^>]*?\bId="([^"]+)"[^>]*?\bTarget="([^"]+)"', z.read("xl/_rels/workbook.xml.rels"))}
            rels.update({m.group(2): m.group(1) for m in re.finditer(
                rb'<Relationship\b[^>]*?\bTarget="([^"]+)"[^>]*?\bId="([^"]+)"', z.read("xl/_rels/workbook.xml.rels"))})
            for m in re.finditer(rb"<(?:\w+:)?sheet\b([^>]*)/?>", z.read("xl/workbook.xml")):
                name = re.search(rb'\bname="([^"]*)"', m.group(1))
                rid = re.search(rb'\br:id="([^"]*)"', m.group(1)) or re.search(rb'\b\w+:id="([^"]*)"', m.group(1))
                target = rels.get(rid.group(1)) if rid else None
                if not name or not target:
                    continue
                target = target.decode().lstrip("/")
                path = target if target.startswith("xl/") else "xl/" + target
                xml = z.read(path) if path in z.namelist() else b""
                if b't="e"' not in xml:
                    continue
                sheet = html.unescape(name.group(1).decode("utf-8"))
                cells = []
                for c in re.finditer(rb'<c\b([^>]*?\bt="e"[^>]*)>(.*?)</c>', xml, re.S):
                    ref = re.search(rb'\br="([A-Z]+)(\d+)"', c.group(1))
                    if ref is None:
                        cells = _error_cells_openpyxl(data, sheet)
                        break
                    col = 0
                    for ch in ref.group(1).decode():
                        col = col * 26 + ord(ch) - 64
                    v = re.search(rb"<v>(.*?)</v>", c.group(2), re.S)
                    cells.append((int(ref.group(2)) - 1, col - 1,
                                  html.unescape(v.group(1).decode("utf-8")) if v else "#ERROR"))
                if cells:
                    out[sheet] = cells
    except Exception:
        return {}   # calamine's reading stands; a damaged workbook is said there
    return out


def _error_cells_openpyxl(data: bytes, sheet: str) -> list[tuple[int, int, str]]:
    import openpyxl
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb[sheet]
        ws.reset_dimensions()   # a wrong <dimension> would end the reading early
        return [(cell.row - 1, cell.column - 1, str(cell.value)) for row in ws.iter_rows() for cell in row
                if getattr(cell, "data_type", None) == "e"]
    finally:
        wb.close()


def _serial_epoch(data: bytes) -> dt.date | None:
    """Day 0 of the workbook's date serials: 1 January 1904 in a workbook of the 1904 date system
    (old Mac Excel), else None (the usual 1900 system)."""
    import zipfile
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            book = z.read("xl/workbook.xml")
    except Exception:
        return None
    return dt.date(1904, 1, 1) if re.search(rb'date1904="(1|true)"', book) else None


_ODS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
        "calcext": "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"}
_ODS_ERROR = re.compile(r"#[A-Z0-9/]+[!?]?|Err:\d{3}")
_ODS_COLUMNS = 512


def _ods_extras(data: bytes) -> tuple[dict, dict, dt.date | None]:
    """What python-calamine does not give of an .ods workbook, from its content.xml: ({sheet:
    [(row, column, error text)]}, {sheet: [(first row, last row, column)] merged down}, day 0 of
    its date serials when not the usual 30 December 1899). 0-based, as calamine's grid. Read only
    when the XML holds an error cell, a merge or another day 0."""
    import zipfile
    from xml.etree import ElementTree as ET
    errors: dict = {}
    merged: dict = {}
    epoch = None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read("content.xml")
    except Exception:
        return errors, merged, epoch
    null = re.search(rb'<table:null-date\b[^>]*table:date-value="(\d{4})-(\d{2})-(\d{2})', xml)
    if null and null.groups() != (b"1899", b"12", b"30"):
        epoch = dt.date(*(int(g) for g in null.groups()))
    if b'value-type="error"' not in xml and b"number-rows-spanned" not in xml and b"Err:" not in xml:
        return errors, merged, epoch
    t = "{%s}" % _ODS["table"]
    vt_calc, vt_office = "{%s}value-type" % _ODS["calcext"], "{%s}value-type" % _ODS["office"]
    sheet, r = None, 0
    try:
        for ev, el in ET.iterparse(io.BytesIO(xml), events=("start", "end")):
            if el.tag == t + "table":
                if ev == "start":
                    sheet, r = el.get(t + "name"), 0
                continue
            if el.tag != t + "table-row" or ev != "end":
                continue
            c, reps = 0, int(el.get(t + "number-rows-repeated", "1"))
            for cell in el:
                n = int(cell.get(t + "number-columns-repeated", "1"))
                wide = max(0, min(n, _ODS_COLUMNS - c))   # a cell repeated to the sheet's edge: no log is that wide
                if cell.tag == t + "table-cell" and wide:
                    shown = "".join(cell.itertext()).strip()
                    is_error = cell.get(vt_calc) == "error" or (
                        cell.get(vt_office) in (None, "string") and cell.get("{%s}formula" % _ODS["table"])
                        and _ODS_ERROR.fullmatch(shown))
                    if is_error:   # a row written once for identical rows (a copied row) is each of them
                        for i in range(reps if reps <= 100_000 else 1):
                            errors.setdefault(sheet, []).extend((r + i, c + j, shown or "#ERROR") for j in range(wide))
                    span = int(cell.get(t + "number-rows-spanned", "1"))
                    if span > 1:
                        merged.setdefault(sheet, []).extend((r, r + span - 1, c + j) for j in range(wide))
                c += n
            r += reps
            el.clear()
    except ET.ParseError:
        return None, {}, epoch   # not read: the sheets' lines say so
    return errors, merged, epoch


def _xls_extras(data: bytes) -> tuple[dict | None, dt.date | None]:
    """What python-calamine does not give of an old .xls workbook (xlrd reads it): ({sheet: [(row,
    column, error text)]}, day 0 of its date serials in the 1904 system, else None); (None, None)
    when xlrd cannot read it."""
    errors: dict = {}
    try:
        import xlrd
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception:
        return None, None   # not read: the sheets' lines say so
    try:
        epoch = dt.date(1904, 1, 1) if book.datemode == 1 else None
        for name in book.sheet_names():
            sh = book.sheet_by_name(name)
            for r in range(sh.nrows):
                for c, kind in enumerate(sh.row_types(r)):
                    if kind == xlrd.XL_CELL_ERROR:
                        errors.setdefault(name, []).append(
                            (r, c, xlrd.error_text_from_code.get(sh.cell_value(r, c), "#ERROR")))
            book.unload_sheet(name)
    except Exception:
        return None, None
    finally:
        book.release_resources()
    return errors, epoch


def _merged_down(wb, sheet: str) -> list[tuple[int, int, int]]:
    """(first row, last row, column) of each cell merged over several rows, 0-based: a person reads
    its value in every row it spans."""
    try:
        ranges = wb.get_sheet_by_name(sheet).merged_cell_ranges or []
    except Exception:
        return []
    return [(r0, r1, c0) for (r0, c0), (r1, _c1) in ranges if r1 > r0]


def _read_book(name: str, suffix: str, data: bytes, forced: LogType | None) -> Read:
    """Every sheet whose header fits its log type, and a note for each sheet that is not read."""
    wb, names = _open_book(name, suffix, data)
    errors, epoch, merges = {}, None, None   # merges: None = calamine's own (.xlsx, .xls)
    if suffix in (".xlsx", ".xlsm"):
        errors, epoch = _error_cells(data), _serial_epoch(data)
    elif suffix == ".ods":   # calamine gives neither its errors nor its merges
        errors, merges, epoch = _ods_extras(data)
    elif suffix == ".xls":
        errors, epoch = _xls_extras(data)
    unread = errors is None   # the workbook's own XML or records could not be read for its error cells
    errors = errors or {}
    by_file = (forced.name,) if forced else log_types_named(Path(name).stem)
    try:   # a hidden tab is read as any other (often an old copy kept out of sight): its line says so
        import python_calamine
        hidden = {m.name for m in wb.sheets_metadata if m.visible != python_calamine.SheetVisibleEnum.Visible}
    except Exception:
        hidden = set()
    out = Read([])
    for number, sheet in enumerate(names, 1):
        why = looks_identifying(sheet)   # before anything says the sheet's name
        try:
            grid = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except Exception:
            said = f"sheet {number}" if why else f"sheet {sheet!r}"
            raise Refused(f"{said} cannot be read (damaged workbook)") from None
        raw = [list(r) for r in grid]
        for r, c, text in errors.get(sheet, ()):   # what Excel shows (calamine reads an error as blank)
            while len(raw) <= r:
                raw.append([])
            raw[r] += [""] * (c + 1 - len(raw[r]))
            raw[r][c] = ExcelError(text)
        # a row of nothing but errors (a lookup column filled down past the data) is a blank row
        only_errors = 0
        for r in raw:
            filled = [v for v in r if v is not None and str(v).strip()]
            if filled and all(isinstance(v, ExcelError) for v in filled):
                r[:] = ["" for _ in r]
                only_errors += 1
        rows = [[_cell_text(v) for v in r] for r in raw]
        if not any(c.strip() for r in rows for c in r):
            out.items.append(SheetNote(name, f"sheet {number} (its name not shown)" if why else sheet, "skipped",
                                       f"empty sheet; its name holds what {why}" if why else "empty sheet"))
            continue
        if why:
            raise Refused(f"sheet {number}: its name holds what {why}: sheet names are stored and "
                          "printed in reports, so rename the sheet and load again")
        by_sheet = () if forced else log_types_named(sheet)
        lt, how, problem = _decide(rows, by_sheet, by_file)
        if lt is None:
            status = "refused" if len(by_sheet) == 1 else "skipped"
            out.items.append(SheetNote(name, sheet, status, problem, number))
            continue
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        t = _table(name, sheet, lt, rows, digest, raw,
                   _merged_down(wb, sheet) if merges is None else merges.get(sheet, []), epoch)
        t.how = "; ".join(filter(None, [how, t.how, f"{only_errors} row(s) of nothing but Excel error cells "
                                                     "(#N/A, #REF!) read as blank" if only_errors else "",
                                        "a hidden sheet, read as any other (unhide it to check it; delete it "
                                        "if it is an old copy)" if sheet in hidden else "",
                                        "its error cells (#N/A) and date system could not be read, so an error "
                                        "would read as blank: save it again as .xlsx" if unread else ""]))
        t.number = number
        out.items.append(t)
    if not out.tables and not by_file and not any(n.status == "refused" for n in out.notes):
        raise Refused("has no sheet that is a log: name each sheet (or the file) after its log type ("
                      + ", ".join(LOG_TYPES) + "), or give --type")
    return out


def _decide(rows, by_sheet: tuple, by_file: tuple) -> tuple[LogType | None, str, str]:
    """(log type, how it was decided, why not) for a sheet: its own name, then the file's name;
    where those give no single type, the header decides (required fields present for one type)."""
    names = by_sheet or by_file
    if len(names) == 1:
        lt = LOG_TYPES[names[0]]
        i, mapping, unknown, score, missing = _header_fit(rows, lt)
        if not missing:
            return lt, "", ""
        where = "its name says" if by_sheet else "the file's name says"
        return None, "", (f"not read: {where} {lt.name}, but it has no header row with "
                          f"{', '.join(missing)} in its first {HEADER_SCAN_ROWS} rows")
    candidates = names or tuple(LOG_TYPES)
    fits = {}
    for n in candidates:
        i, mapping, unknown, score, missing = _header_fit(rows, LOG_TYPES[n])
        if not missing:
            fits[n] = score
    if len(fits) == 1:
        only = next(iter(fits))
        return LOG_TYPES[only], f"read as {only}: its columns fit that log type", ""
    if fits:
        # Never a guess: a sheet that could be two logs is named by the person who knows.
        return None, "", (f"not read: its columns fit {' and '.join(fits)}; name the sheet "
                          f"{' or '.join(fits)} to say which")
    among = f"neither {' nor '.join(candidates)}" if names else "no log type"
    return None, "", (f"not read: its columns fit {among} (no header row with a log type's required "
                      f"fields); if it is a log, name the sheet after its log type ({', '.join(candidates)})")


def _header_key(c) -> str:
    return norm_header(split_unit(c)[0])


def _header_fit(rows: list[list[str]], lt: LogType) -> tuple[int, dict[int, str], list[str], int, list[str]]:
    """(header row, column -> field, unknown columns, fields found, required fields missing)."""
    hmap = header_map(lt)
    best = (-1, 0)
    for i, r in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = len({hmap[k] for k in (_header_key(c) for c in r) if k in hmap})
        if score > best[1]:
            best = (i, score)
    required = [f.name for f in lt.fields if f.required]
    if best[0] < 0:
        return -1, {}, [], 0, required
    i = best[0]
    # Two columns for one field (`ID` and `Client Code`): the field's own name wins over an alias,
    # an alias listed earlier over a later one, then the first column; the other is a duplicate.
    rank = {}
    for f in lt.fields:
        for n, h in enumerate((f.name, *f.aliases)):
            rank.setdefault(norm_header(h), n)
    chosen: dict[str, int] = {}
    for j, c in enumerate(rows[i]):
        k = _header_key(c)
        f = hmap.get(k) if k else None
        if f and (f not in chosen or rank[k] < rank[_header_key(rows[i][chosen[f]])]):
            chosen[f] = j
    mapping: dict[int, str] = {j: f for f, j in sorted(chosen.items(), key=lambda fj: fj[1])}
    unknown = []
    for j, c in enumerate(rows[i]):
        k = _header_key(c)
        if k and j not in mapping:
            unknown.append(str(c) + (" (duplicate)" if hmap.get(k) else ""))   # cut when printed (header_said)
    missing = [f for f in required if f not in mapping.values()]
    return i, mapping, unknown, best[1], missing


def _find_header(rows: list[list[str]], lt: LogType) -> tuple[int, dict[int, str], list[str]]:
    """The header row of a table of this log type; Refused (naming the column) for an identifier
    column, a unit the field cannot take, or a required field with no column."""
    i, mapping, unknown, score, missing = _header_fit(rows, lt)
    if i < 0:
        raise Refused(f"has no header row with {lt.name} columns in its first {HEADER_SCAN_ROWS} rows "
                      f"(needs {', '.join(f.name for f in lt.fields if f.required)})")
    for j, c in enumerate(rows[i]):
        field_part, unit = split_unit(c)
        if (j not in mapping and identifier_header(c)) or (unit and identifier_header(unit)):
            # its header said without a word holding a digit (`Phone for ZQ01AA`: a client code), and
            # its place
            said = re.sub(r"\S*\d\S*", "…", str(c))
            raise Refused(f"has {_column(said)} (column {_letter(j)}) that names a direct identifier: the whole "
                          "file is refused and nothing was stored; delete that column and load again")
        if j in mapping and lt.field(mapping[j]).unit == "minutes" and set(re.findall(r"[a-z]+", unit.lower())) & _HOURS:
            raise Refused(f"has {_column(c)} in hours: the contract's {mapping[j]} field is in "
                          "minutes; convert the column to minutes (or h:mm) and load again")
    if missing:
        raise Refused(f"has no column for required field {', '.join(missing)} "
                      f"(header row {i + 1})")
    return i, mapping, unknown


def _table(name, sheet, lt, rows, digest, raw=None, merged=(), epoch=None) -> RawTable:
    epoch = epoch or _EXCEL_EPOCH
    hi, mapping, unknown = _find_header(rows, lt)
    spread = 0
    for r0, r1, c in merged:   # a cell merged down over data rows: its value in each row it spans
        if r0 > hi and r0 < len(rows) and c < len(rows[r0]) and rows[r0][c].strip():
            for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
                # only rows that hold something else, and not a total (a blank row, a note box or a
                # Total row under a merged date stays what it is)
                others = [x for j, x in enumerate(rows[r]) if j != c and x.strip()]
                if c < len(rows[r]) and not rows[r][c].strip() and others \
                        and not any(_TOTAL.match(x) for x in others):
                    rows[r][c] = rows[r0][c]
                    if raw is not None and c < len(raw[r]):
                        raw[r][c] = raw[r0][c]
                    spread += 1
    cols = {f.name: [] for f in lt.fields}
    rownums = []
    date_fields = {f.name for f in lt.fields if f.kind == DATE}
    code_fields = {f.name for f in lt.fields if f.kind == CODE}
    minutes_cols = {j for j, f in mapping.items() if lt.field(f).unit == "minutes"}
    titles = sum(1 for r in rows[:hi] if any(c.strip() for c in r))
    blank = hi - titles
    read = totals = 0
    # Footnotes: one-cell text rows below the last row of data (notes, sources, "figures are estimates").
    end = len(rows)
    footnotes = 0
    while end > hi + 1:
        r = rows[end - 1]
        filled = [c for c in r if c.strip()]
        if not filled:
            blank += 1
        elif len(filled) == 1 and _is_footnote_text(filled[0].strip()):
            footnotes += 1
        else:
            break
        end -= 1
    # Cells past the header's last column: a column of its own when most rows have one (a column
    # with no header, ignored and said), else a row that does not fit its header (`…,1,500`: a
    # number written with an unquoted comma, its cells shifted): rejected whole, never read short.
    width = max((j + 1 for j, c in enumerate(rows[hi]) if c.strip()), default=0)
    past = [i for i in range(hi + 1, end) if any(c.strip() for c in rows[i][width:])]
    data_rows = sum(1 for i in range(hi + 1, end) if any(c.strip() for c in rows[i]))
    unheaded = bool(past) and len(past) * 2 > data_rows
    past = set() if unheaded else set(past)
    pre_rejects = []
    numeric_codes = 0
    for i in range(hi + 1, end):
        r = rows[i]
        if not any(c.strip() for c in r):
            blank += 1
            continue
        if any(_TOTAL.match(c) for c in r if c) and _no_date(r, mapping, date_fields):
            totals += 1
            continue
        read += 1
        if i in past:
            pre_rejects.append((i + 1, "row", "has more cells than its header (a number with an unquoted "
                                              "comma, such as 1,500?): not read"))
            continue
        rownums.append(i + 1)
        for fname in cols:
            cols[fname].append(None)
        for j, fname in mapping.items():
            v = r[j] if j < len(r) else ""
            if raw is not None and j < len(raw[i]):
                cell = raw[i][j]
                # An Excel date typed or pasted as a number keeps its serial; read it as a date.
                if fname in date_fields and isinstance(cell, (int, float)) and not isinstance(cell, bool) \
                        and 20000 < cell < 80000:
                    v = (epoch + dt.timedelta(days=int(cell))).isoformat()
                elif j in minutes_cols:
                    v = _duration_cell(cell) or v
                elif fname in code_fields and isinstance(cell, (dt.date, dt.datetime)):
                    v = "#DATE"   # a code Excel turned into a date (JUN3 -> 3 June): no code, rejected
                elif fname in code_fields and isinstance(cell, (int, float)) and not isinstance(cell, bool):
                    numeric_codes += 1   # 00123 kept as the number 123: its zeros are gone
            cols[fname][-1] = v
    return RawTable(name, sheet, lt, digest, cols, rownums, unknown, read, totals, header_rows=1,
                    title_rows=titles, blank_rows=blank, footnote_rows=footnotes,
                    how="; ".join(filter(None, [
                        f"{spread} cell(s) merged over several rows read as their value in each row" if spread else "",
                        "cells past the header's last column, under no header, were ignored" if unheaded else "",
                        f"{numeric_codes} client code(s) are numbers in Excel: one typed with leading zeros "
                        "(00123) has lost them and counts as another person than 00123 written as text; format "
                        "the column as Text" if numeric_codes else ""])),
                    pre_rejects=pre_rejects)


def _no_date(r, mapping, date_fields) -> bool:
    """A total row carries no date of its own (or the word Total where the date goes)."""
    for j, fname in mapping.items():
        if fname in date_fields and j < len(r) and r[j].strip() and not _TOTAL.match(r[j]):
            return False
    return True


def _letter(j: int) -> str:
    """The spreadsheet letter of 0-based column j: A, B, ..., Z, AA."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _column(header) -> str:
    """'a column 'Phone'' as a message says it, never quoting a header that is an identifier."""
    said = header_said(header)
    return said if said != str(header)[:40] else f"a column {said!r}"
