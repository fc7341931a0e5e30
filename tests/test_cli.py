"""The CLI as a new user meets it: options where they mean something, the right provider for each command,
settings checked, stdin, tables that fit a terminal, questions that can be answered with Ctrl-C or Ctrl-D."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import rows_of
from tests.test_batch import numbers, write_csv

DE = ["+491788735000", "+491788735006", "+491788735008"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# Options where they mean something ---------------------------------------------------------------------------------
def test_commands_take_only_the_options_they_use(cli):
    r = cli("config", "path", "--retries", "9")
    assert r.exit_code == 2 and "No such option: --retries" in r.stderr
    assert cli("jobs", "list", "--timeout", "3").exit_code == 2
    assert cli("webhook", "serve", "-p", "hlrlookups").exit_code == 2
    assert cli("lookup", "--help").stdout.count("--retries") == 1


@pytest.mark.parametrize("args", [["-q", "nt", "+4930123456"], ["nt", "+4930123456", "-q"]])
def test_quiet_works_before_or_after_the_subcommand(cli, args):
    r = cli(*args, "-f", "csv")
    assert r.exit_code == 0 and r.stderr == ""  # no "no provider configured" notice
    noisy = cli("nt", "+4930123456", "-f", "csv")
    assert "offline" in noisy.stderr


def test_verbose_before_the_subcommand_traces(live, emu):
    r = live("-v", "balance", "-p", "hlrlookups", "-f", "csv")
    assert r.exit_code == 0 and "[trace] GET" in r.stderr


def _commands(app) -> list[list[str]]:
    """Every command path of the application (`jobs show`, `webhook serve`, …)."""
    import typer.main

    paths = []

    def walk(group, prefix):
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                walk(cmd, [*prefix, name])
            else:
                paths.append([*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_help_speaks_plainly(cli):
    r = cli("nt", "--help")
    assert "NUMBER..." in r.stdout and "{numbers}" not in r.stdout
    assert "delete" in cli("jobs", "--help").stdout
    # One vocabulary: placeholders, never typer's type labels (`<str>`, `<list[str]>`, `<int range>`).
    paths = _commands(cli.app)
    assert len(paths) > 25
    for path in paths:
        r = cli(*path, "--help")
        assert r.exit_code == 0, path
        assert not re.search(r"<[a-z][^>]*>", r.stdout), (path, re.findall(r"<[a-z][^>]*>", r.stdout))
    # A bad value is one line, in plain words, with where to find help.
    for args, words in (
        (("nt", "+4930123456", "-f", "xml"), "'xml'"),
        (("batch", "x.csv", "-t", "foo"), "'foo' is not one of 'hlr', 'mnp', 'nt'"),
        (("lookup", "+4930123456", "--tariff", "12"), "must be 9 or less"),
        (("batch", "x.csv", "-j", "x"), "must be a whole number"),
        (("nosuch",), "No such command"),
    ):
        r = cli(*args)
        assert r.exit_code == 2, args
        [line] = r.stderr.splitlines()
        assert line.startswith("hlrcli: error: ") and words in line, line
        assert "Value error" not in line and "Input should" not in line


# The right provider for the command --------------------------------------------------------------------------------
def test_a_command_goes_to_the_first_configured_provider_that_can_do_it(cli, emu):
    cli.env(**emu.env("hlrlookups"))
    r = cli("validate", "+4930123456", "-f", "csv")  # hlrlookups cannot validate: offline can, free
    assert r.exit_code == 0, r.stderr
    assert rows_of(r.stdout)[0]["provider"] == "offline"
    assert "validate: using offline (hlrlookups cannot do it" in r.stderr
    cli.env(**emu.env("affiliate"))
    r = cli("status", "--reference", "nope", "-f", "csv")
    assert "status: using affiliate" in r.stderr and emu.requests_to("/hlr/reference/nope", "affiliate")
    r = cli("validate", "+4930123456", "-p", "smspartner")  # -p still forces one
    assert r.exit_code == 3 and "SMSPARTNER_API_KEY" in r.stderr


def test_a_half_configured_provider_is_named_and_doctor_fails(cli, emu):
    cli.env(HLR_LOOKUPS_API_KEY="emu-hlr-key")
    r = cli("nt", "+4930123456", "-f", "csv")
    assert r.exit_code == 0
    assert "hlrlookups is not fully configured (HLR_LOOKUPS_API_SECRET not set)" in r.stderr
    assert "no provider configured" not in r.stderr
    r = cli("doctor", "-f", "csv")
    assert r.exit_code == 3
    [row] = [row for row in rows_of(r.stdout) if row["provider"] == "hlrlookups"]
    assert row["status"] == "fail" and "HLR_LOOKUPS_API_SECRET" in row["detail"]
    r = cli("providers", "-f", "csv")
    assert "missing HLR_LOOKUPS_API_SECRET" in r.stdout


# Settings are checked ------------------------------------------------------------------------------------------------
def test_config_set_refuses_bad_values_and_a_bad_value_is_named_with_its_source(cli, isolated):
    for name, value in [("HLRCLI_FORMAT", "xml"), ("HLRCLI_TIMEOUT", "abc"), ("HLRCLI_RETRIES", "0"),
                        ("HLR_LOOKUPS_BASE_URL", "ftp://x"), ("HLRCLI_MAX_AGE", "30")]:  # fmt: skip
        r = cli("config", "set", name, value)
        assert r.exit_code == 2 and name in r.stderr and "nothing written" in r.stderr, (name, r.stderr)
    config = Path(os.environ["HLRCLI_CONFIG"])
    config.write_text('HLRCLI_FORMAT = "xml"\n')  # written by hand, or by an older release
    r = cli("nt", "+4930123456")
    assert r.exit_code == 3 and "HLRCLI_FORMAT (from config file) must be" in r.stderr
    shown = {row["name"]: row for row in json.loads(cli("config", "show", "-f", "json").stdout)}
    assert shown["HLRCLI_FORMAT"]["value"].startswith("(invalid:")
    assert cli("config", "unset", "HLRCLI_FORMAT").exit_code == 0
    assert cli("nt", "+4930123456", "-f", "csv").exit_code == 0


def test_a_secret_value_is_never_echoed_in_an_error(cli, emu):
    cli.env(**emu.env("hlrlookups"), HLR_LOOKUPS_AUTH="emu-hlr-secret-0123456789")
    r = cli("balance")
    assert r.exit_code == 3 and "HLR_LOOKUPS_AUTH (from environment) must be digest or basic" in r.stderr
    assert "emu-hlr-secret" not in r.stderr


def test_config_set_reads_a_secret_from_stdin(cli, isolated):
    r = cli("config", "set", "SMSPARTNER_API_KEY", "-", input="from-stdin-key-0123456789\n")
    assert r.exit_code == 0 and "from-stdin-key" not in r.all
    r = cli("config", "set", "AFFILIATE_SMS_API_KEY", input="live_no-echo-key-0123456789\n")  # no value given
    assert r.exit_code == 0 and "no-echo-key" not in r.all
    text = Path(os.environ["HLRCLI_CONFIG"]).read_text()
    assert 'SMSPARTNER_API_KEY = "from-stdin-key-0123456789"' in text and "live_no-echo-key-0123456789" in text
    shown = {row["name"]: row["value"] for row in json.loads(cli("config", "show", "-f", "json").stdout)}
    assert shown["SMSPARTNER_API_KEY"] == "…6789"


# stdin ---------------------------------------------------------------------------------------------------------------
def test_dash_reads_numbers_from_stdin_in_every_number_command(cli):
    r = cli("nt", "-", "-p", "offline", "-f", "csv", input="+4930123456\n\n+442071838750\n")
    assert r.exit_code == 0, r.stderr
    assert [row["msisdn"] for row in rows_of(r.stdout)] == ["+4930123456", "+442071838750"]
    r = cli("validate", "-", "-p", "offline", "-f", "csv", input="+4930123456\n")
    assert rows_of(r.stdout)[0]["valid"] == "true"


# Exports that would write PENDING rows -------------------------------------------------------------------------------
def test_results_wait_that_runs_out_leaves_o_untouched_unless_partial(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(3)])
    assert live("batch", str(src), "-p", "hlrlookups", "--mode", "async", "--job", "w").exit_code == 0
    listed = {j["name"]: j for j in json.loads(live("jobs", "list", "-f", "json").stdout)}
    assert listed["w"]["state"] == "awaiting (3)"
    target = tmp_path / "out.csv"
    r = live("jobs", "results", "w", "--wait", "--timeout", "0.2", "--interval", "0.1", "-o", str(target))
    assert r.exit_code == 1 and not target.exists() and "--partial" in r.stderr
    r = live("jobs", "results", "w", "--wait", "--timeout", "0.2", "--interval", "0.1", "-o", str(target),
             "--partial")  # fmt: skip
    assert r.exit_code == 1 and {row["connectivity_status"] for row in rows_of(target.read_text())} == {"PENDING"}


# --columns and --no-header ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_columns_picks_fields_in_every_format(cli, fmt):
    r = cli("nt", "-p", "offline", "+4930123456", "-f", fmt, "--columns", "number_type,msisdn")
    assert r.exit_code == 0, r.stderr
    if fmt == "csv":
        assert r.stdout.splitlines() == ["number_type,msisdn", "LANDLINE,+4930123456"]
    else:
        text = r.stdout if fmt == "ndjson" else json.dumps(json.loads(r.stdout)[0])
        assert json.loads(text.strip()) == {"number_type": "LANDLINE", "msisdn": "+4930123456"}
    r = cli("nt", "-p", "offline", "+4930123456", "-f", "csv", "--no-header", "--columns", "msisdn")
    assert r.stdout == "+4930123456\n"
    r = cli("nt", "-p", "offline", "+4930123456", "--columns", "colour")
    assert r.exit_code == 2 and "colour" in r.stderr and "number_type" in r.stderr


def test_table_output_past_1000_rows_is_refused(cli):
    r = cli("nt", "-p", "offline", *[f"+49301234{i:04d}" for i in range(1001)], "-f", "table")
    assert r.exit_code == 2 and "≤ 1000 rows" in r.stderr


# On a real terminal --------------------------------------------------------------------------------------------------
def _pty_run(args: list[str], env: dict[str, str], columns: int, keys: list[tuple[str, bytes]] = (),
             timeout: float = 60) -> tuple[int, str]:  # fmt: skip
    """Run hlrcli on a pseudo-terminal of `columns` columns; send each key after its prompt text appears."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its stdin, stdout and stderr
        os.environ.update({**env, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"})
        os.execv(sys.executable, [sys.executable, "-m", "hlrcli", *args])
    out = b""
    pending = list(keys)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if pending and pending[0][0].encode() in out:
            os.write(fd, pending.pop(0)[1])
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace").replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [80, 100])
def test_lookup_table_fits_the_terminal_with_the_columns_that_matter(emu, columns):
    code, out = _pty_run(["lookup", *DE, "not-a-number", "-p", "hlrlookups"], emu.env("hlrlookups"), columns)
    assert code == 2, out  # the invalid number: exit 2, after the others were looked up
    lines = [ANSI.sub("", line) for line in out.splitlines() if line.strip()]
    table = [line for line in lines if line[:1] in "┏┃┡│└"]
    assert max(len(line) for line in table) <= columns
    header = [cell.strip().rstrip("…") for cell in next(line for line in table if "msisdn" in line).split("┃")[1:-1]]
    # What matters for a lookup, in the width there is (a long header may end in an ellipsis).
    for name in ("msisdn", "connectivity_status", "network", "is_ported", "is_roaming", "cost", "error"):
        assert any(name.startswith(cell) and len(cell) >= 4 for cell in header), (name, header)
    body = [line for line in table if line.startswith("│")]
    assert len(body) == 4 and all(line.endswith("│") for line in body)  # the right border is there
    assert "CONNECTED" in body[0] and "0.0100" in body[0] and "not a" in body[3]


def test_ctrl_d_at_a_question_is_no_and_ctrl_c_is_exit_130(emu, tmp_path, isolated):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(3)])
    env = {**emu.env("hlrlookups"), "HLRCLI_HOME": os.environ["HLRCLI_HOME"], "HLRCLI_CONFIG": str(tmp_path / "c")}
    done = subprocess.run([sys.executable, "-m", "hlrcli", "batch", str(src), "--job", "q"], env={**os.environ, **env},
                          capture_output=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    args = ["batch", str(src), "--job", "q", "--again", "-o", str(tmp_path / "o.csv")]
    code, out = _pty_run(args, env, 100, [("Pay again?", b"\x04")])
    assert code == 2 and "nothing sent" in out and "Abort" not in out and "internal error" not in out
    code, out = _pty_run(args, env, 100, [("Pay again?", b"\x03")])
    assert code == 130 and out.count("interrupted") == 1 and "Traceback" not in out
    assert emu.charge_count() == 3


def test_batch_from_stdin_on_a_terminal_says_it_is_waiting(emu, tmp_path, isolated):
    env = {**emu.env("hlrlookups"), "HLRCLI_HOME": os.environ["HLRCLI_HOME"]}
    code, out = _pty_run(["batch", "-", "--dry-run"], env, 100, [("standard input", b"+491788735000\n\x04")])
    assert "reading CSV rows from standard input" in out and "Ctrl-D" in out
    assert code == 0, out


# Ctrl-C mid-batch: the hint is the command to run ----------------------------------------------------------------
def test_interrupt_summary_and_resume_hint_are_complete(emu, tmp_path):
    nums = numbers(400)
    src = write_csv(tmp_path / "big.csv", ["phone"], [[n] for n in nums])
    out = tmp_path / "big.out.csv"
    emu.latency = 0.05
    env = {**os.environ, **emu.env(), "HLRCLI_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "hlrcli", "batch", str(src), "-p", "hlrlookups", "-o", str(out),
                             "--job", "big", "--concurrency", "2"], env=env, stderr=subprocess.PIPE)  # fmt: skip
    while emu.charge_count() < 10:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    text = err.decode()
    assert proc.returncode == 130
    assert text.count("interrupted") == 1, text
    assert re.search(r"\b400 rows, 400 distinct", text), text
    [hint] = [line for line in text.splitlines() if "resume with" in line]
    command = hint.split("`")[1]
    assert f"-o {out}" in command and "--job big --resume" in command
    emu.latency = 0.0
    done = subprocess.run(
        [sys.executable, "-m", "hlrcli", *command.split()[1:]], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""  # the rows went to the recorded -o file, not to the terminal
    assert len(rows_of(out.read_text())) == 400
    charged = emu.charged_numbers("hlrlookups")
    assert len(charged) == 400 and max(charged.values()) == 1


def test_resume_continues_the_job_as_it_was_started(live, emu, tmp_path):
    """`--resume` needs no more than the job: its provider, type and pace come from it (a resume at full speed
    would meet the rate limit the first run was paced under)."""
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(12)])
    emu.inject(503, path="/nt-lookup", times=3)  # refused before processing: three numbers left to send
    first = live("batch", str(src), "-p", "hlrlookups", "-t", "nt", "--job", "nt1", "--rate", "600/min",
                 "--retries", "1", "-o", str(tmp_path / "o.csv"))  # fmt: skip
    assert first.exit_code == 1, first.stderr
    emu.rate_limits["hlrlookups"] = 2  # a pace of 10/s would break it
    emu.rate_windows = {"hlrlookups": 0.15}
    again = live("batch", str(src), "--job", "nt1", "--resume")
    assert again.exit_code == 0, again.stderr
    assert emu.throttled_count("hlrlookups") == 0
    assert len(emu.requests_to("/nt-lookup")) == 12 + 3 - 3 + 3  # 9 answered, 3 refused, then those 3
    # Without --job: the unfinished job made from this input.
    emu.inject(503, path="/nt-lookup", times=2)
    other = write_csv(tmp_path / "other.csv", ["phone"], [[n] for n in numbers(4, start=500)])
    assert live("batch", str(other), "-p", "hlrlookups", "-t", "nt", "--retries", "1", "-q").exit_code == 1
    assert live("batch", str(other), "--resume", "-q").exit_code == 0
    assert len(emu.charged_numbers("hlrlookups")) == 16
    # Not the default provider: the job's.
    emu.inject(503, path="/hlr/create")
    assert live("batch", str(other), "-p", "affiliate", "--job", "af", "--retries", "1", "-q").exit_code == 1
    assert live("batch", str(other), "--job", "af", "--resume", "-q").exit_code == 0
    assert len(emu.charged_numbers("affiliate")) == 4


