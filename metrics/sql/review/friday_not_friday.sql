-- one row per Friday Network session date that is not a Friday (the loader keeps them, with a warning).
with sessions as (
  select f.session_date, b.file_name || coalesce(' [' || nullif(b.sheet, '') || ']', '') as source,
         min(f.source_row) as first_row, count(*) as attendee_rows
  from core.friday_network f join meta.batches b using (batch_id)
  where dayofweek(f.session_date) <> 5
  group by all
),
final as (
  select date_trunc('month', session_date)::date as month, session_date as on_date,
         'session dated ' || strftime(session_date, '%A %d %b %Y') as item,
         attendee_rows || ' attendee row(s), ' || source || ' from row ' || first_row as detail
  from sessions
)
select * from final order by on_date, item
