"""The webhook receiver's HTTP side, on the standard library's `http.server.ThreadingHTTPServer`.

Why the standard library: no extra dependency for a CLI most users run without a receiver; a thread per
request is plenty for webhook volume (a hlrlookups delivery carries up to 1000 results, SMS Partner posts one
notification per number: at most hundreds of small SQLite writes a second); and TLS, HTTP/2, connection limits
and exposure to the internet belong to a reverse proxy (nginx, Caddy) in production, so this server only ever
speaks plain HTTP/1.1 on a private address. Every answer closes its connection: no idle keep-alive thread is
left to wait for at shutdown.

Endpoints under PATH (default /hlrcli):
    POST PATH/hlrlookups            signed: X-Signatures checked against sha256(key + secret + raw body)
    POST PATH/smspartner?token=T    unsigned: T must equal the webhook token (hlrcli.webhook.webhook_token)
    POST PATH/affiliate?token=T     unsigned: same
    GET  PATH/health                200 "ok" while the store answers (reverse proxies, systemd checks)
(hlrlookups signs its deliveries; the providers whose callbacks are unsigned authenticate by the URL token.)

Checks, in order, and their status codes:
    404 unknown path · 405 wrong method (with Allow) · 503 too many requests at once (the sender retries) ·
    401 missing/wrong token, or hlrlookups credentials not configured on this receiver (the provider keeps
    retrying for ~34 h: configure them and restart) · 415 a Content-Type that cannot carry results (images,
    XML…; the providers do not document theirs, so JSON, form, multipart, text and none are all read) ·
    411 no length · 413 body over --max-body, refused from its Content-Length before a byte of it is read ·
    408 headers or body too slow (a connection is closed READ_DEADLINE seconds after it opened, whatever
    trickles in) · 401 no valid signature (checked over the raw bytes) · 400 undecodable or absurdly nested
    body · 500 the store failed (the provider retries later) · 200 once every result is committed
    (synchronous=FULL), including a repeated delivery (stored once).
Nothing is stored unless the answer is 200.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import re
import socket
import sqlite3
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hlrcli.batch.book import JobBook
from hlrcli.config import Settings
from hlrcli.payloads import PayloadError, media_type
from hlrcli.providers import provider_class
from hlrcli.store import Store
from hlrcli.webhook import DEFAULT_PATH, PROVIDERS, normalise_path, token_providers, webhook_token

DEFAULT_MAX_BODY = 8 * 1024 * 1024  # hlr-lookups' biggest delivery (1000 results) is about 1 MB
DEFAULT_MAX_CONNECTIONS = 16  # bodies read at once: bounds memory at max_body × this
# Providers give up on an answer after 10 s; a client slower than this is not a provider.
READ_TIMEOUT = 15.0
SLOT_WAIT = 5.0  # seconds a request waits for a free connection slot before it is answered 503 (retry later)
READ_DEADLINE = 30.0  # headers and body, in total: a slow drip of bytes does not keep a connection open
# Types that cannot carry a result; anything else (JSON, form, multipart, text, none) is read by its content.
REFUSED_TYPES = ("image/", "audio/", "video/", "font/", "application/xml", "text/xml", "application/pdf",
                 "application/octet-stream", "application/zip")  # fmt: skip
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Outcome:
    """What one request came to: the log line's fields."""

    provider: str
    status: int
    stored: int = 0
    received: int = 0
    reason: str = ""


