"""Where the store lives, how to connect to it, and how its failures reach the operator.

Which database netmon uses (first match wins):

1. the URL given explicitly (``--url`` on the command line, or ``open_store(url)``);
2. ``$NETMON_DB_URL``, e.g. ``postgresql+psycopg://netmon:PASSWORD@db.example/netmon``
   (``postgresql://`` is read as ``postgresql+psycopg://``);
3. ``store_url`` in netmon.toml (``--config``, ``$NETMON_SETTINGS`` or /etc/netmon/netmon.toml,
   see ``agent.settings.settings_path``): the daemon and every command use one database;
4. the SQLite file ``<state dir>/netmon.db``, where the state directory is
   ``$NETMON_STATE_DIR``, else ``$STATE_DIRECTORY`` (set by systemd's ``StateDirectory=netmon``),
   else ``/var/lib/netmon`` when running as root, else ``$XDG_STATE_HOME/netmon``, else
   ``~/.local/state/netmon``. netmon creates that directory with mode 0700 if it is missing.

A SQLite file netmon creates gets mode 0600: stored configurations are confidential even
when redacted. SQLite runs in WAL mode (readers never block the poller's writes) with foreign
keys enforced and a busy timeout. A writing session begins ``BEGIN IMMEDIATE``: it takes the
write lock up front and waits for another writer (the daemon, ``netmon config approve``) up to
the busy timeout, instead of failing at once when a deferred transaction would have to upgrade
its lock; ``Store.session(read_only=True)`` stays deferred. For any explicit SQLite path,
the directory must already exist: a typo in ``--url`` should fail, not scatter databases around.

Every database failure becomes a ``StoreError`` that names the database with its password
masked: a server that refuses connections or credentials, a read-only or full disk, a schema
that was never created (run ``netmon db upgrade``), a write refused by a constraint, and
what drivers raise unwrapped (OverflowError for an integer beyond 64 bits, OSError). Writes run
in a transaction (``Store.session()``); a failed write rolls back and leaves everything stored
before it as it was.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import (
    ArgumentError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from agent.errors import NetmonError

DB_URL_VARIABLE = "NETMON_DB_URL"
STATE_DIR_VARIABLE = "NETMON_STATE_DIR"
DATABASE_FILE = "netmon.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_CONNECT_TIMEOUT_S = 10

UPGRADE_HINT = "run `netmon db upgrade`"
# Execution option marking a session that never writes (its SQLite transaction stays deferred).
READ_ONLY_OPTION = "netmon_read_only"


class StoreError(NetmonError):
    """The store cannot do what was asked; the message names the database (password masked)."""


def default_state_dir(
    environ: Mapping[str, str] | None = None,
    euid: int | None = None,
    home: Path | None = None,
) -> Path:
    """The directory for netmon's SQLite file (see the module docstring for the order)."""
    environ = os.environ if environ is None else environ
    euid = os.geteuid() if euid is None else euid
    for variable in (STATE_DIR_VARIABLE, "STATE_DIRECTORY"):
        if environ.get(variable):
            # systemd may list several directories separated by ':'; ours is the first.
            return Path(environ[variable].split(":")[0])
    if euid == 0:
        return Path("/var/lib/netmon")
    if environ.get("XDG_STATE_HOME"):
        return Path(environ["XDG_STATE_HOME"]) / "netmon"
    return (home or Path.home()) / ".local" / "state" / "netmon"


