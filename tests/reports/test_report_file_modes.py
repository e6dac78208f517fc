"""Reports are written 0600 (their charts' directory 0700) whatever the umask: they carry what
the store carries, and the store is 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from agent.reports.build import build_document, write_document
from agent.reports.data import ReportData
from agent.reports.settings import ReportSettings


@pytest.mark.parametrize("fmt", ["docx", "html", "md"])
def test_reports_are_private(
    fmt: str, known_data: ReportData, settings: ReportSettings, tmp_path: Path
) -> None:
    document = build_document("monthly", known_data, "zh", settings)
    out = tmp_path / f"monthly.{fmt}"
    out.write_text("an older copy someone made readable")
    os.chmod(out, 0o644)
    old = os.umask(0o022)
    try:
        written = write_document(document, fmt, out)
    finally:
        os.umask(old)
    assert written[0] == out and out.stat().st_size > 100
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    if fmt == "md":
        assert len(written) > 1
        assert stat.S_IMODE((tmp_path / "monthly_files").stat().st_mode) == 0o700
    # Nothing left behind by the atomic replace.
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
