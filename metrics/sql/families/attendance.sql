-- grain: one row per Friday Afternoon Network attendee row, with the attendee group
with final as (
  select session_date as d, attendee_group, 1 as w from core.friday_network
)
select * from final
