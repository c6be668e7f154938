-- grain: one row per community education session (w = 1; attendees kept for the sum)
with final as (
  select session_date as d, topic, audience, 1 as w, attendees from core.education
)
select * from final
