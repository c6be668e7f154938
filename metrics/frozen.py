"""Frozen reports: the figures as submitted, and what differs today."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from shop.periods import Period

from . import db, indicators, release
from .indicators import REGISTRY


def listing(path=None) -> pd.DataFrame:
    if not db.has_data(path):
        return pd.DataFrame()
    with db.connect(path) as con:
        has = con.execute("select count(*) from information_schema.tables where table_schema = 'meta' "
                          "and table_name = 'frozen_reports'").fetchone()[0]
        if not has:
            return pd.DataFrame()
        return con.execute("""select report_id, label, period_from, period_to,
                                     case when suppressed then 'external (suppressed)' else 'exact (confidential)' end as audience,
                                     created_at from meta.frozen_reports order by report_id desc""").df()


def compare(report_id: int, path=None, today: dt.date | None = None) -> tuple[dict, pd.DataFrame]:
    """(the frozen report's header, one row per indicator: as submitted, today, changed?)."""
    row = db.query("select * from meta.frozen_reports where report_id = $id", {"id": int(report_id)}, path)
    if row.empty:
        raise KeyError(report_id)
    r = row.iloc[0]
    period = Period(pd.Timestamp(r["period_from"]).date(), pd.Timestamp(r["period_to"]).date())
    submitted = json.loads(r["figures"])
    try:
        now = release.figures(period, bool(r["suppressed"]), path, today)
    except release.NotExternal:  # frozen under older rules: today's figures are for the staff view only
        now = {i: release.NOT_RELEASED for i in REGISTRY}
    batches_then = json.loads(r["batches"])
    now_b = db.query("select file_name, sheet, content_sha256 from meta.batches where status = 'in_force'", {}, path)
    shas_now = set(now_b["content_sha256"])
    changed_files = [b["file"] for b in batches_then if b["sha256"] not in shas_now]
    rows = []
    for i, ind in REGISTRY.items():
        a, b = submitted.get(i), now.get(i)
        rows.append({"indicator": i, "label": ind.label, "as submitted": indicators.fmt(ind, a),
                     "today": indicators.fmt(ind, b), "changed": "CHANGED" if a != b else ""})
    header = {"label": release.text(r["label"], path) if bool(r["suppressed"]) else r["label"], "period": period, "suppressed": bool(r["suppressed"]),
              "created_at": r["created_at"], "batches": len(batches_then),
              "files replaced or removed since": changed_files,
              "files added since": max(0, len(shas_now - {b["sha256"] for b in batches_then}))}
    return header, pd.DataFrame(rows)
