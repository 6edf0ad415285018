"""The inbox sensor: new report files become partitions and a run, without anyone clicking."""


import dagster as dg

from dataval_pipeline.ingest.landing import land_inbox
from dataval_pipeline.partitions import range_tags, report_partitions
from dataval_pipeline.resources import WarehouseResource

def new_report_ids(landed_ids: list[str], existing: set[str]) -> list[str]:
    """Keys not yet registered, in arrival order, each once (duplicates add nothing)."""
    seen, keys = set(existing), []
    for report_id in landed_ids:
        if report_id not in seen:
            seen.add(report_id)
            keys.append(report_id)
    return keys


def build_inbox_sensor(targets: list[dg.AssetsDefinition]) -> dg.SensorDefinition:
    """The sensor requests one run of the per-report ``targets`` for each batch of new files."""

    @dg.sensor(
        name="inbox_sensor",
        description="Watches $DATAVAL_HOME/inbox; lands new files, adds one partition per new content, "
        "requests one run for the batch.",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        asset_selection=targets,
    )
    def inbox_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
        since = int(context.cursor or 0)
        landed, cursor = land_inbox(warehouse.paths, since)
        existing = set(context.instance.get_dynamic_partitions(report_partitions.name))
        keys = new_report_ids([f.report_id for f in landed], existing)
        if not keys:
            return dg.SensorResult(cursor=str(cursor))
        context.log.info(f"{len(keys)} new report(s) in the inbox")
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"inbox-{keys[0]}-{keys[-1]}-{len(keys)}", tags=range_tags(keys))],
            dynamic_partitions_requests=[report_partitions.build_add_request(keys)],
            cursor=str(cursor),
        )

    return inbox_sensor
