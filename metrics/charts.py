"""The plotly look: one template, a colour-blind-safe palette, category colours fixed across pages.

One room (over 500 lines) because every chart, on a page or in an export, must draw by the same
rules: the palette and fixed category colours, the contrast of labels, which cells may be drawn
and what a withheld one says, and how an unfinished month or quarter is marked. Split, those
rules could drift apart between chart kinds.
"""
from __future__ import annotations

import datetime as dt
import numbers
import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

# Okabe & Ito's colour-blind-safe palette (yellow left out: it vanishes on a projector).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#000000", "#8C8C8C",
           "#004D80", "#A36F00", "#006B4F", "#993D00"]
FIXED = {  # the same category has the same colour on every page
    "street": 0, "drop_in": 1, "online": 2, "phone_text": 3, "escort_agency": 4, "safe_suite": 5,
    "court": 6, "hospital": 8, "other": 7, "all others": 7, "all": 0, "not recorded": 7, "unknown": 7,
    "outdoor": 0, "indoor": 1, "exited": 5, "alumni": 5, "guest": 7,
    "anonymous": 7, "new person": 2, "returning person": 0,
    "external_condom": 0, "internal_condom": 4, "lubricant": 1, "naloxone_kit": 3, "safer_injection_kit": 2,
    "safer_smoking_kit": 5, "hygiene_kit": 8, "dental_dam": 9, "sharps_container": 10, "pregnancy_test": 11,
    "clothing": 6, "made": 4, "attended": 2, "not_attended": 3, "declined": 1, "pending": 7,
    "online request": 2, "anonymous, in person": 7, "known person": 0,
    "admitted": 2, "full": 3, "not_eligible": 1, "withdrawn": 7,
    "violence": 3, "theft or non-payment": 1, "other harm": 7,
    "reported to police": 0, "not reported": 7, "alert circulated": 2, "no alert": 7,
}
FONT = "DejaVu Sans, Arial, sans-serif"
INK = "#1a1a1a"      # axis text and titles: near black, readable from the back of a room
MUTED = "#4d4d4d"    # notes inside charts: 8.6:1 on white, still clearly secondary
CONFIG = {"displaylogo": False, "displayModeBar": "hover"}
# Main-area width in px at a 1280 px wide screen with the sidebar open, by columns side by side:
# titles are wrapped to fit the narrowest screen we design for (a 1280x720 projector).
WIDTH_AT_1280 = {1: 820, 2: 380, 3: 250}


def colour(category: str, i: int = 0) -> str:
    return PALETTE[FIXED.get(str(category), i + 8) % len(PALETTE)]


LABELS = {  # where "replace _ by a space" does not read well
    "hiv_testing_care": "HIV testing & care", "hcv_testing_care": "HCV testing & care", "sti_testing": "STI testing",
    "drop_in": "Drop-in", "phone_text": "Phone / text", "one_to_one": "One-to-one",
    "missing_persons_police": "Missing persons / police", "family_child_services": "Family & child services",
    "employment_education": "Employment & education", "family_support": "Family support",
    "child_apprehension_support": "Child apprehension support", "work_safe_education": "Work-safe education",
    "harm_reduction_education": "Harm reduction education", "youth_school": "Youth (school)",
    "landlords_housing": "Landlords & housing", "health_social_services": "Health & social services",
    "safer_sex": "Safer sex (incl. the Travelling Safer Sex Lady)", "not_attended": "Not attended",
    "not_eligible": "Not eligible", "online_arranged": "Arranged online", "returned_home": "Returned home",
}


def label(category) -> str:
    """A category as a person reads it: drop_in -> Drop-in, hiv_testing_care -> HIV testing & care."""
    if str(category) in LABELS:
        return LABELS[str(category)]
    s = str(category).replace("_", " ")
    return s[:1].upper() + s[1:]


