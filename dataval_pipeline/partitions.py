"""One dynamic partition per report, keyed by content hash (see ``identifiers.report_id_for``)."""

import dagster as dg

report_partitions = dg.DynamicPartitionsDefinition(name="reports")
