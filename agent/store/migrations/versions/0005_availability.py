"""Maintenance windows and netmon's own downtime (issue 12): ``maintenance_windows`` (planned
stops of a device, excluded from availability, silencing alerts) and ``monitoring_gaps`` (time
netmon did not watch: the daemon stopped, or polls lost to overload).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _device_key(table: str) -> sa.Constraint:
    return sa.ForeignKeyConstraint(
        ["device_id"],
        ["devices.id"],
        name=op.f(f"fk_{table}_device_id_devices"),
        ondelete="RESTRICT",
    )


def upgrade() -> None:
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        _when("ended_early_at", nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        _when("created_at"),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_maintenance_windows_ends_after_start")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
        _device_key("maintenance_windows"),
    )
    op.create_index(
        op.f("ix_maintenance_windows_device_id_starts_at"),
        "maintenance_windows",
        ["device_id", "starts_at"],
    )
    op.create_index(op.f("ix_maintenance_windows_ends_at"), "maintenance_windows", ["ends_at"])
    op.create_table(
        "monitoring_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        _when("started_at"),
        _when("ended_at"),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "reason IN ('not_running', 'overload')", name=op.f("ck_monitoring_gaps_reason")
        ),
        sa.CheckConstraint(
            "ended_at > started_at", name=op.f("ck_monitoring_gaps_ends_after_start")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_gaps")),
        _device_key("monitoring_gaps"),
    )
    op.create_index(op.f("ix_monitoring_gaps_started_at"), "monitoring_gaps", ["started_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_monitoring_gaps_started_at"), table_name="monitoring_gaps")
    op.drop_table("monitoring_gaps")
    op.drop_index(op.f("ix_maintenance_windows_ends_at"), table_name="maintenance_windows")
    op.drop_index(
        op.f("ix_maintenance_windows_device_id_starts_at"), table_name="maintenance_windows"
    )
    op.drop_table("maintenance_windows")