pio.templates["shop"] = go.layout.Template(layout=go.Layout(
    font=dict(family=FONT, size=16, color=INK),
    # the title sits just above the plot and pushes the top margin (automargin), left-aligned with
    # the figure, never over the legend (which is beside the plot)
    title=dict(font=dict(size=20, color=INK), x=0, xanchor="left", xref="container", yref="container",
               yanchor="bottom", pad=dict(l=8)),
    colorway=PALETTE, plot_bgcolor="white", paper_bgcolor="white",
    xaxis=dict(showgrid=False, linecolor="#555", ticks="outside", tickfont=dict(size=14, color=INK),
               title_font=dict(size=15, color=INK), automargin=True),
    yaxis=dict(gridcolor="#e0e0e0", zeroline=False, tickfont=dict(size=14, color=INK),
               title_font=dict(size=15, color=INK), rangemode="tozero", automargin=True),
    # beside the plot, top-aligned with it: never in the title's band, never over the bars
    legend=dict(orientation="v", yanchor="top", y=1, x=1.02, xanchor="left", title_text="",
                font=dict(size=14, color=INK)),
    margin=dict(l=60, r=20, t=70, b=50), hoverlabel=dict(font_size=15),
))
pio.templates.default = "shop"

OTHERS, ALL = "all others", "all"   # the release engine's merged categories
OTHERS_NOTE = "Small categories merged into \u201cAll others\u201d for privacy"
ALL_NOTE = "Categories merged for privacy: total only"


# ------------------------------------------------------------------ the honest rule under suppression
# Every chart of a released table, on a page, in the deck or in the workbook, draws what
# `drawable` says: each bucket as high as its released total; the released parts of a bucket
# stacked, and what its hidden parts add up to (released total minus released parts, which anyone
# can work out from the table) as one grey "withheld" segment, never a shorter stack; a bucket
# whose total is itself hidden is a gap, never a zero.

WITHHELD = "withheld"            # the segment of a bucket whose breakdown is partly hidden
FOLDED = "other categories"      # the smaller categories of a busy chart, drawn together (the table has each)
WITHHELD_FILL = "#BDBDBD"
MOST_PARTS = 7                   # categories drawn apart: more cannot each get a colour of their own
PINNED = {"naloxone_kit", "attended", "full", "anonymous"}  # carry an indicator or a target: never folded
GRAINS_UP = {"week": ["week"], "month": ["month", "quarter", "year"], "quarter": ["quarter", "year"],
             "year": ["year"]}


@dataclass
class Drawable:
    """What a chart of one released table draws. `parts` (bucket x category, with FOLDED and
    WITHHELD where needed) adds up to `totals` in every drawn bucket; `gaps` are buckets whose
    released total is hidden (not drawn); `withheld` the buckets drawn with a withheld segment."""
    grain: str
    parts: pd.DataFrame
    totals: pd.Series
    total: object                 # the period's released total: a number or a mark
    withheld: list = field(default_factory=list)
    gaps: list = field(default_factory=list)
    merged: list = field(default_factory=list)   # merged by the release engine into "all others"
    folded: list = field(default_factory=list)   # drawn together as FOLDED (chart only)
    coarser: str = ""             # why a coarser grain is drawn than the one asked for

    @property
    def empty(self) -> bool:
        return not self.totals.notna().any()

    @property
    def hidden_share(self) -> float:
        n = len(self.totals)
        return (len(self.withheld) + len(self.gaps)) / n if n else 1.0


def _num(v) -> float:
    return float(v) if isinstance(v, numbers.Number) and not isinstance(v, bool) and pd.notna(v) else float("nan")


