"""The plotly look: one template, a colour-blind-safe palette, category colours fixed across pages."""
from __future__ import annotations

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
    font=dict(family=FONT, size=16, color="#222"),
    title=dict(font=dict(size=20), x=0, xanchor="left"),
    colorway=PALETTE, plot_bgcolor="white", paper_bgcolor="white",
    xaxis=dict(showgrid=False, linecolor="#888", ticks="outside", title_font=dict(size=15)),
    yaxis=dict(gridcolor="#e5e5e5", zeroline=False, title_font=dict(size=15), rangemode="tozero"),
    legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, title_text="", font=dict(size=14)),
    margin=dict(l=60, r=20, t=80, b=50), hoverlabel=dict(font_size=15),
))
pio.templates.default = "shop"


def stacked_bars(chart: pd.DataFrame, title: str, y_title: str, annotations=()) -> go.Figure:
    """Stacked bars over time; `chart` holds only released, numeric buckets."""
    fig = go.Figure()
    cols = sorted(chart.columns, key=lambda c: -chart[c].sum())
    for i, c in enumerate(cols):
        fig.add_bar(x=chart.index, y=chart[c], name=label(c), marker_color=colour(c, i))
    fig.update_layout(barmode="stack", title=title, yaxis_title=y_title, xaxis_title=None, height=440)
    fig.update_yaxes(rangemode="tozero")
    mark(fig, annotations)
    return fig


def bars(values: pd.Series, title: str, x_title: str, horizontal: bool = True, order=None) -> go.Figure:
    """One bar per category (numbers only: suppressed categories already left out). Categories
    with a fixed colour keep it; otherwise one colour, since the bars are one measure."""
    if order:
        values = values.reindex([c for c in reversed(order) if c in values.index])
    else:
        values = values.sort_values()
    fixed = all(str(c) in FIXED for c in values.index)
    colours = [colour(c, i) if fixed else PALETTE[0] for i, c in enumerate(values.index)]
    names = [label(c) for c in values.index]
    fig = go.Figure(go.Bar(x=values.values if horizontal else names, y=names if horizontal else values.values,
                           orientation="h" if horizontal else "v", marker_color=colours,
                           text=[f"{v:,.0f}" for v in values.values], textposition="auto"))
    fig.update_layout(title=title, height=max(300, 60 + 36 * len(values)), showlegend=False)
    fig.update_xaxes(title=x_title if horizontal else None)
    fig.update_yaxes(title=None if horizontal else x_title, rangemode="tozero")
    return fig


def line(series: pd.Series, title: str, y_title: str, annotations=(), markers=True) -> go.Figure:
    fig = go.Figure(go.Scatter(x=series.index, y=series.values, mode="lines+markers" if markers else "lines",
                               line=dict(color=PALETTE[0], width=3), connectgaps=False, name=y_title))
    fig.update_layout(title=title, yaxis_title=y_title, height=420, showlegend=False)
    fig.update_yaxes(rangemode="tozero")  # a board reads heights from zero
    mark(fig, annotations)
    return fig


def mark(fig: go.Figure, annotations) -> None:
    """Shade each annotation's dates and label it (program context, never about a person)."""
    for a in annotations:
        start, end, note = a["start_date"], a["end_date"] or a["start_date"], a["note"]
        fig.add_vrect(x0=start, x1=end, fillcolor="#999", opacity=0.15, line_width=0,
                      annotation_text=note, annotation_position="top left",
                      annotation_font=dict(size=13, color="#444"))
