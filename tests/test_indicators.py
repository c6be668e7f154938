"""Every indicator of `summary --exact` equals a plain-Python computation over the rows written."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal

import pytest

import clock
from cli import main
from conftest import ROOT, good
from metrics import indicators
from shop import periods

pytestmark = clock.each_instant()


def etl(capsys, *args) -> tuple[int, str, str]:
    """`python -m etl ...` run in this process (its exit code, stdout, stderr): the same main() the
    command's shim calls. That a process of its own reads the test's clock is shown once an instant
    by test_the_cli_releases_the_month_that_ended_in_kamloops_not_in_utc; a process apiece here cost
    a second and a half each (36 a run)."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def r(x, places):
    return float(Decimal(str(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def norm(code):
    return code.replace(" ", "").replace("-", "").upper() if code else None


def expected(records, start, end, today):
    inside = lambda d: start <= d <= end  # noqa: E731
    out = {}
    o = [x for x in good(records, "outreach") if inside(x["contact_date"])]
    first = {}
    for x in good(records, "outreach"):
        if x["client_code"]:
            c = norm(x["client_code"])
            first[c] = min(first.get(c, x["contact_date"]), x["contact_date"])
    out["outreach.contacts"] = len(o)
    out["outreach.people"] = len({norm(x["client_code"]) for x in o if x["client_code"]})
    out["outreach.anonymous_contacts"] = sum(1 for x in o if not x["client_code"])
    out["outreach.new_people"] = sum(1 for d in first.values() if inside(d))
    out["outreach.support_hours"] = r(sum(x["minutes"] or 0 for x in o) / 60, 1)
    s = [x for x in good(records, "supplies") if inside(x["dist_date"])]
    out["supplies.units"] = sum(x["quantity"] for x in s)
    out["supplies.naloxone_kits"] = sum(x["quantity"] for x in s if x["item"] == "naloxone_kit")
    out["supplies.condoms"] = sum(x["quantity"] for x in s if x["item"] in ("external_condom", "internal_condom"))
    out["supplies.online_units"] = sum(x["quantity"] for x in s if x["channel"] == "online_request")
    f = [x for x in good(records, "referrals") if inside(x["referral_date"])]
    att = sum(1 for x in f if x["status"] == "attended")
    base = sum(1 for x in f if x["status"] in ("attended", "not_attended", "declined"))
    out["referrals.made"] = len(f)
    out["referrals.people"] = len({norm(x["client_code"]) for x in f if x["client_code"]})
    out["referrals.attended"] = att
    out["referrals.completion_rate"] = r(att / base, 3) if base else None
    stays = good(records, "suite_stays")
    nights, people = 0, set()
    for x in stays:
        last = (x["check_out"] - dt.timedelta(days=1)) if x["check_out"] else min(end, today)
        d = max(x["check_in"], start)
        while d <= min(last, end):
            nights += 1
            people.add(norm(x["client_code"]))
            d += dt.timedelta(days=1)
    out["suite.stays"] = sum(1 for x in stays if inside(x["check_in"]))
    out["suite.guest_nights"] = nights
    out["suite.people"] = len(people)
    out["suite.occupancy_rate"] = r(nights / ((end - start).days + 1), 3)
    out["suite.turnaways_full"] = sum(1 for x in good(records, "suite_requests")
                                      if inside(x["request_date"]) and x["outcome"] == "full")
    fr = [x for x in good(records, "friday_network") if inside(x["session_date"])]
    sessions = len({x["session_date"] for x in fr})
    out["friday.sessions"] = sessions
    out["friday.attendance"] = len(fr)
    out["friday.people"] = len({norm(x["client_code"]) for x in fr if x["client_code"]})
    out["friday.avg_attendance"] = r(len(fr) / sessions, 1) if sessions else None
    out["friday.alumni_attendance"] = sum(1 for x in fr if x["attendee_group"] == "alumni")
    b = [x for x in good(records, "bad_dates") if inside(x["report_date"])]
    out["bad_dates.reports"] = len(b)
    out["bad_dates.reported_to_police"] = sum(1 for x in b if x["reported_to_police"])
    e = [x for x in good(records, "education") if inside(x["session_date"])]
    out["education.sessions"] = len(e)
    out["education.attendees"] = sum(x["attendees"] for x in e)
    everyone = {norm(x["client_code"]) for x in o + s + f + fr if x["client_code"]} | people
    out["program.people"] = len(everyone)
    return out


def _periods(today):
    fy = periods.fy_start_year(today)
    return [periods.fiscal_year(fy - 1), periods.fiscal_quarter(today - dt.timedelta(days=120)),
            periods.month(today - dt.timedelta(days=40)), periods.Period(today - dt.timedelta(days=20), today)]


def test_every_indicator_matches_an_independent_computation(demo_db, demo_records, today):
    for p in _periods(today):
        got = indicators.compute(p, demo_db, today)
        want = expected(demo_records, p.start, p.end, today)
        assert set(want) == set(indicators.REGISTRY)
        for k, v in want.items():
            assert got[k] == v, (str(p), k, got[k], v)


def test_summary_json_has_every_indicator_and_matches(demo_db, demo_records, today, capsys):
    fy = periods.fiscal_year(periods.fy_start_year(today) - 1)
    code, out, err = etl(capsys, "summary", "--db", demo_db, "--fy", fy.label, "--exact", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["suppressed"] is False and data["from"] == fy.start.isoformat() and data["to"] == fy.end.isoformat()
    assert list(data["indicators"]) == list(indicators.REGISTRY)
    want = expected(demo_records, fy.start, fy.end, today)
    assert data["indicators"] == want


def test_suppressed_summary_turns_small_counts_into_lt10(demo_db, demo_records, today, capsys):
    # a month early in the data: few new people, few bad date reports, few stays
    m = periods.month(periods.fiscal_year(periods.fy_start_year(today) - 1).start + dt.timedelta(days=200))
    code, out, err = etl(capsys, "summary", "--db", demo_db, "--from", m.start.isoformat(), "--to", m.end.isoformat(),
                         "--json")
    assert code == 0, err
    shown = json.loads(out)["indicators"]
    exact = expected(demo_records, m.start, m.end, today)
    saw_small = False
    for k, v in exact.items():
        ind = indicators.REGISTRY[k]
        if k.startswith("bad_dates."):
            assert shown[k] == "n/a", k  # bad date reports: whole quarters and years only
        elif ind.disclosive and isinstance(v, int) and 1 <= v <= 9:
            assert shown[k] in ("<10", "w"), (k, v, shown)   # w: withheld, at least 1 (the footnote)
            saw_small = True
        elif ind.disclosive and shown[k] == "x":
            assert v >= 10, k  # x is a count of at least k, hidden to protect another
        elif ind.disclosive:
            assert shown[k] == v, k
        if isinstance(shown[k], int) and ind.disclosive:
            assert not 1 <= shown[k] <= 9
    assert saw_small, "the month chosen should have at least one small count"


@pytest.mark.parametrize("args, msg", [
    (["--fy", "FY2024-26"], "not a fiscal year"),
    (["--from", "2025-04-01"], "give --fy"),
    (["--from", "2025-04-03", "--to", "2025-05-31"], "whole months"),
    (["--from", "2025-07-01", "--to", "2025-08-31"], "staff only"),
    (["--from", "2025-13-01", "--to", "2025-05-31", "--exact"], "not a date"),
])
def test_summary_usage_errors_are_one_line(demo_db, args, msg, capsys):
    code, out, err = etl(capsys, "summary", "--db", demo_db, *args)
    assert code == 2 and not out.strip()
    assert msg in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_part_is_hidden_when_whole_minus_part_is_small(demo_db, today):
    """Shown side by side, whole minus part is a count too: never a small one."""
    from metrics import release
    pairs = [("outreach.contacts", "outreach.anonymous_contacts"), ("referrals.made", "referrals.attended"),
             ("friday.attendance", "friday.alumni_attendance"), ("bad_dates.reports", "bad_dates.reported_to_police")]
    fy = periods.fy_start_year(today) - 1
    checked = 0
    for s in release.spans(fy, today) + release.spans(fy, today, quarters_only=True):
        shown = release.figures(s.period, True, demo_db, today)
        for whole, part in pairs:
            w, p = shown[whole], shown[part]
            if isinstance(w, int) and isinstance(p, int):
                checked += 1
                assert not 1 <= w - p <= 9, (s, whole, w, p)
    assert checked > 20


def test_the_cli_releases_the_month_that_ended_in_kamloops_not_in_utc(demo_db, today):
    """`etl summary` in its own process, its clock at the instant (tests/child_clock): the month of
    Kamloops's today is staff-only (unfinished), the month before it is released."""
    this = periods.month(today)
    before = periods.month(this.start - dt.timedelta(days=1))

    def summary(p):
        return subprocess.run([sys.executable, "-m", "etl", "summary", "--db", str(demo_db), "--from",
                               p.start.isoformat(), "--to", p.end.isoformat(), "--json"], cwd=ROOT,
                              capture_output=True, text=True, env=clock.faked_env())
    out = summary(this)
    assert out.returncode == 2 and "--exact" in out.stderr, (this, out.stdout, out.stderr)
    out = summary(before)
    assert out.returncode == 0, (before, out.stderr)
    assert json.loads(out.stdout)["to"] == before.end.isoformat()
