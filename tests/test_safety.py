"""Issue 8, safety: files written safely, secrets kept, the receiver and the client bounded, bad input refused
before anything is spent, spreadsheets defused.

The CLI runs in-process (CliRunner) or as a real process against the emulator over real HTTP; nothing of hlrcli's
is patched.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hlrcli.config import Settings
from hlrcli.store import Store
from hlrcli.webhook import webhook_token
from hlrcli.webhook.server import WebhookServer, make_server
from tests.conftest import Cli, assert_no_secrets, closed_port, rows_of
from tests.emulator import HLR_KEY, HLR_SECRET, Emulator, php_json
from tests.emulator import webhook_signature as sign
from tests.test_batch import numbers, write_csv

PROC_TIMEOUT = 60  # seconds a subprocess may take before the test gives up on it (never asserted on)
DRIP_TIMEOUT = 20  # a dripped answer takes about 45 s in all: a client without a total deadline overruns this


# Helpers ------------------------------------------------------------------------------------------------------
def hlrcli_env(emu: Emulator, **extra: str) -> dict[str, str]:
    return {**os.environ, **emu.env(), **extra}


def run(args: list[str], env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[bytes]:
    if "stdout" not in kw and "stderr" not in kw:
        kw["capture_output"] = True
    kw.setdefault("timeout", PROC_TIMEOUT)
    return subprocess.run([sys.executable, "-m", "hlrcli", *args], env=env, check=False, **kw)


def spawn(args: list[str], env: dict[str, str], **kw: Any) -> subprocess.Popen[bytes]:
    kw.setdefault("stdout", subprocess.DEVNULL)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([sys.executable, "-m", "hlrcli", *args], env=env, **kw)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error" in line.lower()]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def phones_csv(tmp_path: Path, count: int, name: str = "in.csv", start: int = 0) -> Path:
    return write_csv(tmp_path / name, ["id", "phone"], [[str(i), n] for i, n in enumerate(numbers(count, start))])


def tree(root: Path, skip: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if skip not in p.parents and p != skip}


# 8. -o: files written safely ------------------------------------------------------------------------------------
def test_output_to_a_fifo_is_written_through(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    src = phones_csv(tmp_path, 5)
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        r = live("batch", str(src), "-p", "hlrlookups", "-o", str(fifo))
        reader.join(10)
    finally:
        if reader.is_alive():  # the CLI never opened it: let the reader see an end
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            reader.join(5)
    assert r.exit_code == 0, r.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # written through, not replaced by a regular file
    [data] = got
    assert [row["id"] for row in rows_of(data.decode())] == [str(i) for i in range(5)]


def test_output_to_dev_null(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    r = live("batch", str(phones_csv(tmp_path, 3)), "-p", "hlrlookups", "-o", "/dev/null")
    assert r.exit_code == 0, r.stderr
    assert emu.charge_count() == 3


def test_output_through_a_symlink_replaces_its_target(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    target = real / "target.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    r = live("batch", str(phones_csv(tmp_path, 4)), "-p", "hlrlookups", "-o", str(link))
    assert r.exit_code == 0, r.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert [row["id"] for row in rows_of(target.read_text())] == ["0", "1", "2", "3"]
    assert not list(tmp_path.glob(".*.part")) and not list(real.glob(".*.part"))


@pytest.mark.parametrize("what", ["directory", "input"])
def test_output_refused_before_anything_is_sent(live: Cli, emu: Emulator, tmp_path: Path, what: str) -> None:
    src = phones_csv(tmp_path, 3)
    before = src.read_bytes()
    target = tmp_path / "adir" if what == "directory" else src
    if what == "directory":
        target.mkdir()
    r = live("batch", str(src), "-p", "hlrlookups", "-o", str(target))
    assert r.exit_code == 2
    [line] = error_lines(r.stderr)
    assert ("not a regular file" if what == "directory" else "is the input file") in line
    assert emu.requests == []
    assert src.read_bytes() == before
    # Nothing was half-done: the same command with a usable -o then runs normally.
    r = live("batch", str(src), "-p", "hlrlookups", "-o", str(tmp_path / "ok.csv"))
    assert r.exit_code == 0, r.stderr
    assert emu.charge_count() == 3


def test_left_over_part_of_a_dead_run_is_swept(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    alive = subprocess.Popen(["sleep", "30"])
    try:
        stale = tmp_path / f".out.csv.{dead.pid}.x.part"
        busy = tmp_path / f".out.csv.{alive.pid}.y.part"
        stale.write_text("half a file\n")
        busy.write_text("another run, still writing\n")
        r = live("batch", str(phones_csv(tmp_path, 2)), "-p", "hlrlookups", "-o", str(tmp_path / "out.csv"))
        assert r.exit_code == 0, r.stderr
        assert not stale.exists()
        assert busy.exists()  # its process is alive: not ours to remove
        assert len(rows_of((tmp_path / "out.csv").read_text())) == 2
    finally:
        alive.kill()
        alive.wait()


def test_sigterm_leaves_no_spool_of_stdin(emu: Emulator, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = hlrcli_env(emu, HLRCLI_HOME=str(home))
    spool = home / "spool"
    data = "".join(f"{n}\n" for n in numbers(80)).encode()
    # While sending.
    emu.latency = 0.05
    proc = spawn(["batch", "-", "-p", "hlrlookups", "--concurrency", "1", "--job", "term"], env, stdin=subprocess.PIPE)
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write(data)
    proc.stdin.close()
    try:
        wait_for(lambda: emu.charge_count() >= 2, "the batch sent something")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=PROC_TIMEOUT)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert list(spool.iterdir()) == []
    # While stdin is still being read into the spool (nothing sent yet).
    sent = len(emu.requests)
    proc = spawn(["batch", "-", "-p", "hlrlookups", "--job", "term2"], env, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        proc.stdin.write(data[:200])
        proc.stdin.flush()
        wait_for(lambda: any(spool.glob("stdin-*")), "the spool file was created")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=PROC_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert list(spool.iterdir()) == []
    assert len(emu.requests) == sent


# 9. Private state: HLRCLI_HOME 0700, the store 0600 ---------------------------------------------------------------
def test_home_and_store_are_private_while_a_batch_runs(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = hlrcli_env(emu, HLRCLI_HOME=str(home))
    emu.latency = 0.05
    src = phones_csv(tmp_path, 40)
    # umask 0: whatever hlrcli creates is as private as hlrcli makes it, not as the umask happens to make it.
    proc = spawn(["batch", str(src), "-p", "hlrlookups", "--concurrency", "1", "-o", str(tmp_path / "o.csv")], env,
                 preexec_fn=lambda: os.umask(0))  # fmt: skip
    db = home / "jobs.sqlite3"
    try:
        wait_for(lambda: emu.charge_count() >= 2, "the batch sent something")
        files = [db, db.with_name("jobs.sqlite3-wal"), db.with_name("jobs.sqlite3-shm")]
        assert all(f.exists() for f in files)
        assert mode_of(home) == 0o700
        for f in files:
            assert mode_of(f) == 0o600, f
        for sub in home.iterdir():
            if sub.is_dir():
                assert mode_of(sub) == 0o700, sub
        assert proc.poll() is None, "the batch ended before the checks: slow the emulator down"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=PROC_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    # A store left 0644 (by an earlier release, a restore from backup) is made private when opened.
    db.chmod(0o644)
    assert live("jobs", "list", "-f", "json").exit_code == 0
    assert mode_of(db) == 0o600


@pytest.mark.parametrize("first", ["batch-stdin", "webhook-url"])
def test_home_is_private_whichever_command_creates_it(emu: Emulator, tmp_path: Path, first: str) -> None:
    home = tmp_path / "fresh-home"
    env = hlrcli_env(emu, HLRCLI_HOME=str(home))
    if first == "batch-stdin":
        done = run(
            ["batch", "-", "-p", "hlrlookups"], env, input=b"+491788735001\n", preexec_fn=lambda: os.umask(0o022)
        )
    else:
        done = run(["webhook", "url"], env, preexec_fn=lambda: os.umask(0o022))
    assert done.returncode == 0, done.stderr
    assert mode_of(home) == 0o700


# 10. The webhook token stays out of the store and every output ---------------------------------------------------
def _everything_in(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file() and p.name != "webhook-token")


def test_webhook_token_is_sent_but_never_shown_or_stored(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    token = webhook_token(Settings.load())  # generated once, kept in HLRCLI_HOME/webhook-token
    url = f"https://hooks.example.com/hlrcli/smspartner?token={token}"
    src = phones_csv(tmp_path, 4)
    emu.inject(503, path="/hlr/notify", provider="smspartner")  # refused: the chunk is sent again on --resume
    outputs = []
    r = live("batch", str(src), "-p", "smspartner", "--notify-url", url, "--job", "tok", "--retries", "1")
    assert r.exit_code == 1
    outputs.append(r.all)
    r = live("batch", str(src), "-p", "smspartner", "--job", "tok", "--resume")
    assert r.exit_code == 0, r.stderr
    outputs.append(r.all)
    r = live("lookup", "-p", "smspartner", numbers(1, start=100)[0], "--notify-url", url, "-f", "json")
    assert r.exit_code == 0, r.stderr
    outputs.append(r.all)
    assert "token=***" in r.stdout  # the receipt shows where results go, token masked
    lookup_job = r.stderr.split("(job ")[1].split(")")[0]
    for args in (
        ("jobs", "show", "tok", "-f", "json"),
        ("jobs", "list", "-f", "json"),
        ("jobs", "show", lookup_job, "-f", "json"),
        ("jobs", "show", "tok", "--chunks", "-f", "json"),
    ):
        shown = live(*args)
        assert shown.exit_code == 0, shown.stderr
        outputs.append(shown.all)
    [job] = json.loads(live("jobs", "show", "tok", "-f", "json").stdout)
    assert job["options"]["notify_url"] == "https://hooks.example.com/hlrcli/smspartner?token={HLRCLI_WEBHOOK_TOKEN}"
    for text in outputs:
        assert token not in text
    assert token.encode() not in _everything_in(Path(os.environ["HLRCLI_HOME"]))
    sent = [q.json()["notifyUrl"] for q in emu.requests_to("/hlr/notify", "smspartner")]
    assert sent == [url, url, url]  # refused, resumed, lookup: the real token each time


def test_resume_keeps_a_foreign_token_and_never_sends_ours_elsewhere(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    ours = webhook_token(Settings.load())
    url = "https://other.example/hook?token=someone-elses-token-0123456789"
    src = phones_csv(tmp_path, 3)
    emu.inject(503, path="/hlr/notify", provider="smspartner")
    assert live("batch", str(src), "-p", "smspartner", "--notify-url", url, "--job", "f", "--retries", "1").exit_code
    r = live("batch", str(src), "-p", "smspartner", "--job", "f", "--resume")
    assert r.exit_code == 0, r.stderr
    sent = [q.json()["notifyUrl"] for q in emu.requests_to("/hlr/notify", "smspartner")]
    assert all(ours not in u for u in sent)
    assert sent == [url, url]


# 11. No credential follows a redirect ----------------------------------------------------------------------------
REDIRECTED = {
    "hlrlookups-digest": ("hlrlookups", {}, ["lookup", "+491788735001"]),
    "hlrlookups-basic": ("hlrlookups", {"HLR_LOOKUPS_AUTH": "basic"}, ["lookup", "+491788735001"]),
    "smspartner-get-query-key": ("smspartner", {}, ["balance", "-p", "smspartner"]),
    "smspartner-post-body-key": ("smspartner", {}, ["lookup", "-p", "smspartner", "+33612345678"]),
    "affiliate-header-key": ("affiliate", {}, ["lookup", "-p", "affiliate", "+491788735001"]),
}


@pytest.mark.parametrize("status", [302, 307])
@pytest.mark.parametrize("case", list(REDIRECTED))
def test_no_credential_follows_a_redirect(live: Cli, emu: Emulator, case: str, status: int) -> None:
    provider, env, args = REDIRECTED[case]
    live.env(**env)
    emu.inject_redirect(status, provider=provider)
    r = live(*args, "-f", "json")
    assert r.exit_code == 3
    [line] = r.stderr.splitlines()
    assert emu.foreign_url.split("://")[1] in line and str(status) in line
    assert emu.foreign_requests == []
    assert emu.charges == []
    assert_no_secrets(r.all)


# 12. Error messages never echo a secret --------------------------------------------------------------------------
def test_secret_in_the_wrong_setting_is_not_echoed(live: Cli, emu: Emulator) -> None:
    live.env(HLR_LOOKUPS_AUTH="pasted-secret-0123456789")
    r = live("lookup", "+491788735001")
    assert r.exit_code == 3
    assert "HLR_LOOKUPS_AUTH" in r.stderr
    assert "pasted-secret-0123456789" not in r.all and "0123456789" not in r.all
    r = live("config", "show", "-f", "json")
    assert "pasted-secret" not in r.all


def test_password_in_a_base_url_is_never_shown(live: Cli, emu: Emulator) -> None:
    password = "pw-in-url-s3cret"
    live.env(HLR_LOOKUPS_BASE_URL=f"http://user:{password}@127.0.0.1:{closed_port()}/api/v2")
    r = live("balance", "--retries", "1", "-v")
    assert r.exit_code == 1 and "could not connect" in r.stderr
    assert password not in r.all
    live.env(HLR_LOOKUPS_BASE_URL=emu.hlr_url.replace("://", f"://user:{password}@"))
    r = live("lookup", "+491788735001", "-v", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert "[trace]" in r.stderr and password not in r.all
    r = live("config", "show", "-f", "json")
    [row] = [row for row in json.loads(r.stdout) if row["name"] == "HLR_LOOKUPS_BASE_URL"]
    assert password not in r.all and row["value"].startswith("http://***@127.0.0.1:")


def test_config_show_reveals_at_most_four_characters(live: Cli, emu: Emulator) -> None:
    secrets_ = {"HLR_LOOKUPS_API_SECRET": "Zq8xW2vLp0sK4mN7tR1yB6cD", "SMSPARTNER_API_KEY": "Hk3Jq9Wz",
                "HLRCLI_WEBHOOK_TOKEN": "Vb5Nc2Xm8Lk1Pj4Hg7Fd0Sa3"}  # fmt: skip
    live.env(**secrets_)
    r = live("config", "show", "-f", "json")
    assert r.exit_code == 0, r.stderr
    shown = {row["name"]: row["value"] for row in json.loads(r.stdout)}
    for name, secret in secrets_.items():
        revealed = [secret[i : i + 5] for i in range(len(secret) - 4)]
        assert not any(part in r.all for part in revealed), name
        assert shown[name] in ("****", f"…{secret[-4:]}")


@pytest.mark.parametrize("how", [["-"], []], ids=["dash", "no-value"])
def test_config_set_reads_the_secret_from_stdin(cli: Cli, tmp_path: Path, how: list[str]) -> None:
    secret = "stdin-secret-value-9876"
    r = cli("config", "set", "HLR_LOOKUPS_API_SECRET", *how, input=secret + "\n")
    assert r.exit_code == 0, r.stderr
    assert secret not in r.all
    path = Path(os.environ["HLRCLI_CONFIG"])
    assert f'HLR_LOOKUPS_API_SECRET = "{secret}"' in path.read_text()
    assert mode_of(path) == 0o600
    r = cli("config", "show", "-f", "json")
    assert secret not in r.all and "…9876" in r.stdout


# 13. The webhook receiver is bounded -------------------------------------------------------------------------------
@pytest.fixture
def serve(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[WebhookServer, list[str]]]]:
    """Starts receivers on the test's own home (`serve(max_body=…, max_connections=…)`); stopped at the end."""
    started: list[tuple[WebhookServer, Store]] = []
    monkeypatch.setenv("HLR_LOOKUPS_API_KEY", HLR_KEY)  # hlrlookups deliveries are verified with them
    monkeypatch.setenv("HLR_LOOKUPS_API_SECRET", HLR_SECRET)

    def start(**kw: Any) -> tuple[WebhookServer, list[str]]:
        settings = Settings.load()
        store = Store.open(settings.home(), durable=True)
        logs: list[str] = []
        server = make_server(settings, store, "127.0.0.1", 0, "/hlrcli", log=logs.append, **kw)
        server.start()
        started.append((server, store))
        return server, logs

    yield start
    for server, store in started:
        server.stop(grace=5)
        store.close()


