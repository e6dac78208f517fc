#!/usr/bin/env python3
"""Write the sample work summary (《工作总结》) under docs/examples/, and its PDF.

It generates March 6 .. November 30 2026 of history for every device of inventory.toml in a
fresh SQLite store (``build_demo_months``: one scripted month per calendar month, through the
collectors' own write paths, fixed seeds), writes ``netmon report summary --from 2026-03-06
--to 2026-11-30`` from it as Markdown and Word, converts the Word file to PDF with LibreOffice
headless when ``soffice`` is installed, and prints how long each step took. Run from the
repository root:

    python3 scripts/make_example_summary.py                   # 12-hourly polls
    python3 scripts/make_example_summary.py --interval-hours 6 --out /tmp/example
    python3 scripts/make_example_summary.py --store /tmp/summary.db   # keep the history

``--store`` keeps the generated history in that SQLite file; a second run with the same file
writes the documents again from it without generating the history (minutes) again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.inventory import load_inventory  # noqa: E402
from agent.reports.build import make_summary  # noqa: E402
from agent.reports.demo_history import build_demo_months  # noqa: E402
from agent.reports.period import range_period, report_timezone  # noqa: E402
from agent.reports.settings import ReportSettings  # noqa: E402
from agent.store import open_store  # noqa: E402
from agent.store.schema import upgrade  # noqa: E402

FIRST, LAST = "2026-03-06", "2026-11-30"
NAME = "summary-2026-03-06_2026-11-30"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "examples")
    parser.add_argument("--interval-hours", type=float, default=12.0)
    parser.add_argument(
        "--store",
        type=Path,
        help="SQLite file to keep the history in, or to reuse it from when it exists",
    )
    args = parser.parse_args()
    settings = ReportSettings()
    period = range_period(FIRST, LAST, report_timezone(settings.timezone))
    # "Made" on the morning of 3 December, so reruns are identical.
    generated_at = period.end + dt.timedelta(days=2, hours=1)
    inventory = load_inventory(ROOT / "inventory.toml")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        kept = args.store
        reuse = kept is not None and kept.exists()
        # A new history is written under a temporary name and kept only once complete, so an
        # interrupted run never leaves a half-generated store to be reused.
        database = kept if reuse else Path(workdir) / "netmon.db"
        url = f"sqlite:///{database.resolve()}"
        upgrade(url)
        with open_store(url) as store:
            if reuse:
                print(f"history reused from {database}")
            else:
                began = time.perf_counter()
                build_demo_months(
                    store,
                    inventory.devices,
                    period,
                    interval=dt.timedelta(hours=args.interval_hours),
                )
                print(f"history generated in {time.perf_counter() - began:.0f} s")
            for fmt in ("md", "docx"):
                began = time.perf_counter()
                out = args.out / f"{NAME}.{fmt}"
                make_summary(store, period, fmt, out, "zh", settings, generated_at)
                print(f"wrote {out.name} in {time.perf_counter() - began:.1f} s")
        if kept is not None and not reuse:
            shutil.copyfile(database, kept)
            print(f"history kept in {kept}")
    soffice = shutil.which("soffice")
    if soffice is None:
        print("soffice not installed: no PDF")
        return 0
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(args.out),
                str(args.out / f"{NAME}.docx"),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    print(f"wrote {NAME}.pdf in {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
