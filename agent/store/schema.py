"""Schema migrations: Alembic, shipped inside the package and configured in code.

No ``alembic.ini`` is needed at run time: ``upgrade(url)`` brings a database to the newest
revision (``netmon db upgrade``), ``current_revision(url)`` reads where it stands, and
``ensure_current(store)`` refuses a database whose schema is missing or behind.

A developer who changes ``models.py`` writes the next migration with
``netmon db revision --url sqlite:////tmp/dev.db -m "what changed"`` against an up-to-date
database (autogenerate, batch mode for SQLite), then reads and trims the generated file.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection
from sqlalchemy.exc import SQLAlchemyError

from agent.store.engine import (
    UPGRADE_HINT,
    Store,
    StoreError,
    describe,
    make_engine,
    resolve_url,
    store_error,
)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code. The connection travels in ``attributes`` and
    never as a URL string, which Alembic's ini interpolation would mangle ('%' in passwords)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this netmon ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "agent/store/migrations/versions holds no migration"
    return head


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(url: str | URL | None = None) -> str | None:
    """The revision the database is at, or None when it has no netmon schema yet."""
    resolved = resolve_url(url)
    engine = make_engine(resolved, pooled=False)
    try:
        with engine.connect() as connection:
            return _revision_of(connection)
    except SQLAlchemyError as error:
        raise store_error(error, resolved) from error
    finally:
        engine.dispose()


def upgrade(url: str | URL | None = None, revision: str = "head") -> tuple[str | None, str]:
    """Migrate the database to ``revision``; returns (revision before, revision after).

    The whole upgrade is one transaction on both backends, so a failed migration leaves the
    database as it was. Running it again when already current does nothing.
    """
    resolved = resolve_url(url)
    sqlite = resolved.get_backend_name() == "sqlite"
    engine = make_engine(resolved, foreign_keys=not sqlite, pooled=False)
    try:
        with engine.begin() as connection:
            before = _revision_of(connection)
            command.upgrade(alembic_config(connection), revision)
            if sqlite:
                _check_foreign_keys(connection, resolved)
            after = _revision_of(connection)
    except SQLAlchemyError as error:
        raise store_error(error, resolved) from error
    finally:
        engine.dispose()
    assert after is not None
    return before, after


def _check_foreign_keys(connection: Connection, url: URL) -> None:
    # Foreign keys were off while batch mode rebuilt tables: prove nothing dangles now.
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise StoreError(
            f"database {describe(url)}: the migration would leave rows pointing at missing "
            f"parents in {', '.join(tables)}; nothing was changed"
        )


def ensure_current(store: Store) -> str:
    """Raise StoreError unless the store's schema is at the newest revision."""
    try:
        with store.engine.connect() as connection:
            revision = _revision_of(connection)
    except SQLAlchemyError as error:
        raise store_error(error, store.url) from error
    head = head_revision()
    if revision is None:
        raise StoreError(f"database {store.location} has no netmon schema yet: {UPGRADE_HINT}")
    if revision != head:
        raise StoreError(
            f"database {store.location} is at schema revision {revision}, this netmon needs "
            f"{head}: {UPGRADE_HINT}"
        )
    return revision


def new_revision(url: str | URL | None, message: str) -> Path:
    """Autogenerate the next migration by comparing models.py with an up-to-date database
    (a developer tool: it writes into the source tree)."""
    resolved = resolve_url(url)
    engine = make_engine(resolved, pooled=False)
    try:
        with engine.begin() as connection:
            if _revision_of(connection) != head_revision():
                raise StoreError(f"database {describe(resolved)} is not current: {UPGRADE_HINT}")
            script = command.revision(
                alembic_config(connection), message=message, autogenerate=True
            )
    except SQLAlchemyError as error:
        raise store_error(error, resolved) from error
    finally:
        engine.dispose()
    scripts = script if isinstance(script, list) else [script]
    assert scripts and scripts[0] is not None
    return Path(scripts[0].path)
