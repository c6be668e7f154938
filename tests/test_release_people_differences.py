"""The difference of two released people counts is a count of people too (found by a helper
attacking as the External audience): Friday's people in a quarter less those of one of its months
are the people who came in the others only; a year to date given in June less the one given in
May are June's new people; the program's people less outreach's are those no outreach worker
saw; outreach's people less its new people are those who came back. Each case is written and
loaded here; the attacker's reasoning is the test's own, from the released figures and what the
footnote says they mean, and the exact differences come from the rows the test wrote.
"""
from __future__ import annotations

import datetime as dt

import pytest

from etl.load import load
from helpers import write_rows
from metrics import release
from shop import periods

K = 10
TODAY = dt.date(2026, 7, 5)          # Q1 of FY2026-27 has ended
APRIL, MAY, JUNE = (periods.month(dt.date(2026, m, 1)) for m in (4, 5, 6))
Q1 = periods.Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30))


def said(v) -> tuple[float, float]:
    """What a released value tells anyone, from the footnote: a number is itself, `<10` is 1..9,
    x and w at least 10 and 1, ≈R is R-5..R+4 and at least 10 (only 10 or more is rounded)."""
    if isinstance(v, int):
        return v, v
    if v.startswith("≈"):
        r = int(v[1:].replace(",", ""))
        return max(10, r - 5), r + 4   # only a count of 10 or more is rounded
    return {"<10": (1, 9), "x": (10, float("inf")), "w": (1, float("inf"))}[v]


def values_left(whole, part) -> int:
    """How many values the difference whole - part can take (part <= whole), from the marks, to
    an attacker who also knows it is 1 to 9: a count shown rounded or hidden says that something
    it would have pinned is small, and here that is this difference."""
    (wl, wh), (pl, ph) = said(whole), said(part)
    lo, hi = max(1, wl - ph), min(K - 1, wh - pl)
    return int(hi - lo + 1)


def _load(tmp_path, files: dict) -> str:
    paths = [write_rows(tmp_path / "logs" / f"{lt}.csv", lt, rows) for lt, rows in files.items()]
    db = tmp_path / "t.duckdb"
    assert all(o.status == "loaded" for o in load(paths, db, say=lambda *_: None))
    return str(db)


def _said_earlier(db: str, day: dt.date, **people: tuple) -> None:
    """An earlier release of Q1 in the ledger: {people indicator (dots as __): (lo, hi)}."""
    from shop import ledger
    q1 = {"from": "2026-04", "to": "2026-06", "dim": None, "members": None, "rid": "an-earlier-release"}
    ledger.record(db, day, [{"table": "people", "what": what.replace("__", "."), "lo": lo, "hi": hi, **q1}
                            for what, (lo, hi) in people.items()])


def _friday(d: dt.date, code: str) -> dict:
    return {"session_date": d.isoformat(), "client_code": code, "attendee_group": "outdoor"}


def _contact(d: dt.date, code: str) -> dict:
    return {"contact_date": d.isoformat(), "client_code": code, "contact_mode": "street",
            "worker_group": "outdoor", "services": "one_to_one", "minutes": 30}


def _fridays(month: int) -> list[dt.date]:
    d = dt.date(2026, month, 1)
    return [d + dt.timedelta(days=i) for i in range(31) if (d + dt.timedelta(days=i)).month == month
            and (d + dt.timedelta(days=i)).weekday() == 4]