def resolve_url(url: str | URL | None = None, environ: Mapping[str, str] | None = None) -> URL:
    """The database URL to use: explicit, else ``$NETMON_DB_URL``, else netmon.toml's
    ``store_url``, else the default SQLite file."""
    environ = os.environ if environ is None else environ
    chosen = url if url else environ.get(DB_URL_VARIABLE) or _configured_url(environ)
    if chosen is None:
        state_dir = default_state_dir(environ)
        _ensure_state_dir(state_dir)
        return URL.create("sqlite", database=str(state_dir / DATABASE_FILE))
    try:
        parsed = chosen if isinstance(chosen, URL) else make_url(chosen)
    except ArgumentError:
        # Do not echo the text: it may carry a password that failed to parse.
        raise StoreError(
            "the database URL is not valid; expected sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST[:PORT]/DATABASE"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _configured_url(environ: Mapping[str, str]) -> str | None:
    """``store_url`` from netmon.toml, so that commands use the daemon's database."""
    from agent.settings_location import settings_path

    path = settings_path(None, environ)
    if path is None:
        return None
    from agent.settings import load_settings  # lazy: it loads the schema (pydantic)

    return load_settings(path).store_url


def describe(url: URL) -> str:
    """The database as shown to people: the URL with its password masked."""
    return url.render_as_string(hide_password=True)


def _ensure_state_dir(state_dir: Path) -> None:
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            f"cannot create the state directory {state_dir}: {error.strerror}; "
            f"set {STATE_DIR_VARIABLE} or {DB_URL_VARIABLE}"
        ) from None


def sqlite_file(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for memory and ``file:`` URI databases."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:") or url.query.get("uri") == "true":
        return None
    return Path(database)


def _prepare_sqlite_file(url: URL) -> None:
    path = sqlite_file(url)
    if path is None or path.exists():
        return
    if not path.parent.is_dir():
        raise StoreError(
            f"cannot open database {describe(url)}: directory {path.parent} does not exist"
        )
    try:
        # Create it private before SQLite does (its -wal/-shm files copy these permissions).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as error:
        raise StoreError(
            f"cannot create database {describe(url)}: {error.strerror} ({path.parent})"
        ) from None


