"""The one place that speaks HTTP: sessions, timeouts, retries, pacing, the outcome of a billed request, traces.

A billed request ends in one of three ways, and only this module decides which:
- **accepted**: a 2xx answer whose body decodes to the expected JSON shape;
- **refused before processing** (nothing billed, safe to send again): 429, 401/403, a redirect, or an error body
  in the provider's own documented shape (`is_refusal`), whatever its status — including 502/503/504;
- **uncertain** (`UncertainError`: the provider may have processed and billed it): everything else after the
  request left — a dropped connection, a read timeout, an answer past its total deadline, a gateway's 502/503/504
  page, a truncated, oversized or malformed body, a body of the wrong JSON shape.
An uncertain billed request is never sent again here, except `replays` times where the caller accepts the cost.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import math
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ReadTimeoutError

from hlrcli import __version__
from hlrcli.errors import AuthError, Cancelled, ConfigError, NetworkError, ProviderError, UncertainError
from hlrcli.redact import redact

GATEWAY_STATUSES = frozenset({502, 503, 504})
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
MAX_BODY = 64 * 1024 * 1024  # no provider answer comes near this; a bigger one is a fault, not data
DEADLINE_FACTOR = 3  # a request may take at most this many --timeout in total, however slowly bytes drip in
GIVE_UP_AFTER = 15 * 60.0  # how long 429s are waited out before a row is given up
Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


class Pacer:
    """Spaces request starts under a per-minute rate (thread-safe): the GCRA of network shapers, made adaptive.

    `burst` requests may go early to make up for a late one; any window of W seconds then holds at most
    W·rate/60 + burst + 1 requests. A 429 means the provider's real limit is below our pace: `slow_down` doubles
    the interval (multiplicative decrease) and `recover` takes 5 % off per accepted request (slow recovery)
    until the configured pace is back. `hold` keeps every request back until a Retry-After has passed.
    """

    SLOWEST = 60.0  # seconds between requests: slower than any documented limit
    FIRST_STEP = 0.5  # the interval a 429 sets when no pace was configured

    def __init__(
        self,
        per_minute: float | None,
        burst: int = 0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = 60.0 / per_minute if per_minute else 0.0
        self.interval = self.base
        self.burst = burst
        self._tat = 0.0  # theoretical arrival time of the next request on the even grid
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep  # a test drives them with a clock of its own

    def wait(self, cancel: threading.Event | None = None) -> None:
        with self._lock:
            now = self._clock()
            if not self.interval and self._tat <= now:
                return
            tat = max(self._tat, now)
            # The catch-up burst only applies at the configured pace: after a 429 we go strictly even.
            tolerance = self.burst * self.interval if self.interval == self.base else 0.0
            slot = max(now, tat - tolerance)
            self._tat = tat + self.interval
        if slot > now:
            if cancel is None:
                self._sleep(slot - now)
            elif cancel.wait(slot - now):
                raise Cancelled("not sent: stopping")

    def slow_down(self) -> None:
        with self._lock:
            self.interval = min(self.SLOWEST, max(self.interval * 2, self.FIRST_STEP))

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._tat = max(self._tat, self._clock() + seconds)

    def recover(self) -> None:
        if self.interval > self.base:  # read without the lock: a stale value only delays recovery by one step
            with self._lock:
                self.interval = max(self.base, self.interval * 0.95)
                if self.interval < self.base * 1.01 or self.interval < 0.01:
                    self.interval = self.base


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, 3600.0)) if math.isfinite(seconds) else None


def backoff(attempt: int) -> float:
    # "Equal jitter": never less than half the exponential step, so a storm of clients spreads out.
    step = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return step / 2 + random.uniform(0, step / 2)


def _was_sent(exc: requests.ConnectionError) -> bool:
    """False when the connection never opened, so the provider cannot have seen (or billed) the request."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return not isinstance(reason, NewConnectionError | ConnectTimeoutError)


