"""Sample data and helpers shared by the store tests (a plain module, not a conftest:
pytest puts this folder on sys.path, and two conftest modules would shadow each other)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

# The contract's first day, 08:00 UTC: every test time is an offset from here.
T0 = dt.datetime(2026, 3, 6, 8, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class FakeInventoryDevice:
    """Shaped like agent.inventory.Device, which the store must not import."""

    name: str
    vendor: str = "venustech"
    model: str = "USG-1008DP"
    kind: str = "av-gateway"
    site: str = "headquarters"
    services: tuple[str, ...] = ("HW", "SIG", "TUNE")
    address: str | None = "127.0.0.1"


FLEET = (
    FakeInventoryDevice("fw-hq-1", vendor="topsec", model="NGFW4000", kind="firewall"),
    FakeInventoryDevice("av-branch-1"),
    FakeInventoryDevice(
        "sw-hq-1", vendor="h3c", model="S5500", kind="switch", services=("HW", "TUNE")
    ),
)


PG_URL_VARIABLE = "NETMON_TEST_PG_URL"


def postgres_base_url() -> str:
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        from tests.support import missing_service

        missing_service(
            f'{PG_URL_VARIABLE} is not set: run `eval "$(bash .ci/postgres.sh)"` as root '
            "to start the local PostgreSQL and export it"
        )
    assert url is not None
    return url
