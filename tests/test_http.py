"""The HTTP layer seen from the CLI: auth, clock skew, retries, timeouts, dropped answers, redacted traces."""

from __future__ import annotations

import hashlib
import re

import pytest

from hlrcli import __version__
from tests.conftest import assert_no_secrets, closed_port, rows_of
from tests.emulator import HLR_KEY, HLR_SECRET, SMSP_KEY, digest_signature

DE = [f"+4917887350{i:02d}" for i in range(10)]
FAST = ("--retries", "2")


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "[trace]" not in line]


# authentication ---------------------------------------------------------------------------------------------
def test_digest_signs_path_timestamp_method_and_exact_body(live, emu):
    r = live("lookup", DE[0], "-f", "csv")
    assert r.exit_code == 0, r.stderr
    live("balance", "-f", "csv")
    for request in emu.requests_to("/hlr-lookup") + emu.requests_to("/balance"):
        h = request.headers
        assert h["X-Digest-Key"] == HLR_KEY
        expected = digest_signature(HLR_SECRET, request.path, h["X-Digest-Timestamp"], request.method, request.body)
        assert h["X-Digest-Signature"] == expected
        assert "X-Basic" not in h and "Authorization" not in h
        assert h["User-Agent"] == f"hlrcli/{__version__}"


def test_base_url_with_a_trailing_slash_signs_the_same_path(live, emu):
    live.env(HLR_LOOKUPS_BASE_URL=emu.hlr_url + "/")
    r = live("lookup", DE[0], "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert [q.path for q in emu.requests_to("/hlr-lookup")] == ["/hlr-lookup"]


def test_basic_auth_sends_the_hashed_x_basic_header(live, emu):
    live.env(HLR_LOOKUPS_AUTH="basic")
    r = live("lookup", DE[1], "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert rows_of(r.stdout)[0]["connectivity_status"] == emu.expected_status(DE[1])
    [request] = emu.requests_to("/hlr-lookup")
    assert request.headers["X-Basic"] == hashlib.sha256(f"{HLR_KEY}:{HLR_SECRET}".encode()).hexdigest()
    assert not any(k.lower().startswith("x-digest") for k in request.headers)
    assert "Authorization" not in request.headers


def test_unknown_auth_mode_is_a_configuration_error(live, emu):
    live.env(HLR_LOOKUPS_AUTH="oauth")
    r = live("balance")
    assert r.exit_code == 3
    assert "HLR_LOOKUPS_AUTH" in r.stderr
    assert emu.requests == []


@pytest.mark.parametrize("mode", ["digest", "basic"])
def test_401_is_exit_3_with_a_hint(live, emu, mode):
    live.env(HLR_LOOKUPS_AUTH=mode, HLR_LOOKUPS_API_SECRET="not-the-right-secret")
    r = live("lookup", DE[0], DE[1], "-f", "csv")
    assert r.exit_code == 3
    [line] = r.stderr.splitlines()
    assert line.startswith("hlrcli: error: authentication failed for hlrlookups")
    assert "HLR_LOOKUPS_API_SECRET" in line and "hlrcli doctor" in line
    assert "not-the-right-secret" not in r.all
    assert emu.charge_count() == 0
    # Digest blames the clock first, once; basic has no clock to blame.
    assert len(emu.requests_to("/time")) == (1 if mode == "digest" else 0)


@pytest.mark.parametrize("skew", [600, -600])
def test_clock_skew_is_corrected_after_one_time_call(live, emu, skew):
    emu.clock_skew = skew
    numbers = DE[:4]
    r = live("lookup", *numbers, "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert [row["connectivity_status"] for row in rows_of(r.stdout)] == [emu.expected_status(n) for n in numbers]
    assert len(emu.requests_to("/time")) == 1
    assert emu.charge_count() == len(numbers)
    [said] = re.findall(r"clock is ([+-]\d+) s off", r.stderr)
    assert abs(int(said) - skew) <= 1  # /time has a one-second resolution


# retries ----------------------------------------------------------------------------------------------------
def test_429_waits_for_retry_after_then_succeeds(live, emu):
    emu.inject(429, headers={"Retry-After": "1"}, path="/hlr-lookup")
    r = live("lookup", DE[0], "-f", "csv")
    assert r.exit_code == 0, r.stderr
    # (The emulator records a status once its answer is sent: the last one may not be recorded yet.)
    first, second = emu.requests_to("/hlr-lookup")
    assert first.status == 429
    assert second.time - first.time >= 1.0
    assert emu.charge_count() == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_then_success(live, emu, status):
    emu.inject(status, path="/hlr-lookup")
    r = live("lookup", DE[2], "-f", "csv")
    assert r.exit_code == 0, r.stderr
    first, _ = emu.requests_to("/hlr-lookup")
    assert first.status == status
    assert rows_of(r.stdout)[0]["connectivity_status"] == emu.expected_status(DE[2])
    assert emu.charge_count() == 1


@pytest.mark.parametrize("attempts", [1, 3])
def test_5xx_every_time_gives_up_after_the_retries(live, emu, attempts):
    emu.inject(503, {"errors": ["Service unavailable."]}, path="/balance", times=10)
    r = live("balance", "--retries", str(attempts))
    assert r.exit_code == 1
    assert len(emu.requests_to("/balance")) == attempts
    [line] = r.stderr.splitlines()
    assert "Service unavailable." in line and "503" in line
    assert "Traceback" not in r.stderr


def test_retries_setting_from_environment(live, emu):
    live.env(HLRCLI_RETRIES="2")
    emu.inject(502, path="/hlr-lookup", times=10)
    r = live("lookup", DE[0], "-f", "csv")
    assert r.exit_code == 1
    assert len(emu.requests_to("/hlr-lookup")) == 2
    assert emu.charge_count() == 0
    assert "502" in rows_of(r.stdout)[0]["error"]
    assert "502" in r.stderr


def test_500_is_not_retried(live, emu):
    emu.inject(500, path="/balance")
    r = live("balance")
    assert r.exit_code == 1
    assert len(emu.requests_to("/balance")) == 1


def test_garbage_body_is_exit_1_in_one_line(live, emu):
    emu.inject_garbage(provider="hlrlookups")
    r = live("balance")
    assert r.exit_code == 1
    [line] = r.stderr.splitlines()
    assert "not JSON" in line
    assert "Traceback" not in r.stderr


def test_garbage_answer_to_a_single_lookup_is_replayed_once_then_uncertain(live, emu):
    emu.inject_broken("truncated", path="/hlr-lookup")
    r = live("lookup", DE[0], "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert "not JSON" in r.stderr and "sending it again" in r.stderr
    assert emu.charge_count() == 2  # the documented cost of the replay
    emu.inject_broken("list", path="/hlr-lookup", times=2)
    r = live("lookup", DE[1], "-f", "csv")
    assert r.exit_code == 1
    assert "wrong shape" in r.stderr and "may have been processed" in rows_of(r.stdout)[0]["error"]
    assert len(emu.requests_to("/hlr-lookup")) == 2 + 2


# lost answers -----------------------------------------------------------------------------------------------
def test_read_timeout_on_a_single_lookup_is_replayed_once(live, emu):
    emu.inject_delay(1.0, path="/hlr-lookup")
    r = live("lookup", DE[3], "--timeout", "0.3", *FAST, "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert rows_of(r.stdout)[0]["connectivity_status"] == emu.expected_status(DE[3])
    assert len(emu.requests_to("/hlr-lookup")) == 2
    # The documented cost of the replay: the first request was processed too.
    assert emu.charge_count() == 2
    assert "sending it again" in r.stderr


def test_read_timeout_twice_is_uncertain_and_not_resent_again(live, emu):
    emu.inject_delay(1.0, path="/mnp-lookup", times=2)
    r = live("mnp", DE[3], "--timeout", "0.3", "--retries", "5", "-f", "csv")
    assert r.exit_code == 1
    assert len(emu.requests_to("/mnp-lookup")) == 2
    assert "may have been processed" in rows_of(r.stdout)[0]["error"]
    assert "may have been processed" in r.stderr


def test_read_timeout_on_a_free_get_is_retried(live, emu):
    emu.inject_delay(1.0, path="/balance")
    r = live("balance", "--timeout", "0.3", *FAST, "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert len(emu.requests_to("/balance")) == 2


def test_dropped_connection_after_processing_is_replayed_once(live, emu):
    emu.inject_drop(path="/nt-lookup")
    r = live("nt", DE[0], *FAST, "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert len(emu.requests_to("/nt-lookup")) == 2
    assert emu.charge_count() == 2
    assert "dropped" in r.stderr


def test_dropped_connection_twice_is_uncertain(live, emu):
    emu.inject_drop(path="/hlr-lookup", times=2)
    r = live("lookup", DE[0], "--retries", "5", "-f", "csv")
    assert r.exit_code == 1
    assert len(emu.requests_to("/hlr-lookup")) == 2
    assert emu.charge_count() == 2
    assert "may have been processed" in r.stderr


def test_dropped_connection_before_processing_costs_once(live, emu):
    emu.inject_drop(path="/hlr-lookup", after_processing=False)
    r = live("lookup", DE[0], *FAST, "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert emu.charge_count() == 1


@pytest.mark.parametrize(
    ("setting", "args"),
    [
        ("HLR_LOOKUPS_BASE_URL", ["lookup", DE[0]]),
        ("HLR_LOOKUPS_BASE_URL", ["balance"]),
        ("SMSPARTNER_BASE_URL", ["balance", "-p", "smspartner"]),
        ("AFFILIATE_SMS_BASE_URL", ["status", "123", "-p", "affiliate"]),
    ],
)
def test_connection_refused_is_exit_1_without_traceback(live, emu, setting, args):
    live.env(**{setting: f"http://127.0.0.1:{closed_port()}/v1"})
    r = live(*args, *FAST, "-f", "csv")
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "could not connect" in lines[0]
    assert "Traceback" not in r.stderr
    assert_no_secrets(r.all)


def test_refused_connections_are_retried_up_to_the_attempts(live, emu):
    live.env(SMSPARTNER_BASE_URL=f"http://127.0.0.1:{closed_port()}/v1")
    r = live("balance", "-p", "smspartner", "--retries", "3", "-v")
    assert r.exit_code == 1
    assert len([line for line in r.stderr.splitlines() if line.endswith(": could not connect")]) == 3


# traces and redaction ---------------------------------------------------------------------------------------
TRACE = re.compile(
    r"hlrcli: \[trace\] (GET|POST|PUT) (http://127\.0\.0\.1:\d+/\S*) → (\d{3}) in \d+ ms, "
    r"sent \d+ B, got \d+ B"
)


@pytest.mark.parametrize(
    ("args", "method", "path"),
    [
        (["lookup", DE[0]], "POST", "/hlr/api/v2/hlr-lookup"),
        (["balance", "-p", "smspartner"], "GET", "/smspartner/v1/me"),
        (["validate", DE[0], "-p", "smspartner"], "POST", "/smspartner/v1/lookup"),
        (["lookup", DE[0], "-p", "affiliate"], "PUT", "/affiliate/hlr/create"),
        (["price", "-p", "affiliate"], "GET", "/affiliate/hlr/prices"),
        (["rental-status", "tok-ready", "-p", "smspartner"], "GET", "/smspartner/v1/location/status"),
    ],
)
def test_verbose_traces_requests_without_secrets(live, emu, args, method, path):
    r = live(*args, "-v", "-f", "json")
    assert r.exit_code == 0, r.stderr
    traces = [m for m in map(TRACE.match, r.stderr.splitlines()) if m]
    assert traces, r.stderr
    assert any(m.group(1) == method and path in m.group(2) and m.group(3) == "200" for m in traces)
    assert_no_secrets(r.all)
    assert "[trace]" not in r.stdout


def test_verbose_basic_auth_and_clock_skew_show_no_secret(live, emu):
    emu.clock_skew = 900
    r = live("lookup", DE[0], "-v", "-f", "json")
    live.env(HLR_LOOKUPS_AUTH="basic")
    r2 = live("lookup", DE[1], "-v", "-f", "json")
    assert r.exit_code == r2.exit_code == 0
    assert " → 401 " in r.stderr
    assert_no_secrets(r.all + r2.all)
    assert hashlib.sha256(f"{HLR_KEY}:{HLR_SECRET}".encode()).hexdigest() not in r2.all


def test_query_string_key_is_redacted_in_traces(live, emu):
    r = live("balance", "-p", "smspartner", "-v")
    assert "apiKey=***" in r.stderr
    assert SMSP_KEY not in r.all


def test_no_traceback_without_verbose(live, emu):
    live.env(SMSPARTNER_BASE_URL=f"http://127.0.0.1:{closed_port()}/v1")
    r = live("balance", "-p", "smspartner", "--retries", "1")
    assert r.exit_code == 1
    assert "Traceback" not in r.stderr
    assert len(error_lines(r.stderr)) == 1


def test_traceback_under_verbose_is_redacted(live, emu):
    # requests' own exception text carries the full URL, apiKey included: traces and traceback must hide it.
    live.env(SMSPARTNER_BASE_URL=f"http://127.0.0.1:{closed_port()}/v1")
    r = live("balance", "-p", "smspartner", "--retries", "1", "-v")
    assert r.exit_code == 1
    assert "Traceback (most recent call last)" in r.stderr
    assert "/v1/me" in r.stderr  # where it failed is shown; the query string (the key) is not
    assert_no_secrets(r.all)


def test_auth_failure_traceback_is_redacted(live, emu):
    live.env(AFFILIATE_SMS_API_KEY="live_wrong-key-0123456789")
    r = live("status", "-p", "affiliate", "1", "-v")
    assert r.exit_code == 3
    assert "Traceback" in r.stderr
    assert "live_wrong-key-0123456789" not in r.all
    assert_no_secrets(r.all)


def test_subprocess_run_is_redacted_too(emu, run_process_env):
    proc = run_process_env("balance", "-p", "smspartner", "-v", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert_no_secrets(proc.stdout.decode() + proc.stderr.decode())
    assert b"[trace]" in proc.stderr


@pytest.fixture
def run_process_env(emu):
    from tests.conftest import run_process

    def run(*args: str):
        return run_process(args, env=emu.env())

    return run


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET https://api.example/v1/me?apiKey=k-unregistered-1&token=t", "k-unregistered-1"),
        ("GET https://api.example/v1/location/status?token=tok-unregistered-2", "tok-unregistered-2"),
        ('{"apiKey": "k-unregistered-3", "phoneNumbers": "+33612345678"}', "k-unregistered-3"),
        ("X-API-KEY: live_unregistered-4", "live_unregistered-4"),
        (
            "{'X-Digest-Signature': 'abcdef0123456789', 'X-Digest-Key': 'key-unregistered-5'}",
            "abcdef0123456789",
        ),
        ("Authorization: Basic dW5yZWdpc3RlcmVkOnNlY3JldA==", "dW5yZWdpc3RlcmVkOnNlY3JldA=="),
    ],
)
def test_redact_hides_keys_it_was_never_told_about(text, secret):
    from hlrcli.redact import redact

    assert secret not in redact(text)
    assert "***" in redact(text)


class _Clock:
    """A clock the test moves: the pacer's sleeps advance it (no wall-clock time in these tests)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _sends(pacer, clock: _Clock, count: int, gaps: dict[int, float] | None = None) -> list[float]:
    """When each of `count` requests leaves; `gaps` lets time pass before request i (a slow caller)."""
    sent = []
    for i in range(count):
        clock.now += (gaps or {}).get(i, 0.0)
        pacer.wait()
        sent.append(clock.now)
    return sent


def _busiest(sent: list[float], window: float) -> int:
    return max(sum(1 for t in sent[i:] if t < start + window) for i, start in enumerate(sent))


def test_pacer_keeps_any_window_under_rate_plus_burst():
    from hlrcli.http import Pacer

    clock = _Clock()
    pacer = Pacer(600, burst=3, clock=clock, sleep=clock.sleep)  # one per 0.1 s, 3 may go early
    sent = _sends(pacer, clock, 40)
    assert _busiest(sent, 1.0) <= 10 + 3 + 1
    assert sent[-1] - sent[0] >= (40 - 4) * 0.1 - 1e-9  # the pace itself
    # A caller that was late may catch up by the burst, no more.
    late = _sends(pacer, clock, 20, gaps={0: 2.0})
    assert late[3] - late[0] == pytest.approx(0.0) and late[4] - late[0] == pytest.approx(0.1)
    assert _busiest(sent + late, 1.0) <= 10 + 3 + 1


def test_pacer_backs_off_on_429_and_recovers_slowly():
    from hlrcli.http import Pacer

    clock = _Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    pacer.slow_down()
    assert pacer.interval == pytest.approx(0.5)  # halved pace at least FIRST_STEP
    pacer.slow_down()
    assert pacer.interval == pytest.approx(1.0)
    steps = 0
    while pacer.interval > pacer.base:
        pacer.recover()
        steps += 1
    assert 40 < steps < 60  # 5 % per accepted request: tens of requests, not one
    pacer.hold(30)
    start = clock.now
    pacer.wait()
    assert clock.now - start == pytest.approx(30)  # Retry-After holds every request back
    unpaced = Pacer(None, clock=clock, sleep=clock.sleep)
    unpaced.slow_down()
    assert unpaced.interval == Pacer.FIRST_STEP  # a 429 paces even an unpaced provider
