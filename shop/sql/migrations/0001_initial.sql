-- meta: what was loaded, what was rejected, and settings. Grain noted per table.
create schema if not exists core;
create schema if not exists meta;
create schema if not exists marts;

-- one row per setting (schema_version, key_fingerprint); never the key itself
create table if not exists meta.settings (
  key varchar primary key,
  value varchar
);

-- one row per loaded file (CSV) or sheet (XLSX)
create table if not exists meta.batches (
  batch_id integer primary key,
  file_name varchar not null,
  sheet varchar not null,
  log_type varchar not null,
  content_sha256 varchar not null,
  rows_read integer not null,
  rows_loaded integer not null,
  rows_rejected integer not null,
  loaded_at timestamp not null,
  status varchar not null,          -- in_force | replaced
  replaced_by integer,
  date_order varchar
);

-- one row per rejected (row, field): never the value
create table if not exists meta.rejects (
  batch_id integer not null,
  row_number integer not null,
  field varchar not null,
  reason varchar not null
);
