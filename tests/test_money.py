"""Issue 8, money: a billed request is accepted, refused before processing, or uncertain — and nothing is paid twice.

Every test drives the real CLI against the emulator over real HTTP and reads the emulator's charge ledger: a number
charged twice is a bug unless the user asked for it (`--resubmit-uncertain`, documented).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hlrcli.config import Settings
from hlrcli.webhook import webhook_token
from hlrcli.webhook.server import WebhookServer
from tests.conftest import Cli, Result
from tests.emulator import Emulator
from tests.emulator.server import BROKEN_KINDS
from tests.test_batch import numbers, write_csv

HLR_PRICE = 0.01  # the emulator's hlrlookups HLR price (EUR)
AFF_PRICE = 0.002  # the emulator's affiliate price (EUR)
# (provider, mode, billed path): every way a batch spends money.
PAID = [
    ("hlrlookups", "sync", "/hlr-lookup"),
    ("hlrlookups", "async", "/hlr-lookups"),
    ("smspartner", "async", "/hlr/notify"),
    ("affiliate", "async", "/hlr/create"),
]
PAID_IDS = [f"{p}-{m}" for p, m, _ in PAID]


# Helpers ------------------------------------------------------------------------------------------------------
def batch(live: Cli, src: Path, provider: str, mode: str, job: str, *extra: str) -> Result:
    return live("batch", str(src), "-p", provider, "--mode", mode, "--job", job, "-f", "json", *extra)


def out_rows(result: Result) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def show(live: Cli, job: str) -> dict[str, Any]:
    r = live("jobs", "show", job, "-f", "json")
    assert r.exit_code == 0, r.stderr
    [shown] = json.loads(r.stdout)
    return dict(shown)


def chunks(live: Cli, job: str) -> list[dict[str, Any]]:
    r = live("jobs", "show", job, "--chunks", "-f", "json")
    assert r.exit_code == 0, r.stderr
    return list(json.loads(r.stdout))


def state_count(shown: dict[str, Any], state: str) -> int:
    """How many numbers are in `state`, from `jobs show`'s "numbers_by_state" ("done 5, uncertain 1")."""
    m = re.search(rf"\b{state} (\d+)", shown["numbers_by_state"])
    return int(m.group(1)) if m else 0


def billed_and_maybe(shown: dict[str, Any]) -> tuple[float, float]:
    """`jobs show`'s cost: what answers said was billed, and what uncertain requests may have cost."""
    billed = float(shown["cost"].split()[0])
    return billed, float(shown["maybe_billed"] or 0.0)


def assert_paid_once(emu: Emulator, provider: str) -> None:
    charged = emu.charged_numbers(provider)
    assert charged, "nothing was charged at all"
    assert max(charged.values()) == 1, f"charged twice: {[n for n, c in charged.items() if c > 1]}"


def input_rows(nums: list[str]) -> list[list[str]]:
    """Rows with an invalid one and a duplicate among them: every one must come back, in order."""
    rows = [[f"r{i}", n] for i, n in enumerate(nums)]
    return [*rows[:2], ["bad", "not a phone"], *rows[2:], ["dup", nums[0]]]


def assert_every_row(result: Result, rows: list[list[str]]) -> None:
    got = out_rows(result)
    assert [(r["id"], r["phone"]) for r in got] == [(r[0], r[1]) for r in rows]


def token_url(server: WebhookServer, provider: str) -> str:
    return f"{server.endpoint(provider)}?token={webhook_token(Settings.load())}"


