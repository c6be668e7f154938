-- one row per pair of stays of one guest that share a night (a later row logged as a new stay).
with stays as (
  select m.person_key, m.check_in, coalesce(m.check_out, $today::date + 1) as check_out,
         b.file_name || coalesce(' [' || nullif(b.sheet, '') || ']', '') || ' row ' || c.source_row as source
  from marts.suite_stays m
  join core.suite_stays c using (person_key, check_in, batch_id)
  join meta.batches b on b.batch_id = m.batch_id
),
pairs as (
  select a.check_in as first_in, a.source as first_source, b.check_in as second_in, b.source as second_source
  from stays a join stays b
    on a.person_key = b.person_key and a.check_in < b.check_in and b.check_in < a.check_out
),
final as (
  select date_trunc('month', second_in)::date as month, second_in as on_date,
         'stay checked in ' || strftime(second_in, '%d %b %Y') || ' begins inside the stay checked in '
           || strftime(first_in, '%d %b %Y') as item,
         second_source || '; ' || first_source as detail
  from pairs
)
select * from final order by on_date, item
