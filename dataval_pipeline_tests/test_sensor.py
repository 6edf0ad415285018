"""The inbox sensor on a real instance and a real inbox: every entry landed or reported, nothing skipped
(old modification times, files still being written, more files than one tick takes), nothing outside the
pipeline's folders touched, and a tick that never fails because of one entry."""

import base64
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

import dagster as dg
import pytest

from dataval_pipeline.definitions import defs
from dataval_pipeline.identifiers import report_id_for
from dataval_pipeline.ingest.landing import (
    LandingOptions,
    current_skips,
    land_inbox,
    landed_report_ids,
    landing_pdf,
    read_sidecar,
)
from dataval_pipeline.partitions import RANGE_END, RANGE_START
from dataval_pipeline.resources import WarehouseResource
from dataval_pipeline.settings import Paths
from dataval_pipeline_tests.conftest import fill_inbox

SETTLE_S = 0.4
LATIN1_NAME = "signalement_d\xe9pos\xe9.pdf".encode("latin-1")  # not valid UTF-8


@pytest.fixture(autouse=True)
def quick_settle(monkeypatch):
    monkeypatch.setenv("DATAVAL_INBOX_SETTLE_S", str(SETTLE_S))


def _settle():
    time.sleep(SETTLE_S + 0.1)


def _evaluate(instance, home, cursor=None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"warehouse": WarehouseResource(home=str(home.home))}
    )
    result = defs.resolve_sensor_def("inbox_sensor")(context)
    for request in result.dynamic_partitions_requests or []:  # what the daemon would apply
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def _new_keys(result) -> list[str]:
    return [k for r in result.dynamic_partitions_requests or [] for k in r.partition_keys]


def _no_leftovers(home: Paths) -> None:
    leftovers = [p.name for p in home.landing.iterdir() if p.name.startswith(".incoming") or p.name.endswith(".tmp")]
    assert not leftovers, f"temporary files left in the landing zone: {leftovers}"
    assert not [p for p in home.landing.iterdir() if p.is_symlink()], "the landing zone must hold no link"


def test_sensor_adds_partitions_once_and_requests_one_run(home, sample_corpus):
    files = fill_inbox(home, sample_corpus)
    _settle()
    with dg.instance_for_test() as instance:
        first = _evaluate(instance, home)
        (add,) = first.dynamic_partitions_requests
        assert len(add.partition_keys) == len(files)
        (run,) = first.run_requests
        assert run.tags[RANGE_START] == add.partition_keys[0] and run.tags[RANGE_END] == add.partition_keys[-1]

        # the same bytes under another name: nothing new, the name is remembered
        shutil.copyfile(files[0], home.inbox / "doublon du rapport.pdf")
        _settle()
        second = _evaluate(instance, home, first.cursor)
        assert not second.run_requests and not second.dynamic_partitions_requests
        assert "doublon du rapport.pdf" in read_sidecar(home, report_id_for(files[0].read_bytes()))["names"]

        # a new content: exactly one key
        (home.inbox / "nouveau.pdf").write_bytes(files[0].read_bytes() + b"\n%new\n")
        _settle()
        third = _evaluate(instance, home, second.cursor)
        assert len(_new_keys(third)) == 1
        assert len(instance.get_dynamic_partitions("reports")) == len(files) + 1
    _no_leftovers(home)


def test_a_copy_with_an_old_modification_time_is_picked_up(home, sample_corpus):
    """cp -p, rsync -t and mail clients keep the original mtime: older than anything seen before."""
    reports = sorted(sample_corpus.glob("2*.pdf"))
    fill_inbox(home, sample_corpus, names=[reports[0].name])
    _settle()
    with dg.instance_for_test() as instance:
        first = _evaluate(instance, home)
        assert len(_new_keys(first)) == 1
        old = home.inbox / "ancien rapport.pdf"
        shutil.copy2(reports[1], old)
        os.utime(old, (946_684_800, 946_684_800))  # 2000-01-01, like cp -p of an old file
        _settle()
        second = _evaluate(instance, home, first.cursor)
        assert _new_keys(second) == [report_id_for(reports[1].read_bytes())]


