"""A store for a contract year (issue 10): hourly and daily roll-ups, component episodes,
outages and interface states; the per-poll component and interface rows are folded into
them and dropped.

The existing history is replayed, oldest first, through ``agent.store.rollup.fold_polls``:
the same code that folds live polls, so a migrated store and one filled by the new daemon
hold the same rows. Raw ``health_samples`` stay (retention trims them later).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Polls replayed per fold: bounds memory on a store of millions of samples (and the
# migration test, ~4,500 polls, crosses several chunks and devices mid-chunk).
CHUNK = 1000
SECOND_KEY = {"temperature": ["sensor"], "interface": ["if_index"]}
COUNTERS = ("in_octets", "out_octets", "in_errors", "out_errors", "in_discards", "out_discards")


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _device() -> sa.Column:
    return sa.Column("device_id", sa.Integer(), nullable=False)


def _keys(table: str, *primary: str) -> list[sa.Constraint]:
    """The table's named primary key and device foreign key (names as models.py makes them)."""
    return [
        sa.PrimaryKeyConstraint(*primary, name=op.f(f"pk_{table}")),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f(f"fk_{table}_device_id_devices"),
            ondelete="RESTRICT",
        ),
    ]


def _bucket(kind: str) -> sa.Column:
    if kind == "hourly":
        return sa.Column("hour_start", sa.DateTime(timezone=True), nullable=False)
    return sa.Column("day", sa.Date(), nullable=False)


def _health_columns() -> list[sa.Column]:
    columns = [
        _device(),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("reachable", sa.Integer(), nullable=False),
    ]
    for prefix in ("cpu", "memory"):
        columns += [
            sa.Column(f"{prefix}_count", sa.Integer(), nullable=False),
            sa.Column(f"{prefix}_sum", sa.Float(), nullable=False),
            sa.Column(f"{prefix}_min", sa.Float(), nullable=True),
            sa.Column(f"{prefix}_max", sa.Float(), nullable=True),
            sa.Column(f"{prefix}_last", sa.Float(), nullable=True),
        ]
    return [*columns, sa.Column("disk_max", sa.Float(), nullable=True), _when("last_at")]


