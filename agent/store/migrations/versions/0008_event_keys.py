"""Site display names (issue 12): ``devices.site_name``, what documents print for a site
("城区支队") instead of its code ("headquarters"). Synced from the inventory like the other
device columns; NULL until the inventory gives one (documents then show the code).

(Events needed no column: documents word them from the existing ``kind`` and ``details``.)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("site_name", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("site_name")
