-- grain: one row per outreach contact whose services include a bad date report (d = contact date;
-- w = 1). Outside the staff view it is a bad date report: whole fiscal quarters and years only.
with final as (
  select contact_date as d, 1 as w from core.outreach where list_contains(services, 'bad_date_report')
)
select * from final
