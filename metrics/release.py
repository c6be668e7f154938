"""The release engine: the only code that turns exact figures into released ones.

Outside the staff view every disclosive figure of a fiscal year comes from one linked table per
family of figures (metrics/linked.py), decided over the whole table at once, deterministically,
so a cell shows the same released value on every page, chart, download, export and in the CLI.
Its periods are the External spans (metrics/spans.py); what to hide is decided by the
attacker's linear program and the cost of each cell (metrics/protect.py); and every table is
audited against everything released on earlier days and recorded before it leaves
(shop/ledger.py), so a year to date given in November and another in December never give
December's small count by subtraction.

A year's table is built in three steps: each family alone (with the ledger's rows); then the
people counts, bounded by what the families released (people are at most their identified
contacts, ...); then each family again with the floors the released people counts set (only
hiding more, so the people counts' audit still holds). This module is the figures API on top.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
import weakref
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from shop import ledger, periods, privacy, settings
from shop.periods import Period
from . import db, indicators, release_cache, suppress
from .indicators import REGISTRY
from .linked import (ALL, FAMILIES, INDICATOR_CELLS, KEEP, MEASURE_CELLS, OTHERS, PEOPLE, PUBLIC_FLOORS,  # noqa: F401
                     RATE_PARTS, Family, add_row, bounds_of, family_rows, family_table, people_table,
                     _digest, _people_counts, _run_rows, changed_months, cover_runs, people_digests)
from .protect import (NOT_PUBLIC, TODAY, Auditor, Cell, Linked, _not_public, _values_then, cell_bounds, cost, mark, protect,  # noqa: F401
                      small_counts)
from .spans import (NotExternal, Span, comparisons, current_fy, external_rule, external_span,  # noqa: F401
                    months_done, span_or_raise, spans, ytd)

NOT_RELEASED = "n/a"     # a figure the External audience never gets for this period (bad dates by month)


@dataclass
class Released:
    """Every External figure of one fiscal year: {(family, (a, b), dim, category): value}."""
    fy: int
    cells: dict
    merged: dict          # (family, dim) -> categories merged into "all others"
    categories: dict      # (family, dim) -> released categories, in order
    people: dict          # (indicator, (a, b)) -> released distinct count
    regular: list         # the spans (a, b) every indicator is released for
    revised: list = field(default_factory=list)   # cells released earlier with another value
    digests: dict = field(default_factory=dict)   # family -> per month, its keyed digest (the ledger's `v`)


_RELEASED_FIELDS = ("fy", "cells", "merged", "categories", "people", "regular", "revised", "digests")


# Bounds across tables, from the definitions: (people indicator, family, its dimension and
# categories whose count the people are at most; None = the family's total). An identified
# contact is every contact that is not anonymous.
PEOPLE_AT_MOST = {"outreach.people": ("contacts", "kind", ["new person", "returning person"]),
                  "referrals.people": ("referrals", None, None), "suite.people": ("nights", None, None),
                  "friday.people": ("attendance", None, None)}


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False


def _past(entries: list[dict], fy: int, table: str, what: str) -> list[dict]:
    return [e for e in entries if e["table"] == table and e["what"] == what
            and ledger.index_of(fy, e["from"]) is not None and ledger.index_of(fy, e["to"]) is not None]


def _build(fy: int, path, today: dt.date, k: int, past: list[dict] | None = None) -> Released:
    """The released table of one fiscal year, protected against itself and `past` (ledger lines)."""
    past = ledger.entries(path) if past is None else past
    keep: dict = {}
    with periods.held_fiscal_start():
        while True:   # (each round merges more categories: it ends)
            rel, again = _decide(fy, path, today, k, past, keep)
            if again is None:
                return rel
            keep = again


def _decide(fy: int, path, today: dt.date, k: int, past: list[dict], keep: dict) -> tuple:
    """_build's table with the categories `keep` ({family: {dim: raw categories}}) merged into "all
    others" whatever their size: (Released, None), or (None, a larger `keep`) where a split since an
    earlier release leaves a count pinned (_split)."""
    regular = spans(fy, today)
    cells, merged, categories, revised, digests = {}, {}, {}, [], {}
    has = months_done(fy, today) > 0 and db.has_data(path)
    hkey = privacy.load_key(path, create=False) if has else None
    if has and hkey is None:
        # the months' digests cannot be made or compared: a corrected month could not be told, and
        # the old and new releases together could pin a small count (fails closed)
        raise ledger.LedgerError(f"the database's key is missing ({privacy.key_source(path)}), so what is "
                                 "released cannot be checked against corrected data: restore the key")
    with (db.connect(path) if has else _null()) as con:
        # 1. each family alone, against its own cells and every earlier release
        tables = {}
        people_spans = {(s.a, s.b): s for s in regular}
        for e in past:
            if e["table"] == "people":
                a, b = ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"])
                if a is not None and b is not None and a <= b:
                    people_spans.setdefault((a, b), Span(fy, a, b))
        # every run of the year's ended months that no release shows: its people are a count of
        # people too, bounded by its contacts and by the spans around it (5 August: the year to
        # date's 52 people, no more than April's 15, July's 30 and May-June's together, and no
        # fewer than May-June's 8 contacts: May-June's people, never shown, 7 or 8: helper-45's
        # seed 99)
        done = months_done(fy, today)
        runs = [(a, b) for a in range(done) for b in range(a + 1, done) if (a, b) not in people_spans]
        people_months: dict = {}
        exact_by_span = _people_counts(con, list(people_spans.values()) + [Span(fy, *r) for r in runs], today,
                                       people_months) if has else {key: {} for key in [*people_spans, *runs]}
        by_people = people_digests(fy, people_months, hkey) if has else {}
        digests.update({f"people/{i}": d for i, d in by_people.items()})
        if has:   # who had been met before the year: with its months' people, what makes its new people
            digests["before"] = _before_digest(con, fy, hkey)
            digests["batches"] = _batches_digest(con, hkey)   # and what had been loaded: _only_added
            digests["files"] = _files_in_force(con, hkey)     # (by content, for a database rebuilt since)
            digests["batch_months"] = _batch_months(con, fy)
        for name, fam in FAMILIES.items():
            fam_spans = spans(fy, today, fam.quarters_only)
            if not has or not fam_spans:
                for d in fam.dims:
                    categories[(name, d)], merged[(name, d)] = [], []
                for s in fam_spans:
                    cells[(name, (s.a, s.b), None, None)] = 0
                continue
            ft = family_table(con, name, fy, today, k, _past(past, fy, "family", name), hkey,
                              _family_dims_then(past, fy, name), _family_cats_then(past, fy, name),
                              keep.get(name))
            n = sum(1 for v in ft.var if v[0] == "T")
            for key, lo in PUBLIC_FLOORS.get(name, lambda ex, k: {})(exact_by_span, k).items():
                if key[1] < n:
                    add_row(ft.table, ft.expr(*key), float(lo), float("inf"))
            if name == "nights":
                _capacity_rows(ft, fy, n)
            if fam.disclosive:
                protect(ft.table, k)
            if ft.dim_digests is not None:
                digests[f"dims/{name}"] = ft.dim_digests
            tables[name] = ft
        # 2. people, bounded by what the families released
        shown = {c.key: mark(c, k) for ft in tables.values() for c in ft.table.cells}
        people = {}
        keys = [(s.a, s.b) for s in regular]
        people_cells = {}
        # earlier people counts of months that have changed since are facts about those months as
        # they were (people_table keeps them so), not bounds on today's
        past_now = [e for e in past if e["table"] != "people" or not _changed_people(e, fy, by_people)]
        said = {}  # (people indicator, span) -> the ranges earlier releases gave it
        for i in PEOPLE:
            for e in _past(past_now, fy, "people", i):
                span = (ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"]))
                said.setdefault((i, span), []).append((float(e["lo"]), float("inf") if e["hi"] is None else float(e["hi"])))
        moved = _moved(past, fy, by_people) if has else []   # People served then, of months changed since
        states_then = _states_then(past, fy)
        added = _only_added(con, past, hkey, states_then, by_people) if has else {}
        first_year = _first_outreach_year(con, fy) if has else False
        new = {c.key[1]: c.value for c in tables["new_people"].table.cells if c.key[2] is None} \
            if "new_people" in tables else {}

        # (over earlier releases' spans too: April-May's 25 contacts of a new person given on 5 June
        # still cap its new people on 5 July, when April-May is no longer offered: helper-30)
        reach = _family_reach(tables, list(people_spans), k)
        reach_then: dict = {}   # (family, release id, span) -> the family's count that bounds its people then, at most

        def build(ind):
            t, pos = people_table(ind, keys, exact_by_span, _past(past, fy, "people", ind), fy, k, by_people.get(ind),
                                  {rid: st[0].get(ind, {}) for rid, st in states_then.items()},
                                  frozenset(rid for rid, inds in added.items() if ind in inds))
            known, grown = _worked_out(said, people_tables, k, exact_by_span, memo)
            for key in pos:   # earlier releases' spans too (their People served still bound these)
                _cross_people(t, pos, ind, key, shown, people, exact_by_span, k, known, new, reach, said)
            if ind in PEOPLE_AT_MOST and PEOPLE_AT_MOST[ind][0] in tables:
                _people_then_at_most(t, pos, ind, tables[PEOPLE_AT_MOST[ind][0]], past, fy, k, reach_then)
            if ind == PEOPLE[-1]:
                _growth_rows(t, pos, exact_by_span, grown)
                _served_then(t, pos, past, fy, by_people, exact_by_span, k, said, added, first_year)
            if ind == "outreach.people" and "new_people" in tables:
                # new people are at most people, both ways at once: one table, decided together
                t = _with_new_people(t, pos, tables["new_people"], shown, k, first_year,
                                     {key: int(exact_by_span[key].get(ind) or 0) for key in pos}, reach,
                                     (past, fy, by_people.get(ind), digests.get("before"), states_then, added))
            return t, pos

        people_tables: dict = {}
        memo: dict = {}
        for ind in PEOPLE:
            t, pos = build(ind)
            protect(t, k)
            if ind != PEOPLE[-1] and _services_rounding(t, ind, people, people_cells, k):
                t, pos = build(ind)   # the services shown before this one now say less
                protect(t, k)
            if ind == PEOPLE[-1]:
                t = _program_rounding_services(t, people, people_cells, k, lambda ind=ind: build(ind)[0])
                t = _program_deferred(t, pos, people, people_cells, k, lambda ind=ind: build(ind)[0])
                _services_bare(t, k)
            for c in t.cells:
                if c.key[0] == ind:
                    people[(ind, c.key[1])] = mark(c, k)
                    people_cells[(ind, c.key[1])] = c
            people_tables[ind] = (t, pos)

        # 2b. people served are at least each service's people and at most all of them together
        # (and the supplies' known people), so the program's count, decided last, bounds each
        # service's both ways: May's 11 people served beside outreach's ≈10 gave outreach's new
        # people of April as 8 or 9 (the quarter's 28 less May's at most 11 less June's `<10`;
        # and with no other service the quarter's people served are outreach's: helper-27). Each
        # service's table again with those rows; where they pin a small count, the program's own
        # counts that set them are shown rounded (then hidden), the cheapest first, and what that
        # cannot protect is protected in the service's table. Either only hides more, so every
        # audit before still holds
        program_cells = [c for c in people_tables[PEOPLE[-1]][0].cells if c.key[0] == PEOPLE[-1]]

        def served_as(into: Linked, pt: Linked, ind: str, pos: dict, off: int = 0):
            """Shows one of People served's counts so, and sets again the rows it sets in `into`
            (a service's table, or its join, whose variables are `off` past the table's)."""
            def as_(c, status):
                c.status = status
                people[(PEOPLE[-1], c.key[1])] = mark(c, k)
                rows = _served_rows(ind, pos, people, shown, exact_by_span, k, said, moved, pt.services)
                _served(into, into.served_from, [({v + off: w for v, w in coef.items()}, lo, hi) for coef, lo, hi in rows])
            return as_
        for ind in PEOPLE[:-1]:
            t, pos = people_tables[ind]
            base = t.served_from = len(t.rows)
            _served(t, base, _served_rows(ind, pos, people, shown, exact_by_span, k, said, moved, t.services))
            if len(t.rows) == base:
                continue
            if _all_protected(t, k):   # (the usual case: one audit)
                continue

            # A rounded count can pin as well as an exact one: People served of May ≈40 beside no
            # other service that month held outreach's May at 35 or more, and with May's contacts
            # of new people (23) and returning ones (13), April's 21 outreach people not seen in
            # May (8) were 8 or 9 (gen4's seed 193)
            protected = _served_say_less(program_cells, k, served_as(t, t, ind, pos), lambda t=t: _all_protected(t, k))
            if not protected:   # what People served saying less could not protect: this table hides more
                protect(t, k, incremental=True, public_rows=base)
                _still_pinned(t, k)
            for c in t.cells:
                if c.key[0] == ind:
                    people[(ind, c.key[1])] = mark(c, k)
                    people_cells[(ind, c.key[1])] = c

        # 3. each family again, with the floors the released people counts set: only hides more
        joined: dict = {}   # family -> the small counts its join with a people table took as given
        zeros: dict = {}    # family -> {dim: raw categories merged for a zero that pins a count}
        for name, ft in tables.items():
            if not FAMILIES[name].disclosive:
                continue
            added = _cross_family(ft, people, past_now, fy, exact_by_span, k)
            if name == "contacts" and hasattr(people_tables["outreach.people"][0], "new_expr"):
                added = _new_contacts_floors(ft, people_tables["outreach.people"][0], k) or added
            ind = next((i for i, rel in PEOPLE_AT_MOST.items() if rel[0] == name), None)
            join = ind is not None and (people_tables[ind][0].deferred or name == "contacts")
            if not join and added:
                protect(ft.table, k, incremental=True)
                # a small count the floors of today's people counts pin, which hiding the family's
                # own cells cannot protect (they were shown again), is the join's to decide: it can
                # hide those counts. Fuzz seed 48 of session 49, over two days: 31 December's
                # referral people of April-November 2025 (13, the year to date's twin) held those
                # months' referrals at 13 or more; with the year's 18 and January-March's at least 3
                # (`<10` beside zeros), December's `<10` referrals were 1 or 2
                join = ind is not None and bool(_pinned_now(ft.table, k))
            if join:
                # small counts of people that the people table could not protect alone: it and
                # this family together, each only hiding more (so every audit before still holds).
                # Outreach's contacts always: each month's contacts of a new person are at least its
                # new people, as variables (floors on spans shown left April-May's, never shown, at
                # 12 where its new people were 20: helper-44's seed 4). Decided last: what it
                # withholds for a count it cannot protect stays withheld (protect's `last`)
                pt, pos = people_tables[ind]
                j = _join_people(ft, pt, pos, ind, exact_by_span, fy, k, past, runs)
                protect(j, k, incremental=True, last=True)
                if j.served_from is not None and not _all_protected(j, k):
                    # what no cell of the join can protect, People served's rows pin: they say
                    # less, as in step 2b. 11 August: Q1's 52 new people less April's 24 and at most
                    # June's 25 (People served, outreach its only service) held May's new people at
                    # 3 or more, and April-May's 27 contacts of a new person (5 June) less April's 24
                    # at 3 or fewer (helper-45's seed 229)
                    _served_say_less(program_cells, k, served_as(j, pt, ind, pos, j.people_off),
                                     lambda j=j: _all_protected(j, k))
                joined[name] = j.deferred
                zeros[name] = _zeros_pinning(j, ft, k)
            if name == "nights":   # last of the two in FAMILIES' order: stays are decided
                _stays_with_nights(tables, _same_day_stays(con, fy), k)
        people.update({key: mark(c, k) for key, c in people_cells.items()})
        again = None
        split = _split(tables, joined, past, fy, k) if has else {}
        for name, by in zeros.items():
            for d, cats in by.items():
                split.setdefault(name, {}).setdefault(d, set()).update(cats)
        grown = {**keep, **{name: {**keep.get(name, {}), **{d: sorted(set(cats) | set(keep.get(name, {}).get(d, ())))
                                                             for d, cats in by.items()}}
                            for name, by in split.items()}}
        if grown != keep:
            # a category an earlier release merged, shown apart today, leaves a small count pinned by
            # what was given before, each part hidden today being at least 1: merged again for the
            # year, and the table decided again (5 July merged every mode of June's `<10` contacts;
            # 5 August showed June's drop-ins and "all others" apart, each `<10`, so at least 2,
            # beside Q1's 18 less at least April's and May's 13 new people and a returning contact
            # each: 2 or 3, helper-45's seed 204; 5 May's April "all others" of hospital and online
            # contacts, at most 3 beside its 13 less street's hidden 10 or more, split on 5 June
            # into two `<10`: 1 or 2 each, seed 141)
            again = grown
        for name, ft in tables.items():
            for d in FAMILIES[name].dims:
                categories[(name, d)] = ft.categories[d]
                merged[(name, d)] = ft.merged[d]
            for c in ft.table.cells:
                cells[c.key] = mark(c, k) if FAMILIES[name].disclosive else c.value
            revised += ft.revised
            if ft.digests is not None:
                digests[name] = ft.digests
    if again is not None:
        return None, again
    if not has:
        people = {(i, key): 0 for i in PEOPLE for key in [(s.a, s.b) for s in regular]}
    return Released(fy, cells, merged, categories, people, [(s.a, s.b) for s in regular], revised, digests), None


def _zeros_pinning(j: Linked, ft, k: int) -> dict:
    """{dim: raw categories to merge for the year} where a small count of the family's join is
    still pinned as it will show, a zero of that breakdown among what pins it. A zero is always
    shown (the contract), so hiding cannot help, but a breakdown that does not show the category
    apart has no zero to show. 5 July: June's contacts all returning ones, May's contacts 5 less
    June's; 9 July, May corrected: June's contacts of a returning person 0 (and anonymous 0), so
    June's people all new: they were May's new people then, at most its contacts of a new person,
    and June's 1 person was 1 or 2 (fuzz seed 376 of session 48). A category kept apart for an
    indicator (KEEP) is never merged; its zero stays."""
    by_key = {c.key: c for c in j.cells}
    out: dict = {}
    aud = None
    for c in small_counts(j, k):
        aud = aud or Auditor(j, k)
        ok, binding = aud.check(c.coef, c.value)
        if ok:
            continue
        for key in binding:
            x = by_key.get(key)
            if x is None or x.value != 0 or key[0] != ft.name or key[2] is None:
                continue
            d = key[2]
            apart = [r for cat in ft.categories[d] if cat not in (OTHERS, ALL)
                     for r in ft.members.get((d, cat), [cat]) if r not in KEEP.get((ft.name, d), set())]
            if apart and (key[3] in (OTHERS, ALL) or key[3] in apart):
                out.setdefault(d, set()).update(apart)
    return out


def _split(tables: dict, joined: dict, past: list[dict], fy: int, k: int) -> dict:
    """{family: {dim: raw categories an earlier release of the year merged into "all others" (or
    "all") that this release shows apart}}, for the dimensions of a small count the family's table
    or its join with a people table took as pinned by what was given before (`deferred`; a total's:
    every such dimension), and for those of a small count an earlier release gave of merged
    categories that today's table pins though nothing was deferred (a latent "released" count).
    Each count hidden today is at least 1 there, so that is what a split adds; nothing decided
    later protects it."""
    out = {}
    for name, ft in tables.items():
        if not FAMILIES[name].disclosive:
            continue
        dims = {c.key[2] for c in list(ft.table.deferred) + list(joined.get(name, [])) if c.key[0] == name}
        lines = _past(past, fy, "family", name)
        aud = None
        for d in FAMILIES[name].dims:
            before = {r for e in lines if e.get("dim") == d and len(e.get("members") or ()) > 1 for r in e["members"]}
            apart = before & (set(ft.categories[d]) - {OTHERS, ALL})
            if not apart:
                continue
            if None in dims or d in dims:
                out.setdefault(name, {})[d] = apart
                continue
            # a small count an earlier release gave of the categories merged then (a latent target)
            # that today's table leaves pinned all the same: each part of it hidden today is at least
            # 1, and nothing else could protect it (`_withhold` accepts it, so it is not deferred).
            # 8 June's April "all others" (online and street) `<10`, at most 3 beside the year to
            # date's 13 less May's 10 or more; 14 June showed April's online and street apart, each
            # withheld: at least 2 (fuzz.py seed 797 of session 50). Merged again, as a deferred
            # count's would be
            old = [c for c in ft.table.latent if c.key[2] == d and isinstance(c.key[3], str)
                   and c.key[3].startswith("released ") and 1 <= c.value <= k - 1]
            if old:
                aud = aud or Auditor(ft.table, k)
                if any(not aud.check(c.coef, c.value)[0] for c in old):
                    out.setdefault(name, {})[d] = apart
    return out


def exact_cells(con, fy: int, today: dt.date) -> dict:
    """The exact value of every cell and people count of a year's External table (staff figures,
    for measuring what protection costs: never released)."""
    out = {}
    for name in FAMILIES:
        if spans(fy, today, FAMILIES[name].quarters_only):
            out |= {c.key: c.value for c in family_table(con, name, fy, today, suppress.threshold(), []).table.cells}
    regular = spans(fy, today)
    for key, f in _people_counts(con, regular, today).items():
        out |= {(i, key): int(f.get(i) or 0) for i in PEOPLE}
    return out


def _capacity_rows(ft, fy: int, n: int) -> None:
    """What everyone knows of guest nights: a month has at most units x days of them (occupancy
    cannot pass 100 %, and the released occupancy says how many units there are). Without these
    rows a quarter of 70 nights, a `<10` April and a hidden May and June at most 31 + 30 give
    April >= 9. A month logged over capacity (the review flags it) keeps its exact count feasible."""
    units = db.suite_units()
    for i in range(n):
        first = periods.add_months(periods.fiscal_year(fy).start, i)
        coef = ft.expr(i, i)
        cap = max(units * ((periods.month_end(first) - first).days + 1), ft.value(coef))
        add_row(ft.table, coef, 0.0, float(cap))


def _same_day_stays(con, fy: int) -> list[int]:
    """Stays of each month of the year (by check-in) that ended the day they began: no night."""
    year = periods.fiscal_year(fy)
    rows = con.execute("select date_diff('month', $s::date, date_trunc('month', check_in)::date) as i, count(*) "
                       "from marts.suite_stays where check_out = check_in and check_in between $s and $e "
                       "group by all", {"s": year.start, "e": year.end}).fetchall()
    out = [0] * 12
    for i, n in rows:
        out[int(i)] = int(n)
    return out


def _stays_with_nights(tables: dict, same_day: list[int], k: int) -> None:
    """Stays, their exits and guest nights decided together once each is protected alone (only
    hiding more). Every stay has a night on its check-in day, in the month its check-in is counted
    in, unless it ended that day (the contract: nights >= stays). So one table of the three, with
    each month's nights at least its stays less its same-day stays (counted exactly: the attacker
    is granted them): 14 one-night stays shown in May floor its hidden nights (helper-14: April's
    2 nights pinned at 1 or 2 by the quarter's), and 20 nights shown in May cap its hidden stays.
    And the suite has `units` units (public: the occupancy says so), so stays do not overlap
    beyond them: a span's exits (by check-out) and its stays (by check-in) differ by at most the
    units, both ways, for every span of months (helper-15: May's 10 stays beside its `<10` exits
    gave 9). A small count another pins is protected by the cheapest cell of any of them.
    Last of step 3: nights hidden for people counts before it only say less of the stays."""
    st, ni, ex = tables.get("stays"), tables.get("nights"), tables.get("exits")
    if st is None or ni is None or not FAMILIES["stays"].disclosive or not FAMILIES["nights"].disclosive:
        return
    parts = [st, ni] + ([ex] if ex is not None and FAMILIES["exits"].disclosive else [])
    offs, off = [], 0
    for ft in parts:
        offs.append(off)
        off += ft.table.n_vars

    def sh(coef, o):
        return {v + o: w for v, w in coef.items()}

    moved = [(c, c.coef, o) for ft, o in zip(parts[1:], offs[1:]) for c in ft.table.cells + ft.table.latent]
    for c, coef, o in moved:   # the same cells (what this decides is what they show), each table moved
        c.coef = sh(coef, o)  # past the ones before it
    try:
        j = Linked(off, cells=[c for ft in parts for c in ft.table.cells],
                   rows=[(sh(coef, o), lo, hi) for ft, o in zip(parts, offs) for coef, lo, hi in ft.table.rows],
                   latent=[c for ft in parts for c in ft.table.latent],
                   headlines=frozenset().union(*(ft.table.headlines for ft in parts)),
                   roundable=frozenset().union(*(ft.table.roundable for ft in parts)))
        n = min(sum(1 for v in ft.var if v[0] == "T") for ft in parts)
        for i in range(n):
            if ni.value(ni.expr(i, i)) >= st.value(st.expr(i, i)) - same_day[i]:   # (a data error aside)
                j.rows.append(({**{v: -1.0 for v in st.expr(i, i)}, **sh(ni.expr(i, i), offs[1])},
                               -float(same_day[i]), float("inf")))
        if len(parts) == 3:
            units = float(db.suite_units())
            for a in range(n):
                for b in range(a, n):
                    gap = ex.value(ex.expr(a, b)) - st.value(st.expr(a, b))
                    if -units <= gap <= units:   # stays logged overlapping (the review flags it): no row
                        j.rows.append(({**{v: -1.0 for v in st.expr(a, b)}, **sh(ex.expr(a, b), offs[2])},
                                       -units, units))
        protect(j, k, incremental=True)
    finally:
        for c, coef, _ in moved:
            c.coef = coef


def _first_outreach_year(con, fy: int) -> bool:
    """True when no outreach contact is older than fiscal year `fy`: everyone is new in it (the
    Overview says so), so its people to date are its new people to date, as an attacker knows."""
    first = con.execute("select min(contact_date) from core.outreach").fetchone()[0]
    return first is not None and first >= periods.fiscal_year(fy).start


def _before_digest(con, fy: int, key: bytes) -> str:
    """A keyed digest of the set of people met by outreach before fiscal year fy: a person of the
    year is new or not by it and the year's own months."""
    n, mix = con.execute("select count(*), bit_xor(person_key) from marts.first_outreach where first_date < $s",
                         {"s": periods.fiscal_year(fy).start}).fetchone()
    return _digest(key, "shop-before-v1", fy, int(n), int(mix or 0))


_HAS_BATCH_ROWS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # cursor -> has the table


def _batch_rows(con) -> str:
    """meta.batches with each batch's rows as loaded (meta.batch_rows, kept by the load since
    session 42; None for a batch loaded before, or a database without the table). Whether the
    table is there is asked once per cursor (a build's cursor reads one snapshot; 3 ms a time)."""
    has = _HAS_BATCH_ROWS.get(con)
    if has is None:
        has = _HAS_BATCH_ROWS[con] = bool(con.execute(
            "select count(*) from information_schema.tables where table_schema = 'meta' "
            "and table_name = 'batch_rows'").fetchone()[0])
    return ("(select b.*, r.rows_digest from meta.batches b left join meta.batch_rows r using (batch_id))" if has
            else "(select *, null::ubigint as rows_digest from meta.batches)")


def _batches_digest(con, key: bytes, last: int | None = None, version: int = 2) -> list:
    """[the last batch loaded, a keyed digest of every batch up to it (in force or replaced since),
    2]: a later release tells by it that what this one read has only been added to since
    (_only_added). Version 2 (session 42) also digests each batch's rows as loaded and which of
    them were replaced by then, so a rebuild that loads the same bytes as other rows (another date
    order) or makes one file replace another (files moved into folders of their own) is another
    history (helper-40); version 1 (the line's two items) is what releases wrote before."""
    if last is None:
        last = con.execute("select coalesce(max(batch_id), 0) from meta.batches").fetchone()[0]
    if version == 1:
        rows = con.execute("select batch_id, log_type, content_sha256, rows_loaded from meta.batches "
                           "where batch_id <= ? order by batch_id", [last]).fetchall()
        return [int(last), _digest(key, "shop-batches-v1", [tuple(r) for r in rows])]
    rows = con.execute(f"select batch_id, log_type, content_sha256, rows_loaded, rows_digest, "
                       f"coalesce(replaced_by <= $last, false) from {_batch_rows(con)} where batch_id <= $last "
                       f"order by batch_id", {"last": last}).fetchall()
    return [int(last), _digest(key, "shop-batches-v2", [tuple(r) for r in rows]), 2]


FILE_DIGEST = 16   # hex characters kept of a batch's rows digest in a release's line


def _files_in_force(con, key: bytes) -> dict:
    """{"key": the key's fingerprint, "files": [[batch, log, a digest of its rows as loaded cut
    short, rows loaded]] for every file of a log of people in force}: a later release tells by it
    what this one read by content, where the batches it read are not there any more (the database
    rebuilt from its files since: _added_since_by_content). A batch loaded before the load kept
    its rows' digest has none: it cannot be told again, so it counts as replaced."""
    rows = con.execute(f"select batch_id, log_type, rows_digest, rows_loaded from {_batch_rows(con)} "
                       "where status = 'in_force' and log_type in (select unnest(?)) order by batch_id",
                       [sorted(PEOPLE_LOGS.values())]).fetchall()
    return {"key": privacy.fingerprint(key),
            "files": [[int(b), log, _rows_digest(key, d), int(n)] for b, log, d, n in rows]}


def _rows_digest(key: bytes, d) -> str | None:
    return None if d is None else _digest(key, "shop-batch-rows-v1", int(d))[:FILE_DIGEST]


# The log each people count is made of ("supplies": the supplies' known people, a part of People
# served). A corrected copy of any other log (education, notes, targets, bad dates) changes no one.
PEOPLE_LOGS = {"outreach.people": "outreach", "referrals.people": "referrals", "suite.people": "suite_stays",
               "friday.people": "friday_network", "supplies": "supplies"}


BEFORE = "met before the year"   # _only_added: the people met by outreach before the year only grew since


def _batch_months(con, fy: int) -> list:
    """[[batch, [its months of the fiscal year]]] for every file of a log of people in force: a
    later release reads by it which months a file replaced since had (its rows are gone then). A
    suite file's months are every month its stays have a night in (a stay open: to the year's
    end), not only their check-ins: a stay of 20 May to 15 June corrected to end on 22 May takes
    someone out of June (helper-39), and last year's March stay to 12 April is April's."""
    fys = periods.fiscal_year(fy)
    rows = con.execute(
        "select batch_id, list(distinct strftime(month, '%Y-%m') order by 1) from ("
        "  select batch_id, month from marts.log_months where month between $s and $e "
        "  and log_type in (select unnest($logs)) "
        "  union all select batch_id, unnest(generate_series(date_trunc('month', greatest(check_in, $s)), "
        "    date_trunc('month', least(greatest(check_in, coalesce(check_out - 1, $e)), $e)), interval 1 month))::date "
        "  from core.suite_stays where check_in <= $e and coalesce(check_out - 1, $e) >= $s) "
        "group by batch_id order by batch_id",
        {"s": fys.start, "e": fys.end, "logs": sorted(PEOPLE_LOGS.values())}).fetchall()
    return [[int(b), list(ms)] for b, ms in rows]


def _only_added(con, past: list[dict], key: bytes, states: dict | None = None, now: dict | None = None) -> dict:
    """{release id: the people indicators whose every month's people then are among today's}, read
    from each release's own line: loads since it only added files of the indicator's log, or a
    file of it that the release read was replaced since but every month that file had (the line's
    batch_months) has the same people then as now (`states`: _states_then; `now`: today's
    digests, people_digests: a corrected copy that changed minutes, not who came); a corrected
    copy of a log without people (education, notes, targets) changes no one. The Safe Suite's
    also when no later file has changed the check-out of a stay it read (one added later shortens
    a stay then still open; one that says it again changes nothing); People served's when every
    log of people's is."""
    out, seen = {}, {}   # (seen: the answer for each history, many releases read the same one)
    states, now = states or {}, now or {}
    for e in past:
        if e["table"] != "state" or e["what"] != "release" or not e.get("batches"):
            continue
        history = tuple(e["batches"])
        if history not in seen:
            seen[history] = _added_since(con, key, history)
            if seen[history] is None:   # not these batches: the same files by content?
                seen[history] = _added_since_by_content(con, key, e.get("files"))
        if seen[history] is None:
            continue
        replaced, restated = seen[history]
        then = states.get(e.get("rid"), ({}, {}))[0]
        had = None if e.get("batch_months") is None else {int(b): ms for b, ms in e["batch_months"]}
        logs = {log for _, log in replaced}

        def same(ind, months=None):   # the same people then as now, in these months (None: all)
            d = now.get(ind)
            if d is None:
                return False
            idx = range(len(d)) if months is None else \
                [i for m in months if (i := ledger.index_of(_fy_of(e), m)) is not None]
            return all(then.get(ind, {}).get(i) == d[i] for i in idx)

        def unchanged_by_corrections(ind, log):
            if had is None or (log == "suite_stays" and not e.get("stay_months")):
                return same(ind)   # a line written before batch_months (or suite files' nights): every month
            return all(same(ind, had.get(b, [])) for b, lg in replaced if lg == log)
        fine = {ind for ind, log in PEOPLE_LOGS.items()
                if (log not in logs or unchanged_by_corrections(ind, log))
                and (log != "suite_stays" or not restated or same(ind))}
        if set(PEOPLE_LOGS) <= fine:   # People served: the people of these logs together
            fine.add(PEOPLE[-1])
        if "outreach" not in logs:   # no outreach file replaced, of any year: who was met before
            fine.add(BEFORE)         # the year has only grown (_new_people_then)
        out[e.get("rid")] = fine - {"supplies"}
    return out


def _fy_of(e: dict) -> int:
    """The fiscal year of a release's own line (its first month is the year's first)."""
    return periods.fy_start_year(dt.date.fromisoformat(e["from"] + "-01"))


def _added_since(con, key: bytes, history: tuple) -> tuple[set, bool] | None:
    """For one release's [last batch, digest]: ((batch, log) of each file it read replaced since,
    whether a later file has changed the check-out of a stay it read); None when the
    batches are not the ones it read (another database, or its batches since rebuilt)."""
    last = int(history[0])
    if _batches_digest(con, key, last, version=2 if len(history) > 2 else 1) != list(history):
        return None
    replaced = {(int(b), log) for b, log in con.execute(
        "select batch_id, log_type from meta.batches where batch_id <= ? and status = 'replaced' and replaced_by > ?",
        [last, last]).fetchall()}
    restated = bool(con.execute(
        "select count(*) from (select person_key, check_in from core.suite_stays group by all "
        "having min(batch_id) <= ? and max(batch_id) > ? "
        "and count(distinct coalesce(cast(check_out as varchar), 'open')) > 1)", [last, last]).fetchone()[0])
    return replaced, restated


def _added_since_by_content(con, key: bytes, read: dict | None) -> tuple[set, bool] | None:
    """_added_since for a release whose batches are not in the database any more (rebuilt from its
    files since), from the files of logs of people it read (_files_in_force): a file in force now
    by content (and loaded to as many rows: the same rows, by the same key) is one it read; those
    it read and not in force now were replaced ((batch then, log)); those in force now and not then
    were added, and a stay they say again with another check-out restates one it read. None
    without that list, or under another key (another program's database: nothing is known of it)."""
    if not read or read.get("key") != privacy.fingerprint(key):
        return None
    now = {(log, _rows_digest(key, d), int(n)): int(b) for b, log, d, n in con.execute(
        f"select batch_id, log_type, rows_digest, rows_loaded from {_batch_rows(con)} where status = 'in_force' "
        "and rows_digest is not null").fetchall()}
    replaced = {(int(b), log) for b, log, sha, n in read["files"] if sha is None or (log, sha, n) not in now}
    then_of = {now[(log, sha, n)]: int(b) for b, log, sha, n in read["files"] if sha is not None and (log, sha, n) in now}
    # a stay said again with another check-out by a file added since, or by two files it read that
    # now load in another order (the later batch's row wins: marts.suite_stays; helper-39: a
    # rebuild loading June's file before May's gave the stay May's check-out again)
    restated = bool(con.execute(
        "with m as (select unnest($now) as now_id, unnest($then) as then_id), "
        "r as (select person_key, check_in, coalesce(cast(check_out as varchar), 'open') as co, batch_id, "
        "      source_row, then_id from core.suite_stays left join m on batch_id = now_id) "
        "select count(*) from (select person_key, check_in from r group by all having count(distinct co) > 1 "
        "and (bool_or(then_id is null) and bool_or(then_id is not null) "
        "     or arg_max(co, batch_id::bigint * 4294967296 + source_row) "
        "        != arg_max(co, then_id::bigint * 4294967296 + source_row)))",
        {"now": list(then_of), "then": list(then_of.values())}).fetchone()[0])
    return replaced, restated


def _with_new_people(t: Linked, pos: dict, ftn, shown: dict | None = None, k: int = 10,
                     first_year: bool = False, count: dict | None = None, reach: dict | None = None,
                     history: tuple | None = None) -> Linked:
    """The outreach people table and the new people's family as one linked table, with a row
    new people <= people for every span both know, and new people <= the released count of
    contacts of a new person (every new person has one on their first day: without this row a
    quarter of 25 new people, a `<10` April, June's 12 and May's 10 contacts of a new person give
    April = 3). The family's cells are the same objects, so what this protection decides is what
    the family shows."""
    off = t.n_vars
    nt = ftn.table
    joint = Linked(t.n_vars + nt.n_vars, cells=t.cells + nt.cells, latent=t.latent + nt.latent,
                   rows=list(t.rows), headlines=nt.headlines, roundable=t.roundable, sources=dict(t.sources),
                   services=dict(t.services), then=dict(t.then))
    joint.new_expr = lambda a, b: {v + off: w for v, w in ftn.expr(a, b).items()}
    joint.new_family, joint.new_off = ftn, off   # (and as earlier releases had them: _join_people)
    joint.new_value = lambda a, b: ftn.value(ftn.expr(a, b))
    for c in nt.cells + nt.latent:
        c.coef = {v + off: w for v, w in c.coef.items()}
    joint.rows += [({v + off: w for v, w in coef.items()}, lo, hi) for coef, lo, hi in nt.rows]
    # new people of a span less those of a span inside it are new people too (of the months
    # between): a count of people, as the people tables' differences are. Q1's 26 new people less
    # April's 21 gave May-June's as 5 within 5 July's release (helper-45's seed 179)
    totals = {c.key[1]: c for c in nt.cells if c.key[2] is None}
    for (a, b), whole in totals.items():
        for (c, d), part in totals.items():
            gap = whole.value - part.value
            if a <= c and d <= b and (c, d) != (a, b) and 1 <= gap <= k - 1 and not (whole.locked and part.locked):
                coef = dict(whole.coef)
                for v, w in part.coef.items():
                    coef[v] = coef.get(v, 0.0) - w
                joint.latent.append(Cell(("new_people", (a, b), "not in", (c, d)),
                                         {v: w for v, w in coef.items() if w}, gap))
    # and so are those of every run of months (June-July's: 11 August's year to date of 48 contacts
    # of a new person less April's 27 and May's 14 held them at 7 or fewer, and the year to date's
    # People served less the rest at 6 or more: helper-45's seed 262)
    own = {tuple(sorted(c.coef.items())) for c in nt.cells + nt.latent}
    months = sum(1 for v in ftn.var if v[0] == "T")
    for a in range(months):
        for b in range(a, months):
            coef = {v + off: w for v, w in ftn.expr(a, b).items()}
            gap = ftn.value(ftn.expr(a, b))
            if 1 <= gap <= k - 1 and coef and tuple(sorted(coef.items())) not in own:
                joint.latent.append(Cell(("new_people", (a, b), "run", None), coef, gap, small_known=False))
    n = sum(1 for v in ftn.var if v[0] == "T")
    # every span the table knows, today's and earlier releases' (a year to date given in June is
    # in the ledger from then on, and its people less its new people stay a count of people)
    count = {**{c.key[1]: c.value for c in t.cells}, **(count or {})}
    given = {c.key[1] for c in t.cells if c.locked} & {c.key[1] for c in nt.cells if c.locked and c.key[2] is None}
    for (a, b), j in pos.items():
        if b < n:
            coef = {v + off: w for v, w in ftn.expr(a, b).items()}
            coef[j] = -1.0
            joint.rows.append((coef, 0.0 if first_year and a == 0 else -float("inf"), 0.0))
            gap = count.get((a, b), 0) - ftn.value(ftn.expr(a, b))
            if 1 <= gap <= k - 1 and (a, b) not in given:  # those who came back: people
                joint.latent.append(Cell(("outreach.people", (a, b), "not new", None),
                                         {**{v: -w for v, w in coef.items() if v != j}, j: 1.0}, gap))
    # New people of later months were never seen before them: a span's people less those of a
    # span inside it that ends earlier are at least the new people of the months after it (a
    # year to date of September less August's holds September's new people; the rest came back
    # from an earlier year, a count of people too, like the quarter's people less April's and the
    # new people of May and June: those of the quarter seen before April but not in April)
    for (c, d), jb in pos.items():
        for (a, b), ja in pos.items():
            if not (c <= a and b < d < n) or (a, b) == (c, d):
                continue
            coef = {v + off: -w for v, w in ftn.expr(b + 1, d).items()}
            coef[jb], coef[ja] = 1.0, -1.0
            joint.rows.append((coef, 0.0, float("inf")))
            back = count.get((c, d), 0) - count.get((a, b), 0) - ftn.value(ftn.expr(b + 1, d))
            if 1 <= back <= k - 1:
                joint.latent.append(Cell(("outreach.people", (c, d), "not new, not in", (a, b)), coef, back))
    for (a, b) in pos:   # and as the contacts' own attacker works them out, spans of earlier releases too
        r = (reach or {}).get(("new contacts", (a, b)))
        if b < n and r is not None and r[1] != float("inf") and ftn.value(ftn.expr(a, b)) <= math.floor(r[1] + 1e-6):
            _from(joint, "contacts", {v_ + off: w for v_, w in ftn.expr(a, b).items()}, 0.0, float(math.floor(r[1] + 1e-6)))
    for key, v in (shown or {}).items():
        fam, (a, b), dim, cat = key
        if fam == "contacts" and dim == "kind" and cat == "new person" and b < n:
            hi = bounds_of(v, k)[1]
            if hi != float("inf"):
                _from(joint, "contacts", {v_ + off: w for v_, w in ftn.expr(a, b).items()}, 0.0, float(hi))
    # people who are not new have only contacts of a returning person: a span's people less its new
    # people are at most those (April's 0 beside its 12 people says all 12 are new, and the
    # quarter's new people less June's less April's give May's 3)
    for (a, b), j in pos.items():
        r = (reach or {}).get(("returning contacts", (a, b)))
        if b < n and r is not None and r[1] != float("inf"):
            back = float(math.floor(r[1] + 1e-6))
            if count.get((a, b), 0) - ftn.value(ftn.expr(a, b)) <= back:
                coef = {j: 1.0, **{v_ + off: -w for v_, w in ftn.expr(a, b).items()}}
                _from(joint, "contacts", coef, -float("inf"), back)
    if history is not None:
        _new_people_then(joint, t, pos, ftn, off, *history)
        _values_then(joint)   # (a count then is a target where its least value is small)
    return joint


def _new_people_then(joint: Linked, t: Linked, pos: dict, ftn, off: int, past: list[dict], fy: int,
                     now: list | None, before: str | None, states: dict, added: dict | None = None) -> None:
    """New people as an earlier release gave them, for months changed since (the family's old
    versions, _past_rows), tied to outreach's people: then, at most its people then; and between the
    versions, the new people of months whose people have not changed move only by people of those
    months met in the changed months before them. Without these, April-May's 12 new people on 5
    June, when April's outreach file had not come (so all were May's), beside May's 10 today and
    April-May's 31 people less May's 20, held April's people at 13 or more, and People served of
    April 18 gave its people not met by outreach (4) as 4 or 5 (helper-33's seed 284). `states`:
    _states_then's; `added`: _only_added's."""
    if not ftn.old or now is None:
        return
    n = sum(1 for v in ftn.var if v[0] == "T")
    np_then = _digests_then(past, fy, "new_people")   # release id -> {month: the new people's digest then}
    befores = {e.get("rid"): e.get("before") for e in past if e["table"] == "state" and e["what"] == "release"}
    lines = _past(past, fy, "people", "outreach.people")
    for rid, months in np_then.items():
        changed = {i: h for i, h in months.items() if i < n and ftn.digests and h != ftn.digests[i]}
        if not changed or not all((i, h) in ftn.old for i, h in changed.items()):
            continue

        def new_then(a, b):   # the new people of a..b as that release's data had them (None: not known)
            if not all(i in months for i in range(a, b + 1)) or b >= n:
                return None
            return {v + off: w for v, w in ftn.expr_then(a, b, None, None,
                                                        {i: changed[i] for i in range(a, b + 1) if i in changed}).items()}

        state = states[rid][0].get("outreach.people", {}) if rid in states else _state_then(lines, rid, fy)
        col = t.then[rid][0] if rid in t.then else {}
        people_then = {}   # span -> its people's variable as that release's data had them
        for span, j in pos.items():
            if _unchanged(state, now, range(span[0], span[1] + 1)):
                people_then[span] = j
            elif span in col and col[span] != j:
                people_then[span] = col[span]
        new_by_span = {span: new_then(*span) for span in people_then}
        for span, j in people_then.items():   # then: at most the people then
            coef = new_by_span[span]
            if coef:
                add_row(joint, {**coef, j: coef.get(j, 0.0) - 1.0}, -float("inf"), 0.0)
                if any(i in changed for i in range(span[0], span[1] + 1)):
                    # and the people then less the new people then (those met before) are a count
                    # of people too: July's people unchanged, 16 by People served on 11 August, less
                    # its 11 new on 5 August (April corrected since: two of them were met in April)
                    # gave July's people met before as 5 (helper-45's seed 80). Its value then is
                    # kept nowhere: the least the rows allow (protect._values_then)
                    joint.latent.append(Cell(("outreach.people", span, "not new then", rid),
                                             {j: 1.0, **{v: -w for v, w in coef.items() if v != j}}, 0,
                                             small_known=False, then=True))
        # new people of later months were never seen before them, as that release's data had them
        # too: a span's people then less a span's inside it that ends earlier are at least the new
        # people then of the months after it. On 5 August July's 16 people, all new (the year to
        # date's 51 new less Q1's 35), beside the year to date's ≈50 people held Q1's at 38 or less;
        # July corrected since, the year to date's 51 People served on 11 August less July's 13 held
        # them at 38 or more: Q1's people met before the year, 38 less its 35 new, were 3 (helper-45's
        # seed 129)
        for (c, d), jb in people_then.items():
            for (a, b), ja in people_then.items():
                if not (c <= a and b < d < n) or (a, b) == (c, d) or \
                        not any(i in changed for i in range(c, d + 1)):
                    continue
                later = new_then(b + 1, d)
                if later is None:
                    continue
                coef = {v: -w for v, w in later.items()}
                coef[jb], coef[ja] = coef.get(jb, 0.0) + 1.0, coef.get(ja, 0.0) - 1.0
                add_row(joint, coef, 0.0, float("inf"))
        only_added = BEFORE in (added or {}).get(rid, ())
        if only_added:
            # no outreach file replaced since: people only came and first contacts only moved
            # earlier, so a span's people not new then are still its people, not new, now. On 5 July
            # (May's outreach file late) Q1's 31 people less its 21 new held Q1's people not new
            # today at 10 or more, and with April-July's 50 less its 37 new, July's people met
            # before the year and not seen in Q1 (3) at 3 (helper-37's seed 359)
            for span, j in people_then.items():
                then_new = new_by_span[span]
                if then_new is None or span[1] >= n:
                    continue
                coef = {j: 1.0, pos[span]: -1.0}
                for v, w in [(v, -w) for v, w in then_new.items()] + [(v + off, w) for v, w in ftn.expr(*span).items()]:
                    coef[v] = coef.get(v, 0.0) + w
                add_row(joint, coef, -float("inf"), 0.0)
        if rid not in states or before is None:
            continue
        same_before = befores.get(rid) == before
        if not same_before and not only_added:
            continue   # who was met before the year may have changed since: the months alone do not say
        for (m1, m2) in pos:
            # a span's people not new then were met before the year, so are among the year to its end's
            # people not new today, or met in the months before it then: on 5 June, April's outreach
            # file missing, May's 16 people less its `<10` new people held Apr-May's people met before
            # the year (8) at 7 or more, and Apr-May's ≈20 less their 16 new people at 8 (seed 57)
            old = new_then(m1, m2)
            if old is not None and m1 > 0 and (0, m2) in pos and (0, m1 - 1) in people_then \
                    and _unchanged(state, now, range(m1, m2 + 1)) and m2 < n:
                coef = {pos[(m1, m2)]: 1.0, pos[(0, m2)]: -1.0}
                for v, w in [(v, -w) for v, w in old.items()] + [(v + off, w) for v, w in ftn.expr(0, m2).items()] \
                        + [(people_then[(0, m1 - 1)], -1.0)]:
                    coef[v] = coef.get(v, 0.0) + w
                add_row(joint, coef, -float("inf"), 0.0)
            # (and where someone was met before the year by a file of an earlier year loaded since, a
            # person new then may not be now without any month of this year changing: helper-37)
            if not same_before or not any(i in changed for i in range(m1, m2 + 1)) \
                    or not _unchanged(state, now, range(m1, m2 + 1)):
                continue
            moved = [i for i in range(m1) if not _unchanged(state, now, [i])]   # (or not known)
            if not moved or old is None:
                continue
            new = {v + off: w for v, w in ftn.expr(m1, m2).items()}
            # those new now and not then were first met then in a changed month before it (one not
            # changed would have them still), so are among its new people then; and those new then
            # and not now, among its new people now. 5 July: June's people all returning, May's
            # contacts 5 less June's; 9 July, May corrected: June's people all new, so they were
            # May's new people then, at most its contacts of a new person: June's 1 person at 1 or
            # 2 (fuzz seed 376 of session 48)
            firsts = [new_then(i, i) for i in moved]
            if all(f is not None for f in firsts):
                nows = [{v + off: w for v, w in ftn.expr(i, i).items()} for i in moved]
                for plus, minus, hosts in ((new, old, firsts), (old, new, nows)):
                    coef = {}
                    for v, w in list(plus.items()) + [(v, -w) for v, w in minus.items()] + \
                            [(v, -w) for f in hosts for v, w in f.items()]:
                        coef[v] = coef.get(v, 0.0) + w
                    add_row(joint, coef, -float("inf"), 0.0)
            # those no longer new (or new since) were met in m1..m2 and in a changed month before
            # it: people of both, as today's data have them (as that release's data had them)
            for sign, have in ((1.0, pos), (-1.0, people_then)):
                a = next((a for a in range(moved[0], -1, -1)
                          if all(s in have for s in ((a, m1 - 1), (m1, m2), (a, m2)))), None)
                if a is None:
                    continue
                coef = {}
                for v, w in [(v, sign * w) for v, w in old.items()] + [(v, -sign * w) for v, w in new.items()] \
                        + [(have[(a, m1 - 1)], -1.0), (have[(m1, m2)], -1.0), (have[(a, m2)], 1.0)]:
                    coef[v] = coef.get(v, 0.0) + w
                add_row(joint, coef, -float("inf"), 0.0)


def _from(t: Linked, family: str, coef: dict, lo: float, hi: float) -> None:
    """A row of a people table set by a family's released cells: the family's own table replaces
    it by the definition itself when it is asked to protect what the people table could not."""
    add_row(t, coef, lo, hi)
    t.sources[len(t.rows) - 1] = family


def _family_reach(tables: dict, keys: list, k: int) -> dict:
    """{(people indicator, span): (lowest, highest)} of the family count that bounds it
    (PEOPLE_AT_MOST) as the family's own table's attacker works it out from everything shown and
    given before: a count hidden as a complement can still be a difference of counts shown."""
    out = {}
    returning = ("returning contacts", ("contacts", "kind", ["returning person"]))   # people not new
    first = ("new contacts", ("contacts", "kind", ["new person"]))   # new people: one each, at least
    for ind, (fam, dim, cats) in [*PEOPLE_AT_MOST.items(), returning, first]:
        ft = tables.get(fam)
        if ft is None or not FAMILIES[fam].disclosive:
            continue
        aud, n = Auditor(ft.table, k), sum(1 for v in ft.var if v[0] == "T")
        for a, b in keys:
            if b >= n:
                continue
            coef = ft.expr(a, b, dim, cats) if dim else ft.expr(a, b)
            if not coef:
                # no such category in the year's data: the released categories say so (a kind the
                # data contract lists and the release does not is none), so the count is 0. On 5
                # July of a first year, no contact of a returning person held June's 14 people all
                # new, and Q1's 41 new people less April's 21 gave May's `<10` as 6 (helper-42)
                out[(ind, (a, b))] = (0.0, 0.0)
                continue
            lo, hi, _ = aud.range(coef)
            if lo - 1e-6 <= ft.value(coef) <= hi + 1e-6:   # (nan, a solver's doubt, says nothing)
                out[(ind, (a, b))] = (lo, hi)
    return out


def _digests_then(past: list[dict], fy: int, family: str) -> dict:
    """{release id: {month: the family's digest then}}, from the family's lines of each release."""
    out: dict = {}
    for e in _past(past, fy, "family", family):
        a, b = ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"])
        v = e.get("v")
        if a is not None and b is not None and v and len(v) == b - a + 1:
            out.setdefault(e.get("rid"), {}).update(zip(range(a, b + 1), v))
    return out


def _people_then_at_most(t: Linked, pos: dict, ind: str, ft, past: list[dict], fy: int, k: int, memo: dict) -> None:
    """A span's people as an earlier release had them (a variable of their own where its months
    have changed since: t.then) are at most the family's count that bounds them (PEOPLE_AT_MOST)
    as that release had it, as the family's own attacker works it out (its months then: the
    family's lines of that release). May's file replaced on 10 July: on 5 July Q1's 14 anonymous
    contacts, May's `x` and June's 0 left May's identified contacts then at April's anonymous ones
    (`<10`: at most 4 beside May's 14 contacts), and May's people then at least its new people then,
    Q1's 33 less April's 18 less June's people, 12 by People served on 11 July: April's anonymous
    were 3 or 4 (helper-43's seed 6). With this row, May's people then (`<10` on 5 July, a target)
    show it, and People served says less."""
    if not t.then or ft.digests is None or not FAMILIES[ft.name].disclosive:
        return
    _, dim, cats = PEOPLE_AT_MOST[ind]
    then_digests = _digests_then(past, fy, ft.name)
    n, today = sum(1 for v in ft.var if v[0] == "T"), set(pos.values())
    wanted = []
    for rid, (col, _) in t.then.items():
        months = then_digests.get(rid)
        for (a, b), var in col.items():
            if var in today or not months or b >= n or not all(i in months for i in range(a, b + 1)):
                continue
            # (keyed by the family too: the memo is shared by every people table, and a span's
            # referrals then bounded its Friday people then: monthly.py's seed 9 of session 49, a
            # row false of the data, so the audit had no solution)
            key = (ft.name, rid, (a, b))
            if key not in memo:
                changed = {i: months[i] for i in range(a, b + 1) if months[i] != ft.digests[i]}
                memo[key] = ft.expr_then(a, b, dim, cats, changed)
            wanted.append((var, key))
    aud = None
    for var, key in wanted:
        coef = memo[key]
        if isinstance(coef, dict):   # (an expression not yet worked out: its bound, once)
            if not coef:
                hi = 0.0
            else:
                aud = aud or Auditor(ft.table, k)   # (after every old variable above is made)
                lo, hi, _ = aud.range(coef)
                hi = float(math.floor(hi + 1e-6)) if hi == hi and hi != float("inf") else float("inf")
            memo[key] = hi
        hi = memo[key]
        if hi != float("inf"):
            _from(t, ft.name, {var: 1.0}, 0.0, hi)


def _cross_people(t: Linked, pos: dict, ind: str, key: tuple, shown: dict, people: dict, exact: dict, k: int,
                  said: dict | None = None, new: dict | None = None, reach: dict | None = None,
                  before: dict | None = None):
    """Rows of a people table from other tables' released values: at most its identified events,
    at least its new people (outreach), at least each service's people (the program's). The
    family's count is read as its own table's attacker works it out (`reach`), not only as shown:
    November's attendance hidden (`x`) is 15 all the same when the years to date around it say so."""
    v = int(exact[key].get(ind) or 0)
    r_lo, r_hi = (reach or {}).get((ind, key), (0.0, float("inf")))
    if ind in PEOPLE_AT_MOST:
        fam, dim, cats = PEOPLE_AT_MOST[ind]
        parts = [shown.get((fam, key, dim, c)) for c in cats] if dim else [shown.get((fam, key, None, None))]
        if dim and any(p is None for p in parts):  # a merged category: the total bounds them
            parts = [shown.get((fam, key, None, None))]
        hi = sum(bounds_of(p, k)[1] for p in parts) if all(p is not None for p in parts) else float("inf")
        if r_hi != float("inf"):
            hi = min(hi, math.floor(r_hi + 1e-6))
        if hi != float("inf") and v <= hi:
            _from(t, fam, {pos[key]: 1.0}, 0.0, hi)
    if ind == "friday.people":  # one row per attendee of a session: a span's people are at least
        att = shown.get(("attendance", key, None, None))  # its attendance over its sessions
        sessions = int(exact[key].get("friday.sessions") or 0)
        att_lo = max(bounds_of(att, k)[0] if att is not None else 0.0, math.ceil(r_lo - 1e-6) if r_lo > 0 else 0.0)
        if att_lo > 0 and sessions:
            floor = float(-(-int(att_lo) // sessions))
            if floor <= v:
                _from(t, "attendance", {pos[key]: 1.0}, floor, float("inf"))
    own = next((c for c in t.cells if c.key[1] == key), None)   # None: a span of earlier releases only
    locked = own is not None and own.locked
    if ind != "program.people":
        # People served given already: this service's count pins their difference, whichever table
        # protected it then (the program's, by showing this count rounded), so it is a cell here
        p_v = int(exact[key].get("program.people") or 0)
        lo, hi, given = _narrowed(said, ("program.people", key), p_v)
        if not given or locked:
            return
        p = t.services[(PEOPLE[-1], key)] = t.n_vars   # (People served's growth rows use it: _served_rows)
        t.n_vars += 1
        add_row(t, {p: 1.0}, lo, hi)
        add_row(t, {p: 1.0, pos[key]: -1.0}, 0.0, float("inf"))
        if 1 <= p_v - v <= k - 1:
            t.latent.append(Cell(("program.people", key, "not in", ind), {p: 1.0, pos[key]: -1.0}, p_v - v))
        # and the people of more than one service (the program's table counts them only while the
        # program's count is its own to show): the other services' counts as variables, held to
        # what today's release (services decided before this one) and earlier ones said of them
        others = {}
        for i in PEOPLE[:-1]:
            if i == ind:
                continue
            s_v = int(exact[key].get(i) or 0)
            s_lo, s_hi = (bounds_of(people[(i, key)], k) if people[(i, key)] != 0 else (0.0, 0.0)) \
                if (i, key) in people else (0.0, float("inf"))
            s_lo, s_hi, _ = _narrowed(said, (i, key), s_v, s_lo, s_hi)
            if not s_lo <= s_v <= s_hi:
                return
            others[i] = o = t.n_vars
            t.n_vars += 1
            _known_today(t, o, i, key, s_lo, s_hi, s_v, before)
        sup = t.n_vars
        t.n_vars += 1
        add_row(t, {sup: 1.0}, 0.0, _supply_people_hi(shown, key, k))
        coef = {pos[key]: 1.0, sup: 1.0, p: -1.0, **{o: 1.0 for o in others.values()}}
        add_row(t, coef, 0.0, float("inf"))
        both = v + sum(int(exact[key].get(i) or 0) for i in others) + int(exact[key].get("supplies") or 0) - p_v
        if 1 <= both <= k - 1:
            t.latent.append(Cell(("program.people", key, "in more than one service", ind), coef, both))
        return
    svc, gaps = {}, []
    for i in PEOPLE[:-1]:
        f = people.get((i, key))
        if f is None and not (said or {}).get((i, key)):
            continue
        lo, hi = (bounds_of(f, k) if f != 0 else (0.0, 0.0)) if f is not None else (0.0, float("inf"))
        # each service's count is a variable of this table, held to what its releases said (today's
        # and earlier ones, which may say more than a rounded figure of today), also of a span only
        # earlier releases gave: outreach's 19 of April-May (5 June) and June's people served no
        # more than outreach's (no suite data yet) grow the 5 people served of April-May not met
        # by outreach no more than to Q1's, ≈40 less outreach's 31 (5 July): 4 or 5 (helper-32)
        s_v = int(exact[key].get(i) or 0)
        lo, hi, _ = _narrowed(said, (i, key), s_v, lo, hi)
        if lo <= s_v <= hi:
            svc[i] = t.services[(i, key)] = s = t.n_vars
            t.n_vars += 1
            _known_today(t, s, i, key, lo, hi, s_v, before)
            add_row(t, {pos[key]: 1.0, s: -1.0}, 0.0, float("inf"))
            gaps.append((i, s, v - s_v))
    if locked:  # given already: nothing this table shows can protect what it pins
        return
    # people served by no service but this one's are a count of people too
    for i, s, gap in gaps:
        if 1 <= gap <= k - 1:
            t.latent.append(Cell((ind, key, "not in", i), {pos[key]: 1.0, s: -1.0}, gap))
    if len(svc) < len(PEOPLE) - 1:
        return
    # and the program has no more people than its services and its supply hand-outs to known
    # people together (each at least one unit): with no other service, its people are outreach's.
    # The services' people together, less the program's, count people of more than one service.
    sup_hi = _supply_people_hi(shown, key, k)
    sup_v = int(exact[key].get("supplies") or 0)
    sup = t.services[("supplies", key)] = t.n_vars
    t.n_vars += 1
    add_row(t, {sup: 1.0}, 0.0, sup_hi)
    add_row(t, {pos[key]: 1.0, sup: -1.0, **{s: -1.0 for s in svc.values()}}, -float("inf"), 0.0)
    both = sum(int(exact[key].get(i) or 0) for i in svc) + sup_v - v
    if 1 <= both <= k - 1:
        t.latent.append(Cell((ind, key, "in more than one service", None),
                             {pos[key]: -1.0, sup: 1.0, **{s: 1.0 for s in svc.values()}}, both))
    # outreach's people less its new people, which the program's count can pin through the rows above
    o = svc.get("outreach.people")
    n_shown = shown.get(("new_people", key, None, None))
    if o is not None and n_shown is not None and key in (new or {}):
        back = int(exact[key].get("outreach.people") or 0) - new[key]
        n_lo, n_hi = bounds_of(n_shown, k) if n_shown != 0 else (0.0, 0.0)
        if 1 <= back <= k - 1 and n_lo <= new[key] <= n_hi:
            n = t.n_vars
            t.n_vars += 1
            add_row(t, {n: 1.0}, n_lo, n_hi)
            add_row(t, {o: 1.0, n: -1.0}, 0.0, float("inf"))
            t.latent.append(Cell(("outreach.people", key, "not new", "program"), {o: 1.0, n: -1.0}, back))
            t.services[(NEW, key)] = n   # (_served_then bounds its people not new by an earlier version)


SERVICES = "services"   # Linked.sources: a row set by another people count of today's release
NEW = "new people"      # People served's table: Linked.services[(NEW, span)], outreach's new people (_cross_people)


def _services_bare(t: Linked, k: int) -> None:
    """A small count the table left to others, as pinned already by what other services show today
    (read as public, _not_public), is protected all the same where those rows are not: they are
    the services' as their tables were decided in step 2, and say less once step 3 has hidden more
    of the families beside them. Read as public, the Friday network's April people worked out on
    5 June as 5 or 6 (April's People served given ≈30 on 5 May, less outreach's 20; attendance)
    left April's people served not met by outreach (5) to them, and People served of April was
    shown exact, 25 beside outreach's 20, when the Friday network's range had widened that day all
    the same (helper-31's search, seed 416). This only hides more (the table's cells, shared)."""
    if not t.deferred:
        return
    keep = [i for i in range(len(t.rows)) if t.sources.get(i) != SERVICES]
    if len(keep) == len(t.rows):
        return
    bare = Linked(t.n_vars, cells=t.cells, rows=[t.rows[i] for i in keep], latent=t.latent,
                  sources={j: t.sources[i] for j, i in enumerate(keep) if i in t.sources},
                  headlines=t.headlines, roundable=t.roundable)
    protect(bare, k, incremental=True)


def _narrowed(said: dict | None, key: tuple, v: int, lo: float = 0.0, hi: float = float("inf")) -> tuple:
    """(lo, hi) narrowed by every range `said` holds of the count `key` (an indicator and a span)
    that its exact value v meets (one it does not is of other data: a revision), and whether any
    did."""
    given = False
    for r_lo, r_hi in (said or {}).get(key, []):
        if r_lo <= v <= r_hi:
            lo, hi, given = max(lo, r_lo), min(hi, r_hi), True
    return lo, hi, given


def _known_today(t: Linked, var: int, ind: str, key: tuple, lo: float, hi: float, v: int,
                 before: dict | None) -> None:
    """Hold a variable of this table (another indicator's count) to (lo, hi), what today's release
    and earlier ones say of it (services decided before today's, as their own tables' attackers
    work them out), marked as the services' (SERVICES: _not_public reads it as public, and
    _services_bare checks the table without it), and to what earlier releases alone said of it."""
    add_row(t, {var: 1.0}, lo, hi)
    t.sources[len(t.rows) - 1] = SERVICES
    p_lo, p_hi, _ = _narrowed(before, (ind, key), v)
    if p_lo > 0 or p_hi != float("inf"):
        add_row(t, {var: 1.0}, p_lo, p_hi)


def _growth_rows(t: Linked, pos: dict, exact: dict, grown: dict | None = None) -> None:
    """People served not met by a service grow from a span to a span around it by at most those of
    the months added: someone of the whole never met by the service either came in the part (and
    is one of its people not met by the service) or only in the months added. Without this row
    Q1's 40 people served beside outreach's 28, April-July's 61 beside 40, gave July's referral
    people (`<10`, the only other service) as 21 - 12 = 9 (helper-30, one release)."""
    p = PEOPLE[-1]
    for i in PEOPLE[:-1]:
        for (a, d) in pos:
            for (c, e) in pos:
                if (c, e) == (a, d) or not (a <= c and e <= d) or not (c == a or e == d):
                    continue
                rest = (e + 1, d) if c == a else (a, c - 1)
                if rest not in pos:
                    continue
                spans = ((a, d), (c, e), rest)
                if any((i, s) not in t.services for s in spans):
                    continue
                coef = _growth_coef([pos[s] for s in spans], [t.services[(i, s)] for s in spans])
                value = sum(int(exact[s].get(p) or 0) * sign - int(exact[s].get(i) or 0) * sign
                            for s, sign in zip(spans, (1.0, -1.0, -1.0)))
                if value <= 0:   # the exact figures always meet it (a data error aside)
                    add_row(t, coef, -float("inf"), 0.0)
    # each service's growth from the part to the whole as its own table works it out (_worked_out):
    # outreach's from April to April-May is at most May's new people in a first year, so People
    # served of April-May 20, of May at most 14 beside outreach's 11 and May's `<10` new people gave
    # April's `<10` as 8 or 9 (helper-32). The services' rows: see _services_bare
    for (i, w, q), ranges in (grown or {}).items():
        if (i, w) not in t.services or (i, q) not in t.services:
            continue
        lo, hi = max(r[0] for r in ranges), min(r[1] for r in ranges)
        add_row(t, {t.services[(i, w)]: 1.0, t.services[(i, q)]: -1.0}, lo, hi)
        t.sources[len(t.rows) - 1] = SERVICES


def _growth_coef(served, service) -> dict:
    """People served not met by a service, of a span (whole) less a part of it less the months
    added (rest): `served` and `service` are the three spans' variables, in that order. At most 0
    (_growth_rows, and the same of an earlier version: _served_then); a variable twice adds up."""
    coef: dict = {}
    for v, sign in zip((*served, *service), (1.0, -1.0, -1.0, -1.0, 1.0, 1.0)):
        coef[v] = coef.get(v, 0.0) + sign
    return coef


def _states_then(past: list[dict], fy: int) -> dict:
    """{release id: ({indicator or 'supplies': {month: digest of its people then}}, {span: at most
    how many people its supplies reached by code then})}, from each release's own ledger line."""
    out = {}
    for e in past:
        if e["table"] != "state" or e["what"] != "release":
            continue
        people = {ind: {i: h for m, h in by_month.items() if (i := ledger.index_of(fy, m)) is not None}
                  for ind, by_month in (e.get("people") or {}).items()}
        reach = {}
        for m_a, m_b, hi in e.get("supply_reach") or []:
            a, b = ledger.index_of(fy, m_a), ledger.index_of(fy, m_b)
            if a is not None and b is not None:
                reach[(a, b)] = float(hi)
        out[e.get("rid")] = (people, reach)
    return out


def _state_then(lines: list[dict], rid, fy: int) -> dict:
    """{month: the digest of an indicator's people then} as release `rid` saw them, from the
    indicator's ledger lines (`lines`), for a release written before releases kept a line of
    their own: its own lines say it; a month it wrote none of (the ledger keeps a line once) is
    known only when every line of that month, of any day, agrees (its state then is one of them)."""
    out, seen = {}, {}
    for e in lines:
        a, b = ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"])
        v = e.get("v")
        if not v or len(v) != b - a + 1:
            continue
        if e.get("rid") == rid:
            out.update(zip(range(a, b + 1), v))
        else:
            for i, h in zip(range(a, b + 1), v):
                seen.setdefault(i, set()).add(h)
    for i, hs in seen.items():
        if i not in out and len(hs) == 1:
            out[i] = next(iter(hs))
    return out


def _state_of(rid, states: dict, lines: dict, fy: int) -> tuple[dict, dict]:
    """(each service's and the supplies' {month: digest} as release `rid` saw them, its supplies'
    reach by span): from its own line, or for a release made before those, from the people lines
    (`lines`: indicator -> its lines) where they agree."""
    if rid in states:
        state, reach = states[rid]
        return {i: state.get(i, {}) for i in PEOPLE[:-1] + ["supplies"]}, reach
    return {i: _state_then(lines[i], rid, fy) for i in PEOPLE[:-1]} | {"supplies": {}}, {}


def _unchanged(then: dict, now: list, months) -> bool:
    """Were the months' people (digests `then`, {month: digest}, as an earlier release saw them)
    the same as today's (`now`, per month)? False where a month's state then is not known."""
    return all(m in then and m < len(now) and then[m] == now[m] for m in months)


def _moved(past: list[dict], fy: int, digests: dict) -> list[tuple]:
    """People served as earlier releases gave them for spans whose months have changed since, and
    the services (or 'supplies') that changed there or cannot be told: [(span, lo, hi, moved)]."""
    lines = {i: _past(past, fy, "people", i) for i in PEOPLE}
    states = _states_then(past, fy)
    out = []
    for e in lines[PEOPLE[-1]]:
        a, b = ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"])
        if not changed_months(e.get("v"), digests.get(PEOPLE[-1]), a, b):
            continue
        state, _ = _state_of(e.get("rid"), states, lines, fy)
        moved = {i for i in PEOPLE[:-1] + ["supplies"] if not _unchanged(state[i], digests.get(i) or [], range(a, b + 1))}
        out.append(((a, b), float(e["lo"]), float("inf") if e["hi"] is None else float(e["hi"]), moved))
    return out


def _served_then(t: Linked, pos: dict, past: list[dict], fy: int, digests: dict, exact: dict, k: int,
                 said: dict, added: dict | None = None, first_year: bool = False) -> None:
    """People served as an earlier release gave them, for months changed since (a late file, a
    corrected one: _people_then's variables), bound to the services as they were then: at least
    each service's people, at most all of them with the supplies' known people; a service whose
    months have not changed since has today's count then. And between the two versions, the
    people served added (or dropped) in a span are people of its changed months not met by a
    service that has not changed there. Without these, People served of June 12 on 5 July beside
    no suite data (so June's were outreach's), June's ≈10 (at most 14) on 20 July after June's
    suite stays came late, and Q1's ≈20 then ≈30 (at least one person more) gave June's people of
    the suite not met by outreach as 1 or 2 (helper-32). What the services and the supplies were
    then is read from the release's own ledger line (_states_then)."""
    p = PEOPLE[-1]
    if not t.then:
        return
    lines = {i: _past(past, fy, "people", i) for i in PEOPLE}
    states = _states_then(past, fy)
    today = {i: digests.get(i) or [] for i in PEOPLE[:-1] + ["supplies"]}
    made: dict = {}

    def var(lo=0.0, hi=float("inf")):
        v = t.n_vars
        t.n_vars += 1
        if lo > 0 or hi != float("inf"):
            add_row(t, {v: 1.0}, lo, hi)
        return v

    def service_now(i, span):   # a service's count today, as today's release and earlier ones say it
        if (i, span) in t.services:
            return t.services[(i, span)]
        if ("now", i, span) not in made:
            made[("now", i, span)] = var(*_narrowed(said, (i, span), int(exact.get(span, {}).get(i) or 0))[:2])
        return made[("now", i, span)]

    def unchanged(state, i, months):
        return _unchanged(state, today[i], months)

    today_vars = set(pos.values())
    then_exact = {(e.get("rid"), (ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"]))): float(e["lo"])
                  for e in lines[p] if e["hi"] is not None and float(e["lo"]) == float(e["hi"])}
    for rid, (col, changed) in t.then.items():
        state, reach = _state_of(rid, states, lines, fy)

        def then(i, span):   # a service's count as that release saw it (None: not known)
            months = range(span[0], span[1] + 1)
            if i == "supplies":
                if unchanged(state[i], i, months) and (i, span) in t.services:
                    return t.services[(i, span)]
                if span not in reach:
                    return None
                if ("reach", rid, span) not in made:
                    made[("reach", rid, span)] = var(0.0, reach[span])
                return made[("reach", rid, span)]
            if unchanged(state[i], i, months):
                return service_now(i, span)
            if not all(m in state[i] for m in months):
                return None
            h = tuple(state[i][m] for m in months)
            if ("then", i, span, h) not in made:
                rs = [(float(e["lo"]), float("inf") if e["hi"] is None else float(e["hi"])) for e in lines[i]
                      if (ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"])) == span
                      and tuple(e.get("v") or ()) == h]
                made[("then", i, span, h)] = var(max([r[0] for r in rs], default=0.0),
                                                 min([r[1] for r in rs], default=float("inf")))
            return made[("then", i, span, h)]

        for span, old in col.items():
            if old in today_vars:
                continue
            parts = {i: then(i, span) for i in PEOPLE[:-1] + ["supplies"]}
            for i, v in parts.items():   # at least each service's people then
                if v is not None and i != "supplies":
                    add_row(t, {old: 1.0, v: -1.0}, 0.0, float("inf"))
            if None not in parts.values():   # at most all of them together
                coef = {old: 1.0}
                for v in parts.values():
                    coef[v] = coef.get(v, 0.0) - 1.0
                add_row(t, coef, -float("inf"), 0.0)
            # the people served added since are people of a service changed there, as today's data
            # have them (those dropped, as that release's had them): April's People served 24 on 5
            # May, 32 on 20 May after April's referrals came late, left its referral people (`<10`)
            # at least 8 (helper-33)
            moved = [i for i in PEOPLE[:-1] + ["supplies"] if not unchanged(state[i], i, range(span[0], span[1] + 1))]
            for now, by in ((True, [t.services.get((i, span)) if i == "supplies" else service_now(i, span) for i in moved]),
                            (False, [parts[i] for i in moved])):
                if None not in by:
                    coef = {pos[span]: 1.0, old: -1.0} if now else {old: 1.0, pos[span]: -1.0}
                    for v in by:
                        coef[v] = coef.get(v, 0.0) - 1.0
                    add_row(t, coef, -float("inf"), 0.0)
                    # and the changed services' people today less those added are people of them
                    # served otherwise too: a count of people (helper-35: May's Friday file late,
                    # May's People served 15 then 25 beside 11 Friday people: 1 also met otherwise)
                    if now and then_exact.get((rid, span)) is not None:
                        value = sum(int(exact.get(span, {}).get(i) or 0) for i in moved) \
                            - int(exact.get(span, {}).get(p) or 0) + then_exact[(rid, span)]
                        if 1 <= value <= k - 1:
                            t.latent.append(Cell((p, span, "served otherwise too", rid), {j: -x for j, x in coef.items()},
                                                 int(value)))
            # where loads since that release only added people (_only_added: every service's people
            # then are among today's), each person served added is a person a changed service added:
            # People served grew by at most what those services grew by. So People served less
            # outreach's grows by no more than nothing when only outreach's file came late (helper-37:
            # May's outreach file late, Q1's People served not met by outreach at most 24 - 20 then,
            # at least 27 - 24 now: 3 or 4)
            if moved and PEOPLE[-1] in (added or {}).get(rid, ()):
                grew = [(t.services.get((i, span)) if i == "supplies" else service_now(i, span), parts[i]) for i in moved]
                if all(a is not None and b is not None for a, b in grew):
                    coef = {pos[span]: 1.0, old: -1.0}
                    for a, b in grew:
                        coef[a] = coef.get(a, 0.0) - 1.0
                        coef[b] = coef.get(b, 0.0) + 1.0
                    add_row(t, coef, -float("inf"), 0.0)
            # the people served added since (or dropped): people of the changed months (each run of
            # them a span of the table, or its months) not met there by a service unchanged there,
            # as today's data have them (added) or as that release's did (dropped)
            for now, have in ((True, pos), (False, col)):
                runs = cover_runs(span, changed, have)
                if runs is None:
                    continue
                for i in [None] + PEOPLE[:-1] + ["supplies"]:
                    met = {}
                    if i is not None:
                        if not all(unchanged(state[i], i, range(c[0], c[1] + 1)) for c in runs):
                            continue
                        met = {c: (t.services.get((i, c)) if i == "supplies" else service_now(i, c)) for c in runs}
                        if None in met.values():
                            continue
                    coef = {pos[span]: 1.0, old: -1.0} if now else {old: 1.0, pos[span]: -1.0}
                    for c in runs:
                        coef[have[c]] = coef.get(have[c], 0.0) - 1.0
                        if i is not None:
                            coef[met[c]] = coef.get(met[c], 0.0) + 1.0
                    add_row(t, coef, -float("inf"), 0.0)
            # each person served added since (or dropped) was served in a changed month by a service
            # changed there, and by none in the span's months that have not changed: at most, for
            # each such service and run of changed months, its people of the run and an unchanged
            # neighbour less the neighbour's. June's outreach file late: Q1-July's People served
            # 42 then 45 left June's outreach people not seen in April-May at least 3 (seed 147)
            runs = cover_runs(span, changed, pos)
            svcs = [i for i in PEOPLE[:-1] if not unchanged(state[i], i, range(span[0], span[1] + 1))]
            if runs is not None and unchanged(state["supplies"], "supplies", range(span[0], span[1] + 1)):
                for now in (True, False):
                    count = service_now if now else then
                    coef = {pos[span]: 1.0, old: -1.0} if now else {old: 1.0, pos[span]: -1.0}
                    for i in svcs:
                        for c in runs:
                            u = next((u for u in ((span[0], c[0] - 1), (c[1] + 1, span[1])) if u[0] <= u[1]
                                      and all(unchanged(state[j], j, range(u[0], u[1] + 1))
                                              for j in PEOPLE[:-1] + ["supplies"])), None)
                            both = c if u is None else (min(u[0], c[0]), max(u[1], c[1]))
                            terms = [(count(i, both), -1.0)] + ([] if u is None else [(count(i, u), 1.0)])
                            if any(v is None for v, _ in terms):
                                coef = None
                                break
                            for v, w_ in terms:
                                coef[v] = coef.get(v, 0.0) + w_
                            # the service's people of the run not met in the neighbour are a count of
                            # people this row bounds: June's suite stays late, People served 51 then
                            # 54 held June's suite guests not in April-May (4) at 3 or more, and the
                            # suite's ≈10 less April-May's 10 at 4 or less (helper-37's seed 609)
                            gap = int(exact.get(both, {}).get(i) or 0) - int(exact.get(u, {}).get(i) or 0) \
                                if now and u is not None and both in exact and u in exact else 0
                            if 1 <= gap <= k - 1:
                                t.latent.append(Cell((i, both, "not in", u), {count(i, both): 1.0, count(i, u): -1.0},
                                                     gap))
                        if coef is None:
                            break
                    if coef is not None:
                        add_row(t, coef, -float("inf"), 0.0)
        # in a first year, outreach's people of a span not new are people met by outreach in the months
        # before it: where outreach's months have not changed since, they were served in both then.
        # April-May's People served 10 (5 June) and Q1's 27 (5 July), May's referrals late, and June's
        # 18 beside none of June's referrals held June's outreach people not new (1) at 1 with June's
        # 17 contacts of a new person (seed 5286 of helper-36's generator, May's file two months late)
        if first_year:
            for w, jw in col.items():
                if w[0] != 0 or not unchanged(state["outreach.people"], "outreach.people", range(0, w[1] + 1)):
                    continue
                for q, jq in col.items():
                    rest = (q[1] + 1, w[1])
                    if q[0] != 0 or not q[1] < w[1] or rest not in col:
                        continue
                    o, n = t.services.get(("outreach.people", rest)), t.services.get((NEW, rest))
                    if o is None or n is None or {jw, jq, col[rest]} <= today_vars:
                        continue
                    add_row(t, {o: 1.0, n: -1.0, jq: -1.0, col[rest]: -1.0, jw: 1.0}, -float("inf"), 0.0)
        # and within that release, People served grew from a span to a span around it by no more than
        # the services did then, each by no more than its people of the months added (_growth_rows,
        # of that version): April's Friday file missing on 5 June, April-May's People served ≈50 then
        # beside May's 36, and outreach's April-May 35 and May's ≈30, held April's outreach people
        # not seen in May (9) at 9 or 10 (helper-36's seed 479)
        for w in col:
            for q in col:
                if q == w or not (w[0] <= q[0] and q[1] <= w[1] and (q[0] == w[0] or q[1] == w[1])) \
                        or (col[w] in today_vars and col[q] in today_vars):
                    continue
                rest = (q[1] + 1, w[1]) if q[0] == w[0] else (w[0], q[0] - 1)
                # and its people served not met by a service grew by at most those of the months
                # added, as that version had them (_growth_rows): May's Friday file late, Q1's People
                # served 35 beside outreach's 24 and April-May's at most 14 beside 10 (outreach
                # unchanged since) held June's people served not met by outreach (8) at 7 or more,
                # and June's 23 beside outreach's ≈20 at 8 or less (helper-36's generator, seed 7528)
                if rest in col and not {col[w], col[q], col[rest]} <= today_vars:
                    for i in PEOPLE[:-1]:
                        vs = (then(i, w), then(i, q), then(i, rest))
                        if None in vs:
                            continue
                        add_row(t, _growth_coef((col[w], col[q], col[rest]), vs), -float("inf"), 0.0)
                grew = {i: (then(i, w), then(i, q)) for i in PEOPLE[:-1] + ["supplies"]}
                if any(None in v for v in grew.values()):
                    continue
                coef = {col[w]: 1.0, col[q]: -1.0}
                for i, (vw, vq) in grew.items():
                    coef[vw] = coef.get(vw, 0.0) - 1.0
                    coef[vq] = coef.get(vq, 0.0) + 1.0
                    vr = then(i, rest) if i != "supplies" else None
                    if vr is not None:
                        add_row(t, {vw: 1.0, vq: -1.0, vr: -1.0}, -float("inf"), 0.0)
                add_row(t, coef, -float("inf"), 0.0)


def _changed_people(e: dict, fy: int, digests: dict) -> bool:
    """Is ledger line e a people count of this year made when some of its months' people were
    others?"""
    a, b = ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"])
    return a is not None and b is not None and bool(changed_months(e.get("v"), digests.get(e["what"]), a, b))


def _supply_people_hi(shown: dict, key: tuple, k: int) -> float:
    """At most how many people a span's supply hand-outs reached by their code (People served
    counts them), as the released supplies say: each of them had at least one unit, and only the
    units handed out anonymously in person certainly had no code (an online request may carry
    one). The supplies' figures are exact, a reach not shown being none: the total less those
    units. The known person's units alone were too few (an online request with a code), and the
    total alone too many: every April unit handed out anonymously in person beside People served
    22, outreach's 12 and the Friday network's 12 gave the people of both as 2 (helper-32)."""
    total = shown.get(("supplies", key, None, None))
    if total is None:
        return float("inf")
    hi = bounds_of(total, k)[1] if total != 0 else 0.0
    anon = shown.get(("supplies", key, "reach", "anonymous, in person"))
    if anon is not None and anon != 0:
        hi -= bounds_of(anon, k)[0]
    return max(hi, 0.0)


def _served_rows(ind: str, pos: dict, people: dict, shown: dict, exact: dict, k: int,
                 said: dict | None = None, moved: list | None = None, served: dict | None = None) -> list:
    """Rows of a service's people table from the program's released counts (people served): at
    most those, and at least those less every other service's people and the supplies' known
    people as released (step 2b of _build). And from a span to a span around it (today's or an
    earlier release's), people served grow by no more than the services' people do together with
    the supplies' known people: everyone served in the whole but not in the part was met by some
    service in the whole and not in the part. Without it, People served of April 10 (5 May) and
    of April-May 28 beside the Friday network's 10 of May (5 June) left May's new outreach people
    (`<10`) 8 or 9 (helper-30's seed 96). Where the table has People served of a span as a
    variable of its own (`served`, {(PEOPLE[-1], span): variable}: _cross_people's, for its people
    not met by this service), the growth row is over it, not over its bounds: People served of
    Q1 20 (5 July) less April-May's at most 14 (20 June) left outreach's growth at least 6, but
    People served of April-May not met by outreach are at least Q1's not met by it when June's
    other services had no one, 20 less outreach's Q1, at most 18 by its new people: with
    outreach's 11 of April-May (5 June) and April-May's ≈10, 2 or 3 (seed 1385 of helper-36's
    generator, April's Friday file two months late)."""
    inf = float("inf")
    rows = []
    served = served or {}

    def known(i, key):   # an indicator's range as released today and before (None: never given)
        f = people.get((i, key))
        lo, hi = ((0.0, 0.0) if f == 0 else bounds_of(f, k)) if f is not None else (0.0, inf)
        lo, hi, _ = _narrowed(said, (i, key), int(exact.get(key, {}).get(i) or 0), lo, hi)
        return (lo, hi) if f is not None or hi != inf or lo > 0 else None

    for key, j in pos.items():
        given = people.get((PEOPLE[-1], key))
        if given is None:
            continue
        p_lo, p_hi = (0.0, 0.0) if given == 0 else bounds_of(given, k)
        rest = [people.get((i, key)) for i in PEOPLE[:-1] if i != ind]
        rest_hi = sum(0.0 if r == 0 else bounds_of(r, k)[1] for r in rest) + _supply_people_hi(shown, key, k) if None not in rest else inf
        lo = max(0.0, p_lo - rest_hi)
        v = int(exact[key].get(ind) or 0)
        if (lo > 0 or p_hi != inf) and lo <= v <= p_hi:
            rows.append(({j: 1.0}, lo, p_hi))
    for (a, d), jw in pos.items():
        whole = known(PEOPLE[-1], (a, d))
        if whole is None:
            continue
        for (c, e), jp in pos.items():
            if (c, e) == (a, d) or not (a <= c and e <= d):
                continue
            part = known(PEOPLE[-1], (c, e))
            if part is None:
                continue
            added = [s for s in ((a, c - 1), (e + 1, d)) if s[0] <= s[1]]
            # the added months' people of a service, or the whole's less the part's
            grow = 0.0
            for i in PEOPLE[:-1]:
                if i == ind:
                    continue
                w_r, p_r = known(i, (a, d)), known(i, (c, e))
                g = (w_r[1] - p_r[0]) if w_r is not None and p_r is not None else inf
                parts = [known(i, s) for s in added]
                if None not in parts:
                    g = min(g, sum(r[1] for r in parts))
                grow += g
            sup = min(_supply_people_hi(shown, (a, d), k), sum(_supply_people_hi(shown, s, k) for s in added))
            lo = whole[0] - part[1] - grow - sup
            v = int(exact[(a, d)].get(ind) or 0) - int(exact[(c, e)].get(ind) or 0)
            pw, pp = served.get((PEOPLE[-1], (a, d))), served.get((PEOPLE[-1], (c, e)))
            if (pw is not None or pp is not None) and grow + sup != inf:
                # over the program's own variables: S_w - S_p - P_w + P_p >= -(grow + sup)
                coef, lo_v, v_v = {jw: 1.0, jp: -1.0}, -grow - sup, float(v)
                for var, key, sign, bound in ((pw, (a, d), -1.0, whole[0]), (pp, (c, e), 1.0, -part[1])):
                    if var is None:
                        lo_v -= bound
                    else:
                        coef[var] = sign
                        v_v += sign * int(exact[key].get(PEOPLE[-1]) or 0)
                        rows.append(({var: 1.0}, *known(PEOPLE[-1], key)))
                if lo_v <= v_v:
                    rows.append((coef, lo_v, inf))
                    continue
            if lo > 0 and lo <= v:
                rows.append(({jw: 1.0, jp: -1.0}, lo, inf))
    # and since an earlier release's People served of a span whose months changed since, those
    # added are people of the services changed there: April's 24 on 5 May, 32 on 20 May after
    # April's referrals came late, left April's referral people (`<10`) at least 8 (helper-33)
    for key, then_lo, then_hi, changed in moved or []:
        now = known(PEOPLE[-1], key)
        if ind not in changed or key not in pos or now is None:
            continue
        rest = 0.0
        for i in changed - {ind}:
            r = (0.0, _supply_people_hi(shown, key, k)) if i == "supplies" else known(i, key)
            rest += r[1] if r is not None else inf
        lo = now[0] - then_hi - rest
        if lo > 0 and lo <= int(exact[key].get(ind) or 0):
            rows.append(({pos[key]: 1.0}, lo, inf))
    return rows


def _served(t: Linked, base: int, rows: list) -> None:
    """The rows from `base` on are People served's of today (step 2b): replaced by `rows`, each
    marked as today's (protect._not_public never reads them as public, in this table or a join)."""
    del t.rows[base:]
    for i in [i for i in t.sources if i >= base]:
        del t.sources[i]
    for row in rows:
        t.rows.append(row)
        t.sources[len(t.rows) - 1] = TODAY


def _still_pinned(t: Linked, k: int) -> None:
    """Small counts a service's table could not protect by hiding its own cells (all withheld,
    and still pinned through another family's released cells: outreach's people not met beside
    People served, by its new people capped by July's contacts of a new person) join its
    `deferred`, so that step 3 decides them with that family (_join_people): seed 1385."""
    t.deferred = list(t.deferred) + _pinned_now(t, k)


def _pinned_now(t: Linked, k: int) -> list:
    """The table's small counts, other than those it has deferred already, that are pinned as it
    now shows."""
    have = {id(c) for c in t.deferred}
    targets = [c for c in small_counts(t, k) if id(c) not in have]
    if not targets:
        return []
    aud = Auditor(t, k)
    return [c for c in targets if not aud.check(c.coef, c.value)[0]]


def _all_protected(t: Linked, k: int) -> bool:
    """Does every small count of the table, as it now shows, keep 3 values beside People served?
    The rows People served set (step 2b, marked TODAY by _served) are what it shows today and can
    still change, so a count only they pin is a target here (read as public, it was never protected:
    helper-28). Asked twice, and both must hold: with the rows set by today's family figures read
    as public (a count People served pins together with them), and without those rows (read as
    public, they hid what People served pinned alone: helper-30's June new people, Q1's 15 people
    served less April-May's 13 given before; left out alone, the pins of both together were
    missed: helper-31's seed 8, June's new people 33 - 25 and 47 - 25 - 14)."""
    targets = small_counts(t, k)
    if not targets:
        return True
    keep = [i for i in range(len(t.rows)) if t.sources.get(i) is None or t.sources[i] in NOT_PUBLIC]
    bare = Linked(t.n_vars, cells=t.cells, rows=[t.rows[i] for i in keep], latent=t.latent,
                  sources={j: t.sources[i] for j, i in enumerate(keep) if t.sources.get(i) in NOT_PUBLIC})
    for tt in (t, bare):
        kept = _not_public(tt, k, targets)
        if kept:
            aud = Auditor(tt, k)
            if not all(aud.check(c.coef, c.value)[0] for c in kept):
                return False
    return True


def _served_say_less(program_cells: list, k: int, as_, protected) -> bool:
    """People served's counts say less, the cheapest first, until `protected()`: rounded, then (a
    second round) hidden; `as_(cell, status)` shows one so and sets the rows it sets again. Either
    only says less, so every audit before still holds. The cheaper ones tried before the one that
    protects may not be needed with it: each shows again as before where the table stays protected
    (June's 5 May-only people served hidden beside April-May's rounded, which alone protects: seed
    96). True when protected."""
    steps = {"pub": "rnd", "rnd": "sec"}
    said_less = []   # (cell, its status before)
    for _ in range(2):
        for c in sorted(program_cells, key=lambda c: (cost(c.key), c.key[1])):
            if c.locked or c.value < k or c.status not in steps:
                continue
            said_less.append((c, c.status))
            as_(c, steps[c.status])
            if protected():
                for c_, before in said_less[:-1]:
                    now = c_.status
                    as_(c_, before)
                    if not protected():
                        as_(c_, now)
                return True
    return False


def _worked_out(said: dict, people_tables: dict, k: int, exact: dict, memo: dict | None = None) -> tuple[dict, dict]:
    """What an attacker can work out of each service's people count, not only what it shows or
    earlier releases said (outreach's ≈30 beside 31 identified contacts is 25..31; in the first
    year, its people to date are its new people to date): each from its own table as decided now,
    so a count rounded since is read as rounded. The tables decided after it hold it to that.
    ({(indicator, span): ranges}, {(indicator, whole, part): ranges of their difference})."""
    out = {key: list(v) for key, v in said.items()}
    grown: dict = {}
    memo = {} if memo is None else memo
    for ind, (t, pos) in people_tables.items():
        if ind == PEOPLE[-1]:
            continue
        state = (id(t), tuple(c.status for c in t.cells))
        if state not in memo:   # the same table, nothing changed since: the same ranges (the table
            aud = Auditor(t, k)  # is kept with them, so that its id is never another's)
            own = [c for c in t.cells if c.key[0] == ind]
            ranges = [(c.key[1], *aud.range(c.coef)[:2], c.value) for c in own]
            # and a span less a span inside it that shares an end (the months added), as the table
            # works it out: outreach's April-May less April are May's new people in a first year.
            # Also of spans only earlier releases gave: Q1's outreach people less April-May's (5
            # June) are June's new people in a first year, at most its 24 contacts of a new person,
            # so Q1's People served 51 less April-May's 25 left June's people served not met by
            # outreach at least 2, and June's ≈30 beside outreach's 31 at most 3 (helper-33)
            for w in pos:
                for q in pos:
                    (a, d), (c_, e) = w, q
                    if (c_, e) != (a, d) and a <= c_ and e <= d and (a == c_ or d == e):
                        v = int(exact.get(w, {}).get(ind) or 0) - int(exact.get(q, {}).get(ind) or 0)
                        ranges.append(((w, q), *aud.range({pos[w]: 1.0, pos[q]: -1.0})[:2], v))
            memo[state] = (t, ranges)
        for key, lo, hi, v in memo[state][1]:
            if lo <= v <= hi:   # (nan, a solver's doubt, says nothing)
                if isinstance(key[0], tuple):   # (whole, part)
                    grown.setdefault((ind, *key), []).append((lo, hi))
                else:
                    out.setdefault((ind, key), []).append((lo, hi))
    return out, grown


def _services_rounding(t: Linked, ind: str, people: dict, cells: dict, k: int) -> bool:
    """People of more than one service, once People served was given, that this service's table
    could not protect because a service decided before it showed its count exact (outreach's 30
    beside People served 47 given earlier, and the Friday network's 20 pinned by its attendance:
    3 people of both): those services' counts are shown rounded instead, which only says less of
    them. True when one changed (the caller decides this service's table again)."""
    changed = False
    for c in t.deferred:
        if c.key[2] != "in more than one service":
            continue
        for i in PEOPLE[:PEOPLE.index(ind)]:
            x = cells.get((i, c.key[1]))
            if x is not None and x.status == "pub" and x.value >= k and not x.locked:
                x.status = "rnd"
                people[(i, c.key[1])] = mark(x, k)
                changed = True
    return changed


def _join_people(ft, pt: Linked, pos: dict, ind: str, exact: dict, fy: int, k: int,
                 past: list[dict] | None = None, runs: list = ()) -> Linked:
    """A family's table joined with a people table whose small counts it alone could not protect
    (`Linked.deferred`: pinned by this family's released cells, such as outreach's identified
    contacts capping its people beside People served given earlier). The people counts are rows
    at what they show (never complements); the people table's rows set by this family are
    replaced by the definitions themselves (people at most their identified contacts, attendance,
    nights; attendance at most people times sessions; nights at most a night a day each; new
    people at most the contacts of a new person), so hiding this family's cells can protect them."""
    fam = ft.name
    # a span's people as an earlier release had them (months changed since) are at most its
    # identified contacts then (the people table bounds them by what the family's own attacker
    # works out, _people_then_at_most, a row this join replaces: here the definition itself, made
    # before the join's variables are laid out, an old month's variables being the family's); and
    # outreach's are at most People served then, and all of them where that release showed no
    # other service's people and its supplies reached no one by code. 21 August (June's file
    # replaced) showed Q1's 64 and the year to date's 85 contacts, which gave June's contacts of 5
    # August as 35 beside June's 34 People served then (outreach its only service): June's
    # anonymous contacts `<10` of 5 August were 1 (fuzz seed 487 of session 48)
    then_rows = []
    if pt.then and ft.digests is not None and past and ind in PEOPLE_AT_MOST:
        _, dim, cats = PEOPLE_AT_MOST[ind]
        digs, n0, now = _digests_then(past, fy, fam), sum(1 for v in ft.var if v[0] == "T"), set(pos.values())
        said = {}
        for e in past:
            if e["table"] == "people":
                said[(e.get("rid"), e["what"], (ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"])))] = \
                    (float(e["lo"]), float("inf") if e["hi"] is None else float(e["hi"]))
        others, reach = [i for i in PEOPLE[:-1] if i != ind], _states_then(past, fy)
        for rid, (col, _) in pt.then.items():
            months = digs.get(rid)
            for (a, b), var in col.items():
                if var in now or not months or b >= n0 or not all(i in months for i in range(a, b + 1)):
                    continue
                changed = {i: months[i] for i in range(a, b + 1) if months[i] != ft.digests[i]}
                then_rows.append((ft.expr_then(a, b, dim, cats, changed), var, 0.0, float("inf")))
                served = said.get((rid, PEOPLE[-1], (a, b)))
                if ind != "outreach.people" or served is None:
                    continue
                alone = all(said.get((rid, x, (a, b))) == (0.0, 0.0) for x in others) and \
                    reach.get(rid, ({}, {}))[1].get((a, b)) == 0.0   # (supplies reached no one by code then)
                then_rows.append(({}, var, -served[1], -served[0] if alone else float("inf")))
    off = ft.table.n_vars

    def sh(coef):
        return {v + off: w for v, w in coef.items()}

    # the people table's cells are cells here too (the same objects, so what this decides is what
    # they show), moved past the family's variables: either may be hidden more to protect them
    for c in pt.cells:
        c.coef = sh(c.coef)
    # (the rows today's people counts set on the family's cells are relations of its cells and
    # those counts here, which it may hide: fixed as shown, they would pin what hiding protects)
    rows = [(coef, 0.0, float("inf")) if r in ft.people_rows else (coef, lo, hi) for r, (coef, lo, hi) in enumerate(ft.table.rows)]
    j = Linked(off + pt.n_vars, cells=ft.table.cells + pt.cells, rows=rows,
               latent=list(ft.table.latent), headlines=ft.table.headlines,
               roundable=ft.table.roundable | pt.roundable,
               sources={i: s for i, s in ft.table.sources.items() if s in NOT_PUBLIC})   # (its first rows)
    j.people_off = off   # (the people table's variables start here; runs' come after them)
    for coef, var, lo, hi in then_rows:   # (coef - people then between lo and hi)
        j.rows.append(({**coef, var + off: -1.0}, lo, hi))
    served = len(pt.rows) if pt.served_from is None else pt.served_from   # People served's rows: last
    for r, (coef, lo, hi) in enumerate(pt.rows[:served]):
        if pt.sources.get(r) != fam:
            j.rows.append((sh(coef), lo, hi))
            if pt.sources.get(r) == TODAY:
                j.sources[len(j.rows) - 1] = TODAY
    # its small counts it could not protect: a cell is a cell here already (moved above; moving
    # it again would audit another expression), a count never shown is moved now. And every small
    # count the people table keeps that the family's figures bound: the new people of a run of
    # months, protected in the people table alone, were pinned by the contacts of a new person
    # shown here (June-July's 7 new people at 6 or 7 on 11 August: helper-45's seed 262), and its
    # people not new: 12 August's year to date of 11 contacts, none anonymous, and 10 people, all
    # new, left the months' people at most 11 together, so July's one person who came back was 0
    # or 1 (fuzz seed 35 of session 48)
    own = {id(c) for c in pt.cells}
    j.latent += [Cell(c.key, sh(c.coef), c.value) for c in pt.deferred if id(c) not in own]
    if fam == "contacts":
        deferred = {id(c) for c in pt.deferred}
        j.latent += [Cell(c.key, sh(c.coef), c.value, small_known=c.small_known, then=c.then)
                     for c in pt.latent if id(c) not in deferred and 1 <= c.value <= k - 1]
    n = sum(1 for v in ft.var if v[0] == "T")
    _, dim, cats = PEOPLE_AT_MOST[ind]
    # every run of months no release shows has a people variable here (only here: the family's
    # contacts are what bound it), tied to the spans around it, and its people are a count to
    # protect. 5 August: the year to date's 52 people, no more than April's 15, July's 30 and
    # May-June's together, and no more May-June people than its 8 contacts (31 to June less
    # April's 23, none anonymous): May-June's, never shown, 7 or 8 (helper-45's seed 99)
    # (a run of k people or more is no target, and no other's bound here: left out)
    extra = [r for r in runs if r not in pos and r[1] < n and 1 <= int(exact.get(r, {}).get(ind) or 0) <= k - 1]
    shown, mine = {key: off + v for key, v in pos.items()}, {r: j.n_vars + i for i, r in enumerate(extra)}
    j.n_vars += len(extra)
    _run_rows(j, shown, mine)
    j.latent += [Cell((ind, r, "run", None), {v: 1.0}, int(exact[r][ind]), small_known=False) for r, v in mine.items()]
    at = {**shown, **mine}
    for (a, b), p in at.items():
        if b >= n:
            continue
        people = int(exact.get((a, b), {}).get(ind) or 0)
        coef = ft.expr(a, b, dim, cats) if dim else ft.expr(a, b)
        if ft.value(coef) >= people:   # the exact figures always meet a row (a data error aside)
            j.rows.append(({**coef, p: -1.0}, 0.0, float("inf")))
        each = _each_at_most(fam, a, b, exact, fy)
        if each is not None and ft.value(ft.expr(a, b)) <= people * each:
            j.rows.append(({**ft.expr(a, b), p: -float(each)}, -float("inf"), 0.0))
        if fam == "contacts" and hasattr(pt, "new_expr"):
            coef = ft.expr(a, b, "kind", ["new person"])
            if ft.value(coef) >= pt.new_value(a, b):
                j.rows.append(({**coef, **{x: -w for x, w in sh(pt.new_expr(a, b)).items()}}, 0.0, float("inf")))
            back = ft.expr(a, b, "kind", ["returning person"])   # not new: only returning contacts
            if people - pt.new_value(a, b) <= ft.value(back):
                j.rows.append(({p: 1.0, **{x: -w for x, w in sh(pt.new_expr(a, b)).items()},
                                **{x: -w for x, w in back.items()}}, -float("inf"), 0.0))
    if fam == "contacts" and hasattr(pt, "new_family") and past:
        _new_contacts_then(j, ft, pt.new_family, off + pt.new_off, past, fy)
    if pt.served_from is not None:   # (so that step 3 can set them again: _served)
        j.served_from = len(j.rows)
        _served(j, j.served_from, [(sh(coef), lo, hi) for coef, lo, hi in pt.rows[served:]])
    return j


def _new_contacts_then(j: Linked, ft, ftn, off: int, past: list[dict], fy: int) -> None:
    """Each month's contacts of a new person are at least its new people, also as an earlier
    release had both, where either has changed since (a corrected file): the attacker keeps that
    release. On 5 July Q1's 59 contacts of a new person beside its 59 new people said each month's
    were its new people; May corrected on 10 August, June's total (11 August) less its anonymous
    and at most its 29 people new left June's returning contacts at least 7, and Q1's 19 less May's
    11 gave April's `<10` as 1 (helper-45's seed 53). Only over versions the tables already have
    (their old blocks: a block made here would be variables past the join's)."""
    n = min(sum(1 for v in ft.var if v[0] == "T"), sum(1 for v in ftn.var if v[0] == "T"))
    contacts_then, new_then = _digests_then(past, fy, ft.name), _digests_then(past, fy, ftn.name)
    done = set()
    for rid, months in new_then.items():
        c_months = contacts_then.get(rid, {})
        for i, hn in months.items():
            hc = c_months.get(i)
            if i >= n or hc is None:
                continue
            c_then = {i: hc} if ft.digests and hc != ft.digests[i] else {}
            n_then = {i: hn} if ftn.digests and hn != ftn.digests[i] else {}
            if not c_then and not n_then or (i, hc, hn) in done:
                continue   # (today's months: the rows above)
            if c_then and (i, hc) not in ft.old or n_then and (i, hn) not in ftn.old:
                continue
            done.add((i, hc, hn))
            coef = dict(ft.expr_then(i, i, "kind", ["new person"], c_then))
            for v, w in ftn.expr_then(i, i, None, None, n_then).items():
                coef[v + off] = coef.get(v + off, 0.0) - w
            j.rows.append((coef, 0.0, float("inf")))


def _program_deferred(t: Linked, pos: dict, people: dict, cells: dict, k: int, again) -> Linked:
    """Small counts of People served that its table cannot protect because the services' counts
    pin them (outreach the only service: the program's year to date less July's, given exact
    before, is outreach's year to date less 37, whatever the program's count shows): the
    services' exact counts of those spans are shown rounded instead. Kept when fewer are left
    unprotected."""
    spans = {key for c in t.deferred for key, v in pos.items() if v in c.coef}
    return _services_rounded_for(t, spans, people, cells, k, again, lambda tt: len(tt.deferred))


def _program_rounding_services(t: Linked, people: dict, cells: dict, k: int, again) -> Linked:
    """People served hidden for a difference with a service it cannot protect alone (a service's 36
    exact beside the program's 45: ≈50 would say 9 to 18, and a count rounded for a small
    difference says it is at most 9): the services' exact counts of those spans are shown rounded
    instead. Kept when it hides fewer of the program's counts."""
    def hidden(tt):
        return sum(1 for c in tt.cells if c.key[0] == PEOPLE[-1] and c.status in ("sec", "wh"))
    spans = [c.key[1] for c in t.cells if c.key[0] == PEOPLE[-1] and c.status in ("sec", "wh")]
    return _services_rounded_for(t, spans, people, cells, k, again, hidden)


def _services_rounded_for(t: Linked, spans, people: dict, cells: dict, k: int, again, worse) -> Linked:
    """The services' exact counts of `spans` shown rounded (which only says less of them, so their
    own tables' audits still hold) and the program's table decided again: kept when `worse` is
    lower for it, else everything as it was."""
    changed = {}
    for key in spans:
        for i in PEOPLE[:-1]:
            c = cells.get((i, key))
            if c is not None and c.status == "pub" and c.value >= k and not c.locked:
                changed[(i, key)] = people[(i, key)]
                c.status = "rnd"
                people[(i, key)] = mark(c, k)
    if not changed:
        return t
    t2 = again()
    protect(t2, k)
    if worse(t2) < worse(t):
        return t2
    for (i, key), v in changed.items():
        cells[(i, key)].status = "pub"
        people[(i, key)] = v
    return t


def _each_at_most(fam: str, a: int, b: int, exact: dict, fy: int) -> int | None:
    """The most one person adds to a span's count of a family bounded by its people: a row per
    attendee of a session (the contract), so its sessions (public); a guest, a night a day."""
    if fam == "attendance":
        return int(exact.get((a, b), {}).get("friday.sessions") or 0)
    if fam == "nights":
        start = periods.fiscal_year(fy).start
        return (periods.month_end(periods.add_months(start, b)) - periods.add_months(start, a)).days + 1
    return None


def _cross_family(ft, people: dict, past: list[dict], fy: int, exact: dict, k: int) -> bool:
    """Floors (and the new people's cap) that released people counts set on a family's cells,
    today's and earlier releases'; True when a row was added."""
    relations = dict((ind, rel) for ind, rel in PEOPLE_AT_MOST.items() if rel[0] == ft.name)
    given: dict = {}   # what earlier releases gave: public
    for e in past:
        if e["table"] == "people":
            a, b = ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"])
            if a is not None and b is not None and a <= b:
                given.setdefault((e["what"], (a, b)), (float(e["lo"]), float("inf") if e["hi"] is None else e["hi"]))
    # today's people counts set rows too, marked as today's: a small count they pin beside what was
    # given before is still a target (`_not_public`), and a join with the people table, which has
    # those counts as cells of its own that it may hide, leaves these rows out (ft.people_rows).
    # Read as given, May's 31 people shown on 5 July held May's identified contacts at 31 or more,
    # so its anonymous contacts (`<10`) were 1 or 2 of its 33, taken as public and shown so: fuzz
    # seed 76 of session 48, within one release
    today = [(key, bd, True) for key, v in people.items() if given.get(key) != (bd := bounds_of(v, k))]
    n = sum(1 for v in ft.var if v[0] == "T")
    first = len(ft.table.rows)
    for (ind, (a, b)), (p_lo, p_hi), todays in [(key, bd, False) for key, bd in given.items()] + today:
        if b >= n:
            continue
        start = len(ft.table.rows)
        _people_floor(ft, ind, a, b, p_lo, p_hi, relations, exact, fy)
        if todays:
            for r in range(start, len(ft.table.rows)):
                ft.table.sources[r] = TODAY
                ft.people_rows.add(r)
    return len(ft.table.rows) > first


def _people_floor(ft, ind: str, a: int, b: int, p_lo: float, p_hi: float, relations: dict, exact: dict,
                  fy: int) -> None:
    """_cross_family's rows of one people count known to be p_lo..p_hi."""
    each = _each_at_most(ft.name, a, b, exact, fy) if ind in relations else None
    if each is not None and p_hi != float("inf"):   # and caps: at most its people times that
        coef = ft.expr(a, b)
        cap = float(p_hi) * each
        if coef and ft.value(coef) <= cap:
            add_row(ft.table, coef, 0.0, cap)
    if ind not in relations:
        return
    _, dim, cats = relations[ind]
    coef = ft.expr(a, b, dim, cats) if dim else ft.expr(a, b)
    lo, hi = (p_lo if p_hi > 0 else 0.0), float("inf")
    if coef and lo <= ft.value(coef) <= hi:
        add_row(ft.table, coef, lo, hi)


def _new_contacts_floors(ft, joint: Linked, k: int) -> bool:
    """Floors on outreach's contacts of a new person from its new people: every new person has one
    on their first day, so a span's contacts of a new person are at least its new people, as the
    attacker of the people table they were decided in (`joint`, _with_new_people) works them out
    from what it shows: every month and every span shown. Without them, April's 26 new people
    beside its 29 contacts left its anonymous and returning contacts, each `<10`, at most 3
    together (helper-43); April-May's 35 contacts of a new person beside April's 20 new people and
    May's 15 held April's at 20. True when a row was added. (The new people are decided by now;
    what is hidden later only says less, so these floors are never stronger than the attacker's.)"""
    n = sum(1 for v in ft.var if v[0] == "T")
    spans_ = {(i, i) for i in range(n)} | {c.key[1] for c in joint.cells if c.key[0] == "new_people"}
    aud = Auditor(joint, k)
    added = False
    for a, b in sorted(sp for sp in spans_ if sp[1] < n):
        new = joint.new_expr(a, b)
        if not new:
            continue
        lo = math.ceil(aud.range(new)[0] - 1e-6)
        coef = ft.expr(a, b, "kind", ["new person"])
        if lo >= 1 and coef and ft.value(coef) >= lo:   # (a data error aside, always)
            # a floor set by today's figures: a count it pins beside what was given before is still
            # a target (`_not_public` leaves TODAY's rows out of what is public). Read as given, the
            # floor from Q1's 68 people shown (a first year: 68 new) held July's contacts of a new
            # person at 23, April-July's 91 less those left Q1's new people at 68, and June's new
            # people (`<10`, 68 less April's 28 and May's 34) were taken as public, so Q1's 68 was
            # shown (helper-44's seed 38)
            add_row(ft.table, coef, float(lo), float("inf"))
            ft.table.sources[len(ft.table.rows) - 1] = TODAY
            ft.people_rows.add(len(ft.table.rows) - 1)   # (a join has the new people as cells)
            added = True
    return added


def _record_items(rel: Released, k: int) -> list[dict]:
    """The released table as ledger lines: released values only, as the ranges they say."""
    out = []
    month = [ledger.month_of(rel.fy, i) for i in range(12)]   # once, not twice a cell (15,000 at 10M)
    for (fam, (a, b), dim, cat), v in rel.cells.items():
        if not FAMILIES[fam].disclosive:
            continue
        lo, hi = bounds_of(v, k)
        if dim is None:
            members = None
        elif cat in (OTHERS, ALL):
            members = rel.merged.get((fam, dim), [])
        else:
            members = [cat]
        it = {"table": "family", "what": fam, "from": month[a], "to": month[b],
              "dim": dim, "members": members, "lo": lo, "hi": None if hi == float("inf") else hi}
        dg = rel.digests.get(fam)
        if dg is not None and b < len(dg):   # what its months were, so a later release knows a change
            it["v"] = dg[a:b + 1]
        out.append(it)
    for (ind, (a, b)), v in rel.people.items():
        lo, hi = bounds_of(v, k)
        it = {"table": "people", "what": ind, "from": month[a], "to": month[b],
              "dim": None, "members": None, "lo": lo, "hi": None if hi == float("inf") else hi}
        dg = rel.digests.get(f"people/{ind}")
        if dg is not None:
            it["v"] = dg[a:b + 1]
        out.append(it)
    # and one line of the release itself: what its months were (each people indicator's digests
    # and the supplies' known people's) and, per span, at most how many people its supplies reached
    # by code as released (supplies are not disclosive, so not kept above). A later release reads
    # the data as this one saw them by it (_served_then), not by guessing from lines written once
    state = {name.split("/", 1)[1]: dict(zip(month, dg)) for name, dg in rel.digests.items()
             if name.startswith("people/")}
    if state:
        reach = [[month[a], month[b], hi] for a, b in rel.regular
                 if (hi := _supply_people_hi(rel.cells, (a, b), k)) != float("inf")]
        out.append({"table": "state", "what": "release", "from": month[0], "to": month[11], "dim": None,
                    "members": None, "lo": 0.0, "hi": None, "people": state, "supply_reach": reach,
                    "before": rel.digests.get("before"), "batches": rel.digests.get("batches"),
                    "batch_months": rel.digests.get("batch_months"), "stay_months": True,
                    "files": rel.digests.get("files"),
                    "family_dims": {name.split("/", 1)[1]: {d: dict(zip(month, dg)) for d, dg in by.items()}
                                    for name, by in rel.digests.items() if name.startswith("dims/")},
                    # and per family, its months' digests and the raw categories it listed over the
                    # year to date (shown or merged): one it did not list was none then (_absent_then)
                    "family_months": {name: dict(zip(month, dg)) for name, dg in rel.digests.items()
                                      if name in FAMILIES and FAMILIES[name].disclosive and isinstance(dg, list)},
                    "family_cats": {name: {d: sorted({c for c in rel.categories.get((name, d), []) if c not in (OTHERS, ALL)}
                                                     | set(rel.merged.get((name, d), [])))
                                           for d in fam.dims}
                                    for name, fam in FAMILIES.items() if fam.disclosive},
                    "done": month[max(b for _, b in rel.regular)] if rel.regular else None})
    return out


def _family_dims_then(past: list[dict], fy: int, name: str) -> dict:
    """{release id: {"T" | dim: {month: digest}}}: a family's totals' and breakdowns' own digests as
    each earlier release recorded them (its "state" line; none before session 45's)."""
    out = {}
    for e in past:
        if e["table"] == "state" and e["what"] == "release" and (e.get("family_dims") or {}).get(name):
            out[e.get("rid")] = {d: {i: h for m, h in by.items() if (i := ledger.index_of(fy, m)) is not None}
                                 for d, by in e["family_dims"][name].items()}
    return out


def _family_cats_then(past: list[dict], fy: int, name: str) -> dict:
    """{release id: (its year to date's last month, {dim: raw categories it listed}, {month: the
    family's digest then})} from each earlier release's "state" line (none before session 46's)."""
    out = {}
    for e in past:
        if e["table"] == "state" and e["what"] == "release" and (e.get("family_cats") or {}).get(name) \
                and e.get("done") and (done := ledger.index_of(fy, e["done"])) is not None:
            months = {i: h for m, h in (e.get("family_months") or {}).get(name, {}).items()
                      if (i := ledger.index_of(fy, m)) is not None}
            out[e.get("rid")] = (done, {d: set(c) for d, c in e["family_cats"][name].items()}, months)
    return out


_CACHE: dict = {}
_LOCK = threading.Lock()


def _year_key(fy: int, path: str, today: dt.date) -> tuple[tuple, str, list, int]:
    """(the table's cache key, its release id, the ledger's lines of the year, k)."""
    k = suppress.threshold()
    key = (path, db.version(path), fy, k, today, periods.fiscal_start_month(), db.suite_units())
    rid = hashlib.sha256(repr(key[1:]).encode()).hexdigest()[:12]
    entries, by_rid = ledger.of_year(path, fy)
    return key + (len(entries) - by_rid[rid],), rid, entries, k  # its own lines do not make it rebuild


def year(fy: int, path=None, today: dt.date | None = None) -> Released:
    """The released table of fiscal year `fy` (cached per database version, year, k, day and the
    ledger's lines of other releases), recorded in the ledger before it is returned: LedgerError
    (nothing released) when the ledger cannot be written."""
    today = today or settings.today()
    path = str(path or db.db_path())
    full, rid, entries, k = _year_key(fy, path, today)
    with _LOCK:
        hit = _CACHE.get(full)
        if hit is None:
            saved = release_cache.load(path, full[1:])
            if saved is not None:
                hit = Released(**saved)
            else:
                hit = _build(fy, path, today, k, entries)
            ledger.record(path, today, [dict(it, rid=rid) for it in _record_items(hit, k)])
            if saved is None and full[1] == db.version(path):  # not a file swapped in while it was built
                release_cache.save(path, full[1:], {f: getattr(hit, f) for f in _RELEASED_FIELDS})
            if len(_CACHE) > 64:
                _CACHE.clear()
            _CACHE[full] = hit
    return hit


def prepare(path=None, today: dt.date | None = None, also: tuple = ()) -> list[int]:
    """Build the released tables the External view opens on (this fiscal year to date and the
    year before, its comparison; and the years in `also`) and keep them beside the database
    (metrics/release_cache.py), so the first External reader after a load does not wait for the
    disclosure audit. Nothing is released or recorded in the ledger here: a table is recorded when
    a reader is given it, as ever (`year`). The years built; a year already kept is not built again."""
    today = today or settings.today()
    path = str(path or db.db_path())
    if not db.has_data(path):
        return []
    built = []
    fy = periods.fy_start_year(today)
    for y in dict.fromkeys([fy, fy - 1, *sorted(also, reverse=True)]):
        full, _, entries, k = _year_key(y, path, today)
        if not spans(y, today) or full in _CACHE or release_cache.load(path, full[1:]) is not None:
            continue
        table = _build(y, path, today, k, entries)
        if full[1] == db.version(path):
            release_cache.save(path, full[1:], {f: getattr(table, f) for f in _RELEASED_FIELDS})
            built.append(y)
    return built


# ------------------------------------------------------------------ what callers use

def _span_or_raise(period: Period, today: dt.date, quarters_only: bool = False) -> Span:
    return span_or_raise(period, today, quarters_only)


def figures(period: Period, suppressed: bool, path=None, today: dt.date | None = None,
            exact: dict | None = None, version: str | None = None) -> dict:
    """Every indicator for the period: exact for staff; released (from the linked table) otherwise.
    Raises NotExternal for a period outside the External table. `exact`: the period's exact
    figures (indicators.compute) when the caller has them, computed at database `version`; they
    are used only while the database is still at that version."""
    today = today or settings.today()
    path = path or db.db_path()
    if not suppressed:
        exact = indicators.compute(period, path, today) if db.has_data(path) else indicators.empty_figures()
        return {i: exact.get(i) for i in REGISTRY}
    s = external_span(period, today) or _span_or_raise(period, today, quarters_only=True)
    rel = year(s.fy, path, today)
    # the caller's figures are of `period`'s days; a span's period carries a label ("FY2025-26")
    # that the caller's may not, so the days are compared, not the periods
    if exact is None or version is None or version != db.version(path) or \
            (s.period.start, s.period.end) != (period.start, period.end):
        exact = (_exact(str(path), db.version(path), s.period.start, s.period.end, min(today, s.period.end),
                        db.suite_units()) if db.has_data(path) else {})
    return _indicators(rel, s, exact, suppress.threshold())


def _indicators(rel: Released, s: Span, exact: dict, k: int) -> dict:
    """Every indicator of one span: disclosive ones from the linked tables, rates when their
    counts are released, the rest (supply units, sessions, education) exact."""
    out = {}
    key = (s.a, s.b)
    regular = key in rel.regular
    for i, ind in REGISTRY.items():
        if i in INDICATOR_CELLS:
            fam, d, c = INDICATOR_CELLS[i]
            quarterly = FAMILIES[fam].quarters_only
            if (quarterly and not s.quarter_aligned) or (not quarterly and not regular):
                out[i] = NOT_RELEASED
            else:
                out[i] = rel.cells.get((fam, key, d, c), 0)
        elif not regular:  # a span of bad date reports only
            out[i] = NOT_RELEASED
        elif i in PEOPLE:
            out[i] = rel.people[(i, key)]
        elif i in RATE_PARTS:
            parts = [rel.cells.get((f, key, d, c), 0) for f, d, c in RATE_PARTS[i]]
            v = exact.get(i)
            if v is None or any(isinstance(p, str) for p in parts):
                out[i] = None if v is None else suppress.SECONDARY
            elif i == "referrals.completion_rate" and sum(parts) < 2 * k and v in (0, 1):
                out[i] = suppress.SECONDARY  # 0 % or 100 % of a small group
            else:
                out[i] = v
        else:
            out[i] = exact.get(i)  # not disclosive: supply units, sessions, education attendees
    sessions = out.get("friday.sessions")
    if isinstance(sessions, int) and 1 <= sessions <= k - 1 and isinstance(out.get("friday.attendance"), str):
        out["friday.sessions"] = suppress.primary_mark(k)  # see PUBLIC_FLOORS
    return out


@lru_cache(maxsize=256)
def _exact(path: str, version: str, start: dt.date, end: dt.date, today: dt.date, units: int) -> dict:
    """A span's exact figures. Today counts only for a span that has not ended (an open stay's nights
    stop at today): callers pass min(today, end), so that an ended span's figures are computed once,
    not once a day."""
    del version, units  # the cache key only
    return indicators.compute(Period(start, end), path, today)


@dataclass
class Breakdown:
    """A measure by bucket and category: `table` has a Total row and column (released values; a
    bucket that is not an External period is left out); `merged`, the categories merged into
    'all others'. What a chart draws of it is charts.drawable's."""
    table: pd.DataFrame
    merged: list
    grain: str


def _buckets(period: Period, grain: str) -> list[tuple[dt.date, dt.date]]:
    out, d = [], period.start
    while d <= period.end:
        if grain == "month":
            e = periods.month_end(d)
        elif grain == "quarter":
            e = periods.fiscal_quarter(d).end
        elif grain == "year":
            e = period.end
        else:
            raise ValueError(grain)
        e = min(e, period.end)
        out.append((d, e))
        d = e + dt.timedelta(days=1)
    return out


def breakdown(measure: str, period: Period, grain: str, suppressed: bool, path=None,
              today: dt.date | None = None) -> Breakdown:
    """A measure over time by category for the period, as this audience may see it."""
    from . import series
    today = today or settings.today()
    path = path or db.db_path()
    if not suppressed:
        long = series.breakdown(measure, period, grain, path, today) if db.has_data(path) else pd.DataFrame()
        return Breakdown(series.crosstab(long), [], grain)
    fam_name, dim = MEASURE_CELLS[measure]
    fam = FAMILIES[fam_name]
    s = _span_or_raise(period, today, fam.quarters_only)
    rel = year(s.fy, path, today)
    cats = rel.categories.get((fam_name, dim), [])
    rows, index = [], []
    for b0, b1 in _buckets(period, grain):
        bs = external_span(Period(b0, b1), today, fam.quarters_only)
        if bs is None:
            continue
        index.append(pd.Timestamp(b0))
        rows.append([rel.cells.get((fam_name, (bs.a, bs.b), dim, c), 0) for c in cats]
                    + [rel.cells.get((fam_name, (bs.a, bs.b), None, None), 0)])
    total = [rel.cells.get((fam_name, (s.a, s.b), dim, c), 0) for c in cats] + \
            [rel.cells.get((fam_name, (s.a, s.b), None, None), 0)]
    if not cats and all(v == 0 for r in rows for v in r) and total[-1] == 0:
        return Breakdown(pd.DataFrame(), [], grain)
    table = pd.DataFrame(rows + [total], index=index + ["Total"], columns=cats + ["Total"], dtype=object)
    return Breakdown(table, rel.merged.get((fam_name, dim), []), grain)


def totals(measure: str, period: Period, suppressed: bool, path=None, today: dt.date | None = None) -> dict:
    """{category: value, 'Total': value} of a measure over the period, as this audience may see it."""
    br = breakdown(measure, period, "year", suppressed, path, today)
    if br.table.empty:
        return {}
    return {str(c): v for c, v in br.table.loc["Total"].items()}


WITHHELD_TEXT = "(note withheld: it looks like it names a person)"


def text(s, path=None) -> str | None:
    """Free text (an event, a program note, a label) as the External audience may see it: withheld
    when the identifier screen flags it, or when it holds a client code the database holds (the
    load refuses such text, but a code may arrive in a later load than the text). The one place
    External text is screened."""
    return _screened(s, _code_holders([s], path), True)


def _screened(s, held: set, suppressed: bool):
    """`s` withheld when it is in `held` (it holds a client code: never printed, in any view) or,
    outside the staff view, when the identifier screen flags it."""
    from shop import privacy
    if s is None or (isinstance(s, float) and pd.isna(s)):
        return s
    s = str(s)
    return WITHHELD_TEXT if s in held or (suppressed and privacy.looks_identifying(s)) else s


def _code_holders(texts, path=None) -> set:
    """The texts holding a client code the database holds: one connection for all of them."""
    from shop import privacy
    path = str(path or db.db_path())
    texts = [str(t) for t in texts if t is not None and not (isinstance(t, float) and pd.isna(t))]
    if not texts or not db.has_data(path):
        return set()
    key = privacy.load_key(path, create=False)
    if key is None:  # no key, no person key can match: nothing is known to be a code
        return set()
    with db.connect(path) as con:
        return privacy.codes_held(con, texts, key)


def footnote() -> str:
    return suppress.footnote() + (" Outside the staff view figures cover whole months that have ended, fiscal "
                                  "quarters and fiscal years; bad date reports whole quarters and years only.")


def summary(period: Period, suppressed: bool, path=None, today: dt.date | None = None) -> dict:
    """The figures of `etl summary --json` for a period (NotExternal when suppressed and not External)."""
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "suppressed": suppressed,
            "indicators": figures(period, suppressed, path, today)}


def _notes_query(sql: str, period: Period, path) -> pd.DataFrame:
    if not db.has_data(path):
        return pd.DataFrame()
    return db.query(sql, {"from": period.start, "to": period.end}, path)


def annotations(period: Period, suppressed: bool, path=None, scope: str | None = None) -> list[dict]:
    """Program notes overlapping the period (scope `all` or `scope`), screened outside the staff view."""
    df = _notes_query("""select start_date, coalesce(end_date, start_date) as end_date, scope, note
                         from core.annotations
                         where start_date <= $to and coalesce(end_date, start_date) >= $from
                         order by start_date""", period, path or db.db_path())
    out = []
    held = _code_holders(list(df.get("note", [])), path)
    for r in df.itertuples():
        if scope is not None and r.scope not in ("all", scope):
            continue
        out.append({"start_date": r.start_date, "end_date": r.end_date, "scope": r.scope,
                    "note": _screened(r.note, held, suppressed)})
    return out


def events(period: Period, suppressed: bool, path=None) -> list[tuple[str, str]]:
    """(month, Friday special event) in the period: by month, screened outside the staff view."""
    df = _notes_query("""select distinct strftime(date_trunc('month', session_date), '%b %Y') as month, event,
                                date_trunc('month', session_date) as m
                         from core.friday_network
                         where session_date between $from and $to and event is not null
                         order by m, event""", period, path or db.db_path())
    held = _code_holders(list(df.get("event", [])), path)
    return [(m, _screened(e, held, suppressed)) for m, e in zip(df.get("month", []), df.get("event", []))]
