-- one row: the bad date indicators for the period $from..$to
with reports as (
  select * from core.bad_dates where report_date between $from and $to
),
final as (
  select
    count(*) as reports,
    -- blank is not zero: reports whose police field is all blank are not recorded (null); a blank
    -- among answers counts as no (DATA-CONTRACT, choices confirmed)
    case when count(*) > 0 and count(is_reported_to_police) = 0 then null
         else count(*) filter (where is_reported_to_police) end as reported_to_police
  from reports
)
select * from final