PAID_LOOKUPS = [("lookup", "hlrlookups"), ("nt", "hlrlookups"), ("lookup", "affiliate"), ("lookup", "smspartner")]


@pytest.mark.parametrize(("command", "provider"), PAID_LOOKUPS)
def test_unknown_columns_are_refused_before_a_paid_lookup(live, emu, command, provider):
    r = live(command, "-p", provider, "+33612345678", "--columns", "msisdn,netwrok")
    assert r.exit_code == 2, r.stderr
    assert "netwrok" in r.stderr and "available:" in r.stderr
    assert emu.requests == []
    ok = live(command, "-p", provider, "+33612345678", "--columns", "provider,cost", "-f", "csv")
    assert ok.exit_code == 0, ok.stderr
    assert ok.stdout.splitlines()[0] == "provider,cost"


def test_unknown_columns_refuse_a_batch_before_any_job_or_request(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [["1", numbers(1)[0]]])
    r = live("batch", str(src), "-p", "hlrlookups", "--job", "cols", "--columns", "id,netwrok")
    assert r.exit_code == 2 and "netwrok" in r.stderr
    assert emu.requests == []
    assert "cols" not in live("jobs", "list", "-f", "csv").stdout  # no half-made job left behind
    r = live("batch", str(src), "-p", "hlrlookups", "--job", "cols", "--columns", "id,connectivity_status", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == "id,connectivity_status"


def test_xlsx_is_never_dumped_on_a_terminal_nor_paid_for_first(emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(2)])
    env = {**emu.env("hlrlookups"), "HLRCLI_HOME": str(tmp_path / "home")}
    for args in (["lookup", DE[0], "-p", "hlrlookups", "-f", "xlsx"], ["batch", str(src), "-f", "xlsx"]):
        code, out = _pty_run(args, env, 80)
        assert code == 2, out
        assert "xlsx is a binary file: write it with -o FILE.xlsx" in out and "PK" not in out
    assert emu.requests == []


