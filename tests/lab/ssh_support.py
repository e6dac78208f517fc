"""What the SSH lab tests share: simulated devices served by the lab's SSH server on a loop
running in a background thread, on 127.0.0.1 and ports the OS picks."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import asyncssh

from agent.lab.device import LabCredentials, SimulatedDevice, model_slug
from agent.lab.ssh_server import start_ssh_server

CREDENTIALS = LabCredentials()


class SshLab:
    """asyncio loop in a thread serving simulated devices' SSH servers on 127.0.0.1."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.handles: list[Any] = []

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def serve(self, sim: SimulatedDevice) -> int:
        handle = self.call(start_ssh_server(sim, CREDENTIALS, host_key=self.host_key))
        self.handles.append(handle)
        return int(handle.port)

    def close(self) -> None:
        for handle in self.handles:
            self.call(handle.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def make_sim(vendor: str, model: str, kind: str = "firewall") -> SimulatedDevice:
    """A simulated device from the model's real recording and its vendor's lab data."""
    return SimulatedDevice.from_model(
        name="lab-" + model_slug(model),
        vendor=vendor,
        model=model,
        kind=kind,
        address="127.0.0.1",
        snmp_port=0,
        ssh_port=0,
    )
