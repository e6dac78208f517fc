"""``netmon report KIND``: the contract's documents from what the store holds.

Kinds: monthly (月巡检报告), daily (值守日报), upgrades (安全设备授权、升级记录), maintenance
(网络设备维保/调优记录单), summary (工作总结). Period: ``--month YYYY-MM``, ``--date YYYY-MM-DD``
or ``--from`` .. ``--to`` (days included, local time); by default the daily report covers today
so far and the others the current month so far; ``--previous`` names yesterday or last month
(the timers use it). A period that has not ended yet stops at the moment the report is made.
The summary has no default: ``--from`` .. ``--to`` (the March..November one) or ``--year YYYY``
(the annual one).
"""

from __future__ import annotations

import argparse
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from agent.reports.period import Period
    from agent.reports.settings import ReportSettings
    from agent.store.engine import Store

KINDS = ("monthly", "daily", "upgrades", "maintenance", "summary")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write a contract document (monthly, daily, upgrades, maintenance, summary) "
        "from the store",
        description="Write one of the contract's documents from the store: monthly "
        "(月巡检报告), daily (值守日报), upgrades (安全设备授权、升级记录), maintenance "
        "(网络设备维保/调优记录单), summary (工作总结, over --from .. --to or --year). "
        "Without a period, daily covers today so far and the others the current month so "
        "far; --previous writes yesterday's or last month's.",
    )
    parser.add_argument("kind", choices=KINDS, help="which document")
    period = parser.add_argument_group("period (local time; pick one)")
    period.add_argument("--month", metavar="YYYY-MM", help="a calendar month")
    period.add_argument("--date", metavar="YYYY-MM-DD", help="one day")
    period.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="first day")
    period.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day (included)")
    period.add_argument("--year", metavar="YYYY", help="a calendar year (summary only)")
    period.add_argument(
        "--previous",
        action="store_true",
        help="the previous day (daily) or calendar month (the others): what the timers write",
    )
    cover = parser.add_argument_group("cover and sign-off (default: the [report] settings)")
    cover.add_argument("--prepared-by", metavar="NAME", help="巡检人/编制: a person or team")
    cover.add_argument("--reviewed-by", metavar="NAME", help="审核人")
    cover.add_argument(
        "--issue",
        type=int,
        default=1,
        metavar="N",
        help="issue number for a re-issued document (default 1); it ends the document number",
    )
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
    import dataclasses
    import sys
    from datetime import UTC, datetime

    from agent.reports.build import build_document, default_output, read_data, write_document
    from agent.reports.period import choose_period, report_timezone
    from agent.reports.settings import report_settings
    from agent.store import open_store

    if args.issue < 1:
        print(f"netmon report: --issue {args.issue}: give 1 or more", file=sys.stderr)
        return 2
    settings = report_settings()
    overrides = {"issue": args.issue}
    if args.prepared_by is not None:
        overrides["prepared_by"] = args.prepared_by
    if args.reviewed_by is not None:
        overrides["reviewed_by"] = args.reviewed_by
    settings = dataclasses.replace(settings, **overrides)  # type: ignore[arg-type]
    tz = report_timezone(settings.timezone)
    now = datetime.now(UTC)
    if args.kind == "summary" or args.year:
        period = summary_period(args, tz)
    else:
        period = choose_period(
            args.kind,
            month=args.month,
            date=args.date,
            first=args.first,
            last=args.last,
            now=now,
            tz=tz,
            previous=args.previous,
        )
    out = args.out or default_output(args.kind, period, args.format, args.lang)
    if args.kind == "summary":
        with open_store(args.url) as store:
            return _write_summary(store, period, args, out, settings, now)
    with open_store(args.url) as store:
        data = read_data(store, period, now)
    document = build_document(args.kind, data, args.lang, settings)
    written = write_document(document, args.format, out, data.generated_at)
    if not data.has_data:
        print(
            f"netmon report: the store holds nothing for {period.label}; "
            "the document says so (was netmon running then?)",
            file=sys.stderr,
        )
    print(
        f"wrote {written[0]} ({document.number})"
        + (f" (+{len(written) - 1} chart files)" if len(written) > 1 else "")
    )
    return 0


def _write_summary(
    store: Store,
    period: Period,
    args: argparse.Namespace,
    out: Path,
    settings: ReportSettings,
    now: datetime,
) -> int:
    """The work summary reads its months one by one (``agent.reports.summary_data``)."""
    import sys

    from agent.reports.build import make_summary

    written = make_summary(store, period, args.format, out, args.lang, settings, now)
    print(
        f"wrote {written[0]}" + (f" (+{len(written) - 1} chart files)" if len(written) > 1 else ""),
        file=sys.stdout,
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
