-- marts: what the read side queries. Views, so they are always current.

-- one row per Safe Suite stay (client, check-in); a later batch's row for the same stay wins
create or replace view marts.suite_stays as
with ranked as (
  select s.*, row_number() over (
    partition by person_key, check_in order by batch_id desc, source_row desc) as version_rank
  from core.suite_stays s
),
final as (
  select person_key, check_in, check_out, referral_source, exit_destination, batch_id
  from ranked where version_rank = 1
)
select * from final;
