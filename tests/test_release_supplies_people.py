"""People served count everyone met by a service or handed supplies under their client code, so an
attacker bounds the supplies' part of People served by what the supplies' own figures say (helper-32,
session 37): only the units handed out anonymously in person certainly reached no one by name. With
every unit of April handed out so, People served 22 beside outreach's 12 and the Friday network's 12
gave 12 + 12 - 22 = 2 people met by both, a small count, exactly.

The attacker here is arithmetic of its own over the released figures (not the engine's auditor):
people of both services = outreach + Friday + supplies' people - People served, with the supplies'
people between 0 and the units not handed out anonymously in person (each named person at least one).
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
import time_machine

from etl.load import load
from metrics import release
from metrics.linked import bounds_of
from shop.contract import LOG_TYPES

K = 10


def _at(day: dt.date):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 20, 0, tzinfo=dt.timezone.utc), tick=False)


def _write(path: Path, log: str, rows: list[dict]) -> str:
    names = [f.name for f in LOG_TYPES[log].fields]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        for r in rows:
            w.writerow([r.get(n, "") for n in names])
    return str(path)


def _range(v) -> tuple[float, float]:
    return (0.0, 0.0) if v == 0 else bounds_of(v, K)


# (outreach people, Friday people of whom `both` also met by outreach, supply hand-outs as
# (channel, client code or "", units))
CASES = {
    "every unit anonymous in person": (12, 12, 2, [("drop_in", "", 5)]),
    "anonymous in person and online": (12, 12, 2, [("drop_in", "", 5), ("online_request", "", 1)]),
    "a named person's online request": (12, 12, 2, [("drop_in", "", 5), ("online_request", "KS001Z", 1)]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_people_of_two_services_keep_three_values_beside_the_supplies(case, tmp_path):
    n_o, n_f, both, hand_outs = CASES[case]
    april = dt.date(2025, 4, 1)
    outreach = [{"contact_date": (april + dt.timedelta(days=i)).isoformat(), "client_code": f"KP{i:03d}Z",
                 "contact_mode": "street", "worker_group": "outdoor", "services": "one_to_one", "minutes": 30}
                for i in range(n_o)]
    friday = [{"session_date": "2025-04-04", "client_code": f"KP{i:03d}Z", "attendee_group": "indoor"}
              for i in range(both)]
    friday += [{"session_date": "2025-04-11", "client_code": f"KF{i:03d}Z", "attendee_group": "indoor"}
               for i in range(n_f - both)]
    supplies = [{"dist_date": "2025-04-09", "channel": ch, "item": "external_condom", "quantity": q, "client_code": code}
                for ch, code, q in hand_outs]
    files = [_write(tmp_path / "outreach_2025-04.csv", "outreach", outreach),
             _write(tmp_path / "friday_network_2025-04.csv", "friday_network", friday),
             _write(tmp_path / "supplies_2025-04.csv", "supplies", supplies)]
    db = str(tmp_path / "shop.duckdb")
    with _at(dt.date(2025, 5, 3)):
        assert all(o.status == "loaded" for o in load(files, db, say=lambda *_: None))
    with _at(dt.date(2025, 5, 5)):
        rel = release.year(2025, db, dt.date(2025, 5, 5))
    april_ = (0, 0)
    o = _range(rel.people[("outreach.people", april_)])
    f = _range(rel.people[("friday.people", april_)])
    p = _range(rel.people[("program.people", april_)])
    named = {code for _, code, _ in hand_outs if code}
    true_p = n_o + n_f - both + len(named - {f"KP{i:03d}Z" for i in range(n_o)})
    assert p[0] <= true_p <= p[1]
    # what the supplies say of the people they reached by name: the units not handed out
    # anonymously in person, read from the released cells (exact: supplies are not small counts)
    total = rel.cells[("supplies", april_, None, None)]
    anonymous = rel.cells.get(("supplies", april_, "reach", "anonymous, in person"), 0)
    assert total == sum(q for _, _, q in hand_outs)
    sup_hi = total - anonymous
    lo = max(0.0, o[0] + f[0] - p[1])
    hi = min(o[1], f[1], o[1] + f[1] + sup_hi - p[0])
    assert lo <= both <= hi
    assert hi - lo + 1 >= 3, f"people of both services pinned to {lo:g}..{hi:g}"