def test_xlsx_to_a_reader_that_goes_away_is_quiet(tmp_path):
    done = subprocess.run(
        f"{sys.executable} -m hlrcli nt -p offline +4930123456 -f xlsx | head -c 20 > /dev/null; "
        "echo ${PIPESTATUS[0]}",
        shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == "0" and done.stderr == ""


def test_jobs_list_fits_80_columns_with_what_matters(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(3)])
    for args in (["-p", "hlrlookups"], ["-p", "smspartner"], ["-p", "affiliate", "--job", "my-monthly-run-2026-12"]):
        assert live("batch", str(src), *args, "-q", "-o", str(tmp_path / "o.csv")).exit_code == 0
    env = {"HLRCLI_HOME": os.environ["HLRCLI_HOME"], "HLRCLI_CONFIG": os.environ["HLRCLI_CONFIG"]}
    code, out = _pty_run(["jobs", "list"], env, 80)
    assert code == 0, out
    table = [ANSI.sub("", line) for line in out.splitlines() if line[:1] in "┏┃┡│└"]
    assert max(len(line) for line in table) <= 80
    header = [cell.strip() for cell in table[1].split("┃")[1:-1]]
    assert header == ["name", "state", "rows", "results", "pending", "cost"]
    assert "…" not in "".join(table)  # nothing cut
    assert sum("awaiting (3)" in line for line in table) == 2


