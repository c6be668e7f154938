-- one row per distinct text of a date field: the year, month and day a person reads in it.
-- {src} and {col} name the field's distinct-values table and column (from the contract, never
-- user text); $today decides the century of a two-digit year.
with src as (
  -- distinct: two raw texts trim to one (`2025-03-07` and `2025-03-07 `), read once, not twice
  select distinct "{col}" as v, lower("{col}") as t0 from "{src}" where "{col}" is not null
),
cleaned as (
  -- drop a weekday in front, a time (or ISO T-time) behind, ordinal suffixes and abbreviation dots
  select v, regexp_extract(t0, '^(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\.?,?\s+', 1) as wd,
    trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(t0,
      '^(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\.?,?\s+', ''),
      '(t|\s+)\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([ap]\.?m\.?)?\s*(z|[+-]\d{2}(:?\d{2})?)?$', ''),
      '(\d)(st|nd|rd|th)\b', '\1', 'g'),
      '([a-z])\.', '\1', 'g')) as t
  from src
),
shaped as (
  select v, wd,
    regexp_extract(t, '^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$', ['y', 'm', 'd']) as iso,
    regexp_extract(t, '^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})$', ['a', 'b', 'y']) as num,
    regexp_extract(t, '^(\d{1,2})[\s\-/]+([a-z]{3,})[\s\-/,]+(\d{4}|\d{2})$', ['d', 'mon', 'y']) as dmy,
    regexp_extract(t, '^([a-z]{3,})[\s\-/]+(\d{1,2}),?[\s\-/]+(\d{4}|\d{2})$', ['mon', 'd', 'y']) as mdy,
    regexp_extract(t, '^(\d{4})[\s\-/]+([a-z]{3,})[\s\-/]+(\d{1,2})$', ['y', 'mon', 'd']) as ymd,
    regexp_full_match(t, '\d{1,2}[-/.]\d{1,2}') as no_year_num,
    case when regexp_full_match(t, '\d{1,2}[\s\-/]+[a-z]{3,}|[a-z]{3,}[\s\-/]+\d{1,2}')
         then regexp_extract(t, '[a-z]{3,}') end as no_year_word
  from cleaned
),
parts as (
  select v, wd, no_year_num, no_year_word,
    nullif(iso.y, '') as iso_y, nullif(iso.m, '') as iso_m, nullif(iso.d, '') as iso_d,
    nullif(num.a, '')::int as a, nullif(num.b, '')::int as b, nullif(num.y, '') as num_y,
    coalesce(nullif(dmy.mon, ''), nullif(mdy.mon, ''), nullif(ymd.mon, '')) as mon,
    coalesce(nullif(dmy.d, ''), nullif(mdy.d, ''), nullif(ymd.d, '')) as text_d,
    coalesce(nullif(dmy.y, ''), nullif(mdy.y, ''), nullif(ymd.y, '')) as text_y
  from shaped
),
months as (
  select *, list_position(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
                          left(mon, 3)) as mon_n,
    list_position(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
                  left(no_year_word, 3)) as no_year_n
  from parts
),
final as (
  select v, a, b,
    -- the weekday written in front (`Monday, March 7, 2025`), 1 = Monday, to compare with the date
    case left(wd, 3) when 'mon' then 1 when 'tue' then 2 when 'wed' then 3 when 'thu' then 4
         when 'fri' then 5 when 'sat' then 6 when 'sun' then 7 end as wd_n,
    -- a day and a month with no year: "7 Mar", "Mar 7", "07/03"
    coalesce(no_year_num or (no_year_n > 0 and (starts_with(['january', 'february', 'march', 'april', 'may', 'june',
        'july', 'august', 'september', 'october', 'november', 'december'][no_year_n], no_year_word)
        or no_year_word = 'sept')), false) as no_year,
    -- a two-digit year is this century unless that is after this year
    case when length(coalesce(num_y, text_y)) = 2 then
           case when 2000 + coalesce(num_y, text_y)::int <= year($today::date) then 2000 + coalesce(num_y, text_y)::int
                else 1900 + coalesce(num_y, text_y)::int end
         else coalesce(iso_y, num_y, text_y)::int end as y,
    coalesce(iso_m::int, case when mon_n > 0 and (starts_with(['january', 'february', 'march', 'april', 'may', 'june',
        'july', 'august', 'september', 'october', 'november', 'december'][mon_n], mon) or mon = 'sept')
        then mon_n end) as m,
    coalesce(iso_d, text_d)::int as d
  from months
)
select * from final
