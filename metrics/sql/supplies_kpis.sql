-- one row: the supply indicators for the period $from..$to
with handouts as (
  select * from core.supplies where dist_date between $from and $to
),
final as (
  select
    coalesce(sum(quantity), 0) as units,
    coalesce(sum(quantity) filter (where item = 'naloxone_kit'), 0) as naloxone_kits,
    coalesce(sum(quantity) filter (where item in ('external_condom', 'internal_condom')), 0) as condoms,
    coalesce(sum(quantity) filter (where channel = 'online_request'), 0) as online_units
  from handouts
)
select * from final