def _affiliate_path(server: WebhookServer) -> str:
    return f"/hlrcli/affiliate?token={webhook_token(Settings.load())}"


def _head(path: str, length: int) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()  # fmt: skip


def _status(sock: socket.socket) -> int:
    answer = b""
    while b"\r\n" not in answer:
        part = sock.recv(1024)
        if not part:
            break
        answer += part
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def _stored(server: WebhookServer) -> int:
    return int(server.receiver.store.query("SELECT COUNT(*) FROM deliveries")[0][0])


def test_receiver_refuses_a_big_body_from_its_content_length(serve: Any) -> None:
    server, _ = serve(max_body=1024)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(_head(_affiliate_path(server), 1_000_000_000))  # and not one byte of the body
        assert _status(sock) == 413
    assert _stored(server) == 0


AFF_CALLBACK = {"id": "77", "reference": "r77", "msisdn": "491788735001", "network": "26201", "status": "active",
                "details": {"ported": "0", "roaming": "0"}}  # fmt: skip


def test_receiver_answers_503_beyond_max_connections(serve: Any) -> None:
    server, _ = serve(max_connections=2, slot_wait=0.2)
    body = json.dumps(AFF_CALLBACK).encode()
    slow = []
    for i in range(2):  # two senders that hold their slot: headers sent, body not yet
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=15)
        item = json.dumps({**AFF_CALLBACK, "id": f"7{i}", "reference": f"r7{i}"}).encode()
        sock.sendall(_head(_affiliate_path(server), len(item)) + item[:5])
        slow.append((sock, item))
    wait_for(lambda: server.receiver.slots._value == 0, "both slots taken")  # type: ignore[attr-defined]
    session = requests.Session()
    session.trust_env = False
    third = session.post(f"http://127.0.0.1:{server.port}{_affiliate_path(server)}", data=body,
                         headers={"Content-Type": "application/json"}, timeout=15)  # fmt: skip
    assert third.status_code == 503 and third.headers.get("Retry-After")
    for sock, item in slow:  # the slow ones still get through
        sock.sendall(item[5:])
        assert _status(sock) == 200
        sock.close()
    assert _stored(server) == 2