# 1. Each broken answer, each provider: uncertain, never resent blindly -----------------------------------------
@pytest.mark.parametrize("kind", BROKEN_KINDS)
@pytest.mark.parametrize(("provider", "mode", "path"), PAID, ids=PAID_IDS)
def test_broken_answer_is_uncertain_and_never_paid_twice(
    live: Cli, emu: Emulator, tmp_path: Path, provider: str, mode: str, path: str, kind: str
) -> None:
    nums = numbers(6)
    rows = input_rows(nums)
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], rows)
    extra: tuple[str, ...] = ()
    if provider == "affiliate":
        # Chunks of 2, one at a time: the first chunk's answer and its one free replay are both broken.
        live.env(AFFILIATE_SMS_BATCH_SIZE="2")
        extra = ("--concurrency", "1")
        emu.inject_broken(kind, path=path, provider=provider, times=2)
        uncertain = 2
    else:
        emu.inject_broken(kind, path=path, provider=provider)
        uncertain = 1 if mode == "sync" else len(nums)  # one lookup, or the one chunk

    first = batch(live, src, provider, mode, "j", *extra)
    assert first.exit_code == 1, first.stderr
    assert_every_row(first, rows)
    assert state_count(show(live, "j"), "uncertain") == uncertain
    assert f"{uncertain} uncertain" in first.stderr
    assert_paid_once(emu, provider)
    assert len(emu.charged_numbers(provider)) == len(nums)  # the broken request was processed: charged

    charges = emu.charge_count(provider)
    again = batch(live, src, provider, mode, "j", "--resume", *extra)
    assert_every_row(again, rows)
    assert_paid_once(emu, provider)
    if provider == "affiliate":
        # References make a repeat free: resent by itself, answered "already submitted", not billed again.
        assert again.exit_code == 0, again.stderr
        assert "references make a repeat free" in again.stderr
        assert len(emu.charged_numbers(provider)) == len(nums)
        assert {r["state"] for r in out_rows(again) if r["id"] not in ("bad",)} <= {"SUBMITTED", "ALREADY_SUBMITTED"}
        return
    assert again.exit_code == 1
    assert "not resent" in again.stderr
    assert emu.charge_count(provider) == charges  # nothing sent
    assert state_count(show(live, "j"), "uncertain") == uncertain

    resent = batch(live, src, provider, mode, "j", "--resume", "--resubmit-uncertain", *extra)
    assert resent.exit_code == 0, resent.stderr
    assert_every_row(resent, rows)
    assert "may be billed twice" in resent.stderr
    charged = emu.charged_numbers(provider)
    # The documented risk of --resubmit-uncertain: exactly the uncertain ones were paid a second time.
    assert sorted(charged.values()).count(2) == uncertain and max(charged.values()) == 2
    assert state_count(show(live, "j"), "uncertain") == 0


def test_list_answer_records_the_chunk_uncertain_not_sending(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(numbers(4))])
    emu.inject_broken("list", path="/hlr-lookups")
    r = batch(live, src, "hlrlookups", "async", "lst")
    assert r.exit_code == 1
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert all("wrong shape" in row["error"] for row in out_rows(r))
    [chunk] = chunks(live, "lst")
    assert chunk["state"] == "uncertain" and "wrong shape" in chunk["error"]
    assert state_count(show(live, "lst"), "sending") == 0


# 2. Random faults, run then resume twice ------------------------------------------------------------------------
@pytest.mark.parametrize(("provider", "mode", "path"), PAID, ids=PAID_IDS)
def test_random_faults_then_resume_twice_pay_each_number_once(
    live: Cli, emu: Emulator, tmp_path: Path, provider: str, mode: str, path: str
) -> None:
    # Enough requests for the faults to strike: sync sends one per number; chunked providers several chunks.
    count = {"sync": 150, "hlrlookups": 2100, "smspartner": 1100, "affiliate": 300}[
        mode if mode == "sync" else provider
    ]
    nums = numbers(count, start=20_000)
    rows = [[str(i), n] for i, n in enumerate(nums)]
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], rows)
    live.env(AFFILIATE_SMS_BATCH_SIZE="25")
    emu.fail_rate, emu.drop_rate, emu.malformed_rate = 0.1, 0.1, 0.2
    emu.fault_seed = 7
    codes = []
    for extra in ((), ("--resume",), ("--resume",)):
        r = batch(live, src, provider, mode, "rnd", "--retries", "2", *extra)
        codes.append(r.exit_code)
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
        assert [(o["id"], o["phone"]) for o in out_rows(r)] == [(a, b) for a, b in rows]
        assert_paid_once(emu, provider)
        shown = show(live, "rnd")
        left = sum(state_count(shown, s) for s in ("uncertain", "failed", "pending", "sending"))
        # exit 1 exactly when some number is not done (uncertain, refused, not sent).
        assert r.exit_code == (1 if left else 0), (r.stderr, shown["numbers_by_state"])
    assert sum(emu.fault_counts().values()) > 0
    assert codes[0] == 1, "the faults left nothing uncertain or failed: the seed no longer exercises anything"


