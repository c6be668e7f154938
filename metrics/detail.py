"""Exact day- and person-level detail for the staff view only (never released outside it).

The pages call these only when the viewer is in the staff view; outside it the same charts
are drawn from `metrics.release` by month or quarter.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from shop.periods import Period

from . import db


def _q(sql: str, period: Period, path, **extra) -> pd.DataFrame:
    return db.query(sql, {"from": period.start, "to": period.end, **extra}, path)


def nights_by_day(period: Period, today: dt.date, path=None) -> pd.DataFrame:
    """One row per night in the period with a guest: (night, guests)."""
    return _q("""
        with nights as (
          select unnest(generate_series(greatest(check_in, $from::date),
                 case when check_out is null then least($to::date, $today::date)
                      else least(check_out - 1, $to::date) end, interval 1 day))::date as night
          from marts.suite_stays
        ),
        final as (select night, count(*) as guests from nights group by night)
        select * from final order by night""", period, path, today=today)


def friday_sessions(period: Period, path=None) -> pd.DataFrame:
    """One row per Friday session: (session_date, attendance, event)."""
    return _q("""
        with final as (
          select session_date, count(*) as attendance, max(event) as event
          from core.friday_network where session_date between $from and $to group by session_date
        )
        select * from final order by session_date""", period, path)


RETURNING = ["came once", "2-4 sessions", "5 or more sessions"]


def friday_returning(period: Period, path=None) -> dict:
    """People by how many sessions they came to in the period: {bucket: people}."""
    df = _q("""
        with visits as (
          select person_key, count(distinct session_date) as n from core.friday_network
          where session_date between $from and $to and person_key is not null group by person_key
        ),
        final as (
          select case when n = 1 then 'came once' when n <= 4 then '2-4 sessions' else '5 or more sessions' end
                 as bucket, count(*) as people from visits group by all
        )
        select * from final""", period, path)
    return {b: int(df.loc[df.bucket == b, "people"].sum()) for b in RETURNING}