def test_a_file_still_being_written_lands_whole_once_settled(home, sample_corpus):
    data = sorted(sample_corpus.glob("2*.pdf"))[0].read_bytes()
    home.inbox.mkdir(parents=True)
    growing = home.inbox / "en cours.pdf"
    with dg.instance_for_test() as instance:
        with open(growing, "wb") as writer:
            writer.write(data[: len(data) // 2])
            writer.flush()
            early = _evaluate(instance, home)  # the writer is still at work: nothing lands
            assert not _new_keys(early) and not landed_report_ids(home)
            writer.write(data[len(data) // 2:])
        (home.inbox / "depot.pdf.part").write_bytes(data[:100])  # the rename convention: never landed
        _settle()
        late = _evaluate(instance, home, early.cursor)
        assert _new_keys(late) == [report_id_for(data)], "the whole file, once, under its final content"
        assert landing_pdf(home, report_id_for(data)).read_bytes() == data
    _no_leftovers(home)


def test_a_file_overwritten_in_place_is_a_new_content_beside_the_old_one(home, sample_corpus):
    first, second = (p.read_bytes() for p in sorted(sample_corpus.glob("2*.pdf"))[:2])
    home.inbox.mkdir(parents=True)
    path = home.inbox / "rapport.pdf"
    path.write_bytes(first)
    _settle()
    with dg.instance_for_test() as instance:
        assert _new_keys(_evaluate(instance, home)) == [report_id_for(first)]
        with open(path, "r+b") as handle:  # in place: same inode, same name
            handle.write(second)
            handle.truncate()
        _settle()
        assert _new_keys(_evaluate(instance, home)) == [report_id_for(second)]
    assert landing_pdf(home, report_id_for(first)).read_bytes() == first, "the old content is never altered"
    assert landing_pdf(home, report_id_for(second)).read_bytes() == second


def test_more_files_than_one_tick_takes_are_all_registered_over_ticks(home, sample_corpus, monkeypatch):
    monkeypatch.setenv("DATAVAL_INBOX_MAX_PER_TICK", "3")
    files = fill_inbox(home, sample_corpus)
    _settle()
    registered: list[str] = []
    with dg.instance_for_test() as instance:
        for _ in range(len(files)):
            keys = _new_keys(_evaluate(instance, home))
            assert len(keys) <= 3
            registered += keys
            if not keys:
                break
    assert sorted(registered) == sorted({report_id_for(f.read_bytes()) for f in files})


def test_a_hostile_inbox_is_accounted_for_and_nothing_outside_is_touched(home, sample_corpus, tmp_path):
    good = sorted(sample_corpus.glob("2*.pdf"))[0]
    fill_inbox(home, sample_corpus, names=[good.name])
    outside = tmp_path / "outside" / "fichier système.pdf"
    outside.parent.mkdir()
    outside.write_bytes(good.read_bytes() + b"%outside\n")
    os.chmod(outside, 0o644)
    before = os.stat(outside)
    inbox = os.fsencode(home.inbox)
    os.symlink(outside, home.inbox / "lien.pdf")
    os.symlink(outside.parent, home.inbox / "dossier lié")
    os.mkfifo(home.inbox / "tube.pdf")
    (home.inbox / "dossier.pdf").mkdir()
    (home.inbox / ".cache.pdf").write_bytes(b"hidden")
    with open(os.path.join(inbox, LATIN1_NAME), "wb") as handle:
        handle.write(good.read_bytes() + b"%latin-1 name\n")
    _settle()
    with dg.instance_for_test() as instance:
        result = _evaluate(instance, home)  # must not raise, must not block on the FIFO
        keys = _new_keys(result)
    assert len(keys) == 2, "the good PDF and the one with a non-UTF-8 name"
    latin1_id = report_id_for(good.read_bytes() + b"%latin-1 name\n")
    sidecar = read_sidecar(home, latin1_id)
    assert base64.b64decode(sidecar["names_b64"][0]) == LATIN1_NAME and "\\xe9" in sidecar["source_file"]
    skips = {s.name: s.reason for s in current_skips(home)}
    assert set(skips) == {"lien.pdf", "dossier lié", "tube.pdf", "dossier.pdf", ".cache.pdf"}
    assert "symbolic link" in skips["lien.pdf"] and "FIFO" in skips["tube.pdf"]
    assert "folder" in skips["dossier.pdf"] and "hidden" in skips[".cache.pdf"]
    after = os.stat(outside)
    assert stat.S_IMODE(after.st_mode) == 0o644 and after.st_nlink == before.st_nlink == 1
    assert after.st_mtime_ns == before.st_mtime_ns
    assert report_id_for(outside.read_bytes()) not in landed_report_ids(home), "a link is never followed"
    _no_leftovers(home)


def _land_as(uid: int | None, home: Paths) -> str:
    """``land_inbox`` in a forked child that runs as ``uid`` (the interpreter lives under /root, which
    `nobody` may not execute, so privileges are dropped after the fork); returns what the child printed."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(read)
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            landed, _ = land_inbox(home, LandingOptions(settle_s=0.0))
            lines = [f"LANDED {len(landed)}"] + [f"SKIP {s.name} | {s.reason}" for s in current_skips(home)]
            os.write(write, "\n".join(lines).encode())
            code = 0
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            os.write(write, f"ERROR {type(error).__name__}: {error}".encode())
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        output = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output
    return output


def test_a_file_the_pipeline_may_not_read_is_reported_and_the_others_land(sample_corpus):
    """Mode 000 stops only a user without privileges: as root, the landing runs as `nobody` (the
    pipeline's user in production is not root); otherwise as the current user."""
    good = sorted(sample_corpus.glob("2*.pdf"))[0]
    base = Path(tempfile.mkdtemp(prefix="dataval-unreadable-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        home = Paths(base / "home")
        home.inbox.mkdir(parents=True)
        shutil.copyfile(good, home.inbox / "bon.pdf")
        locked = home.inbox / "verrouillé.pdf"
        locked.write_bytes(good.read_bytes() + b"%locked\n")
        os.chmod(locked, 0o000)
        as_root = os.geteuid() == 0
        if as_root:
            for path in (home.home, home.inbox, home.inbox / "bon.pdf"):
                os.chown(path, 65534, 65534)  # nobody owns the pipeline's folders; root keeps the locked file
        output = _land_as(65534 if as_root else None, home)
        assert "LANDED 1" in output, output
        assert "SKIP verrouillé.pdf | the pipeline's user may not read it (permission denied)" in output, output
        assert stat.S_IMODE(os.stat(locked).st_mode) == 0o000, "the pipeline never changes a file's mode"
        assert landed_report_ids(home) == [report_id_for(good.read_bytes())]
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_move_mode_leaves_the_restricted_zone_the_only_place_of_the_pdf(home, sample_corpus, monkeypatch):
    monkeypatch.setenv("DATAVAL_INBOX_MODE", "move")
    files = fill_inbox(home, sample_corpus, names=[p.name for p in sorted(sample_corpus.glob("2*.pdf"))[:2]])
    (home.inbox / "tube.pdf").unlink(missing_ok=True)
    os.mkfifo(home.inbox / "tube.pdf")
    _settle()
    with dg.instance_for_test() as instance:
        keys = _new_keys(_evaluate(instance, home))
    assert sorted(keys) == sorted(report_id_for(f.read_bytes()) for f in
                                  (sample_corpus / f.name for f in files))
    assert os.listdir(home.inbox) == ["tube.pdf"], "landed files leave the inbox; what is not landed stays"
    for key in keys:
        assert landing_pdf(home, key).exists()
