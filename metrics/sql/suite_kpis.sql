-- one row: the Safe Suite indicators for the period $from..$to.
-- The night of day d belongs to a stay when check_in <= d < check_out; an open stay
-- counts up to the period's end and not past $today.
with nights as (
  select
    person_key, check_in,
    greatest(check_in, $from::date) as first_night,
    case when check_out is null then least($to::date, $today::date)
         else least(check_out - 1, $to::date) end as last_night
  from marts.suite_stays
),
counted as (
  select *, greatest(0, last_night - first_night + 1) as nights from nights
),
final as (
  select
    (select count(*) from marts.suite_stays where check_in between $from and $to) as stays,
    coalesce(sum(nights), 0) as guest_nights,
    count(distinct person_key) filter (where nights > 0) as people,
    round(coalesce(sum(nights), 0) / ($units * ($to::date - $from::date + 1)), 3) as occupancy_rate,
    (select count(*) from core.suite_requests
      where request_date between $from and $to and outcome = 'full') as turnaways_full
  from counted
)
select * from final
