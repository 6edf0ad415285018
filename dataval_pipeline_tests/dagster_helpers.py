"""Run the real assets on a real Dagster instance, the way the demo and the sensor do."""

from __future__ import annotations

import dagster as dg

from dataval_pipeline.demo import QUIET_LOGS, register_inbox
from dataval_pipeline.partitions import range_tags
from dataval_pipeline.resources import AnonymiserResource, LLMResource, WarehouseResource
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


def register_and_run_all(paths: Paths, instance: dg.DagsterInstance, raise_on_error: bool = True):
    """What `dataval demo` does with the real definitions: per-report assets in one run, then the rest.
    The LLM is a scripted OpenAI-compatible server on 127.0.0.1 (the real model has its own tests)."""
    from dataval_pipeline.definitions import defs
    from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer

    register_inbox(paths, instance)
    keys = instance.get_dynamic_partitions("reports")
    assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]
    with ScriptedLLMServer() as llm_server:
        resources = {**defs.resources, "warehouse": WarehouseResource(home=str(paths.home)),
                     "llm": LLMResource(base_url=llm_server.base_url, model="scripted")}
        return _run_phases(instance, assets, keys, resources, raise_on_error)


def _run_phases(instance, assets, keys, resources, raise_on_error):
    from dataval_pipeline.automation import run_selection
    from dataval_pipeline.definitions import defs

    results = []
    for selection, tags in (([a for a in assets if a.partitions_def], range_tags(keys)),
                            ([a for a in assets if not a.partitions_def], {})):
        result = dg.materialize([*assets, *defs.asset_checks], instance=instance, resources=resources, tags=tags,
                                run_config=QUIET_LOGS, selection=run_selection(selection, assets),
                                raise_on_error=raise_on_error)
        results.append(result)
        if not result.success:
            break
    return results
