"""``netmon db``: create or migrate the store's schema and say where it stands.

Which database: ``--url``, else ``$NETMON_DB_URL``, else SQLite in the state directory (see
``agent.store.engine``). Every line that names the database masks its password.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "db",
        help="create, migrate or check the store's database schema",
        description="Database: --url, else $NETMON_DB_URL, else <state dir>/netmon.db "
        "(state dir: $NETMON_STATE_DIR, $STATE_DIRECTORY, /var/lib/netmon as root, "
        "else ~/.local/state/netmon).",
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)

    def add(
        name: str, help_text: str, handler: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        action = actions.add_parser(name, help=help_text, description=help_text)
        action.add_argument("--url", help="database URL (default: $NETMON_DB_URL or SQLite)")
        action.set_defaults(func=handler)
        return action

    add("upgrade", "create the schema or migrate it to this netmon's revision", upgrade_command)
    add("current", "print the schema revision the database is at", current_command)
    add(
        "check",
        "connect and say whether the schema is up to date (exit 1 if it is not)",
        check_command,
    )
    revision = add(
        "revision",
        "developers: write the next migration from changes to agent/store/models.py",
        revision_command,
    )
    revision.add_argument("-m", "--message", required=True, help="what the migration changes")


def _location(url: str | None) -> str:
    from agent.store.engine import describe, resolve_url

    return describe(resolve_url(url))


def upgrade_command(args: argparse.Namespace) -> int:
    from agent.store.schema import upgrade

    print(f"database: {_location(args.url)}")
    before, after = upgrade(args.url)
    if before == after:
        print(f"schema already at revision {after}; nothing to do")
    elif before is None:
        print(f"schema created at revision {after}")
    else:
        print(f"schema migrated from revision {before} to {after}")
    return 0


def current_command(args: argparse.Namespace) -> int:
    from agent.store.schema import current_revision

    print(f"database: {_location(args.url)}")
    revision = current_revision(args.url)
    print(f"revision: {revision or 'none (no netmon schema yet: run `netmon db upgrade`)'}")
    return 0


def check_command(args: argparse.Namespace) -> int:
    from agent.store.schema import current_revision, head_revision

    print(f"database: {_location(args.url)}")
    revision = current_revision(args.url)
    head = head_revision()
    if revision == head:
        print(f"revision: {revision} (up to date)")
        return 0
    print(f"revision: {revision or 'none'}; this netmon needs {head}: run `netmon db upgrade`")
    return 1


def revision_command(args: argparse.Namespace) -> int:
    from agent.store.schema import new_revision

    print(f"database: {_location(args.url)}")
    path = new_revision(args.url, args.message)
    print(f"wrote {path}; read it, trim it, and test it on SQLite and PostgreSQL")
    return 0
