"""Helpers any test may import (``from tests.support import require_tool``)."""

from __future__ import annotations

import os
import shutil

import pytest


def strict() -> bool:
    """True under the README's test command: a missing tool or service fails, not skips."""
    return os.environ.get("NETMON_TEST_STRICT") == "1"


def require_tool(tool: str, package: str) -> str:
    """The path of ``tool``; skip (or, under NETMON_TEST_STRICT=1, fail) when it is missing."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (Debian package {package!r}; scripts/test installs it)"
        if strict():
            pytest.fail(message)
        pytest.skip(message)
    return path


def missing_service(message: str) -> None:
    """Skip for want of a service (PostgreSQL, ...); fail under NETMON_TEST_STRICT=1."""
    if strict():
        pytest.fail(message)
    pytest.skip(message)
