"""The ``netmon`` command: one entry point, one module per subcommand under agent/commands/."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from agent.errors import NetmonError

# Each module has ``register(subparsers)``, which adds its parser and sets ``func``.
# Modules keep heavy imports inside their handlers so that ``netmon --help`` stays fast.
COMMAND_MODULES: tuple[str, ...] = (
    "agent.commands.capture",
    "agent.commands.check",
    "agent.commands.config",
    "agent.commands.db",
    "agent.commands.lab",
    "agent.commands.poll",
    "agent.commands.record",
    "agent.commands.report",
    "agent.commands.run",
    "agent.commands.demo",
    "agent.commands.signatures",
    "agent.commands.maintenance",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netmon",
        description="Monitoring daemon for security appliances and switches.",
    )
    parser.add_argument(
        "--state-dir",
        default=None,
        help="where netmon keeps its SQLite store and state (default: $NETMON_STATE_DIR, "
        "$STATE_DIRECTORY, /var/lib/netmon as root, else ~/.local/state/netmon)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.state_dir:
        # Every command reads the state directory from the environment (agent.store.engine),
        # so the option and NETMON_STATE_DIR behave the same everywhere.
        os.environ["NETMON_STATE_DIR"] = str(args.state_dir)
    if getattr(args, "config", None):
        # Likewise netmon.toml: the store URL and the report settings are read from it through
        # NETMON_SETTINGS (agent.settings.settings_path), so --config reaches them too.
        os.environ["NETMON_SETTINGS"] = str(args.config)
    try:
        return int(args.func(args) or 0)
    except NetmonError as error:
        print(f"netmon {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
