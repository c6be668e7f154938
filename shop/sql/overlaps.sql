-- one row per pair of files in force of the same log type that share dates (their rows may be
-- counted twice): the two files, how many dates they share, and the first and last of them.
with dates as (
  select distinct 'outreach' as log_type, batch_id, contact_date as d from core.outreach
  union all select distinct 'supplies', batch_id, dist_date from core.supplies
  union all select distinct 'referrals', batch_id, referral_date from core.referrals
  union all select distinct 'suite_stays', batch_id, check_in from core.suite_stays
  union all select distinct 'suite_requests', batch_id, request_date from core.suite_requests
  union all select distinct 'friday_network', batch_id, session_date from core.friday_network
  union all select distinct 'bad_dates', batch_id, report_date from core.bad_dates
  union all select distinct 'education', batch_id, session_date from core.education
),
pairs as (
  select a.log_type, a.batch_id as batch_a, b.batch_id as batch_b, count(*) as shared_dates,
         min(a.d) as first_date, max(a.d) as last_date
  from dates a join dates b on a.log_type = b.log_type and a.d = b.d and a.batch_id < b.batch_id
  group by all
),
final as (
  select p.log_type, ba.file_name as file, ba.sheet, bb.file_name as other_file, bb.sheet as other_sheet,
         p.shared_dates, p.first_date, p.last_date
  from pairs p join meta.batches ba on ba.batch_id = p.batch_a join meta.batches bb on bb.batch_id = p.batch_b
)
select * from final order by log_type, file, sheet, other_file, other_sheet
