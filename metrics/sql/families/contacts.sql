-- grain: one row per outreach contact (d = contact date; w = 1), with its mode, worker group and
-- kind: anonymous, a person's first contact in all loaded data (new person), or a later one
with contacts as (
  select contact_date, contact_mode, worker_group, person_key from core.outreach
),
first_seen as (
  select person_key, first_date from marts.first_outreach
),
final as (
  select c.contact_date as d, c.contact_mode as mode, c.worker_group,
         case when c.person_key is null then 'anonymous'
              when c.contact_date = f.first_date then 'new person' else 'returning person' end as kind,
         1 as w
  from contacts c left join first_seen f using (person_key)
)
select * from final