# 3. Cost: uncertain requests count as maybe billed ------------------------------------------------------------
def test_job_cost_counts_uncertain_requests_as_maybe_billed(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(numbers(20))])
    emu.inject_drop(path="/hlr-lookup", times=3, after_processing=True)
    r = batch(live, src, "hlrlookups", "sync", "cost", "--concurrency", "4")
    assert r.exit_code == 1
    assert "maybe billed" in r.stderr
    shown = show(live, "cost")
    assert "maybe billed" in shown["cost"] and "3 uncertain" in shown["cost"]
    billed, maybe = billed_and_maybe(shown)
    assert billed == pytest.approx(17 * HLR_PRICE)
    assert maybe == pytest.approx(3 * HLR_PRICE)
    assert billed + maybe >= len(emu.charges) * HLR_PRICE - 1e-9
    [listed] = json.loads(live("jobs", "list", "-f", "json").stdout)
    assert listed["cost"] + listed["maybe_billed"] >= len(emu.charges) * HLR_PRICE - 1e-9


def test_cost_still_counts_the_first_attempt_after_resubmit(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(numbers(10))])
    emu.inject_drop(path="/hlr-lookup", times=2, after_processing=True)
    assert batch(live, src, "hlrlookups", "sync", "rs").exit_code == 1
    r = batch(live, src, "hlrlookups", "sync", "rs", "--resume", "--resubmit-uncertain")
    assert r.exit_code == 0, r.stderr
    assert len(emu.charges) == 12  # the two uncertain numbers were paid twice
    billed, maybe = billed_and_maybe(show(live, "rs"))
    assert billed + maybe >= 12 * HLR_PRICE - 1e-9


def test_affiliate_cost_keeps_what_the_uncertain_chunk_was_charged(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(numbers(4))])
    live.env(AFFILIATE_SMS_BATCH_SIZE="2")
    emu.inject_broken("truncated", path="/hlr/create", times=2)
    assert batch(live, src, "affiliate", "async", "ac", "--concurrency", "1").exit_code == 1
    r = batch(live, src, "affiliate", "async", "ac", "--resume", "--concurrency", "1")
    assert r.exit_code == 0, r.stderr
    assert_paid_once(emu, "affiliate")
    billed, maybe = billed_and_maybe(show(live, "ac"))
    assert billed + maybe >= len(emu.charges) * AFF_PRICE - 1e-9


def test_cost_kept_when_a_callback_beats_the_broken_answer(
    live: Cli, emu: Emulator, receiver: WebhookServer, tmp_path: Path
) -> None:
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(numbers(3))])
    emu.affiliate_callback_url = token_url(receiver, "affiliate")
    emu.delivery_delays = {"affiliate": 0.0}
    emu.latency = 0.3  # the callbacks arrive while the (broken) answers are still on their way
    emu.inject_broken("empty", path="/hlr/create", times=2)
    batch(live, src, "affiliate", "async", "race")
    assert emu.wait_deliveries(10)
    assert state_count(show(live, "race"), "done") == 3
    billed, maybe = billed_and_maybe(show(live, "race"))
    assert billed + maybe >= len(emu.charges) * AFF_PRICE - 1e-9


