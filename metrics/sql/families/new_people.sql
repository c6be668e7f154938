-- grain: one row per person, dated by their first outreach contact in all loaded data
with final as (
  select first_date as d, 1 as w from marts.first_outreach
)
select * from final
