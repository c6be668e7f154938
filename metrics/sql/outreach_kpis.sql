-- one row: the outreach indicators for the period $from..$to
with contacts as (
  select * from core.outreach where contact_date between $from and $to
),
first_seen as (
  select person_key, first_date from marts.first_outreach
),
final as (
  select
    count(*) as contacts,
    count(distinct person_key) as people,
    count(*) filter (where person_key is null) as anonymous_contacts,
    (select count(*) from first_seen where first_date between $from and $to) as new_people,
    -- blank is not zero: contacts whose minutes are all blank give no support hours (not recorded)
    case when count(*) > 0 and count(minutes) = 0 then null
         else round(coalesce(sum(minutes), 0) / 60.0, 1) end as support_hours
  from contacts
)
select * from final