def drawable(table: pd.DataFrame, grain: str, merged=(), fold: bool = True) -> Drawable:
    """The honest drawing of a released table (bucket rows and a "Total" row; category columns and
    a "Total" column; hidden cells are marks such as '<10', 'x', 'w')."""
    if table is None or table.empty or "Total" not in table.columns:
        return Drawable(grain, pd.DataFrame(), pd.Series(dtype="float64"), None, merged=list(merged))
    # numpy over the table's cells once (a page or an export draws hundreds of these)
    rows = [r for r, i in enumerate(table.index) if not (isinstance(i, str) and "total" in i.lower())]
    index = table.index[rows]
    cols = list(table.columns)
    cats = [c for c in cols if c != "Total"]
    raw = table.to_numpy(dtype=object)
    num = np.vectorize(_num, otypes=[np.float64])(raw) if raw.size else np.empty(raw.shape)
    at = {c: j for j, c in enumerate(cols)}
    body = num[rows]
    totals_v = body[:, at["Total"]] if len(rows) else np.empty(0)
    totals = pd.Series(totals_v, index=index, dtype="float64")
    total = table.loc["Total", "Total"] if "Total" in table.index else None
    values = body[:, [at[c] for c in cats]] if cats else np.empty((len(rows), 0))
    hidden_v = np.isnan(values).any(axis=1) if cats else np.zeros(len(rows), dtype=bool)
    known = np.nan_to_num(values, nan=0.0)
    withheld_v = np.where(hidden_v, np.clip(totals_v - known.sum(axis=1), 0, None), 0.0)
    parts = pd.DataFrame(np.column_stack([known, withheld_v]) if len(rows) else np.empty((0, len(cats) + 1)),
                         index=index, columns=[*cats, WITHHELD], dtype="float64")
    gap = np.isnan(totals_v)
    parts.loc[gap] = float("nan")    # a hidden total is a gap, not a zero
    folded = []
    if fold and len(cats) > MOST_PARTS:
        grand = [r for r, i in enumerate(table.index) if isinstance(i, str) and i == "Total"]
        size = {c: num[grand[0], at[c]] if grand else float("nan") for c in cats}
        size = {c: (v if pd.notna(v) else known[:, j].sum()) for j, (c, v) in enumerate(size.items())}
        order = sorted(cats, key=lambda c: (c not in PINNED, c == OTHERS, -size[c]))
        kept = order[:MOST_PARTS - 1]
        folded = [c for c in cats if c not in kept]
        parts[FOLDED] = parts[folded].sum(axis=1, min_count=1)
        parts = parts.drop(columns=folded)
    if not (withheld_v[~gap] > 0).any():
        parts = parts.drop(columns=WITHHELD)
    gaps = list(index[gap])
    withheld = [b for b, h, g in zip(index, hidden_v, gap) if h and not g]
    return Drawable(grain, parts, totals, total, withheld, gaps, list(merged), folded)


def choose(get, grain: str, suppressed: bool, totals_only: bool = False) -> Drawable | None:
    """The drawing of a measure at `grain`, or coarser when most of its buckets are hidden: months,
    then quarters, then the year. `get(grain)` returns a release.Breakdown (or raises NotExternal:
    no such table for this audience). `totals_only`: a chart of the totals alone, where only a
    hidden total counts. None when no grain has anything to draw."""
    from .release import NotExternal
    tried = []
    for g in GRAINS_UP.get(grain, [grain]) if suppressed else [grain]:
        try:
            br = get(g)
        except NotExternal:
            continue
        d = drawable(br.table, g, br.merged)
        if not d.empty:
            tried.append(d)
    if not tried:
        return None

    def share(d):
        return len(d.gaps) / len(d.totals) if totals_only else d.hidden_share
    ok = [d for d in tried if share(d) <= 0.5]
    # every grain mostly hidden: the fewest hidden totals, then hidden parts (min keeps the finer on a tie)
    d = ok[0] if ok else min(tried, key=lambda d: (len(d.gaps) / len(d.totals), d.hidden_share))
    if d is not tried[0]:
        f = tried[0]
        n = len(f.gaps) + (0 if totals_only else len(f.withheld))
        d.coarser = f"Drawn by {d.grain}: most {f.grain}s include a hidden count ({n} of {len(f.totals)})."
    return d


def withheld_note(d: Drawable, totals_only: bool = False, short: bool = False) -> str:
    """What the drawing leaves out, in words, for the caption or the slide (`short`: for a slide)."""
    out = []
    n = len(d.totals)
    if d.withheld and not totals_only:
        out.append(f"grey hatched: withheld parts ({len(d.withheld)} of {n} {d.grain}s)" if short else
                   f"{len(d.withheld)} of {n} {d.grain}s drawn at their released total with a grey "
                   "\u201cwithheld\u201d part: their breakdown includes a hidden count.")
    if d.gaps:
        out.append(f"{len(d.gaps)} {d.grain}(s) hidden" if short else
                   f"{len(d.gaps)} {d.grain}(s) not drawn: the total itself is hidden.")
    if d.folded:
        out.append(f"{len(d.folded)} smaller categories together" if short else
                   f"{len(d.folded)} smaller categories drawn together as \u201cother categories\u201d "
                   "(the table has each).")
    if d.coarser:
        out.append(d.coarser.split(":")[0] + " (most months hidden)" if short else d.coarser)
    return " · ".join(out) if short else " ".join(out)


