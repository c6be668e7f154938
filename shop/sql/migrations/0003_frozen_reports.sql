-- v3: reports frozen as submitted, one row per frozen report
create table if not exists meta.frozen_reports (
  report_id integer primary key,
  label varchar not null,
  period_from date not null,
  period_to date not null,
  suppressed boolean not null,
  created_at timestamp not null,
  batches varchar not null,     -- JSON: the batches in force (file, sheet, sha256)
  figures varchar not null      -- JSON: indicator id -> value as released in the report
);