def test_a_table_shows_the_network_a_ported_number_is_on_now(live, emu):
    ported = next(n for n in ("+33612345678", *DE) if emu.expected(n).get("is_ported"))
    r = live("lookup", ported, DE[0], "-p", "hlrlookups", "-f", "table")
    assert r.exit_code == 0, r.stderr
    [header, *_] = [ln for ln in r.stdout.splitlines() if "msisdn" in ln]
    assert "network" in header and "original_network_name" not in header
    row = next(ln for ln in r.stdout.splitlines() if ported in ln)
    want = json.loads(live("lookup", ported, "-p", "hlrlookups", "-f", "json").stdout)[0]
    assert want["is_ported"] and want["ported_network_name"] != want["original_network_name"]
    assert want["ported_network_name"] in row and want["original_network_name"] not in row


def test_a_batch_on_a_terminal_ends_with_a_breakdown_that_fits(emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(4)])
    env = {**emu.env("hlrlookups"), "HLRCLI_HOME": str(tmp_path / "home")}
    code, out = _pty_run(["batch", str(src), "-o", str(tmp_path / "o.csv")], env, 80)
    assert code == 0, out
    lines = [ANSI.sub("", line) for line in out.splitlines()]
    status = next(line for line in lines if line.startswith("hlrcli: status: "))
    assert "CONNECTED" in status or "ABSENT" in status
    assert any(line.startswith("hlrcli: networks: ") for line in lines)
    cost = next(line for line in lines if line.startswith("hlrcli: cost: "))
    assert "0.0400 EUR" in cost
    assert all(len(line) <= 80 for line in lines if line.startswith("hlrcli: "))
    # Off a terminal (cron), no breakdown: the summary line is enough.
    done = subprocess.run([sys.executable, "-m", "hlrcli", "batch", str(src), "-o", str(tmp_path / "p.csv")],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0 and "networks:" not in done.stderr and "sent" in done.stderr
