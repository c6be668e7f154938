"""The bottom floor: what the load side (etl/) and the read side (metrics/) share; it imports neither.

settings (and the clock), contract (log types, fields, aliases, enums), schema (with its SQL and
migrations in sql/), store (the lock, copy-and-swap, readers), privacy (the key, keyed hashing,
the identifier screen), periods, ledger (what was released). docs/developers.md draws the house.
"""
