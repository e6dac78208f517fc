#!/usr/bin/env python3
"""Write the sample monthly report under docs/examples/ (Markdown, HTML and Word).

It builds a month (April 2026) of history for every device of inventory.toml in a fresh
SQLite store, through the same code paths the collectors use (``Recorder.save_health`` with
``HealthSnapshot`` objects; repository functions for configurations and approvals, signature
versions, licences, events and maintenance records), deterministic with a fixed seed, then
renders the monthly report from that store. Run from the repository root:

    python3 scripts/make_example_report.py            # hourly samples, about 2 minutes
    python3 scripts/make_example_report.py --interval-hours 6 --out /tmp/example
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.inventory import load_inventory  # noqa: E402
from agent.reports.build import build_document, read_data, write_document  # noqa: E402
from agent.reports.demo_history import build_demo_history  # noqa: E402
from agent.reports.period import month_period, report_timezone  # noqa: E402
from agent.reports.settings import ReportSettings  # noqa: E402
from agent.store import open_store  # noqa: E402
from agent.store.schema import upgrade  # noqa: E402

MONTH = "2026-04"
SEED = 20260401


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "examples")
    parser.add_argument("--interval-hours", type=float, default=1.0)
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args()
    settings = ReportSettings()
    period = month_period(MONTH, report_timezone(settings.timezone))
    # The report is "generated" the morning after the month ends, so reruns are identical.
    generated_at = period.end + dt.timedelta(hours=1)
    inventory = load_inventory(ROOT / "inventory.toml")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'netmon.db'}"
        upgrade(url)
        with open_store(url) as store:
            build_demo_history(
                store,
                inventory.devices,
                period,
                seed=SEED,
                interval=dt.timedelta(hours=args.interval_hours),
            )
            data = read_data(store, period, generated_at)
    document = build_document("monthly", data, args.lang, settings)
    suffix = "" if args.lang == "zh" else f".{args.lang}"
    for fmt in ("md", "html", "docx"):
        out = args.out / f"monthly-{MONTH}{suffix}.{fmt}"
        written = write_document(document, fmt, out, generated_at)
        print(
            f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}"
            + (f" (+{len(written) - 1} chart files)" if len(written) > 1 else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
