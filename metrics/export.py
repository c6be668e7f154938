"""The files a manager hands on: the grant workbook (xlsx), the board deck (pptx), CSV (zip).

One room (over 500 lines) because the writers share what makes them agree: the file stem, the
audience banner, buckets, series order and names, the sentence for a table with nothing to show
(pdf.py borrows them too). Each writer is one function; the board pack is pdf.py.

All three are written from one `report.Report`, so they carry the dashboard's numbers.
An exact report says CONFIDENTIAL on every sheet and slide.
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd

from shop import periods
from . import charts, indicators, suppress, targets
from .indicators import REGISTRY
from .report import SHEETS, HEADLINES, Report, notes, safe_text

CONFIDENTIAL = "CONFIDENTIAL: exact figures for SHOP program staff only. Do not share."
BLUE = "0072B2"


def _stem(r: Report) -> str:
    return f"shop_report_{r.period.start}_{r.period.end}" + ("_EXACT" if r.confidential else "")


# ---------------------------------------------------------------- xlsx

def _set(ws, row, col, value, fmt=None, bold=False):
    from openpyxl.styles import Font
    c = ws.cell(row=row, column=col)
    if isinstance(value, str):
        c.value = value
        c.data_type = "s"  # never a formula, whatever the text starts with
    else:
        c.value = None if value is None or (isinstance(value, float) and pd.isna(value)) else value
    if fmt and isinstance(value, (int, float)):
        c.number_format = fmt
    if bold:
        c.font = Font(bold=True)
    return c


def _header(ws, row, names):
    from openpyxl.styles import Alignment, Font, PatternFill
    for j, n in enumerate(names, 1):
        c = _set(ws, row, j, n)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor=BLUE)
        c.alignment = Alignment(wrap_text=True, vertical="center")


def _banner(ws, r: Report, title: str) -> int:
    """Title rows on a sheet; returns the next free row."""
    from openpyxl.styles import Font
    _set(ws, 1, 1, title).font = Font(bold=True, size=14)
    _set(ws, 2, 1, f"{r.period} ({r.period.start} to {r.period.end})" + (f" · {DEMO}" if r.demo else ""))
    if r.demo:
        ws.cell(row=2, column=1).font = Font(bold=True, color="C00000")
    if r.confidential:
        _set(ws, 3, 1, CONFIDENTIAL).font = Font(bold=True, color="C00000")
    else:
        _set(ws, 3, 1, suppress.footnote()).font = Font(italic=True, color="555555")
    for row in (2, 3):  # long lines wrapped inside the table's width: printing fits the width to them
        _wrap_across(ws, row, 3 if row == 3 and not r.confidential else 1)
    return 5


def _wrap_across(ws, row: int, lines: int, last: str = "G") -> None:
    """Wrap the text of column A's cell in `row` across columns A..`last`, `lines` lines high."""
    from openpyxl.styles import Alignment
    ws.merge_cells(f"A{row}:{last}{row}")
    ws.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = 15 * lines


def _fmt_for(unit: str) -> str:
    return {"rate": "0.0%", "average": "0.0", "hours": "#,##0.0"}.get(unit, "#,##0")


def _change_fmt(unit: str) -> str:
    return {"rate": "+0.0%;-0.0%;0.0%", "average": "+0.0;-0.0;0.0", "hours": "+#,##0.0;-#,##0.0;0.0"}.get(
        unit, "+#,##0;-#,##0;0")


DEMO = "DEMO DATA: made-up logs from python -m etl demo, not SHOP's figures."


def _audience(r: Report) -> str:
    return ("DEMO DATA · " if r.demo else "") + ("CONFIDENTIAL: exact figures, SHOP program staff only"
                                                 if r.confidential else "EXTERNAL: small counts suppressed")


def _hf(text: str) -> str:
    """Text for a print header or footer: & starts a code there, so it is doubled."""
    return str(text).replace("&", "&&")


