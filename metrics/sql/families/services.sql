-- grain: one row per service delivered in an outreach contact (a contact can deliver several)
with final as (
  select contact_date as d, unnest(services) as service, 1 as w from core.outreach
)
select * from final