@pytest.mark.parametrize("command", ["lookup", "affiliate-batch"])
def test_lost_answer_with_a_single_attempt_is_never_a_plain_failure(
    live: Cli, emu: Emulator, tmp_path: Path, command: str
) -> None:
    if command == "lookup":
        emu.inject_drop(path="/hlr-lookup", times=2)
        r = live("lookup", "+491788735001", "--retries", "1", "-f", "json")
        [row] = json.loads(r.stdout)
        assert r.exit_code == 1 and emu.charge_count() == len(emu.requests_to("/hlr-lookup"))
        if "sending it again" in r.stderr:
            assert len(emu.requests_to("/hlr-lookup")) == 2
        assert "may have been processed" in row["error"]
        return
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(numbers(3))])
    emu.inject_drop(path="/hlr/create")
    r = batch(live, src, "affiliate", "async", "one", "--retries", "1")
    assert state_count(show(live, "one"), "failed") == 0, r.stderr


# 4. 429: never fails a row while it can be waited out; given up after HLRCLI_GIVE_UP_AFTER -------------------------
def test_429_without_retry_after_submits_every_number_once(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    nums = numbers(3000, start=40_000)
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(nums)])
    emu.rate_limits["smspartner"] = 4
    emu.rate_windows = {"smspartner": 1.0}
    emu.retry_after = {"smspartner": None}
    r = batch(live, src, "smspartner", "async", "rl")
    assert r.exit_code == 0, r.stderr
    assert emu.throttled_count("smspartner") > 0
    charged = emu.charged_numbers("smspartner")
    assert len(charged) == 3000 and max(charged.values()) == 1
    assert sum(1 for q in emu.requests_to("/hlr/notify") if q.status == 200) == 6
    assert {row["state"] for row in out_rows(r)} == {"SUBMITTED"}


def test_429_forever_gives_up_unbilled_and_resume_sends(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    nums = numbers(5)
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(nums)])
    live.env(HLRCLI_GIVE_UP_AFTER="1s")
    emu.inject(429, headers={"Retry-After": "0"}, path="/hlr-lookups", times=1000)
    r = batch(live, src, "hlrlookups", "async", "g")
    assert r.exit_code == 1
    assert {row["state"] for row in out_rows(r)} == {"FAILED"}
    assert all("429" in row["error"] for row in out_rows(r))
    assert emu.charges == []
    assert state_count(show(live, "g"), "failed") == 5
    emu.reset()  # the provider lets us through again
    r = batch(live, src, "hlrlookups", "async", "g", "--resume")
    assert r.exit_code == 0, r.stderr
    assert sorted(emu.charged_numbers("hlrlookups")) == sorted(nums)
    assert_paid_once(emu, "hlrlookups")


# 6. Late results join their row, whatever its state -------------------------------------------------------------
def test_affiliate_callbacks_resolve_uncertain_rows(
    live: Cli, emu: Emulator, receiver: WebhookServer, tmp_path: Path
) -> None:
    nums = numbers(4)
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(nums)])
    emu.affiliate_callback_url = token_url(receiver, "affiliate")
    emu.delivery_delays = {"affiliate": 1.0}  # the callbacks come after the run has recorded the rows uncertain
    emu.inject_broken("gateway502", path="/hlr/create", times=2)  # the answer and its free replay
    r = batch(live, src, "affiliate", "async", "late")
    assert r.exit_code == 1 and "4 uncertain" in r.stderr
    assert emu.wait_deliveries(10)
    results = live("jobs", "results", "late", "-f", "json")
    assert results.exit_code == 0, results.stderr
    got = json.loads(results.stdout)
    assert [row["phone"] for row in got] == nums
    for row in got:
        assert row["connectivity_status"] not in ("PENDING", None, "")
        assert row["connectivity_status"] == _affiliate_status(emu, row["phone"])
    assert state_count(show(live, "late"), "uncertain") == 0
    sent = len(emu.requests_to("/hlr/create"))
    again = batch(live, src, "affiliate", "async", "late", "--resume", "--resubmit-uncertain")
    assert again.exit_code == 0, again.stderr
    assert len(emu.requests_to("/hlr/create")) == sent  # nothing with a result is sent again
    assert_paid_once(emu, "affiliate")


