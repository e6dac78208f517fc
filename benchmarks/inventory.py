"""`netmon check` on a large generated inventory: prints seconds per run and where time goes.

    python3 benchmarks/inventory.py                  # 20,000 devices, 3 runs
    python3 benchmarks/inventory.py --devices 50000 --runs 1
    python3 benchmarks/inventory.py --profile        # plus a cProfile of one run

The file is the shipped inventory.toml's fleet repeated with unique names and addresses
(tests/inventory_gen.py), written to a temporary directory. Nothing is polled. Measures the
whole `netmon check` path in-process (read, TOML parse, schema, cross-checks, line lookups,
summary), and one run of the real command as a subprocess (interpreter start included).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.commands.check import run_check  # noqa: E402
from tests.inventory_gen import big_inventory  # noqa: E402


def check_once(path: Path) -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        run_check(argparse.Namespace(file=path, resolve_secrets=False))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.toml"
        path.write_text(big_inventory(args.devices), encoding="utf-8")
        size = path.stat().st_size / 1e6
        print(f"inventory: {args.devices} devices, {size:.1f} MB")
        times = [check_once(path) for _ in range(args.runs)]
        print(f"in-process check: {', '.join(f'{t:.2f}' for t in times)} s (best {min(times):.2f})")
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "agent.cli", "check", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        print(f"`netmon check` process: {elapsed:.2f} s (exit {result.returncode})")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            check_once(path)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
