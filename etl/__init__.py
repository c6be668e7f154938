"""The load side: service logs (CSV, XLSX) -> DuckDB. It writes; metrics/ reads; both stand on shop/.

`python -m etl --help` lists the commands (they live in cli.py, above both sides)."""
