"""The device lab in a process of its own, for ``netmon demo``.

In the poller's process the simulated devices share its CPU and its event loop: when the host is
busy, a starved poller and a starved lab look the same, and the daemon reads the lab's late
answers as device timeouts (the demo then showed healthy boxes as down, and those outages
reached the documents). In a child process (``netmon lab``) the devices answer on their own
schedule, as real boxes do, and a busy poller shows as late jobs (``netmon_jobs_late_total``),
not as faults.

Also here: the demo's defaults that must not collide between two users (or two root sessions)
on one host: a private lab directory per run, a loopback base address whose SNMP port is free,
and a free metrics port when the default one is taken.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import agent
from agent.lab.lab import LabError, send_control

START_TIMEOUT = 120.0  # seconds: 40 devices' SNMP agents and SSH servers on a busy host
# The lab plays hardware that has CPUs of its own. On one shared host a CPU hog starves the
# simulated devices as much as the poller, and their late answers read as devices down; a higher
# scheduling weight for the lab (nice -10: about 9x a normal process's share under Linux CFS)
# keeps it answering like real boxes would. Needs CAP_SYS_NICE (root); without it the lab runs
# at normal priority and the demo says so.
LAB_NICENESS = -10

log = logging.getLogger("netmon.lab")


def private_lab_dir() -> Path:
    """A fresh control directory for one demo run, private to the user (mode 0700), under
    $XDG_RUNTIME_DIR when there is one. Never shared: two sessions of one user, root's
    included, each get their own."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = runtime if runtime and os.path.isdir(runtime) else None
    user = os.environ.get("USER") or str(os.getuid())
    return Path(tempfile.mkdtemp(prefix=f"netmon-demo-lab-{user}-", dir=base))


def udp_port_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def free_base_address(first: str, snmp_port: int, tries: int = 50) -> str:
    """``first``, or the next 127.N.0.1 whose SNMP port is free (another demo may hold it)."""
    start = ipaddress.IPv4Address(first)
    for step in range(tries):
        candidate = str(start + step * 65536)
        if not ipaddress.IPv4Address(candidate).is_loopback:
            break
        if udp_port_free(candidate, snmp_port):
            return candidate
    raise LabError(f"no free loopback address for the lab from {first} (SNMP port {snmp_port})")


def _raise_priority(pid: int) -> bool:
    try:
        os.setpriority(os.PRIO_PROCESS, pid, LAB_NICENESS)
    except OSError as error:
        log.warning(
            "the lab runs at normal priority: CPU load on this host may read as device timeouts",
            extra={"error": str(error), "niceness": LAB_NICENESS},
        )
        return False
    return True


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the demo dies, even by SIGKILL (Linux only), so
    that no orphaned lab keeps its addresses and ports."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class LabProcess:
    """``netmon lab`` as a child process; ready once its control socket answers."""

    def __init__(
        self,
        inventory: Path,
        lab_dir: Path,
        base_address: str,
        snmp_port: int,
        ssh_port: int,
        log: Path | None = None,
    ) -> None:
        self.command = [
            sys.executable,
            "-m",
            "agent.cli",
            "lab",
            "--inventory",
            str(inventory),
            "--lab-dir",
            str(lab_dir),
            "--base-address",
            base_address,
            "--snmp-port",
            str(snmp_port),
            "--ssh-port",
            str(ssh_port),
        ]
        self.lab_dir = lab_dir
        self.log = log or lab_dir / "lab.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.prioritised = False

    def start(self, timeout: float = START_TIMEOUT) -> LabProcess:
        env = dict(os.environ)
        # The same netmon as this process, wherever it was imported from.
        source = str(Path(agent.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                self.command,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_die_with_parent,
            )
        self.prioritised = _raise_priority(self.process.pid)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise LabError(f"the lab process exited ({self.process.returncode}):\n{tail}")
            try:
                send_control({"op": "status"}, self.lab_dir)
                return self
            except (LabError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise LabError(f"the lab did not answer on {self.lab_dir} within {timeout:g} s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