@pytest.mark.parametrize("part", ["headers", "body"])
def test_receiver_cuts_off_a_dripping_client(serve: Any, part: str) -> None:
    server, _ = serve(read_deadline=0.5)
    body = json.dumps(AFF_CALLBACK).encode()
    request = _head(_affiliate_path(server), len(body)) + body
    split = 10 if part == "headers" else len(request) - len(body) + 1
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request[:split])
        sent = split
        try:
            while sent < len(request):  # one byte every 0.1 s: far longer than the deadline in all
                time.sleep(0.1)
                sock.sendall(request[sent : sent + 1])
                sent += 1
        except OSError:
            pass  # cut off
        status = _status(sock)
    assert sent < len(request) and status in (0, 408)
    assert _stored(server) == 0


@pytest.mark.parametrize("provider", ["affiliate", "smspartner", "hlrlookups"])
def test_receiver_answers_400_to_absurd_nesting(serve: Any, provider: str) -> None:
    server, logs = serve()
    body = b"[" * 100_000
    session = requests.Session()
    session.trust_env = False
    url = server.endpoint(provider)
    headers = {"Content-Type": "application/json"}
    if provider == "hlrlookups":
        headers["X-Signatures"] = sign(HLR_KEY, HLR_SECRET, body)
    else:
        url += f"?token={webhook_token(Settings.load())}"
    r = session.post(url, data=body, headers=headers, timeout=15)
    assert r.status_code == 400, (r.status_code, logs)
    assert session.get(server.base_url + "/health", timeout=5).text == "ok\n"
    assert _stored(server) == 0


