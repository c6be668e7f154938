"""Synthetic SHOP logs with a fixed seed: the data behind the demo and most tests.

`generate` returns the canonical records (what staff meant to log, with rows that
must be rejected flagged `bad`), so tests can compute expected figures in plain
Python; `write_files` writes them in the shapes staff produce (monthly CSVs, some
Windows-1252 with semicolons, workbooks with title and total rows, Excel date
cells, a few broken rows); `build_demo` writes and loads them.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
import string
from collections import defaultdict
from pathlib import Path

from shop import contract as C, settings
from shop.periods import fiscal_year, fy_label, fy_start_year

EVENTS = ["Street nurse: mammograms", "Beauty night with local stylists", "Legal clinic drop-in",
          "Self-defence workshop", "Travelling Safer Sex Lady", "Harm reduction Q&A", "Holiday dinner"]
REFERRED_TO = ["Street nurse program", "Interior Health clinic", "Mental health intake",
               "Housing outreach", "Victim services", "Legal aid", "Detox centre", "Employment centre"]


def _code(rng: random.Random, used: set) -> str:
    while True:
        c = "".join(rng.choices(string.ascii_uppercase, k=2)) + f"{rng.randint(0, 99):02d}" + rng.choice(string.ascii_uppercase)
        if c not in used:
            used.add(c)
            return c


def _days(start: dt.date, end: dt.date):
    d = start
    while d <= end:
        yield d
        d += dt.timedelta(days=1)


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method is fine for the small rates used here; a normal approximation above 30.
    if lam > 30:
        return max(0, round(rng.gauss(lam, lam ** 0.5)))
    import math
    L, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= L:
            return k
        k += 1


def generate(seed: int = 2025, years: int = 3, today: dt.date | None = None,
             scale: float = 1.0, breaches: bool = True) -> dict[str, list[dict]]:
    """Canonical records per log type; a record with bad=True must be rejected on load.

    With `breaches`, a few loadable rows that the monthly review's rules flag are added
    (see _add_review_breaches); without, no review rule should fire.
    """
    today = today or settings.today()
    rng = random.Random(seed)
    start = fiscal_year(fy_start_year(today) - years + 1).start
    end = today - dt.timedelta(days=1)
    used: set = set()
    n_people = max(20, int(300 * scale))
    people = []
    for i in range(n_people):
        first = start + dt.timedelta(days=0 if i < n_people * 0.4 else rng.randint(0, (end - start).days))
        people.append({"code": _code(rng, used), "first": first, "weight": rng.lognormvariate(0, 1),
                       "group": rng.choices(["outdoor", "indoor", "online", "exited", "unknown"], [35, 30, 15, 15, 5])[0]})
    out: dict[str, list[dict]] = defaultdict(list)
    seen: set = set()

    def pick(day):
        pool = [p for p in people if p["first"] <= day]
        return rng.choices(pool, [p["weight"] for p in pool])[0]

    modes = ["street", "drop_in", "online", "phone_text", "escort_agency", "safe_suite", "court", "hospital", "other"]
    services = C.SERVICES.split()
    for day in _days(start, end):
        season = 1 + 0.25 * (1 if day.month in (11, 12, 1, 2) else -0.5 if day.month in (6, 7, 8) else 0)
        wk = 1.2 if day.weekday() < 5 else 0.5
        for _ in range(_poisson(rng, 17.5 * season * wk * scale)):
            anon = rng.random() < 0.15
            p = None if anon else pick(day)
            new = bool(p) and p["code"] not in seen
            if p:
                seen.add(p["code"])
            out["outreach"].append({
                "contact_date": day, "client_code": p["code"] if p else None,
                "contact_mode": rng.choices(modes, [30, 30, 12, 12, 5, 3, 3, 3, 2])[0],
                "worker_group": p["group"] if p else "unknown", "new_contact": new,
                "services": sorted(set(rng.sample(services, rng.randint(1, 3)))),
                "minutes": rng.choice([5, 10, 15, 20, 30, 45, 60, 90, 120])})
        # supplies: hand-outs on most days
        for _ in range(_poisson(rng, 11 * wk * scale)):
            channel = rng.choices(C.CHANNELS.split(), [30, 30, 15, 8, 5, 7, 3, 2])[0]
            item = rng.choices(C.ITEMS.split(), [30, 4, 20, 3, 8, 6, 6, 3, 2, 8, 5, 5])[0]
            qty = {"external_condom": rng.randint(6, 48), "internal_condom": rng.randint(2, 12),
                   "lubricant": rng.randint(4, 24), "naloxone_kit": rng.randint(1, 2)}.get(item, rng.randint(1, 4))
            anon = channel == "online_request" or rng.random() < 0.3
            out["supplies"].append({"dist_date": day, "channel": channel, "item": item, "quantity": qty,
                                    "client_code": None if anon else pick(day)["code"]})
        for _ in range(_poisson(rng, 1.6 * wk * scale)):
            age = (today - day).days
            status = rng.choices(["attended", "not_attended", "declined", "made", "pending"],
                                 [45, 15, 8, 12, 20] if age > 60 else [15, 5, 5, 25, 50])[0]
            sd = None
            if status in ("attended", "not_attended", "declined"):
                sd = min(day + dt.timedelta(days=rng.randint(1, 30)), end)
            out["referrals"].append({"referral_date": day, "client_code": pick(day)["code"],
                                     "referral_type": rng.choice(C.REFERRAL_TYPES.split()),
                                     "referred_to": rng.choice(REFERRED_TO), "status": status, "status_date": sd})
        if day.weekday() == 4 and rng.random() < 0.96:
            event = rng.choice(EVENTS) if rng.random() < 0.15 else None
            for _ in range(rng.randint(10, 30) if scale >= 1 else rng.randint(3, 12)):
                g = rng.choices(["alumni", "indoor", "outdoor", "guest"], [30, 30, 30, 10])[0]
                code = None if g == "guest" and rng.random() < 0.5 else pick(day)["code"]
                out["friday_network"].append({"session_date": day, "client_code": code,
                                              "attendee_group": g, "event": event})
        if day.day == 1:
            for _ in range(_poisson(rng, 4 * scale)):
                rd = day + dt.timedelta(days=rng.randint(0, 27))
                if rd > end:
                    continue
                out["bad_dates"].append({
                    "report_date": rd, "incident_date": rd - dt.timedelta(days=rng.randint(0, 5)),
                    "incident_type": sorted(set(rng.sample(C.INCIDENTS.split(), rng.choice([1, 1, 2])))),
                    "work_setting": rng.choice(["street", "incall", "outcall", "vehicle", "online_arranged"]),
                    "reported_to_police": rng.random() < 0.3, "alert_circulated": rng.random() < 0.7})
            for _ in range(rng.choice([1, 1, 2])):
                sd = day + dt.timedelta(days=rng.randint(0, 27))
                if sd > end:
                    continue
                out["education"].append({"session_date": sd, "audience": rng.choice(
                    ["youth_school", "post_secondary", "community_group", "business", "police",
                     "landlords_housing", "health_social_services"]),
                    "topic": rng.choice(["sex_work_awareness", "human_trafficking", "safer_sex", "harm_reduction"]),
                    "attendees": rng.randint(8, 60)})
    # the Safe Suite: one unit, stays back to back with gaps (about 60 % occupied)
    d = start
    while d <= end:
        nights = 1 + int(rng.expovariate(1 / 3.5))
        p = pick(d)
        out_day = d + dt.timedelta(days=nights)
        open_stay = out_day > end
        out["suite_requests"].append({"request_date": d, "client_code": p["code"], "outcome": "admitted"})
        out["suite_stays"].append({"client_code": p["code"], "check_in": d, "check_out": None if open_stay else out_day,
                                   "referral_source": rng.choice(["self", "outreach", "outreach", "police", "hospital", "agency"]),
                                   "exit_destination": None if open_stay else rng.choice(
                                       ["returned_home", "housing", "treatment", "shelter", "family", "unknown"])})
        for busy in _days(d, min(out_day, end)):
            if rng.random() < 0.12:
                out["suite_requests"].append({"request_date": busy, "client_code": pick(busy)["code"], "outcome": "full"})
        if open_stay:
            break
        d = out_day + dt.timedelta(days=int(rng.expovariate(1 / 2.2)))
        if rng.random() < 0.1 and d <= end:
            out["suite_requests"].append({"request_date": d, "client_code": pick(d)["code"],
                                          "outcome": rng.choice(["not_eligible", "withdrawn"])})
    for fy in range(fy_start_year(start), fy_start_year(today) + 1):
        for ind, t in [("outreach.contacts", 6000), ("outreach.people", 220), ("supplies.naloxone_kits", 600),
                       ("referrals.made", 520), ("suite.guest_nights", 210), ("friday.sessions", 48),
                       ("education.sessions", 16)]:
            out["targets"].append({"fiscal_year": fy_label(fy), "indicator": ind, "target": round(t * scale)})
    out["annotations"] += [
        {"start_date": start + dt.timedelta(days=200), "end_date": start + dt.timedelta(days=213),
         "scope": "safe_suite", "note": "Safe Suite closed for repairs"},
        {"start_date": start + dt.timedelta(days=420), "end_date": start + dt.timedelta(days=480),
         "scope": "outreach", "note": "Outreach worker vacancy"},
        {"start_date": start + dt.timedelta(days=600), "end_date": None, "scope": "supplies",
         "note": "New online request form"},
    ]
    # a few rows staff get wrong, each of which the contract rejects
    _add_bad_rows(rng, out, end)
    if breaches:
        _add_review_breaches(random.Random(seed + 1), out, today)
    return dict(out)


def _add_review_breaches(rng, out, today: dt.date) -> None:
    """Rows that load but that the monthly review flags, mostly in the month before last (inside
    its three-month window): a Friday session on a Thursday, a second guest in the one-unit suite,
    one guest's stay logged twice, a contact marked first after earlier ones, a naloxone spike,
    referral agencies left blank for a month, and a month of Safe Suite requests not logged."""
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1) - dt.timedelta(days=1)
    month = month.replace(day=1)                       # the month before last
    inside = lambda d: d.replace(day=1) == month       # noqa: E731
    day = month + dt.timedelta(days=(3 - month.weekday()) % 7 + 7)   # its second Thursday
    if day >= today or not out.get("outreach"):
        return
    out["friday_network"] += [{"session_date": day, "client_code": None, "attendee_group": "guest", "event": None}
                              for _ in range(3)]
    stays = [s for s in out.get("suite_stays", []) if s["check_out"] and (s["check_out"] - s["check_in"]).days >= 3]
    if len(stays) >= 2:
        here = [s for s in stays if inside(s["check_in"])] or stays
        a = here[-1]
        b = next((s for s in reversed(stays) if s["check_out"] < a["check_in"]), stays[0])
        other = next(r["client_code"] for r in out["outreach"] if r["client_code"] and r["client_code"] != a["client_code"])
        out["suite_stays"].append({"client_code": other, "check_in": a["check_in"] + dt.timedelta(days=1),
                                   "check_out": a["check_in"] + dt.timedelta(days=2), "referral_source": "self",
                                   "exit_destination": "unknown"})
        out["suite_stays"].append({"client_code": b["client_code"], "check_in": b["check_in"] + dt.timedelta(days=1),
                                   "check_out": b["check_in"] + dt.timedelta(days=2), "referral_source": "self",
                                   "exit_destination": "unknown"})
    earlier = next(r for r in out["outreach"] if r["client_code"] and r["contact_date"] < month and not r.get("bad"))
    out["outreach"].append({"contact_date": day, "client_code": earlier["client_code"], "contact_mode": "drop_in",
                            "worker_group": earlier["worker_group"], "new_contact": True, "services": ["meal"],
                            "minutes": 15})
    out["supplies"].append({"dist_date": day, "channel": "community_event", "item": "naloxone_kit",
                            "quantity": 400, "client_code": None})
    for r in out.get("referrals", []):
        if inside(r["referral_date"]) and not r.get("bad"):
            r["referred_to"] = None
    before = (month - dt.timedelta(days=1)).replace(day=1)
    out["suite_requests"] = [r for r in out.get("suite_requests", []) if r["request_date"].replace(day=1) != before]


def _add_bad_rows(rng, out, end):
    future = end + dt.timedelta(days=2)
    bads = [
        ("outreach", {"contact_date": end, "client_code": None, "contact_mode": "skateboard", "worker_group": None,
                      "new_contact": False, "services": [], "minutes": 10}, "contact_mode"),
        ("outreach", {"contact_date": future, "client_code": None, "contact_mode": "street", "worker_group": None,
                      "new_contact": False, "services": [], "minutes": 10}, "contact_mode"),
        ("outreach", {"contact_date": end, "client_code": "250-555-0143", "contact_mode": "street",
                      "worker_group": None, "new_contact": False, "services": [], "minutes": 10}, "client_code"),
        ("supplies", {"dist_date": end, "channel": "drop_in", "item": "naloxone_kit", "quantity": 0,
                      "client_code": None}, "quantity"),
        ("referrals", {"referral_date": end, "client_code": "ZX11Q", "referral_type": "housing",
                       "referred_to": "call 250 555 0188", "status": "made", "status_date": None}, "referred_to"),
    ]
    for lt, rec, _field in bads:
        rec["bad"] = True
        out[lt].insert(rng.randint(0, len(out[lt])), rec)


# ---------------------------------------------------------------- writing files as staff do

def _text(field: C.Field, v, style: str) -> str:
    if v is None or v == []:
        return ""
    if field.kind == C.DATE:
        return {"iso": v.isoformat(), "dmy": f"{v:%d/%m/%Y}", "mon": f"{v.day}-{v:%b-%Y}",
                "long": f"{v:%B} {v.day}, {v.year}"}[style]
    if field.kind == C.YESNO:
        return "yes" if v else "no"
    if field.kind == C.MULTI:
        return "; ".join(v)
    if field.kind == C.ENUM:
        return str(v).replace("_", " ").capitalize() if style == "dmy" else str(v)
    return str(v)


def _header(lt: C.LogType, pretty: bool) -> list[str]:
    return [f.name.replace("_", " ").title() if pretty else f.name for f in lt.fields]


def write_csv(path: Path, lt: C.LogType, recs, style="iso", encoding="utf-8", delimiter=",",
              title: str | None = None, pretty=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh, delimiter=delimiter)
        if title:
            w.writerow([title])
            w.writerow([])
        w.writerow(_header(lt, pretty))
        for r in recs:
            w.writerow([_text(f, r.get(f.name), style) for f in lt.fields])


def write_xlsx(path: Path, sheets: dict[str, tuple[C.LogType, list]], title: str | None = None,
               total_field: str | None = None):
    """A workbook as staff keep it: a title line, real date cells, a Total row."""
    from openpyxl import Workbook
    wb = Workbook()
    wb.remove(wb.active)
    for name, (lt, recs) in sheets.items():
        ws = wb.create_sheet(name)
        if title:
            ws.append([f"{title}"])
            ws.append([])
        ws.append(_header(lt, True))
        for r in recs:
            row = []
            for f in lt.fields:
                v = r.get(f.name)
                row.append(v if f.kind in (C.DATE, C.INT, C.NUMBER) and v is not None else _text(f, v, "iso") or None)
            ws.append(row)
        for col in ws.iter_cols(min_row=4 if title else 2):
            for c in col:
                if isinstance(c.value, dt.date):
                    c.number_format = "yyyy-mm-dd"
        if total_field:
            j = [f.name for f in lt.fields].index(total_field)
            ws.append(["Total"] + [None] * (j - 1) + [sum(r.get(total_field) or 0 for r in recs)])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def write_files(records: dict[str, list[dict]], folder: Path) -> list[Path]:
    """Write the records in the shapes staff produce; returns the files written."""
    folder = Path(folder)
    by_month = defaultdict(list)
    L = C.LOG_TYPES
    outreach = records.get("outreach", [])
    last = max((r["contact_date"] for r in outreach if not r.get("bad")), default=None)
    for r in outreach:  # the future-dated bad row goes in the last month's file, as staff would type it
        by_month[min(r["contact_date"], last or r["contact_date"]).strftime("%Y-%m")].append(r)
    files = []
    for i, (ym, recs) in enumerate(sorted(by_month.items())):
        p = folder / f"outreach_{ym}.csv"
        # a Windows laptop: semicolons, cp1252, pretty headers, day-first dates; not for a month
        # whose days are all 1-12 (the current month early on), which the loader rightly refuses
        # as ambiguous without --date-order
        if i % 3 == 1 and any(r["contact_date"].day > 12 for r in recs):
            write_csv(p, L["outreach"], recs, style="dmy", encoding="cp1252", delimiter=";",
                      title=f"SHOP outreach log – {ym}", pretty=True)
        elif i % 3 == 2:
            write_csv(p, L["outreach"], recs, style="mon", encoding="utf-8-sig", pretty=True)
        else:
            write_csv(p, L["outreach"], recs)
        files.append(p)
    by_fy = defaultdict(lambda: defaultdict(list))
    date_of = {lt.name: lt.date_field.name for lt in L.values() if lt.name != "targets"}
    for name, recs in records.items():
        if name not in date_of:
            continue
        for r in recs:
            d = r[date_of[name]]
            by_fy[name][fy_label(fy_start_year(d))].append(r)
    for fy, recs in sorted(by_fy["supplies"].items()):
        p = folder / f"Supplies {fy}.xlsx"
        write_xlsx(p, {"Distribution": (L["supplies"], recs)}, title=f"SHOP supplies {fy}", total_field="quantity")
        files.append(p)
    for fy in sorted(by_fy["suite_stays"]):
        p = folder / f"Safe Suite {fy}.xlsx"
        write_xlsx(p, {"suite_stays": (L["suite_stays"], by_fy["suite_stays"][fy]),
                       "suite_requests": (L["suite_requests"], by_fy["suite_requests"].get(fy, []))},
                   title=f"Safe Suite {fy}")
        files.append(p)
    for fy, recs in sorted(by_fy["referrals"].items()):
        p = folder / f"referrals_{fy}.csv"
        write_csv(p, L["referrals"], recs, style="long")
        files.append(p)
    for fy, recs in sorted(by_fy["friday_network"].items()):
        p = folder / f"Friday Network {fy}.csv"
        write_csv(p, L["friday_network"], recs, title="Friday Afternoon Network sign-in (codes only)", pretty=True)
        files.append(p)
    for name in ("bad_dates", "education", "targets", "annotations"):
        recs = records.get(name, [])
        p = folder / (f"{name}.xlsx" if name == "education" else f"{name}.csv")
        if name == "education":
            write_xlsx(p, {"education": (L["education"], recs)}, title="Community education", total_field="attendees")
        else:
            write_csv(p, L[name], recs)
        files.append(p)
    return files


def build_demo(db: Path, seed: int = 2025, years: int = 3, folder: Path | None = None, say=print) -> int:
    """Write the demo logs to data/demo/ (or folder) and load them into db."""
    from .load import load, report
    folder = Path(folder or Path(db).parent / "demo")
    records = generate(seed, years)
    files = write_files(records, folder)
    say(f"wrote {len(files)} synthetic log files to {folder}")
    outcomes = load([folder], db, say=lambda *_: None, demo=True)
    loaded = sum(o.rows_loaded for o in outcomes)
    rejected = sum(len({r for r, _, _ in o.rejects}) for o in outcomes)
    say(f"loaded {loaded} rows into {db} ({rejected} rows rejected on purpose, see python -m etl status)")
    return report([o for o in outcomes if o.status == "refused"], say)
