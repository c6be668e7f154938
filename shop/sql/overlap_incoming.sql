-- one row per file in force of the incoming table's log type that shares dates with it: how many
-- dates, which, and how many of its rows the incoming table holds unchanged (same dates, codes and
-- values; each row matched at most once). {table}, {date} and {cols} come from the contract.
with incoming_dates as (
  select distinct "{date}" as d from incoming where "{date}" is not null
),
candidates as (
  select batch_id from meta.batches where status = 'in_force' and log_type = $log_type
),
old as (
  -- the date range first, so a decade of rows is pruned to the incoming file's months
  select * from core.{table}
  where "{date}" between (select min(d) from incoming_dates) and (select max(d) from incoming_dates)
    and batch_id in (select batch_id from candidates)
),
shared as (
  select batch_id, count(distinct "{date}") as shared_dates, min("{date}") as first_date,
         max("{date}") as last_date
  from old where "{date}" in (select d from incoming_dates) group by batch_id
),
old_rows as (
  select batch_id, hash({cols}) as h, count(*) as n from old
  where batch_id in (select batch_id from shared) group by all
),
new_rows as (
  select hash({cols}) as h, count(*) as n from incoming group by h
),
matched as (
  select o.batch_id, sum(least(o.n, i.n))::bigint as same from old_rows o join new_rows i using (h)
  group by o.batch_id
),
final as (
  select s.batch_id, b.file_name, b.sheet, b.rows_loaded, coalesce(m.same, 0) as same,
         s.shared_dates, s.first_date, s.last_date
  from shared s join meta.batches b using (batch_id) left join matched m using (batch_id)
)
select * from final order by same desc, shared_dates desc, batch_id
