"""Engineers' records (issue 12): ``maintenance_records`` becomes the one table of what
engineers did by hand (``netmon record``), with kinds maintenance / repair / tuning / upgrade
/ incident / duty, an open / closed state, start and end times, incident times (reported,
arrived on site, resolved), what was done and the outcome, and who typed it.

Existing rows are kept: ``inspection`` becomes ``maintenance``; ``description`` becomes the
summary; a row knew only the day of the work (``performed_on``), so it starts at 12:00 UTC of
that day, which falls on the same calendar day in every time zone from UTC-12 to UTC+11
(20:00 in China), so a migrated record stays in the day and month it was entered for; it is
closed (the work was done), with no end time, and its engineer label is also its
``recorded_by``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 14:00:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from agent.store.models import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "maintenance_records"
NEW_KINDS = "kind IN ('maintenance', 'repair', 'tuning', 'upgrade', 'incident', 'duty')"
OLD_KINDS = "kind IN ('repair', 'upgrade', 'tuning', 'inspection')"
# Noon UTC: the same calendar day from UTC-12 to UTC+11 (see the module docstring).
MIGRATED_TIME = dt.time(12, 0)

_TIMES = ("started_at", "ended_at", "reported_at", "arrived_at", "resolved_at")


def _table(*columns: sa.Column[object]) -> sa.Table:
    return sa.table(TABLE, sa.column("id", sa.Integer()), *columns)


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(16), server_default=sa.text("'open'")))
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("action", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.Text(), nullable=True))
        for name in _TIMES:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("recorded_by", sa.String(128), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_maintenance_records_kind"), type_="check")

    bind = op.get_bind()
    old = _table(
        sa.column("performed_on", sa.Date()),
        sa.column("kind", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("engineer", sa.String()),
    )
    new = _table(
        sa.column("kind", sa.String()),
        sa.column("state", sa.String()),
        sa.column("summary", sa.Text()),
        sa.column("started_at", UTCDateTime()),
        sa.column("recorded_by", sa.String()),
    )
    rows = bind.execute(
        sa.select(old.c.id, old.c.performed_on, old.c.kind, old.c.description, old.c.engineer)
    ).all()
    for row in rows:
        started = dt.datetime.combine(row.performed_on, MIGRATED_TIME, tzinfo=dt.UTC)
        bind.execute(
            new.update()
            .where(new.c.id == row.id)
            .values(
                kind="maintenance" if row.kind == "inspection" else row.kind,
                state="closed",
                summary=row.description,
                started_at=started,
                recorded_by=row.engineer,
            )
        )

    op.drop_index(op.f("ix_maintenance_records_performed_on"), table_name=TABLE)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_column("performed_on")
        batch_op.drop_column("description")
        batch_op.alter_column("device_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("state", existing_type=sa.String(16), nullable=False)
        batch_op.alter_column("summary", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column(
            "started_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.alter_column("recorded_by", existing_type=sa.String(128), nullable=False)
        batch_op.create_check_constraint(batch_op.f("ck_maintenance_records_kind"), NEW_KINDS)
        batch_op.create_check_constraint(
            batch_op.f("ck_maintenance_records_state"), "state IN ('open', 'closed')"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_maintenance_records_ended_after_start"),
            "ended_at IS NULL OR ended_at >= started_at",
        )
    op.create_index(op.f("ix_maintenance_records_started_at"), TABLE, ["started_at"])
    op.create_index(
        op.f("ix_maintenance_records_device_id_started_at"), TABLE, ["device_id", "started_at"]
    )


def downgrade() -> None:
    """Back to 0004's sheet: records without a device (duty notes, some incidents) cannot be
    kept there and are deleted; incidents become repairs, maintenance becomes inspection."""
    op.drop_index(op.f("ix_maintenance_records_device_id_started_at"), table_name=TABLE)
    op.drop_index(op.f("ix_maintenance_records_started_at"), table_name=TABLE)
    op.execute(f"DELETE FROM {TABLE} WHERE device_id IS NULL")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_maintenance_records_ended_after_start"), "check")
        batch_op.drop_constraint(batch_op.f("ck_maintenance_records_state"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_maintenance_records_kind"), type_="check")
        batch_op.add_column(sa.Column("performed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))

    bind = op.get_bind()
    current = _table(
        sa.column("kind", sa.String()),
        sa.column("summary", sa.Text()),
        sa.column("started_at", UTCDateTime()),
    )
    old = _table(
        sa.column("kind", sa.String()),
        sa.column("performed_on", sa.Date()),
        sa.column("description", sa.Text()),
    )
    old_kinds = {"maintenance": "inspection", "incident": "repair", "duty": "inspection"}
    for row in bind.execute(
        sa.select(current.c.id, current.c.kind, current.c.summary, current.c.started_at)
    ).all():
        bind.execute(
            old.update()
            .where(old.c.id == row.id)
            .values(
                kind=old_kinds.get(row.kind, row.kind),
                performed_on=row.started_at.date(),
                description=row.summary,
            )
        )

    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        for name in ("state", "summary", "action", "outcome", *_TIMES, "recorded_by"):
            batch_op.drop_column(name)
        batch_op.alter_column("device_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("performed_on", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("description", existing_type=sa.Text(), nullable=False)
        batch_op.create_check_constraint(batch_op.f("ck_maintenance_records_kind"), OLD_KINDS)
    op.create_index(op.f("ix_maintenance_records_performed_on"), TABLE, ["performed_on"])