def make_engine(url: URL, *, foreign_keys: bool = True, pooled: bool = True) -> Engine:
    """An engine for ``url`` with netmon's connection settings (see the module docstring).

    ``foreign_keys=False`` is for SQLite migrations only: batch mode rebuilds tables, which
    must not trip (or cascade through) foreign keys halfway.
    """
    options: dict[str, Any] = {}
    if not pooled:
        options["poolclass"] = NullPool
    backend = url.get_backend_name()
    if backend == "sqlite":
        _prepare_sqlite_file(url)
    elif backend == "postgresql":
        options["pool_pre_ping"] = True
        if "connect_timeout" not in url.query:
            options["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
    try:
        engine = create_engine(url, **options)
    except (ImportError, ArgumentError) as error:
        raise StoreError(f"cannot use database {describe(url)}: {error}") from None
    if backend == "sqlite":
        _configure_sqlite(engine, foreign_keys=foreign_keys)
        path = sqlite_file(url)
        if path is not None:
            _open_existing_only(engine, path)
    return engine


def _open_existing_only(engine: Engine, path: Path) -> None:
    """Connections open the file only if it exists (``mode=rw``): a database deleted under a
    running netmon is an error, not a new empty file that SQLite creates silently (which
    would split the history in two). New files are made by ``_prepare_sqlite_file``."""

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        if cargs:
            cargs[0] = f"{path.resolve().as_uri()}?mode=rw"
        else:
            cparams["database"] = f"{path.resolve().as_uri()}?mode=rw"
        cparams["uri"] = True


def _configure_sqlite(engine: Engine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that
        # DDL in migrations is transactional too (SQLAlchemy's documented pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            # WAL makes NORMAL durable across application crashes; only power loss can drop
            # the last transactions, never corrupt the file.
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that reads first and writes later must upgrade its lock,
        # and SQLite fails such an upgrade at once with "database is locked" (the busy
        # timeout cannot help: waiting could deadlock). Writers therefore take the write
        # lock when they begin and wait up to the busy timeout for it; read-only sessions
        # stay deferred so that reports never queue behind the poller.
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _detail(error: BaseException, url: URL) -> str:
    """The driver's message on one line, without SQL or parameters (they may hold configs)."""
    original = getattr(error, "orig", None) or error
    text = " ".join(line.strip() for line in str(original).splitlines() if line.strip())
    if url.password:
        text = text.replace(str(url.password), "***")
    return text or type(original).__name__


_MISSING_SCHEMA_MARKERS = ("no such table", "no such column", "undefinedtable", "undefinedcolumn")


def store_error(error: BaseException, url: URL) -> StoreError:
    """Translate a database failure into a StoreError fit for the operator.

    Besides SQLAlchemy's own errors this covers what drivers raise unwrapped: OverflowError
    (sqlite3 binding an integer beyond 64 bits), OSError (a full or vanished disk), the
    drivers' own exception classes. The cause's type is named, so that the log says what
    failed, not only that something did."""
    where = describe(url)
    detail = _detail(error, url)
    if not isinstance(error, SQLAlchemyError):
        original = getattr(error, "orig", None) or error
        detail = f"{type(original).__name__}: {detail}"
    lowered = detail.lower()
    original_name = type(getattr(error, "orig", None) or error).__name__.lower()
    if any(marker in lowered or marker in original_name for marker in _MISSING_SCHEMA_MARKERS):
        return StoreError(
            f"database {where} has no netmon schema or an older one: {UPGRADE_HINT} ({detail})"
        )
    if isinstance(error, IntegrityError):
        return StoreError(f"database {where} refused the write, nothing was saved: {detail}")
    if "readonly" in lowered or "read-only" in lowered:
        return StoreError(f"database {where} is read-only, nothing was saved: {detail}")
    if "disk is full" in lowered or "no space left" in lowered:
        return StoreError(f"database {where}: the disk is full, nothing was saved: {detail}")
    if isinstance(error, OperationalError | InterfaceError) and "connect" in lowered:
        return StoreError(f"cannot connect to database {where}: {detail}")
    if "unable to open database file" in lowered:
        return StoreError(
            f"cannot open database {where}: {detail} "
            "(does the directory exist, and may netmon write to it?)"
        )
    return StoreError(f"database {where}: {detail}")


class Store:
    """An open store: an engine plus transactional sessions that fail as StoreError."""

    def __init__(self, url: URL, engine: Engine) -> None:
        self.url = url
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_engine = engine.execution_options(**{READ_ONLY_OPTION: True})

    @property
    def location(self) -> str:
        return describe(self.url)

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if anything fails.

        A writing session (the default) takes SQLite's write lock when it begins, waiting up
        to the busy timeout for another writer; ``read_only=True`` sessions do not. Any
        failure of the database or its driver leaves as a StoreError; a StoreError or other
        NetmonError raised by the caller's own code passes through unchanged."""
        session = self._sessions(bind=self._read_engine) if read_only else self._sessions()
        try:
            yield session
            session.commit()
        except NetmonError:
            _rollback_quietly(session)
            raise
        except _driver_errors() as error:
            _rollback_quietly(session)
            raise store_error(error, self.url) from error
        except BaseException:
            _rollback_quietly(session)
            raise
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# What a database driver may raise besides SQLAlchemy's wrapped errors (see store_error):
# sqlite3.Error and psycopg.Error are subclasses of Exception that SQLAlchemy normally wraps,
# but not on every path (e.g. at commit, or from a type adapter).
_BASE_DRIVER_ERRORS: tuple[type[BaseException], ...] = (
    SQLAlchemyError,
    OverflowError,
    OSError,
    sqlite3.Error,
)


def _driver_errors() -> tuple[type[BaseException], ...]:
    """The errors above, plus psycopg's once it is loaded: SQLAlchemy imports it for a
    PostgreSQL URL, and without it loaded nothing can raise one. Not imported here, as
    that costs a SQLite process (every document from a SQLite store) about 0.1 s."""
    psycopg = sys.modules.get("psycopg")
    if psycopg is None:
        return _BASE_DRIVER_ERRORS
    return (*_BASE_DRIVER_ERRORS, psycopg.Error)


def _rollback_quietly(session: Session) -> None:
    # A dead connection cannot roll back either; the server discards the transaction anyway.
    with suppress(*_driver_errors()):
        session.rollback()


def open_store(url: str | URL | None = None, *, require_schema: bool = True) -> Store:
    """Open the store (see the module docstring for which one).

    With ``require_schema`` (the default) it also connects and checks that the schema is at
    the revision this netmon ships, so a daemon fails at start, with a hint to run
    ``netmon db upgrade``, rather than at its first write.
    """
    resolved = resolve_url(url)
    store = Store(resolved, make_engine(resolved))
    if require_schema:
        from agent.store.schema import ensure_current

        try:
            ensure_current(store)
        except BaseException:
            store.close()
            raise
    return store
