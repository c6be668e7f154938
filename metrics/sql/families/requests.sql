-- grain: one row per request for the Safe Suite, with its outcome
with final as (
  select request_date as d, outcome, 1 as w from core.suite_requests
)
select * from final
