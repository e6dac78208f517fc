"""Several agents on one PostgreSQL (agent/shard.py, issue 10 item 5).

The claim rounds are exercised in-process against the test PostgreSQL; then two real
``netmon run`` processes against the lab on loopback share one fresh schema: every device is
polled by exactly one agent, and when one agent is killed its devices are polled by the other
within two health intervals.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from agent.lab.lab import Lab
from agent.shard import AdvisoryShard, StaticShard, bucket_of
from tests.support.postgres import fresh_schema

NAMES = [f"dev-{index:03d}" for index in range(200)]


def test_buckets_are_a_stable_hash() -> None:
    # zlib.crc32, not Python's per-process salted hash(): every host agrees.
    assert bucket_of("h3c-s5500-01", 64) == 3461939910 % 64 == 6  # CRC-32 of the name
    assert bucket_of("h3c-s5500-01", 7) == 3461939910 % 7


def test_static_shards_cut_the_inventory_exactly() -> None:
    parts = [StaticShard(index, 3).claim(NAMES) for index in range(3)]
    assert set().union(*parts) == set(NAMES)
    assert sum(len(part) for part in parts) == len(NAMES)
    assert all(len(part) > 40 for part in parts)  # a hash, roughly even
    with pytest.raises(ValueError, match="index 3"):
        StaticShard(3, 3)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL (like conftest's ``db_url``)."""
    with fresh_schema() as url:
        yield url


def _rounds(shards: list[AdvisoryShard], count: int = 4) -> list[set[str]]:
    owned: list[set[str]] = []
    for _ in range(count):
        owned = [shard.claim(NAMES) for shard in shards]
        for i, mine in enumerate(owned):  # never two owners, in any round
            for other in owned[i + 1 :]:
                assert not mine & other
    return owned


@pytest.mark.postgres
def test_advisory_shards_split_and_take_over(pg_url: str) -> None:
    first = AdvisoryShard(pg_url, buckets=16, interval=1)
    second = AdvisoryShard(pg_url, buckets=16, interval=1)
    try:
        alone = first.claim(NAMES)
        assert alone == set(NAMES)  # the only member takes everything
        a, b = _rounds([first, second])
        assert a | b == set(NAMES) and a and b
        assert len(first.claim_buckets()) == len(second.claim_buckets()) == 8
        second.close()  # its locks go with its connection
        (a,) = _rounds([first], 1)
        assert a == set(NAMES)
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_shards_of_other_schemas_do_not_meet(pg_url: str) -> None:
    from sqlalchemy import make_url

    other = make_url(pg_url).update_query_dict({"options": "-csearch_path=public"})
    first = AdvisoryShard(pg_url, buckets=8)
    stranger = AdvisoryShard(other.render_as_string(hide_password=False), buckets=8)
    try:
        assert first.claim(NAMES) == set(NAMES)
        assert stranger.claim(NAMES) == set(NAMES)
    finally:
        first.close()
        stranger.close()


# -- two real agents -------------------------------------------------------------------------
HEALTH_INTERVAL = 4.0


