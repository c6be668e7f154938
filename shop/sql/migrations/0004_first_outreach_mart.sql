-- v4: one row per person: their first outreach contact in all loaded data (outreach.new_people).
-- A table, refreshed by every load, so the dashboard never groups every contact to find it.
create or replace table marts.first_outreach as
with contacts as (
  select person_key, contact_date from core.outreach where person_key is not null
),
final as (
  select person_key, min(contact_date) as first_date from contacts group by person_key
)
select * from final;