# 14. The client bounds each request in total --------------------------------------------------------------------
def test_dripping_answer_to_a_lookup_is_cut_off_replayed_once_then_uncertain(emu: Emulator) -> None:
    # One byte every 0.05 s never trips the 0.2 s read timeout; only the total deadline (3 × --timeout) does.
    emu.inject_drip(0.05, path="/hlr-lookup", times=2)
    done = run(["lookup", "+491788735001", "--timeout", "0.2", "-f", "csv"], hlrcli_env(emu), timeout=DRIP_TIMEOUT)
    assert done.returncode == 1, done.stderr
    err = done.stderr.decode()
    assert "sending it again" in err and "may have been processed" in err
    assert len(emu.requests_to("/hlr-lookup")) == 2
    assert "may have been processed" in rows_of(done.stdout.decode())[0]["error"]
    assert emu.wait_answers(10)


def test_dripping_answer_in_a_batch_is_cut_off_and_uncertain(emu: Emulator, tmp_path: Path) -> None:
    emu.inject_drip(0.05, path="/hlr-lookup")
    env = hlrcli_env(emu, HLRCLI_HOME=str(tmp_path / "home"))
    args = ["batch", str(phones_csv(tmp_path, 3)), "-p", "hlrlookups", "--timeout", "0.2", "--job", "d"]
    done = run(args, env, timeout=DRIP_TIMEOUT)
    assert done.returncode == 1, done.stderr
    rows = rows_of(done.stdout.decode())
    assert len(rows) == 3 and sum("may have been processed" in row["error"] for row in rows) == 1
    assert b"1 uncertain" in done.stderr
    assert len(emu.requests_to("/hlr-lookup")) == 3  # cut off, not resent
    assert emu.wait_answers(10)


