"""Configuration texts stored once, addressed by SHA-256 (config_texts); config_versions
refer to them instead of carrying their own copy.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BASELINE_INDEX = "uq_config_versions_one_baseline"


def _drop_baseline_index() -> None:
    # Batch mode (SQLite) rebuilds the table; the partial unique index is dropped first and
    # made again afterwards, so its WHERE clause never depends on reflection.
    op.drop_index(BASELINE_INDEX, table_name="config_versions")


def _create_baseline_index() -> None:
    op.create_index(
        BASELINE_INDEX,
        "config_versions",
        ["device_id"],
        unique=True,
        sqlite_where=sa.text("is_baseline"),
        postgresql_where=sa.text("is_baseline"),
    )


def upgrade() -> None:
    op.create_table(
        "config_texts",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_config_texts")),
    )
    # Every distinct text once; the earliest collection that carried it is when it was stored.
    op.execute(
        "INSERT INTO config_texts (sha256, text, stored_at) "
        "SELECT sha256, MIN(text), MIN(collected_at) FROM config_versions GROUP BY sha256"
    )
    _drop_baseline_index()
    with op.batch_alter_table("config_versions", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_config_versions_sha256_config_texts"),
            "config_texts",
            ["sha256"],
            ["sha256"],
            ondelete="RESTRICT",
        )
        batch_op.drop_column("text")
    _create_baseline_index()


def downgrade() -> None:
    _drop_baseline_index()
    with op.batch_alter_table("config_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
    op.execute(
        "UPDATE config_versions SET text = "
        "(SELECT t.text FROM config_texts t WHERE t.sha256 = config_versions.sha256)"
    )
    with op.batch_alter_table("config_versions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_config_versions_sha256_config_texts"), type_="foreignkey"
        )
        batch_op.alter_column("text", existing_type=sa.Text(), nullable=False)
    _create_baseline_index()
    op.drop_table("config_texts")
