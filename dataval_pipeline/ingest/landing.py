"""Inbox to landing zone: private, content-addressed copies of the files people deposit.

The inbox belongs to the people who deposit files; the landing zone (``restricted/landing/``) belongs to the
pipeline. Rules, in the order a file meets them:

- Every inbox entry is accounted for: it lands (a copy, hence a ``raw_reports`` row), or it is skipped with a
  reason (a folder, a FIFO, a symbolic link, a file the pipeline may not read, a name that says it is still
  being written). Skips are kept in the landing index and logged under a safe tag (a name is personal data).
- Only regular files are opened (``O_NOFOLLOW | O_NONBLOCK``: a link is never followed, a FIFO never blocks),
  and only once settled: unmodified for ``DATAVAL_INBOX_SETTLE_S`` seconds. Depositors whose copies can stall
  longer write under a temporary name (``.part``, ``.tmp``, ``.crdownload``, a leading dot) and rename when
  done; such names are never landed.
- Landing is a copy into a private temporary file, hashed while it is copied; the source is checked
  unchanged (size, modification and change times, inode) after the copy, else the copy is thrown away and
  the file retried later. The partition key is the copy's hash, so a renamed duplicate adds nothing and a
  file overwritten or grown in place is a new content, a new partition, beside the old one. Nothing outside
  the pipeline's folders is modified (no chmod, no link to a user's file); ``DATAVAL_INBOX_MODE=move``
  (default ``copy``) removes the inbox file once its copy is safe, for deployments where the restricted zone
  must be the only place raw PDFs stay.
- Names are bytes: any name, in any encoding, is landed; the sidecar keeps the exact bytes (base64) and a
  readable form (undecodable bytes as ``\\xNN``).

The landing index (``restricted/landing/inbox_index.json``) remembers, per inbox name, the state
(size, mtime, ctime, inode) last handled, so an unchanged entry costs one ``stat`` per call, and a copy with an
old modification time (``cp -p``, ``rsync -t``) is still new: its inode and change time are. The partitions
to register are read from the landing zone itself, so nothing landed can be skipped.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import stat
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from dataval_pipeline.identifiers import report_id_from_sha256
from dataval_pipeline.settings import Paths, exclusive_lock, make_private_dir

REPORT_SUFFIX = ".pdf"
TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".filepart", "~")
INDEX_NAME = "inbox_index.json"
DEFAULT_SETTLE_S = 3.0
DEFAULT_MAX_PER_CALL = 200
DEFAULT_TIME_BUDGET_S = 20.0
CHUNK = 1 << 20


@dataclass(frozen=True)
class LandedFile:
    report_id: str
    source_file: str  # readable form of the inbox name (restricted: a name can be personal data)
    new_content: bool  # False when the same bytes had already landed (a duplicate)


@dataclass(frozen=True)
class SkippedEntry:
    name: str  # readable form of the inbox name (restricted)
    tag: str  # safe label for logs: a hash of the name, never the name
    reason: str


@dataclass
class InboxReport:
    """What one pass over the inbox did, beyond what landed."""

    skipped: list[SkippedEntry] = field(default_factory=list)  # new skips (an unchanged one is not repeated)
    unsettled: int = 0  # files still being written: they land on a later pass
    deferred: int = 0  # files left for a later pass by the per-call cap or time budget
    unchanged: int = 0  # entries handled before and not changed since


@dataclass(frozen=True)
class LandingOptions:
    settle_s: float = DEFAULT_SETTLE_S
    max_files: int = DEFAULT_MAX_PER_CALL
    time_budget_s: float = DEFAULT_TIME_BUDGET_S
    move: bool = False

    @classmethod
    def from_env(cls, **overrides) -> "LandingOptions":
        mode = os.environ.get("DATAVAL_INBOX_MODE", "copy").strip().lower()
        if mode not in ("copy", "move"):
            raise ValueError(f"DATAVAL_INBOX_MODE must be copy or move, not {mode!r}")
        options = cls(
            settle_s=float(os.environ.get("DATAVAL_INBOX_SETTLE_S", DEFAULT_SETTLE_S)),
            max_files=int(os.environ.get("DATAVAL_INBOX_MAX_PER_TICK", DEFAULT_MAX_PER_CALL)),
            time_budget_s=float(os.environ.get("DATAVAL_INBOX_TICK_BUDGET_S", DEFAULT_TIME_BUDGET_S)),
            move=mode == "move",
        )
        return cls(**{**options.__dict__, **overrides})


# -- names ---------------------------------------------------------------------------------------------------
def display_name(name: bytes) -> str:
    """A readable str for any name: UTF-8 where it is, ``\\xNN`` for the bytes that are not."""
    return name.decode("utf-8", errors="backslashreplace")


def name_tag(name: bytes) -> str:
    """What logs say instead of a name (names can carry a person's name or phone number)."""
    return "entry-" + hashlib.sha256(name).hexdigest()[:10]


def _b64(name: bytes) -> str:
    return base64.b64encode(name).decode("ascii")


def is_temporary_name(name: bytes) -> bool:
    lowered = name.lower()
    return name.startswith(b".") or any(lowered.endswith(s.encode()) for s in TEMPORARY_SUFFIXES)


# -- the landing zone ----------------------------------------------------------------------------------------
def landing_pdf(paths: Paths, report_id: str) -> Path:
    return paths.landing / f"{report_id}.pdf"


def landing_sidecar(paths: Paths, report_id: str) -> Path:
    return paths.landing / f"{report_id}.json"


def read_sidecar(paths: Paths, report_id: str) -> dict:
    path = landing_sidecar(paths, report_id)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _write_json_atomic(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def landed_report_ids(paths: Paths) -> list[str]:
    """Every content in the landing zone, in landing order: the source of truth for partitions."""
    try:
        entries = list(os.scandir(paths.landing))
    except FileNotFoundError:
        return []
    found = []
    for entry in entries:
        if entry.name.endswith(REPORT_SUFFIX) and not entry.name.startswith(".") and entry.is_file(follow_symlinks=False):
            found.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name[: -len(REPORT_SUFFIX)]))
    return [report_id for _, report_id in sorted(found)]


