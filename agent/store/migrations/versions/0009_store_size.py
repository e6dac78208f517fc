"""PostgreSQL under 1 GB for the fleet's year (issue 10): the raw tables' time indexes as BRIN.

Each health poll adds a run and a sample, in time order. Their two B-tree indexes on
(device_id, time) were 64 of the 310 bytes a poll cost on PostgreSQL
(``benchmarks/store.py``, pg_relation_size per index). The only queries reading them filter
on time (retention deletes everything older than the raw window; ``repo.health_samples``
reads one device's raw window, a few days of blocks), so PostgreSQL gets BRIN indexes: a few
pages for the whole table, because rows arrive in time order. SQLite keeps B-trees (it has
no BRIN; its size was within target). The runs' index loses ``device_id``: no query filters
runs by device and time.

``interface_states`` is updated in place by every poll (one row per port): a fillfactor of 50
leaves room on each page so those updates are HOT (no new index entries, dead versions
pruned on the page) instead of bloating table and key. 512 rows for the fleet: the space
doubled is under 100 kB.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 14:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BRIN = {"postgresql_using": "brin"}


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.drop_index(op.f("ix_collection_runs_device_id_started_at"), table_name="collection_runs")
    op.create_index(
        op.f("ix_collection_runs_started_at"), "collection_runs", ["started_at"], **BRIN
    )
    if _postgresql():
        op.drop_index(op.f("ix_health_samples_device_id_sampled_at"), table_name="health_samples")
        op.create_index(
            op.f("ix_health_samples_device_id_sampled_at"),
            "health_samples",
            ["device_id", "sampled_at"],
            **BRIN,
        )
        op.execute("ALTER TABLE interface_states SET (fillfactor = 50)")


def downgrade() -> None:
    op.drop_index(op.f("ix_collection_runs_started_at"), table_name="collection_runs")
    op.create_index(
        op.f("ix_collection_runs_device_id_started_at"),
        "collection_runs",
        ["device_id", "started_at"],
    )
    if _postgresql():
        op.drop_index(op.f("ix_health_samples_device_id_sampled_at"), table_name="health_samples")
        op.create_index(
            op.f("ix_health_samples_device_id_sampled_at"),
            "health_samples",
            ["device_id", "sampled_at"],
        )
        op.execute("ALTER TABLE interface_states RESET (fillfactor)")
