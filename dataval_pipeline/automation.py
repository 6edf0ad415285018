"""When products update: the global policy, set once and read by the assets and the definitions.

- Per-report products follow their upstream partition once it is materialised and its blocking contract
  checks passed (a broken upstream row never flows down). Reports enter through the inbox sensor, which
  requests the first product only; each later stage is requested on a later tick of the automation sensor,
  for every report ready for it, in one run (a backfill in single-run policy, so the LLM still batches across
  reports). One stage per run is what makes a blocking check judge one report: within a run Dagster skips a
  failed check's downstream step for every partition of the run, across runs the automation holds only the
  partitions whose own check failed.
- Products that span all reports (quality scores, evaluation, reference data, fraud features) are rebuilt
  by one daily schedule, and carry a freshness policy so the UI flags a day without rebuild.
"""

import datetime as dt

import dagster as dg

# ``all_deps_blocking_checks_passed()`` also accepts checks that "will be requested" this tick, which would put
# a stage and its downstream stages in one run; this one waits for the checks to have passed.
UPSTREAM_CHECKS_PASSED = dg.AutomationCondition.all_deps_match(
    dg.AutomationCondition.all_checks_match(dg.AutomationCondition.check_passed(), blocking_only=True)
    .with_label("all_blocking_checks_passed")
).with_label("all_deps_blocking_checks_passed_before_this_tick")
PER_REPORT_CONDITION = dg.AutomationCondition.eager() & UPSTREAM_CHECKS_PASSED
DAILY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=26), warn_window=dt.timedelta(hours=24))
DAILY_CRON = "0 6 * * *"
TIMEZONE = "Europe/Paris"
# Whole-product checks of per-report products (they read every report): once a morning. Having a condition of
# their own also keeps them out of the automation's per-report runs, where checks without one ride along.
WHOLE_PRODUCT_CONDITION = dg.AutomationCondition.cron_tick_passed(DAILY_CRON, TIMEZONE)


def whole_product_checks(per_report: list[dg.AssetsDefinition]) -> dg.AssetSelection:
    """The checks of per-report products that read every report (``quality``: uniqueness over all partitions,
    distribution rules): they run each morning, not with each run of a few new reports."""
    from dataval_pipeline.contracts.checks import QUALITY_CHECK

    keys = [dg.AssetCheckKey(key, QUALITY_CHECK) for asset in per_report for key in asset.keys]
    return dg.AssetSelection.checks(*keys)


def inbox_run_selection(per_report: list[dg.AssetsDefinition]) -> dg.AssetSelection:
    """What the inbox sensor's run executes: the per-report products that read no other product (the
    landing zone's reports) with their per-report checks; the automation takes the next stages."""
    keys = {key for asset in per_report for key in asset.keys}
    roots = [asset for asset in per_report if not (asset.dependency_keys & keys)]
    return report_run_selection(roots)


def report_run_selection(per_report: list[dg.AssetsDefinition]) -> dg.AssetSelection:
    """What a run over new reports executes: the per-report products and their per-report checks."""
    return dg.AssetSelection.assets(*per_report) - whole_product_checks(per_report)


def daily_products_schedule(assets: list[dg.AssetsDefinition]) -> dg.ScheduleDefinition:
    """Rebuild every product that spans all reports, each morning before analysts arrive (the whole-product
    checks of per-report products run at the same hour through their own automation condition)."""
    job = dg.define_asset_job("daily_products", selection=dg.AssetSelection.assets(*assets),
                              description="Products over all reports: quality, evaluation, reference data, fraud "
                              "features.")
    return dg.ScheduleDefinition(name="daily_products_schedule", job=job, cron_schedule=DAILY_CRON,
                                 execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.RUNNING)


def automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """Evaluates the per-report conditions; running by default so a dropped PDF flows through every stage."""
    return dg.AutomationConditionSensorDefinition(
        "per_report_automation", target=dg.AssetSelection.all(), default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30)


def run_selection(assets: list[dg.AssetsDefinition], every_asset: list[dg.AssetsDefinition]) -> dg.AssetSelection:
    """What one run over ``assets`` executes, as the sensor and the daily job do: per-report products with
    their per-report checks; products over all reports with the whole-product checks of every per-report
    product (``every_asset``: the code location's assets)."""
    if all(asset.partitions_def is not None for asset in assets):
        return report_run_selection(assets)
    per_report = [asset for asset in every_asset if asset.partitions_def is not None]
    return dg.AssetSelection.assets(*assets) | whole_product_checks(per_report)