def source_label(sidecar: dict, report_id: str) -> str:
    """What the public product shows instead of a file name: the kind of file and when it arrived."""
    names = sidecar.get("names") or []
    suffix = Path(names[0]).suffix.lower().lstrip(".") if names else ""
    kind = f"{suffix or 'unnamed'} file" if suffix.isascii() and suffix.isalnum() and len(suffix) <= 8 else "file"
    received = (sidecar.get("received_at") or "")[:16].replace("T", " ")
    label = f"{kind} {report_id}" + (f" received {received} UTC" if received else "")
    return label + (f", deposited under {len(names)} names" if len(names) > 1 else "")


# -- one pass over the inbox ---------------------------------------------------------------------------------
def _signature(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _kind(mode: int) -> str | None:
    """Why a non-regular entry is not a report file, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link: links are never followed (put the file itself in the inbox)"
    if stat.S_ISDIR(mode):
        return "a folder: sub-folders are not read (put its files in the inbox itself)"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    return "a device, not a file"


def _os_reason(error: OSError) -> str:
    if error.errno in (errno.EACCES, errno.EPERM):
        return "the pipeline's user may not read it (permission denied): give it read access"
    if error.errno == errno.ELOOP:
        return "a symbolic link: links are never followed (put the file itself in the inbox)"
    return f"could not be read ({errno.errorcode.get(error.errno, 'error')})"


class _Changed(Exception):
    """The source changed while it was copied."""


def _copy_and_hash(inbox_fd: int, name: bytes, expected: os.stat_result, landing: Path) -> tuple[str, Path]:
    """Copy one inbox file to a private temporary file in the landing zone; its sha256 and the temp path."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    source = os.open(name, flags, dir_fd=inbox_fd)
    tmp = landing / f".incoming-{uuid.uuid4().hex}.tmp"
    try:
        before = os.fstat(source)
        if not stat.S_ISREG(before.st_mode) or before.st_ino != expected.st_ino:
            raise _Changed
        digest = hashlib.sha256()
        target = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            while block := os.read(source, CHUNK):
                digest.update(block)
                view = memoryview(block)
                while view:
                    view = view[os.write(target, view):]
            os.fsync(target)
        finally:
            os.close(target)
        after = os.fstat(source)
        if _signature(after) != _signature(before) or _signature(before)[:2] != _signature(expected)[:2]:
            raise _Changed
        return digest.hexdigest(), tmp
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        os.close(source)


def _store(paths: Paths, sha256: str, tmp: Path, name: bytes) -> LandedFile:
    """Move a finished copy to its content-addressed place and record the name it came under."""
    report_id = report_id_from_sha256(sha256)
    target = landing_pdf(paths, report_id)
    try:
        os.link(tmp, target)  # never replaces: a landed content is immutable
        new_content = True
    except FileExistsError:
        new_content = False
    finally:
        os.unlink(tmp)
    sidecar = read_sidecar(paths, report_id)
    names_b64 = sidecar.get("names_b64", [])
    if _b64(name) not in names_b64:
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        names = [*sidecar.get("names", []), display_name(name)]
        _write_json_atomic(landing_sidecar(paths, report_id), {
            "source_file": names[0], "names": names, "names_b64": [*names_b64, _b64(name)],
            "sha256": sha256, "size_bytes": os.stat(target).st_size,
            "received_at": sidecar.get("received_at", now),
        })
    else:
        names = sidecar["names"]
    return LandedFile(report_id, names[0], new_content)


def _read_index(paths: Paths) -> dict:
    try:
        return json.loads((paths.landing / INDEX_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def current_skips(paths: Paths) -> list[SkippedEntry]:
    """Inbox entries skipped and still there (what a person should look at), as of the last pass."""
    skips = []
    for key, state in sorted(_read_index(paths).items()):
        if state.get("skip"):
            name = base64.b64decode(key)
            skips.append(SkippedEntry(display_name(name), name_tag(name), state["skip"]))
    return skips


def land_inbox(paths: Paths, options: LandingOptions | None = None, *, wait: bool = True
               ) -> tuple[list[LandedFile], InboxReport]:
    """One pass over the inbox: land what is new and settled, account for everything else.

    ``wait``: when files are still settling, wait for them once (the demo, scripts, tests); the sensor
    passes False: it sees them on its next tick."""
    options = options or LandingOptions.from_env()
    make_private_dir(paths.restricted)
    make_private_dir(paths.landing)
    with exclusive_lock(paths.landing / ".lock"):  # one pass at a time (sensor, demo, tests)
        landed, report, youngest_age = _pass(paths, options)
        if wait and report.unsettled:
            time.sleep(max(0.0, options.settle_s - youngest_age) + 0.05)
            more, report2, _ = _pass(paths, options)
            landed += more
            report2.skipped = report.skipped + report2.skipped
            report = report2
    return landed, report


def _pass(paths: Paths, options: LandingOptions) -> tuple[list[LandedFile], InboxReport, float]:
    report = InboxReport()
    landed: list[LandedFile] = []
    index = _read_index(paths)
    seen: set[str] = set()
    youngest_age = options.settle_s
    started = time.monotonic()
    try:
        inbox_fd = os.open(paths.inbox, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return landed, report, youngest_age
    try:
        entries = []
        for entry in os.scandir(inbox_fd):  # dir_fd scandir: names are bytes-safe (os.fsencode restores them)
            try:
                entries.append((entry.stat(follow_symlinks=False), os.fsencode(entry.name)))
            except FileNotFoundError:  # gone between the listing and now
                continue
        for st, name in sorted(entries, key=lambda item: (item[0].st_mtime_ns, item[1])):  # arrival order
            key = _b64(name)
            seen.add(key)
            signature = _signature(st)
            previous = index.get(key)
            if previous is not None and previous.get("signature") == signature and (
                    "skip" in previous or landing_pdf(paths, previous.get("report_id", "-")).exists()):
                report.unchanged += 1
                continue
            reason = _kind(st.st_mode)
            if reason is None:
                age = time.time() - max(st.st_mtime, st.st_ctime)
                if age < options.settle_s:
                    report.unsettled += 1
                    youngest_age = min(youngest_age, age)
                    continue
                if is_temporary_name(name):
                    # A tool that renames when done is still at work, or a hidden file: never landed, but
                    # reported once it has settled, so nothing sits in the inbox unaccounted for.
                    reason = ("a hidden or temporary name (leading dot, .part, .tmp…): such files are left alone "
                              "until renamed")
            if reason is None:
                if len(landed) >= options.max_files or time.monotonic() - started > options.time_budget_s:
                    report.deferred += 1
                    continue
                try:
                    sha256, tmp = _copy_and_hash(inbox_fd, name, st, paths.landing)
                except _Changed:
                    report.unsettled += 1
                    youngest_age = 0.0
                    continue
                except FileNotFoundError:
                    continue
                except OSError as error:
                    reason = _os_reason(error)
                else:
                    file = _store(paths, sha256, tmp, name)
                    landed.append(file)
                    index[key] = {"signature": signature, "report_id": file.report_id}
                    if options.move and _remove_if_unchanged(inbox_fd, name, signature):
                        index.pop(key, None)
                    continue
            skipped = SkippedEntry(display_name(name), name_tag(name), reason)
            report.skipped.append(skipped)
            index[key] = {"signature": signature, "skip": reason}
    finally:
        os.close(inbox_fd)
    for key in set(index) - seen:  # gone from the inbox
        del index[key]
    _write_json_atomic(paths.landing / INDEX_NAME, index)
    return landed, report, youngest_age


def _remove_if_unchanged(inbox_fd: int, name: bytes, signature: list[int]) -> bool:
    """``move`` mode: the inbox file goes once its copy is safe, unless it changed meanwhile."""
    try:
        if _signature(os.stat(name, dir_fd=inbox_fd, follow_symlinks=False)) != signature:
            return False
        os.unlink(name, dir_fd=inbox_fd)
        return True
    except OSError:
        return False


def inbox_has_entries(paths: Paths) -> bool:
    try:
        with os.scandir(paths.inbox) as entries:
            return any(True for _ in entries)
    except FileNotFoundError:
        return False
