-- one row per (log type, optional field, month from $first to $last) whose share of blank cells
-- is at least 30 points above its share over the twelve months before. Only rows where the
-- field applies are counted (a status date once a referral is resolved), and only months with
-- at least 20 such rows against at least 50 before, so that a handful of rows cannot trigger it.
with blanks as (
  {blanks}
),
checked as (
  select * from blanks where month between $first::date and $last::date and rows >= 20
),
history as (
  select c.log_type, c.field, c.month, c.rows, c.blank, sum(h.rows) as rows_before, sum(h.blank) as blank_before
  from checked c join blanks h
    on h.log_type = c.log_type and h.field = c.field and h.month < c.month and h.month >= c.month - interval 12 month
  group by all
),
final as (
  select month, log_type || '.' || field as item, blank / rows as share, blank_before / rows_before as usual
  from history where rows_before >= 50 and blank / rows - blank_before / rows_before >= 0.30
)
select * from final order by month, item
