-- grain: one row per guest night (d = the night): check_in <= d < check_out; an open stay up to $today
with final as (
  select unnest(generate_series(check_in,
           case when check_out is null then $today::date else check_out - 1 end, interval 1 day))::date as d,
         'guest nights' as night, 1 as w
  from marts.suite_stays
)
select * from final
