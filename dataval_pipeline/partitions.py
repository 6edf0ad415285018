"""One dynamic partition per report, keyed by content hash (see ``identifiers.report_id_for``)."""

import dagster as dg

report_partitions = dg.DynamicPartitionsDefinition(name="reports")

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def range_tags(keys: list[str]) -> dict[str, str]:
    """Tags that make one run cover consecutive dynamic partitions (single-run backfill policy)."""
    return {RANGE_START: keys[0], RANGE_END: keys[-1]}