def colours(categories) -> dict:
    """One colour per category of a chart: its fixed colour when no other category of the chart
    has it, else the next free one; grey for merged, folded and withheld parts."""
    out = {}
    grey = {OTHERS: PALETTE[7], FOLDED: PALETTE[7], WITHHELD: WITHHELD_FILL, ALL: PALETTE[0]}
    for c in categories:
        if c in grey:
            out[c] = grey[c]
    used = {7} if (OTHERS in out or FOLDED in out) else set()
    free = list(range(len(PALETTE)))
    for c in categories:
        if c in out:
            continue
        i = FIXED.get(str(c))
        if i is None or i in used:
            i = next((j for j in free if j not in used), 0)
        used.add(i)
        out[c] = PALETTE[i]
    return out


def luminance(hex_colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    h = hex_colour.lstrip("#")
    rgb = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ink_on(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (both are >= 4.5:1 on our palette)."""
    return "#000000" if contrast("#000000", fill) >= contrast("#ffffff", fill) else "#ffffff"


def _month_grain(index) -> str | None:
    """'month', 'week' or None for an index of bucket dates (first of month = month buckets)."""
    try:
        days = [pd.Timestamp(b) for b in index]
    except (TypeError, ValueError):
        return None
    if not days:
        return None
    if all(d.day == 1 for d in days):
        return "month"
    return "week" if all(d.weekday() == 0 for d in days) else None


def _bucket_end(start: pd.Timestamp, grain: str) -> dt.date:
    if grain == "week":
        return (start + pd.Timedelta(days=6)).date()
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    return ((start + pd.DateOffset(months=months)) - pd.Timedelta(days=1)).date()


def _date_axis(fig: go.Figure, index, grain: str | None) -> None:
    """Ticks on the buckets themselves, named as a person would: no time of day on a month axis."""
    grain = grain or _month_grain(index)
    if grain is None or not len(index):
        return
    _ticks(fig, [pd.Timestamp(b) for b in index], grain, 12)


def _ticks(fig: go.Figure, ticks: list, grain: str, most: int) -> None:
    """At most `most` labels on the buckets; the year once, under the first label and where it
    changes, so that short labels stay level even in a narrow chart."""
    shown = ticks[::max(1, -(-len(ticks) // most))]
    fmt = "%d %b" if grain == "week" else "%b"
    text = [_single_label(t, grain) if grain in ("quarter", "year") else
            f"{t:{fmt}}" + (f"<br>{t:%Y}" if i == 0 or t.year != shown[i - 1].year else "")
            for i, t in enumerate(shown)]
    fig.update_xaxes(type="date", tickvals=shown, ticktext=text, ticks="outside", tickangle=0)
    kept = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    fig.update_layout(meta=dict(kept, grain=grain, buckets=[t.isoformat() for t in ticks]))


def _unfinished(index, grain: str | None, through: dt.date | None):
    """The last bucket when it is not over yet (data only `through` a day inside it), else None."""
    grain = grain or _month_grain(index)
    if through is None or grain is None or not len(index) or isinstance(list(index)[-1], str):
        return None
    last = pd.Timestamp(list(index)[-1])
    return last if _bucket_end(last, grain) > through else None


def _so_far_name(last, grain, through) -> str:
    name = {"week": f"week of {last:%d %b}", "month": f"{last:%b %Y}"}.get(grain, "the last " + grain)
    return f"{name} so far: to {through:%d %b} (drawn pale and dotted, not a drop)"


def _partial(fig: go.Figure, index, grain: str | None, through: dt.date | None) -> str | None:
    """An unfinished last bar drawn pale with a dotted outline and labelled "so far", so that a few days
    of a month never read as a collapse on a projector; returns a note."""
    grain = grain or _month_grain(index)
    last = _unfinished(index, grain, through)
    if last is None:
        return None
    top = 0.0
    for tr in fig.data:
        if tr.type == "bar":
            xs = [pd.Timestamp(x) if not isinstance(x, str) else x for x in tr.x]
            tr.marker.opacity = [0.4 if x == last else 1.0 for x in xs]
            top += sum(_num(y) for x, y in zip(xs, tr.y) if x == last and pd.notna(_num(y)))
    fig.add_shape(type="rect", x0=last - pd.Timedelta(days=12), x1=last + pd.Timedelta(days=12), y0=0, y1=top,
                  line=dict(color=INK, width=2, dash="dot"), fillcolor="rgba(0,0,0,0)")
    fig.add_annotation(x=last, y=top, text="so far", showarrow=False, yanchor="bottom",
                       font=dict(size=14, color=INK))
    return _so_far_name(last, grain, through)


def stacked_bars(d: "Drawable", title: str, y_title: str, annotations=(), through: dt.date | None = None,
                 meta: dict | None = None) -> go.Figure:
    """Stacked bars over time drawn as `drawable` says: each bucket at its released total, a withheld
    breakdown as a grey hatched "withheld" part on top, a hidden total as a labelled gap.
    `through` (the last day with data) marks an unfinished last bucket."""
    chart, grain = d.parts, d.grain
    fig = go.Figure()
    tail = [c for c in (OTHERS, FOLDED, WITHHELD) if c in chart.columns]
    cols = sorted([c for c in chart.columns if c not in tail], key=lambda c: -chart[c].sum()) + tail
    fills = colours(cols)
    single = len(chart.index) == 1
    x = [_single_label(chart.index[0], grain)] if single else list(chart.index)
    for c in cols:
        ys = [None if pd.isna(v) else v for v in chart[c]]
        if c == WITHHELD:
            fig.add_bar(x=x, y=ys, name="withheld (hidden counts)", marker_color=WITHHELD_FILL,
                        marker_pattern=dict(shape="/", fgcolor="#6b6b6b", size=8, solidity=0.25),
                        hovertemplate="%{y:,.0f} in hidden parts of the breakdown<extra>withheld</extra>")
        else:
            fig.add_bar(x=x, y=ys, name=label(c), marker_color=fills[c])
    fig.update_layout(barmode="stack", title=title, yaxis_title=y_title, xaxis_title=None, height=440,
                      legend_traceorder="reversed",  # legend top to bottom as the stack reads
                      meta=dict(meta or {}, grain=grain))
    fig.update_yaxes(rangemode="tozero")
    for b in d.gaps:  # said where it would be, never drawn as a zero
        fig.add_annotation(x=_single_label(b, grain) if single else b, y=0, text="hidden", showarrow=False,
                           yanchor="bottom", textangle=-90, font=dict(size=13, color=MUTED))
    notes = []
    if (OTHERS in chart.columns or d.merged) and [c for c in chart.columns if c != WITHHELD] != [ALL]:
        notes.append(OTHERS_NOTE)
    if [c for c in chart.columns if c != WITHHELD] == [ALL]:
        notes.append(ALL_NOTE)
        fig.update_layout(showlegend=WITHHELD in chart.columns)
    if single:
        fig.update_xaxes(type="category")
        fig.update_traces(width=0.4)  # one bucket: a bar, not a wall
        if (n := _partial_single(chart.index[0], grain, through)):
            notes.append(n)
    else:
        _date_axis(fig, chart.index, grain)
        if (n := _partial(fig, chart.index, grain, through)):
            notes.append(n)
        mark(fig, annotations)
    if grain in ("quarter", "year") and not single:  # name the buckets as the fiscal calendar does
        fig.update_xaxes(tickvals=list(chart.index), ticktext=[_single_label(b, grain) for b in chart.index])
    subtitle(fig, notes)
    return fig


def _single_label(b, grain: str | None) -> str:
    if isinstance(b, str):
        return b
    from shop import periods
    t = pd.Timestamp(b)
    g = grain or _month_grain([b])
    if g == "quarter":
        return periods.quarter_label(t.date())
    if g == "year":
        return periods.fy_label(periods.fy_start_year(t.date()))
    return f"week of {t:%d %b %Y}" if g == "week" else f"{t:%b %Y}" if g == "month" else f"{t:%d %b %Y}"


def _partial_single(b, grain, through) -> str | None:
    g = grain or _month_grain([b])
    if through is None or g is None or isinstance(b, str):
        return None
    return f"so far: to {through:%d %b}" if _bucket_end(pd.Timestamp(b), g) > through else None


def subtitle(fig: go.Figure, notes) -> None:
    """Notes under the title (merged for privacy, an unfinished month), in the title's band."""
    notes = [n for n in notes if n]
    if notes:
        fig.update_layout(title_subtitle=dict(text=" · ".join(notes), font=dict(size=14, color=MUTED)))


def bars(values: pd.Series, title: str, x_title: str, horizontal: bool = True, order=None) -> go.Figure:
    """One bar per category (numbers only: suppressed categories already left out). Categories
    with a fixed colour keep it; otherwise one colour, since the bars are one measure."""
    if order:  # the given order first, then any other category (never dropped): top to bottom
        ordered = [c for c in order if c in values.index] + [c for c in values.index if c not in order]
        values = values.reindex(list(reversed(ordered)))
    else:
        values = values.sort_values()
    fixed = all(str(c) in FIXED for c in values.index)
    colours = [colour(c, i) if fixed else PALETTE[0] for i, c in enumerate(values.index)]
    names = [label(c) for c in values.index]
    fig = go.Figure(go.Bar(x=values.values if horizontal else names, y=names if horizontal else values.values,
                           orientation="h" if horizontal else "v", marker_color=colours,
                           text=[f"{v:,.0f}" for v in values.values], textposition="auto"))
    fig.update_layout(title=title, height=max(300, 90 + 40 * len(values)), showlegend=False)
    fig.update_xaxes(title=x_title if horizontal else None)
    fig.update_yaxes(title=None if horizontal else x_title, rangemode="tozero")
    return fig


def line(series: pd.Series, title: str, y_title: str, annotations=(), markers=True, grain: str | None = None,
         through: dt.date | None = None, meta: dict | None = None) -> go.Figure:
    """A total over time; one bucket is a bar (a single point is not a trend). An unfinished last
    bucket is joined by a dotted line and labelled "so far"."""
    series = series.dropna() if len(series.dropna()) <= 1 else series
    if len(series) == 1:
        fig = go.Figure(go.Bar(x=[_single_label(series.index[0], grain)], y=series.values,
                               marker_color=PALETTE[0], text=[f"{series.iloc[0]:,.0f}"], textposition="auto",
                               name=y_title, width=[0.4]))
        fig.update_xaxes(type="category")
        fig.update_layout(title=title, yaxis_title=y_title, height=420, showlegend=False, meta=meta or {})
        subtitle(fig, [_partial_single(series.index[0], grain, through)])
        return fig
    last = _unfinished(series.index, grain, through)
    solid = series.copy()
    if last is not None:
        solid.iloc[-1] = float("nan")
    fig = go.Figure(go.Scatter(x=solid.index, y=solid.values, mode="lines+markers" if markers else "lines",
                               line=dict(color=PALETTE[0], width=3), connectgaps=False, name=y_title))
    fig.update_layout(title=title, yaxis_title=y_title, height=420, showlegend=False)
    fig.update_yaxes(rangemode="tozero")  # a board reads heights from zero
    _date_axis(fig, series.index, grain)
    note = None
    if last is not None:
        tail = series.iloc[-2:]
        fig.add_scatter(x=tail.index, y=tail.values, mode="lines+markers", name=f"{y_title} so far",
                        line=dict(color=PALETTE[0], width=3, dash="dot"),
                        marker=dict(symbol="circle-open", size=10, color=PALETTE[0]))
        if pd.notna(series.iloc[-1]):
            fig.add_annotation(x=last, y=series.iloc[-1], text="so far", showarrow=False, yanchor="bottom",
                               yshift=8, font=dict(size=14, color=INK))
        note = _so_far_name(last, grain or _month_grain(series.index), through).replace("pale and dotted", "dotted")
    if meta:
        fig.update_layout(meta=dict(fig.layout.meta or {}, **meta))
    subtitle(fig, [note])
    mark(fig, annotations)
    return fig


def mark(fig: go.Figure, annotations) -> None:
    """Shade each annotation's dates and label it (program context, never about a person)."""
    for a in annotations:
        start, end, note = a["start_date"], a["end_date"] or a["start_date"], a["note"]
        fig.add_vrect(x0=start, x1=end, fillcolor="#999", opacity=0.15, line_width=0,
                      annotation_text=note, annotation_position="top left",
                      annotation_font=dict(size=13, color=MUTED))


# ------------------------------------------------------------------ the finish every chart goes through

def _wrap(text: str, chars: int) -> str:
    parts = str(text).split("<br>")
    return "<br>".join("<br>".join(textwrap.wrap(p, max(12, chars), break_on_hyphens=False) or [""]) for p in parts)


def _raw(tr, axis: str) -> list:
    vals = getattr(tr, axis, None)
    return [] if vals is None else list(vals)


def _values(tr, axis: str) -> list:
    vals = getattr(tr, axis, None)
    if vals is None:
        return []
    return [v for v in vals if isinstance(v, numbers.Number) and not isinstance(v, bool) and pd.notna(v)]


def finish(fig: go.Figure, columns: int = 1) -> go.Figure:
    """Make any figure readable on a projector: the title wrapped to fit its column (with room
    for it above the plot), integer ticks for counts, bar labels in ink that contrasts with the bar."""
    # the house template by name: importing streamlit after this module makes its own the default
    fig.update_layout(template="shop")
    size = fig.layout.title.font.size or 20
    width = WIDTH_AT_1280.get(columns, 250)
    chars = int(width / (size * 0.62))
    title = fig.layout.title.text
    lines = 0
    if title:
        wrapped = _wrap(title, chars)
        lines = wrapped.count("<br>") + 1
        fig.update_layout(title_text=wrapped)
    sub = fig.layout.title.subtitle.text if fig.layout.title.subtitle else None
    sub_lines = 0
    if sub:
        wrapped = _wrap(sub, int(width / (14 * 0.6)))
        sub_lines = wrapped.count("<br>") + 1
        fig.update_layout(title_subtitle_text=wrapped)
    top = 14 + int(lines * size * 1.3 + sub_lines * 14 * 1.5) + 14
    height = fig.layout.height or 450
    if height < top + 220:
        height = top + 220
    # plotly anchors a title's first line and writes the others below it: the first line's
    # baseline goes one line down from the top, and the top margin holds every line
    fig.update_layout(height=height, margin_t=top, title_y=1 - (10 + size * 1.2) / height)
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    if meta.get("buckets") and fig.layout.xaxis.type == "date" and fig.layout.xaxis.ticktext and \
            "<br>" in fig.layout.xaxis.ticktext[0]:  # our month / week labels: as many as the width holds
        _ticks(fig, [pd.Timestamp(b) for b in meta["buckets"]], meta["grain"], {1: 12, 2: 7, 3: 5}.get(columns, 5))
    if fig.layout.xaxis.type == "category" and fig.layout.xaxis.tickvals is not None:
        fig.update_xaxes(tickvals=None, ticktext=None)  # dates named for a date axis; a single bucket is named
    # counts: whole-number ticks, never 0.5 (sessions, reports)
    for axis, key in (("y", "yaxis"), ("x", "xaxis")):
        traces = [_values(tr, axis) for tr in fig.data if tr.type in ("bar", "scatter")]
        vals = [v for t in traces for v in t]
        ax = getattr(fig.layout, key)
        if not vals or any(len(_values(tr, axis)) != len(_raw(tr, axis)) for tr in fig.data
                           if tr.type in ("bar", "scatter")) or ax.type in ("category", "date") or ax.ticksuffix or any(float(v) != int(v) for v in vals):
            continue
        stacked = fig.layout.barmode == "stack" and len(traces) > 1
        top_v = sum(max(t, default=0) for t in traces) if stacked else max(vals)
        fig.update_layout({key: dict(tickformat=",d", **(dict(dtick=1, tick0=0) if top_v < 10 else {}))})
    for tr in fig.data:
        if tr.type == "bar" and isinstance(tr.marker.color, (str, list, tuple)):
            fills = [tr.marker.color] if isinstance(tr.marker.color, str) else list(tr.marker.color)
            if fills and all(isinstance(f, str) and f.startswith("#") and len(f) == 7 for f in fills):
                inks = [ink_on(f) for f in fills]
                tr.insidetextfont = dict(color=inks if len(inks) > 1 else inks[0])
                tr.outsidetextfont = dict(color=INK)
    return fig


def show(fig: go.Figure, columns: int = 1, key: str | None = None) -> None:
    """Draw a figure in Streamlit with this template, not Streamlit's theme (theme=None).

    Every chart on every page goes through here. `columns`: how many charts sit side by side
    (titles are wrapped to fit). The title doubles as the chart's text alternative."""
    import re

    import streamlit as st
    finish(fig, columns)
    alt = re.sub(r"<[^>]+>", " ", str(fig.layout.title.text or "Chart")).replace("  ", " ")
    st.plotly_chart(fig, width="stretch", theme=None, config=CONFIG, key=key, alt=alt)


def period_name(p) -> str:
    """A period as a tile or a legend names it, short: FY2024-25, October 2025, Apr–Oct 2025."""
    if p.label:
        return p.label
    s, e = p.start, p.end
    whole = s.day == 1 and (e + dt.timedelta(days=1)).day == 1
    if whole:
        return f"{s:%b}–{e:%b %Y}" if s.year == e.year else f"{s:%b %Y} – {e:%b %Y}"
    return f"{s:%d %b} – {e:%d %b %Y}" if s.year == e.year else f"{s:%d %b %Y} – {e:%d %b %Y}"