def describe_error(body: Any, status: int, reason: str = "") -> str:
    """The provider's own words for a failure, whichever of the three error shapes it used."""
    if isinstance(body, Mapping):
        if isinstance(body.get("errors"), list) and body["errors"]:
            return "; ".join(str(e) for e in body["errors"])
        for key in ("message", "errorDescription", "error_description", " errorDescription"):
            if body.get(key):
                return str(body[key])
    return f"HTTP {status} {reason or ''}".strip()


def json_body(payload: Any) -> bytes:
    """Serialise once: the bytes signed are the bytes sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def safe_url(url: str) -> str:
    """A URL fit for a message: no user:password, no query (it may carry a key), secrets redacted."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return redact(f"{parts.scheme}://{host}{parts.path}" if parts.scheme else parts.path)


# A total deadline per request --------------------------------------------------------------------------------
_local = threading.local()


class _Deadline:
    """One request's total time; when it passes, the watchdog shuts the request's socket."""

    __slots__ = ("at", "conn", "done", "fired", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.conn: Any = None
        self.fired = False
        self.done = False

    def __lt__(self, other: _Deadline) -> bool:
        return self.at < other.at


class _Watchdog:
    """One thread for every request's deadline (read timeouts are per byte: a dripping answer never trips them)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[_Deadline] = []
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float) -> _Deadline:
        deadline = _Deadline(seconds)
        _local.deadline = deadline
        with self._cond:
            heapq.heappush(self._heap, deadline)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hlrcli-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0] is deadline:
                self._cond.notify()
        return deadline

    def disarm(self, deadline: _Deadline) -> None:
        _local.deadline = None
        with self._cond:
            deadline.done = True

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0].done:
                    heapq.heappop(self._heap)  # finished in time
                if not self._heap:
                    self._cond.wait()
                    continue
                first = self._heap[0]
                delay = first.at - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                first.done = first.fired = True
            sock = getattr(first.conn, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


WATCHDOG = _Watchdog()


class _WatchedPool(HTTPConnectionPool):
    def _make_request(self, conn: Any, *args: Any, **kw: Any) -> Any:
        deadline = getattr(_local, "deadline", None)
        if deadline is not None:
            deadline.conn = conn  # what the watchdog shuts if the deadline passes
        return super()._make_request(conn, *args, **kw)


class _WatchedHttpsPool(_WatchedPool, HTTPSConnectionPool):
    pass


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kw: Any) -> None:
        super().init_poolmanager(*args, **kw)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedHttpsPool}


class HttpClient:
    """A requests.Session for one provider with the retry, pacing and outcome rules every provider shares."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        timeout: float = 30.0,
        attempts: int = 5,
        give_up_after: float = GIVE_UP_AFTER,
        auth: requests.auth.AuthBase | None = None,
        headers: Mapping[str, str] | None = None,
        per_minute: float | None = None,
        burst: int = 0,
        pool_size: int = 16,
        auth_hint: str | None = None,
        base_setting: str = "",
        is_refusal: Callable[[Any], bool] = lambda body: False,
        trace: Log = _quiet,
        notice: Log = _quiet,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.give_up_after = give_up_after
        self.auth = auth
        self.auth_hint = auth_hint
        self.base_setting = base_setting
        self.is_refusal = is_refusal
        self.pacer = Pacer(per_minute, burst)
        self.cancel = threading.Event()  # set when stopping: requests not yet sent are not sent
        self.trace = trace
        self.notice = notice
        self.session = requests.Session()
        # The environment is read once here, not on every request (proxies, CA bundle), and never ~/.netrc:
        # credentials from it would be sent along with ours.
        self.session.trust_env = False
        self.session.proxies = requests.utils.get_environ_proxies(self.base_url or "https://x", no_proxy=None)
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        self.session.verify = bundle or True  # never False: TLS verification is not optional
        self.session.headers["User-Agent"] = f"hlrcli/{__version__}"
        self.session.headers.update(headers or {})
        adapter = _Adapter(pool_connections=1, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        charged: bool = False,
        replays: int = 0,
        accept_statuses: frozenset[int] = frozenset(),
        expect: type | None = dict,
    ) -> Any:
        """Send and return the decoded JSON answer (of type `expect`, unless None).

        charged: the provider bills this request, so an uncertain outcome raises UncertainError instead of being
        retried; `replays` says how many resends after a lost answer are acceptable (1 for a single lookup,
        documented; 0 for batches, which journal the request as uncertain). Requests that never left and refused
        ones (5xx in the provider's own error shape) are retried up to `attempts` times; 429 until
        `give_up_after` seconds have passed.
        accept_statuses: non-2xx statuses whose body the caller reads itself (providers that answer errors in
        their own JSON with a 4xx status).
        """
        url = self.base_url + path
        headers = {}
        if json is not None:
            data = json_body(json)
            headers["Content-Type"] = "application/json"
        attempt = 0
        started_at = time.monotonic()
        while True:
            attempt += 1
            self.pacer.wait(self.cancel)
            if self.cancel.is_set():
                raise Cancelled("not sent: stopping")
            started = time.monotonic()
            try:
                response, body = self._exchange(method, url, params, data, files, headers)
            except _Lost as lost:
                why, sent = lost.why, lost.sent
                self.trace(f"{method} {safe_url(url)}: {why}")
                if sent and charged:
                    # Billed and maybe processed: never a plain failure, whatever attempts are left.
                    if replays <= 0 or attempt >= self.attempts:
                        raise UncertainError(
                            f"{self.provider}: {why} after {method} {path} was sent; "
                            "the request may have been processed"
                        ) from None
                    replays -= 1
                    self.notice(f"{self.provider}: {why} after {method} {path}; sending it again")
                elif attempt >= self.attempts:
                    raise NetworkError(f"{self.provider}: {why} at {safe_url(url)}") from None
                self._sleep(backoff(attempt), f"{why}; retrying")
                continue
            status = response.status_code
            elapsed = (time.monotonic() - started) * 1000
            self.trace(
                f"{method} {redact(response.url)} → {status} in {elapsed:.0f} ms, "
                f"sent {len(response.request.body or b'')} B, got {len(body)} B"
            )
            if 300 <= status < 400:
                where = response.headers.get("Location") or "nowhere"
                raise ConfigError(
                    f"{self.provider}: the API answered {status}, a redirect to {safe_url(where)}; hlrcli never "
                    "follows redirects (the credentials would go along)",
                    hint=f"if the provider moved, set {self.base_setting or 'the base URL'} to the new address",
                )
            decoded, readable = _decode(body)
            if status == 429:
                wait = retry_after(response)
                if time.monotonic() - started_at >= self.give_up_after:
                    raise ProviderError(
                        f"{self.provider}: still rate limited (HTTP 429) after {self.give_up_after:g} s; nothing "
                        "was processed",
                        status=429,
                    )
                if wait is not None:
                    self.pacer.hold(wait)
                self.pacer.slow_down()
                (self.notice if (wait or 0) >= 5 else self.trace)(
                    f"{self.provider}: rate limited (HTTP 429); slowing down"
                    + (f", waiting {wait:g} s" if wait else "")
                )
                attempt -= 1  # a 429 costs no attempt: the deadline bounds it
                continue
            refused = readable and self.is_refusal(decoded)
            if status >= 500 and not refused:
                # Not the provider's own error: a gateway's page, or a crash after the work may have been done.
                why = f"HTTP {status} without the provider's error body"
                if charged and (replays <= 0 or attempt >= self.attempts):
                    raise UncertainError(
                        f"{self.provider}: {why} after {method} {path} was sent; the request may have been processed"
                    )
                if charged:
                    replays -= 1
                    self.notice(f"{self.provider}: {why} after {method} {path}; sending it again")
                elif status not in GATEWAY_STATUSES or attempt >= self.attempts:
                    raise NetworkError(f"{self.provider}: {why} at {safe_url(url)}")
                self._sleep(backoff(attempt), f"HTTP {status}; retrying")
                continue
            # A status the caller reads itself still needs the provider's own error body: a bare 404 page from a
            # wrong address is not an answer.
            if status >= 400 and (status not in accept_statuses or not refused):
                if status in GATEWAY_STATUSES and attempt < self.attempts:
                    self._sleep(backoff(attempt), f"HTTP {status}; retrying")  # refused: nothing was processed
                    continue
                self._raise_for(decoded if readable else None, response)
            if not readable or (expect is not None and not isinstance(decoded, expect)):
                what = "not JSON" if not readable else f"JSON of the wrong shape ({type(decoded).__name__})"
                why = f"an unreadable answer ({what}, HTTP {status}, {len(body)} bytes)"
                if not charged:
                    raise NetworkError(f"{self.provider}: {why} to {method} {path}")
                if replays <= 0 or attempt >= self.attempts:
                    raise UncertainError(
                        f"{self.provider}: {why} to {method} {path}; the request may have been processed"
                    )
                replays -= 1
                self.notice(f"{self.provider}: {why} to {method} {path}; sending it again")
                continue
            self.pacer.recover()
            return decoded

    def _exchange(
        self, method: str, url: str, params: Any, data: Any, files: Any, headers: dict[str, str]
    ) -> tuple[requests.Response, bytes]:
        """One request and its whole body, bounded in size and in total time; _Lost when there is no answer."""
        deadline = WATCHDOG.arm(self.timeout * DEADLINE_FACTOR)
        try:
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    files=files,
                    headers=headers,
                    auth=self.auth,
                    timeout=(self.timeout, self.timeout),
                    allow_redirects=False,
                    stream=True,
                )
            except (
                requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema,
            ):
                raise ConfigError(
                    f"{self.provider}: the API address is not a usable URL",
                    hint=f"check {self.base_setting or 'the base URL setting'} (`hlrcli config show`)",
                ) from None
            except requests.RequestException as exc:
                raise self._lost(exc, deadline) from None
            try:
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > MAX_BODY:
                    raise _Lost(f"an answer of {int(declared)} bytes (over {MAX_BODY})", sent=True)
                parts: list[bytes] = []
                size = 0
                for part in response.iter_content(1 << 16):
                    size += len(part)
                    if size > MAX_BODY:
                        raise _Lost(f"an answer over {MAX_BODY} bytes", sent=True)
                    parts.append(part)
            except requests.RequestException as exc:
                raise self._lost(exc, deadline) from None
            finally:
                response.close()
        finally:
            WATCHDOG.disarm(deadline)
        if deadline.fired:
            raise _Lost(f"no complete answer within {deadline.seconds:g} s", sent=True)
        return response, b"".join(parts)

    def _lost(self, exc: Exception, deadline: _Deadline) -> _Lost:
        if deadline.fired:
            return _Lost(f"no complete answer within {deadline.seconds:g} s", sent=True)
        reason = exc.args[0] if exc.args else None
        if isinstance(exc, requests.Timeout) or isinstance(reason, ReadTimeoutError):
            if isinstance(exc, requests.ConnectTimeout):
                return _Lost("could not connect (timeout)", sent=False)
            return _Lost(f"no answer within {self.timeout:g} s", sent=True)
        if isinstance(exc, requests.ConnectionError):
            sent = _was_sent(exc)
            return _Lost("the connection dropped" if sent else "could not connect", sent=sent)
        return _Lost(f"the answer broke off ({type(exc).__name__})", sent=True)

    def _sleep(self, seconds: float, why: str) -> None:
        msg = f"{self.provider}: {why} in {seconds:.1f} s"
        (self.notice if seconds >= 5 else self.trace)(msg)
        if self.cancel.wait(seconds):
            raise Cancelled("not sent: stopping")

    def _raise_for(self, body: Any, response: requests.Response) -> None:
        status = response.status_code
        text = redact(describe_error(body, status, response.reason or ""))
        if status in (401, 403):
            raise AuthError(f"authentication failed for {self.provider}: {text}", hint=self.auth_hint)
        raise ProviderError(f"{self.provider}: {text} (HTTP {status})", status=status)

    def close(self) -> None:
        self.session.close()


class _Lost(Exception):
    """No usable answer; `sent` says whether the provider may have seen the request."""

    def __init__(self, why: str, *, sent: bool) -> None:
        super().__init__(why)
        self.why, self.sent = why, sent


def _decode(body: bytes) -> tuple[Any, bool]:
    if not body.strip():
        return None, False
    try:
        return json.loads(body), True
    except (ValueError, RecursionError):
        return None, False
