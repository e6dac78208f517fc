"""``netmon report`` as the operator runs it: a subprocess with --state-dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from report_history import build_known_month

from agent.store import open_store
from agent.store.schema import upgrade

ROOT = Path(__file__).resolve().parents[2]


def netmon(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NETMON_DB_URL", "NETMON_SETTINGS")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("state")
    url = f"sqlite:///{directory / 'netmon.db'}"
    upgrade(url)
    with open_store(url) as store:
        build_known_month(store)
    return directory


@pytest.mark.parametrize("fmt", ["docx", "html", "md"])
def test_monthly_report_from_the_state_dir(state_dir: Path, tmp_path: Path, fmt: str) -> None:
    result = netmon(
        "--state-dir",
        str(state_dir),
        "report",
        "monthly",
        "--month",
        "2026-04",
        "--format",
        fmt,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / f"netmon-monthly-2026-04.{fmt}"
    assert f"wrote {out.name}" in result.stdout
    if fmt == "docx":
        text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
        assert "月巡检报告" in text and "fw-1" in text
    else:
        assert "fw-1" in out.read_text(encoding="utf-8")


def test_other_kinds_and_an_explicit_output(state_dir: Path, tmp_path: Path) -> None:
    for kind, period in (
        ("daily", ["--date", "2026-04-11"]),
        ("upgrades", ["--from", "2026-04-01", "--to", "2026-04-30"]),
        ("maintenance", ["--month", "2026-04"]),
    ):
        out = tmp_path / f"{kind}.html"
        result = netmon(
            "--state-dir",
            str(state_dir),
            "report",
            kind,
            *period,
            "--format",
            "html",
            "--lang",
            "en",
            "--out",
            str(out),
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert "fw-1" in out.read_text(encoding="utf-8") or kind != "daily"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "--month '2026-13': expected a month as YYYY-MM"),
        (["--date", "2026-02-30"], "--date '2026-02-30': no such date"),
        (["--from", "2026-04-10", "--to", "2026-04-01"], "--to 2026-04-01 is before --from"),
        (["--from", "2026-04-10"], "--from and --to go together"),
        (["--month", "2026-04", "--date", "2026-04-01"], "give one period"),
        (["--month", "2026-04", "--out", "/nonexistent/dir/r.docx"], "does not exist"),
    ],
)
def test_bad_options_are_clear_errors(
    state_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = netmon("--state-dir", str(state_dir), "report", "monthly", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_store_without_schema_asks_for_db_upgrade(tmp_path: Path) -> None:
    state = tmp_path / "empty-state"
    result = netmon(
        "--state-dir", str(state), "report", "monthly", "--month", "2026-04", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "netmon db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("netmon-monthly-*"))


def test_an_empty_month_is_a_report_that_says_so(state_dir: Path, tmp_path: Path) -> None:
    result = netmon(
        "--state-dir",
        str(state_dir),
        "report",
        "monthly",
        "--month",
        "2025-01",
        "--format",
        "md",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "netmon-monthly-2025-01.md").read_text(encoding="utf-8")
    assert "本期无数据" in text


def test_no_flags_on_an_empty_store_writes_this_month_and_says_it_is_empty(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    upgrade(f"sqlite:///{state / 'netmon.db'}")
    result = netmon(
        "--state-dir",
        str(state),
        "report",
        "monthly",
        "--format",
        "md",
        "--issue",
        "2",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "the store holds nothing for" in result.stderr
    (out,) = tmp_path.glob("netmon-monthly-*.md")
    text = out.read_text(encoding="utf-8")
    assert "本期无数据" in text and "截至生成时间" in text and "-02" in text.splitlines()[2]
