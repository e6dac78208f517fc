"""The daemon's write-behind queue: polls never wait for the store, and nothing collected is
lost while the store cannot take it.

A poll's result is handed to ``WriteBehind.submit`` (a lock and an append: the event loop
never waits). A writer thread drains the queue every ``interval`` seconds (sooner when a batch
is full) and writes each batch in one transaction, through the codec's ``write_batch``
(Core executemany: a statement per table, not per item). What cannot be written because the
store is unavailable (PostgreSQL down, the SQLite file locked beyond the busy timeout, the
disk full, the file removed or replaced) is spooled: one JSON file per batch in the spool
directory (inside the state directory), written 0600 and fsync'd before it counts as kept.
When the store takes writes again the spool is replayed oldest first, one transaction per
file, and only then new batches; a file is deleted once its transaction has committed.
"store unavailable" is logged once when an outage begins and "store back, N replayed" once
when it ends.

Bounds: at most ``max_memory_items`` wait in memory and ``max_spool_bytes`` on disk. Beyond
either, the oldest items are dropped, counted (``netmon_store_writes_dropped_total``) and
logged: the only way a sample is lost. An item the store refuses for itself (a constraint, a
value the driver cannot bind) is not an outage: the rest of its batch is written item by item,
and it alone is logged and counted as a failure, so one bad value never holds up the others.

For a SQLite store the database file's identity (device and inode) is checked before each
batch: a file removed or replaced under the daemon is said loudly (an error log, and
``netmon_store_available`` 0), the engine's connections to the old file are dropped, and items
are spooled until a file with the netmon schema is back at that path, never written into an
unlinked inode.
"""

from __future__ import annotations

import bisect
import json
import logging
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session

from agent.store.engine import Store, StoreError

log = logging.getLogger("netmon.writer")

SPOOL_VERSION = 1
SPOOL_SUFFIX = ".json"
DEFAULT_INTERVAL_S = 1.0
DEFAULT_MAX_BATCH = 1_000
# 20,000 samples is several minutes of a 500-device fleet at a 30 s interval: a stuck write
# (busy timeout, connect timeout) is seconds, so this bound is reached only by a bug.
DEFAULT_MAX_MEMORY_ITEMS = 20_000
# A 48-port switch's sample is ~5.7 KiB of JSON (benchmarks/writer.py): 512 MiB keep ~90,000
# samples, about 19 hours of the 40-device fleet at 30 s: more than any outage that the
# netmon_store_available alert leaves unnoticed.
DEFAULT_MAX_SPOOL_BYTES = 512 * 1024 * 1024
# Per-batch write time buckets (seconds): a batch is milliseconds when healthy, up to the
# busy or connect timeout (10 s) when the store struggles.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

Item = TypeVar("Item")


# What a codec's ``write`` may return: done after the transaction committed (a state update,
# a git export), never before, so nothing outside the store shows an uncommitted write.
AfterCommit = Callable[[], None]


class Codec(Protocol[Item]):
    """How the queue writes its items and keeps them on disk."""

    def write_batch(self, session: Session, items: Sequence[Item]) -> list[AfterCommit]:
        """Put ``items`` into ``session`` together (Core executemany, not a statement per
        item); the queue's transaction commits them, or rolls them all back. Returns the
        steps to run once it committed (state updates, a git export), in item order."""
        ...

    def encode(self, item: Item) -> dict[str, Any]: ...

    def decode(self, data: dict[str, Any]) -> Item: ...

    def describe(self, item: Item) -> str:
        """The item for a log line (e.g. its device); never its values."""
        ...


