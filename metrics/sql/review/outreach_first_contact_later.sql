-- one row per outreach contact marked as the person's first contact with SHOP although the same
-- person has an earlier contact in the loaded data.
with flagged as (
  select o.contact_date, f.first_date,
         b.file_name || coalesce(' [' || nullif(b.sheet, '') || ']', '') || ' row ' || o.source_row as source
  from core.outreach o
  join marts.first_outreach f using (person_key)
  join meta.batches b using (batch_id)
  where o.is_new_contact and o.contact_date > f.first_date
),
final as (
  select date_trunc('month', contact_date)::date as month, contact_date as on_date,
         'contact of ' || strftime(contact_date, '%d %b %Y') || ' marked as a first contact' as item,
         'the same person has a contact on ' || strftime(first_date, '%d %b %Y') || '; ' || source as detail
  from flagged
)
select * from final order by on_date, item
