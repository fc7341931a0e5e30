"""A real local HTTP server imitating the three providers, with fault injection and charge accounting.

One `ThreadingHTTPServer` serves all three providers under different path prefixes:

    /hlr/api/v2/...     hlrlookups      (hlr-lookups.com /api/v2)
    /smspartner/v1/...  smspartner      (api.smspartner.fr /v1)
    /affiliate/...      affiliate       (api.affiliate-sms.com)
    /_emu/...           control endpoints (stats, reset, config) for a client in another process

A second listener on another host (127.0.0.2, else `localhost`, on its own port) plays a foreign server:
`inject_redirect` points `Location:` at it, and it records whatever reaches it in `foreign_requests`.

Order of events for a provider request:

1. It is recorded (`requests`).
2. A fault is chosen: the first injected one that matches (`inject*`, in the order injected, each used
   `times` times); failing that, on a fault path (`fault_paths`, the billed endpoints by default), one drawn
   at random by `fail_rate` / `drop_rate` / `malformed_rate` from a `random.Random(fault_seed)`.
3. Faults that refuse *before* processing answer now, nothing processed or charged: `inject`,
   `inject_garbage`, `inject_redirect`, a random "fail" (a provider-shaped 503), and `inject_drop`,
   `inject_drip`, `inject_huge` with `after_processing=False`.
4. The rate limit is checked (`rate_limits` per `rate_window` / `rate_windows`): a 429, with `Retry-After`
   as `retry_after` says; counted in `throttled_count()`.
5. The provider processes the request: it charges (`charges`) and schedules its webhooks, notifications or
   callbacks (`deliveries`, after `delivery_delay` / `delivery_delays`). Whatever happens to the answer
   next, those results are delivered: that is how a client learns the fate of an uncertain request.
6. Faults *after* processing replace the answer: `inject_drop` and a random "drop" (the connection closed,
   no byte sent), `inject_broken` and a random "malformed" (truncated JSON, a list, a proxy's 502/504 HTML
   page, an empty body), `inject_delay` (slept here), `inject_drip` (sent one byte at a time),
   `inject_huge` (a body of `size_bytes`, streamed).
7. `latency` is slept, and the answer is sent. Dripping and huge answers close the connection afterwards,
   and stop as soon as the client hangs up or the emulator stops (`wait_answers()` waits for that).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import secrets
import select
import socket
import sys
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, NamedTuple, Protocol
from urllib.parse import parse_qs, urlsplit

from . import data
from .affiliate import FINAL_STATUS, Affiliate
from .common import AFF_KEY, HLR_KEY, HLR_SECRET, SMSP_KEY, Call, Headers, Response, php_json, reason
from .delivery import Deliverer, Delivery
from .hlrlookups import HlrLookups
from .smspartner import DEFAULT_RENTAL_TOKENS, ERROR_GROUPS, SmsPartner

PREFIXES = {"hlrlookups": "/hlr/api/v2", "smspartner": "/smspartner/v1", "affiliate": "/affiliate"}
PROVIDERS = tuple(PREFIXES)
# Bodies of the "garbage" fault: JSON cut short, labelled as JSON, as a crashing upstream or proxy may send.
GARBAGE_BODY = b'{"success":true,"results":[{"id":"3b4ac4b6ed1b","msisdn":"+4917'
# The endpoints that cost money: where random faults strike unless `fault_paths` says otherwise.
BILLED_PATHS: dict[str, tuple[str, ...]] = {
    "hlrlookups": ("/hlr-lookup", "/hlr-lookups", "/mnp-lookup", "/mnp-lookups", "/nt-lookup", "/nt-lookups"),
    "smspartner": ("/hlr/notify",),
    "affiliate": ("/hlr/create",),
}
# Answers broken after processing: what a crashing upstream, a proxy or a load balancer may hand a client.
BROKEN_KINDS = ("truncated", "list", "gateway502", "gateway504", "empty")
GATEWAY_PAGES = {
    502: b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    504: b"<html><body><h1>504 Gateway Time-out</h1></body></html>",
}
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Foreign-host candidates, first that binds wins: another loopback address is another host to any client.
FOREIGN_HOSTS = ("127.0.0.2", "localhost", "127.0.0.1")
_HUGE_CHUNK = 64 * 1024
_UNSEEDED = object()


class _Provider(Protocol):
    name: str

    def handle(self, call: Call) -> Response: ...
    def reset(self) -> None: ...
    def error(self, status: int, message: str) -> Response: ...
    def counts_for_rate_limit(self, path: str) -> bool: ...
    def too_many_requests(self) -> Response: ...


@dataclass
class RequestRecord:
    """One request received by a provider endpoint."""

    provider: str
    method: str
    path: str  # relative to the provider's base URL, e.g. "/hlr-lookup", "/hlr/123"
    query: dict[str, str]
    headers: Headers  # a dict with case-insensitive lookups
    body: bytes
    status: int = 0  # status answered; 0 when the connection was dropped (or not answered in full, or not yet)
    time: float = 0.0  # time.monotonic() at receipt
    # The fault applied, None for none: "inject", "garbage", "drop", "drop-before", "delay", "redirect",
    # "broken:<kind>", "drip", "drip-before", "huge", "huge-before"; "random:fail", "random:drop",
    # "random:broken:<kind>" for the drawn ones.
    fault: str | None = None
    throttled: bool = False  # answered 429 by the emulator's rate limiter
    sent: int = 0  # bytes of the answer written to the socket, status line and headers included

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ForeignRequest:
    """One request that reached the foreign host (the target of `inject_redirect`)."""

    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    body: bytes
    time: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


class Charge(NamedTuple):
    provider: str
    kind: str  # "HLR" | "MNP" | "NT"
    number: str  # E.164, "+" and digits, whatever the format sent


@dataclass
class _Fault:
    action: str  # "respond" | "drop" | "delay" | "broken" | "drip" | "huge" | "redirect"
    path: str | None
    provider: str | None
    remaining: int
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    garbage: bool = False
    after_processing: bool = True
    seconds: float = 0.0  # delay, or the drip interval
    kind: str = ""  # of a broken answer
    size: int = 0  # of a huge answer
    label: str = ""  # as recorded in RequestRecord.fault

    def matches(self, provider: str, path: str) -> bool:
        if self.provider is not None and self.provider != provider:
            return False
        return self.path is None or _path_matches(path, provider, self.path)


@dataclass
class _Drip:
    """An answer to send one byte every `interval` seconds."""

    response: Response
    interval: float


@dataclass
class _Huge:
    """A 200 JSON answer of `size` bytes, generated while sent."""

    size: int


_Answer = Response | _Drip | _Huge | None


def _path_matches(rel: str, provider: str, wanted: str) -> bool:
    """Suffix match, on the relative or the full path ("/hlr-lookup" does not match "/hlr-lookups")."""
    return rel.endswith(wanted) or (PREFIXES[provider] + rel).endswith(wanted)


def _broken(kind: str, real: Response) -> Response:
    """The processed answer `real`, as it arrives broken."""
    as_json = {"Content-Type": "application/json"}
    if kind == "truncated":
        # Any proper prefix of a JSON object is invalid JSON.
        return Response(200, real.body[: len(real.body) // 2] if len(real.body) >= 2 else b"{", as_json)
    if kind == "list":
        return Response(200, b"[" + real.body + b"]", as_json)
    if kind == "empty":
        return Response(200, b"", as_json)
    status = int(kind.removeprefix("gateway"))
    return Response(status, GATEWAY_PAGES[status], {"Content-Type": "text/html"})


def huge_body(size: int) -> Iterator[bytes]:
    """`size` bytes of valid JSON (when read to the end), generated chunk by chunk, never whole in memory."""
    head, tail = b'{"results":[],"padding":"', b'"}'
    if size < len(head) + len(tail):
        yield b" " * size
        return
    yield head
    block = b"x" * _HUGE_CHUNK
    left = size - len(head) - len(tail)
    while left > 0:
        n = min(left, _HUGE_CHUNK)
        yield block if n == _HUGE_CHUNK else block[:n]
        left -= n
    yield tail


def _format_seconds(value: float) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # 32 benchmark workers may connect at once; the default backlog of 5 would make some wait a SYN retry.
    request_queue_size = 256
    foreign_host = ""  # set on the foreign host's server: the name it was bound by

    def __init__(self, address: tuple[str, int], emulator: Emulator, handler: type[_BaseHandler]) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self.accepted = 0
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
            self.accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        # Kept-alive connections outlive serve_forever(); without this a stopped emulator would still answer.
        # It also wakes a dripping or streaming answer: its socket turns readable (EOF) or its send fails.
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that vanished (killed mid-request, as tests do on purpose) is not a server fault.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        self.emulator._server_error(traceback.format_exc())


class _BaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hlr-emulator/1.0"
    sys_version = ""
    timeout = 120.0  # idle kept-alive connections are closed after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Keep NODELAY: without it Nagle + delayed ACK add ~40 ms to each kept-alive answer, and a dripped
        # byte would wait for the previous one's ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the library must never write to stdout or stderr."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _handle(self) -> None:
        raise NotImplementedError

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _head(self, status: int, headers: dict[str, str], length: int) -> bytes:
        """Status line and headers, built here so that a dripped answer can send them a byte at a time."""
        if any(k.lower() == "connection" and v.lower() == "close" for k, v in headers.items()):
            self.close_connection = True
        lines = [
            f"{self.protocol_version} {status} {reason(status)}",
            f"Server: {self.version_string().strip()}",
            f"Date: {self.date_time_string()}",
        ]
        lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("content-length", "connection")]
        lines.append(f"Content-Length: {length}")
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, response: Response, record: RequestRecord | None = None) -> None:
        raw = self._head(response.status, response.headers, len(response.body)) + response.body
        if record is not None:
            # Recorded before the write: a client that has its answer must find it in the record.
            record.status, record.sent = response.status, len(raw)
        try:
            # One write: headers and body in the same segment.
            self.wfile.write(raw)
        except OSError:
            self.close_connection = True
            if record is not None:
                record.status, record.sent = 0, 0


class _Handler(_BaseHandler):
    def _handle(self) -> None:
        emu = self.server.emulator
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        headers = Headers(self.headers.items())
        with emu._answering():
            record, answer = emu._dispatch(self.command, split.path, query, headers, body, raw_query=split.query)
            if answer is None:  # a drop: close without a byte of answer
                self.close_connection = True
                return
            if isinstance(answer, _Drip):
                self._drip(answer, record)
            elif isinstance(answer, _Huge):
                self._stream_huge(answer.size, record)
            else:
                self._send(answer, record)

    def _client_gone(self, seconds: float) -> bool:
        """Wait `seconds` unless the client hangs up or the emulator stops first (then True)."""
        stopping = self.server.emulator._stopping
        sock = self.connection
        deadline = time.monotonic() + seconds
        while not stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            # A hang-up, or the emulator's shutdown() of this socket, makes it readable with EOF.
            readable, _, _ = select.select([sock], [], [], left)
            if not readable:
                continue
            try:
                peeked = sock.recv(1, socket.MSG_PEEK)
            except OSError:
                return True
            if not peeked:
                return True
            # The client sent more (a pipelined request): nothing to learn from the socket until the deadline.
            stopping.wait(max(0.0, deadline - time.monotonic()))
        return True

    def _drip(self, drip: _Drip, record: RequestRecord | None) -> None:
        self.close_connection = True  # a client that gave up half-way would find the rest in its next answer
        response = drip.response
        raw = self._head(response.status, response.headers, len(response.body)) + response.body
        self._trickle((raw[i : i + 1] for i in range(len(raw))), response.status, record, drip.interval)

    def _stream_huge(self, size: int, record: RequestRecord | None) -> None:
        self.close_connection = True
        head = self._head(200, {"Content-Type": "application/json"}, size)
        self._trickle(itertools.chain((head,), huge_body(size)), 200, record, 0.0)

    def _trickle(self, pieces: Iterator[bytes], status: int, record: RequestRecord | None, pause: float) -> None:
        """Write `pieces` with `pause` seconds between them; end quietly on hang-up or stop."""
        piece = next(pieces, None)
        first = True
        while piece is not None:
            following = next(pieces, None)
            if not first and self._client_gone(pause):
                return
            if record is not None and following is None:
                # Before the last write: a client that has its whole answer must find it in the record.
                record.status = status
            try:
                self.connection.sendall(piece)
            except OSError:  # the client hung up: the end of this answer, not a server fault
                if record is not None:
                    record.status = 0
                return
            if record is not None:
                record.sent += len(piece)
            piece, first = following, False


class _ForeignHandler(_BaseHandler):
    """The foreign host: records everything, answers 200 `{}`, like a server that happily takes what it gets."""

    def do_HEAD(self) -> None:
        self._handle()

    def _handle(self) -> None:
        emu = self.server.emulator
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        emu._record_foreign(
            ForeignRequest(self.command, split.path, query, Headers(self.headers.items()), body, time.monotonic())
        )
        response = Response.json(200, {})
        if self.command == "HEAD":
            response = Response(200, b"", response.headers)
        self._send(response)


class Emulator:
    """The three providers on one local port; see the module docstring and tests/test_emulator.py."""

    def __init__(
        self,
        latency: float = 0.0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock_skew: float = 0.0,
        record_limit: int | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        # Seconds slept before answering any provider request (benchmarks use 0.1).
        self.latency = latency
        # The hlrlookups server clock is time.time() + clock_skew.
        self.clock_skew = clock_skew
        # Requests per window per provider (any provider may be listed); smspartner counts only /hlr/notify and
        # /lookup. The window is rate_windows[provider], else rate_window, in seconds.
        self.rate_limits: dict[str, int] = {"smspartner": 360}
        self.rate_window = 60.0
        self.rate_windows: dict[str, float] = {}
        # Retry-After of a 429 from the rate limiter, in seconds: one value for every provider, or a dict by
        # provider (a provider missing from it gets none). None: no header, the client backs off on its own.
        self.retry_after: float | dict[str, float | None] | None = {
            "hlrlookups": 1.0,
            "smspartner": None,
            "affiliate": 1.0,
        }
        # Account webhook URLs (only "hlrlookups" uses them): async lookup results are POSTed there.
        self.webhook_urls: dict[str, list[str]] = {"hlrlookups": []}
        self.webhook_batch_size = 1000
        # Seconds from processing to the first delivery attempt: delivery_delays[provider], else delivery_delay.
        self.delivery_delay = 0.05
        self.delivery_delays: dict[str, float] = {}
        self.delivery_timeout = 10.0
        self.retry_delays: list[float] = [0.2, 0.4, 0.8, 1.6]
        self.duplicate_deliveries = False
        self.hlr_max_batch = 1000
        # Where the published sources disagree, which one the emulator follows (each default is the docs'
        # example unless said otherwise; tests/fixtures/real/FINDINGS.md has the evidence):
        # the routing map as printed ("example": defaultRoute/mnpFallback, the mccmncs' codes as JSON integers)
        # or as its attribute table says ("table": default_route/mnp_fallback, codes as strings);
        self.hlr_routing_map_style = "example"
        # the webhook's Content-Type (the docs name none; None sends no header);
        self.hlr_webhook_content_type: str | None = "application/json"
        # the price list's "MIX" row (in the example, not in the table; off: clients count rows by type).
        self.hlr_price_list_mix = False
        self.smspartner_max_numbers = 500
        self.smspartner_notify_format = "form"  # or "json"
        self.smspartner_error_http_status: int | None = None  # e.g. 200: errors answered as HTTP 200
        # /me and /lookup as docpartner prints them ("docs") or as the Go SDK's fixtures ("go-sdk":
        # creditSmsLowCost and a user without names; countryCode "" and the network's name).
        self.smspartner_me_style = "docs"
        self.smspartner_lookup_style = "docs"
        # The `number` of a /hlr/notify answer, when set: the Go SDK's fixture answers 1 for two numbers sent.
        self.smspartner_notify_number: int | None = None
        self.rental_tokens: dict[str, int] = dict(DEFAULT_RENTAL_TOKENS)
        self.affiliate_pending_polls = 1
        self.affiliate_callback_url: str | None = None
        self.affiliate_callback_format = "json"  # or "form"
        self.affiliate_max_batch = 1000
        # False: GET /hlr/reference/{reference} answers 404, so a lost answer's id is only learnt by resubmitting.
        self.affiliate_poll_by_reference = True
        # Path prefixes the API answers under: the function pages' root form and the general page's /rest.
        self.affiliate_path_prefixes: list[str] = ["", "/rest"]
        # Dates as bsg.world displays them ("bsg": Y-m-d H:i:s) or as affiliate's example ("iso", with offset).
        self.affiliate_datetime_style = "bsg"
        # Random faults on fault paths, as fractions of requests (their sum at most 1): refused before processing
        # (a provider-shaped 503, not charged), dropped after processing, broken after processing (one of
        # malformed_kinds). fault_seed makes the draws reproducible for a given order of requests.
        self.fail_rate = 0.0
        self.drop_rate = 0.0
        self.malformed_rate = 0.0
        self.malformed_kinds: list[str] = list(BROKEN_KINDS)
        self.fault_seed: int | None = None
        # Path suffixes (relative or full, as in inject's `path`) where random faults strike; "*" for every
        # provider path; None for the billed endpoints (BILLED_PATHS).
        self.fault_paths: list[str] | None = None
        # Tracebacks of unexpected exceptions in the emulator (answered 500): tests may assert it stays empty.
        self.server_errors: list[str] = []

        self._lock = threading.RLock()
        self._requests: deque[RequestRecord] = deque(maxlen=record_limit)
        self._request_total = 0
        self._charges: list[Charge] = []
        self._faults: list[_Fault] = []
        self._fault_counts: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._foreign: deque[ForeignRequest] = deque(maxlen=record_limit)
        self._rng = random.Random()
        self._rng_seed: object = _UNSEEDED
        self._rate_hits: dict[str, deque[float]] = {}
        self._hex_ids: set[str] = set()
        self._campaign_seq = 0
        self._affiliate_seq = 12000
        self._hlr = HlrLookups(self)
        self._providers: dict[str, _Provider] = {
            "hlrlookups": self._hlr,
            "smspartner": SmsPartner(self),
            "affiliate": Affiliate(self),
        }
        self._deliverer = Deliverer(lambda: self.retry_delays, lambda: self.delivery_timeout)
        self._server: _Server | None = None
        self._foreign_server: _Server | None = None
        self._port: int | None = None  # kept after stop(): URLs stay valid and a restart reuses the port
        self._foreign_address: tuple[str, int] | None = None
        self._threads: list[threading.Thread] = []
        # Set by stop(): answers being dripped or streamed end at once.
        self._stopping = threading.Event()
        self._in_flight = 0
        self._answers = threading.Condition()

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        port = self._port if self._port is not None else self._requested_port
        self._server = _Server((self.host, port), self, _Handler)
        self._port = int(self._server.server_address[1])
        self._foreign_server = self._bind_foreign()
        self._foreign_address = (self._foreign_server.foreign_host, int(self._foreign_server.server_address[1]))
        for name, server in (("emulator-http", self._server), ("emulator-foreign", self._foreign_server)):
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        self._deliverer.start()
        return self

    def _bind_foreign(self) -> _Server:
        last: OSError | None = None
        for host in FOREIGN_HOSTS:
            if host == self.host:
                continue
            try:
                server = _Server((host, 0), self, _ForeignHandler)
            except OSError as exc:
                last = exc
                continue
            server.foreign_host = host
            return server
        raise OSError(f"no address to bind the foreign host on: {last}")

    def stop(self) -> None:
        server, self._server = self._server, None
        foreign, self._foreign_server = self._foreign_server, None
        if server is None:
            return
        self._stopping.set()
        for s in (server, foreign):
            if s is not None:
                s.shutdown()
                s.server_close()
                s.close_connections()
        self._deliverer.stop()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator has not been started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def hlr_url(self) -> str:
        return self.url + PREFIXES["hlrlookups"]

    @property
    def smspartner_url(self) -> str:
        return self.url + PREFIXES["smspartner"]

    @property
    def affiliate_url(self) -> str:
        return self.url + PREFIXES["affiliate"]

    @property
    def foreign_url(self) -> str:
        """The foreign host's base URL (another host and port than `url`): where redirects point."""
        if self._foreign_address is None:
            raise RuntimeError("the emulator has not been started")
        host, port = self._foreign_address
        return f"http://{host}:{port}"

    @property
    def connection_count(self) -> int:
        """TCP connections accepted so far: lets a test check that a client reuses kept-alive connections."""
        return self._server.accepted if self._server else 0

    def env(self, provider: str | None = None) -> dict[str, str]:
        """The variables a CLI run needs to talk to this emulator (one provider's, or all)."""
        by_provider = {
            "hlrlookups": {
                "HLR_LOOKUPS_API_KEY": HLR_KEY,
                "HLR_LOOKUPS_API_SECRET": HLR_SECRET,
                "HLR_LOOKUPS_BASE_URL": self.hlr_url,
            },
            "smspartner": {"SMSPARTNER_API_KEY": SMSP_KEY, "SMSPARTNER_BASE_URL": self.smspartner_url},
            "affiliate": {"AFFILIATE_SMS_API_KEY": AFF_KEY, "AFFILIATE_SMS_BASE_URL": self.affiliate_url},
        }
        if provider is None:
            return {k: v for values in by_provider.values() for k, v in values.items()}
        if provider not in by_provider:
            raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
        return dict(by_provider[provider])

    def server_time(self) -> float:
        return time.time() + self.clock_skew

    # -- inspection -----------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str, provider: str | None = None) -> list[RequestRecord]:
        return [
            r
            for r in self.requests
            if (provider is None or r.provider == provider) and _path_matches(r.path, r.provider, path)
        ]

    @property
    def charges(self) -> list[Charge]:
        with self._lock:
            return list(self._charges)

    def charge_count(self, provider: str | None = None) -> int:
        return sum(1 for c in self.charges if provider is None or c.provider == provider)

    def charged_numbers(self, provider: str | None = None) -> Counter[str]:
        return Counter(c.number for c in self.charges if provider is None or c.provider == provider)

    @property
    def deliveries(self) -> list[Delivery]:
        return self._deliverer.snapshot()

    def wait_deliveries(self, timeout: float = 10) -> bool:
        """Block until nothing is queued, waiting for a retry or in flight; False on timeout."""
        return self._deliverer.wait_idle(timeout)

    @property
    def hlr_balance(self) -> Decimal:
        with self._lock:
            return self._hlr.balance

    def stored_results(self) -> dict[str, dict[str, Any]]:
        """hlrlookups results (sync and async) by id, as answered (NT in the synchronous spelling)."""
        with self._lock:
            return dict(self._hlr.results)

    @staticmethod
    def expected_status(number: str) -> str:
        """CONNECTED / ABSENT / INVALID_MSISDN / UNDETERMINED, from the number's last digit."""
        return data.expected_status(number)

    @staticmethod
    def expected(number: str) -> dict[str, Any]:
        """Everything the deterministic rules say about a number, in each provider's vocabulary."""
        status = data.expected_status(number)
        return {
            "status": status,
            "is_ported": data.expected_ported(number),
            "is_roaming": data.expected_roaming(number),
            "smspartner_error_group": ERROR_GROUPS[status][0],
            "affiliate_status": FINAL_STATUS[status],
        }

    @property
    def foreign_requests(self) -> list[ForeignRequest]:
        """Every request the foreign host received (a client that followed a redirect, and what it carried)."""
        with self._lock:
            return list(self._foreign)

    def throttled_count(self, provider: str | None = None) -> int:
        """429s answered by the rate limiter (injected 429s not included)."""
        with self._lock:
            return sum(n for p, n in self._throttled.items() if provider is None or p == provider)

    def fault_counts(self) -> Counter[str]:
        """How many times each fault struck, by RequestRecord.fault label (kept when records are trimmed)."""
        with self._lock:
            return Counter(self._fault_counts)

    def wait_answers(self, timeout: float = 10) -> bool:
        """Block until no answer is being prepared or sent (a drip or a huge body included); False on timeout."""
        with self._answers:
            return self._answers.wait_for(lambda: self._in_flight == 0, timeout)

    def stats(self) -> dict[str, Any]:
        numbers = self.charged_numbers()
        with self._lock:
            total = self._request_total
            foreign = len(self._foreign)
        return {
            "charges": sum(numbers.values()),
            "charged_distinct": len(numbers),
            "requests": total,
            "max_charges_per_number": max(numbers.values(), default=0),
            "by_provider": {p: self.charge_count(p) for p in PROVIDERS},
            "deliveries": len(self.deliveries),
            "throttled": {p: self.throttled_count(p) for p in PROVIDERS},
            "faults": dict(self.fault_counts()),
            "foreign_requests": foreign,
        }

    def reset(self) -> None:
        """Forget requests, charges, faults, stored lookups, pending deliveries; settings are kept.

        The random fault sequence starts again from `fault_seed`.
        """
        with self._lock:
            self._requests.clear()
            self._request_total = 0
            self._charges.clear()
            self._faults.clear()
            self._fault_counts.clear()
            self._throttled.clear()
            self._foreign.clear()
            self._rng_seed = _UNSEEDED
            self._rate_hits.clear()
            self.server_errors.clear()
            # Ids start again too: a test (and the README's examples) may name the first one.
            self._campaign_seq = 0
            self._affiliate_seq = 12000
            for provider in self._providers.values():
                provider.reset()
        self._deliverer.reset()

    # -- fault injection ------------------------------------------------------------------------------------

    def inject(
        self,
        status: int,
        body: dict[str, Any] | list[Any] | bytes | str | None = None,
        headers: dict[str, str] | None = None,
        path: str | None = None,
        provider: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` matching requests get this answer, unprocessed and uncharged.

        Without a body, the provider's own error shape (`inject(503)`: refused before processing).
        """
        fault = _Fault("respond", path, provider, times, status=status, body=body, headers=headers or {})
        self._add_fault(fault, "inject")

    def inject_garbage(
        self, path: str | None = None, provider: str | None = None, times: int = 1, status: int = 200
    ) -> None:
        """The next matching requests get a truncated JSON body (labelled application/json), unprocessed."""
        self._add_fault(_Fault("respond", path, provider, times, status=status, garbage=True), "garbage")

    def inject_drop(
        self,
        path: str | None = None,
        provider: str | None = None,
        times: int = 1,
        after_processing: bool = True,
    ) -> None:
        """Close the connection without answering; after processing (charged) unless told otherwise."""
        fault = _Fault("drop", path, provider, times, after_processing=after_processing)
        self._add_fault(fault, "drop" if after_processing else "drop-before")

    def inject_delay(
        self, seconds: float, path: str | None = None, provider: str | None = None, times: int = 1
    ) -> None:
        """Process normally, then wait `seconds` (on top of `latency`) before answering."""
        self._add_fault(_Fault("delay", path, provider, times, seconds=seconds), "delay")

    def inject_broken(self, kind: str, path: str | None = None, provider: str | None = None, times: int = 1) -> None:
        """Process (charge, schedule results), then answer broken; `kind` is one of BROKEN_KINDS.

        "truncated": the real answer's first half, 200 application/json. "list": the real answer wrapped in a
        JSON list, 200. "gateway502" / "gateway504": a proxy's HTML error page, text/html, 502 / 504.
        "empty": 200 application/json with no body.
        """
        if kind not in BROKEN_KINDS:
            raise ValueError(f"unknown broken-answer kind {kind!r}; expected one of {', '.join(BROKEN_KINDS)}")
        self._add_fault(_Fault("broken", path, provider, times, kind=kind), f"broken:{kind}")

    def inject_drip(
        self,
        interval: float,
        path: str | None = None,
        provider: str | None = None,
        times: int = 1,
        after_processing: bool = True,
    ) -> None:
        """Send the answer (status line, headers, body) one byte every `interval` seconds, then close.

        After processing, the real answer; before, unprocessed and uncharged, the provider's 503 error. Only
        a client's own total deadline gets it out: each byte resets a per-read timeout.
        """
        if interval < 0:
            raise ValueError("interval must be >= 0")
        fault = _Fault("drip", path, provider, times, after_processing=after_processing, seconds=interval)
        self._add_fault(fault, "drip" if after_processing else "drip-before")

    def inject_huge(
        self,
        size_bytes: int,
        path: str | None = None,
        provider: str | None = None,
        times: int = 1,
        after_processing: bool = True,
    ) -> None:
        """Answer 200 application/json with a body of `size_bytes` (Content-Length set), generated as sent.

        The body is valid JSON if read to the end (`{"results":[],"padding":"xxx…"}`); the connection closes
        after it. After processing (charged) unless told otherwise.
        """
        if size_bytes < 0:
            raise ValueError("size_bytes must be >= 0")
        fault = _Fault("huge", path, provider, times, after_processing=after_processing, size=size_bytes)
        self._add_fault(fault, "huge" if after_processing else "huge-before")

    def inject_redirect(
        self, status: int = 302, path: str | None = None, provider: str | None = None, times: int = 1
    ) -> None:
        """Answer `status` with `Location:` on the foreign host (same path and query), unprocessed, uncharged.

        What a client that follows it sends there is in `foreign_requests`.
        """
        if status not in REDIRECT_STATUSES:
            raise ValueError(f"redirect status must be one of {REDIRECT_STATUSES}")
        self._add_fault(_Fault("redirect", path, provider, times, status=status), "redirect")

    def _add_fault(self, fault: _Fault, label: str) -> None:
        if fault.provider is not None and fault.provider not in PREFIXES:
            raise ValueError(f"unknown provider {fault.provider!r}")
        fault.label = label
        if fault.remaining > 0:
            with self._lock:
                self._faults.append(fault)

    def _take_fault(self, provider: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(provider, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _is_fault_path(self, provider: str, path: str) -> bool:
        if self.fault_paths is None:
            return (path.rstrip("/") or "/") in BILLED_PATHS[provider]
        return any(p == "*" or _path_matches(path, provider, p) for p in self.fault_paths)

    def _draw_fault(self, provider: str, path: str) -> _Fault | None:
        """A random fault, by the configured rates, or None."""
        fail, drop, malformed = float(self.fail_rate), float(self.drop_rate), float(self.malformed_rate)
        if fail <= 0 and drop <= 0 and malformed <= 0:
            return None
        if not self._is_fault_path(provider, path):
            return None
        with self._lock:
            if self._rng_seed is _UNSEEDED or self._rng_seed != self.fault_seed:
                self._rng = random.Random(self.fault_seed)
                self._rng_seed = self.fault_seed
            x = self._rng.random()
            if x < fail:
                return _Fault("respond", None, None, 1, status=503, label="random:fail")
            if x < fail + drop:
                return _Fault("drop", None, None, 1, label="random:drop")
            if x < fail + drop + malformed:
                kind = self._rng.choice(list(self.malformed_kinds) or list(BROKEN_KINDS))
                return _Fault("broken", None, None, 1, kind=kind, label=f"random:broken:{kind}")
        return None

    def _fault_response(self, fault: _Fault, provider: _Provider) -> Response:
        if fault.garbage:
            response = Response(fault.status, GARBAGE_BODY, {"Content-Type": "application/json"})
        elif fault.body is None:
            response = provider.error(fault.status, f"{reason(fault.status).capitalize()}.")
        elif isinstance(fault.body, (dict, list)):
            response = Response(fault.status, php_json(fault.body), {"Content-Type": "application/json"})
        else:
            raw = fault.body.encode() if isinstance(fault.body, str) else fault.body
            response = Response(fault.status, raw, {"Content-Type": "text/plain; charset=utf-8"})
        response.headers.update(fault.headers)
        return response

    def _redirect(self, fault: _Fault, path: str, raw_query: str) -> Response:
        # The query goes along, as a "moved" redirect keeps it: a GET's apiKey is then exposed to whoever follows.
        location = self.foreign_url + path + (f"?{raw_query}" if raw_query else "")
        body = f'<html><body><a href="{location}">Moved</a></body></html>'.encode()
        return Response(fault.status, body, {"Location": location, "Content-Type": "text/html"})

    # -- internals used by the provider modules and the handlers --------------------------------------------

    def _charge(self, provider: str, kind: str, number: str) -> None:
        with self._lock:
            self._charges.append(Charge(provider, kind, number))

    def _new_hex_id(self) -> str:
        with self._lock:
            while (candidate := secrets.token_hex(6)) in self._hex_ids:
                pass
            self._hex_ids.add(candidate)
            return candidate

    def _next_campaign(self) -> int:
        with self._lock:
            self._campaign_seq += 1
            return self._campaign_seq

    def _next_affiliate_id(self) -> int:
        with self._lock:
            self._affiliate_seq += 1
            return self._affiliate_seq

    def _deliver(self, provider: str, url: str, body: bytes, headers: dict[str, str], *, strict_200: bool) -> None:
        delay = float(self.delivery_delays.get(provider, self.delivery_delay))
        copies = 2 if self.duplicate_deliveries else 1
        for _ in range(copies):
            self._deliverer.submit(provider, url, body, headers, delay, strict_200=strict_200)

    def _server_error(self, text: str) -> None:
        with self._lock:
            self.server_errors.append(text)

    def _record_foreign(self, request: ForeignRequest) -> None:
        with self._lock:
            self._foreign.append(request)

    @contextlib.contextmanager
    def _answering(self) -> Iterator[None]:
        with self._answers:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._answers:
                self._in_flight -= 1
                self._answers.notify_all()

    # -- request pipeline -----------------------------------------------------------------------------------

    def _retry_after(self, provider: str) -> float | None:
        setting = self.retry_after
        if isinstance(setting, dict):
            return setting.get(provider)
        return setting

    def _rate_limited(self, provider: _Provider, path: str) -> bool:
        limit = self.rate_limits.get(provider.name)
        if not limit or not provider.counts_for_rate_limit(path):
            return False
        window = float(self.rate_windows.get(provider.name, self.rate_window))
        now = time.monotonic()
        with self._lock:
            hits = self._rate_hits.setdefault(provider.name, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                self._throttled[provider.name] += 1
                return True  # refused requests do not count: a client backing off gets through
            hits.append(now)
            return False

    def _process(self, provider: _Provider, call: Call, record: RequestRecord) -> Response:
        if self._rate_limited(provider, call.path):
            record.throttled = True
            response = provider.too_many_requests()
            if (after := self._retry_after(provider.name)) is not None:
                response.headers["Retry-After"] = _format_seconds(after)
            return response
        try:
            return provider.handle(call)
        except Exception:
            self._server_error(traceback.format_exc())
            return provider.error(500, "Internal server error.")

    def _dispatch(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Headers,
        body: bytes,
        *,
        raw_query: str = "",
    ) -> tuple[RequestRecord | None, _Answer]:
        if path.startswith("/_emu/"):
            return None, self._control(method, path, body)
        name = next((p for p, prefix in PREFIXES.items() if path == prefix or path.startswith(prefix + "/")), None)
        if name is None:
            return None, Response.json(404, {"error": "Not found: no emulated provider under this path."})
        provider = self._providers[name]
        rel = path[len(PREFIXES[name]) :] or "/"
        record = RequestRecord(name, method, rel, query, headers, body, 0, time.monotonic())
        with self._lock:
            self._requests.append(record)
            self._request_total += 1
        call = Call(method, rel, query, headers, body)

        fault = self._take_fault(name, rel) or self._draw_fault(name, rel)
        if fault is not None:
            record.fault = fault.label
            with self._lock:
                self._fault_counts[fault.label] += 1
        answer: _Answer
        if fault is None:
            answer = self._process(provider, call, record)
        elif fault.action == "respond":
            answer = self._fault_response(fault, provider)
        elif fault.action == "redirect":
            answer = self._redirect(fault, path, raw_query)
        elif not fault.after_processing:
            if fault.action == "drip":
                answer = _Drip(provider.error(503, "Service unavailable."), fault.seconds)
            elif fault.action == "huge":
                answer = _Huge(fault.size)
            else:
                answer = None
        else:
            response = self._process(provider, call, record)
            if fault.action == "drop":
                answer = None
            elif fault.action == "broken":
                answer = _broken(fault.kind, response)
            elif fault.action == "drip":
                answer = _Drip(response, fault.seconds)
            elif fault.action == "huge":
                answer = _Huge(fault.size)
            else:
                self._stopping.wait(fault.seconds)
                answer = response
        if self.latency > 0:
            self._stopping.wait(self.latency)
        return record, answer

    def _control(self, method: str, path: str, body: bytes) -> Response:
        if path == "/_emu/stats" and method == "GET":
            return Response.json(200, self.stats())
        if path == "/_emu/reset" and method == "POST":
            self.reset()
            return Response.json(200, {"success": True})
        if path == "/_emu/config" and method == "GET":
            return Response.json(200, self.settings())
        if path == "/_emu/config" and method == "POST":
            try:
                self.configure(json.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                return Response.json(400, {"error": str(exc)})
            return Response.json(200, {"success": True})
        return Response.json(404, {"error": "Unknown control endpoint."})

    _CONFIGURABLE = (
        "latency", "clock_skew", "rate_window", "webhook_batch_size", "delivery_delay", "retry_delays",
        "duplicate_deliveries", "smspartner_notify_format", "affiliate_pending_polls",
        "affiliate_callback_url", "affiliate_callback_format", "affiliate_poll_by_reference",
        "hlr_webhook_content_type", "hlr_price_list_mix", "smspartner_notify_number", "affiliate_path_prefixes",
    )  # fmt: skip
    # Settings that pick one of the published variants.
    _CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {
        "hlr_routing_map_style": ("example", "table"),
        "smspartner_me_style": ("docs", "go-sdk"),
        "smspartner_lookup_style": ("docs", "go-sdk"),
        "affiliate_datetime_style": ("bsg", "iso"),
    }
    _RATES = ("fail_rate", "drop_rate", "malformed_rate")
    _MERGED = ("rate_limits", "rate_windows", "delivery_delays", "webhook_urls", "retry_after")
    _OTHERS = ("fault_seed", "fault_paths", "malformed_kinds")

    def settings(self) -> dict[str, Any]:
        """Every setting `configure` takes, with its current value (GET /_emu/config)."""
        names = (*self._CONFIGURABLE, *self._CHOICES, *self._RATES, *self._MERGED, *self._OTHERS)
        with self._lock:
            return {name: json.loads(json.dumps(getattr(self, name))) for name in names}

    def configure(self, settings: dict[str, Any]) -> None:
        """Change settings by name (used by POST /_emu/config and the command line).

        rate_limits, rate_windows, delivery_delays and webhook_urls are merged into the current ones; so is
        retry_after when given as an object (a number or null sets it for every provider). Invalid values
        raise ValueError or TypeError and change nothing.
        """
        if not isinstance(settings, dict):
            raise TypeError("a JSON object is expected")
        updates: dict[str, Any] = {}
        for key, value in settings.items():
            if key == "rate_limits":
                updates[key] = {**self.rate_limits, **{str(k): int(v) for k, v in dict(value).items()}}
            elif key in ("rate_windows", "delivery_delays"):
                updates[key] = {**getattr(self, key), **{str(k): float(v) for k, v in dict(value).items()}}
            elif key == "webhook_urls":
                updates[key] = {**self.webhook_urls, **{str(k): [str(u) for u in v] for k, v in dict(value).items()}}
            elif key == "retry_after":
                updates[key] = self._merged_retry_after(value)
            elif key in self._RATES:
                rate = float(value)
                if not 0.0 <= rate <= 1.0:
                    raise ValueError(f"{key} must be between 0 and 1")
                updates[key] = rate
            elif key == "fault_seed":
                updates[key] = None if value is None else int(value)
            elif key == "fault_paths":
                updates[key] = None if value is None else [str(p) for p in value]
            elif key == "malformed_kinds":
                kinds = [str(k) for k in value]
                if not kinds or any(k not in BROKEN_KINDS for k in kinds):
                    raise ValueError(f"malformed_kinds: a non-empty list among {', '.join(BROKEN_KINDS)}")
                updates[key] = kinds
            elif key in self._CHOICES:
                if value not in self._CHOICES[key]:
                    raise ValueError(f"{key} must be one of {', '.join(self._CHOICES[key])}")
                updates[key] = value
            elif key == "affiliate_path_prefixes":
                prefixes = [str(p).rstrip("/") for p in value]
                if not prefixes or any(p and not p.startswith("/") for p in prefixes):
                    raise ValueError("affiliate_path_prefixes: a non-empty list of '' or '/path'")
                updates[key] = prefixes
            elif key in self._CONFIGURABLE:
                updates[key] = value
            else:
                raise ValueError(f"unknown setting {key!r}")
        if sum(float(updates.get(k, getattr(self, k))) for k in self._RATES) > 1.0:
            raise ValueError("fail_rate + drop_rate + malformed_rate must not exceed 1")
        for key, value in updates.items():
            setattr(self, key, value)

    def _merged_retry_after(self, value: Any) -> float | dict[str, float | None] | None:
        def seconds(v: Any) -> float | None:
            if v is None:
                return None
            number = float(v)
            if number < 0:
                raise ValueError("retry_after must be >= 0 or null")
            return number

        if not isinstance(value, dict):
            return seconds(value)
        current = self.retry_after
        merged = dict(current) if isinstance(current, dict) else dict.fromkeys(PROVIDERS, current)
        merged.update({str(k): seconds(v) for k, v in value.items()})
        return merged
