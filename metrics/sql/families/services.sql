-- grain: one row per service delivered in an outreach contact (a contact can deliver several),
-- except bad date reports: those leave the staff view by whole quarter only (service_bad_dates)
with delivered as (
  select contact_date as d, unnest(services) as service, 1 as w from core.outreach
),
final as (
  select * from delivered where service <> 'bad_date_report'
)
select * from final
