-- one row per stay whose check-out is before its check-in (the loader rejects these rows; this
-- guards the mart against rows from older loads or edits made outside the loader).
with stays as (
  select m.check_in, m.check_out,
         b.file_name || coalesce(' [' || nullif(b.sheet, '') || ']', '') || ' row ' || c.source_row as source
  from marts.suite_stays m
  join core.suite_stays c using (person_key, check_in, batch_id)
  join meta.batches b on b.batch_id = m.batch_id
  where m.check_out < m.check_in
),
final as (
  select date_trunc('month', check_in)::date as month, check_in as on_date,
         'stay checked in ' || strftime(check_in, '%d %b %Y') || ', checked out ' || strftime(check_out, '%d %b %Y') as item,
         source as detail
  from stays
)
select * from final order by on_date, item