class Receiver:
    """What the server needs beyond HTTP: the routes, the secrets, the store, the log."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        path: str,
        max_body: int,
        log: Log,
        max_connections: int,
        read_deadline: float = READ_DEADLINE,
        slot_wait: float = SLOT_WAIT,
    ) -> None:
        self.read_deadline = read_deadline
        self.slot_wait = slot_wait
        self.settings = settings
        self.store = store
        self.max_body = max_body
        self.log = log
        self.path = normalise_path(path)
        self.routes = {f"{self.path}/{p}": p for p in PROVIDERS}
        self.health_path = f"{self.path}/health"
        self._token = webhook_token(settings).encode()
        # Signed providers can only be verified with their credentials; without them every delivery is refused.
        self.unverifiable = {
            p for p in PROVIDERS if p not in token_providers() and not provider_class(p).configured(settings)
        }
        self.slots = threading.BoundedSemaphore(max_connections)
        self.max_connections = max_connections
        self._lock = threading.Lock()
        self.stored = 0  # results stored since start, for the closing summary

    def token_ok(self, given: str) -> bool:
        # Bytes: compare_digest refuses non-ASCII str, and a query may carry anything.
        return hmac.compare_digest(self._token, given.encode("utf-8", "replace"))

    def deliver(self, provider: str, body: bytes, content_type: str | None) -> Outcome:
        """Parse and store one verified body (PayloadError for an undecodable one)."""
        try:
            parsed = provider_class(provider).parse_callback(body, content_type)
        except RecursionError:
            raise PayloadError("the body is nested too deeply") from None
        # Interim statuses (affiliate "sent") are acknowledged so the sender stops; the final one follows.
        stored = JobBook.record_results(self.store, parsed)
        with self._lock:
            self.stored += stored
        return Outcome(provider, 200, stored, len(parsed))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # for Expect: 100-continue; every answer still closes the connection
    server_version = "hlrcli-webhook"  # and no Python version in the Server header (see version_string)
    timeout = READ_TIMEOUT
    server: WebhookServer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        # Per-read timeouts let a client drip one byte every few seconds forever: this bounds the whole read.
        self._deadline = threading.Timer(self.server.receiver.read_deadline, self._expire)
        self._deadline.daemon = True
        self._deadline.start()
        self._expired = False

    def _expire(self) -> None:
        self._expired = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _read_done(self) -> None:
        self._deadline.cancel()

    def finish(self) -> None:
        self._deadline.cancel()
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the default line would print the query string, token included. `_finish` logs instead."""

    def handle_expect_100(self) -> bool:
        # Refuse an oversized body before the client sends it (curl waits for 100 Continue on big posts).
        length = self.headers.get("Content-Length", "")
        if length.strip().isdigit() and int(length) > self.server.receiver.max_body:
            self._finish(Outcome(self._provider_name(), 413, reason="body over the limit"), "body too large")
            return False
        return super().handle_expect_100()

    def do_POST(self) -> None:
        self._dispatch()

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    # Routing ---------------------------------------------------------------------------------------------
    def _route(self) -> str:
        route = urlsplit(self.path).path
        return route.rstrip("/") if route != "/" else route

    def _provider_name(self) -> str:
        return self.server.receiver.routes.get(self._route(), "-")

    def _dispatch(self) -> None:
        receiver = self.server.receiver
        route = self._route()
        if route == receiver.health_path:
            self._health()
            return
        provider = receiver.routes.get(route)
        if provider is None:
            self._finish(Outcome("-", 404, reason="unknown path"), "not found")
            return
        if self.command != "POST":
            self._finish(Outcome(provider, 405, reason=f"method {self.command}"), "method not allowed",
                         {"Allow": "POST"})  # fmt: skip
            return
        if not receiver.slots.acquire(timeout=receiver.slot_wait):
            self._finish(Outcome(provider, 503, reason="too many requests at once"), "busy", {"Retry-After": "30"})
            return
        try:
            outcome = self._receive(provider)
        except Exception as exc:  # the store failed, or a bug: 500, and the provider retries later
            outcome = Outcome(provider, 500, reason=f"{type(exc).__name__}: {exc}")
        finally:
            receiver.slots.release()
        texts = {200: "ok", 500: "internal error"}
        self._finish(outcome, texts.get(outcome.status, outcome.reason))

    def _health(self) -> None:
        self._read_done()
        if self.command not in ("GET", "HEAD"):
            self._finish(Outcome("health", 405, reason=f"method {self.command}"), "method not allowed",
                         {"Allow": "GET, HEAD"})  # fmt: skip
            return
        try:
            self.server.receiver.store.query("SELECT 1")
        except sqlite3.Error as exc:
            self._finish(Outcome("health", 503, reason=f"store: {exc}"), "store unavailable")
            return
        self._finish(Outcome("health", 200), "ok")

    def _receive(self, provider: str) -> Outcome:
        receiver = self.server.receiver
        if provider in token_providers():
            given = parse_qs(urlsplit(self.path).query, keep_blank_values=True).get("token", [])
            if len(given) != 1 or not receiver.token_ok(given[0]):
                return Outcome(provider, 401, reason="missing or wrong token")
        elif provider in receiver.unverifiable:
            names = ", ".join(provider_class(provider).required)
            return Outcome(provider, 401, reason=f"{names} not configured on this receiver")
        content_type = self.headers.get("Content-Type")
        mtype, _ = media_type(content_type)
        if mtype.startswith(REFUSED_TYPES):
            return Outcome(provider, 415, reason=f"unsupported Content-Type {mtype}")
        body_or_refusal = self._read_body(provider)
        if isinstance(body_or_refusal, Outcome):
            return body_or_refusal
        body = body_or_refusal
        if provider not in token_providers():
            # Several X-Signatures headers are read as one list: any valid entry authenticates.
            header = ";".join(self.headers.get_all("X-Signatures") or [])
            if not provider_class(provider).callback_signature_ok(receiver.settings, header, body):
                return Outcome(provider, 401, reason="no valid X-Signatures entry")
        try:
            return receiver.deliver(provider, body, content_type)
        except PayloadError as exc:
            return Outcome(provider, exc.status, reason=str(exc))

    # Body ------------------------------------------------------------------------------------------------
    def _read_body(self, provider: str) -> bytes | Outcome:
        try:
            body = self._read_body_bounded(provider)
        finally:
            self._read_done()
        if self._expired:
            return Outcome(provider, 408, reason="body too slow")
        return body

    def _read_body_bounded(self, provider: str) -> bytes | Outcome:
        limit = self.server.receiver.max_body
        lengths = set(self.headers.get_all("Content-Length") or [])
        encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if encoding:
            # Both headers, or another coding, is how request smuggling starts: refuse the ambiguity.
            if encoding != "chunked" or lengths:
                return Outcome(provider, 400, reason="unsupported Transfer-Encoding")
            return self._read_chunked(provider, limit)
        if not lengths:
            return Outcome(provider, 411, reason="no Content-Length")
        if len(lengths) > 1 or not next(iter(lengths)).strip().isdigit():
            return Outcome(provider, 400, reason="bad Content-Length")
        length = int(next(iter(lengths)))
        if length > limit:
            return Outcome(provider, 413, reason=f"body of {length} bytes over the limit of {limit}")
        try:
            body = self.rfile.read(length)
        except (TimeoutError, OSError):
            return Outcome(provider, 408, reason="body too slow")
        if len(body) < length:
            return Outcome(provider, 400, reason="body shorter than its Content-Length")
        return body

    def _read_chunked(self, provider: str, limit: int) -> bytes | Outcome:
        parts: list[bytes] = []
        total = 0
        try:
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    return Outcome(provider, 400, reason="bad chunk")
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers: ignored
                    return b"".join(parts)
                total += size
                if total > limit:
                    return Outcome(provider, 413, reason=f"chunked body over the limit of {limit}")
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    return Outcome(provider, 400, reason="truncated chunk")
                parts.append(chunk)
                self.rfile.readline(1024)
        except (TimeoutError, OSError):
            return Outcome(provider, 408, reason="body too slow")

    # Answer ----------------------------------------------------------------------------------------------
    def _finish(self, outcome: Outcome, text: str, headers: dict[str, str] | None = None) -> None:
        # Logged before answering: once the sender has its answer, the line is already written.
        if outcome.provider != "health" or outcome.status != 200:  # a proxy probing every few seconds
            line = (
                f"webhook {outcome.provider} {outcome.status} {outcome.stored}/{outcome.received} from {self._client()}"
            )
            self.server.receiver.log(line + (f": {_printable(outcome.reason)}" if outcome.reason else ""))
        body = (_printable(text) + "\n").encode()
        # Closing after each answer also discards whatever body was not read (401, 413, 415…).
        self.close_connection = True
        try:
            self.send_response(outcome.status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass  # the sender went away; if it was a provider, it retries

    def _client(self) -> str:
        peer = str(self.client_address[0])
        forwarded = (self.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
        # Behind a reverse proxy every peer is the proxy: show whom it says it forwards, marked as such.
        try:
            if forwarded and ipaddress.ip_address(peer).is_loopback:
                return f"{ipaddress.ip_address(forwarded)} (via {peer})"
        except ValueError:
            pass
        return peer


def _printable(text: str, limit: int = 200) -> str:
    """Header-derived text in a log line: no control characters (no forged lines), bounded length."""
    cleaned = _UNPRINTABLE.sub("?", text)
    return cleaned if len(cleaned) <= limit else cleaned[:limit] + "…"


class WebhookServer(ThreadingHTTPServer):
    """A threaded HTTP server that counts requests in flight, so a stop lets them finish their commit."""

    daemon_threads = True
    block_on_close = False  # our own drain instead: bounded, and the same on every Python version
    allow_reuse_address = True
    request_queue_size = 128  # a provider flushing a backlog opens many connections at once

    def __init__(self, receiver: Receiver, host: str, port: int) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.receiver = receiver
        self._idle = threading.Condition()
        self._active = 0
        self.owns_store = False
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _Handler)

    @property
    def host(self) -> str:
        return str(self.server_address[0])

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.receiver.path}"

    def endpoint(self, provider: str) -> str:
        return f"{self.base_url}/{provider}"

    def process_request(self, request: Any, client_address: Any) -> None:
        # Counted here, in the accepting thread, so a stop right after accept still waits for this request.
        with self._idle:
            if self._active >= self.receiver.max_connections * 4:
                # A flood of idle connections: refuse more rather than hold a thread for each.
                self.shutdown_request(request)
                return
            self._active += 1
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._done()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._done()

    def _done(self) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback on stderr; one line is enough (the handler already answered 500).
        exc = sys.exc_info()[1]
        self.receiver.log(f"webhook connection error from {client_address[0]}: {type(exc).__name__}")

    def start(self) -> threading.Thread:
        """Serve in a background thread (tests, and `serve`, whose main thread waits for signals)."""
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, name="hlrcli-webhook", daemon=True
        )
        self._thread.start()
        return self._thread

    def stop(self, grace: float = READ_TIMEOUT) -> bool:
        """Stop accepting, let requests in flight finish (up to `grace` seconds), close the socket.

        Returns False if some request was still running after the grace period. A store given to make_server
        is the caller's to close; one it opened itself is closed here.
        """
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        with self._idle:
            drained = self._idle.wait_for(lambda: self._active == 0, grace)
        self.server_close()
        if self.owns_store:
            self.receiver.store.close()
        return drained


def make_server(
    settings: Settings,
    store: Store | None = None,
    host: str = "127.0.0.1",
    port: int = 8080,
    path: str = DEFAULT_PATH,
    max_body: int = DEFAULT_MAX_BODY,
    log: Log | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    read_deadline: float = READ_DEADLINE,
    slot_wait: float = SLOT_WAIT,
) -> WebhookServer:
    """A bound, not yet serving receiver: call `.start()` (background thread) or `.serve_forever()`.

    `store`: the job store, opened with `durable=True` (200 promises the provider its results survive a power
    cut); by default the settings' own, opened here and closed by `stop()`.
    `log` receives one line per request (without the `hlrcli: ` prefix); port 0 picks a free port (`.port`).
    """
    own = store is None
    server_store = Store.open(settings.home(), durable=True) if store is None else store
    try:
        receiver = Receiver(
            settings, server_store, path, max_body, log or _quiet, max_connections, read_deadline, slot_wait
        )
        server = WebhookServer(receiver, host, port)
    except BaseException:
        if own:
            server_store.close()
        raise
    server.owns_store = own
    return server
