"""Publishing products: atomic Parquet files per partition and the analysts' DuckDB catalog."""
