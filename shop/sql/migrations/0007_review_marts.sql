-- v7: exact monthly aggregates for the monthly review, kept as tables in marts and rebuilt by
-- every load in its transaction (etl/marts.py fills them; a database upgraded to v7 is filled then).

-- one row per (log type, batch, month) with rows: a file in force and the months its rows fall in
create table if not exists marts.log_months (
  log_type varchar not null,
  batch_id integer not null,
  month date not null,
  rows bigint not null
);

-- one row per (log type, optional field, month): rows where the field applies, and its blank cells
create table if not exists marts.blank_cells (
  log_type varchar not null,
  field varchar not null,
  month date not null,
  rows bigint not null,
  blank bigint not null
);

-- one row per (indicator, month) with rows in the indicator's log (etl/sql/monthly_volumes.sql)
create table if not exists marts.monthly_volumes (
  month date not null,
  indicator varchar not null,
  value double,
  n_rows bigint not null
);
