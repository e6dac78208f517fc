"""The health collector: what the daemon calls, per device, for reachability and health.

SNMP gives almost everything (``collectors/snmp/health.py`` reads what the vendor profile's
``snmp.toml`` names). The collector bounds how many devices are polled at once, so a fleet-wide
poll never floods the network or a slow box, and turns any failure of one device into that
device's snapshot saying so, never an exception that stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from agent.errors import NetmonError
from collectors.base import HealthSnapshot
from collectors.counters import CounterTracker
from collectors.snmp.client import SnmpClient
from collectors.snmp.health import SnmpHealthReader
from collectors.snmp.plan import ProfileError, plan_for
from collectors.snmp.target import snmp_target_for

if TYPE_CHECKING:
    from agent.inventory import Device

log = logging.getLogger(__name__)

DEFAULT_SNMP_CONCURRENCY = 32


class HealthCollector:
    kind = "health"

    def __init__(
        self,
        client: SnmpClient | None = None,
        *,
        counters: CounterTracker | None = None,
        concurrency: int = DEFAULT_SNMP_CONCURRENCY,
    ) -> None:
        self.client = client or SnmpClient()
        self.counters = counters or CounterTracker()
        self.reader = SnmpHealthReader(self.client, self.counters)
        self._slots = asyncio.Semaphore(concurrency)

    async def collect(self, device: Device) -> HealthSnapshot:
        try:
            plan = plan_for(device.vendor, device.model, device.kind)
            target = snmp_target_for(device)
        except (ProfileError, NetmonError) as error:
            # A broken profile or an unreadable credential: this device cannot be polled, the
            # others can. The message names the profile entry or the credential, never a secret.
            return _failed(device.name, "setup", str(error))
        async with self._slots:
            snapshot = await self.reader.read(
                device.name, device.vendor, device.model, target, plan
            )
        if snapshot.identity.mismatch:
            log.warning(
                "device identity mismatch",
                extra={"device": device.name, "mismatch": snapshot.identity.mismatch},
            )
        return snapshot

    async def collect_all(self, devices: list[Device]) -> list[HealthSnapshot]:
        """Every device at once (bounded by the semaphore); results in the devices' order."""
        return list(await asyncio.gather(*(self.collect(d) for d in devices)))


def _failed(device: str, what: str, why: str) -> HealthSnapshot:
    snapshot = HealthSnapshot(device=device, collected_at=datetime.now(UTC), reachable=False)
    snapshot.unreadable[what] = why
    return snapshot