# Runs hlrcli in a fresh interpreter that writes its own peak memory (VmHWM) at exit. Not ru_maxrss from wait4:
# Linux carries the forking process's peak across exec, so a child of a large pytest would look large.
_MEASURED = (
    "import atexit, runpy, sys\n"
    "def peak(path):\n"
    "    line = next(x for x in open('/proc/self/status') if x.startswith('VmHWM:'))\n"
    "    open(path, 'w').write(str(int(line.split()[1]) * 1024))\n"
    "atexit.register(peak, sys.argv[1])\n"
    "sys.argv = ['hlrcli', *sys.argv[2:]]\n"
    "runpy.run_module('hlrcli', run_name='__main__')\n"
)


def _run_measured(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, str, str, int]:
    """Exit code, stdout, stderr and peak memory (bytes) of one hlrcli process."""
    peak = tmp_path / "peak"
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(peak), *args], env=env, capture_output=True, timeout=PROC_TIMEOUT
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode(), int(peak.read_text())


MEMORY_BOUND = 100_000_000  # bytes: hlrcli needs about 55 MB; one that read an 80 MB answer would need 135 MB or more


def test_huge_answer_is_refused_without_reading_it(emu: Emulator, tmp_path: Path) -> None:
    env = hlrcli_env(emu, HLRCLI_HOME=str(tmp_path / "home"))
    emu.inject_huge(80_000_000, path="/hlr-lookup")
    code, out, err, peak = _run_measured(["batch", str(phones_csv(tmp_path, 2)), "-p", "hlrlookups"], env, tmp_path)
    assert code == 1, err
    assert "1 uncertain" in err
    assert sum("over 67108864" in row["error"] for row in rows_of(out)) == 1
    assert peak < MEMORY_BOUND, peak
    # A free GET: an error, not a result (and retried like any lost answer, up to --retries).
    emu.inject_huge(80_000_000, path="/balance", times=5)
    code, out, err, peak = _run_measured(["balance", "--retries", "2"], env, tmp_path)
    assert code == 1
    [line] = err.splitlines()
    assert "over 67108864" in line and out == ""
    assert len(emu.requests_to("/balance")) == 2
    assert peak < MEMORY_BOUND, peak
    assert emu.wait_answers(10)


