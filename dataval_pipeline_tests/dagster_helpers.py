"""Run the real assets on a real Dagster instance, the way the demo and the sensor do."""

from __future__ import annotations

import dagster as dg

from dataval_pipeline.demo import QUIET_LOGS, register_inbox
from dataval_pipeline.ingest.sensors import range_tags
from dataval_pipeline.resources import AnonymiserResource, WarehouseResource
from dataval_pipeline.settings import Paths


def materialize_reports(
    paths: Paths, instance: dg.DagsterInstance, assets: list, keys: list[str] | None = None, anonymiser: bool = False
):
    """Register the inbox, then materialise ``assets`` over ``keys`` (default: all) in one run."""
    all_keys = register_inbox(paths, instance)
    keys = keys or all_keys
    resources = {"warehouse": WarehouseResource(home=str(paths.home))}
    if anonymiser:
        resources["anonymiser"] = AnonymiserResource()
    return dg.materialize(assets, instance=instance, resources=resources, tags=range_tags(keys), run_config=QUIET_LOGS)


def event_log_text(instance: dg.DagsterInstance, run_id: str) -> str:
    """Everything the run wrote to the event log (messages, metadata), serialised."""
    records = instance.all_logs(run_id)
    return "\n".join(dg.serialize_value(record) for record in records)
