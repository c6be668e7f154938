-- one row per referral whose outcome (status) date is before the referral date (the loader rejects
-- these rows; this guards the data against rows from older loads or edits made outside the loader).
with referrals as (
  select r.referral_date, r.status_date, r.status,
         b.file_name || coalesce(' [' || nullif(b.sheet, '') || ']', '') || ' row ' || r.source_row as source
  from core.referrals r join meta.batches b using (batch_id)
  where r.status_date < r.referral_date
),
final as (
  select date_trunc('month', referral_date)::date as month, referral_date as on_date,
         'referral of ' || strftime(referral_date, '%d %b %Y') || ': ' || status || ' on ' || strftime(status_date, '%d %b %Y') as item,
         source as detail
  from referrals
)
select * from final order by on_date, item
