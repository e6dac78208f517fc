"""Interface roles (issue 12 item 4): the inventory's uplinks on each device, each port's
description (ifAlias), and the polls a port was administratively down in the roll-ups, so the
documents can tell a fault (an uplink down, errors growing) from an unused or shut port.

Self-contained: only adds columns, with defaults that make existing rows read as "no uplinks
known", "no description", "never seen admin-down".

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLLUPS = ("interface_hourly", "interface_daily")


def upgrade() -> None:
    with op.batch_alter_table("devices") as table:
        table.add_column(
            sa.Column("uplinks", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("interface_states") as table:
        table.add_column(sa.Column("alias", sa.String(length=64), nullable=True))
    for name in ROLLUPS:
        with op.batch_alter_table(name) as table:
            table.add_column(
                sa.Column(
                    "admin_down_samples",
                    sa.Integer(),
                    nullable=False,
                    server_default=sa.text("0"),
                )
            )


def downgrade() -> None:
    for name in ROLLUPS:
        with op.batch_alter_table(name) as table:
            table.drop_column("admin_down_samples")
    with op.batch_alter_table("interface_states") as table:
        table.drop_column("alias")
    with op.batch_alter_table("devices") as table:
        table.drop_column("uplinks")
