"""Automation: a new upstream partition flows down only past passing blocking checks; the daily schedule;
the assets share no in-process state (they run under the multiprocess executor)."""

import dagster as dg
import duckdb

from dataval_pipeline.definitions import ALL_REPORTS, PER_REPORT, defs
from dataval_pipeline.demo import register_inbox
from dataval_pipeline.ingest import assets as ingest_assets
from dataval_pipeline.partitions import range_tags
from dataval_pipeline.resources import AnonymiserResource, WarehouseResource
from dataval_pipeline_tests.conftest import fill_inbox

RAW = dg.AssetKey("raw_reports")
ANONYMISED = dg.AssetKey("anonymised_corpus")


def _raw_run(instance, home, keys):
    """raw_reports and its per-report contract check over ``keys`` in one run (what the inbox sensor starts)."""
    checks = [c for c in defs.asset_checks if dg.AssetCheckKey(RAW, "contract") in c.check_keys]
    return dg.materialize([ingest_assets.raw_reports, *checks], instance=instance, raise_on_error=False,
                          resources={"warehouse": WarehouseResource(home=str(home.home))}, tags=range_tags(keys))


def _break_rows_of(monkeypatch, bad: set[str]) -> None:
    """raw_reports writes a row that breaks its contract (a sha256 that is not one) for the ``bad`` reports."""
    original = ingest_assets.raw_report_row

    def row(*args, **kwargs):
        result = original(*args, **kwargs)
        return {**result, "sha256": "not-a-hash"} if result["report_id"] in bad else result

    monkeypatch.setattr(ingest_assets, "raw_report_row", row)


def _contract_by_partition(result) -> dict[str, bool]:
    return {e.partition: e.passed for e in result.get_asset_check_evaluations() if e.check_name == "contract"}


def _two_reports(sample_corpus):
    return sorted(p.name for p in sample_corpus.glob("2*.pdf"))[:2]


def test_a_bad_report_blocks_only_itself_within_one_run(home, sample_corpus, monkeypatch):
    """A bad report and a good one in the same run: the check fails for the bad one only, and the
    automation moves the good one down and holds the bad one."""
    with dg.instance_for_test() as instance:
        fill_inbox(home, sample_corpus, names=_two_reports(sample_corpus))
        good, bad = register_inbox(home, instance)
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        _break_rows_of(monkeypatch, {bad})
        run = _raw_run(instance, home, [good, bad])
        assert _contract_by_partition(run) == {good: True, bad: False}
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert tick.get_requested_partitions(ANONYMISED) == {good}
        # one stage per tick: the next stage waits for this one's checks, so it is not in the same run
        assert tick.get_requested_partitions(dg.AssetKey("findings")) == set()


def test_the_inbox_run_holds_the_first_stage_only():
    """The inbox sensor's run materialises raw_reports and its per-report check; a later stage in the same
    run would be stopped for every report of the batch by one report's failed check."""
    sensor = defs.resolve_sensor_def("inbox_sensor")
    graph = defs.resolve_asset_graph()
    selected = sensor.asset_selection.resolve(graph)
    assert selected == {RAW}
    checks = sensor.asset_selection.resolve_checks(graph)
    assert checks == {dg.AssetCheckKey(RAW, "contract")}


def test_a_good_report_after_a_bad_one_does_not_unblock_it(home, sample_corpus, monkeypatch):
    """The next passing run (another report) leaves the bad report blocked: checks are judged per report,
    not by the product's latest evaluation."""
    first, second = _two_reports(sample_corpus)
    with dg.instance_for_test() as instance:
        fill_inbox(home, sample_corpus, names=[first])
        [bad] = register_inbox(home, instance)
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        _break_rows_of(monkeypatch, {bad})
        assert _contract_by_partition(_raw_run(instance, home, [bad])) == {bad: False}
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert tick.get_requested_partitions(ANONYMISED) == set()

        fill_inbox(home, sample_corpus, names=[second])
        good = (set(register_inbox(home, instance)) - {bad}).pop()
        assert _contract_by_partition(_raw_run(instance, home, [good])) == {good: True}
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert tick.get_requested_partitions(ANONYMISED) == {good}
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert bad not in tick.get_requested_partitions(ANONYMISED), "the bad report stays blocked"

        monkeypatch.undo()  # the bad report fixed and re-ingested: it flows down too
        assert _contract_by_partition(_raw_run(instance, home, [bad])) == {bad: True}
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert tick.get_requested_partitions(ANONYMISED) == {bad}


def test_the_daily_schedule_rebuilds_every_product_over_all_reports():
    repo = defs.get_repository_def()
    schedule = repo.get_schedule_def("daily_products_schedule")
    assert schedule.cron_schedule == "0 6 * * *" and schedule.execution_timezone == "Europe/Paris"
    job = repo.get_job(schedule.job_name)
    assert set(job.asset_layer.executable_asset_keys) >= {a.key for a in ALL_REPORTS}
    assert {a.key.path[-1] for a in ALL_REPORTS} >= {"anonymisation_quality", "establishments", "reference_rejects",
                                                      "financial_declarations", "fraud_features", "evaluation"}
    graph = defs.resolve_asset_graph()
    for key in (key for asset in PER_REPORT for key in asset.keys):  # whole-product checks: each morning too
        condition = graph.get(dg.AssetCheckKey(key, "quality")).automation_condition
        assert condition is not None and "0 6 * * *" in condition.name
    for asset in ALL_REPORTS:
        assert asset.specs_by_key[asset.key].freshness_policy is not None


def test_assets_run_in_separate_processes(home, sample_corpus, tmp_path):
    """Under the multiprocess executor each step is its own process: nothing may rely on in-memory state."""
    fill_inbox(home, sample_corpus, names=sorted(p.name for p in sample_corpus.glob("2*.pdf"))[:2])
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        keys = register_inbox(home, instance)
        result = dg.execute_job(dg.reconstructable(_multiprocess_job), instance=instance, tags=range_tags(keys),
                                run_config={"resources": {"warehouse": {"config": {"home": str(home.home)}}}})
        assert result.success
        pids = {event.pid for event in result.all_events if event.is_step_start}
        assert len(pids) == 2, "each step ran in its own process"
    with duckdb.connect(str(home.catalog), read_only=True) as con:
        assert con.execute("SELECT COUNT(*) FROM anonymised_corpus").fetchone()[0] == 2


def _multiprocess_job() -> dg.JobDefinition:
    from dataval_pipeline.anonymise.assets import anonymised_corpus

    job = dg.define_asset_job("per_report_steps", selection=[RAW, ANONYMISED], executor_def=dg.multiprocess_executor)
    return dg.Definitions(
        assets=[ingest_assets.raw_reports, anonymised_corpus], jobs=[job],
        resources={"warehouse": WarehouseResource.configure_at_launch(), "anonymiser": AnonymiserResource()},
    ).resolve_job_def("per_report_steps")
