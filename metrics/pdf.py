"""The board pack (PDF): the headline sentence, the targets as bars, one chart per service, the
review's findings; every page marked with the audience and the period.

Written from the same `report.Report` as the workbook and the deck, so its figures are the
released tables'; its charts follow the honest rule (metrics.charts.drawable), drawn natively
with fpdf2 (vector, no browser needed), each bar labelled with its released total.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import charts, indicators, suppress
from .indicators import REGISTRY
from .report import HEADLINES, SHEETS, Report

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
W, H = 279.4, 215.9          # US Letter, landscape, in mm
MARGIN = 14
BLUE = (0, 114, 178)
INK = (26, 26, 26)
MUTED = (77, 77, 77)
RED = (192, 0, 0)


def _rgb(hex_colour: str) -> tuple:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def _pdf(r: Report):
    from fpdf import FPDF

    class Pack(FPDF):
        def header(self):
            self.set_font(self.fam, "B", 9)
            self.set_text_color(*(RED if r.confidential or r.demo else INK))
            self.set_xy(MARGIN, 6)
            self.cell(W - 2 * MARGIN, 5, _text(self, r.audience), align="L")
            self.set_y(MARGIN + 2)

        def footer(self):
            self.set_font(self.fam, "", 8)
            self.set_text_color(*MUTED)
            self.set_xy(MARGIN, H - 11)
            rule = ("CONFIDENTIAL: exact figures for SHOP program staff only. Do not share." if r.confidential
                    else suppress.footnote())
            self.multi_cell(W - 2 * MARGIN - 25, 3.2, _text(self, rule))
            self.set_xy(W - MARGIN - 25, H - 11)
            self.cell(25, 4, f"Page {self.page_no()}", align="R")

    pdf = Pack(orientation="L", unit="mm", format="Letter")
    pdf.fam = "Helvetica"  # a core font: Latin-1 text only, where DejaVu (fonts-dejavu-core) is missing
    if (FONT_DIR / "DejaVuSans.ttf").exists():
        pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdf.fam = "DejaVu"
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN + 2, MARGIN)
    pdf.set_title(f"SHOP board pack {r.period}")
    return pdf


def _text(pdf, s: str) -> str:
    return s if pdf.fam == "DejaVu" else s.encode("latin-1", "replace").decode("latin-1")


def _title(pdf, s: str, size: int = 20) -> None:
    pdf.set_font(pdf.fam, "B", size)
    pdf.set_text_color(*BLUE)
    pdf.set_x(MARGIN)
    pdf.multi_cell(W - 2 * MARGIN, size * 0.45, _text(pdf, s), align="L")
    pdf.ln(1)


def _para(pdf, s: str, size: int = 12, bold: bool = False, colour=INK) -> None:
    pdf.set_font(pdf.fam, "B" if bold else "", size)
    pdf.set_text_color(*colour)
    pdf.set_x(MARGIN)
    pdf.multi_cell(W - 2 * MARGIN, size * 0.45, _text(pdf, s), align="L")


def _first_page(pdf, r: Report) -> None:
    pdf.add_page()
    _title(pdf, f"SHOP board pack, {r.period}", 24)
    _para(pdf, f"{r.period.start:%d %B %Y} to {r.period.end:%d %B %Y} · {r.freshness}", 11, colour=MUTED)
    if r.demo:
        _para(pdf, "DEMO DATA: made-up logs from python -m etl demo, not SHOP's figures.", 12, True, RED)
    pdf.ln(3)
    _para(pdf, r.headline or "No targets loaded for this fiscal year.", 16, True)
    pdf.ln(4)
    if r.targets.empty:
        return
    _para(pdf, "Targets", 14, True, BLUE)
    pdf.ln(1)
    bar_w = W - 2 * MARGIN - 150
    for rec in r.targets.to_dict("records"):
        ind = REGISTRY[rec["id"]]
        y = pdf.get_y()
        share = rec["progress"] if rec["progress"] is not None and pd.notna(rec["progress"]) else None
        pdf.set_font(pdf.fam, "B", 11)
        pdf.set_text_color(*INK)
        pdf.set_xy(MARGIN, y)
        pdf.cell(62, 7, _text(pdf, rec["indicator"]))
        pdf.set_fill_color(235, 235, 235)
        pdf.rect(MARGIN + 62, y + 1.5, bar_w, 4, style="F")
        if share is not None:
            pdf.set_fill_color(*BLUE)
            pdf.rect(MARGIN + 62, y + 1.5, bar_w * min(1.0, share), 4, style="F")
        pdf.set_font(pdf.fam, "", 10)
        pdf.set_xy(MARGIN + 64 + bar_w, y)
        status = rec["status"] + (f" ({rec['flag']})" if rec.get("flag") else "")
        pdf.cell(86, 7, _text(pdf, f"{indicators.fmt(ind, rec['actual'])} of {indicators.fmt(ind, rec['target'])}"
                               + (f" ({share * 100:.0f} %)" if share is not None else "") + f" · {status}"))
        pdf.set_y(y + 8)


def _message(r: Report, sheet: str) -> str:
    """The page's one message: the service's headline figure and its change."""
    head = HEADLINES[sheet][0]
    row = next(s for s in r.summary if s["indicator"] == head)
    ind = REGISTRY[head]
    v, p = row["value"], row["previous period"]
    out = f"{sheet}: {ind.label.lower()} {indicators.fmt(ind, v)} in {r.period}"
    if isinstance(v, (int, float)) and isinstance(p, (int, float)) and p and ind.unit not in ("rate", "average"):
        ch = round((v - p) / p * 100)
        out += f", {'up' if ch > 0 else 'down' if ch < 0 else 'level'}{f' {abs(ch)} %' if ch else ''} on {r.previous}"
    return out


def _bucket_label(b, grain: str, first: bool, prev) -> str:
    d = pd.Timestamp(b)
    if grain == "month":
        return f"{d:%b}" + (f" {d:%y}" if first or prev is None or pd.Timestamp(prev).year != d.year else "")
    from .export import _bucket
    return _bucket(b, grain)


def _chart(pdf, t, x0: float, y0: float, w: float, h: float) -> None:
    """Stacked bars of the honest drawing, each labelled with its released total."""
    from .export import _series_name, _series_order
    d = t.drawn
    pdf.set_font(pdf.fam, "B", 13)
    pdf.set_text_color(*INK)
    pdf.set_xy(x0, y0)
    pdf.cell(w, 6, _text(pdf, f"{t.title} ({t.unit}), by {d.grain}"))
    cats = _series_order(d)
    fills = charts.colours(cats)
    legend_w = 52 if len(cats) > 1 else 0
    top, bottom = y0 + 12, y0 + h - 10
    left, right = x0 + 16, x0 + w - legend_w
    peak = float(d.totals.max()) if d.totals.notna().any() else 1.0
    scale = (bottom - top) / (peak * 1.12 or 1)
    step = _nice_step(peak)
    pdf.set_font(pdf.fam, "", 8)
    pdf.set_draw_color(220, 220, 220)
    v = 0.0
    while v <= peak * 1.12:
        y = bottom - v * scale
        pdf.line(left, y, right, y)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(x0, y - 2)
        pdf.cell(15, 4, f"{v:,.0f}", align="R")
        v += step
    n = len(d.parts.index)
    slot = (right - left) / max(n, 1)
    bw = slot * 0.62
    prev = None
    for k, b in enumerate(d.parts.index):
        bx = left + k * slot + (slot - bw) / 2
        total = d.totals.iloc[k]
        if pd.isna(total):
            pdf.set_text_color(*MUTED)
            pdf.set_xy(bx - 2, bottom - 6)
            pdf.cell(bw + 4, 4, "hidden", align="C")
        else:
            y = bottom
            for c in cats:
                v = d.parts.at[b, c]
                if pd.isna(v) or v <= 0:
                    continue
                hgt = v * scale
                pdf.set_fill_color(*_rgb(fills[c]))
                if c == charts.WITHHELD:
                    pdf.set_draw_color(107, 107, 107)
                    pdf.set_dash_pattern(dash=1, gap=1)
                    pdf.rect(bx, y - hgt, bw, hgt, style="DF")
                    pdf.set_dash_pattern()
                else:
                    pdf.rect(bx, y - hgt, bw, hgt, style="F")
                y -= hgt
            pdf.set_font(pdf.fam, "B", 8)
            pdf.set_text_color(*INK)
            pdf.set_xy(bx - 4, y - 4.5)
            pdf.cell(bw + 8, 4, f"{total:,.0f}", align="C")
        pdf.set_font(pdf.fam, "", 8)
        pdf.set_text_color(*INK)
        pdf.set_xy(left + k * slot, bottom + 1)
        pdf.cell(slot, 4, _text(pdf, _bucket_label(b, d.grain, k == 0, prev)), align="C")
        prev = b
    pdf.set_draw_color(85, 85, 85)
    pdf.line(left, bottom, right, bottom)
    if legend_w:
        ly = top
        for c in reversed(cats):  # top to bottom as the stack reads
            pdf.set_fill_color(*_rgb(fills[c]))
            pdf.rect(right + 4, ly + 0.8, 3.5, 3.5, style="F")
            pdf.set_font(pdf.fam, "", 9)
            pdf.set_text_color(*INK)
            pdf.set_xy(right + 9, ly)
            pdf.cell(legend_w - 10, 5, _text(pdf, _series_name(c)))
            ly += 5.5
    note = charts.withheld_note(d)
    if d.merged:
        note = charts.OTHERS_NOTE + ". " + note
    if note:
        pdf.set_font(pdf.fam, "", 8)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(x0, y0 + h - 4)
        pdf.multi_cell(w, 3.4, _text(pdf, note))


def _nice_step(peak: float) -> float:
    raw = max(peak, 1) / 4
    mag = 10 ** (len(str(int(raw))) - 1)
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def _service_pages(pdf, r: Report) -> None:
    for sheet in SHEETS:
        t = next(t for t in r.tables if t.sheet == sheet)
        pdf.add_page()
        _title(pdf, _message(r, sheet), 18)
        y = pdf.get_y() + 1
        x = MARGIN
        for i in HEADLINES[sheet]:  # the service's own figures, across the top
            ind = REGISTRY[i]
            pdf.set_xy(x, y)
            pdf.set_font(pdf.fam, "B", 18)
            pdf.set_text_color(*INK)
            pdf.cell(70, 8, indicators.fmt(ind, r.figures.get(i)))
            pdf.set_xy(x, y + 8)
            pdf.set_font(pdf.fam, "", 9)
            pdf.set_text_color(*MUTED)
            pdf.cell(70, 4, _text(pdf, ind.label))
            x += 72
        top = y + 16
        if t.drawn is None:
            from .export import _nothing
            pdf.set_xy(MARGIN, top + 10)
            _para(pdf, _nothing(t, r), 14)
        else:
            _chart(pdf, t, MARGIN, top, W - 2 * MARGIN, H - top - 16)


def _review_page(pdf, r: Report) -> None:
    pdf.add_page()
    wrong = [x for x in r.review if x["section"] == "What looks wrong" and x["what"] != "No rule fired."]
    head = next((x["what"] for x in r.review if x["section"] == "Review"), "")
    _title(pdf, f"Monthly review: {len(wrong)} finding{'s' if len(wrong) != 1 else ''} to look at"
           + (f" ({head[0].lower()}{head[1:]})" if head else ""), 18)
    for x in wrong[:10]:
        _para(pdf, f"• {x['what']}", 10, True)
        if x["detail"]:
            _para(pdf, f"   {x['detail']}", 9, colour=MUTED)
        if x.get("to do"):
            _para(pdf, f"   What to do: {x['to do']}", 9)
        if pdf.get_y() > H - 30:
            break
    if len(wrong) > 10:
        _para(pdf, f"… and {len(wrong) - 10} more in the workbook's Review sheet.", 10)
    pace = [x for x in r.review if x["section"] == "Targets"]
    if pace and pdf.get_y() < H - 50:
        pdf.ln(3)
        _para(pdf, "The pace to the targets", 12, True, BLUE)
        for x in pace:
            _para(pdf, f"• {x['detail']}", 10)
            if pdf.get_y() > H - 24:
                break


def write_pdf(r: Report, out_dir: Path) -> Path:
    from .export import _stem
    pdf = _pdf(r)
    _first_page(pdf, r)
    _service_pages(pdf, r)
    _review_page(pdf, r)
    out = Path(out_dir) / f"{_stem(r)}_board_pack.pdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))
    return out

