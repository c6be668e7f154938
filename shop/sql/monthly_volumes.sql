-- one row per (indicator, month) with rows in the indicator's log: the monthly figure of the
-- indicators that are plain counts or sums of one log (each equals indicators.compute for that
-- month; tests/test_review.py checks it), and n_rows, the log's rows behind it that month.
-- A month with no rows in the log has no row here. Referrals attended is left out: outcomes
-- arrive weeks later, so a recent month always looks low. Only the days $lo..$hi are counted: a
-- load counts again the months its files touched (a month's figures depend on its rows alone).
with outreach as (
  select date_trunc('month', contact_date)::date as month, count(*) as n_rows,
         count(*) as contacts, count(distinct person_key) as people,
         count(*) filter (where person_key is null) as anonymous_contacts,
         round(coalesce(sum(minutes), 0) / 60.0, 1) as support_hours
  from core.outreach where contact_date between $lo and $hi group by 1
),
supplies as (
  select date_trunc('month', dist_date)::date as month, count(*) as n_rows, sum(quantity) as units,
         coalesce(sum(quantity) filter (where item = 'naloxone_kit'), 0) as naloxone_kits,
         coalesce(sum(quantity) filter (where item in ('external_condom', 'internal_condom')), 0) as condoms,
         coalesce(sum(quantity) filter (where channel = 'online_request'), 0) as online_units
  from core.supplies where dist_date between $lo and $hi group by 1
),
referrals as (
  select date_trunc('month', referral_date)::date as month, count(*) as n_rows, count(*) as made,
         count(distinct person_key) as people
  from core.referrals where referral_date between $lo and $hi group by 1
),
stays as (
  select date_trunc('month', check_in)::date as month, count(*) as n_rows, count(*) as stays
  from marts.suite_stays where check_in between $lo and $hi group by 1
),
requests as (
  select date_trunc('month', request_date)::date as month, count(*) as n_rows,
         count(*) filter (where outcome = 'full') as turnaways_full
  from core.suite_requests where request_date between $lo and $hi group by 1
),
friday as (
  select date_trunc('month', session_date)::date as month, count(*) as n_rows,
         count(distinct session_date) as sessions,
         count(*) as attendance, count(distinct person_key) as people,
         count(*) filter (where attendee_group = 'alumni') as alumni_attendance
  from core.friday_network where session_date between $lo and $hi group by 1
),
bad_dates as (
  select date_trunc('month', report_date)::date as month, count(*) as n_rows, count(*) as reports,
         count(*) filter (where is_reported_to_police) as reported_to_police
  from core.bad_dates where report_date between $lo and $hi group by 1
),
education as (
  select date_trunc('month', session_date)::date as month, count(*) as n_rows, count(*) as sessions,
         coalesce(sum(attendees), 0) as attendees
  from core.education where session_date between $lo and $hi group by 1
),
final as (
  unpivot (select month, n_rows, contacts as "outreach.contacts", people as "outreach.people",
                  anonymous_contacts as "outreach.anonymous_contacts", support_hours::double as "outreach.support_hours"
           from outreach) on columns(* exclude (month, n_rows)) into name indicator value value
  union all
  unpivot (select month, n_rows, units as "supplies.units", naloxone_kits as "supplies.naloxone_kits",
                  condoms as "supplies.condoms", online_units as "supplies.online_units" from supplies)
    on columns(* exclude (month, n_rows)) into name indicator value value
  union all
  unpivot (select month, n_rows, made as "referrals.made", people as "referrals.people" from referrals) on columns(* exclude (month, n_rows)) into name indicator value value
  union all
  select month, n_rows, 'suite.stays', stays from stays
  union all
  select month, n_rows, 'suite.turnaways_full', turnaways_full from requests
  union all
  unpivot (select month, n_rows, sessions as "friday.sessions", attendance as "friday.attendance", people as "friday.people",
                  alumni_attendance as "friday.alumni_attendance" from friday)
    on columns(* exclude (month, n_rows)) into name indicator value value
  union all
  unpivot (select month, n_rows, reports as "bad_dates.reports", reported_to_police as "bad_dates.reported_to_police"
           from bad_dates) on columns(* exclude (month, n_rows)) into name indicator value value
  union all
  unpivot (select month, n_rows, sessions as "education.sessions", attendees as "education.attendees" from education)
    on columns(* exclude (month, n_rows)) into name indicator value value
)
select month, indicator, value::double as value, n_rows from final
