-- one row per (log type, month from $first to $last) with no rows although the program ran that
-- month (another log has rows) and the log averaged at least 5.3 rows a month over the twelve
-- months before: by chance alone (Poisson) such a month would be empty less than once in 200.
-- Bad dates and education: a quiet month is 0 once a later month has rows, never flagged.
with log_months as (
  {log_months}
),
months as (
  select unnest(generate_series($first::date, $last::date, interval 1 month))::date as month
),
ran as (
  select distinct month from log_months
),
candidates as (
  select l.log_type, m.month
  from (select distinct log_type from log_months) l cross join months m semi join ran using (month)
),
missing as (
  -- a quiet month of an event log (bad dates, education) with rows in a later month counts 0: not missing
  select * from candidates c anti join log_months lm using (log_type, month)
  where not (c.log_type in ({event_logs})
             and exists (select 1 from log_months l where l.log_type = c.log_type and l.month > c.month))
),
history as (
  select m.log_type, m.month, coalesce(sum(h.rows), 0) / 12.0 as mean_rows
  from missing m left join log_months h
    on h.log_type = m.log_type and h.month < m.month and h.month >= m.month - interval 12 month
  group by all
),
final as (
  select month, log_type as item, round(mean_rows, 1) as usual from history where mean_rows >= 5.3
)
select * from final order by month, item
