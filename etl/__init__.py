"""The load side: service logs (CSV, XLSX) -> DuckDB. `python -m etl --help`."""
from pathlib import Path

from shop.settings import DEFAULT_DB, db_path

__all__ = ["DEFAULT_DB", "default_db"]


def default_db() -> Path:
    """--db default: $SHOP_DB, else data/shop.duckdb."""
    return db_path()