def test_affiliate_poll_resolves_uncertain_rows(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    nums = numbers(3)
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(nums)])
    emu.inject_drop(path="/hlr/create", times=2, after_processing=True)
    assert batch(live, src, "affiliate", "async", "pl").exit_code == 1
    for _ in range(2):  # the first poll of each HLR still answers "sent"
        r = live("jobs", "poll", "pl")
        assert r.exit_code == 0, r.stderr
    assert "0 still awaited" in r.stderr
    got = json.loads(live("jobs", "results", "pl", "-f", "json").stdout)
    assert [row["connectivity_status"] for row in got] == [_affiliate_status(emu, n) for n in nums]
    sent = len(emu.requests_to("/hlr/create"))
    assert batch(live, src, "affiliate", "async", "pl", "--resume", "--resubmit-uncertain").exit_code == 0
    assert len(emu.requests_to("/hlr/create")) == sent
    assert_paid_once(emu, "affiliate")


def test_hlrlookups_webhook_resolves_uncertain_chunk(
    live: Cli, emu: Emulator, receiver: WebhookServer, tmp_path: Path
) -> None:
    nums = numbers(5)
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(nums)])
    emu.webhook_urls["hlrlookups"] = [receiver.endpoint("hlrlookups")]
    emu.delivery_delays = {"hlrlookups": 0.5}  # after the run has recorded the chunk uncertain
    emu.inject_broken("truncated", path="/hlr-lookups")
    r = batch(live, src, "hlrlookups", "async", "wh")
    assert r.exit_code == 1 and "5 uncertain" in r.stderr
    assert emu.wait_deliveries(10)
    results = live("jobs", "results", "wh", "-f", "json")
    assert results.exit_code == 0, results.stderr
    got = json.loads(results.stdout)
    assert [row["connectivity_status"] for row in got] == [emu.expected_status(n) for n in nums]
    assert state_count(show(live, "wh"), "uncertain") == 0
    again = batch(live, src, "hlrlookups", "async", "wh", "--resume", "--resubmit-uncertain")
    assert again.exit_code == 0, again.stderr
    assert len(emu.requests_to("/hlr-lookups")) == 1
    assert_paid_once(emu, "hlrlookups")


def _affiliate_status(emu: Emulator, number: str) -> str:
    # failed/unknown are both UNDETERMINED on the common scale.
    return {"CONNECTED": "CONNECTED", "ABSENT": "ABSENT"}.get(emu.expected_status(number), "UNDETERMINED")


