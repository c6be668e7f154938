"""The load side: service logs (CSV, XLSX) -> DuckDB. `python -m etl --help`."""
from pathlib import Path
import os

DEFAULT_DB = Path("data") / "shop.duckdb"


def default_db() -> Path:
    """--db default: $SHOP_DB, else data/shop.duckdb."""
    return Path(os.environ.get("SHOP_DB") or DEFAULT_DB)
