-- one row: the Friday Afternoon Network indicators for the period $from..$to
with attendees as (
  select * from core.friday_network where session_date between $from and $to
),
final as (
  select
    count(distinct session_date) as sessions,
    count(*) as attendance,
    count(distinct person_key) as people,
    case when sessions > 0 then round(attendance / sessions, 1) end as avg_attendance,
    count(*) filter (where attendee_group = 'alumni') as alumni_attendance
  from attendees
)
select * from final
