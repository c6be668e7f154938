-- grain: one row per referral (d = referral date), with type, latest status and the time it took
-- to reach an outcome (attended, not attended or declined with a status date)
with referrals as (
  select referral_date, referral_type, status,
         case when status in ('attended', 'not_attended', 'declined') and status_date is not null
              then status_date - referral_date end as days
  from core.referrals
),
final as (
  select referral_date as d, referral_type, status,
         case when days is null then 'no outcome date' when days <= 7 then '0-7 days'
              when days <= 14 then '8-14 days' when days <= 30 then '15-30 days'
              else 'over 30 days' end as outcome_time,
         1 as w
  from referrals
)
select * from final
