-- one row: the referral indicators for the period $from..$to
with referrals as (
  select * from core.referrals where referral_date between $from and $to
),
final as (
  select
    count(*) as made,
    count(distinct person_key) as people,
    count(*) filter (where status = 'attended') as attended,
    count(*) filter (where status in ('attended', 'not_attended', 'declined')) as completion_base,
    case when completion_base > 0 then round(attended / completion_base, 3) end as completion_rate
  from referrals
)
select * from final
