"""When products update: the global policy, set once and read by the assets and the definitions.

- Per-report products follow their upstream partition as soon as it is materialised, and only once its
  blocking contract checks passed (a broken upstream row never flows down). Reports enter through the
  inbox sensor, which also requests the whole per-report chain in one run so the LLM batches across reports.
- Products that span all reports (quality scores, evaluation, reference data, fraud features) are rebuilt
  by one daily schedule, and carry a freshness policy so the UI flags a day without rebuild.
"""

import datetime as dt

import dagster as dg

PER_REPORT_CONDITION = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
DAILY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=26), warn_window=dt.timedelta(hours=24))
DAILY_CRON = "0 6 * * *"
TIMEZONE = "Europe/Paris"


def daily_products_schedule(assets: list[dg.AssetsDefinition]) -> dg.ScheduleDefinition:
    """Rebuild every product that spans all reports, each morning before analysts arrive."""
    job = dg.define_asset_job("daily_products", selection=dg.AssetSelection.assets(*assets),
                              description="Products over all reports: quality, evaluation, reference data, fraud features.")
    return dg.ScheduleDefinition(name="daily_products_schedule", job=job, cron_schedule=DAILY_CRON,
                                 execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.RUNNING)


def automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """Evaluates the per-report conditions; running by default so a dropped PDF flows through every stage."""
    return dg.AutomationConditionSensorDefinition(
        "per_report_automation", target=dg.AssetSelection.all(), default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30)