def is_outage(error: BaseException) -> bool:
    """True when ``error`` says the store cannot take writes now (connection, lock, disk,
    missing file or schema) rather than that this item is wrong: outages keep items."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current,
            OperationalError
            | InterfaceError
            | DisconnectionError
            | PoolTimeoutError
            | OSError
            | sqlite3.OperationalError
            | StoreFileGone,
        ):
            return True
        if _is_psycopg_outage(current):
            return True
        current = current.__cause__ or getattr(current, "orig", None)
    return False


def _is_psycopg_outage(error: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)


class StoreFileGone(StoreError):
    """The SQLite file the daemon opened was removed or replaced."""


class FileWatch:
    """The identity (device, inode) of a SQLite store's file, checked before each batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.identity = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return None
        return status.st_dev, status.st_ino

    def check(self) -> str:
        """``ok``, ``missing`` (no file at the path) or ``replaced`` (another file there;
        it becomes the file watched from now on)."""
        now = self._stat()
        if now is None:
            return "missing"
        if now != self.identity:
            self.identity = now
            return "replaced"
        return "ok"


@dataclass
class WriterStats:
    """What the metrics Collector reads; updated under the queue's lock."""

    available: bool = True
    queued: int = 0
    failures: int = 0
    replayed: int = 0
    dropped: int = 0
    rejected: int = 0
    written: int = 0
    duration_sum: float = 0.0
    duration_counts: list[int] = field(default_factory=lambda: [0] * (len(DURATION_BUCKETS) + 1))

    def observe(self, seconds: float) -> None:
        self.duration_sum += seconds
        self.duration_counts[bisect.bisect_left(DURATION_BUCKETS, seconds)] += 1


@dataclass(frozen=True)
class SpoolFile:
    path: Path
    items: int
    size: int


