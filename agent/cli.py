"""The ``netmon`` command: one entry point, one module per subcommand under agent/commands/."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from agent.errors import NetmonError

# Each module has ``register(subparsers)``, which adds its parser and sets ``func``.
# Modules keep heavy imports inside their handlers so that ``netmon --help`` stays fast.
COMMAND_MODULES: tuple[str, ...] = (
    "agent.commands.check",
    "agent.commands.db",
    "agent.commands.lab",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netmon",
        description="Monitoring daemon for security appliances and switches.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NetmonError as error:
        print(f"netmon {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
