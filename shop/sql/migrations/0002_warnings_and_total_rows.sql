-- v2: warnings (rows that loaded but need a look) and the count of total rows skipped per batch
alter table meta.batches add column if not exists total_rows integer default 0;

-- one row per warning: the row loaded, but someone should look
create table if not exists meta.warnings (
  batch_id integer not null,
  row_number integer,
  field varchar,
  reason varchar not null
);
