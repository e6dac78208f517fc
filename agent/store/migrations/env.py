"""Alembic environment for netmon's store, driven from ``agent.store.schema`` (no ini file).

The caller passes an open connection (inside a transaction) in ``config.attributes``;
migrations run on it, so ``upgrade`` commits or rolls back as one unit.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from agent.store.models import Base, UTCDateTime


def _render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | bool:
    # Migrations spell out plain SQLAlchemy types so that they never depend on the models
    # module as it happens to be later on.
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "netmon's migrations run through `netmon db upgrade` (agent.store.schema), "
        "which passes the connection; there is no alembic.ini"
    )
_run(connection)
