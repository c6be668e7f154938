-- one row: the bad date indicators for the period $from..$to
with reports as (
  select * from core.bad_dates where report_date between $from and $to
),
final as (
  select
    count(*) as reports,
    count(*) filter (where is_reported_to_police) as reported_to_police
  from reports
)
select * from final
