-- grain: one row per Safe Suite stay (d = check-in), with its length (open stays to $today) and
-- who referred the guest
with stays as (
  select check_in, coalesce(check_out, $today::date) - check_in as n, referral_source from marts.suite_stays
),
final as (
  select check_in as d,
         case when n <= 1 then '1 night' when n <= 3 then '2-3 nights' when n <= 7 then '4-7 nights'
              when n <= 14 then '8-14 nights' else '15+ nights' end as length,
         coalesce(referral_source, 'not recorded') as referral_source, 1 as w
  from stays
)
select * from final
