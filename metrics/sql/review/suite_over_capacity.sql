-- one row per night on which more guests stayed than the Safe Suite has units ($units).
-- The night of day d belongs to a stay when check_in <= d < check_out; an open stay counts to $today.
with stays as (
  select check_in, coalesce(check_out, $today::date + 1) as check_out from marts.suite_stays
),
nights as (
  select unnest(generate_series(check_in, check_out - 1, interval 1 day))::date as night
  from stays where check_out > check_in
),
counted as (
  select night, count(*) as guests from nights group by night
),
final as (
  select date_trunc('month', night)::date as month, night as on_date,
         'night of ' || strftime(night, '%a %d %b %Y') as item,
         guests || ' guests for ' || $units || ' unit(s)' as detail
  from counted where guests > $units
)
select * from final order by on_date, item
