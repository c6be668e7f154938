-- one row: people served across services in $from..$to, each person once
with people as (
  select person_key from core.outreach where contact_date between $from and $to
  union select person_key from core.supplies where dist_date between $from and $to
  union select person_key from core.referrals where referral_date between $from and $to
  union select person_key from (
    select person_key, greatest(check_in, $from::date) as first_night,
      case when check_out is null then least($to::date, $today::date)
           else least(check_out - 1, $to::date) end as last_night
    from marts.suite_stays
  ) where first_night <= last_night
  union select person_key from core.friday_network where session_date between $from and $to
),
final as (
  select count(person_key) as people from people
)
select * from final
