"""Shared fixtures: an isolated environment, the provider emulator on 127.0.0.1, and a CLI runner.

Tests drive the real CLI (typer's CliRunner, or a subprocess where a real process is needed) against the
emulator over real HTTP; nothing of ours is patched.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from hlrcli.cli.app import build
from hlrcli.config import SPECS
from tests.emulator import Emulator

if TYPE_CHECKING:
    from hlrcli.webhook.server import WebhookServer

ROOT = Path(__file__).resolve().parents[1]
SECRETS = (
    "emu-hlr-key",
    "emu-hlr-secret-0123456789",
    "emu-smsp-key-0123456789",
    "live_emu-aff-key-0123456789",
)


# pytest keeps its assertion-rewritten test modules in __pycache__ only where Python may write bytecode: with
# PYTHONDONTWRITEBYTECODE=1 every worker would rewrite every test module on every run (seconds of CPU each).
sys.dont_write_bytecode = False


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No setting leaks in from the developer's machine: env cleared, config file and home in tmp."""
    for spec in SPECS:
        monkeypatch.delenv(spec.name, raising=False)
    for name in ("HLRCLI_CONFIG", "NO_COLOR", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HLRCLI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HLRCLI_CONFIG", str(tmp_path / "config.toml"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture(scope="session")
def _emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


def _knobs(emu: Emulator) -> dict[str, object]:
    """The emulator's public settings (latency, rate limits, webhook URLs…), deep enough to restore."""
    return {k: copy.deepcopy(v) for k, v in vars(emu).items() if not k.startswith("_") and not callable(v)}


@pytest.fixture
def emu(_emulator: Emulator) -> Iterator[Emulator]:
    """The emulator, reset before each test (one server for the whole session keeps tests fast).

    Settings a test changes (duplicate deliveries, rate limits, …) are put back afterwards.
    """
    defaults = _knobs(_emulator)
    _emulator.reset()
    yield _emulator
    errors = list(_emulator.server_errors)
    for key, value in defaults.items():
        setattr(_emulator, key, value)
    _emulator.reset()
    assert not errors, errors


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def all(self) -> str:
        return self.stdout + self.stderr


class Cli:
    """Runs `hlrcli ARGS` in-process with the given environment; returns exit code, stdout, stderr."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.app = build()

    def env(self, **values: str) -> None:
        for key, value in values.items():
            self.monkeypatch.setenv(key, value)

    def __call__(self, *args: str, input: str | bytes | None = None) -> Result:
        result = CliRunner().invoke(self.app, list(args), input=input, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(monkeypatch)


@pytest.fixture
def live(cli: Cli, emu: Emulator) -> Cli:
    """A CLI configured for all three providers on the emulator."""
    cli.env(**emu.env())
    return cli


@pytest.fixture
def receiver(live: Cli, emu: Emulator) -> Iterator[WebhookServer]:
    """`hlrcli webhook serve`'s server in a thread, on the same store and settings as the CLI under test."""
    from hlrcli.config import Settings
    from hlrcli.store import Store
    from hlrcli.webhook.server import make_server

    settings = Settings.load()
    store = Store.open(settings.home(), durable=True)
    server = make_server(settings, store, "127.0.0.1", 0, "/hlrcli")
    server.start()
    yield server
    assert server.stop(grace=5)
    store.close()


def run_process(
    args: Sequence[str], env: dict[str, str] | None = None, input: bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """The installed entry point in a real process (for signals, TTY-less defaults, start-up)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hlrcli", *args],
        env=full_env,
        input=input,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def rows_of(text: str) -> list[dict[str, str]]:
    """CSV output as dicts."""
    return list(csv.DictReader(io.StringIO(text)))


def closed_port() -> int:
    """A local port nothing listens on (for connection-refused tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"secret {secret!r} leaked"


# The longest tests start first, so that no worker is still running one when the others have finished
# (pytest-xdist hands tests out in collection order).
SLOW_FIRST = (
    "tests/test_readme.py::test_every_example_runs_as_written",
    "tests/test_batch.py::test_interrupted_while_reading_the_input_resume_reads_it_again",
    "tests/test_offline_exact.py::test_offline_batch_csv_is_what_the_row_shaper_and_csv_writer_write",
    "tests/test_cli.py::test_resume_continues_the_job_as_it_was_started",
    "tests/test_money.py::test_a_reader_that_goes_away_stops_sending_and_every_answer_in_flight_is_recorded",
    "tests/test_batch.py::test_429_storm_every_number_submitted_once",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        for i, prefix in enumerate(SLOW_FIRST):
            if item.nodeid.startswith(prefix):
                return i
        return len(SLOW_FIRST)

    items.sort(key=rank)  # stable: the rest keep their order
