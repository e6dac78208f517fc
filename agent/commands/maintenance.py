"""``netmon maintenance``: planned stops of devices, stored with a start, an end and a reason.

``add DEVICE... [--site SITE] --from TIME --to TIME --reason TEXT [--by LABEL]`` stores one
window per device (a site adds every current device of that site); ``list [--all]`` shows the
active and planned windows (every window with ``--all``); ``end ID`` ends a window now. Times
are ISO 8601 (``2026-12-15 09:00``); without a zone they are Beijing time, as the documents
are. Inside a window the device's time is excluded from availability and outages
(agent.availability) and the daemon exports ``netmon_device_maintenance`` 1, which silences
its alerts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from agent.errors import NetmonError

LOCAL = dt.timezone(dt.timedelta(hours=8), "CST")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "maintenance",
        help="maintenance windows: planned stops excluded from availability, alerts silenced",
        description="Add, list and end maintenance windows stored in netmon's database.",
    )
    parser.add_argument("--url", default=None, help="database URL (default: see README)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="plan a window for devices (or a whole site)")
    add.add_argument("devices", nargs="*", metavar="DEVICE")
    add.add_argument("--site", action="append", default=[], help="every device of this site")
    add.add_argument("--from", dest="start", required=True, help="start (ISO 8601)")
    add.add_argument("--to", dest="end", required=True, help="end (ISO 8601)")
    add.add_argument("--reason", required=True, help="what is being done")
    add.add_argument("--by", default="netmon", help="team or call sign that planned it")
    add.set_defaults(func=add_command)
    listing = actions.add_parser("list", help="active and planned windows")
    listing.add_argument("--all", action="store_true", help="past windows too")
    listing.set_defaults(func=list_command)
    end = actions.add_parser("end", help="end a window now")
    end.add_argument("id", type=int)
    end.set_defaults(func=end_command)


def parse_time(text: str, option: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise NetmonError(
            f"{option} {text!r} is not a time: use ISO 8601, e.g. 2026-12-15 09:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL)
    return moment.astimezone(dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def add_command(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from agent.availability import WindowError, add_window
    from agent.store import open_store
    from agent.store.models import Device

    start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
    with open_store(args.url) as store, store.session() as session:
        names = list(args.devices)
        for site in args.site:
            found = list(
                session.scalars(
                    select(Device.name)
                    .where(Device.site == site, Device.retired_at.is_(None))
                    .order_by(Device.name)
                )
            )
            if not found:
                raise NetmonError(f"--site {site!r}: no current device at that site")
            names.extend(found)
        try:
            windows = add_window(session, names, start, end, args.reason, args.by, _now())
        except WindowError as error:
            raise NetmonError(str(error)) from None
        for window in windows:
            print(
                f"window {window.id}: {window.device.name} {_local(start)} -> {_local(end)} "
                f"(Beijing time)"
            )
    return 0


def list_command(args: argparse.Namespace) -> int:
    from agent.availability import windows_to_list
    from agent.store import open_store

    with open_store(args.url) as store, store.session(read_only=True) as session:
        windows = windows_to_list(session, _now(), args.all)
    if not windows:
        print("no maintenance window" + ("" if args.all else " active or planned"))
        return 0
    for w in windows:
        print(
            f"{w.id}\t{w.device}\t{_local(w.starts_at)}\t{_local(w.ends_at)}\t{w.created_by}\t"
            f"{w.reason}"
        )
    return 0


def end_command(args: argparse.Namespace) -> int:
    from agent.availability import WindowError, end_window
    from agent.store import open_store

    with open_store(args.url) as store, store.session() as session:
        try:
            window = end_window(session, args.id, _now())
        except WindowError as error:
            raise NetmonError(str(error)) from None
    print(f"window {window.id} ({window.device}) ended {_local(window.ends_at)}", file=sys.stdout)
    return 0
