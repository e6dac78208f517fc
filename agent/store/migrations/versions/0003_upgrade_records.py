"""Upgrade records: every signature-library or software version change netmon saw, with its
from / to versions, release date and a rollback flag (issue 5).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "upgrade_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("library", sa.String(length=32), nullable=False),
        sa.Column("from_version", sa.String(length=128), nullable=False),
        sa.Column("to_version", sa.String(length=128), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=True),
        sa.Column("rollback", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_upgrade_records_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upgrade_records")),
    )
    op.create_index(
        op.f("ix_upgrade_records_seen_at"), "upgrade_records", ["seen_at"], unique=False
    )
    op.create_index(
        op.f("ix_upgrade_records_device_id_seen_at"),
        "upgrade_records",
        ["device_id", "seen_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_upgrade_records_device_id_seen_at"), table_name="upgrade_records")
    op.drop_index(op.f("ix_upgrade_records_seen_at"), table_name="upgrade_records")
    op.drop_table("upgrade_records")
