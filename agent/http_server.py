"""The HTTP listener that serves ``/metrics``, bounded against slow and hostile clients.

What the page contains is ``agent.metrics``' business; this module only decides who gets it and
at what cost to the daemon:

- a fixed pool of worker threads and a short queue of accepted connections: a connection that
  finds both full is closed at once, so a flood costs sockets, never threads or memory; and one
  client address holds at most ``per_client`` of those places, so a flood from one host cannot
  keep Prometheus (another host) from scraping;
- one deadline per request (TLS handshake, request line and headers): a client that trickles a
  byte now and then holds its worker for ``request_timeout`` seconds at most;
- basic auth against bcrypt hashes, with failed attempts throttled per client address (a small,
  bounded table) and at most one bcrypt check at a time, so wrong passwords cannot turn bcrypt's
  deliberate slowness into a CPU amplifier;
- gzip when the client accepts it (Prometheus does), HEAD answered like GET without a body.

TLS and users are configured the way Prometheus' own web-config file does
(``agent.settings.WebConfig``).
"""

from __future__ import annotations

import base64
import errno
import gzip
import hashlib
import hmac
import io
import logging
import queue
import socket
import socketserver
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from prometheus_client.exposition import CONTENT_TYPE_LATEST

from agent.errors import NetmonError

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from agent.settings import WebConfig

log = logging.getLogger("netmon.http")


class MetricsServerError(NetmonError):
    pass


@dataclass(frozen=True)
class ServerLimits:
    """How much of the daemon the listener may use. The defaults serve a few Prometheus
    servers and the odd curl comfortably: a scrape takes milliseconds."""

    workers: int = 4  # threads answering requests
    queued: int = 16  # accepted connections waiting for a worker; more are closed at once
    per_client: int = 3  # connections one address may have waiting or being answered
    request_timeout: float = 10.0  # handshake + request line + headers, in total
    write_timeout: float = 10.0  # per send: a client that stops reading is dropped
    free_failures: int = 5  # failed logins from one address before throttling starts
    throttle_max: float = 60.0  # longest wait imposed on an address, in seconds
    throttle_table: int = 1024  # addresses remembered; the least recently seen go first
    min_gzip_bytes: int = 1024  # smaller bodies are sent as they are


# -- authentication --------------------------------------------------------------------------
class _Throttle:
    """Failed logins per client address: after ``free_failures`` the address must wait
    1, 2, 4 ... s (capped) before its next attempt is even looked at. The table is an LRU of
    bounded size, so a client cycling through addresses costs a fixed amount of memory."""

    def __init__(self, limits: ServerLimits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> float:
        """Seconds this address must still wait; 0 when it may try."""
        with self._lock:
            entry = self._failures.get(address)
            if entry is None:
                return 0.0
            return max(0.0, entry[1] - self.clock())

    def failed(self, address: str) -> None:
        with self._lock:
            count = self._failures.pop(address, (0, 0.0))[0] + 1
            excess = count - self.limits.free_failures
            wait = 0.0 if excess < 0 else min(2.0**excess, self.limits.throttle_max)
            self._failures[address] = (count, self.clock() + wait)
            while len(self._failures) > self.limits.throttle_table:
                self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)