def _print_setup(ws, r: Report, repeat: str | None = None) -> None:
    """Landscape, one page wide, header rows repeated, and on every printed page: the audience
    mark and the period in the header, the suppression rule (or CONFIDENTIAL) and page numbers
    in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_options.gridLines = False
    if repeat:
        ws.print_title_rows = repeat
    for hf in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
        hf.left.text = _hf(_audience(r))
        hf.left.color = "C00000" if r.confidential else "000000"
        hf.center.text = "SHOP grant report: &A"
        hf.right.text = _hf(f"{r.period} ({r.period.start:%d %b %Y} to {r.period.end:%d %b %Y})")
    for hf in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
        hf.left.text = _hf(CONFIDENTIAL if r.confidential else suppress.footnote())
        hf.right.text = "Page &P of &N"
        hf.left.size = hf.right.size = 9


def write_xlsx(r: Report, out_dir: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment
    wrap = Alignment(wrap_text=True, vertical="top")
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    cols = ["indicator", "value", "previous period", "change", "target", "definition", "id"]
    start = _banner(ws, r, "SHOP grant report: summary")
    _header(ws, start, cols)
    for i, row in enumerate(r.summary, start + 1):
        unit = REGISTRY[row["indicator"]].unit
        values = {"indicator": row["label"], "value": row["value"], "previous period": row["previous period"],
                  "change": row["change"], "target": row["target"], "definition": row["definition"],
                  "id": row["indicator"]}
        for j, c in enumerate(cols, 1):
            fmt = _change_fmt(unit) if c == "change" else _fmt_for(unit) if c in ("value", "previous period", "target") \
                else None
            cell = _set(ws, i, j, values[c], fmt)
            right = isinstance(values[c], str) and c in ("value", "previous period")
            cell.alignment = Alignment(vertical="top", horizontal="right" if right else None)
            if c == "definition":
                cell.alignment = wrap
                # a wrapped cell keeps one line's height unless told (LibreOffice, printing)
                ws.row_dimensions[i].height = 15 * max(1, -(-len(str(values[c])) // 80))
    for col, w in zip("ABCDEFG", [34, 12, 16, 10, 10, 70, 28]):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = ws.cell(row=start + 1, column=2)
    _print_setup(ws, r, f"{start}:{start}")
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet)
        row = _banner(ws, r, f"SHOP {sheet}")
        widths = {1: 18}
        if sheet == "Friday Network" and r.events:
            _set(ws, row, 1, "Special events", bold=True)
            row += 1
            _header(ws, row, ["month", "event"])
            for month, event in r.events:
                row += 1
                _set(ws, row, 1, month)
                _set(ws, row, 2, event)
            row += 2
        for t in [t for t in r.tables if t.sheet == sheet]:
            _set(ws, row, 1, f"{t.title} ({t.unit})", bold=True)
            row += 1
            if t.frame.empty:
                _set(ws, row, 1, "No data in this period.")
                row += 2
                continue
            _header(ws, row, ["period"] + [charts.label(c) for c in t.frame.columns])
            if "freeze" not in widths:
                ws.freeze_panes = ws.cell(row=row + 1, column=2)
                widths["freeze"] = 1
            for label, vals in t.frame.iterrows():
                row += 1
                _set(ws, row, 1, label, bold="total" in label.lower())
                for j, v in enumerate(vals, 2):
                    c = _set(ws, row, j, v, "#,##0", bold="total" in label.lower())
                    widths[j] = max(widths.get(j, 10), len(charts.label(t.frame.columns[j - 2])) + 2)
                    if isinstance(v, str):
                        c.alignment = Alignment(horizontal="right")
            row += 1
            _set(ws, row, 1, t.definition)
            row += 2
        for j, w in widths.items():
            if isinstance(j, int):
                ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(w, 24)
        _print_setup(ws, r, "1:2")  # each table has its own header: the sheet's title and period repeat
    _charts_sheet(wb, r)
    ws = wb.create_sheet("Targets")
    row = _banner(ws, r, "SHOP targets and actuals")
    if r.targets.empty:
        _set(ws, row, 1, "No targets loaded for this fiscal year.")
    else:
        tcols = list(r.targets.columns)
        _header(ws, row, tcols)
        head = row
        for rec in r.targets.to_dict("records"):
            row += 1
            unit = REGISTRY[rec["id"]].unit
            for j, c in enumerate(tcols, 1):
                v = rec[c]
                fmt = "0%" if c == "progress" else _fmt_for(unit) if c in ("target", "expected to date", "actual") \
                    else None
                cell = _set(ws, row, j, None if v is None or (isinstance(v, float) and pd.isna(v)) else v, fmt)
                if isinstance(v, str) and c == "actual":
                    cell.alignment = Alignment(horizontal="right")
        for col, w in zip("ABCDEFG", [34, 12, 16, 12, 12, 12, 28]):
            ws.column_dimensions[col].width = w
        ws.freeze_panes = ws.cell(row=head + 1, column=2)
        _print_setup(ws, r, f"{head}:{head}")
    if r.targets.empty:
        _print_setup(ws, r)
    ws = wb.create_sheet("Notes")
    row = _banner(ws, r, "SHOP grant report: notes")
    _header(ws, row, ["about", "note"])
    head = row
    for k, v in notes(r):
        row += 1
        _set(ws, row, 1, k, bold=True)
        _set(ws, row, 2, v).alignment = wrap
        ws.row_dimensions[row].height = 15 * max(1, -(-len(str(v)) // 125))
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 110
    _print_setup(ws, r, f"{head}:{head}")
    ws = wb.create_sheet("Review")  # the monthly review, as released (metrics/review.py)
    row = _banner(ws, r, "SHOP monthly review: what changed, what looks wrong, the pace to the targets")
    wrong = [x for x in r.review if x["section"] == "What looks wrong" and x["what"] != "No rule fired."]
    _set(ws, row, 1, f"{len(wrong)} finding{'s' if len(wrong) != 1 else ''} to look at", bold=True)
    row += 1
    _header(ws, row, ["section", "what", "detail", "what to do"])
    head = row
    for row, rec in enumerate(r.review, row + 1):
        for j, k in enumerate(("section", "what", "detail", "to do"), 1):
            _set(ws, row, j, rec.get(k, "")).alignment = wrap
    for col, w in zip("ABCD", [16, 50, 50, 50]):
        ws.column_dimensions[col].width = w
    _print_setup(ws, r, f"{head}:{head}")
    wb.properties.title = f"SHOP grant report {r.period}"
    out = Path(out_dir) / f"{_stem(r)}.xlsx"
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def _charts_sheet(wb, r: Report) -> None:
    """One native chart per table, drawn by the honest rule from the figures written beside it
    (each bucket at its released total; a withheld breakdown a grey hatched "withheld" part)."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.drawing.fill import ColorChoice, PatternFillProperties
    ws = wb.create_sheet("Charts")
    row = _banner(ws, r, "SHOP charts: what each table shows, drawn")
    for t in r.tables:
        d = t.drawn
        _set(ws, row, 1, f"{t.title} ({t.unit}), by {d.grain if d is not None else 'month'}", bold=True)
        row += 1
        if d is None:
            _set(ws, row, 1, _nothing(t, r))
            row += 3
            continue
        cats = _series_order(d)
        _header(ws, row, [d.grain] + [_series_name(c) for c in cats])
        head = row
        for b, vals in d.parts[cats].iterrows():
            row += 1
            _set(ws, row, 1, _bucket(b, d.grain))
            for j, v in enumerate(vals, 2):
                _set(ws, row, j, None if pd.isna(v) else int(round(v)), "#,##0")
        note = charts.withheld_note(d)
        if note:
            _set(ws, row + 1, 1, note)
            _wrap_across(ws, row + 1, 2, "H")
        ch = BarChart()
        ch.type, ch.grouping, ch.overlap, ch.gapWidth = "col", "stacked" if len(cats) > 1 else "clustered", 100, 60
        ch.title = f"{t.title} ({t.unit})"
        ch.y_axis.numFmt = "#,##0"
        ch.y_axis.majorGridlines = ch.y_axis.majorGridlines  # keep the default gridlines
        ch.x_axis.delete = ch.y_axis.delete = False  # both axes drawn (openpyxl hides them by default)
        ch.add_data(Reference(ws, min_col=2, max_col=1 + len(cats), min_row=head, max_row=row), titles_from_data=True)
        ch.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=row))
        fills = charts.colours(cats)
        for c, ser in zip(cats, ch.series):
            if c == charts.WITHHELD:
                ser.graphicalProperties.pattFill = PatternFillProperties(
                    prst="wdUpDiag", fgClr=ColorChoice(srgbClr="6B6B6B"),
                    bgClr=ColorChoice(srgbClr=charts.WITHHELD_FILL.lstrip("#")))
            else:
                ser.graphicalProperties.solidFill = fills[c].lstrip("#").upper()
                ser.graphicalProperties.line.solidFill = fills[c].lstrip("#").upper()
        ch.legend.position = "r"
        ch.height, ch.width = 9, 22
        ws.add_chart(ch, f"{ws.cell(row=head, column=len(cats) + 3).column_letter}{head}")
        row = max(row + 3, head + 20)
    ws.column_dimensions["A"].width = 16
    for j in range(2, 10):
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = 12
    _print_setup(ws, r, "1:2")


