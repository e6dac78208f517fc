"""Hostile HTTP clients against a daemon's /metrics listener, all on loopback: slow clients
that trickle a request one byte at a time (from 127.0.0.2), a flood of scrapes (from
127.0.0.3, ``per_second`` each: three hundred times Prometheus' rate, without making the test
itself a CPU hog), and beside them one well-behaved scraper (127.0.0.4) whose answers are
counted. The listener's limits (agent/http_server.py ServerLimits: a fixed worker pool, a
per-address share, a request deadline) are what keep the daemon's threads, memory and polls
unaffected; this module only measures what got through.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from dataclasses import dataclass

SLOW_ADDRESS = "127.0.0.2"
FLOOD_ADDRESS = "127.0.0.3"
SCRAPER_ADDRESS = "127.0.0.4"


@dataclass
class FloodFigures:
    slow_clients: int = 0
    slow_cut: int = 0  # closed by the server (refused at once or cut at the request deadline)
    flood_requests: int = 0
    flood_answered: int = 0
    scrapes: int = 0
    scrapes_answered: int = 0
    slowest_scrape_s: float = 0.0


def _get(port: int, source: str, timeout: float) -> int:
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0)
    )
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class HttpFlood:
    """``with HttpFlood(port, slow=300, flooders=1):`` runs the hostile clients for the block's
    duration; ``figures`` holds the counts once the block has ended."""

    def __init__(
        self, port: int, *, slow: int = 300, flooders: int = 1, per_second: float = 20.0
    ) -> None:
        self.port = port
        self.pause = 1.0 / per_second
        self.slow = slow
        self.flooders = flooders
        self.figures = FloodFigures()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    def __enter__(self) -> HttpFlood:
        for _ in range(self.slow):
            try:
                sock = socket.create_connection(
                    ("127.0.0.1", self.port), timeout=5, source_address=(SLOW_ADDRESS, 0)
                )
                sock.sendall(b"GET /metrics HTTP/1.1\r\n")
            except OSError:
                self.figures.slow_cut += 1  # refused at once: the listener's queue is full
                continue
            self._sockets.append(sock)
        self.figures.slow_clients = self.slow
        targets = [self._trickle, self._scrape] + [self._flood] * self.flooders
        self._threads = [threading.Thread(target=t, daemon=True) for t in targets]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        cut = 0
        for sock in self._sockets:
            sock.settimeout(0.5)
            try:
                sock.send(b"X")
                cut += sock.recv(1) == b""
            except OSError:
                cut += 1
            sock.close()
        self.figures.slow_cut += cut

    def _trickle(self) -> None:
        while not self._stop.wait(0.5):
            for sock in self._sockets:
                with contextlib.suppress(OSError):  # closed by the server: what it should do
                    sock.send(b"X")

    def _flood(self) -> None:
        while not self._stop.wait(self.pause):
            try:
                status = _get(self.port, FLOOD_ADDRESS, timeout=5)
            except OSError:
                status = 0
            with self._lock:
                self.figures.flood_requests += 1
                self.figures.flood_answered += status == 200

    def _scrape(self) -> None:
        while not self._stop.wait(1.0):
            began = time.monotonic()
            try:
                status = _get(self.port, SCRAPER_ADDRESS, timeout=15)
            except OSError:
                status = 0
            with self._lock:
                self.figures.scrapes += 1
                self.figures.scrapes_answered += status == 200
                self.figures.slowest_scrape_s = max(
                    self.figures.slowest_scrape_s, time.monotonic() - began
                )