# 15. Bad input: one line, exit 2, nothing spent ----------------------------------------------------------------
def test_input_with_only_cr_line_endings(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    nums = numbers(4)
    src = tmp_path / "mac.csv"
    src.write_bytes(b"name,phone\r" + b"".join(f"n{i},{n}\r".encode() for i, n in enumerate(nums)))
    r = live("batch", str(src), "-p", "hlrlookups", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert [(o["name"], o["msisdn"]) for o in json.loads(r.stdout)] == [(f"n{i}", n) for i, n in enumerate(nums)]


def test_directory_as_input(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    r = live("batch", str(tmp_path), "-p", "hlrlookups")
    assert r.exit_code == 2
    [line] = r.stderr.splitlines()
    assert "is a directory" in line
    assert emu.requests == []


@pytest.mark.parametrize(
    ("option", "value"),
    [("--max-cost", "inf"), ("--max-cost", "nan"), ("--max-cost", "-1"), ("--timeout", "-1"), ("--timeout", "nan"),
     ("--timeout", "inf")],
)  # fmt: skip
def test_absurd_numbers_in_options(live: Cli, emu: Emulator, tmp_path: Path, option: str, value: str) -> None:
    r = live("batch", str(phones_csv(tmp_path, 2)), "-p", "hlrlookups", option, value)
    assert r.exit_code == 2
    [line] = r.stderr.splitlines()  # one line that says what is wrong
    assert line.startswith("hlrcli: error: ") and option in line
    assert "Traceback" not in r.stderr
    assert emu.requests == []


@pytest.mark.parametrize("job", ["a/b", "../../x", "x" * 5000, "", ".hidden"])
def test_job_names_that_are_not_names(live: Cli, emu: Emulator, tmp_path: Path, job: str) -> None:
    src = phones_csv(tmp_path, 2)
    home = Path(os.environ["HLRCLI_HOME"])
    before = tree(tmp_path, home)
    r = live("batch", str(src), "-p", "hlrlookups", "--job", job)
    assert r.exit_code == 2
    [line] = r.stderr.splitlines()
    assert "--job" in line
    assert emu.requests == []
    assert tree(tmp_path, home) == before  # nothing created outside HLRCLI_HOME


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["--max-cost", "5"],  # the cost estimate (GET /price) would be a request: refused before it
    ],
    ids=["plain", "max-cost"],
)
def test_closed_stdout_is_refused_before_anything_is_sent(emu: Emulator, tmp_path: Path, extra: list[str]) -> None:
    env = hlrcli_env(emu, HLRCLI_HOME=str(tmp_path / "home"))
    src = phones_csv(tmp_path, 3)
    done = run(["batch", str(src), "-p", "hlrlookups", *extra], env, stdout=None, stderr=subprocess.PIPE,
               preexec_fn=lambda: os.close(1))  # fmt: skip
    assert done.returncode == 2
    err = done.stderr.decode()
    [line] = error_lines(err)
    assert "standard output is closed" in line and "Traceback" not in err
    assert emu.requests == []
    listed = run(["jobs", "list", "-f", "json"], env)
    assert all(j["state"] != "running" for j in json.loads(listed.stdout))


def test_ascii_locale_never_crashes(emu: Emulator, tmp_path: Path) -> None:
    env = hlrcli_env(emu, HLRCLI_HOME=str(tmp_path / "home"), PYTHONIOENCODING="ascii", LC_ALL="C", LANG="C")
    src = tmp_path / "accents.csv"
    src.write_text("nom,phone\nRené…,+491788735001\nJosé,+491788735002\n", encoding="utf-8")
    for args, code in ((["batch", str(src), "-p", "hlrlookups"], 0), (["lookup", "Renée…", "-p", "hlrlookups"], 2)):
        done = run(args, env)
        err = done.stderr.decode("ascii", "replace")
        assert done.returncode == code, err
        assert "Traceback" not in err and "UnicodeEncodeError" not in err
    # Written to a file, the data is UTF-8 whatever the locale.
    done = run(["batch", str(src), "-p", "hlrlookups", "-o", str(tmp_path / "o.csv")], env)
    assert done.returncode == 0
    assert [row["nom"] for row in rows_of((tmp_path / "o.csv").read_text("utf-8"))] == ["René…", "José"]


def test_disk_full_output_keeps_the_journal(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    src = phones_csv(tmp_path, 3)
    r = live("batch", str(src), "-p", "hlrlookups", "--job", "full", "-o", "/dev/full")
    assert r.exit_code == 1
    [line] = error_lines(r.stderr)
    assert "disk full" in line and "--resume" in line
    charged = emu.charge_count()
    r = live("batch", str(src), "-p", "hlrlookups", "--job", "full", "--resume", "-o", str(tmp_path / "o.csv"))
    assert r.exit_code == 0, r.stderr
    assert emu.charge_count() == charged  # nothing bought twice
    assert len(rows_of((tmp_path / "o.csv").read_text())) == 3


@pytest.mark.parametrize(
    "cell", ["-491788735001", "=491788735001", "@491788735001", "=+491788735001", "@+491788735001", "- 491788735001"]
)
def test_formula_cells_are_invalid_rows_never_sent(live: Cli, emu: Emulator, tmp_path: Path, cell: str) -> None:
    src = write_csv(tmp_path / "in.csv", ["name", "phone"], [["x", cell], ["y", "+491788735002"]])
    r = live("batch", str(src), "-p", "hlrlookups", "-f", "json")
    out = json.loads(r.stdout)
    assert out[0]["error"] and not out[0]["connectivity_status"]
    assert list(emu.charged_numbers()) == ["+491788735002"]


# 16. Spreadsheet safety ---------------------------------------------------------------------------------------
NAMES = {
    '=HYPERLINK("http://evil.example","x")': '\'=HYPERLINK("http://evil.example","x")',
    "@SUM(A1)": "'@SUM(A1)",
    "\tTAB": "'\tTAB",
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "-12.5": "-12.5",
    "+491711111111": "+491711111111",
    "plain": "plain",
}


def _csv_column(text: str, column: str) -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(text, newline=""))]


