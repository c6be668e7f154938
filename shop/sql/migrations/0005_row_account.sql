-- v5: the account of every batch: rows read = loaded + rejected + skipped (header, title, blank,
-- total, footnote). rows_read now counts every row of the file or sheet; older batches counted
-- the data rows only, so their total rows are added back (their other skipped rows are unknown: 0).
alter table meta.batches add column if not exists header_rows integer default 0;
alter table meta.batches add column if not exists title_rows integer default 0;
alter table meta.batches add column if not exists blank_rows integer default 0;
alter table meta.batches add column if not exists footnote_rows integer default 0;
update meta.batches set rows_read = rows_read + coalesce(total_rows, 0);