class BasicAuth:
    """Checks basic-auth credentials against bcrypt hashes. bcrypt is slow on purpose (tens of
    ms), so a credential that passed once is remembered by its SHA-256 for later scrapes; the
    memory is bounded (bcrypt ignores bytes past the 72nd, so many passwords can pass)."""

    REMEMBERED = 32

    def __init__(self, users: dict[str, str], throttle: _Throttle) -> None:
        self.users = users
        self.throttle = throttle
        self._good: set[bytes] = set()
        self._lock = threading.Lock()
        # One bcrypt check at a time: wrong passwords cost at most one core.
        self._bcrypt = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.users)

    def allows(self, header: str | None, address: str) -> bool:
        if not self.users:
            return True
        ok = self._check(header)
        if ok:
            self.throttle.succeeded(address)
        else:
            self.throttle.failed(address)
        return ok

    def _check(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        hashed = self.users.get(user)
        if hashed is None:
            return False
        key = hashlib.sha256(f"{user}\0{password}\0{hashed}".encode()).digest()
        with self._lock:
            if any(hmac.compare_digest(key, good) for good in self._good):
                return True
        import bcrypt

        with self._bcrypt:
            try:
                ok = bcrypt.checkpw(password.encode(), hashed.encode())
            except ValueError:
                return False
        if ok:
            with self._lock:
                if len(self._good) >= self.REMEMBERED:
                    self._good.clear()
                self._good.add(key)
        return ok


# -- reading with a deadline -----------------------------------------------------------------
class _DeadlineReader(io.RawIOBase):
    """The socket's bytes, but only until ``deadline``: each recv waits at most what is left,
    so a client sending one byte a second cannot hold a worker beyond the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self.sock = sock
        self.deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("request deadline passed")
        self.sock.settimeout(remaining)
        return self.sock.recv_into(buffer)


def _handler(
    registry: CollectorRegistry, auth: BasicAuth, limits: ServerLimits
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "netmon"
        sys_version = ""

        def setup(self) -> None:
            super().setup()
            deadline = time.monotonic() + limits.request_timeout
            # Close the plain reader: it holds a reference that would keep the socket open.
            self.rfile.close()
            self.rfile = io.BufferedReader(_DeadlineReader(self.connection, deadline))

        def do_GET(self) -> None:
            self._answer(head=False)

        def do_HEAD(self) -> None:
            self._answer(head=True)

        def _answer(self, head: bool) -> None:
            # Reading is over: from here on the timeout is the one for sending.
            self.connection.settimeout(limits.write_timeout)
            address = str(self.client_address[0])
            if auth.enabled:
                wait = auth.throttle.retry_after(address)
                if wait > 0:
                    self._reply(
                        429,
                        b"Too many failed logins; try again later\n",
                        "text/plain; charset=utf-8",
                        head,
                        {"Retry-After": str(int(wait) + 1)},
                    )
                    return
                if not auth.allows(self.headers.get("Authorization"), address):
                    log.info("metrics login failed", extra={"client": address})
                    self._reply(
                        401,
                        b"Unauthorized\n",
                        "text/plain; charset=utf-8",
                        head,
                        {"WWW-Authenticate": 'Basic realm="netmon"'},
                    )
                    return
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(200, _exposition(registry), CONTENT_TYPE_LATEST, head)
            elif path == "/":
                self._reply(
                    200,
                    b'<html><body><a href="/metrics">netmon metrics</a></body></html>\n',
                    "text/html; charset=utf-8",
                    head,
                )
            else:
                self._reply(404, b"Not found\n", "text/plain; charset=utf-8", head)

        def _accepts_gzip(self) -> bool:
            offered = self.headers.get("Accept-Encoding", "")
            for item in offered.split(","):
                coding, _, params = item.strip().partition(";")
                if coding.strip().lower() == "gzip":
                    return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00")
            return False

        def _reply(
            self,
            code: int,
            body: bytes,
            content_type: str,
            head: bool,
            headers: dict[str, str] | None = None,
        ) -> None:
            extra = dict(headers or {})
            if len(body) >= limits.min_gzip_bytes and self._accepts_gzip():
                body = gzip.compress(body, compresslevel=6)
                extra["Content-Encoding"] = "gzip"
            if code == 200:
                extra["Vary"] = "Accept-Encoding"
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            if not head:
                self.wfile.write(body)
            self.server.release()  # type: ignore[attr-defined]

        def log_message(self, format: str, *args: Any) -> None:
            # One line per scrape would flood the journal; failures are logged at debug.
            log.debug(
                "metrics request",
                extra={"client": self.client_address[0], "request": format % args},
            )

    return Handler


# -- the server ------------------------------------------------------------------------------
class _PooledServer(socketserver.TCPServer):
    """A TCP server whose requests go to a fixed pool of threads through a bounded queue."""

    allow_reuse_address = True
    request_queue_size = 64  # the kernel's listen backlog

    def __init__(
        self,
        address: tuple[str, int],
        handler: Any,
        tls: ssl.SSLContext | None,
        limits: ServerLimits,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.tls = tls
        self.limits = limits
        self.rejected = 0  # connections closed: no free place, or the address had its share
        self._per_client: dict[str, int] = {}  # at most workers + queued entries
        self._per_client_lock = threading.Lock()
        self._current = threading.local()  # the address whose place this worker holds
        self._queue: queue.Queue[tuple[Any, Any] | None] = queue.Queue(maxsize=limits.queued)
        # TCPServer.__init__ calls server_close() itself when the bind fails: it must find a
        # (still empty) pool, not an attribute that does not exist yet.
        self._workers: list[threading.Thread] = []
        super().__init__(address, handler)
        self._workers = [
            threading.Thread(target=self._work, name=f"netmon-metrics-{n}", daemon=True)
            for n in range(limits.workers)
        ]
        for worker in self._workers:
            worker.start()

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            # The handshake happens in a worker (on first read, under the request deadline),
            # so one slow client cannot stall the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        address = str(client_address[0])
        with self._per_client_lock:
            held = self._per_client.get(address, 0)
            admitted = held < self.limits.per_client
            if admitted:
                try:
                    self._queue.put_nowait((request, client_address))
                    self._per_client[address] = held + 1
                except queue.Full:
                    admitted = False
        if not admitted:
            self.rejected += 1
            if self.rejected == 1 or self.rejected % 1000 == 0:
                log.warning(
                    "metrics listener busy; closing new connections",
                    extra={"client": address, "rejected_total": self.rejected},
                )
            self.shutdown_request(request)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            request, client_address = item
            self._current.address = str(client_address[0])
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.release()
                self.shutdown_request(request)

    def release(self) -> None:
        """Give back the place of the request this worker answers (once; the handler calls it
        as soon as the answer is sent, so a client's next request never finds it still held)."""
        address = getattr(self._current, "address", None)
        if address is None:
            return
        self._current.address = None
        with self._per_client_lock:
            held = self._per_client.pop(address, 1) - 1
            if held > 0:
                self._per_client[address] = held

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("metrics connection failed", extra={"client": str(client_address[0])})

    def server_close(self) -> None:
        super().server_close()
        for _worker in self._workers:
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                break  # the workers are daemon threads: they end with the process


def tls_context(web: WebConfig) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = (
        ssl.TLSVersion.TLSv1_3 if web.min_version == "TLS13" else ssl.TLSVersion.TLSv1_2
    )
    try:
        context.load_cert_chain(str(web.cert_file), str(web.key_file))
        if web.client_ca_file is not None:
            context.load_verify_locations(str(web.client_ca_file))
    except (OSError, ssl.SSLError) as error:
        raise MetricsServerError(
            f"{web.path}: cannot load the TLS certificate or key: {error}"
        ) from None
    if web.client_auth_type == "RequireAndVerifyClientCert":
        context.verify_mode = ssl.CERT_REQUIRED
    elif web.client_auth_type == "VerifyClientCertIfGiven":
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


class MetricsServer:
    """The /metrics listener: an accept thread plus ``limits.workers`` worker threads."""

    def __init__(
        self,
        registry: CollectorRegistry,
        host: str,
        port: int,
        web: WebConfig | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        from agent.settings import WebConfig

        web = web or WebConfig()
        self.limits = limits or ServerLimits()
        tls = tls_context(web) if web.tls else None
        auth = BasicAuth(
            {user.name: user.bcrypt_hash for user in web.users}, _Throttle(self.limits)
        )
        try:
            self._server = _PooledServer(
                (host, port), _handler(registry, auth, self.limits), tls, self.limits
            )
        except OSError as error:
            shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            if error.errno == errno.EADDRINUSE:
                raise MetricsServerError(
                    f"cannot listen for /metrics: {shown} is in use (another netmon or another "
                    "program; change [metrics] listen in netmon.toml, or stop the other one)"
                ) from None
            raise MetricsServerError(
                f"cannot listen for /metrics on {shown}: {error.strerror}"
            ) from None
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="netmon-metrics", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = str(self._server.server_address[0])
        shown = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{shown}:{self.port}/metrics"

    @property
    def rejected(self) -> int:
        return self._server.rejected

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _exposition(registry: CollectorRegistry) -> bytes:
    """The fleet's cached text joined with the other collectors' (agent.metrics.exposition);
    imported here because agent.metrics re-exports this module's server."""
    from agent.metrics import exposition

    return exposition(registry)
