"""The job store on its own: typed rows, the schema version and its migrations, privacy, how late results find
their row. (The CLI tests exercise it end to end; these pin its contract.)"""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from hlrcli.errors import ConfigError
from hlrcli.models import CallbackResult
from hlrcli.store import (
    SCHEMA_VERSION,
    TOKEN_PLACEHOLDER,
    ChunkState,
    Job,
    JobState,
    JoinedRow,
    NumberRow,
    NumberState,
    Store,
    scrub_options,
    unscrub,
)

V0 = Path(__file__).resolve().parent / "fixtures" / "store-v0.sqlite3"


def _job(store: Store, name: str, provider: str = "hlrlookups", kind: str = "hlr", mode: str = "async") -> Job:
    job = Job(name=name, provider=provider, kind=kind, mode=mode, columns=["phone"])
    store.create_job(job)
    return job


def _rows(store: Store, name: str, numbers: list[str]) -> None:
    store.add_rows(name, [(i, [n], n, "DE", None) for i, n in enumerate(numbers)])


def _result(provider: str, kind: str, key: str, number: str | None, **match: str) -> CallbackResult:
    return CallbackResult(provider, key, kind, number, {"msisdn": number, "cost": "0.0100"}, match)


# The release before this one wrote schema 0 ----------------------------------------------------------------------
def test_a_store_written_by_the_first_release_opens_and_migrates(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(V0, home / "jobs.sqlite3")
    # The token that home's receiver used (the one in the stored notify URL below).
    (home / "webhook-token").write_text("WdF41wJyW2iXBfB3-AnDd7CXiLe5n3gh\n")
    (home / "jobs.sqlite3").chmod(0o644)  # as the first release left it (the umask's mode)
    store = Store.open(home)
    try:
        assert store.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION
        jobs = {j.name: j for j in store.jobs()}
        assert set(jobs) == {"v0-sync", "v0-async", "v0-smsp", "v0-aff"}
        assert jobs["v0-sync"].state is JobState.DONE and jobs["v0-aff"].state is JobState.INCOMPLETE
        # The first release kept the webhook token in clear inside the notify URL: now a placeholder.
        notify = jobs["v0-smsp"].options["notify_url"]
        assert notify.endswith(f"?token={TOKEN_PLACEHOLDER}")
        raw = sqlite3.connect(home / "jobs.sqlite3").execute("SELECT options FROM jobs").fetchall()
        assert not any("WdF41wJyW2" in o for (o,) in raw)
        # Rows come back typed, and the results are where they were.
        rows = list(store.joined("v0-sync"))
        assert all(isinstance(r, JoinedRow) for r in rows)
        assert [r.state for r in rows[:10]] == [NumberState.DONE] * 10 and rows[10].number is None
        assert rows[0].result and rows[0].result["provider"] == "hlrlookups"
        assert store.counts("v0-aff") == {NumberState.UNCERTAIN: 10}
        assert stat.S_IMODE((home / "jobs.sqlite3").stat().st_mode) == 0o600
        # The read-only view exists for sqlite3/DuckDB/pandas users.
        assert store.query("SELECT COUNT(*) FROM results WHERE job = 'v0-sync'")[0][0] == 11
        # This release's view: cost a number, source where the result came from (v0 did not record it).
        view = store.query("SELECT typeof(cost), source FROM results WHERE job = 'v0-sync' ORDER BY row")
        assert [tuple(r) for r in view] == [("real", "provider")] * 10 + [("null", None)]
    finally:
        store.close()
    # Opening again is a no-op: the version is current.
    Store.open(home).close()


def test_a_store_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE jobs (name TEXT)")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(ConfigError, match="newer hlrcli"):
        Store(path)


def test_a_new_store_is_private(tmp_path: Path) -> None:
    home = tmp_path / "new" / "home"
    store = Store.open(home)
    _job(store, "j")
    store.close()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for name in ("jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm"):
        if (home / name).exists():
            assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name


# Typed rows and state changes ---------------------------------------------------------------------------------------
def test_outcomes_are_recorded_per_shape_and_a_result_stays_final(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    _job(store, "j", mode="sync")
    _rows(store, "j", ["+491", "+492", "+493"])
    store.journal("j", sending=["+491", "+492", "+493"], unit=0.01)
    store.record(
        "j",
        [
            ("+491", NumberState.DONE, {"result": {"connectivity_status": "CONNECTED"}, "cost": "0.0100"}),
            ("+492", NumberState.UNCERTAIN, {"error": "lost"}),
            ("+493", NumberState.FAILED, {"error": "refused", "maybe_cost": None}),
        ],
    )
    rows = store.numbers_in("j", tuple(NumberState))
    assert all(isinstance(r, NumberRow) for r in rows)
    assert {r.number: r.state for r in rows} == {
        "+491": NumberState.DONE,
        "+492": NumberState.UNCERTAIN,
        "+493": NumberState.FAILED,
    }
    cost = store.cost("j")
    assert (cost.billed, cost.maybe, cost.maybe_numbers) == (pytest.approx(0.01), pytest.approx(0.01), 1)
    assert "maybe billed: 1 uncertain numbers (up to 0.0100 EUR)" in cost.text()
    # A late "failed" for a number already done does not undo its result.
    store.record("j", [("+491", NumberState.FAILED, {})])
    assert store.counts("j")[NumberState.DONE] == 1
    with pytest.raises(ValueError):
        store.record("j", [("+491", NumberState.DONE, {"nonsense": 1})])
    store.close()


def test_chunks_come_back_typed(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    _job(store, "j")
    _rows(store, "j", ["+491", "+492"])
    store.journal("j", sending=["+491", "+492"], chunk=1, unit=0.5)
    store.finish_chunk("j", 1, ChunkState.SUBMITTED, cost="1.0000", receipt={"accepted": 2})
    [chunk] = store.chunks("j")
    assert (chunk.state, chunk.size, chunk.cost, chunk.receipt, chunk.maybe_cost) == (
        ChunkState.SUBMITTED,
        2,
        "1.0000",
        {"accepted": 2},
        None,
    )
    store.close()


def test_only_our_token_is_taken_out_of_a_callback_url() -> None:
    ours = "our-webhook-token-0123456789"
    options = {"notify_url": f"https://h.example/hlrcli/smspartner?token={ours}&x=1",
               "callback_url": "https://other.example/hook?token=theirs"}  # fmt: skip
    stored = scrub_options(options, ours)
    assert stored["notify_url"] == f"https://h.example/hlrcli/smspartner?token={TOKEN_PLACEHOLDER}&x=1"
    assert stored["callback_url"] == options["callback_url"]  # not ours: never replaced by ours when sent
    assert unscrub(stored["notify_url"], lambda: ours) == options["notify_url"]


# Late results find their row ---------------------------------------------------------------------------------------
def test_results_match_by_provider_type_and_id_in_any_state(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    _job(store, "hlr", kind="hlr")
    _job(store, "nt", kind="nt")
    _rows(store, "hlr", ["+491", "+492"])
    _rows(store, "nt", ["+491", "+492"])
    store.record("hlr", [("+491", NumberState.FAILED, {"sub_id": "id-1"}), ("+492", NumberState.UNCERTAIN, {})])
    store.record("nt", [("+491", NumberState.SUBMITTED, {}), ("+492", NumberState.SUBMITTED, {})])
    out = store.deliver_many(
        [
            _result("hlrlookups", "hlr", "k1", "+491", sub_id="id-1"),  # by id, although the row says failed
            _result("hlrlookups", "hlr", "k2", "+492", sub_id="unknown-id"),  # by number within HLR jobs only
            _result("hlrlookups", "mnp", "k3", "+491", sub_id="zzz"),  # no MNP job: unmatched
            _result("hlrlookups", "hlr", "k1", "+491", sub_id="id-1"),  # the same delivery again: stored once
        ]
    )
    assert out == [(True, "hlr"), (True, "hlr"), (True, "unmatched"), (False, "hlr")]
    assert store.counts("hlr") == {NumberState.DONE: 2}
    assert store.counts("nt") == {NumberState.SUBMITTED: 2}  # an HLR result never lands in an NT job
    # The uncertain one was billed after all: its maybe becomes a cost.
    assert store.cost("hlr").maybe_numbers == 0
    store.close()


def test_a_reference_journaled_before_sending_finds_the_row_after_a_lost_answer(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    _job(store, "aff", provider="affiliate")
    _rows(store, "aff", ["+491"])
    store.journal("aff", sending=["+491"], chunk=1, references={"+491": "href1"})
    store.settle_leftovers("aff")  # the run died: the request is uncertain
    assert store.counts("aff") == {NumberState.UNCERTAIN: 1}
    [(new, job)] = store.deliver_many([_result("affiliate", "hlr", "x:active", None, reference="href1")])
    assert (new, job) == (True, "aff") and store.counts("aff") == {NumberState.DONE: 1}
    store.close()


def test_a_number_whose_late_result_landed_after_it_was_chosen_is_not_sent(tmp_path: Path) -> None:
    """A resumed run reads the journal a page ahead; a webhook result may land for one of those failed rows
    before its turn. Journaling it `sending` is the last check: only numbers still to send are marked."""
    store = Store.open(tmp_path)
    _job(store, "j", kind="hlr")
    _rows(store, "j", ["+491", "+492", "+493"])
    store.record("j", [(n, NumberState.FAILED, {"sub_id": f"id{n[-1]}"}) for n in ("+491", "+492", "+493")])
    allowed = (NumberState.PENDING, NumberState.FAILED)
    chosen = [r.number for r in store.numbers_in("j", allowed)]
    store.deliver_many([_result("hlrlookups", "hlr", "k2", "+492", sub_id="id2")])  # the late result
    marked = store.journal("j", sending=chosen, chunk=1, unit=0.01, allowed=allowed)
    assert marked == ["+491", "+493"]
    assert store.counts("j") == {NumberState.SENDING: 2, NumberState.DONE: 1}
    assert [c.size for c in store.chunks("j")] == [2]
    # Every number of a chunk taken by late results: no chunk is left `sending` behind.
    store.deliver_many([_result("hlrlookups", "hlr", "k1", "+491", sub_id="id1")])
    store.record("j", [("+493", NumberState.FAILED, {})])
    assert store.journal("j", sending=["+491"], chunk=2, allowed=allowed) == []
    assert [c.seq for c in store.chunks("j")] == [1]
    store.close()


def test_cached_results_are_found_across_jobs_by_provider_and_type(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    _job(store, "a", mode="sync")
    _job(store, "b", kind="nt", mode="sync")
    _rows(store, "a", ["+491", "+492"])
    _rows(store, "b", ["+491"])
    store.record("a", [("+491", NumberState.DONE, {"result": {"x": 1}})])
    store.record("b", [("+491", NumberState.DONE, {"result": {"x": 2}})])
    found = store.cached("hlrlookups", "hlr", ["+491", "+492"], newer_than=0)
    assert set(found) == {"+491"} and json.loads(found["+491"].result) == {"x": 1} and found["+491"].job == "a"
    assert store.cached("hlrlookups", "hlr", ["+491"], newer_than=1e12) == {}
    store.close()