# 7. A job with money in flight is not deleted ----------------------------------------------------------------
def test_delete_and_prune_refuse_a_running_job(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(numbers(60))])
    emu.latency = 0.05
    env = {**os.environ, **emu.env()}  # the same HLRCLI_HOME as the in-process CLI below
    proc = subprocess.Popen(
        [sys.executable, "-m", "hlrcli", "batch", str(src), "-p", "hlrlookups", "--job", "run",
         "--concurrency", "1", "-o", str(tmp_path / "out.csv")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while emu.charge_count() < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert emu.charge_count() >= 2, "the batch never started"
        # The code refuses a running job even with --force (deleting a journal being written would lose it).
        for args in (("jobs", "delete", "run"), ("jobs", "delete", "run", "--force")):
            r = live(*args)
            assert r.exit_code == 2 and "is running" in r.stderr, r.stderr
        for force in ((), ("--force",)):
            r = live("jobs", "prune", "--older-than", "0s", *force)
            assert r.exit_code == 0 and "removed 0 job(s)" in r.stderr and "kept run" in r.stderr, r.stderr
        assert proc.poll() is None, "the batch finished before the checks: slow the emulator down"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        # Still there, resumable ("ingesting" when the run was reading and sending at once: resume rereads).
        assert show(live, "run")["state"] in ("interrupted", "ingesting")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_paid_once(emu, "hlrlookups")


def test_delete_and_prune_keep_a_job_awaiting_paid_results(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(3)])
    assert live("batch", str(src), "-p", "hlrlookups", "--mode", "async", "--job", "aw").exit_code == 0
    src2 = write_csv(tmp_path / "in2.csv", ["phone"], [[n] for n in numbers(2, start=500)])
    assert live("batch", str(src2), "-p", "hlrlookups", "--job", "fin").exit_code == 0

    def names() -> list[str]:
        return [j["name"] for j in json.loads(live("jobs", "list", "-f", "json").stdout)]

    r = live("jobs", "delete", "aw")
    assert r.exit_code == 2 and "awaits 3 paid result(s)" in r.stderr
    r = live("jobs", "prune", "--older-than", "0s", "--dry-run")
    assert r.exit_code == 0 and "would remove 1 job(s): fin" in r.stderr and "kept aw" in r.stderr
    assert names() == ["aw", "fin"]  # a dry run keeps everything
    assert live("jobs", "prune", "--older-than", "30").exit_code == 2  # no unit: 30 what?
    r = live("jobs", "prune", "--older-than", "0s")
    assert r.exit_code == 0 and "removed 1 job(s): fin" in r.stderr
    assert names() == ["aw"]
    assert live("jobs", "delete", "aw", "--force").exit_code == 0
    assert names() == []


# 5. An input error is found before the first paid request -------------------------------------------------------
BAD_LINE = 4990  # 1-based, the header is line 1


def _five_thousand_rows(tmp_path: Path, spoil: bytes, replace: bytes) -> Path:
    nums = numbers(5000)
    lines = [b"id,phone"] + [f"{i},{n}".encode() for i, n in enumerate(nums)]
    lines[BAD_LINE - 1] = lines[BAD_LINE - 1].replace(spoil, replace, 1)
    path = tmp_path / "big.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("encoding", [(), ("--encoding", "utf-8")], ids=["detected", "given"])
def test_bad_byte_near_the_end_is_refused_before_any_request(
    live: Cli, emu: Emulator, tmp_path: Path, encoding: tuple[str, ...]
) -> None:
    src = _five_thousand_rows(tmp_path, b",", b",\xff")
    r = live("batch", str(src), "-p", "hlrlookups", *encoding)
    assert r.exit_code == 2
    [line] = r.stderr.splitlines()
    assert "not valid utf-8" in line and re.search(r"line \d+", line)
    assert emu.requests == []
    assert json.loads(live("jobs", "list", "-f", "json").stdout) == []


def test_bad_byte_error_names_its_line(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    src = _five_thousand_rows(tmp_path, b",", b",\xff")
    r = live("batch", str(src), "-p", "hlrlookups")
    assert r.exit_code == 2
    assert re.search(rf"\bline {BAD_LINE}\b", r.stderr), r.stderr


def test_unterminated_quote_near_the_end_is_refused_before_any_request(
    live: Cli, emu: Emulator, tmp_path: Path
) -> None:
    src = _five_thousand_rows(tmp_path, b",", b',"')
    r = live("batch", str(src), "-p", "hlrlookups")
    assert r.exit_code == 2
    [line] = r.stderr.splitlines()
    assert f"quote opened on line {BAD_LINE}" in line
    assert emu.requests == []


def test_smspartner_chunk_whose_answer_was_lost_is_priced_once_a_price_is_known(
    live: Cli, emu: Emulator, receiver: WebhookServer, tmp_path: Path
) -> None:
    """SMS Partner has no price list and its notifications carry no cost: only a submission's answer tells the
    price. A chunk whose answer was lost is billed all the same; its results must not make it free."""
    url = token_url(receiver, "smspartner")
    nums = numbers(9, prefix="+33612", width=6)

    def run(job: str, part: list[str]) -> None:
        src = write_csv(tmp_path / f"{job}.csv", ["phone"], [[n] for n in part])
        live("batch", str(src), "-p", "smspartner", "--notify-url", url, "--job", job)
        assert emu.wait_deliveries(10)

    # No answer has ever told a price: the billed numbers are said to be so, not counted free.
    emu.inject_drop(path="/hlr/notify", after_processing=True)
    run("lost", nums[:3])
    shown = show(live, "lost")
    assert state_count(shown, "done") == 3
    assert "3 numbers billed at a price no answer has told yet" in shown["cost"]
    # A job answered normally tells the price ...
    run("ok", nums[3:6])
    billed, _ = billed_and_maybe(show(live, "ok"))
    unit = billed / 3
    assert unit > 0
    # ... which a later lost answer is priced at, before and after its results arrive.
    emu.inject_drop(path="/hlr/notify", after_processing=True)
    run("lost2", nums[6:])
    billed, maybe = billed_and_maybe(show(live, "lost2"))
    assert billed + maybe == pytest.approx(3 * unit)
    # The first job is priced as soon as it runs again.
    assert live("batch", str(tmp_path / "lost.csv"), "-p", "smspartner", "--job", "lost", "--resume").exit_code == 0
    shown = show(live, "lost")
    assert "no answer has told" not in shown["cost"]
    assert billed_and_maybe(shown)[0] == pytest.approx(3 * unit)
    assert_paid_once(emu, "smspartner")
    charged = sum(emu.charged_numbers("smspartner").values()) * unit
    recorded = sum(sum(billed_and_maybe(show(live, j))) for j in ("lost", "ok", "lost2"))
    assert recorded >= charged - 1e-9


def test_results_of_a_sync_job_never_wait_for_a_lost_answer(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    """A synchronous lookup whose answer was lost gets no result later: `jobs results --wait` (the cron line)
    writes the rows at once, the lost one as uncertain, instead of waiting out its timeout for nothing."""
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(numbers(5))])
    emu.inject_drop(path="/hlr-lookup", after_processing=True)
    assert batch(live, src, "hlrlookups", "sync", "s", "--concurrency", "1").exit_code == 1
    out = tmp_path / "res.csv"
    r = live("jobs", "results", "s", "--wait", "--timeout", "5", "-o", str(out))
    assert "awaited" not in r.stderr, r.stderr
    assert r.exit_code == 0, r.stderr  # the export is complete: nothing more can come
    lines = out.read_text().splitlines()
    assert len(lines) == 6 and sum("may have been processed" in line for line in lines) == 1
    assert show(live, "s")["pending"] == 0


def test_a_reader_that_goes_away_stops_sending_and_every_answer_in_flight_is_recorded(
    live: Cli, emu: Emulator, tmp_path: Path
) -> None:
    """`hlrcli batch … | head -1`: the pipe breaks while requests are in flight. Those may be billed: their
    answers are awaited and journaled (none left `sending`), nothing more is sent, and the job can be resumed."""
    nums = numbers(400)
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [[str(i), n] for i, n in enumerate(nums)])
    emu.latency = 0.05
    env = {**os.environ, **emu.env(), "HLRCLI_HOME": os.environ["HLRCLI_HOME"], "HLRCLI_CONFIG": "/nonexistent"}
    args = [sys.executable, "-m", "hlrcli", "batch", str(src), "-p", "hlrlookups", "--job", "pipe", "-f", "csv"]
    proc = subprocess.Popen([*args, "--concurrency", "8"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1, err
    assert "Traceback" not in err and "output was closed" in err
    shown = show(live, "pipe")
    assert state_count(shown, "sending") == 0
    done = state_count(shown, "done")
    assert 0 < done < len(nums)  # it stopped early ...
    assert done == len(emu.charged_numbers("hlrlookups"))  # ... and every number charged is recorded
    billed, _ = billed_and_maybe(shown)
    assert billed == pytest.approx(done * HLR_PRICE)
    r = batch(live, src, "hlrlookups", "sync", "pipe", "--resume", "-o", str(tmp_path / "out.json"))
    assert r.exit_code == 0, r.stderr
    assert_paid_once(emu, "hlrlookups")
    assert len(emu.charged_numbers("hlrlookups")) == len(nums)
