"""A real local HTTP server imitating the three providers, with fault injection and charge accounting.

One `ThreadingHTTPServer` serves all three providers under different path prefixes:

    /hlr/api/v2/...     hlrlookups      (hlr-lookups.com /api/v2)
    /smspartner/v1/...  smspartner      (api.smspartner.fr /v1)
    /affiliate/...      affiliate       (api.affiliate-sms.com)
    /_emu/...           control endpoints (stats, reset, config) for a client in another process

Order of events for a provider request: it is recorded; an injected fault, if one matches, takes over; else
the rate limit is checked; else the provider processes it (and charges). Then `latency` is slept and the
answer is sent.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import sys
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Protocol
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
    status: int = 0  # status answered; 0 when the connection was dropped (or not answered yet)
    time: float = 0.0  # time.monotonic() at receipt

    def json(self) -> Any:
        return json.loads(self.body)


class Charge(NamedTuple):
    provider: str
    kind: str  # "HLR" | "MNP" | "NT"
    number: str  # E.164, "+" and digits, whatever the format sent


@dataclass
class _Fault:
    action: str  # "respond" | "drop" | "delay"
    path: str | None
    provider: str | None
    remaining: int
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    garbage: bool = False
    after_processing: bool = True
    seconds: float = 0.0

    def matches(self, provider: str, path: str) -> bool:
        if self.provider is not None and self.provider != provider:
            return False
        return self.path is None or _path_matches(path, provider, self.path)


def _path_matches(rel: str, provider: str, wanted: str) -> bool:
    """Suffix match, on the relative or the full path ("/hlr-lookup" does not match "/hlr-lookups")."""
    return rel.endswith(wanted) or (PREFIXES[provider] + rel).endswith(wanted)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # 32 benchmark workers may connect at once; the default backlog of 5 would make some wait a SYN retry.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self.accepted = 0
        super().__init__(address, _Handler)

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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hlr-emulator/1.0"
    sys_version = ""
    timeout = 120.0  # idle kept-alive connections are closed after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without NODELAY, Nagle + delayed ACK add ~40 ms per answer.
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
        record, response = emu._dispatch(self.command, split.path, query, headers, body)
        if response is None:  # an injected drop: close without a byte of answer
            self.close_connection = True
            return
        if self._send(response) and record is not None:
            record.status = response.status

    def _send(self, response: Response) -> bool:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(response.body)
            return True
        except OSError:
            self.close_connection = True
            return False


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
        # Requests per `rate_window` seconds per provider; smspartner counts only /hlr/notify and /lookup.
        self.rate_limits: dict[str, int] = {"smspartner": 360}
        self.rate_window = 60.0
        # Account webhook URLs (only "hlrlookups" uses them): async lookup results are POSTed there.
        self.webhook_urls: dict[str, list[str]] = {"hlrlookups": []}
        self.webhook_batch_size = 1000
        self.delivery_delay = 0.05
        self.delivery_timeout = 10.0
        self.retry_delays: list[float] = [0.2, 0.4, 0.8, 1.6]
        self.duplicate_deliveries = False
        self.hlr_max_batch = 1000
        self.smspartner_max_numbers = 500
        self.smspartner_notify_format = "form"  # or "json"
        self.smspartner_error_http_status: int | None = None  # e.g. 200: errors answered as HTTP 200
        self.rental_tokens: dict[str, int] = dict(DEFAULT_RENTAL_TOKENS)
        self.affiliate_pending_polls = 1
        self.affiliate_callback_url: str | None = None
        self.affiliate_callback_format = "json"  # or "form"
        self.affiliate_max_batch = 1000
        # Tracebacks of unexpected exceptions in the emulator (answered 500): tests may assert it stays empty.
        self.server_errors: list[str] = []

        self._lock = threading.RLock()
        self._requests: deque[RequestRecord] = deque(maxlen=record_limit)
        self._request_total = 0
        self._charges: list[Charge] = []
        self._faults: list[_Fault] = []
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
        self._port: int | None = None  # kept after stop(): URLs stay valid and a restart reuses the port
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        port = self._port if self._port is not None else self._requested_port
        self._server = _Server((self.host, port), self)
        self._port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="emulator-http",
            daemon=True,
        )
        self._thread.start()
        self._deliverer.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        self._deliverer.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)

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

    def stats(self) -> dict[str, Any]:
        numbers = self.charged_numbers()
        with self._lock:
            total = self._request_total
        return {
            "charges": sum(numbers.values()),
            "charged_distinct": len(numbers),
            "requests": total,
            "max_charges_per_number": max(numbers.values(), default=0),
            "by_provider": {p: self.charge_count(p) for p in PROVIDERS},
            "deliveries": len(self.deliveries),
        }

    def reset(self) -> None:
        """Forget requests, charges, faults, stored lookups, pending deliveries; settings are kept."""
        with self._lock:
            self._requests.clear()
            self._request_total = 0
            self._charges.clear()
            self._faults.clear()
            self._rate_hits.clear()
            self.server_errors.clear()
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
        """The next `times` matching requests get this answer, unprocessed and uncharged."""
        self._add_fault(_Fault("respond", path, provider, times, status=status, body=body, headers=headers or {}))

    def inject_garbage(
        self, path: str | None = None, provider: str | None = None, times: int = 1, status: int = 200
    ) -> None:
        """The next matching requests get a truncated JSON body (labelled application/json), unprocessed."""
        self._add_fault(_Fault("respond", path, provider, times, status=status, garbage=True))

    def inject_drop(
        self,
        path: str | None = None,
        provider: str | None = None,
        times: int = 1,
        after_processing: bool = True,
    ) -> None:
        """Close the connection without answering; after processing (charged) unless told otherwise."""
        self._add_fault(_Fault("drop", path, provider, times, after_processing=after_processing))

    def inject_delay(
        self, seconds: float, path: str | None = None, provider: str | None = None, times: int = 1
    ) -> None:
        """Process normally, then wait `seconds` (on top of `latency`) before answering."""
        self._add_fault(_Fault("delay", path, provider, times, seconds=seconds))

    def _add_fault(self, fault: _Fault) -> None:
        if fault.provider is not None and fault.provider not in PREFIXES:
            raise ValueError(f"unknown provider {fault.provider!r}")
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

    # -- internals used by the provider modules -------------------------------------------------------------

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
        copies = 2 if self.duplicate_deliveries else 1
        for _ in range(copies):
            self._deliverer.submit(provider, url, body, headers, self.delivery_delay, strict_200=strict_200)

    def _server_error(self, text: str) -> None:
        with self._lock:
            self.server_errors.append(text)

    # -- request pipeline -----------------------------------------------------------------------------------

    def _rate_limited(self, provider: _Provider, path: str) -> bool:
        limit = self.rate_limits.get(provider.name)
        if not limit or not provider.counts_for_rate_limit(path):
            return False
        now = time.monotonic()
        with self._lock:
            hits = self._rate_hits.setdefault(provider.name, deque())
            while hits and hits[0] <= now - self.rate_window:
                hits.popleft()
            if len(hits) >= limit:
                return True  # refused requests do not count: a client backing off gets through
            hits.append(now)
            return False

    def _process(self, provider: _Provider, call: Call) -> Response:
        if self._rate_limited(provider, call.path):
            return provider.too_many_requests()
        try:
            return provider.handle(call)
        except Exception:
            self._server_error(traceback.format_exc())
            return provider.error(500, "Internal server error.")

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], headers: Headers, body: bytes
    ) -> tuple[RequestRecord | None, Response | None]:
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

        fault = self._take_fault(name, rel)
        response: Response | None
        if fault is None:
            response = self._process(provider, call)
        elif fault.action == "respond":
            response = self._fault_response(fault, provider)
        elif fault.action == "drop":
            if fault.after_processing:
                self._process(provider, call)
            response = None
        else:
            response = self._process(provider, call)
            time.sleep(fault.seconds)
        if self.latency > 0:
            time.sleep(self.latency)
        return record, response

    def _control(self, method: str, path: str, body: bytes) -> Response:
        if path == "/_emu/stats" and method == "GET":
            return Response.json(200, self.stats())
        if path == "/_emu/reset" and method == "POST":
            self.reset()
            return Response.json(200, {"success": True})
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
        "affiliate_callback_url", "affiliate_callback_format",
    )  # fmt: skip

    def configure(self, settings: dict[str, Any]) -> None:
        """Change settings by name (used by POST /_emu/config); rate_limits and webhook_urls are merged."""
        if not isinstance(settings, dict):
            raise TypeError("a JSON object is expected")
        for key, value in settings.items():
            if key == "rate_limits":
                self.rate_limits.update({str(k): int(v) for k, v in dict(value).items()})
            elif key == "webhook_urls":
                self.webhook_urls.update({str(k): [str(u) for u in v] for k, v in dict(value).items()})
            elif key in self._CONFIGURABLE:
                setattr(self, key, value)
            else:
                raise ValueError(f"unknown setting {key!r}")