@pytest.mark.parametrize("n", [12, 10])
def test_a_quarter_of_people_less_one_of_its_months_keeps_three_values(tmp_path, n):
    """n regulars come to every Friday of the quarter; one newcomer comes in June only. The
    quarter's n + 1 less April's n (or May's) is the one person who came in June only. With ten
    regulars a month shown `≈10` is 10 to 14, not 5 to 14: a count under 10 is never rounded.
    The attacker also reads each month's attendance over its sessions (one row per attendee of a
    session: a month of 48 attendances at 4 sessions had at least 12 people), a quarter at least
    each of its months, and knows the difference is small once a count is rounded or hidden for it."""
    regulars = [f"FR{i:02d}Q" for i in range(n)]
    rows = [_friday(d, c) for m in (4, 5, 6) for d in _fridays(m) for c in regulars]
    rows.append(_friday(_fridays(6)[-1], "FN01Q"))
    db = _load(tmp_path, {"friday_network": rows})
    exact = {p: release.figures(p, False, db, TODAY)["friday.people"] for p in (APRIL, MAY, JUNE, Q1)}
    assert exact == {APRIL: n, MAY: n, JUNE: n + 1, Q1: n + 1}   # the rows above, counted by hand
    figs = {p: release.figures(p, True, db, TODAY) for p in (APRIL, MAY, JUNE, Q1)}
    shown = {p: f["friday.people"] for p, f in figs.items()}
    known = {}
    for p, f in figs.items():
        lo, hi = said(shown[p])
        if isinstance(f["friday.attendance"], int) and isinstance(f["friday.sessions"], int) and f["friday.sessions"]:
            lo = max(lo, -(-f["friday.attendance"] // f["friday.sessions"]))
        known[p] = [lo, hi]
    known[Q1][0] = max([known[Q1][0]] + [known[m][0] for m in (APRIL, MAY, JUNE)])
    for part in (APRIL, MAY):   # 13 - 12 = 1 person
        part_hi = min(known[part][1], known[Q1][1])
        lo, hi = max(1, known[Q1][0] - part_hi), min(K - 1, known[Q1][1] - known[part][0])
        assert hi - lo + 1 >= 3, (known, shown)
    # the months stay shown as numbers; the quarter's headline is hidden only where the attendance
    # floors leave rounding too narrow (twelve at every session: a quarter of ≈10 would be 13 or 14)
    assert all(isinstance(shown[m], int) for m in (APRIL, MAY, JUNE)), shown
    if n == 10:
        assert not (isinstance(shown[Q1], str) and not shown[Q1].startswith("≈")), shown


def test_two_years_to_date_a_month_apart_keep_three_values(tmp_path):
    """Thirty people in April and May; three new ones in June. The year to date given on 5 June
    (30) and again on 5 July (33) differ by June's three new people. The first is kept by the
    release ledger, so the second must not pin the difference."""
    old = [f"PY{i:02d}Q" for i in range(30)]
    rows = [_contact(dt.date(2026, 4 + i % 2, 3 + i % 20), c) for i, c in enumerate(old)]
    rows += [_contact(dt.date(2026, 6, 8), c) for c in old]
    rows += [_contact(dt.date(2026, 6, 15), f"PN{i:02d}Q") for i in range(3)]
    db = _load(tmp_path, {"outreach": rows})
    june5, july5 = dt.date(2026, 6, 5), TODAY
    to_may, to_june = release.ytd(june5), release.ytd(july5)
    assert (to_may.start, to_may.end, to_june.end) == (APRIL.start, MAY.end, JUNE.end)
    assert release.figures(to_june, False, db, july5)["outreach.people"] == 33
    first = release.figures(to_may, True, db, june5)["outreach.people"]   # kept by the ledger
    assert first == 30
    second = release.figures(to_june, True, db, july5)["outreach.people"]
    assert values_left(second, first) >= 3, (first, second)


@pytest.mark.parametrize("met, only", [(40, 2), (36, 9)])
def test_the_program_less_one_service_keeps_three_values(tmp_path, met, only):
    """Forty people met by outreach in the quarter, in two of its months each (and in March
    before); two more came only to the Friday network.
    The program's 42 less outreach's 40 is the two who never met an outreach worker. With 36 met
    and 9 more, People served shown `≈50` (45 to 54) beside outreach's 36 would say 9 to 18; and
    since a count is rounded only for a small difference, and this is the only one it could be,
    it is at most 9: so exactly 9 (found on the demo: October's year to date, 205 and 196)."""
    people = [f"PO{i:02d}Q" for i in range(met)]
    rows = [_contact(dt.date(2026, 4 + (i + j) % 3, 2 + i % 25), c) for i, c in enumerate(people) for j in (0, 1)]
    # all met before, in March (the year before): in a first year, people to date are new people
    # to date, and the new people's count would pin outreach's whatever it shows
    rows += [_contact(dt.date(2026, 3, 10), c) for c in people]
    fr = [_friday(_fridays(5)[0], c) for c in [f"PF{i:02d}Q" for i in range(only)]] + \
        [_friday(_fridays(5)[0], c) for c in people[:15]]
    db = _load(tmp_path, {"outreach": rows, "friday_network": fr})
    ex = release.figures(Q1, False, db, TODAY)
    assert (ex["program.people"], ex["outreach.people"]) == (met + only, met)
    shown = release.figures(Q1, True, db, TODAY)
    both = (shown["program.people"], shown["outreach.people"])
    assert values_left(*both) >= 3, shown
    # two contacts each, in two months: the identified contacts (all less anonymous) and the
    # months' people together cap outreach's quarter at twice its people, which says nothing
    # here (the case of one contact each is a test below)
    caps = [said(shown["outreach.contacts"])[1] - said(shown["outreach.anonymous_contacts"])[0],
            sum(said(release.figures(m, True, db, TODAY)["outreach.people"])[1] for m in (APRIL, MAY, JUNE))]
    assert min(caps) >= said(shown["outreach.people"])[1], (shown, caps)
    # neither quarter's headline is hidden for it: one is shown rounded to the nearest 10
    assert all(isinstance(v, int) or v.startswith("≈") for v in both), both


def test_outreach_people_less_its_new_people_keeps_three_values(tmp_path):
    """Three people met in March (the year before) come back in April, when 27 new people are
    met: April's 30 people less its 27 new people are the three who came back."""
    back = [f"PB{i:02d}Q" for i in range(3)]
    rows = [_contact(dt.date(2026, 3, 10), c) for c in back]
    rows += [_contact(dt.date(2026, 4, 14), c) for c in back]
    rows += [_contact(dt.date(2026, 4, 2 + i % 25), f"PA{i:02d}Q") for i in range(27)]
    db = _load(tmp_path, {"outreach": rows})
    ex = release.figures(APRIL, False, db, TODAY)
    assert (ex["outreach.people"], ex["outreach.new_people"]) == (30, 27)
    shown = release.figures(APRIL, True, db, TODAY)
    assert values_left(shown["outreach.people"], shown["outreach.new_people"]) >= 3, shown


def test_the_overview_says_a_rounded_count_is_rounded(tmp_path, monkeypatch):
    """On the Overview (External), the quarter's people served of the case above show as ≈40 and
    a caption under the tiles says it is rounded, and to what; the staff view shows 42."""
    from conftest import pin_clock
    from test_room import run_page
    from ui.frame import EXTERNAL, STAFF
    pin_clock(monkeypatch, TODAY)
    people = [f"PO{i:02d}Q" for i in range(40)]
    rows = [_contact(dt.date(2026, 4 + i % 3, 2 + i % 25), c) for i, c in enumerate(people)]
    fr = [_friday(_fridays(5)[0], c) for c in ("PF01Q", "PF02Q")] + [_friday(_fridays(5)[0], c) for c in people[:15]]
    db = _load(tmp_path, {"outreach": rows, "friday_network": fr})
    shown = release.figures(Q1, True, db, TODAY)["program.people"]
    assert shown == "≈40", shown
    at = run_page("overview.py", db, EXTERNAL, Q1)
    tile = [m for m in at.metric if m.label == "People served"]
    assert [m.value for m in tile] == ["≈40"]
    assert any("People served: rounded to the nearest 10 (35 to 44)" in c.value for c in at.caption)
    at = run_page("overview.py", db, STAFF, Q1)
    assert [m.value for m in at.metric if m.label == "People served"] == ["42"]
    assert not any("rounded to the nearest" in c.value for c in at.caption)


def test_a_ledger_that_already_gave_both_sides_withholds_nothing_for_it(tmp_path):
    """A ledger written before differences were protected may hold both sides of one already: the
    year to date of May (30) and of June (33), both exact. That difference is public; nothing
    shown today can protect it, so it must not make the engine withhold the months around it."""
    from shop import ledger
    old = [f"PL{i:02d}Q" for i in range(30)]
    rows = [_contact(dt.date(2025, 5, 5), "PK01Q")]   # not the first year loaded: new people are not people
    rows += [_contact(dt.date(2026, 4 + i // 15, 3 + i % 15), c) for i, c in enumerate(old)]
    rows += [_contact(dt.date(2026, 6, 8), c) for c in old]
    rows += [_contact(dt.date(2026, 6, 15), f"PM{i:02d}Q") for i in range(3)]
    db = _load(tmp_path, {"outreach": rows})
    given = [{"table": "people", "what": ind, "from": "2026-04", "to": to, "dim": None, "members": None,
              "lo": v, "hi": v, "rid": "an-older-release"}
             for ind in ("outreach.people", "program.people") for to, v in (("2026-05", 30), ("2026-06", 33))]
    ledger.record(db, dt.date(2026, 6, 5), given)
    shown = {p: release.figures(p, True, db, TODAY) for p in (APRIL, MAY, JUNE, Q1)}
    people = {str(p): (f["outreach.people"], f["program.people"]) for p, f in shown.items()}
    assert people[str(Q1)] == (33, 33), people          # given already: shown as given
    for p in (APRIL, MAY, JUNE):                        # 15, 15 and 33: nothing small to protect
        assert all(isinstance(v, int) or v.startswith("≈") for v in people[str(p)]), people


def _forty_two(tmp_path, *also: dict) -> str:
    """Outreach meets 40 people in Q1, three of them first met in March (37 new); two more come
    only to the Friday network: the program's 42. An earlier release (the ledger) said outreach's
    quarter was 40 or 41 and its new people 37, and whatever else `also` says."""
    from shop import ledger
    back = [f"PR{i:02d}Q" for i in range(3)]
    people = back + [f"PS{i:02d}Q" for i in range(37)]
    rows = [_contact(dt.date(2026, 3, 10), c) for c in back]
    rows += [_contact(dt.date(2026, 4 + i % 3, 2 + i % 25), c) for i, c in enumerate(people)]
    fr = [_friday(_fridays(5)[0], c) for c in ("PT01Q", "PT02Q")] + [_friday(_fridays(5)[0], c) for c in people[:15]]
    db = _load(tmp_path, {"outreach": rows, "friday_network": fr})
    ex = release.figures(Q1, False, db, TODAY)
    assert (ex["program.people"], ex["outreach.people"], ex["outreach.new_people"]) == (42, 40, 37)
    q1 = {"from": "2026-04", "to": "2026-06", "dim": None, "members": None, "rid": "an-earlier-release"}
    ledger.record(db, dt.date(2026, 7, 1), [{"table": "people", "what": "outreach.people", "lo": 40, "hi": 41, **q1},
                                            {"table": "family", "what": "new_people", "lo": 37, "hi": 37, **q1},
                                            *({**q1, **a} for a in also)])
    return db


def test_a_program_count_given_already_withholds_nothing_for_a_difference_it_pins(tmp_path):
    """The same, with the program's 42 given exactly by that earlier release: 42 less outreach's
    40..41 was public from then on. Nothing the program's table shows today can change it, so its
    months must not be withheld for it."""
    db = _forty_two(tmp_path, {"table": "people", "what": "program.people", "lo": 42, "hi": 42})
    months = [release.figures(p, True, db, TODAY)["program.people"] for p in (APRIL, MAY, JUNE)]
    assert release.figures(Q1, True, db, TODAY)["program.people"] == 42
    assert "w" not in months, months   # hidden (x) or rounded for what it can still protect: fine


def test_the_program_less_a_service_counts_what_earlier_releases_said_of_the_service(tmp_path):
    """An earlier release said outreach's quarter was 40 or 41 (the ledger keeps it as that range),
    and its new people 37. Today outreach's 40 is shown rounded (40 less 37 would give the three
    who came back), but the program's 42 less 40..41 would still be 1..2:
    the program's people must be protected against the range the attacker holds, not today's."""
    db = _forty_two(tmp_path)
    shown = release.figures(Q1, True, db, TODAY)
    lo, hi = said(shown["outreach.people"])
    held = (max(lo, 40), min(hi, 41))
    (pl, ph) = said(shown["program.people"])
    left = (ph - held[0]) - max(0, pl - held[1]) + 1
    assert left >= 3, (shown["program.people"], shown["outreach.people"], held)


def test_the_people_of_both_quarters_keep_three_values(tmp_path):
    """Fifteen people come to the Friday network in Q1, fourteen in Q2, two of them in both. On 5
    October the first half (the year to date) has 27: Q1's 15 plus Q2's 14 less 27 would be the
    two people who came in both quarters (each quarter's newcomers, 12 and 13, are not small)."""
    today = dt.date(2026, 10, 5)
    both = ["FB01Q", "FB02Q"]
    q1 = both + [f"FA{i:02d}Q" for i in range(13)]
    q2 = both + [f"FC{i:02d}Q" for i in range(12)]
    rows = [_friday(_fridays(m)[0], c) for m in (4, 5, 6) for c in q1]
    rows += [_friday(_fridays(m)[1], c) for m in (7, 8, 9) for c in q2]
    db = _load(tmp_path, {"friday_network": rows})
    first, second = periods.fiscal_quarter(dt.date(2026, 4, 1)), periods.fiscal_quarter(dt.date(2026, 7, 1))
    half = release.ytd(today)
    assert (half.start, half.end) == (first.start, second.end)
    exact = [release.figures(p, False, db, today)["friday.people"] for p in (first, second, half)]
    assert exact == [15, 14, 27]   # the rows above, counted by hand
    a, b, h = (said(release.figures(p, True, db, today)["friday.people"]) for p in (first, second, half))
    lo, hi = max(0, a[0] + b[0] - h[1]), min(a[1], b[1], a[1] + b[1] - h[0])
    assert hi - lo + 1 >= 3, (a, b, h)


def _span_left(lo, hi) -> int:
    return 10**6 if hi == float("inf") else int(hi - max(0, lo) + 1)


@pytest.mark.parametrize("regulars", [{4: 9, 5: 8, 6: 14}])
def test_friday_people_are_at_least_attendance_over_sessions(tmp_path, regulars):
    """One row per attendee of a session: nobody is counted twice in one session, so a month's
    people are at least its attendance over its sessions. Nine regulars at April's four Fridays
    (36) and eight at May's five (40): a `<10` April beside them would be 9."""
    rows = [_friday(d, f"FQ{i:02d}Q") for m, n in regulars.items() for d in _fridays(m) for i in range(n)]
    db = _load(tmp_path, {"friday_network": rows})
    for month, n in regulars.items():
        p = periods.month(dt.date(2026, month, 1))
        f = release.figures(p, True, db, TODAY)
        lo, hi = said(f["friday.people"])
        if isinstance(f["friday.attendance"], int) and isinstance(f["friday.sessions"], int):
            lo = max(lo, -(-f["friday.attendance"] // f["friday.sessions"]))
        if n <= 9:
            assert _span_left(lo, hi) >= 3, (p, f["friday.people"], f["friday.attendance"], f["friday.sessions"])


def test_with_outreach_alone_people_served_do_not_pin_those_who_came_back(tmp_path):
    """No referral, no stay, no Friday and no supplies: People served are outreach's people.
    Thirty people met last year; in April 12 new people and 3 of last year's, then 15 + 14 in
    May and 11 + 13 in June. April's people served less its new people would be the 3 who came
    back, which outreach's own count is rounded to hide."""
    import random
    rnd = random.Random(2603)
    old = [f"PW{i:02d}Q" for i in range(30)]
    rows = [_contact(dt.date(2025, rnd.randint(4, 12), 3), c) for c in old]
    n = 0
    for m, new, back in [(4, 12, 3), (5, 15, 14), (6, 11, 13)]:
        for _ in range(new):
            rows.append(_contact(dt.date(2026, m, rnd.randint(1, 28)), f"PX{n:03d}Q"))
            n += 1
        rows += [_contact(dt.date(2026, m, rnd.randint(1, 28)), c) for c in rnd.sample(old, back)]
    db = _load(tmp_path, {"outreach": rows})
    ex = release.figures(APRIL, False, db, TODAY)
    assert (ex["outreach.people"], ex["outreach.new_people"], ex["program.people"]) == (15, 12, 15)
    for month, day in ((APRIL, dt.date(2026, 5, 5)), (APRIL, TODAY), (MAY, TODAY), (JUNE, TODAY)):
        f = release.figures(month, True, db, day)
        assert all(f[i] == 0 for i in ("referrals.people", "suite.people", "friday.people", "supplies.units")), f
        o, p, n = said(f["outreach.people"]), said(f["program.people"]), said(f["outreach.new_people"])
        o = (max(o[0], p[0]), min(o[1], p[1]))          # the same people
        e = release.figures(month, False, db, TODAY)
        if 1 <= e["outreach.people"] - e["outreach.new_people"] <= 9:
            assert _span_left(o[0] - n[1], o[1] - n[0]) >= 3, (month, f)


def test_people_served_do_not_pin_outreach_once_its_new_people_were_given(tmp_path):
    """The same April, with its 12 new people given already (the ledger): outreach's 15 must then
    be rounded to hide the 3 who came back, and People served, outreach's people here, with it."""
    from shop import ledger
    old = [f"PV{i:02d}Q" for i in range(30)]
    rows = [_contact(dt.date(2025, 4 + i % 9, 3), c) for i, c in enumerate(old)]
    rows += [_contact(dt.date(2026, 4, 1 + i), f"PU{i:02d}Q") for i in range(12)]
    rows += [_contact(dt.date(2026, 4, 20 + i), c) for i, c in enumerate(old[:3])]
    db = _load(tmp_path, {"outreach": rows})
    day = dt.date(2026, 5, 5)
    ledger.record(db, dt.date(2026, 5, 2), [{"table": "family", "what": "new_people", "from": "2026-04",
                                             "to": "2026-04", "dim": None, "members": None, "lo": 12, "hi": 12,
                                             "rid": "an-earlier-release"}])
    ex = release.figures(APRIL, False, db, day)
    assert (ex["outreach.people"], ex["outreach.new_people"], ex["program.people"]) == (15, 12, 15)
    f = release.figures(APRIL, True, db, day)
    assert f["outreach.new_people"] == 12 and f["supplies.units"] == 0, f
    o, p = said(f["outreach.people"]), said(f["program.people"])
    o = (max(o[0], p[0]), min(o[1], p[1]))          # the same people
    assert _span_left(o[0] - 12, o[1] - 12) >= 3, f


def test_the_people_of_two_services_keep_three_values(tmp_path):
    """Outreach meets 40 people in Q1, 20 come to the Friday network, 3 of them met by outreach
    too, and no other service has people: outreach's 40 and Friday's 20 less the program's 57
    would be the 3 of both."""
    out = [f"PO{i:02d}Q" for i in range(37)] + ["PB1Q", "PB2Q", "PB3Q"]
    fri = [f"PF{i:02d}Q" for i in range(17)] + ["PB1Q", "PB2Q", "PB3Q"]
    rows = [_contact(dt.date(2026, 4 + i % 3, 2 + i % 25), c) for i, c in enumerate(out)]
    fr = [_friday(d, c) for m in (4, 5, 6) for d in _fridays(m) for c in fri]
    db = _load(tmp_path, {"outreach": rows, "friday_network": fr})
    ex = release.figures(Q1, False, db, TODAY)
    assert (ex["outreach.people"], ex["friday.people"], ex["program.people"]) == (40, 20, 57)
    f = release.figures(Q1, True, db, TODAY)
    o, r, p = said(f["outreach.people"]), said(f["friday.people"]), said(f["program.people"])
    lo, hi = o[0] + r[0] - p[1], min(o[1], r[1], o[1] + r[1] - p[0])
    assert _span_left(lo, hi) >= 3, f


def test_in_the_first_year_people_to_date_are_new_people_to_date(tmp_path):
    """The first year loaded: everyone is new (the Overview says so), so outreach's people to
    date are its new people to date. 20, 10, 10, 12, 3 and 1 new people from April to September:
    the people to date given on 5 August and on 5 October differ by August's and September's 4
    new people, and Q1's and Q2's new people (a family: they add up) give the second exactly."""
    import random
    rnd = random.Random(2602)
    rows, seen = [], []
    for i, n in enumerate([20, 10, 10, 12, 3, 1]):
        new = [f"PC{len(seen) + j:03d}Q" for j in range(n)]
        seen += new
        rows += [_contact(dt.date(2026, 4 + i, rnd.randint(1, 28)), c) for c in new]
        rows += [_contact(dt.date(2026, 4 + i, rnd.randint(1, 28)), c) for c in rnd.sample(seen, min(len(seen), 15))]
    db = _load(tmp_path, {"outreach": rows})
    aug5, oct5 = dt.date(2026, 8, 5), dt.date(2026, 10, 5)
    to_jul, to_sep = release.ytd(aug5), release.ytd(oct5)
    first, second = periods.fiscal_quarter(dt.date(2026, 4, 1)), periods.fiscal_quarter(dt.date(2026, 7, 1))
    exact = [release.figures(p, False, db, oct5)["outreach.people"] for p in (to_jul, to_sep)]
    assert exact[1] - exact[0] == 4   # the rows above
    jul = said(release.figures(to_jul, True, db, aug5)["outreach.people"])
    sep = said(release.figures(to_sep, True, db, oct5)["outreach.people"])
    n1, n2 = (said(release.figures(q, True, db, oct5)["outreach.new_people"]) for q in (first, second))
    sep = (max(sep[0], n1[0] + n2[0]), min(sep[1], n1[1] + n2[1]))   # everyone to date is new
    assert _span_left(sep[0] - jul[1], sep[1] - jul[0]) >= 3, (jul, sep, n1, n2)


def test_people_counts_are_submodular_and_the_audit_knows_it(tmp_path):
    """Ten Friday regulars every month; two people in June only, one in July only, one in July,
    September and October, one in August only, one in October only; released on the 5th of May
    to November. People new in August against April-July are among those new in August against
    July: at most July-August less July. With the years to date to July and to August, August's
    one newcomer must keep three values."""
    months = [set(range(7))] * 10 + [{2}, {2}, {3}, {3, 5, 6}, {4}, {6}]
    rows = [_friday(d, f"PP{n:02d}Q") for n, ms in enumerate(months) for mi in sorted(ms)
            for d in (_fridays(4 + mi) if n < 10 else _fridays(4 + mi)[1:2])]
    db = _load(tmp_path, {"friday_network": rows})
    known = {}
    for day in [dt.date(2026, 5 + i, 5) for i in range(7)]:
        for b in range(7):
            for a in range(b + 1):
                s = release.Span(2026, a, b)
                if release.external_span(s.period, day) == s:
                    lo, hi = said(release.figures(s.period, True, db, day)["friday.people"])
                    o = known.get((a, b), (0, float("inf")))
                    known[(a, b)] = (max(lo, o[0]), min(hi, o[1]))
    exact = {key: release.figures(release.Span(2026, *key).period, False, db, dt.date(2026, 11, 5))["friday.people"]
             for key in ((0, 3), (0, 4))}
    assert exact[(0, 4)] - exact[(0, 3)] == 1   # the person of August only, counted by hand
    jul, julaug, ytd_jul, ytd_aug = known[(3, 3)], known[(3, 4)], known[(0, 3)], known[(0, 4)]
    lo = max(0, ytd_aug[0] - ytd_jul[1])
    hi = min(julaug[1] - jul[0], ytd_aug[1] - ytd_jul[0])
    assert _span_left(lo, hi) >= 3, known


@pytest.mark.parametrize("target, status", [(100, "on track"), (160, "–"), (200, "behind")])
def test_a_target_reads_a_rounded_count_as_its_range(tmp_path, target, status):
    """People served of Q1 (42) shown `≈40`, 35 to 44, on 5 July: a quarter of the year. A target
    of 100 expects 25 to date (on track whatever the count in 35..44), 160 expects 40 (it cannot be
    told, so no status), 200 expects 50 (behind whatever it is)."""
    people = [f"PO{i:02d}Q" for i in range(40)]
    rows = [_contact(dt.date(2026, 4 + i % 3, 2 + i % 25), c) for i, c in enumerate(people)]
    fr = [_friday(_fridays(5)[0], c) for c in ("PF01Q", "PF02Q")] + [_friday(_fridays(5)[0], c) for c in people[:15]]
    tg = write_rows(tmp_path / "logs" / "targets.csv", "targets",
                    [{"fiscal_year": "FY2026-27", "indicator": "program.people", "target": target}])
    db = _load(tmp_path, {"outreach": rows, "friday_network": fr})
    assert all(o.status == "loaded" for o in load([tg], db, say=lambda *_: None))
    from metrics import targets
    assert release.figures(Q1, True, db, TODAY)["program.people"] == "≈40"
    got = targets.progress(TODAY, TODAY, True, path=db)
    row = got[got["id"] == "program.people"].iloc[0]
    assert (row["status"], row["expected to date"]) == (status, target // 4)


def test_a_service_rounded_for_a_program_count_given_earlier_stays_protected(tmp_path):
    """An earlier release gave People served 45 exact and outreach's 36 as ≈40 (the program's
    table rounded the service to protect the 9 people outside outreach). The program's count is
    public now, so nothing its table shows can protect that difference again: outreach's own table
    must, or a later release shows outreach's 36 and pins the 9 (found by the independent audit
    on the shared demo, whose ledger other tests had filled: 135 given, then outreach's 126)."""
    people = [f"PO{i:02d}Q" for i in range(36)]
    rows = [_contact(dt.date(2026, 4 + i % 3, 2 + i % 25), c) for i, c in enumerate(people)]
    fr = [_friday(_fridays(5)[0], c) for c in [f"PF{i:02d}Q" for i in range(9)]] + \
        [_friday(_fridays(5)[0], c) for c in people[:15]]
    db = _load(tmp_path, {"outreach": rows, "friday_network": fr})
    _said_earlier(db, dt.date(2026, 7, 2), program__people=(45, 45), outreach__people=(35, 44))
    shown = release.figures(Q1, True, db, TODAY)
    assert shown["program.people"] == 45
    assert values_left(45, shown["outreach.people"]) >= 3, shown
    # everyone here is new this year and had one contact: outreach's people are at most its
    # identified contacts (all less anonymous) and, in the first year, its new people to date
    o_lo, o_hi = max(35, said(shown["outreach.people"])[0]), min(44, said(shown["outreach.people"])[1])
    for cap in (said(shown["outreach.contacts"])[1] - said(shown["outreach.anonymous_contacts"])[0],
                said(shown["outreach.new_people"])[1]):
        o_hi = min(o_hi, cap)
    assert min(K - 1, 45 - o_lo) - max(1, 45 - o_hi) + 1 >= 3, shown


def test_people_of_two_services_stay_protected_once_people_served_was_given(tmp_path):
    """Outreach meets 30 people in the quarter; 20 come to the Friday network, 3 of them met by
    outreach too: People served is 47, and 30 + 20 - 47 are the 3 of both. An earlier release gave
    47 exact with both services rounded (≈30 and ≈20). The program's count is public now, so its
    own table can no longer protect the 3: the services' tables must, or today shows 30 and 20."""
    met = [f"PO{i:02d}Q" for i in range(30)]
    rows = [_contact(dt.date(2026, 4 + i % 3, 2 + i % 25), c) for i, c in enumerate(met)]
    fr = [_friday(_fridays(5)[0], c) for c in met[:3] + [f"PF{i:02d}Q" for i in range(17)]]
    db = _load(tmp_path, {"outreach": rows, "friday_network": fr})
    ex = release.figures(Q1, False, db, TODAY)
    assert (ex["program.people"], ex["outreach.people"], ex["friday.people"]) == (47, 30, 20)
    _said_earlier(db, dt.date(2026, 7, 2), program__people=(47, 47), outreach__people=(25, 34), friday__people=(15, 24))
    shown = release.figures(Q1, True, db, TODAY)
    o = max(said(shown["outreach.people"])[0], 25), min(said(shown["outreach.people"])[1], 34)
    f = max(said(shown["friday.people"])[0], 15), min(said(shown["friday.people"])[1], 24)
    lo, hi = max(1, o[0] + f[0] - 47), min(K - 1, o[1] + f[1] - 47)
    assert shown["program.people"] == 47
    assert hi - lo + 1 >= 3, (shown["outreach.people"], shown["friday.people"], lo, hi)


def test_a_count_rounded_for_a_difference_is_read_with_what_other_tables_show(tmp_path):
    """Forty people met by outreach in April; 31 of them in May, one contact each; 35 in June.
    Outreach is the only service, so People served are outreach's people. The quarter's 40 less
    May's 31 are the 9 people not met in May. Shown People served ≈30 for May says 25 to 34, and
    since a count is rounded only for a small difference, that the quarter less May is at most 9;
    May's 31 identified contacts say May had at most 31 people. Together: exactly 31, and the 9,
    unless the engine reads its own counts with what the other tables show (found rebuilding a
    year after its first release: the release cache's test)."""
    people = [f"PC{i:02d}Q" for i in range(40)]
    rows = [_contact(dt.date(2026, 4, 2 + i % 25), c) for i, c in enumerate(people)]
    rows += [_contact(dt.date(2026, 5, 2 + i % 25), c) for i, c in enumerate(people[:31])]
    rows += [_contact(dt.date(2026, 6, 2 + i % 25), c) for i, c in enumerate(people[5:])]
    db = _load(tmp_path, {"outreach": rows})
    assert release.figures(Q1, False, db, TODAY)["program.people"] == 40
    q, may = release.figures(Q1, True, db, TODAY), release.figures(MAY, True, db, TODAY)
    cap = said(may["outreach.contacts"])[1] - said(may["outreach.anonymous_contacts"])[0]
    m_lo = max(said(may["program.people"])[0], said(may["outreach.people"])[0])
    m_hi = min(said(may["program.people"])[1], said(may["outreach.people"])[1], cap)
    q_lo = max(said(q["program.people"])[0], said(q["outreach.people"])[0])
    q_hi = min(said(q["program.people"])[1], said(q["outreach.people"])[1])
    lo, hi = max(1, q_lo - m_hi), min(K - 1, q_hi - m_lo)
    assert hi - lo + 1 >= 3, (q, may)
