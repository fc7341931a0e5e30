"""hlrcli jobs, and the async flow end to end: submit a batch, receive results (webhook or polling), export."""

from __future__ import annotations

import json
from pathlib import Path

from hlrcli.config import Settings
from hlrcli.webhook import webhook_token
from tests.conftest import rows_of
from tests.test_batch import numbers, write_csv


def test_async_hlrlookups_webhook_end_to_end(live, emu, receiver, tmp_path):
    nums = numbers(2500)
    rows = [[str(i), n] for i, n in enumerate(nums)] + [["x", "garbage"], ["dup", nums[7]]]
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], rows)
    emu.webhook_urls["hlrlookups"] = [receiver.endpoint("hlrlookups")]
    emu.webhook_batch_size = 400
    emu.duplicate_deliveries = True  # the provider's retries: stored once
    r = live("batch", str(src), "-p", "hlrlookups", "--mode", "async", "--job", "night")
    assert r.exit_code == 0, r.stderr
    assert {row["state"] for row in rows_of(r.stdout)} == {"SUBMITTED", ""}
    assert emu.wait_deliveries(30)
    r = live("jobs", "results", "night", "--wait", "--timeout", "20", "--interval", "0.1")
    assert r.exit_code == 0, r.stderr
    out = rows_of(r.stdout)
    assert [row["id"] for row in out] == [row[0] for row in rows]
    for row in out[:2500]:
        assert row["connectivity_status"] == emu.expected_status(row["phone"]), row
    assert out[-1]["connectivity_status"] == out[7]["connectivity_status"]
    assert out[-2]["error"] and not out[-2]["connectivity_status"]
    listed = {j["name"]: j for j in json.loads(live("jobs", "list", "-f", "json").stdout)}
    assert listed["night"]["results"] == 2500 and listed["night"]["pending"] == 0
    charged = emu.charged_numbers("hlrlookups")
    assert len(charged) == 2500 and max(charged.values()) == 1


def test_results_wait_times_out_with_pending_rows(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(3)])
    assert live("batch", str(src), "-p", "hlrlookups", "--mode", "async", "--job", "nohook").exit_code == 0
    r = live("jobs", "results", "nohook", "--wait", "--timeout", "0.3", "--interval", "0.1", "-f", "json")
    assert r.exit_code == 1 and "3 result(s) still awaited" in r.stderr
    assert {row["connectivity_status"] for row in json.loads(r.stdout)} == {"PENDING"}


def test_async_smspartner_notifications_end_to_end(live, emu, receiver, tmp_path):
    nums = numbers(600, prefix="+33612", width=6)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums])
    url = f"{receiver.endpoint('smspartner')}?token={webhook_token(Settings.load())}"
    r = live("batch", str(src), "-p", "smspartner", "--notify-url", url, "--job", "sp")
    assert r.exit_code == 0, r.stderr
    assert emu.wait_deliveries(30)
    r = live("jobs", "results", "sp", "--wait", "--timeout", "20", "--interval", "0.1", "-f", "json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert [row["phone"] for row in out] == nums
    for row in out:
        assert row["connectivity_status"] == emu.expected_status(row["phone"])
        assert row["provider"] == "smspartner"


def test_async_affiliate_polled_end_to_end(live, emu, tmp_path):
    nums = numbers(30)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums])
    assert live("batch", str(src), "-p", "affiliate", "--job", "aff").exit_code == 0
    r = live("jobs", "poll", "aff")  # the first poll of each id still answers "sent"
    assert r.exit_code == 0 and "0 new result(s); 30 still awaited" in r.stderr
    r = live("jobs", "results", "aff", "--wait", "--timeout", "20", "--interval", "0.1", "-f", "json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    expected = {"CONNECTED": "CONNECTED", "ABSENT": "ABSENT"}  # failed/unknown both map to UNDETERMINED
    for row in out:
        assert row["connectivity_status"] == expected.get(emu.expected_status(row["phone"]), "UNDETERMINED")
        assert row["raw_status"] in ("active", "absent", "failed", "unknown")
    polls = len(emu.requests_to("/hlr/", "affiliate")) - 1
    r = live("jobs", "poll", "aff")
    assert "0 new result(s); 0 still awaited" in r.stderr
    assert len(emu.requests_to("/hlr/", "affiliate")) - 1 == polls  # nothing left to ask for


def test_poll_refuses_webhook_only_providers(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(2)])
    assert live("batch", str(src), "-p", "hlrlookups", "--mode", "async", "--job", "h").exit_code == 0
    r = live("jobs", "poll", "h")
    assert r.exit_code == 2 and "webhook" in r.stderr


def test_show_list_delete_prune(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(1200)])
    emu.inject_drop(path="/hlr-lookups", times=1, after_processing=True)
    r = live("batch", str(src), "-p", "hlrlookups", "--mode", "async", "--job", "j1")
    assert r.exit_code == 1  # one chunk's answer was lost: uncertain
    [shown] = json.loads(live("jobs", "show", "j1", "-f", "json").stdout)
    assert shown["uncertain_chunks"] and shown["rows"] == 1200
    assert "uncertain" in shown["chunks"] and "submitted" in shown["chunks"]
    chunks = json.loads(live("jobs", "show", "j1", "--chunks", "-f", "json").stdout)
    assert sorted(c["size"] for c in chunks) == [200, 1000]
    assert live("jobs", "show", "nope").exit_code == 2
    assert live("jobs", "prune", "--older-than", "1d").exit_code == 0
    assert [j["name"] for j in json.loads(live("jobs", "list", "-f", "json").stdout)] == ["j1"]
    # Paid results are still due: neither prune nor delete removes the job without --force.
    r = live("jobs", "prune", "--older-than", "0s")
    assert r.exit_code == 0 and "removed 0 job(s)" in r.stderr and "kept j1: job j1 still awaits 1200" in r.stderr
    assert live("jobs", "delete", "j1").exit_code == 2
    r = live("jobs", "prune", "--older-than", "0s", "--force", "--dry-run")
    assert "would remove 1 job(s): j1" in r.stderr
    assert [j["name"] for j in json.loads(live("jobs", "list", "-f", "json").stdout)] == ["j1"]
    assert live("jobs", "prune", "--older-than", "0s", "--force").exit_code == 0
    assert json.loads(live("jobs", "list", "-f", "json").stdout) == []
    assert live("jobs", "prune", "--older-than", "soon").exit_code == 2
    assert live("jobs", "prune", "--older-than", "30").exit_code == 2  # a unit is required


def test_lookup_on_async_provider_records_a_job(live, emu, tmp_path: Path):
    r = live("lookup", "-p", "affiliate", "+491788735001", "+491788735002")
    assert r.exit_code == 0, r.stderr
    name = r.stderr.split("(job ")[1].split(")")[0]
    r = live("jobs", "results", name, "--wait", "--timeout", "10", "--interval", "0.1", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert [row["input"] for row in json.loads(r.stdout)] == ["+491788735001", "+491788735002"]
