"""The files a manager hands on: the grant workbook (xlsx), the board deck (pptx), CSV (zip).

All three are written from one `report.Report`, so they carry the dashboard's numbers.
An exact report says CONFIDENTIAL on every sheet and slide.
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd

from . import charts, indicators, suppress
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
    _set(ws, 2, 1, f"{r.period} ({r.period.start} to {r.period.end})")
    if r.confidential:
        _set(ws, 3, 1, CONFIDENTIAL).font = Font(bold=True, color="C00000")
    else:
        _set(ws, 3, 1, suppress.footnote()).font = Font(italic=True, color="555555")
    return 5


def _fmt_for(unit: str) -> str:
    return {"rate": "0.0%", "average": "0.0", "hours": "#,##0.0"}.get(unit, "#,##0")


def write_xlsx(r: Report, out_dir: Path) -> Path:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    cols = ["indicator", "label", "value", "previous period", "change", "target", "definition"]
    start = _banner(ws, r, "SHOP grant report: summary")
    _header(ws, start, cols)
    for i, row in enumerate(r.summary, start + 1):
        unit = REGISTRY[row["indicator"]].unit
        for j, c in enumerate(cols, 1):
            v = row[c]
            _set(ws, i, j, v, _fmt_for(unit) if c in ("value", "previous period", "change") else "#,##0")
    for col, w in zip("ABCDEFG", [30, 30, 12, 16, 10, 10, 90]):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
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
                        from openpyxl.styles import Alignment
                        c.alignment = Alignment(horizontal="right")
            row += 1
            _set(ws, row, 1, t.definition)
            row += 2
        for j, w in widths.items():
            if isinstance(j, int):
                ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(w, 24)
    ws = wb.create_sheet("Targets")
    row = _banner(ws, r, "SHOP targets and actuals")
    if r.targets.empty:
        _set(ws, row, 1, "No targets loaded for this fiscal year.")
    else:
        _header(ws, row, list(r.targets.columns))
        for rec in r.targets.itertuples(index=False):
            row += 1
            for j, v in enumerate(rec, 1):
                _set(ws, row, j, v)
        for col in "ABCDEF":
            ws.column_dimensions[col].width = 26
    ws = wb.create_sheet("Notes")
    row = _banner(ws, r, "SHOP grant report: notes")
    _header(ws, row, ["", "note"])
    for k, v in notes(r):
        row += 1
        _set(ws, row, 1, k, bold=True)
        _set(ws, row, 2, v)
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 120
    ws = wb.create_sheet("Review")  # the monthly review, as released (metrics/review.py)
    row = _banner(ws, r, "SHOP monthly review: what changed, what looks wrong, the pace to the targets")
    _header(ws, row, ["section", "what", "detail"])
    for row, rec in enumerate(r.review, row + 1):
        for j, k in enumerate(("section", "what", "detail"), 1):
            _set(ws, row, j, rec[k])
    for col, w in zip("ABC", [18, 70, 110]):
        ws.column_dimensions[col].width = w
    wb.properties.title = f"SHOP grant report {r.period}"
    out = Path(out_dir) / f"{_stem(r)}.xlsx"
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


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


# ---------------------------------------------------------------- pptx

def write_pptx(r: Report, out_dir: Path) -> Path:
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE
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

    def stamp(slide):
        if r.confidential:
            text(slide, 0.4, 6.9, 12.5, 0.5, CONFIDENTIAL, 16, True, RGBColor(0xC0, 0, 0))
        else:
            text(slide, 0.4, 6.9, 12.5, 0.5, f"Small counts suppressed: <{suppress.threshold()} and x. "
                 f"{r.period.start} to {r.period.end}.", 14, False, RGBColor(0x55, 0x55, 0x55))

    s = prs.slides.add_slide(blank)
    text(s, 0.8, 2.0, 11.5, 1.2, "SHOP: Social and Health Options for Persons in Sex Work", 40, True, blue)
    text(s, 0.8, 3.4, 11.5, 0.8, f"Program report, {r.period}", 32)
    text(s, 0.8, 4.3, 11.5, 0.8, f"{r.period.start:%d %B %Y} to {r.period.end:%d %B %Y} · {r.freshness}", 22)
    stamp(s)

    for sheet in SHEETS:
        s = prs.slides.add_slide(blank)
        text(s, 0.5, 0.3, 12.3, 0.8, f"{sheet}, {r.period}", 34, True, blue)
        for j, i in enumerate(HEADLINES[sheet]):
            ind = REGISTRY[i]
            x = 0.5 + j * 4.2
            text(s, x, 1.2, 4.0, 0.9, indicators.fmt(ind, r.figures.get(i)), 40, True)
            text(s, x, 2.0, 4.0, 0.6, ind.label, 20)
        t = next(t for t in r.tables if t.sheet == sheet)
        cd = CategoryChartData()
        if not t.frame.empty:
            body = t.frame[~t.frame.index.str.contains("total", case=False)]
            body = body.drop(index="Total", errors="ignore")
            cd.categories = list(body.index)
            cd.add_series(t.unit.capitalize(), [None if isinstance(v, str) else int(v) for v in body["Total"]])
        else:
            cd.categories = ["no data"]
            cd.add_series(t.unit.capitalize(), [0])
        gf = s.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(0.5), Inches(2.8), Inches(12.3),
                                Inches(4.0), cd)
        ch = gf.chart
        ch.has_title = True
        ch.chart_title.text_frame.text = f"{t.title} ({t.unit}), {r.period}"
        ch.chart_title.text_frame.paragraphs[0].font.size = Pt(20)
        ch.has_legend = False
        ch.plots[0].series[0].format.fill.solid()
        ch.plots[0].series[0].format.fill.fore_color.rgb = blue
        ch.category_axis.tick_labels.font.size = Pt(14)
        ch.value_axis.tick_labels.font.size = Pt(14)
        ch.value_axis.has_major_gridlines = True
        stamp(s)

    s = prs.slides.add_slide(blank)
    text(s, 0.5, 0.3, 12.3, 0.8, "Targets and actuals", 34, True, blue)
    if r.targets.empty:
        text(s, 0.5, 1.5, 12, 1, "No targets loaded for this fiscal year.", 24)
    else:
        rows, cols = len(r.targets) + 1, len(r.targets.columns)
        tbl = s.shapes.add_table(rows, cols, Inches(0.5), Inches(1.2), Inches(12.3), Inches(0.45 * rows)).table
        tbl.columns[0].width = Inches(3.8)
        for j in range(1, cols):
            tbl.columns[j].width = Inches(8.5 / (cols - 1))
        for j, c in enumerate(r.targets.columns):
            tbl.cell(0, j).text = str(c)
        for i, rec in enumerate(r.targets.itertuples(index=False), 1):
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
    lines = [x["detail"] if x["section"] == "Targets" else f"{x['what']} {x['detail']}".strip()
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


WRITERS = {"xlsx": write_xlsx, "pptx": write_pptx, "csv": write_csv_zip}
