"""``netmon report KIND``: the contract's documents from what the store holds.

Kinds: monthly (月巡检报告), daily (值守日报), upgrades (安全设备授权、升级记录), maintenance
(网络设备维保/调优记录单), summary (工作总结). Period: ``--month YYYY-MM``, ``--date YYYY-MM-DD``
or ``--from`` .. ``--to`` (days included, local time); by default the daily report covers the
last 24 hours and the others the previous month. The summary has no default: ``--from`` ..
``--to`` (the March..November one) or ``--year YYYY`` (the annual one).
"""

from __future__ import annotations

import argparse
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.reports.period import Period

KINDS = ("monthly", "daily", "upgrades", "maintenance", "summary")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write a contract document (monthly, daily, upgrades, maintenance, summary) "
        "from the store",
        description="Write one of the contract's documents from the store: monthly "
        "(月巡检报告), daily (值守日报), upgrades (安全设备授权、升级记录), maintenance "
        "(网络设备维保/调优记录单), summary (工作总结, over --from .. --to or --year). "
        "Without a period, daily covers the last 24 hours and the others the previous "
        "calendar month.",
    )
    parser.add_argument("kind", choices=KINDS, help="which document")
    period = parser.add_argument_group("period (local time; pick one)")
    period.add_argument("--month", metavar="YYYY-MM", help="a calendar month")
    period.add_argument("--date", metavar="YYYY-MM-DD", help="one day")
    period.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="first day")
    period.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day (included)")
    period.add_argument("--year", metavar="YYYY", help="a calendar year (summary only)")
    parser.add_argument(
        "--format", choices=("docx", "html", "md"), default="docx", help="default: docx"
    )
    parser.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="language (default: zh, Chinese)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output file (default: netmon-KIND-PERIOD.FORMAT)"
    )
    parser.add_argument("--url", default=None, help="database URL (default: see README)")
    parser.set_defaults(func=report_command)


def report_command(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from agent.reports.build import default_output, make_report
    from agent.reports.period import choose_period, report_timezone
    from agent.reports.settings import report_settings
    from agent.store import open_store

    settings = report_settings()
    tz = report_timezone(settings.timezone)
    if args.kind == "summary" or args.year:
        period = summary_period(args, tz)
    else:
        period = choose_period(
            args.kind,
            month=args.month,
            date=args.date,
            first=args.first,
            last=args.last,
            now=datetime.now(UTC),
            tz=tz,
        )
    out = args.out or default_output(args.kind, period, args.format, args.lang)
    with open_store(args.url) as store:
        written = make_report(store, args.kind, period, args.format, out, args.lang, settings)
    print(
        f"wrote {written[0]}" + (f" (+{len(written) - 1} chart files)" if len(written) > 1 else "")
    )
    return 0


def summary_period(args: argparse.Namespace, tz: tzinfo) -> Period:
    """The summary covers --from .. --to (the March..November one) or --year (the annual
    one); it has no default period, and --year belongs to it alone."""
    from agent.reports.period import PeriodError, range_period, year_period

    if args.kind != "summary":
        raise PeriodError(f"--year is for the work summary only; {args.kind} takes --month")
    if args.month or args.date:
        raise PeriodError("the work summary takes --from/--to or --year, not --month or --date")
    if args.year:
        if args.first or args.last:
            raise PeriodError("give one period, not --year and --from/--to")
        return year_period(args.year, tz)
    if not (args.first and args.last):
        raise PeriodError("the work summary needs --from YYYY-MM-DD --to YYYY-MM-DD or --year YYYY")
    return range_period(args.first, args.last, tz)