def _temperature_columns() -> list[sa.Column]:
    return [
        _device(),
        sa.Column("sensor", sa.String(length=128), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.Column("last", sa.Float(), nullable=True),
        _when("last_at"),
    ]


def _interface_columns() -> list[sa.Column]:
    return [
        _device(),
        sa.Column("if_index", sa.Integer(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("down_samples", sa.Integer(), nullable=False),
        sa.Column("status_changes", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTERS],
    ]


def _create_tables() -> None:
    for family, columns in (
        ("health", _health_columns),
        ("temperature", _temperature_columns),
        ("interface", _interface_columns),
    ):
        for kind in ("hourly", "daily"):
            table = f"{family}_{kind}"
            bucket = _bucket(kind)
            rest = columns()
            key = [bucket.name, "device_id", *SECOND_KEY.get(family, [])]
            op.create_table(table, bucket, *rest, *_keys(table, *key), sqlite_with_rowid=False)
    op.create_table(
        "component_episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        _device(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _when("started_at"),
        _when("last_seen"),
        _when("ended_at", nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('temperature', 'fan', 'psu')", name=op.f("ck_component_episodes_kind")
        ),
        sa.CheckConstraint(
            "status IN ('ok', 'warning', 'failed', 'absent', 'unknown')",
            name=op.f("ck_component_episodes_status"),
        ),
        *_keys("component_episodes", "id"),
    )
    op.create_index(
        op.f("ix_component_episodes_device_id_kind_name_started_at"),
        "component_episodes",
        ["device_id", "kind", "name", "started_at"],
    )
    op.create_index(
        op.f("ix_component_episodes_status_started_at"),
        "component_episodes",
        ["status", "started_at"],
    )
    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), nullable=False),
        _device(),
        _when("started_at"),
        _when("last_failed"),
        _when("ended_at", nullable=True),
        sa.Column("failed_samples", sa.Integer(), nullable=False),
        *_keys("outages", "id"),
    )
    op.create_index(op.f("ix_outages_device_id_started_at"), "outages", ["device_id", "started_at"])
    op.create_index(op.f("ix_outages_started_at"), "outages", ["started_at"])
    op.create_table(
        "interface_states",
        _device(),
        sa.Column("if_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("admin_up", sa.Boolean(), nullable=True),
        sa.Column("oper_up", sa.Boolean(), nullable=True),
        sa.Column("speed_bps", sa.BigInteger(), nullable=True),
        *[sa.Column(name, sa.BigInteger(), nullable=True) for name in COUNTERS],
        _when("sampled_at"),
        *_keys("interface_states", "device_id", "if_index"),
        sqlite_with_rowid=False,
    )


def _replay_history(session: Session) -> int:
    """Fold every stored poll, oldest first per device, into the new tables."""
    # Imported here: the fold is the live write path, used as it stands at this revision.
    from agent.store import repository as repo
    from agent.store.models import HealthSample
    from agent.store.rollup import ADDED_AFTER_0004, PollInput, fold_polls

    readings = sa.table(
        "component_readings",
        sa.column("sample_id"),
        sa.column("kind"),
        sa.column("name"),
        sa.column("status"),
        sa.column("value"),
    )
    ports = sa.table(
        "interface_readings",
        sa.column("sample_id"),
        sa.column("if_index"),
        sa.column("name"),
        sa.column("admin_up", sa.Boolean()),
        sa.column("oper_up", sa.Boolean()),
        sa.column("speed_bps"),
        *[sa.column(name) for name in COUNTERS],
    )
    replayed = 0
    after: tuple[int, object, int] | None = None
    order = (HealthSample.device_id, HealthSample.sampled_at, HealthSample.id)
    while True:
        query = sa.select(HealthSample).order_by(*order).limit(CHUNK)
        if after is not None:
            query = query.where(sa.tuple_(*order) > sa.tuple_(*after))
        samples = list(session.scalars(query))
        if not samples:
            return replayed
        ids = [sample.id for sample in samples]
        parts: dict[int, list[repo.ComponentState]] = defaultdict(list)
        for row in session.execute(sa.select(readings).where(readings.c.sample_id.in_(ids))):
            parts[row.sample_id].append(
                repo.ComponentState(row.kind, row.name, row.status, row.value)
            )
        interfaces: dict[int, list[repo.InterfaceState]] = defaultdict(list)
        for row in session.execute(
            sa.select(ports).where(ports.c.sample_id.in_(ids)).order_by(ports.c.if_index)
        ):
            interfaces[row.sample_id].append(
                repo.InterfaceState(
                    row.if_index,
                    row.name,
                    row.admin_up,
                    row.oper_up,
                    row.speed_bps,
                    *[getattr(row, name) for name in COUNTERS],
                )
            )
        fold_polls(
            session,
            [
                PollInput(
                    sample.device_id,
                    sample.sampled_at,
                    repo.HealthReading(
                        reachable=sample.reachable,
                        cpu_ratio=sample.cpu_ratio,
                        memory_ratio=sample.memory_ratio,
                        disk_ratio=sample.disk_ratio,
                        components=parts[sample.id],
                        interfaces=interfaces[sample.id],
                    ),
                )
                for sample in samples
            ],
            absent=ADDED_AFTER_0004,
        )
        replayed += len(samples)
        last = samples[-1]
        after = (last.device_id, last.sampled_at, last.id)
        session.expunge_all()


def upgrade() -> None:
    _create_tables()
    session = Session(bind=op.get_bind())
    _replay_history(session)
    session.flush()
    op.drop_table("component_readings")
    op.drop_table("interface_readings")


def downgrade() -> None:
    raise NotImplementedError(
        "0004 folds per-poll component and interface rows into roll-ups and drops them; "
        "restore a backup taken before `netmon db upgrade` to go back"
    )