# ---------------------------------------------------------------- csv

def write_csv_zip(r: Report, out_dir: Path) -> Path:
    out = Path(out_dir) / f"{_stem(r)}_csv.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        def put(name, header, rows):
            buf = io.StringIO()
            w = csv.writer(buf)
            if r.confidential:
                w.writerow([CONFIDENTIAL])
            w.writerow(header)
            for row in rows:
                w.writerow([safe_text(v) if v is not None else "" for v in row])
            if not r.confidential:
                w.writerow([suppress.footnote()])
            z.writestr(name, buf.getvalue())
        cols = ["indicator", "label", "value", "previous period", "change", "target", "definition"]
        put("summary.csv", cols, [[s[c] for c in cols] for s in r.summary])
        for t in r.tables:
            if t.frame.empty:
                continue
            name = f"{t.sheet.lower().replace(' ', '_')}__{t.measure}.csv"
            put(name, ["period"] + list(t.frame.columns), [[idx, *vals] for idx, vals in t.frame.iterrows()])
        put("notes.csv", ["", "note"], notes(r))
        if r.events:
            put("friday_network__events.csv", ["month", "event"], r.events)
    return out


# ---------------------------------------------------------------- charts (deck and workbook)

def _bucket(b, grain: str) -> str:
    d = pd.Timestamp(b).date()
    return {"month": f"{d:%b %Y}", "quarter": periods.quarter_label(d),
            "year": periods.fy_label(periods.fy_start_year(d))}.get(grain, f"week of {d:%d %b %Y}")