def test_csv_output_defuses_formulas_in_input_cells(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    nums = numbers(len(NAMES))
    src = write_csv(tmp_path / "in.csv", ["name", "phone"], [[n, p] for n, p in zip(NAMES, nums, strict=True)])
    r = live("batch", str(src), "-p", "hlrlookups", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert _csv_column(r.stdout, "name") == list(NAMES.values())
    assert _csv_column(r.stdout, "phone") == nums  # +E.164 is a plain number: kept as is
    raw = live("batch", str(src), "-p", "hlrlookups", "-f", "csv", "--raw")
    assert _csv_column(raw.stdout, "name") == list(NAMES)
    for fmt in ("json", "ndjson"):
        out = live("batch", str(src), "-p", "hlrlookups", "-f", fmt).stdout
        rows = json.loads(out) if fmt == "json" else [json.loads(line) for line in out.splitlines()]
        assert [row["name"] for row in rows] == list(NAMES)


def test_csv_cell_with_a_carriage_return_stays_in_its_row(live: Cli, emu: Emulator, tmp_path: Path) -> None:
    names = ["\rCR", "x\r=1+1", "ok"]
    nums = numbers(len(names))
    src = tmp_path / "in.csv"
    with src.open("w", newline="") as fh:  # a well-formed input: its CR cells quoted
        writer = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerows([["name", "phone"], *([n, p] for n, p in zip(names, nums, strict=True))])
    r = live("batch", str(src), "-p", "hlrlookups", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert _csv_column(r.stdout, "phone") == nums
    assert _csv_column(r.stdout, "name") == ["'\rCR", "x\r=1+1", "ok"]


def test_csv_output_defuses_formulas_in_provider_fields(live: Cli, emu: Emulator, serve: Any, tmp_path: Path) -> None:
    server, _ = serve()
    nums = numbers(2)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums])
    r = live("batch", str(src), "-p", "hlrlookups", "--mode", "async", "--job", "xl", "-f", "json")
    assert r.exit_code == 0, r.stderr
    ids = [row["id"] for row in json.loads(r.stdout)]
    evil = {"original_network_name": "=cmd|' /C calc'!A0", "error_description": "@SUM(1+1)", "mccmnc": "-1+1"}
    results = [{"id": ids[i], "msisdn": n, "connectivity_status": "CONNECTED", "cost": "0.0100", **evil}
               for i, n in enumerate(nums)]  # fmt: skip
    body = php_json({"type": "HLR", "results": results})
    session = requests.Session()
    session.trust_env = False
    posted = session.post(
        server.endpoint("hlrlookups"),
        data=body,
        timeout=10,
        headers={"Content-Type": "application/json", "X-Signatures": sign(HLR_KEY, HLR_SECRET, body)},
    )
    assert posted.status_code == 200, posted.text
    out = live("jobs", "results", "xl", "-f", "csv")
    assert out.exit_code == 0, out.stderr
    for field, value in evil.items():
        assert _csv_column(out.stdout, field) == ["'" + value] * 2
    raw = live("jobs", "results", "xl", "-f", "csv", "--raw").stdout
    assert _csv_column(raw, "original_network_name") == [evil["original_network_name"]] * 2
    as_json = json.loads(live("jobs", "results", "xl", "-f", "json").stdout)
    assert [row["error_description"] for row in as_json] == [evil["error_description"]] * 2
