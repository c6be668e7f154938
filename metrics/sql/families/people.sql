-- grain: one row per (indicator, span): distinct people in each span $starts[i]..$ends[i] (and, for
-- friday.sessions, distinct session dates), all spans of a fiscal year in one statement
with spans as (
  select unnest($starts::date[]) as s, unnest($ends::date[]) as e
),
events as (
  select 'outreach.people' as ind, contact_date as d, person_key from core.outreach where person_key is not null
  union all
  select 'referrals.people', referral_date, person_key from core.referrals where person_key is not null
  union all
  select 'friday.people', session_date, person_key from core.friday_network where person_key is not null
  union all
  select 'suite.people', unnest(generate_series(check_in,
           case when check_out is null then $today::date else check_out - 1 end, interval 1 day))::date,
         person_key from marts.suite_stays
  union all
  select 'supplies', dist_date, person_key from core.supplies where person_key is not null
),
everything as (
  select ind, d, person_key from events where ind <> 'supplies'
  union all
  select 'program.people', d, person_key from events
  union all
  select 'friday.sessions', session_date, 'a session' from core.friday_network
),
final as (
  select ind, s, e, count(distinct person_key) as people, count(distinct d) as days
  from everything join spans on d between s and e
  group by all
)
select * from final
