-- grain: one row per (indicator, span): distinct people in each span $starts[i]..$ends[i] (and, for
-- friday.sessions, distinct session dates), all spans of a fiscal year in one statement. Every span
-- is whole calendar months (release._people_counts checks).
with spans as (
  select unnest($starts::date[]) as s, unnest($ends::date[]) as e
),
bounds as (
  select min(s) as lo, max(e) as hi from spans
),
events as (
  -- only the fiscal year's dates are read (each branch is pruned to them before the join)
  select 'outreach.people' as ind, contact_date as d, person_key from core.outreach, bounds
  where person_key is not null and contact_date between lo and hi
  union all
  select 'referrals.people', referral_date, person_key from core.referrals, bounds
  where person_key is not null and referral_date between lo and hi
  union all
  select 'friday.people', session_date, person_key from core.friday_network, bounds
  where person_key is not null and session_date between lo and hi
  union all
  select 'suite.people', n, person_key from (
    select unnest(generate_series(greatest(check_in, lo), least(hi,
             case when check_out is null then $today::date else check_out - 1 end), interval 1 day))::date as n,
           person_key
    from marts.suite_stays, bounds
    where check_in <= hi and coalesce(check_out, $today::date + 1) > lo)
  union all
  select 'supplies', dist_date, person_key from core.supplies, bounds
  where person_key is not null and dist_date between lo and hi
),
everything as (
  select ind, d, person_key from events   -- 'supplies': never released, but what the program's people bound
  union all
  select 'program.people', d, person_key from events
  union all
  select 'friday.sessions', session_date, null from core.friday_network, bounds where session_date between lo and hi
),
-- every span is whole months: a person (or a session date) is counted once per month first, and
-- the months are joined to the spans they make up (an equality join, not a range join)
per_month as (
  select distinct ind, date_trunc('month', d)::date as m, person_key,
         case when ind = 'friday.sessions' then d end as d
  from everything
),
span_months as (
  select s, e, unnest(generate_series(s, e, interval 1 month))::date as m from spans
),
final as (
  select ind, s, e, count(distinct person_key) as people, count(distinct d) as days, null::ubigint as mix
  from per_month join span_months using (m)
  group by all
),
-- and each month's people as a set (e null): how many, and the xor of their (keyed) person keys, from
-- which the release tells a month whose people have changed since an earlier release
months as (
  select ind, m as s, null::date as e, count(*) as people, null::bigint as days, bit_xor(person_key) as mix
  from per_month where ind <> 'friday.sessions' and m between (select lo from bounds) and (select hi from bounds)
  group by all
)
select * from final
union all by name
select * from months
