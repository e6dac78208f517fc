"""``netmon demo`` as the end-to-end tests start it: the whole shipped fleet's lab on a random
127.x/16 and random ports (parallel runs and a developer's own demo stay apart), metrics on a
free port, stdout a pipe the caller reads for the banner, stderr in a file."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from tests.support.daemon import ROOT


def spawn_demo(env: dict[str, str], stderr: Path) -> subprocess.Popen[bytes]:
    """The demo process (binary stdout): the caller must keep reading its stdout."""
    snmp_port = random.randint(20000, 39999)
    with stderr.open("wb") as errors:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agent.cli",
                "demo",
                "--port",
                "0",
                "--inventory",
                str(ROOT / "inventory.toml"),
                "--lab-base-address",
                f"127.{random.randint(40, 250)}.0.1",
                "--lab-snmp-port",
                str(snmp_port),
                "--lab-ssh-port",
                str(snmp_port + 20000),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
