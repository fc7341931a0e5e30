"""hlrcli batch: input shapes, chunking at the providers' limits, journal, resume, faults, cost guards."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest

from tests.conftest import assert_no_secrets, rows_of


def numbers(count: int, start: int = 0, prefix: str = "+49178", width: int = 7) -> list[str]:
    """Distinct valid mobile numbers, German by default (checked with libphonenumber, so no test depends on luck)."""
    out = []
    i = start
    while len(out) < count:
        if i >= 10**width:
            raise ValueError(f"not {count} valid numbers under {prefix} with {width} more digits")
        n = f"{prefix}{i:0{width}d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(n)):
            out.append(n)
        i += 1
    return out


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",", bom: bool = False) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(("\ufeff" if bom else "") + buf.getvalue(), encoding="utf-8")
    return path


def people(nums: list[str]) -> list[list[str]]:
    return [[str(i), f"name {i}", n] for i, n in enumerate(nums)]


# Input shapes ---------------------------------------------------------------------------------------------------
def test_sync_batch_keeps_order_and_columns_and_dedupes(live, emu, tmp_path):
    nums = numbers(40)
    rows = [*people(nums), ["40", "dup", nums[3]], ["41", "dup2", nums[3]], ["42", "bad", "not a phone"]]
    src = write_csv(tmp_path / "in.csv", ["id", "name", "phone"], rows)
    r = live("batch", str(src), "-p", "hlrlookups", "--concurrency", "4")
    assert r.exit_code == 0, r.stderr
    out = rows_of(r.stdout)
    assert [row["id"] for row in out] == [row[0] for row in rows]
    assert list(out[0])[:3] == ["id", "name", "phone"]
    assert "result_id" in out[0]  # the result's `id` would clash with the input's
    for row in out[:40]:
        assert row["connectivity_status"] == emu.expected_status(row["phone"])
        assert row["provider"] == "hlrlookups"
    assert out[40]["connectivity_status"] == out[41]["connectivity_status"] == out[3]["connectivity_status"]
    assert out[42]["error"] and not out[42]["connectivity_status"]
    charged = emu.charged_numbers("hlrlookups")
    assert set(charged) == set(nums) and max(charged.values()) == 1
    assert "reading numbers from column 'phone'" in r.stderr
    assert "43 rows, 40 distinct, 40 sent" in r.stderr


def test_stdin_semicolon_bom_and_national_numbers(live, emu):
    nums = numbers(5)
    national = ["0" + n[3:] for n in nums]  # +49178… → 0178…
    text = "\ufeffNom;Téléphone\n" + "".join(f"p{i};{n}\n" for i, n in enumerate(national))
    r = live("batch", "-", "-p", "hlrlookups", "--country", "DE", "-f", "ndjson", input=text.encode())
    assert r.exit_code == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["Nom"] for o in out] == [f"p{i}" for i in range(5)]  # BOM stripped from the first header
    assert [o["Téléphone"] for o in out] == national
    assert [o["msisdn"] for o in out] == nums
    assert "semicolon" in r.stderr


def test_plain_list_and_content_detection(live, emu, tmp_path):
    nums = numbers(3)
    r = live("batch", "-", "-p", "hlrlookups", "-f", "json", input="\n".join(nums) + "\n")
    assert r.exit_code == 0, r.stderr
    assert [o["input"] for o in json.loads(r.stdout)] == nums
    # No header naming the column: the first column whose values are numbers is used.
    src = write_csv(tmp_path / "x.csv", ["a", "b"], [["x", n] for n in nums])
    r = live("batch", str(src), "-p", "hlrlookups", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert [o["msisdn"] for o in json.loads(r.stdout)] == nums
    assert "column 'b'" in r.stderr


def test_missing_column_lists_columns(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [["1", numbers(1)[0]]])
    r = live("batch", str(src), "-p", "hlrlookups", "--column", "msisdn")
    assert r.exit_code == 2
    assert "id, phone" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert emu.charge_count() == 0


def test_excel_export_in_cp1252_is_detected_and_said(live, emu, tmp_path):
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("nom,phone\nRen\xe9,+491788735000\nJos\xe9,+491788735001\n".encode("cp1252"))
    r = live("batch", str(latin), "-p", "hlrlookups")
    assert r.exit_code == 0, r.stderr
    assert "decoded as cp1252" in r.stderr
    assert [row["nom"] for row in rows_of(r.stdout)] == ["René", "José"]
    r = live("batch", str(latin), "-p", "hlrlookups", "--encoding", "utf-8", "--job", "strict")
    assert r.exit_code == 2 and "not valid utf-8" in r.stderr and "Traceback" not in r.stderr


def test_missing_input_is_exit_2(live, emu, tmp_path):
    r = live("batch", str(tmp_path / "missing.csv"), "-p", "hlrlookups")
    assert r.exit_code == 2 and "no such file" in r.stderr


# Async chunking at the limits -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("provider", "total", "sizes", "path"),
    [
        ("hlrlookups", 2001, [1000, 1000, 1], "/hlr-lookups"),
        ("smspartner", 1000, [500, 500], "/hlr/notify"),
        ("affiliate", 501, [500, 1], "/hlr/create"),
    ],
)
def test_async_chunks_at_provider_limits(live, emu, tmp_path, provider, total, sizes, path):
    nums = numbers(total)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums])
    r = live("batch", str(src), "-p", provider, "--mode", "async", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    sent = emu.requests_to(path, provider)
    if provider == "hlrlookups":
        got = [len(req.json()["msisdns"]) for req in sent]
    elif provider == "smspartner":
        got = [len(req.json()["phoneNumbers"].split(",")) for req in sent]
    else:
        got = [len(json.loads(_multipart_field(req.body, "payload"))) if b"payload" in req.body else 1 for req in sent]
    assert sorted(got, reverse=True) == sizes
    charged = emu.charged_numbers(provider)
    assert len(charged) == total and max(charged.values()) == 1
    out = rows_of(r.stdout)
    assert len(out) == total and {row["state"] for row in out} == {"SUBMITTED"}
    assert all(row["id"] for row in out)


def _multipart_field(body: bytes, name: str) -> str:
    marker = f'name="{name}"'.encode()
    part = body.split(marker, 1)[1]
    return part.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0].decode()


# Journal: rerun, resume, dry run, max cost -----------------------------------------------------------------------
def test_rerun_of_finished_job_exports_free_and_only_again_pays_again(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(5)])
    first = live("batch", str(src), "-p", "hlrlookups")
    assert first.exit_code == 0
    # Every number has its result in the store: running it again, in any format, costs nothing.
    r = live("batch", str(src), "-p", "hlrlookups", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert [row["msisdn"] for row in json.loads(r.stdout)] == [row["msisdn"] for row in rows_of(first.stdout)]
    assert "nothing sent" in r.stderr and emu.charge_count() == 5
    r = live("batch", str(src), "-p", "hlrlookups", "--resume")
    assert r.exit_code == 0 and len(rows_of(r.stdout)) == 5
    assert emu.charge_count() == 5
    # Paying again needs --again, and without a terminal to ask on, --yes as well.
    r = live("batch", str(src), "-p", "hlrlookups", "--again")
    assert r.exit_code == 2 and emu.charge_count() == 5
    assert "--yes pays again" in r.stderr
    assert live("batch", str(src), "-p", "hlrlookups", "--again", "--yes").exit_code == 0
    assert emu.charge_count() == 10


def test_dry_run_counts_and_estimates_without_sending(live, emu, tmp_path):
    nums = numbers(30)
    rows = [[n] for n in nums] + [[nums[0]], ["junk"]]
    src = write_csv(tmp_path / "in.csv", ["phone"], rows)
    r = live("batch", str(src), "-p", "hlrlookups", "--dry-run", "-f", "json")
    assert r.exit_code == 0, r.stderr
    [report] = json.loads(r.stdout)
    assert report["rows"] == 32 and report["distinct_numbers"] == 30 and report["invalid_rows"] == 1
    assert report["to_send"] == 30 and report["requests"] == 30
    assert report["estimated_cost"] == pytest.approx(30 * _hlr_price(live))
    assert emu.charge_count() == 0 and not emu.requests_to("/hlr-lookup")
    # The dry run left no job behind: a real run starts fresh.
    assert live("batch", str(src), "-p", "hlrlookups").exit_code == 0


def _hlr_price(live) -> float:
    r = live("price", "+4917812345678", "--type", "HLR", "-p", "hlrlookups", "-f", "json")
    return float(json.loads(r.stdout)[0]["amount"])


def test_max_cost_refuses_and_stops(live, emu, tmp_path):
    unit = _hlr_price(live)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(20)])
    r = live("batch", str(src), "-p", "hlrlookups", "--max-cost", f"{unit * 5:.4f}")
    assert r.exit_code == 2 and "exceeds --max-cost" in r.stderr
    assert emu.charge_count() == 0
    # Async with a ceiling between chunks: the second chunk would cross it, so only the first is sent.
    src2 = write_csv(tmp_path / "in2.csv", ["phone"], [[n] for n in numbers(1500, start=5000)])
    dry = json.loads(live("batch", str(src2), "-p", "hlrlookups", "--mode", "async", "--dry-run", "-f", "json").stdout)[
        0
    ]
    assert dry["chunks"] == 2
    r = live(
        "batch",
        str(src2),
        "-p",
        "hlrlookups",
        "--mode",
        "async",
        "--max-cost",
        str(dry["estimated_cost"] * 2),
    )
    assert r.exit_code == 0, r.stderr  # the estimate fits: everything is sent


def test_running_cost_guard_stops_sync(live, emu, tmp_path):
    unit = _hlr_price(live)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(12)])
    # An estimate that fits, then a ceiling below it: --max-cost stops before the 12th lookup.
    r = live("batch", str(src), "-p", "hlrlookups", "--max-cost", f"{unit * 12:.4f}", "--concurrency", "2")
    assert r.exit_code == 0, r.stderr
    assert emu.charge_count() == 12
    src = write_csv(tmp_path / "in3.csv", ["phone"], [[n] for n in numbers(12, start=900)])
    r = live("batch", str(src), "-p", "affiliate", "--mode", "async", "--max-cost", "0.0001", "--yes")
    # affiliate's price table says 0.002 or so per number: the estimate is refused up front.
    assert r.exit_code == 2 and emu.charge_count("affiliate") == 0


def test_table_refused_for_big_inputs(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(1001)])
    r = live("batch", str(src), "-p", "hlrlookups", "-f", "table", "--dry-run")
    assert r.exit_code == 0  # a dry run prints a report, not the rows
    r = live("batch", str(src), "-p", "hlrlookups", "-f", "table")
    assert r.exit_code == 2 and "table format" in r.stderr
    assert emu.charge_count() == 0


# Faults -------------------------------------------------------------------------------------------------------
def test_429_storm_every_number_submitted_once(live, emu, tmp_path):
    nums = numbers(3000)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums])
    emu.inject(429, headers={"Retry-After": "0"}, path="/hlr-lookups", times=2)  # each halves the pace
    r = live("batch", str(src), "-p", "hlrlookups", "--mode", "async", "--retries", "6")
    assert r.exit_code == 0, r.stderr
    charged = emu.charged_numbers("hlrlookups")
    assert len(charged) == 3000 and max(charged.values()) == 1
    assert len(emu.requests_to("/hlr-lookups")) == 3 + 2


def test_5xx_and_dropped_answers_lose_no_row(live, emu, tmp_path):
    nums = numbers(60)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums])
    emu.inject(503, path="/hlr-lookup", times=3)
    emu.inject(502, path="/hlr-lookup", times=2)
    emu.inject_drop(path="/hlr-lookup", times=2, after_processing=True)
    r = live("batch", str(src), "-p", "hlrlookups", "--retries", "4", "--concurrency", "4")
    # Two answers were lost after the provider processed (and billed) them: those rows are uncertain.
    assert r.exit_code == 1
    out = rows_of(r.stdout)
    assert len(out) == 60 and [row["phone"] for row in out] == nums
    uncertain = [row for row in out if "uncertain" in (row["error"] or "") or "may have" in (row["error"] or "")]
    assert len(uncertain) == 2
    assert all(row["connectivity_status"] for row in out if row not in uncertain)
    charged = emu.charged_numbers("hlrlookups")
    assert len(charged) == 60 and max(charged.values()) == 1
    # Resuming does not resend the uncertain ones (they were billed) unless asked to.
    r = live("batch", str(src), "-p", "hlrlookups", "--resume")
    assert r.exit_code == 1 and "uncertain" in r.stderr and emu.charge_count() == 60
    r = live("batch", str(src), "-p", "hlrlookups", "--resume", "--resubmit-uncertain")
    assert r.exit_code == 0 and emu.charge_count() == 62
    assert all(row["connectivity_status"] for row in rows_of(r.stdout))


def test_affiliate_uncertain_chunk_is_resent_free(live, emu, tmp_path):
    nums = numbers(400)  # one chunk
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums])
    emu.inject_drop(path="/hlr/create", provider="affiliate", times=2, after_processing=True)
    r = live("batch", str(src), "-p", "affiliate", "--mode", "async")
    assert r.exit_code == 1  # the answer and its one free replay were both lost: the chunk is uncertain
    assert "1 uncertain" not in r.stderr and "400 uncertain" in r.stderr
    assert "resent free" not in r.stderr  # nothing was uncertain before this run
    r = live("batch", str(src), "-p", "affiliate", "--mode", "async", "--resume")
    assert r.exit_code == 0, r.stderr
    assert "400 uncertain ones resent free: references make a repeat free" in r.stderr
    charged = emu.charged_numbers("affiliate")
    assert len(charged) == 400 and max(charged.values()) == 1
    assert {row["state"] for row in rows_of(r.stdout)} <= {"SUBMITTED", "ALREADY_SUBMITTED"}


def test_auth_failure_mid_batch_is_exit_3(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(3)])
    live.env(HLR_LOOKUPS_API_SECRET="wrong-secret-xxxxxxxx")
    r = live("batch", str(src), "-p", "hlrlookups")
    assert r.exit_code == 3 and "authentication failed" in r.stderr
    assert emu.charge_count() == 0
    assert_no_secrets(r.all)


# Real processes: kill -9 and Ctrl-C -----------------------------------------------------------------------------
def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hlrcli", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _hlrcli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "hlrcli", *args],
        env={**os.environ, **env},
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def _wait_for_charges(emu, count: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while emu.charge_count() < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert emu.charge_count() >= count


@pytest.mark.parametrize(("provider", "mode"), [("hlrlookups", "sync"), ("affiliate", "async")])
def test_kill_9_then_resume_pays_each_number_once(emu, tmp_path, provider, mode):
    nums = numbers(1200 if mode == "async" else 120)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums])
    emu.latency = 0.05
    env = {**emu.env(), "HLRCLI_HOME": str(tmp_path / "home")}
    args = ["batch", str(src), "-p", provider, "--mode", mode, "--concurrency", "4", "--job", "k9", "-q"]
    if mode == "async":
        env["AFFILIATE_SMS_BATCH_SIZE"] = "100"
    proc = _spawn(args, env)
    _wait_for_charges(emu, 30)
    proc.kill()
    proc.wait()
    emu.latency = 0.0
    before = emu.charge_count()
    assert 0 < before < len(nums)
    done = _hlrcli([*args, "--resume"], env, timeout=120)
    charged = emu.charged_numbers(provider)
    assert max(charged.values()) == 1, "a number was paid twice"
    out = rows_of(done.stdout.decode())
    assert [row["phone"] for row in out] == nums
    if provider == "affiliate":
        # References make the in-flight chunk safe to resend: every number charged exactly once.
        assert done.returncode == 0, done.stderr.decode()
        assert len(charged) == len(nums)
    else:
        # In-flight lookups at the kill are uncertain: not resent; everything else is done.
        stderr = done.stderr.decode()
        uncertain = [row for row in out if row["error"]]
        assert len(charged) + sum(1 for row in uncertain if row["phone"] not in charged) >= len(nums)
        assert len(uncertain) <= 4
        assert (done.returncode == 0) == (not uncertain), stderr


def test_ctrl_c_stops_cleanly_and_resume_finishes(emu, tmp_path):
    nums = numbers(200)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums])
    emu.latency = 0.05
    env = {**emu.env(), "HLRCLI_HOME": str(tmp_path / "home")}
    args = ["batch", str(src), "-p", "hlrlookups", "--concurrency", "2", "--job", "cc"]
    proc = _spawn(args, env)
    _wait_for_charges(emu, 20)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"--job cc --resume" in err and b"Traceback" not in err
    emu.latency = 0.0
    done = _hlrcli([*args, "--resume"], env, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    charged = emu.charged_numbers("hlrlookups")
    assert len(charged) == 200 and max(charged.values()) == 1
    assert len(rows_of(done.stdout.decode())) == 200


def test_ctrl_c_while_requests_wait_their_turn_counts_only_those_sent(emu, tmp_path):
    """With --rate, most requests wait for their turn; stopped there, they never left: the summary's "sent"
    is what the provider received."""
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(50)])
    env = {**emu.env(), "HLRCLI_HOME": str(tmp_path / "home")}
    args = ["batch", str(src), "-p", "hlrlookups", "-j", "8", "--rate", "120/min", "--job", "r"]
    args += ["-o", str(tmp_path / "o")]
    proc = _spawn(args, env)
    _wait_for_charges(emu, 2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    sent = int(re.search(rb"(\d+) sent", err).group(1))
    assert sent == emu.charge_count("hlrlookups") < 8


# Offline -------------------------------------------------------------------------------------------------------------
def test_offline_batch_streams_in_parallel_and_keeps_order(cli, tmp_path):
    nums = numbers(18_000)
    # Wide rows: a megabyte of input (where worker processes start) in few numbers.
    note = "customer of the spring campaign, contact by phone only, "
    rows = [[str(i), f"{note}{i:08d}", n if i % 1000 else "garbage"] for i, n in enumerate(nums)]
    src = write_csv(tmp_path / "big.csv", ["id", "name", "mobile"], rows)
    assert src.stat().st_size > 1 << 20  # large enough for the worker processes
    r = cli("batch", str(src), "-p", "offline", "-t", "nt", "-o", str(tmp_path / "out.csv"))
    assert r.exit_code == 0, r.stderr
    out = rows_of((tmp_path / "out.csv").read_text())
    assert [row["id"] for row in out] == [row[0] for row in rows]
    assert Counter(row["is_valid"] for row in out) == {"true": 17_982, "false": 18}
    assert {row["number_type"] for row in out if row["is_valid"] == "true"} == {"MOBILE"}
    assert out[1]["msisdn"] == nums[1]


def test_interrupted_while_reading_the_input_resume_reads_it_again(emu, tmp_path):
    # Cron-style run (no terminal, no --max-cost): the input is read while the first chunks go out. The
    # emulator charges a chunk before its latency, so the first charge comes while most of the input is unread.
    nums = numbers(20_000)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums])
    emu.latency = 0.2
    env = {**emu.env(), "HLRCLI_HOME": str(tmp_path / "home")}
    args = ["batch", str(src), "-p", "hlrlookups", "--mode", "async", "--job", "big", "-q", "-o", str(tmp_path / "o")]
    proc = _spawn(args, env)
    _wait_for_charges(emu, 1000)  # the first chunk went out before the whole file was read
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    shown = _hlrcli(["jobs", "show", "big", "-f", "json"], env)
    assert shown.returncode == 0, shown.stderr.decode()
    [job] = json.loads(shown.stdout)
    assert job["state"] == "ingesting" and job["rows"] == 0
    emu.latency = 0.0
    done = _hlrcli([*args, "--resume"], env, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    charged = emu.charged_numbers("hlrlookups")
    assert len(charged) == 20_000 and max(charged.values()) == 1
    assert len(rows_of((tmp_path / "o").read_text())) == 20_000


def test_dry_run_prices_what_max_age_saves_even_when_nothing_is_left_to_buy(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(4)])
    assert live("batch", str(src), "-p", "hlrlookups", "--job", "first", "-q").exit_code == 0
    r = live("batch", str(src), "-p", "hlrlookups", "--job", "again", "--max-age", "1d", "--dry-run", "-f", "json")
    assert r.exit_code == 0, r.stderr
    [report] = json.loads(r.stdout)
    assert (report["from_store"], report["to_send"]) == (4, 0)
    assert report["saved"] == pytest.approx(4 * 0.01)
    assert emu.charge_count() == 4
