"""Several netmon agents on one PostgreSQL, each polling its own part of the inventory.

The inventory is cut into ``buckets`` by a stable hash of the device name (CRC-32, the same
on every host and Python run). Who polls a bucket is decided one of two ways
(netmon.toml ``[shard]``, deploy/README.md):

- ``static``: agent ``index`` of ``count`` owns the devices whose hash mod ``count`` is its
  index. Nothing is shared at run time; a dead agent's devices stay unpolled until it is back.
- ``advisory``: every agent holds one PostgreSQL connection and claims buckets with session
  advisory locks (``pg_try_advisory_lock(space, bucket)``). PostgreSQL releases a session's
  locks when its connection ends, so a dead (killed, crashed, partitioned) agent's buckets are
  free at the next claim round of the others, who take them over. Each agent also holds one
  "member" lock, so all can count the live agents from ``pg_locks`` and aim at an even share:
  an agent above ``ceil(buckets / members)`` lets the surplus go (one round after it stopped
  polling it, so no device is ever polled by two agents at once), one below takes free ones.

The lock space is derived from the store's schema name, so two deployments (or two tests)
sharing a PostgreSQL database but not a schema never see each other's locks.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from agent.settings import ShardSettings

log = logging.getLogger(__name__)

# The second int4 of member locks starts here, far above any bucket number.
MEMBER_BASE = 1_000_000
MAX_AGENTS = 256


def bucket_of(name: str, buckets: int) -> int:
    """The device's bucket: a stable hash of its name (not Python's salted hash())."""
    return zlib.crc32(name.encode()) % buckets


class StaticShard:
    """Agent ``index`` of ``count``: a fixed cut, no coordination."""

    def __init__(self, index: int, count: int) -> None:
        if not 0 <= index < count:
            raise ValueError(f"shard index {index} is not in 0..{count - 1}")
        self.index = index
        self.count = count
        self.interval = 0.0  # nothing to re-claim

    def claim(self, names: Iterable[str]) -> set[str]:
        return {name for name in names if bucket_of(name, self.count) == self.index}

    def close(self) -> None:
        pass


class AdvisoryShard:
    """Buckets claimed through PostgreSQL advisory locks; see the module docstring."""

    def __init__(self, url: str, buckets: int = 64, interval: float = 10.0) -> None:
        self.buckets = buckets
        self.interval = interval
        self._engine: Engine = create_engine(url, pool_size=1, max_overflow=0)
        if self._engine.dialect.name != "postgresql":
            self._engine.dispose()
            raise ValueError(
                f"[shard] mode = 'advisory' needs a PostgreSQL store, not "
                f"{self._engine.dialect.name}"
            )
        self._conn: Connection | None = None
        self._space = 0
        self._member: int | None = None
        self._held: set[int] = set()
        self._leaving: set[int] = set()  # not polled any more; unlocked at the next round

    # -- the connection that holds the locks ---------------------------------------------
    def _connection(self) -> Connection:
        if self._conn is None:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            schema = conn.execute(text("SELECT current_schema()")).scalar_one() or "public"
            self._space = zlib.crc32(f"netmon-shard:{schema}".encode()) & 0x7FFFFFFF
            self._conn = conn
            self._member = None
            self._held = set()
            self._leaving = set()
        return self._conn

    def _try_lock(self, conn: Connection, key: int) -> bool:
        return bool(
            conn.execute(
                text("SELECT pg_try_advisory_lock(:space, :key)"),
                {"space": self._space, "key": key},
            ).scalar_one()
        )

    def _unlock(self, conn: Connection, key: int) -> None:
        conn.execute(
            text("SELECT pg_advisory_unlock(:space, :key)"), {"space": self._space, "key": key}
        )

    def _locks(self, conn: Connection) -> list[tuple[int, bool]]:
        """(key, held by this session) of every granted lock in our space."""
        rows = conn.execute(
            text(
                "SELECT objid::bigint, pid = pg_backend_pid() FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
                "AND classid = CAST(:space AS bigint)::oid "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"space": self._space},
        )
        return [(int(key), bool(mine)) for key, mine in rows]

    # -- one claim round ---------------------------------------------------------------------
    def claim_buckets(self) -> set[int]:
        """One round: join, count the members, let a surplus go, take free buckets up to the
        fair share. Returns the buckets this agent polls now; on a lost connection, none
        (its locks are gone with it, so another agent may already poll them)."""
        try:
            return self._round()
        except Exception as error:  # the connection or the server: poll nothing, rejoin later
            log.error(
                "shard claim failed; polling nothing until it works", extra={"error": str(error)}
            )
            self._drop()
            return set()

    def _round(self) -> set[int]:
        conn = self._connection()
        if self._member is None:
            for slot in range(MAX_AGENTS):
                if self._try_lock(conn, MEMBER_BASE + slot):
                    self._member = slot
                    break
            else:
                raise RuntimeError(f"more than {MAX_AGENTS} agents share this store")
        for bucket in self._leaving:
            self._unlock(conn, bucket)
            self._held.discard(bucket)
        self._leaving = set()
        locks = self._locks(conn)
        members = sum(1 for key, _mine in locks if key >= MEMBER_BASE) or 1
        taken = {key for key, _mine in locks if key < MEMBER_BASE}
        fair = math.ceil(self.buckets / members)
        assert self._member is not None
        # Prefer buckets around this agent's own offset, so shares stay put across rounds.
        start = self._member * self.buckets // max(members, self._member + 1)
        preference = [(start + step) % self.buckets for step in range(self.buckets)]
        if len(self._held) > fair:
            surplus = [b for b in reversed(preference) if b in self._held][: len(self._held) - fair]
            self._leaving = set(surplus)
        for bucket in preference:
            if len(self._held) >= fair:
                break
            if bucket not in taken and self._try_lock(conn, bucket):
                self._held.add(bucket)
        return self._held - self._leaving

    def claim(self, names: Iterable[str]) -> set[str]:
        owned = self.claim_buckets()
        return {name for name in names if bucket_of(name, self.buckets) in owned}

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # already broken: nothing more to release
                log.debug("closing the shard connection failed", exc_info=True)
        self._conn = None
        self._member = None
        self._held = set()
        self._leaving = set()

    def close(self) -> None:
        """Leave: the locks go with the connection, the others take the buckets over."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._engine.dispose()


def make_shard(
    settings: ShardSettings, store_url: str | None
) -> StaticShard | AdvisoryShard | None:
    if settings.mode == "static":
        return StaticShard(settings.index, settings.count)
    if settings.mode == "advisory":
        from agent.store.engine import resolve_url

        url = resolve_url(store_url)
        return AdvisoryShard(
            url.render_as_string(hide_password=False), settings.buckets, settings.claim_interval
        )
    return None
