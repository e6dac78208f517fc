"""The device lab: every inventory device simulated on its own loopback address.

``Lab`` owns the simulated devices and their SNMP agents and SSH servers, all on one asyncio
loop. ``LabThread`` runs a lab in a background thread (tests, ``netmon demo``); ``netmon lab``
runs it in the foreground. A small control socket lets ``netmon lab fault`` / ``clear`` change
a running lab from another shell.

Only 127.0.0.0/8 is ever bound: ``assign_addresses`` refuses any base address outside it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.errors import NetmonError
from agent.lab.device import Fault, LabCredentials, SimulatedDevice, model_slug
from agent.privatefiles import write_private

if TYPE_CHECKING:
    from agent.inventory import Device, Inventory

log = logging.getLogger(__name__)

DEFAULT_BASE_ADDRESS = "127.10.0.1"
DEFAULT_SNMP_PORT = 16161
DEFAULT_SSH_PORT = 12222
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


class LabError(NetmonError):
    pass


@dataclass(frozen=True)
class Endpoint:
    name: str
    vendor: str
    model: str
    address: str
    snmp_port: int
    ssh_port: int


def default_lab_dir() -> Path:
    """Where a running lab leaves its control socket and endpoint list."""
    configured = os.environ.get("NETMON_LAB_DIR")
    if configured:
        return Path(configured)
    runtime = os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
    return Path(runtime) / f"netmon-lab-{os.getuid()}"


def assign_addresses(count: int, base_address: str = DEFAULT_BASE_ADDRESS) -> list[str]:
    """``count`` consecutive loopback addresses from ``base_address``, skipping .0 and .255."""
    try:
        current = ipaddress.IPv4Address(base_address)
    except ValueError:
        raise LabError(f"lab base address {base_address!r} is not an IPv4 address") from None
    addresses: list[str] = []
    while len(addresses) < count:
        if current not in LOOPBACK:
            raise LabError(f"lab address {current} is outside 127.0.0.0/8 (loopback only)")
        if current.packed[-1] not in (0, 255):
            addresses.append(str(current))
        current += 1
    return addresses


class Lab:
    """Simulated devices for a list of inventory devices, served on one asyncio loop."""

    def __init__(
        self,
        devices: Sequence[Device],
        *,
        base_address: str = DEFAULT_BASE_ADDRESS,
        snmp_port: int = DEFAULT_SNMP_PORT,
        ssh_port: int = DEFAULT_SSH_PORT,
        credentials: LabCredentials | None = None,
        recordings_dir: Path | None = None,
        cli_variants: dict[str, str] | None = None,
    ) -> None:
        """``recordings_dir``: serve ``<model-slug>.snmprec`` from there where it exists
        (a `netmon capture` folder), else the packaged recording. ``cli_variants``: device
        name -> a ``[variants.<name>]`` of the vendor's lab CLI data (real layouts such as an
        IRF stack's), checked when the lab starts."""
        self.credentials = credentials or LabCredentials()
        addresses = assign_addresses(len(devices), base_address)
        self.devices: dict[str, SimulatedDevice] = {}
        for device, address in zip(devices, addresses, strict=True):
            self.devices[device.name] = SimulatedDevice.from_model(
                name=device.name,
                vendor=device.vendor,
                model=device.model,
                kind=device.kind,
                address=address,
                snmp_port=snmp_port,
                ssh_port=ssh_port,
                recordings_dir=_captured_dir(recordings_dir, device.model),
            )
        for name, variant in (cli_variants or {}).items():
            self._set_variant(name, variant)
        self._handles: list[Any] = []
        self._control: asyncio.AbstractServer | None = None

    def _set_variant(self, name: str, variant: str) -> None:
        """Start ``name`` as ``variant``; an unknown device or variant is refused here, before
        anything listens (the message names the lab data file and the known variants)."""
        from agent.lab.cli.spec import CliDataError, load_cli_spec

        sim = self.devices.get(name)
        if sim is None:
            raise LabError(f"cli variant for {name!r}: no such device in this lab")
        try:
            load_cli_spec(sim.vendor, sim.model, variant=variant)
        except CliDataError as error:
            raise LabError(f"cli variant for {name}: {error}") from None
        sim.cli_variant = variant

    # -- running -------------------------------------------------------------------------
    async def start(self) -> None:
        # Imported here: the servers pull in pysnmp and asyncssh, which `netmon --help` does
        # not need.
        import asyncssh

        from agent.lab.snmp_agent import start_snmp_agent
        from agent.lab.ssh_server import start_ssh_server

        host_key = asyncssh.generate_private_key("ssh-ed25519")
        try:
            for sim in self.devices.values():
                self._handles.append(await start_snmp_agent(sim, self.credentials))
                self._handles.append(
                    await start_ssh_server(sim, self.credentials, host_key=host_key)
                )
        except OSError as error:
            await self.stop()
            raise LabError(f"cannot start the lab: {error}") from None

    async def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        handles, self._handles = self._handles, []
        for handle in handles:
            result = handle.close()
            if asyncio.iscoroutine(result):
                await result

    # -- faults --------------------------------------------------------------------------
    def device(self, name: str) -> SimulatedDevice:
        try:
            return self.devices[name]
        except KeyError:
            raise LabError(f"no device {name!r} in this lab") from None

    def set_fault(self, name: str, kind: str) -> None:
        try:
            fault = Fault(kind)
        except ValueError:
            known = ", ".join(f.value for f in Fault)
            raise LabError(f"unknown fault {kind!r}; known: {known}") from None
        self.device(name).set_fault(fault)
        log.info("lab fault on", extra={"device": name, "fault": fault.value})

    def clear(self, name: str) -> None:
        self.device(name).clear_faults()
        log.info("lab faults cleared", extra={"device": name})

    # -- what the lab tells others -------------------------------------------------------
    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(s.name, s.vendor, s.model, s.address, s.snmp_port, s.ssh_port)
            for s in self.devices.values()
        ]

    def lab_inventory_devices(self, inventory: Inventory) -> list[Device]:
        """The inventory's devices re-pointed at their simulated twins, with lab credentials."""
        return [
            device.with_endpoint(
                sim.address,
                sim.snmp_port,
                sim.ssh_port,
                community=self.credentials.community,
                v3_user=self.credentials.v3_user,
                v3_auth_key=self.credentials.v3_auth_key,
                v3_priv_key=self.credentials.v3_priv_key,
                ssh_username=self.credentials.ssh_username,
                ssh_password=self.credentials.ssh_password,
            )
            for device in inventory.devices
            if (sim := self.devices.get(device.name)) is not None
        ]

    # -- control socket ------------------------------------------------------------------
    async def serve_control(self, lab_dir: Path) -> None:
        """Listen for fault/clear/status requests (one JSON object a line) under ``lab_dir``."""
        lab_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        socket_path = lab_dir / "control.sock"
        socket_path.unlink(missing_ok=True)
        self._control = await asyncio.start_unix_server(self._handle_control, path=str(socket_path))
        state = {
            "pid": os.getpid(),
            "control_socket": str(socket_path),
            "credentials": asdict(self.credentials),
            "devices": [asdict(e) for e in self.endpoints()],
        }
        # 0600: it holds the lab's credentials.
        write_private(lab_dir / "lab.json", json.dumps(state, indent=2))

    async def _handle_control(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            line = await reader.readline()
            reply = self._control_reply(line)
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        finally:
            writer.close()

    def _control_reply(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
            op = request.get("op")
            if op == "fault":
                self.set_fault(request["device"], request["fault"])
            elif op == "clear":
                self.clear(request["device"])
            elif op != "status":
                return {"ok": False, "error": f"unknown operation {op!r}"}
        except (LabError, KeyError, ValueError, AttributeError) as error:
            return {"ok": False, "error": str(error)}
        faults = {name: sorted(f.value for f in sim.faults) for name, sim in self.devices.items()}
        return {"ok": True, "faults": {k: v for k, v in faults.items() if v}}


def send_control(request: dict[str, Any], lab_dir: Path | None = None) -> dict[str, Any]:
    """Send one request to a running lab's control socket (used by ``netmon lab fault``)."""
    import socket

    lab_dir = lab_dir or default_lab_dir()
    socket_path = lab_dir / "control.sock"
    if not socket_path.exists():
        raise LabError(f"no running lab found: {socket_path} does not exist (start `netmon lab`)")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        try:
            sock.connect(str(socket_path))
        except OSError as error:
            raise LabError(f"cannot reach the lab at {socket_path}: {error}") from None
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    reply: dict[str, Any] = json.loads(data or b"{}")
    if not reply.get("ok"):
        raise LabError(reply.get("error", "the lab gave no answer"))
    return reply


class LabThread:
    """A lab running on its own event loop in a background thread."""

    def __init__(self, lab: Lab, control_dir: Path | None = None) -> None:
        self.lab = lab
        self.control_dir = control_dir
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="netmon-lab", daemon=True
        )

    def start(self) -> LabThread:
        self._thread.start()
        self._call(self.lab.start())
        if self.control_dir is not None:
            self._call(self.lab.serve_control(self.control_dir))
        return self

    def _call(self, coroutine: Any, timeout: float = 120) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self._call(self.lab.stop(), timeout=30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> LabThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _captured_dir(recordings_dir: Path | None, model: str) -> Path | None:
    if recordings_dir is None:
        return None
    return recordings_dir if (recordings_dir / f"{model_slug(model)}.snmprec").exists() else None


def lab_for_inventory(
    inventory: Inventory, only: Iterable[str] | None = None, **options: Any
) -> Lab:
    devices = list(inventory.devices)
    if only is not None:
        wanted = set(only)
        devices = [d for d in devices if d.name in wanted]
    return Lab(devices, **options)
