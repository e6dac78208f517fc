"""Initial schema: the fleet, collection runs, health samples, configurations,
signature libraries, licences, events and maintenance records.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 17:42:42.911514
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("vendor", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("site", sa.String(length=128), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("name", name=op.f("uq_devices_name")),
    )
    op.create_table(
        "collection_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'running'"), nullable=False
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('health', 'config', 'signatures')", name=op.f("ck_collection_runs_kind")
        ),
        sa.CheckConstraint(
            "status IN ('running', 'ok', 'partial', 'failed')",
            name=op.f("ck_collection_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_collection_runs_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_runs")),
    )
    op.create_index(
        op.f("ix_collection_runs_device_id_started_at"),
        "collection_runs",
        ["device_id", "started_at"],
        unique=False,
    )

    op.create_table(
        "config_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=True),
        sa.Column("is_baseline", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("approval_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_config_versions_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_versions")),
        sa.UniqueConstraint(
            "device_id", "sequence", name=op.f("uq_config_versions_device_id_sequence")
        ),
    )
    op.create_index(
        "uq_config_versions_one_baseline",
        "config_versions",
        ["device_id"],
        unique=True,
        sqlite_where=sa.text("is_baseline"),
        postgresql_where=sa.text("is_baseline"),
    )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default=sa.text("'open'"), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=128), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'minor', 'major', 'critical')",
            name=op.f("ck_events_severity"),
        ),
        sa.CheckConstraint(
            "state IN ('open', 'acknowledged', 'closed')", name=op.f("ck_events_state")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_events_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(
        op.f("ix_events_device_id_occurred_at"),
        "events",
        ["device_id", "occurred_at"],
        unique=False,
    )
    op.create_index(op.f("ix_events_occurred_at"), "events", ["occurred_at"], unique=False)

    op.create_table(
        "licences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("feature", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_licences_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licences")),
    )
    op.create_index(
        op.f("ix_licences_device_id_feature_last_seen"),
        "licences",
        ["device_id", "feature", "last_seen"],
        unique=False,
    )

    op.create_table(
        "maintenance_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("engineer", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('repair', 'upgrade', 'tuning', 'inspection')",
            name=op.f("ck_maintenance_records_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_maintenance_records_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_records")),
    )
    op.create_index(
        op.f("ix_maintenance_records_performed_on"),
        "maintenance_records",
        ["performed_on"],
        unique=False,
    )

    op.create_table(
        "signature_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("library", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_signature_versions_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_versions")),
    )
    op.create_index(
        op.f("ix_signature_versions_device_id_library_last_seen"),
        "signature_versions",
        ["device_id", "library", "last_seen"],
        unique=False,
    )

    op.create_table(
        "health_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("rtt_snmp_ms", sa.Float(), nullable=True),
        sa.Column("rtt_ssh_ms", sa.Float(), nullable=True),
        sa.Column("uptime_s", sa.BigInteger(), nullable=True),
        sa.Column("cpu_ratio", sa.Float(), nullable=True),
        sa.Column("memory_ratio", sa.Float(), nullable=True),
        sa.Column("disk_ratio", sa.Float(), nullable=True),
        sa.Column("sessions", sa.BigInteger(), nullable=True),
        sa.Column("new_sessions_per_s", sa.Float(), nullable=True),
        sa.Column("ha_role", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_health_samples_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["collection_runs.id"],
            name=op.f("fk_health_samples_run_id_collection_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_samples")),
        sa.UniqueConstraint("run_id", name=op.f("uq_health_samples_run_id")),
    )
    op.create_index(
        op.f("ix_health_samples_device_id_sampled_at"),
        "health_samples",
        ["device_id", "sampled_at"],
        unique=False,
    )

    op.create_table(
        "component_readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('temperature', 'fan', 'psu')", name=op.f("ck_component_readings_kind")
        ),
        sa.CheckConstraint(
            "status IN ('ok', 'warning', 'failed', 'absent', 'unknown')",
            name=op.f("ck_component_readings_status"),
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["health_samples.id"],
            name=op.f("fk_component_readings_sample_id_health_samples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_component_readings")),
        sa.UniqueConstraint(
            "sample_id", "kind", "name", name=op.f("uq_component_readings_sample_id_kind_name")
        ),
    )
    op.create_index(
        op.f("ix_component_readings_status_sample_id"),
        "component_readings",
        ["status", "sample_id"],
        unique=False,
    )

    op.create_table(
        "interface_readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("if_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("admin_up", sa.Boolean(), nullable=True),
        sa.Column("oper_up", sa.Boolean(), nullable=True),
        sa.Column("speed_bps", sa.BigInteger(), nullable=True),
        sa.Column("in_octets", sa.BigInteger(), nullable=True),
        sa.Column("out_octets", sa.BigInteger(), nullable=True),
        sa.Column("in_errors", sa.BigInteger(), nullable=True),
        sa.Column("out_errors", sa.BigInteger(), nullable=True),
        sa.Column("in_discards", sa.BigInteger(), nullable=True),
        sa.Column("out_discards", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["health_samples.id"],
            name=op.f("fk_interface_readings_sample_id_health_samples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interface_readings")),
        sa.UniqueConstraint(
            "sample_id", "if_index", name=op.f("uq_interface_readings_sample_id_if_index")
        ),
    )


def downgrade() -> None:
    op.drop_table("interface_readings")
    op.drop_table("component_readings")
    op.drop_table("health_samples")
    op.drop_table("signature_versions")
    op.drop_table("maintenance_records")
    op.drop_table("licences")
    op.drop_table("events")
    op.drop_table("config_versions")
    op.drop_table("collection_runs")
    op.drop_table("devices")