class Spool:
    """Batches kept on disk, one file each, named so that names sort oldest first and say how
    many items they hold: ``<ns since epoch>-<sequence>-<items>.json``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._sequence = 0
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        for leftover in directory.glob("*.tmp"):  # a write cut short by a crash: never counted
            leftover.unlink(missing_ok=True)
        self.files: deque[SpoolFile] = deque(sorted(self._scan(), key=lambda f: f.path.name))
        # Totals kept as plain ints: other threads (the metrics scrape) read them while the
        # writer thread changes ``files``, and must never iterate the deque meanwhile.
        self.items = sum(f.items for f in self.files)
        self.size = sum(f.size for f in self.files)

    def _scan(self) -> Iterator[SpoolFile]:
        for path in self.directory.glob(f"*{SPOOL_SUFFIX}"):
            parts = path.stem.split("-")
            if len(parts) != 3 or not all(part.isdigit() for part in parts):
                log.warning("not a spool file; left alone", extra={"path": str(path)})
                continue
            yield SpoolFile(path, int(parts[2]), path.stat().st_size)

    def add(self, encoded: Sequence[dict[str, Any]]) -> SpoolFile:
        """Write one batch durably (file and directory fsync'd) before it counts as kept."""
        self._sequence += 1
        name = f"{time.time_ns():020d}-{self._sequence:06d}-{len(encoded)}{SPOOL_SUFFIX}"
        final = self.directory / name
        temporary = final.with_suffix(".tmp")
        data = json.dumps({"version": SPOOL_VERSION, "items": list(encoded)}).encode()
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        self._sync_directory()
        spooled = SpoolFile(final, len(encoded), len(data))
        self.files.append(spooled)
        self.items += spooled.items
        self.size += spooled.size
        return spooled

    def read(self, spooled: SpoolFile) -> list[dict[str, Any]]:
        data = json.loads(spooled.path.read_bytes())
        if data.get("version") != SPOOL_VERSION:
            raise ValueError(f"spool file {spooled.path} has version {data.get('version')!r}")
        items: list[dict[str, Any]] = data["items"]
        return items

    def remove(self, spooled: SpoolFile) -> None:
        spooled.path.unlink(missing_ok=True)
        self.forget(spooled)
        self._sync_directory()

    def forget(self, spooled: SpoolFile) -> None:
        """No longer count ``spooled`` (deleted, or moved aside)."""
        self.files.remove(spooled)
        self.items -= spooled.items
        self.size -= spooled.size

    def _sync_directory(self) -> None:
        descriptor = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


class WriteBehind(Generic[Item]):
    """See the module docstring. ``start`` the thread, ``submit`` items, ``stop`` at the end."""

    def __init__(
        self,
        store: Store,
        codec: Codec[Item],
        spool_dir: Path,
        *,
        interval: float = DEFAULT_INTERVAL_S,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_memory_items: int = DEFAULT_MAX_MEMORY_ITEMS,
        max_spool_bytes: int = DEFAULT_MAX_SPOOL_BYTES,
        sqlite_file: Path | None = None,
    ) -> None:
        self.store = store
        self.codec = codec
        self.interval = interval
        self.max_batch = max_batch
        self.max_memory_items = max_memory_items
        self.max_spool_bytes = max_spool_bytes
        self.spool = Spool(spool_dir)
        self.stats = WriterStats()
        self.watch = FileWatch(sqlite_file) if sqlite_file is not None else None
        self._memory: deque[Item] = deque()
        self._lock = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._outage_started: float | None = None
        self._outage_replayed = 0
        self._file_missing = False
        self._spool_failing = False
        # Called (writer thread) when a new database file appears at the path, before anything
        # is written into it: the daemon syncs its devices there, or every sample is refused.
        self.on_new_file: Callable[[], None] | None = None
        # Called (writer thread) when the store is back after an outage: the daemon then
        # writes the other kinds' results it kept meanwhile.
        self.on_back: Callable[[], None] | None = None
        if self.spool.files:
            log.warning(
                "samples spooled by an earlier run will be written when the store takes them",
                extra={"items": self.spool.items, "files": len(self.spool.files)},
            )

    # -- the producer side (event loop) ----------------------------------------------------
    def submit(self, item: Item) -> None:
        """Queue one item; never blocks on the store."""
        with self._lock:
            self._memory.append(item)
            self.stats.queued += 1
            if len(self._memory) > self.max_memory_items:
                dropped = self._memory.popleft()
                self.stats.dropped += 1
                log.error(
                    "write queue full: dropped the oldest item",
                    extra={"item": self.codec.describe(dropped), "bound": self.max_memory_items},
                )
            if len(self._memory) >= self.max_batch:
                self._lock.notify()

    @property
    def pending(self) -> int:
        """Items waiting, in memory and on disk."""
        with self._lock:
            return len(self._memory) + self.spool.items

    # -- the thread --------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="netmon-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Keep what is queued (on disk first, so a hung store cannot lose it), try to write
        it all, and end the thread. False when the thread did not end within ``timeout``."""
        with self._lock:
            self._stopping = True
            self._lock.notify()
        if self._thread is None:
            self.flush()
        else:
            self._thread.join(timeout)
        stopped = self._thread is None or not self._thread.is_alive()
        with self._lock:
            stats = self.stats
            totals = {
                "queued": stats.queued,
                "written": stats.written,
                "replayed": stats.replayed,
                "rejected": stats.rejected,
                "dropped": stats.dropped,
                "pending": len(self._memory) + self.spool.items,
            }
        # The whole account of this run's items, for the journal: queued = written (replayed
        # included) + rejected + dropped + pending (kept for the next start).
        log.info("store writer stopped", extra=totals)
        return stopped

    def _loop(self) -> None:
        while True:
            with self._lock:
                if not self._stopping and len(self._memory) < self.max_batch:
                    self._lock.wait(self.interval)
                stopping = self._stopping
            if stopping:
                self._spool_memory()
                self.flush()
                return
            try:
                self.flush()
            except Exception as error:  # the writer thread must survive anything
                log.error(
                    "store writer failed", extra={"error": f"{type(error).__name__}: {error}"}
                )

    def flush(self) -> None:
        """One drain: replay the spool oldest first, then write what is in memory, batch by
        batch, until everything is written or the store stops taking writes."""
        if not self._store_file_ok():
            self._spool_memory()
            return
        while self.spool.files:
            if not self._replay(self.spool.files[0]):
                self._spool_memory()
                return
        while True:
            with self._lock:
                batch = [
                    self._memory.popleft() for _ in range(min(self.max_batch, len(self._memory)))
                ]
            if not batch:
                break
            if not self._write_batch(batch):
                self._spool([self.codec.encode(item) for item in batch])
                self._spool_memory()
                return
        self._back_if_was_down()

    # -- writing -----------------------------------------------------------------------------
    def _write_batch(self, batch: Sequence[Item]) -> bool:
        """Write ``batch`` in one transaction; False (nothing written) on an outage. Items the
        store refuses are written around, then logged and counted by themselves."""
        try:
            self._transaction(batch)
            return True
        except Exception as error:
            if is_outage(error):
                self._went_down(error)
                return False
            if len(batch) == 1:
                self._reject(batch[0], error)
                return True
        # One of them is bad: each on its own, so that only it is lost.
        for index, item in enumerate(batch):
            try:
                self._transaction([item])
            except Exception as error:
                if is_outage(error):
                    self._went_down(error)
                    self._spool([self.codec.encode(rest) for rest in batch[index:]])
                    return True  # the rest is kept on disk: nothing for the caller to spool
                self._reject(item, error)
        return True

    def _transaction(self, batch: Sequence[Item]) -> int:
        began = time.monotonic()
        count = len(batch)
        try:
            with self.store.session() as session:
                after_commit = self.codec.write_batch(session, batch)
        except Exception:
            with self._lock:
                self.stats.failures += 1
                self.stats.observe(time.monotonic() - began)
            raise
        with self._lock:
            self.stats.written += count
            self.stats.observe(time.monotonic() - began)
        for action in after_commit:
            try:
                action()
            except Exception as error:  # written and committed: only the follow-up failed
                log.error("after-write step failed", extra={"error": _cause(error)})
        return count

    def _reject(self, item: Item, error: BaseException) -> None:
        with self._lock:
            self.stats.rejected += 1
        log.error(
            f"the store refused the {self.codec.describe(item)} ({_cause(error)}); not kept",
            extra={"item": self.codec.describe(item), "error": _cause(error)},
        )

    def _replay(self, spooled: SpoolFile) -> bool:
        try:
            encoded = self.spool.read(spooled)
            items = [self.codec.decode(data) for data in encoded]
        except (OSError, ValueError, KeyError, TypeError) as error:
            # Unreadable (edited, truncated by a full disk before fsync, another version):
            # set aside for a person, never retried in a loop, never silently deleted.
            broken = spooled.path.with_suffix(".broken")
            os.replace(spooled.path, broken)
            self.spool.forget(spooled)
            with self._lock:
                self.stats.dropped += spooled.items
            log.error(
                "spool file unreadable; moved aside, its items are not replayed",
                extra={"path": str(broken), "items": spooled.items, "error": _cause(error)},
            )
            return True
        if not self._write_batch(items):
            return False
        self.spool.remove(spooled)
        with self._lock:
            self.stats.replayed += spooled.items
        self._outage_replayed += spooled.items
        return True

    # -- keeping on disk -----------------------------------------------------------------------
    def _spool_memory(self) -> None:
        while True:
            with self._lock:
                batch = [
                    self._memory.popleft() for _ in range(min(self.max_batch, len(self._memory)))
                ]
            if not batch or not self._spool([self.codec.encode(item) for item in batch]):
                return

    def _spool(self, encoded: list[dict[str, Any]]) -> bool:
        """Keep a batch on disk; when even that fails (the spool's disk is full too), keep it
        in memory, within the memory bound, and say so once. False when it went to memory."""
        if not encoded:
            return True
        try:
            self.spool.add(encoded)
        except OSError as error:
            items = [self.codec.decode(data) for data in encoded]
            with self._lock:
                self._memory.extendleft(reversed(items))
                over = len(self._memory) - self.max_memory_items
                for _ in range(max(0, over)):
                    self._memory.pop()  # the newest: the older ones were collected first
                self.stats.dropped += max(0, over)
            if not self._spool_failing:
                self._spool_failing = True
                log.error(
                    "cannot keep items on disk; holding them in memory",
                    extra={
                        "items": len(encoded),
                        "spool": str(self.spool.directory),
                        "bound": self.max_memory_items,
                        "error": _cause(error),
                    },
                )
            if over > 0:
                log.error("write queue full: dropped items", extra={"items": over})
            return False
        if self._spool_failing:
            self._spool_failing = False
            log.info("spooling on disk again", extra={"spool": str(self.spool.directory)})
        self._enforce_spool_bound()
        return True

    def _enforce_spool_bound(self) -> None:
        dropped = 0
        while len(self.spool.files) > 1 and self.spool.size > self.max_spool_bytes:
            oldest = self.spool.files[0]
            self.spool.remove(oldest)
            dropped += oldest.items
        if dropped:
            with self._lock:
                self.stats.dropped += dropped
            log.error(
                "spool over its bound: dropped the oldest items",
                extra={"items": dropped, "bound_bytes": self.max_spool_bytes},
            )

    # -- availability --------------------------------------------------------------------------
    def _store_file_ok(self) -> bool:
        if self.watch is None:
            return True
        state = self.watch.check()
        if state == "ok":
            if self._file_missing:  # the same file moved back into place
                self._file_missing = False
                log.warning("database file back", extra={"path": str(self.watch.path)})
            return True
        # Pooled connections to the old file would write into an unlinked inode: drop them.
        self.store.engine.dispose()
        if state == "missing":
            if not self._file_missing:
                self._file_missing = True
                self._went_down(
                    StoreFileGone(
                        f"database file {self.watch.path} was removed while netmon was using "
                        "it; nothing is written until a database is back at that path"
                    )
                )
            with self._lock:
                self.stats.failures += 1
            return False
        self._file_missing = False
        log.error(
            "database file replaced under netmon: writing to the file now at this path",
            extra={"path": str(self.watch.path)},
        )
        if self.on_new_file is not None:
            try:
                self.on_new_file()
            except Exception as error:
                self._went_down(error)
                self.watch.identity = None  # try the new file again next time
                return False
        return True

    def _went_down(self, error: BaseException) -> None:
        with self._lock:
            was_available = self.stats.available
            self.stats.available = False
        if was_available:
            self._outage_started = time.monotonic()
            self._outage_replayed = 0
            log.error(
                f"store unavailable ({_cause(error)}); keeping samples on disk until it is back",
                extra={
                    "store": self.store.location,
                    "error": _cause(error),
                    "spool": str(self.spool.directory),
                },
            )

    def _back_if_was_down(self) -> None:
        with self._lock:
            was_available = self.stats.available
            self.stats.available = True
        if not was_available:
            began = self._outage_started or time.monotonic()
            log.warning(
                f"store back, {self._outage_replayed} replayed",
                extra={
                    "store": self.store.location,
                    "replayed": self._outage_replayed,
                    "outage_s": round(time.monotonic() - began, 1),
                },
            )
            if self.on_back is not None:
                try:
                    self.on_back()
                except Exception as error:  # e.g. the loop already closed at shutdown
                    log.warning("store-back callback failed", extra={"error": _cause(error)})


def _cause(error: BaseException) -> str:
    if isinstance(error, StoreError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class StoreWriterCollector:
    """The write queue's metrics for the daemon's registry (names agreed with on-call)."""

    def __init__(self, queue: WriteBehind[Any]) -> None:
        self.queue = queue

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        queue = self.queue
        with queue._lock:
            stats = queue.stats
            available = stats.available
            pending = len(queue._memory) + queue.spool.items
            spool_bytes = queue.spool.size
            queued = stats.queued
            failures, replayed, dropped, rejected = (
                stats.failures,
                stats.replayed,
                stats.dropped,
                stats.rejected,
            )
            counts = list(stats.duration_counts)
            duration_sum = stats.duration_sum
        yield GaugeMetricFamily(
            "netmon_store_available",
            "1 when the store took the last write (or was not asked yet), 0 during an outage",
            value=1 if available else 0,
        )
        yield GaugeMetricFamily(
            "netmon_store_writes_pending",
            "Items waiting to be written, in memory and spooled on disk",
            value=pending,
        )
        yield GaugeMetricFamily(
            "netmon_store_spool_bytes", "Bytes of spooled batches on disk", value=spool_bytes
        )
        buckets: list[tuple[str, float]] = []
        running = 0
        for bound, count in zip((*DURATION_BUCKETS, float("inf")), counts, strict=True):
            running += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), running))
        yield HistogramMetricFamily(
            "netmon_store_write_duration_seconds",
            "Time to write one batch (one transaction), failed ones included",
            buckets=buckets,
            sum_value=duration_sum,
        )
        yield CounterMetricFamily(
            "netmon_store_writes_queued",
            "Items handed to the writer (one per health, configuration or signature run)",
            value=queued,
        )
        yield CounterMetricFamily(
            "netmon_store_write_failures",
            "Transactions of the writer that failed (outages and refused items)",
            value=failures,
        )
        yield CounterMetricFamily(
            "netmon_store_replayed", "Spooled items written once the store was back", value=replayed
        )
        yield CounterMetricFamily(
            "netmon_store_writes_dropped",
            "Items lost: over the queue's or spool's bound, or an unreadable spool file",
            value=dropped,
        )
        yield CounterMetricFamily(
            "netmon_store_writes_rejected",
            "Items the store refused for themselves (constraint, unbindable value); logged",
            value=rejected,
        )


class KindCodec:
    """One queue for items of several kinds (health samples, configurations, signature
    readings): each is kept on disk under its kind's name, so a spool file may hold any mix
    and replays in the order it was collected. An item without a name (spooled before the
    queue took more than health) is decoded by the ``default`` kind's codec."""

    def __init__(self, codecs: dict[str, tuple[type, Codec[Any]]], default: str) -> None:
        if default not in codecs:
            raise ValueError(f"default kind {default!r} has no codec")
        self.codecs = codecs
        self.default = default
        self._by_type = {item_type: name for name, (item_type, _) in codecs.items()}

    def _kind(self, item: Any) -> tuple[str, Codec[Any]]:
        name = self._by_type.get(type(item))
        if name is None:
            raise TypeError(f"the write queue has no codec for {type(item).__name__}")
        return name, self.codecs[name][1]

    def write_batch(self, session: Session, items: Sequence[Any]) -> list[AfterCommit]:
        # Consecutive items of one kind go to their codec together (health samples keep
        # their executemany); the order of kinds is kept, as collected.
        after_commit: list[AfterCommit] = []
        run: list[Any] = []
        run_codec: Codec[Any] | None = None
        for item in items:
            codec = self._kind(item)[1]
            if codec is not run_codec and run:
                assert run_codec is not None
                after_commit.extend(run_codec.write_batch(session, run))
                run = []
            run_codec = codec
            run.append(item)
        if run and run_codec is not None:
            after_commit.extend(run_codec.write_batch(session, run))
        return after_commit

    def encode(self, item: Any) -> dict[str, Any]:
        name, codec = self._kind(item)
        return {"kind": name, "item": codec.encode(item)}

    def decode(self, data: dict[str, Any]) -> Any:
        if "kind" not in data:
            return self.codecs[self.default][1].decode(data)
        name = data["kind"]
        if name not in self.codecs:
            raise ValueError(f"spooled item of unknown kind {name!r}")
        return self.codecs[name][1].decode(data["item"])

    def describe(self, item: Any) -> str:
        return self._kind(item)[1].describe(item)
