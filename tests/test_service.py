"""The job service on its own: its rules as functions (mode, options, names, run options, lifecycle), and a batch
driven through `Jobs` directly (the CLI is one caller; `import hlrcli` is another)."""

from __future__ import annotations

import io
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hlrcli.batch.plan import check_job_name, job_name
from hlrcli.batch.service import TRANSITIONS, BatchRequest, Jobs, check_options, choose_mode
from hlrcli.config import Settings
from hlrcli.errors import ExitCode, UnsupportedError, UsageError
from hlrcli.output import Format
from hlrcli.providers import make, provider_class
from hlrcli.providers.base import Runtime
from hlrcli.store import Job, JobState, NumberState, Store
from tests.test_batch import numbers, write_csv


@dataclass
class QuietUi:
    quiet: bool = False
    lines: list[str] = field(default_factory=list)
    answer: bool = False

    def notice(self, message: str) -> None:
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append(message)

    def trace(self, message: str) -> None:
        pass

    def can_ask(self) -> bool:
        return True

    def confirm(self, question: str) -> bool:
        self.lines.append(question)
        return self.answer

    def progress(self, total: int | None, label: str) -> QuietUi:
        return self

    def advance(self, count: int, cost: float) -> None:
        pass

    def stop(self) -> None:
        pass


def _jobs(ui: QuietUi) -> Jobs:
    settings = Settings.load()
    made: dict[str, object] = {}

    def factory(command, *, name=None, concurrency=4, per_minute=None):  # the service's ProviderFactory
        chosen = name or "hlrlookups"
        if chosen not in made:
            made[chosen] = make(chosen, settings, Runtime(pool_size=16, per_minute=per_minute))
        return made[chosen]

    return Jobs(settings, ui, factory)


def test_the_mode_is_the_providers_to_give() -> None:
    settings = Settings({})
    offline = provider_class("offline")(settings)
    assert choose_mode(offline, "nt", None) == "sync"
    with pytest.raises(UnsupportedError, match="batch --type hlr is not available on offline; use -p hlrlookups"):
        choose_mode(offline, "hlr", None)
    with pytest.raises(UnsupportedError, match="no asynchronous nt endpoint"):
        choose_mode(offline, "nt", "async")


def test_provider_options_belong_to_their_provider() -> None:
    offline = provider_class("offline")(Settings({}))
    assert check_options(offline, {"route": None, "tag": None}) == {}
    with pytest.raises(UsageError, match="--tag only applies to -p smspartner"):
        check_options(offline, {"tag": "x"})


@pytest.mark.parametrize("name", ["a/b", "../../x", "x" * 101, ".hidden", "", "a b", "ü"])
def test_job_names_are_file_names_inside_home(name: str) -> None:
    with pytest.raises(UsageError):
        check_job_name(name)
    assert check_job_name("customers-2026-12_v1.2") == "customers-2026-12_v1.2"
    assert job_name("hlrlookups", "hlr", "sync", "abc", {"x": 1}) == job_name(
        "hlrlookups", "hlr", "sync", "abc", {"x": 1}
    )


def test_every_state_has_somewhere_to_go_and_done_is_reachable() -> None:
    reachable = {JobState.INGESTING}
    frontier = [JobState.INGESTING]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(JobState)


def test_a_move_the_lifecycle_does_not_allow_is_refused(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    job = Job(name="j", provider="hlrlookups", kind="hlr", mode="sync")
    store.create_job(job)
    with pytest.raises(RuntimeError, match="no transition from ingesting to done"):
        Jobs._move(store, job, JobState.DONE)
    Jobs._move(store, job, JobState.READY)
    assert store.job("j").state is JobState.READY  # type: ignore[union-attr]
    store.close()


def test_a_batch_through_the_service_then_a_free_export_then_paying_again_only_when_asked(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(4)] + [["junk"]])
    ui = QuietUi()
    jobs = _jobs(ui)
    out = io.StringIO()
    first = jobs.batch(BatchRequest(source=str(src), job="svc", stdout=out, format=Format.csv))
    assert first.code == ExitCode.OK and first.job == "svc"
    assert "5 rows, 4 distinct, 4 sent" in (first.summary or "")
    assert out.getvalue().count("\n") == 6 and emu.charge_count() == 4
    again = jobs.batch(BatchRequest(source=str(src), job="svc", stdout=io.StringIO(), format=Format.json))
    assert again.code == ExitCode.OK and "nothing sent" in (again.summary or "") and emu.charge_count() == 4
    with pytest.raises(UsageError, match="nothing sent"):  # --again, and the question answered no
        jobs.batch(BatchRequest(source=str(src), job="svc", again=True, stdout=io.StringIO()))
    assert any("Pay again?" in line for line in ui.lines) and emu.charge_count() == 4
    ui.answer = True
    paid = jobs.batch(BatchRequest(source=str(src), job="svc", again=True, stdout=io.StringIO()))
    assert paid.code == ExitCode.OK and emu.charge_count() == 8
    summary = {row["name"]: row for row in jobs.listing()}["svc"]
    assert (summary["state"], summary["results"], summary["cost"]) == ("done", 4, pytest.approx(0.04))
    with closing(Store.open(Settings.load().home())) as store:
        assert store.counts("svc") == {NumberState.DONE: 4}