def _inventory(lab: Lab) -> str:
    entries = [
        "[defaults]",
        'site = "lab"',
        '[defaults.snmp]\ncommunity = { env = "SHARD_TEST_COMMUNITY" }',
        '[defaults.ssh]\nusername = "netmon"\npassword = { env = "SHARD_TEST_SSH_PASSWORD" }',
    ]
    for sim in lab.devices.values():
        if sim.vendor == "huawei":
            continue  # SNMPv3 in the lab: the v2c community is enough to show the sharding
        entries.append(
            "[[device]]\n"
            f'name = "{sim.name}"\nvendor = "{sim.vendor}"\nmodel = "{sim.model}"\n'
            f'services = ["hardware"]\naddress = "{sim.address}"\n'
            f"snmp = {{ port = {sim.snmp_port} }}\nssh = {{ port = {sim.ssh_port} }}"
        )
    return "\n".join(entries) + "\n"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _polled(port: int) -> dict[str, float]:
    """device -> last health run (epoch seconds), from one agent's /metrics."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(body.decode()):
        if family.name == "netmon_collector_last_run_timestamp_seconds":
            for sample in family.samples:
                if sample.labels["collector"] == "health":
                    found[sample.labels["device"]] = sample.value
    return found


@pytest.mark.postgres
@pytest.mark.lab
def test_two_agents_poll_each_device_once_and_take_over(
    lab: Lab, pg_url: str, tmp_path: Path
) -> None:
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(_inventory(lab))
    env = {
        **os.environ,
        "NETMON_DB_URL": pg_url,
        "NETMON_STATE_DIR": str(tmp_path / "state"),
        "SHARD_TEST_COMMUNITY": lab.credentials.community,
        "SHARD_TEST_SSH_PASSWORD": lab.credentials.ssh_password,
    }
    env.pop("NOTIFY_SOCKET", None)
    subprocess.run(
        [sys.executable, "-m", "agent.cli", "db", "upgrade"], env=env, check=True, timeout=60
    )
    ports = [_free_port(), _free_port()]
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    for index, port in enumerate(ports):
        config = tmp_path / f"netmon-{index}.toml"
        config.write_text(
            f'inventory = "{inventory}"\n[metrics]\nlisten = "127.0.0.1:{port}"\n'
            f"[intervals]\nhealth = {HEALTH_INTERVAL}\nconfig = 3600\nsignatures = 3600\n"
            "[scheduler]\njitter = 0\njob_timeout = 3\n"
            '[collectors]\noff = ["health_cli", "config", "signatures"]\n'
            '[shard]\nmode = "advisory"\nbuckets = 32\nclaim_interval = 1\n'
        )
        log_path = tmp_path / f"agent-{index}.log"
        logs.append(log_path)
        with log_path.open("w") as handle:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "agent.cli", "run", "--config", str(config)],
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            )
    names = {sim.name for sim in lab.devices.values() if sim.vendor != "huawei"}
    try:
        # Both up, shares settled, every device polled at least once.
        deadline = time.monotonic() + 90
        seen: list[dict[str, float]] = [{}, {}]
        while time.monotonic() < deadline:
            try:
                seen = [_polled(port) for port in ports]
            except OSError:
                time.sleep(1)
                continue
            if seen[0] and seen[1] and set(seen[0]) | set(seen[1]) == names:
                break
            time.sleep(1)
        tails = "\n".join(path.read_text()[-1500:] for path in logs)
        assert set(seen[0]) | set(seen[1]) == names, (
            sorted(names - set(seen[0]) - set(seen[1])),
            tails,
        )
        # Exactly one owner, in every look over three intervals.
        for _ in range(int(3 * HEALTH_INTERVAL)):
            now = [_polled(port) for port in ports]
            assert not set(now[0]) & set(now[1]), set(now[0]) & set(now[1])
            assert set(now[0]) | set(now[1]) == names
            time.sleep(1)
        orphans = set(_polled(ports[1]))
        assert orphans
        processes[1].send_signal(signal.SIGKILL)  # dies without a word: its locks go with it
        processes[1].wait(timeout=10)
        killed_at = time.time()
        deadline = time.monotonic() + 2 * HEALTH_INTERVAL
        taken: dict[str, float] = {}
        while time.monotonic() < deadline:
            taken = {name: at for name, at in _polled(ports[0]).items() if at >= killed_at}
            if orphans <= set(taken):
                break
            time.sleep(0.25)
        assert orphans <= set(taken), sorted(orphans - set(taken))
        print(f"took over {len(orphans)} devices within {time.time() - killed_at:.1f} s")
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    assert processes[0].returncode == 0, logs[0].read_text()[-3000:]


def test_the_shipped_multi_agent_examples_load() -> None:
    from agent.settings import load_settings

    root = Path(__file__).resolve().parents[2] / "deploy" / "multi-agent"
    a = load_settings(root / "netmon-a.toml")
    b = load_settings(root / "netmon-b.toml")
    assert a.shard.mode == b.shard.mode == "advisory"
    assert a.shard.buckets == b.shard.buckets
    assert a.listen_port != b.listen_port and a.interfaces == "uplinks"
    static = load_settings(root / "netmon-static-0.toml")
    assert (static.shard.mode, static.shard.index, static.shard.count) == ("static", 0, 2)
