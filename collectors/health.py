"""The health collector: what the daemon calls, per device, for reachability and health.

SNMP gives almost everything (``collectors/snmp/health.py`` reads what the vendor profile's
``snmp.toml`` names). The CLI (``collectors/cli_health.py``) gives the software version on first
contact (and after a reboot) and fills in what SNMP could not read. The collector bounds how
many devices are polled at once over SNMP and over SSH, so a fleet-wide poll never floods the
network or a slow box, and turns any failure of one device into that device's snapshot saying
so, never an exception that stops the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from agent.errors import NetmonError
from collectors.base import HealthSnapshot
from collectors.cli_health import (
    CLI_FILLABLE,
    fill_from_environment,
    model_mismatch,
    read_cli_health,
)
from collectors.component_names import component_namer
from collectors.counters import CounterTracker
from collectors.snmp.client import SnmpClient
from collectors.snmp.health import SnmpHealthReader
from collectors.snmp.plan import ProfileError, plan_for
from collectors.snmp.target import snmp_target_for

if TYPE_CHECKING:
    from agent.inventory import Device

log = logging.getLogger(__name__)

DEFAULT_SNMP_CONCURRENCY = 32
DEFAULT_SSH_CONCURRENCY = 8
# A fallback session should not hold a poll for the inventory's full SSH timeout.
CLI_FALLBACK_TIMEOUT_S = 10.0
# A facts read that failed (no SSH, a box that prints no version) is tried again after 5 min,
# doubling to 1 h: retrying on every poll cost an SSH login per device per interval (issue 10).
FACTS_RETRY_FIRST_S = 300.0
FACTS_RETRY_MAX_S = 3600.0
# While SNMP gets no answer at all the daemon re-polls every 10 s (its health retries), and
# each SSH fallback to a dead box waits out CLI_FALLBACK_TIMEOUT_S inside the poll's SNMP slot:
# a site that goes dark would hold a slot per box. So a silent box gets at most one SSH try
# per this many seconds (an SNMP agent that is off while SSH answers still gets its values).
SILENT_CLI_EVERY_S = 60.0


@dataclasses.dataclass
class _FactsRetry:
    failures: int
    next_try: float  # on the collector's clock


@dataclasses.dataclass(frozen=True)
class _Facts:
    software_version: str | None
    mismatch: str | None
    uptime_seconds: float | None
    # From the CLI when SNMP gave no chassis serial (H3C display device manuinfo).
    serial_number: str | None = None


class HealthCollector:
    kind = "health"

    def __init__(
        self,
        client: SnmpClient | None = None,
        *,
        counters: CounterTracker | None = None,
        concurrency: int = DEFAULT_SNMP_CONCURRENCY,
        ssh_concurrency: int = DEFAULT_SSH_CONCURRENCY,
        use_cli: bool = True,
        cli_for: Callable[[Device], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``use_cli`` switches the SSH part off for every device, ``cli_for`` per device
        (netmon.toml ``[collectors]``: ``health_cli`` off per vendor or device)."""
        self.client = client or SnmpClient()
        self.counters = counters or CounterTracker()
        self.reader = SnmpHealthReader(self.client, self.counters)
        self.use_cli = use_cli
        self._slots = asyncio.Semaphore(concurrency)
        self._ssh_slots = asyncio.Semaphore(ssh_concurrency)
        self._facts: dict[str, _Facts] = {}
        self.cli_for = cli_for
        self.clock = clock
        self._facts_retry: dict[str, _FactsRetry] = {}
        # Device -> when the SSH fallback was last tried while SNMP was silent.
        self._silent_cli_tried: dict[str, float] = {}

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
        if self.use_cli and (self.cli_for is None or self.cli_for(device)):
            await self._use_cli(device, snapshot)
        if snapshot.identity.mismatch:
            log.warning(
                "device identity mismatch",
                extra={"device": device.name, "mismatch": snapshot.identity.mismatch},
            )
        return snapshot

    def _silent_cli_due(self, device: str, reachable: bool) -> bool:
        """False while SNMP is silent and SSH failed too less than SILENT_CLI_EVERY_S ago."""
        if reachable:
            self._silent_cli_tried.pop(device, None)
            return True
        last = self._silent_cli_tried.get(device)
        return last is None or self.clock() - last >= SILENT_CLI_EVERY_S

    async def _use_cli(self, device: Device, snapshot: HealthSnapshot) -> None:
        if not self._silent_cli_due(device.name, snapshot.reachable):
            return
        known = self._facts.get(device.name)
        rebooted = (
            known is not None
            and known.uptime_seconds is not None
            and snapshot.uptime_seconds is not None
            and snapshot.uptime_seconds < known.uptime_seconds
        )
        need_facts = (known is None or rebooted) and self._facts_due(device.name)
        # Read on first contact and after a reboot, like the version: a replaced box has
        # rebooted, so its new serial is read then.
        need_serial = snapshot.identity.serial_number is None
        need_environment = not snapshot.reachable or any(
            name in snapshot.unreadable for name in CLI_FILLABLE
        )
        if need_facts or need_environment:
            quick = (
                dataclasses.replace(
                    device,
                    ssh=dataclasses.replace(
                        device.ssh, timeout=min(device.ssh.timeout, CLI_FALLBACK_TIMEOUT_S)
                    ),
                )
                if dataclasses.is_dataclass(device)
                else device
            )
            async with self._ssh_slots:
                cli = await asyncio.to_thread(
                    read_cli_health,
                    quick,
                    facts=need_facts,
                    environment=need_environment,
                    serial=need_serial,
                )
            snapshot.unreadable.update(
                {k: v for k, v in cli.errors.items() if snapshot.reachable or k != "cli"}
            )
            if cli.rtt_seconds is not None:
                snapshot.ssh_rtt_seconds = cli.rtt_seconds
            if need_facts and "software_version" in cli.errors:
                self._facts_failed(device.name)
            elif need_facts:
                self._facts_retry.pop(device.name, None)
                known = _Facts(
                    cli.software_version,
                    model_mismatch(device.model, cli.model),
                    snapshot.uptime_seconds,
                    cli.serial_number,
                )
                self._facts[device.name] = known
            if cli.environment is not None:
                fill_from_environment(
                    snapshot, cli.environment, rename=component_namer(device.vendor)
                )
            if not snapshot.reachable and cli.environment is None:
                self._silent_cli_tried[device.name] = self.clock()
            else:
                self._silent_cli_tried.pop(device.name, None)
        if known is not None:
            identity = snapshot.identity
            snapshot.identity = dataclasses.replace(
                identity,
                software_version=known.software_version,
                mismatch=identity.mismatch or known.mismatch,
                # SNMP's chassis row wins; the CLI's serial stands in only where it is absent.
                serial_number=identity.serial_number or known.serial_number,
                serial_source=identity.serial_source
                if identity.serial_number
                else ("cli" if known.serial_number else None),
            )
            if snapshot.uptime_seconds is not None:
                self._facts[device.name] = dataclasses.replace(
                    known, uptime_seconds=snapshot.uptime_seconds
                )

    def _facts_due(self, device: str) -> bool:
        retry = self._facts_retry.get(device)
        return retry is None or self.clock() >= retry.next_try

    def _facts_failed(self, device: str) -> None:
        retry = self._facts_retry.get(device)
        failures = 1 if retry is None else retry.failures + 1
        pause = min(FACTS_RETRY_FIRST_S * 2 ** (failures - 1), FACTS_RETRY_MAX_S)
        self._facts_retry[device] = _FactsRetry(failures, self.clock() + pause)
        log.info(
            "facts read failed; backing off",
            extra={"device": device, "failures": failures, "retry_in_s": pause},
        )

    async def collect_all(self, devices: list[Device]) -> list[HealthSnapshot]:
        """Every device at once (bounded by the semaphore); results in the devices' order."""
        return list(await asyncio.gather(*(self.collect(d) for d in devices)))


def _failed(device: str, what: str, why: str) -> HealthSnapshot:
    snapshot = HealthSnapshot(device=device, collected_at=datetime.now(UTC), reachable=False)
    snapshot.unreadable[what] = why
    return snapshot
