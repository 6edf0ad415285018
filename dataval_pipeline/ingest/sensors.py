"""The inbox sensor: new report files become partitions and a run, without anyone clicking.

Each tick lands at most ``DATAVAL_INBOX_MAX_PER_TICK`` files within ``DATAVAL_INBOX_TICK_BUDGET_S`` seconds
(the rest on the next tick), then registers every content of the landing zone that is not a partition yet:
the landing zone, not a cursor, says what exists, so a file can never be skipped (a ``cp -p`` copy with an
old modification time included), and a tick that failed half-way is completed by the next one.
"""

import json

import dagster as dg

from dataval_pipeline.automation import inbox_run_selection
from dataval_pipeline.ingest.landing import land_inbox, landed_report_ids
from dataval_pipeline.partitions import range_tags, report_partitions
from dataval_pipeline.resources import WarehouseResource
from dataval_pipeline.settings import Paths


def new_report_ids(landed_ids: list[str], existing: set[str]) -> list[str]:
    """Keys not yet registered, in arrival order, each once (duplicates add nothing)."""
    seen, keys = set(existing), []
    for report_id in landed_ids:
        if report_id not in seen:
            seen.add(report_id)
            keys.append(report_id)
    return keys


def unregistered_report_ids(paths: Paths, existing: set[str]) -> list[str]:
    """Contents in the landing zone that are not partitions yet, in landing order."""
    return new_report_ids(landed_report_ids(paths), existing)


def build_inbox_sensor(targets: list[dg.AssetsDefinition]) -> dg.SensorDefinition:
    """The sensor requests one run of the first per-report product among ``targets`` for each batch of new
    files; the automation sensor requests the next stages (dataval_pipeline.automation)."""

    @dg.sensor(
        name="inbox_sensor",
        description="Watches $DATAVAL_HOME/inbox; lands new settled files by copy (a capped number per tick), "
        "adds one partition per new content found in the landing zone, requests one raw_reports run for the "
        "batch (per_report_automation takes the next stages).",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        asset_selection=inbox_run_selection(targets),
    )
    def inbox_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
        paths = warehouse.paths
        landed_now = 0
        try:
            landed, report = land_inbox(paths, wait=False)
            landed_now = len(landed)
            for skip in report.skipped:  # a safe tag, never the name (personal data)
                context.log.warning(f"inbox {skip.tag}: skipped, {skip.reason}")
            if report.unsettled or report.deferred:
                context.log.info(f"inbox: {report.unsettled} file(s) still being written, {report.deferred} left "
                                 "for the next tick (DATAVAL_INBOX_MAX_PER_TICK)")
        except Exception:  # noqa: BLE001 - what did land is still registered below; the error shows in the log
            context.log.exception("inbox: landing failed during this tick")
        existing = set(context.instance.get_dynamic_partitions(report_partitions.name))
        keys = unregistered_report_ids(paths, existing)
        cursor = json.dumps({"partitions": len(existing) + len(keys), "landed_last_tick": landed_now})
        if not keys:
            return dg.SensorResult(cursor=cursor)
        context.log.info(f"{len(keys)} new report(s) in the inbox")
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"inbox-{keys[0]}-{keys[-1]}-{len(keys)}", tags=range_tags(keys))],
            dynamic_partitions_requests=[report_partitions.build_add_request(keys)],
            cursor=cursor,
        )

    return inbox_sensor
