"""``netmon record``: what engineers did by hand (add, list, close, export).

Kinds (see ``agent.records``): maintenance, repair, tuning, upgrade, incident, duty. Times are
``YYYY-MM-DD HH:MM`` (or ISO 8601 with an offset); without an offset they are local time of
the report time zone (``[report] timezone`` in netmon.toml, Asia/Shanghai by default). Writes
go through the store's writing session (SQLite ``BEGIN IMMEDIATE``), so a running daemon and
this command take turns instead of failing.

    netmon record add repair --device fw-hq-1 --summary "PSU 2 failed" --from "2026-03-05 09:00"
    netmon record add incident --device fw-hq-1 --summary "no management access" \\
        --reported "2026-03-05 08:00" --responded "2026-03-05 08:06" --arrived "2026-03-05 09:40"
    netmon record close 7 --action "replaced PSU 2" --outcome "both PSUs normal"
    netmon record add duty --summary "day shift, quiet" \\
        --from "2026-03-05 08:30" --to "2026-03-05 17:30"
    netmon record list --from 2026-03-01 --to 2026-03-31 --kind incident --open
    netmon record export --from 2026-03-01 --to 2026-03-31 --format csv
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import getpass
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import NetmonError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from agent.store.models import MaintenanceRecord

KINDS = ("maintenance", "repair", "tuning", "upgrade", "incident", "duty")
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
DEFAULT_LABEL = "驻场组"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "record",
        help="engineers' records: maintenance, repairs, tuning, upgrades, incidents, duty",
        description="Record what engineers did by hand; the documents show these records.",
    )
    parser.add_argument("--url", default=None, help="database URL (default: see README)")
    parser.add_argument("--config", type=Path, default=None, help="netmon.toml (time zone)")
    commands = parser.add_subparsers(dest="record_command", metavar="ACTION", required=True)

    add = commands.add_parser("add", help="add a record")
    add.add_argument("kind", choices=KINDS)
    add.add_argument("--device", default=None, help="device name (not needed for duty)")
    add.add_argument("--summary", required=True, help="what it is about (the fault, the task)")
    add.add_argument("--by", default=DEFAULT_LABEL, help="engineer label: team or call sign")
    add.add_argument("--at", default=None, help="done at this moment (start = end)")
    add.add_argument("--from", dest="start", default=None, help="started (default: now)")
    add.add_argument("--to", dest="end", default=None, help="ended (none: still open)")
    add.add_argument("--reported", default=None, help="incident: when it was reported")
    add.add_argument("--responded", default=None, help="incident: when an engineer responded")
    add.add_argument("--arrived", default=None, help="incident: when an engineer was on site")
    add.add_argument("--resolved", default=None, help="incident: when it was resolved")
    add.add_argument("--action", default=None, help="what was done")
    add.add_argument("--outcome", default=None, help="the result")
    add.add_argument("--inventory", type=Path, default=None, help="inventory file")
    add.set_defaults(func=add_command)

    listing = commands.add_parser("list", help="list records")
    _period_options(listing, required=False)
    listing.add_argument("--kind", choices=KINDS, default=None)
    listing.add_argument("--device", default=None)
    listing.add_argument("--open", action="store_true", help="only records still open")
    listing.set_defaults(func=list_command)

    close = commands.add_parser("close", help="close an open record")
    close.add_argument("id", type=int, metavar="ID")
    close.add_argument("--at", default=None, help="when it ended / was resolved (default: now)")
    close.add_argument("--arrived", default=None, help="incident: when an engineer was on site")
    close.add_argument("--action", default=None, help="what was done")
    close.add_argument("--outcome", default=None, help="the result")
    close.set_defaults(func=close_command)

    export = commands.add_parser("export", help="write the records of a period to a file")
    _period_options(export, required=True)
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", type=Path, default=None, help="file (default: ./records_…)")
    export.set_defaults(func=export_command)


def _period_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--from", dest="start", required=required, help="first day (YYYY-MM-DD) or a time"
    )
    parser.add_argument("--to", dest="end", required=required, help="last day, included")


def _timezone(args: argparse.Namespace) -> dt.tzinfo:
    from agent.reports.period import report_timezone
    from agent.reports.settings import report_settings

    return report_timezone(report_settings(args.config).timezone)


def parse_time(value: str | None, option: str, tz: dt.tzinfo) -> dt.datetime | None:
    """A time as the operator types it; local time of ``tz`` unless it carries an offset."""
    if value is None:
        return None
    text = value.strip()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    for layout in TIME_FORMATS:
        if moment is not None:
            break
        try:
            moment = dt.datetime.strptime(text, layout)
        except ValueError:
            continue
    if moment is None or (len(text) <= 10 and "T" not in text and ":" not in text):
        raise NetmonError(f"{option}: {value!r} is not a time; write e.g. '2026-03-05 14:30'")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(dt.UTC)


def parse_day_bound(value: str | None, option: str, tz: dt.tzinfo, *, end: bool) -> dt.datetime:
    """``--from`` / ``--to`` of list and export: a day (``--to`` includes it) or a time."""
    if value is None:
        far = dt.datetime.max if end else dt.datetime(1970, 1, 1)
        return far.replace(tzinfo=dt.UTC)
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        moment = parse_time(value, option, tz)
        assert moment is not None
        return moment
    start = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC)


def _recorded_by() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container): say so, not guess
        return "unknown"


def _ensure_device(session: Session, name: str, inventory_path: Path | None) -> None:
    """A device the store does not know yet but the inventory lists (the daemon has not run
    since it was added) is synced in from the inventory, as the daemon would do."""
    from agent.inventory import default_inventory_path, load_inventory
    from agent.records import RecordError, find_device
    from agent.store.repository import sync_devices

    if find_device(session, name) is not None:
        return
    path = inventory_path or default_inventory_path()
    if not Path(path).is_file():
        raise RecordError(f"--device: {name!r} is not in the store, and no inventory at {path}")
    inventory = load_inventory(path)
    if name not in {device.name for device in inventory.devices}:
        raise RecordError(f"--device: {name!r} is neither in the store nor in {path}")
    sync_devices(session, inventory.devices)


def add_command(args: argparse.Namespace) -> int:
    from agent.records import NewRecord, RecordError, add_record
    from agent.store import open_store

    tz = _timezone(args)
    if args.at is not None and (args.start is not None or args.end is not None):
        raise RecordError("--at: give either --at or --from / --to")
    start = parse_time(args.at or args.start, "--at" if args.at else "--from", tz)
    end = start if args.at is not None else parse_time(args.end, "--to", tz)
    new = NewRecord(
        kind=args.kind,
        summary=args.summary,
        engineer=args.by,
        device=args.device,
        started_at=start,
        ended_at=end,
        reported_at=parse_time(args.reported, "--reported", tz),
        responded_at=parse_time(args.responded, "--responded", tz),
        arrived_at=parse_time(args.arrived, "--arrived", tz),
        resolved_at=parse_time(args.resolved, "--resolved", tz),
        action=args.action,
        outcome=args.outcome,
    )
    with open_store(args.url) as store, store.session() as session:
        if args.device is not None:
            _ensure_device(session, args.device, args.inventory)
        record = add_record(session, new, recorded_by=_recorded_by())
        line = describe(record, tz)
    print(f"added {line}")
    return 0


def close_command(args: argparse.Namespace) -> int:
    from agent.records import close_record
    from agent.store import open_store

    tz = _timezone(args)
    with open_store(args.url) as store, store.session() as session:
        record = close_record(
            session,
            args.id,
            at=parse_time(args.at, "--at", tz),
            arrived_at=parse_time(args.arrived, "--arrived", tz),
            action=args.action,
            outcome=args.outcome,
        )
        line = describe(record, tz)
    print(f"closed {line}")
    return 0


def _local(moment: dt.datetime | None, tz: dt.tzinfo) -> str:
    return "-" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def describe(record: MaintenanceRecord, tz: dt.tzinfo) -> str:
    device = record.device.name if record.device is not None else "-"
    begun = record.reported_at or record.started_at
    return (
        f"#{record.id} {record.kind} {record.state} {device} [{record.engineer}] "
        f"{_local(begun, tz)} -> {_local(record.ended_at, tz)}: {record.summary}"
    )


def _selected(args: argparse.Namespace, session: Session, tz: dt.tzinfo) -> list[MaintenanceRecord]:
    from agent.records import RecordError, records_between

    start = parse_day_bound(args.start, "--from", tz, end=False)
    end = parse_day_bound(args.end, "--to", tz, end=True)
    if end <= start:
        raise RecordError(f"--to: {args.end} is before --from {args.start}")
    return records_between(
        session,
        start,
        end,
        kind=getattr(args, "kind", None),
        device=getattr(args, "device", None),
        open_only=getattr(args, "open", False),
    )


def list_command(args: argparse.Namespace) -> int:
    from agent.store import open_store

    tz = _timezone(args)
    with open_store(args.url) as store, store.session(read_only=True) as session:
        lines = [describe(record, tz) for record in _selected(args, session, tz)]
    print("\n".join(lines) if lines else "no records")
    return 0


def export_text(rows: list[dict[str, object]], layout: str) -> str:
    from agent.records import EXPORT_FIELDS

    if layout == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def export_command(args: argparse.Namespace) -> int:
    from agent.privatefiles import write_private
    from agent.records import export_row
    from agent.store import open_store

    tz = _timezone(args)
    with open_store(args.url) as store, store.session(read_only=True) as session:
        rows = [export_row(record) for record in _selected(args, session, tz)]
    output = args.output or Path(f"records_{args.start}_{args.end}.{args.format}")
    # Records name devices and sites: the file is the operator's, 0600 like the store.
    write_private(output, export_text(rows, args.format))
    print(f"{len(rows)} records written to {output}")
    return 0
