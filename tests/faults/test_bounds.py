"""Bounds against hostile clients and files: the /metrics listener under slow clients and
wrong passwords (real sockets on loopback), and the TOML reader's limits."""

from __future__ import annotations

import base64
import contextlib
import gzip
import http.client
import socket
import threading
import time
from pathlib import Path

import bcrypt
import pytest

from agent.http_server import MetricsServer, ServerLimits, _Throttle
from agent.metrics import build_registry
from agent.settings import BasicAuthUser, WebConfig
from tests.daemon.test_metrics import filled_state


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def request(
    server: MetricsServer, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, "/metrics", headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def server():
    server = MetricsServer(build_registry(filled_state()), "127.0.0.1", 0).start()
    yield server
    server.stop()


def test_head_is_answered_with_the_headers_of_get_and_no_body(server: MetricsServer) -> None:
    status, headers, body = request(server, "HEAD")
    get_status, get_headers, get_body = request(server, "GET")
    assert status == get_status == 200
    assert body == b""
    assert headers["Content-Type"] == get_headers["Content-Type"]
    assert int(headers["Content-Length"]) == len(get_body) > 0


def test_gzip_only_when_the_client_accepts_it(server: MetricsServer) -> None:
    status, headers, plain = request(server)
    assert status == 200 and "Content-Encoding" not in headers
    status, headers, packed = request(server, headers={"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert len(packed) < len(plain) and gzip.decompress(packed) == plain
    status, headers, _ = request(server, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in headers


def test_slow_clients_cannot_grow_threads_or_memory() -> None:
    """300 clients (from another loopback address) that trickle a request one byte at a time:
    the listener keeps its fixed pool, drops each trickler at the request deadline, and goes on
    answering a scraper on its own address during the flood."""
    limits = ServerLimits(workers=4, queued=8, request_timeout=1.5)
    server = MetricsServer(build_registry(filled_state()), "127.0.0.1", 0, limits=limits).start()
    threads_before = threading.active_count()
    rss_before = rss_bytes()
    clients: list[socket.socket] = []
    try:
        for _ in range(300):
            sock = socket.create_connection(
                ("127.0.0.1", server.port), timeout=5, source_address=("127.0.0.2", 0)
            )
            sock.sendall(b"GET /metrics HTTP/1.1\r\n")
            clients.append(sock)
        peak_threads = threads_before
        # The flooding address holds at most its share: a scraper elsewhere is answered now.
        assert request(server)[0] == 200
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            for sock in clients:
                with contextlib.suppress(OSError):  # closed by the server: what we want
                    sock.send(b"X")
            peak_threads = max(peak_threads, threading.active_count())
            time.sleep(0.2)
        rss_after = rss_bytes()
        # The server's threads were all started before the flood: not one more.
        assert peak_threads == threads_before
        assert rss_after - rss_before < 30 * 1024 * 1024
        # Every trickler has been cut off by now (deadline 1.5 s, 4 s of trickling).
        cut = 0
        for sock in clients:
            sock.settimeout(2)
            try:
                sock.send(b"X")
                data = sock.recv(1)
                cut += data == b""
            except OSError:
                cut += 1
        assert cut == len(clients)
        assert server.rejected > 0
    finally:
        for sock in clients:
            sock.close()
    try:
        assert request(server)[0] == 200
    finally:
        server.stop()


def _auth_server(tmp_path: Path, rounds: int, limits: ServerLimits) -> MetricsServer:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=rounds)).decode()
    web = WebConfig(path=tmp_path / "web.yml", users=(BasicAuthUser("prometheus", hashed),))
    return MetricsServer(build_registry(filled_state()), "127.0.0.1", 0, web, limits).start()


def test_failed_logins_are_throttled_per_address(tmp_path: Path) -> None:
    server = _auth_server(tmp_path, 4, ServerLimits(free_failures=3, throttle_max=2.0))
    try:
        assert request(server, headers=basic("prometheus", "s3cret"))[0] == 200
        for _ in range(3):  # the free failures; the third one starts a wait of 1 s
            assert request(server, headers=basic("prometheus", "wrong"))[0] == 401
        status, headers, _ = request(server, headers=basic("prometheus", "s3cret"))
        # Throttled: not even the right password is looked at (that would be an oracle).
        assert status == 429 and int(headers["Retry-After"]) >= 1
        time.sleep(1.1)
        assert request(server, headers=basic("prometheus", "s3cret"))[0] == 200
        # A success forgets the address's failures.
        assert request(server, headers=basic("prometheus", "wrong"))[0] == 401
        assert request(server, headers=basic("prometheus", "s3cret"))[0] == 200
    finally:
        server.stop()


def test_wrong_passwords_are_not_a_cpu_amplifier(tmp_path: Path) -> None:
    """bcrypt at cost 10 takes tens of ms a check; a stream of wrong passwords from one client
    gets a few of them, then cheap 429s."""
    server = _auth_server(tmp_path, 10, ServerLimits(free_failures=3))
    try:
        one = time.process_time()
        bcrypt.checkpw(b"wrong", bcrypt.hashpw(b"x", bcrypt.gensalt(rounds=10)))
        single = time.process_time() - one
        start = time.process_time()
        statuses = [request(server, headers=basic("prometheus", "wrong"))[0] for _ in range(40)]
        spent = time.process_time() - start
        # Three free failures, then waits of 1, 2, 4 s: at most a few more under a slow machine.
        assert 3 <= statuses.count(401) <= 5 and statuses.count(429) >= 35
        # A handful of bcrypt checks plus HTTP overhead; 40 checks would be ten times that.
        assert spent < 10 * single + 1.0
    finally:
        server.stop()


def test_the_throttle_table_is_bounded() -> None:
    now = [0.0]
    throttle = _Throttle(ServerLimits(free_failures=1, throttle_table=100), lambda: now[0])
    for n in range(5000):
        throttle.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(throttle._failures) == 100
    throttle.failed("192.0.2.1")
    throttle.failed("192.0.2.1")
    assert throttle.retry_after("192.0.2.1") == 2.0
    now[0] = 2.5
    assert throttle.retry_after("192.0.2.1") == 0.0


def test_netmon_toml_gets_the_same_limits(tmp_path: Path) -> None:
    from agent.settings import SettingsError, load_settings

    path = tmp_path / "netmon.toml"
    path.write_text('inventory = "x.toml"\nmaintenance = ' + "[" * 3000 + "]" * 3000 + "\n")
    with pytest.raises(SettingsError) as raised:
        load_settings(path)
    assert str(raised.value) == (
        f"{path}:2: values nested more than 32 deep (arrays or inline tables inside each "
        "other); refusing to read it"
    )
    path.write_bytes(b'inventory = "\xff"\n')
    with pytest.raises(SettingsError, match=r"netmon\.toml:1: not UTF-8 text"):
        load_settings(path)
