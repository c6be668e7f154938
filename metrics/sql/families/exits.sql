-- grain: one row per finished Safe Suite stay (d = check-out), with where the guest went next
with final as (
  select check_out as d, coalesce(exit_destination, 'not recorded') as exit_destination, 1 as w
  from marts.suite_stays where check_out is not null
)
select * from final
