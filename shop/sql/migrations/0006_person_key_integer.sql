-- v6: a person key is a 64-bit number (the first 8 bytes of the code's HMAC-SHA-256), not 64 hex
-- characters. The same person keeps the same key (the old text's first 16 hex digits are that
-- number), counts are unchanged, and a decade of rows is written, copied and counted several
-- times faster. Two of 100,000 people share a key with odds below one in a billion.
alter table core.outreach alter person_key type ubigint using ('0x' || left(person_key, 16))::ubigint;
alter table core.supplies alter person_key type ubigint using ('0x' || left(person_key, 16))::ubigint;
alter table core.referrals alter person_key type ubigint using ('0x' || left(person_key, 16))::ubigint;
alter table core.suite_stays alter person_key type ubigint using ('0x' || left(person_key, 16))::ubigint;
alter table core.suite_requests alter person_key type ubigint using ('0x' || left(person_key, 16))::ubigint;
alter table core.friday_network alter person_key type ubigint using ('0x' || left(person_key, 16))::ubigint;
create or replace table marts.first_outreach as
select person_key, min(contact_date) as first_date from core.outreach where person_key is not null
group by person_key;
