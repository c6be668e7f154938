-- one row: the community education indicators for the period $from..$to
with sessions as (
  select * from core.education where session_date between $from and $to
),
final as (
  select count(*) as sessions, coalesce(sum(attendees), 0) as attendees
  from sessions
)
select * from final
