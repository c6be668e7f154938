-- grain: one row per hand-out (w = quantity), with item, channel and how it reached people
with final as (
  select dist_date as d, item, channel,
         case when channel = 'online_request' then 'online request'
              when person_key is null then 'anonymous, in person' else 'known person' end as reach,
         quantity as w
  from core.supplies
)
select * from final
