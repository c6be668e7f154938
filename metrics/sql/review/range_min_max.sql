-- one row per (indicator, month from $first to $last) whose figure is outside its expected range,
-- DHIS2-style min-max: the range of the same month in earlier years when at least three earlier
-- years have it, else the range of the twelve months before (at least six with rows). The range
-- is widened by max(25 %, 3 x the square root, 3) at each end so that chance variation in small
-- counts is not flagged; figures whose range stays under 10, or that rest on fewer than 10 rows
-- of their log in a month of the reference, are too small to judge.
with volumes as (
  {monthly_volumes}
),
checked as (
  select * from volumes where month between $first::date and $last::date
),
same_month as (
  select c.indicator, c.month, count(*) as n, min(h.value) as lo, max(h.value) as hi, min(h.n_rows) as few
  from checked c join volumes h
    on h.indicator = c.indicator and month(h.month) = month(c.month) and h.month < c.month
  group by all
),
last_twelve as (
  select c.indicator, c.month, count(*) as n, min(h.value) as lo, max(h.value) as hi, min(h.n_rows) as few
  from checked c join volumes h
    on h.indicator = c.indicator and h.month < c.month and h.month >= c.month - interval 12 month
  group by all
),
ranges as (
  select c.indicator, c.month, c.value,
         case when s.n >= 3 then s.lo else l.lo end as lo,
         case when s.n >= 3 then s.hi else l.hi end as hi,
         case when s.n >= 3 then 'the same month in ' || s.n || ' earlier years'
              else 'the ' || l.n || ' months before' end as basis,
         case when s.n >= 3 then s.few else l.few end as few,
         coalesce(s.n >= 3, false) or coalesce(l.n >= 6, false) as judged
  from checked c
  left join same_month s using (indicator, month)
  left join last_twelve l using (indicator, month)
),
widened as (
  select *, greatest(0, lo - greatest(0.25 * lo, 3 * sqrt(lo), 3)) as low,
         hi + greatest(0.25 * hi, 3 * sqrt(hi), 3) as high
  from ranges where judged and hi >= 10 and few >= 10
),
final as (
  select month, indicator as item, value, low, high, basis,
         case when value > high then 'above' else 'below' end as direction
  from widened where value < low or value > high
)
select * from final order by month, item
