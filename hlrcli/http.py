"""The one place that speaks HTTP: sessions, timeouts, retries with backoff, pacing, errors, redacted traces."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from hlrcli import __version__
from hlrcli.errors import AuthError, NetworkError, ProviderError, UncertainError
from hlrcli.redact import redact

RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


class Pacer:
    """Spaces request starts evenly under a per-minute rate (thread-safe): the GCRA of network shapers.

    `burst` requests may go early to make up for a late one (a busy moment must not lower the pace for the rest
    of the run); any window of W seconds then holds at most W·rate/60 + burst + 1 requests, so a caller keeps
    `burst` within the margin between its pace and the provider's limit.
    """

    def __init__(self, per_minute: float | None, burst: int = 0) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.tolerance = burst * self.interval
        self._tat = 0.0  # theoretical arrival time of the next request on the even grid
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat, now)
            slot = max(now, tat - self.tolerance)
            self._tat = tat + self.interval
        if slot > now:
            time.sleep(slot - now)


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


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


def describe_error(response: requests.Response) -> str:
    """The provider's own words for a failure, whichever of the three error shapes it used."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        if isinstance(body.get("errors"), list) and body["errors"]:
            return "; ".join(str(e) for e in body["errors"])
        for key in ("message", "errorDescription", "error_description", " errorDescription"):
            if body.get(key):
                return str(body[key])
    return f"HTTP {response.status_code} {response.reason or ''}".strip()


def json_body(payload: Any) -> bytes:
    """Serialise once: the bytes signed are the bytes sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class HttpClient:
    """A requests.Session for one provider with the retry, pacing and error rules every provider shares."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        timeout: float = 30.0,
        attempts: int = 5,
        auth: requests.auth.AuthBase | None = None,
        headers: Mapping[str, str] | None = None,
        per_minute: float | None = None,
        burst: int = 0,
        pool_size: int = 16,
        auth_hint: str | None = None,
        trace: Log = _quiet,
        notice: Log = _quiet,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.auth = auth
        self.auth_hint = auth_hint
        self.pacer = Pacer(per_minute, burst)
        self.trace = trace
        self.notice = notice
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"hlrcli/{__version__}"
        self.session.headers.update(headers or {})
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
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
    ) -> Any:
        """Send and return the decoded JSON answer.

        charged: the provider bills this request, so an answer lost after sending is not resent blindly:
        `replays` says how many such resends are acceptable (0 for batches: the caller records it as
        uncertain). Requests that never left, 429 and 502-504 are retried up to `attempts` times.
        accept_statuses: non-2xx statuses whose JSON body the caller wants to read itself.
        """
        url = self.base_url + path
        headers = {}
        if json is not None:
            data = json_body(json)
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            attempt += 1
            self.pacer.wait()
            started = time.monotonic()
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
                )
            except requests.ConnectionError as exc:  # ConnectTimeout lands here too: never sent
                sent = _was_sent(exc)
                why = "no answer after sending" if sent else "could not connect"
                self.trace(f"{method} {redact(url)}: {why}: {redact(str(exc))}")
                if sent and charged and replays <= 0:
                    raise UncertainError(
                        f"{self.provider}: the connection dropped after {method} {path} was sent; "
                        "the request may have been processed"
                    ) from None
                if sent and charged:
                    replays -= 1
                    self.notice(f"{self.provider}: the connection dropped after {method} {path}; sending it again")
                if attempt >= self.attempts:
                    raise NetworkError(f"{self.provider}: {why} ({type(exc).__name__}) at {redact(url)}") from None
                self._sleep(backoff(attempt), f"{why}; retrying")
                continue
            except requests.Timeout:
                self.trace(f"{method} {redact(url)}: read timeout after {self.timeout:g} s")
                if charged and replays <= 0:
                    raise UncertainError(
                        f"{self.provider}: no answer to {method} {path} within {self.timeout:g} s; "
                        "the request may have been processed"
                    ) from None
                if charged:
                    replays -= 1
                    self.notice(
                        f"{self.provider}: no answer to {method} {path} within {self.timeout:g} s; sending it again"
                    )
                if attempt >= self.attempts:
                    raise NetworkError(f"{self.provider}: read timeout after {self.timeout:g} s") from None
                self._sleep(backoff(attempt), "read timeout; retrying")
                continue
            except requests.RequestException as exc:
                raise NetworkError(f"{self.provider}: {redact(str(exc))}") from None
            elapsed = (time.monotonic() - started) * 1000
            self.trace(
                f"{method} {redact(response.url)} → {response.status_code} "
                f"in {elapsed:.0f} ms, sent {len(response.request.body or b'')} B, got {len(response.content)} B"
            )
            status = response.status_code
            if status in RETRY_STATUSES and attempt < self.attempts:
                wait = retry_after(response)
                self._sleep(wait if wait is not None else backoff(attempt), f"HTTP {status}; retrying")
                continue
            if status >= 400 and status not in accept_statuses:
                self._raise_for(response)
            try:
                return response.json()
            except ValueError:
                raise NetworkError(
                    f"{self.provider}: unreadable answer to {method} {path} "
                    f"(HTTP {status}, {len(response.content)} bytes, not JSON)"
                ) from None

    def _sleep(self, seconds: float, why: str) -> None:
        msg = f"{self.provider}: {why} in {seconds:.1f} s"
        (self.notice if seconds >= 5 else self.trace)(msg)
        time.sleep(seconds)

    def _raise_for(self, response: requests.Response) -> None:
        text = redact(describe_error(response))
        status = response.status_code
        if status in (401, 403):
            raise AuthError(f"authentication failed for {self.provider}: {text}", hint=self.auth_hint)
        raise ProviderError(f"{self.provider}: {text} (HTTP {status})", status=status)

    def close(self) -> None:
        self.session.close()