def _series_order(d) -> list:
    """Largest category at the bottom of the stack; merged, folded and withheld parts on top."""
    tail = [c for c in (charts.OTHERS, charts.FOLDED, charts.WITHHELD) if c in d.parts.columns]
    return sorted([c for c in d.parts.columns if c not in tail], key=lambda c: -d.parts[c].sum()) + tail


def _series_name(c) -> str:
    return "withheld (hidden counts)" if c == charts.WITHHELD else charts.label(c)


def _nothing(t, r) -> str:
    """The sentence that stands in for a chart with nothing to draw."""
    if t.frame.empty:
        return f"{t.title}: no data in this period."
    total = t.frame.loc["Total", "Total"]
    if isinstance(total, str):
        return f"{t.title}, {r.period}: the total is hidden ({total}) to protect privacy, so there is no chart."
    return (f"{t.title}, {r.period}: {int(total):,} {t.unit} in all. Every month, quarter and the year include "
            "a hidden count, so there is no chart; the workbook has the table.")


# ---------------------------------------------------------------- pptx

def write_pptx(r: Report, out_dir: Path) -> Path:
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.util import Emu, Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)  # 16:9, 13.333 x 7.5 in
    blank = prs.slide_layouts[6]
    blue = RGBColor(0x00, 0x72, 0xB2)

    def text(slide, x, y, w, h, s, size=20, bold=False, color=None):
        tb = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
        tf = tb.text_frame
        tf.word_wrap = True
        p = tf.paragraphs[0]
        p.text = str(s)
        p.font.size = Pt(size)
        p.font.bold = bold
        if color is not None:
            p.font.color.rgb = color
        return tf

    def _chart(slide, t, x, y, w, h, r, blue):
        """A native chart of the released breakdown drawn by the honest rule (charts.drawable): each
        bucket at its released total, a withheld breakdown as a grey hatched "withheld" part, a hidden
        total a gap; a chart with nothing to draw is a sentence with the total."""
        from pptx.enum.dml import MSO_PATTERN
        d = t.drawn
        if d is None:
            text(slide, x / 914400, y / 914400 + 1, w / 914400, 2, _nothing(t, r), 24)
            return None
        notes = ([charts.ALL_NOTE] if list(d.parts.columns) in ([charts.ALL], [charts.ALL, charts.WITHHELD]) else
                 [charts.OTHERS_NOTE] if d.merged else []) + [n for n in [charts.withheld_note(d, short=True)] if n]
        cd = CategoryChartData()
        cd.categories = [_bucket(b, d.grain) for b in d.parts.index]
        cats = _series_order(d)
        fills = charts.colours(cats)
        for c in cats:
            cd.add_series(_series_name(c), [None if pd.isna(v) else int(round(v)) for v in d.parts[c]])
        kind = XL_CHART_TYPE.COLUMN_STACKED if len(cats) > 1 else XL_CHART_TYPE.COLUMN_CLUSTERED
        ch = slide.shapes.add_chart(kind, x, y, w, h, cd).chart
        ch.has_title = True
        ch.chart_title.text_frame.text = f"{t.title} ({t.unit}), by {d.grain}"
        ch.chart_title.text_frame.paragraphs[0].font.size = Pt(20)
        if notes:  # what privacy changed in the drawing, in a line under the title
            p = ch.chart_title.text_frame.add_paragraph()
            p.text = " · ".join(notes)
            p.font.size = Pt(14)
            p.font.bold = False
        ch.has_legend = len(cats) > 1
        if ch.has_legend:
            ch.legend.position = XL_LEGEND_POSITION.RIGHT
            ch.legend.include_in_layout = False
            ch.legend.font.size = Pt(14)
        for c, ser in zip(cats, ch.plots[0].series):
            if c == charts.WITHHELD:
                ser.format.fill.patterned()
                ser.format.fill.pattern = MSO_PATTERN.WIDE_UPWARD_DIAGONAL
                ser.format.fill.fore_color.rgb = RGBColor(0x6B, 0x6B, 0x6B)
                ser.format.fill.back_color.rgb = RGBColor.from_string(charts.WITHHELD_FILL.lstrip("#"))
            else:
                ser.format.fill.solid()
                ser.format.fill.fore_color.rgb = RGBColor.from_string(fills[c].lstrip("#").upper())
        if len(cats) > 1:
            ch.plots[0].gap_width = 60
            ch.plots[0].overlap = 100
        ch.category_axis.tick_labels.font.size = Pt(14)
        ch.value_axis.tick_labels.font.size = Pt(14)
        ch.value_axis.tick_labels.number_format = "#,##0"
        ch.value_axis.tick_labels.number_format_is_linked = False
        ch.value_axis.has_major_gridlines = True
        return ch

    def stamp(slide):
        if r.demo:  # every slide: a photo of one slide must not pass for SHOP's figures
            text(slide, 8.3, 0.02, 4.9, 0.4, "DEMO DATA: synthetic, not SHOP's figures", 14, True, RGBColor(0xC0, 0, 0))
        if r.confidential:
            text(slide, 0.4, 6.9, 12.5, 0.5, CONFIDENTIAL, 16, True, RGBColor(0xC0, 0, 0))
        else:
            text(slide, 0.4, 6.9, 12.5, 0.5, f"Small counts suppressed: <{suppress.threshold()}, x, w; {suppress.ROUNDED} rounded to the nearest "
                 f"{suppress.threshold()}. "
                 f"{r.period.start} to {r.period.end}.", 14, False, RGBColor(0x55, 0x55, 0x55))

    s = prs.slides.add_slide(blank)
    text(s, 0.8, 2.0, 11.5, 1.2, "SHOP: Social and Health Options for Persons in Sex Work", 40, True, blue)
    text(s, 0.8, 3.4, 11.5, 0.8, f"Program report, {r.period}", 32)
    text(s, 0.8, 4.3, 11.5, 0.8, f"{r.period.start:%d %B %Y} to {r.period.end:%d %B %Y} · {r.freshness}", 22)
    stamp(s)

    for sheet in SHEETS:
        for k, t in enumerate([t for t in r.tables if t.sheet == sheet]):
            s = prs.slides.add_slide(blank)
            heads = HEADLINES[sheet] if k == 0 else []
            title = f"{sheet}, {r.period}" if k == 0 else f"{sheet}: {t.title[:1].lower() + t.title[1:]}, {r.period}"
            text(s, 0.5, 0.25, 12.3, 0.8, title, 30, True, blue)
            for j, i in enumerate(heads):  # the service's own figures, down the left
                ind = REGISTRY[i]
                text(s, 0.5, 1.25 + j * 1.75, 3.3, 0.8, indicators.fmt(ind, r.figures.get(i)), 40, True)
                text(s, 0.5, 2.05 + j * 1.75, 3.3, 0.8, ind.label, 18)
            left = 4.0 if heads else 0.5
            _chart(s, t, Inches(left), Inches(1.15), Inches(13.0 - left), Inches(5.65), r, blue)
            stamp(s)

    s = prs.slides.add_slide(blank)
    text(s, 0.5, 0.3, 12.3, 0.8, "Targets and actuals", 34, True, blue)
    if r.targets.empty:
        text(s, 0.5, 1.5, 12, 1, "No targets loaded for this fiscal year.", 24)
    else:
        shown = targets.display(r.targets)
        rows, cols = len(shown) + 1, len(shown.columns)
        tbl = s.shapes.add_table(rows, cols, Inches(0.5), Inches(1.2), Inches(12.3), Inches(0.45 * rows)).table
        tbl.columns[0].width = Inches(3.8)
        for j in range(1, cols):
            tbl.columns[j].width = Inches(8.5 / (cols - 1))
        for j, c in enumerate(shown.columns):
            tbl.cell(0, j).text = str(c)
        for i, rec in enumerate(shown.itertuples(index=False), 1):
            for j, v in enumerate(rec):
                tbl.cell(i, j).text = str(v)
        for row in tbl.rows:
            for cell in row.cells:
                cell.text_frame.paragraphs[0].font.size = Pt(16)
    stamp(s)

    s = prs.slides.add_slide(blank)
    text(s, 0.5, 0.3, 12.3, 0.8, "Methods and definitions", 34, True, blue)
    tf = text(s, 0.5, 1.2, 12.3, 5.5, "People are distinct client codes, pseudonymised with a keyed hash before "
              "storage; rows with no code count as contacts, never as people.", 18)
    for line in [suppress.footnote()] + [f"{REGISTRY[i].label}: {REGISTRY[i].definition}"
                                          for i in ("program.people", "outreach.new_people", "suite.guest_nights",
                                                    "referrals.completion_rate")] + \
            [f"Program note {pd.Timestamp(a['start_date']):%d %b %Y}: {a['note']}" for a in r.annotations[:4]]:
        p = tf.add_paragraph()
        p.text = line
        p.font.size = Pt(16)
    stamp(s)

    s = prs.slides.add_slide(blank)  # the monthly review: what looks wrong and the pace to the targets
    head = next((x["what"] for x in r.review if x["section"] == "Review"), "Monthly review")
    text(s, 0.5, 0.3, 12.3, 0.8, f"Monthly review, {head[0].lower()}{head[1:]}", 34, True, blue)
    tf = text(s, 0.5, 1.2, 12.3, 5.5, "What looks wrong, and what it takes to hit the targets:", 18, True)
    lines = [x["detail"] if x["section"] == "Targets" else
             f"{x['what']} {x['detail']}".strip() + (f" To do: {x['to do']}" if x.get("to do") else "")
             for x in r.review if x["section"] in ("What looks wrong", "Targets")]
    for line in lines[:9] + ([f"... and {len(lines) - 9} more in the workbook's Review sheet."] if len(lines) > 9 else []):
        p = tf.add_paragraph()
        p.text = line
        p.font.size = Pt(14)
    stamp(s)

    out = Path(out_dir) / f"{_stem(r)}.pptx"
    out.parent.mkdir(parents=True, exist_ok=True)
    prs.save(out)
    return out


def write_pdf(r: Report, out_dir: Path) -> Path:
    from .pdf import write_pdf as pack
    return pack(r, out_dir)


WRITERS = {"xlsx": write_xlsx, "pptx": write_pptx, "csv": write_csv_zip, "pdf": write_pdf}
