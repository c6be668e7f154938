-- grain: one row per bad date report (d = report date), by broad type, police and alert
with final as (
  select report_date as d,
         case when list_has_any(incident_type, ['physical_assault', 'sexual_assault']) then 'violence'
              when list_has_any(incident_type, ['robbery_theft', 'refused_payment']) then 'theft or non-payment'
              else 'other harm' end as type,
         case when is_reported_to_police then 'reported to police' else 'not reported' end as police,
         case when is_alert_circulated then 'alert circulated' else 'no alert' end as alert,
         1 as w
  from core.bad_dates
)
select * from final
