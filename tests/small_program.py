"""A small program written as staff would log it: about 30 people, 1-4 outreach contacts a
month, 0-3 bad date reports a month, a few referrals, stays and Friday attendances, for the
last fiscal year and this one up to today (the current, unfinished month included)."""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from etl.load import load
from helpers import write_rows
from shop import periods

MODES = ["street", "drop_in", "online", "phone_text"]
GROUPS = ["outdoor", "indoor", "online", "unknown"]
TYPES = ["physical_assault", "robbery_theft", "threats_harassment"]


def records(today: dt.date, seed: int = 11) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    people = [f"SP{i:02d}Q" for i in range(30)]
    start = periods.fiscal_year(periods.fy_start_year(today) - 1).start
    out: dict[str, list[dict]] = {k: [] for k in ["outreach", "referrals", "suite_stays", "suite_requests",
                                                  "friday_network", "bad_dates", "supplies", "education"]}
    m = start
    while m <= today:
        last = min(periods.month_end(m), today)
        day = lambda: m + dt.timedelta(days=rng.randint(0, (last - m).days))  # noqa: E731
        for _ in range(rng.randint(1, 4)):
            out["outreach"].append({"contact_date": day(), "client_code": rng.choice(people + [""]),
                                    "contact_mode": rng.choice(MODES), "worker_group": rng.choice(GROUPS),
                                    "new_contact": "", "services": "one_to_one", "minutes": rng.randint(10, 90)})
        for _ in range(rng.randint(0, 3)):
            out["bad_dates"].append({"report_date": day(), "incident_date": "", "incident_type": rng.choice(TYPES),
                                     "work_setting": "street", "reported_to_police": rng.choice(["yes", "no"]),
                                     "alert_circulated": rng.choice(["yes", "no"])})
        for _ in range(rng.randint(0, 3)):
            out["referrals"].append({"referral_date": day(), "client_code": rng.choice(people),
                                     "referral_type": rng.choice(["housing", "detox", "legal"]), "referred_to": "",
                                     "status": rng.choice(["made", "attended", "declined"]), "status_date": ""})
        for _ in range(rng.randint(1, 4)):
            out["friday_network"].append({"session_date": day(), "client_code": rng.choice(people),
                                          "attendee_group": rng.choice(["alumni", "indoor", "outdoor"]),
                                          "event": ""})
        if rng.random() < 0.5:
            ci = day()
            co = ci + dt.timedelta(days=rng.randint(1, 4))
            out["suite_stays"].append({"client_code": rng.choice(people), "check_in": ci,
                                       "check_out": co if co < today else "", "referral_source": "self",
                                       "exit_destination": "housing" if co < today else ""})
        for _ in range(rng.randint(0, 2)):
            out["suite_requests"].append({"request_date": day(), "client_code": rng.choice(people),
                                          "outcome": rng.choice(["admitted", "full"])})
        out["supplies"].append({"dist_date": day(), "channel": "drop_in", "item": "external_condom",
                                "quantity": rng.randint(5, 50), "client_code": ""})
        out["education"].append({"session_date": day(), "audience": "youth_school", "topic": "safer_sex",
                                 "attendees": rng.randint(5, 30)})
        m = periods.add_months(m, 1)
    return out


def build(folder: Path, today: dt.date, seed: int = 11) -> Path:
    """Write one CSV per log type, load them into a real DuckDB file, return its path."""
    recs = records(today, seed)
    files = []
    for log_type, rows in recs.items():
        rows = [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()} for r in rows]
        files.append(write_rows(folder / "logs" / f"{log_type}_small.csv", log_type, rows))
    fy = periods.fy_label(periods.fy_start_year(today))
    files.append(write_rows(folder / "logs" / "targets_small.csv", "targets",
                            [{"fiscal_year": fy, "indicator": "outreach.contacts", "target": "40"},
                             {"fiscal_year": fy, "indicator": "bad_dates.reports", "target": "20"}]))
    db = folder / "small.duckdb"
    outcomes = load(files, db, say=lambda *_: None)
    assert all(o.status == "loaded" for o in outcomes), [(o.label, o.status, o.reason) for o in outcomes]
    return db
