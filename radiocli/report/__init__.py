"""District reports over collected as-run logs (DuckDB over the store's Parquet copy)."""
