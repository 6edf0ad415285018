"""The inbox sensor: new contents become partitions and one run; duplicates add nothing."""

import shutil

import dagster as dg

from dataval_pipeline.definitions import defs
from dataval_pipeline.partitions import RANGE_END, RANGE_START
from dataval_pipeline.resources import WarehouseResource
from dataval_pipeline_tests.conftest import fill_inbox


def _evaluate(instance, home, cursor):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"warehouse": WarehouseResource(home=str(home.home))}
    )
    result = defs.resolve_sensor_def("inbox_sensor")(context)
    for request in result.dynamic_partitions_requests or []:  # what the daemon would apply
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_sensor_adds_partitions_once_and_requests_one_run(home, sample_corpus):
    files = fill_inbox(home, sample_corpus)
    with dg.instance_for_test() as instance:
        first = _evaluate(instance, home, None)
        (add,) = first.dynamic_partitions_requests
        assert len(add.partition_keys) == len(files)
        (run,) = first.run_requests
        assert run.tags[RANGE_START] == add.partition_keys[0] and run.tags[RANGE_END] == add.partition_keys[-1]

        # the same bytes under another name: nothing new
        shutil.copyfile(files[0], home.inbox / "doublon du rapport.pdf")
        second = _evaluate(instance, home, first.cursor)
        assert not second.run_requests and not second.dynamic_partitions_requests
        assert int(second.cursor) >= int(first.cursor)

        # a new content: exactly one key
        (home.inbox / "nouveau.pdf").write_bytes(files[0].read_bytes() + b"\n%new\n")
        third = _evaluate(instance, home, second.cursor)
        assert len(third.dynamic_partitions_requests[0].partition_keys) == 1
        assert len(instance.get_dynamic_partitions("reports")) == len(files) + 1
