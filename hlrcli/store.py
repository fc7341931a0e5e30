"""The job store: SQLite in WAL mode under HLRCLI_HOME.

A job is one batch: its input rows (kept, so results can be joined back without the input file), its distinct
numbers with their state, the chunks sent for them, and the results received later by webhook or polling.

Number states: pending → sending → done | failed (sync)   or   pending → sending → submitted → done (async).
A number or chunk still `sending` when a run ends abruptly is *uncertain*: the provider may have billed it.
Every state change is committed before the next step, so a crash at any moment leaves a consistent journal.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    name TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    input TEXT,
    input_hash TEXT,
    columns TEXT NOT NULL DEFAULT '[]',
    number_column TEXT,
    state TEXT NOT NULL DEFAULT 'new',
    rows INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rows (
    job TEXT NOT NULL,
    idx INTEGER NOT NULL,
    cells TEXT NOT NULL,
    number TEXT,
    error TEXT,
    PRIMARY KEY (job, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS numbers (
    job TEXT NOT NULL,
    number TEXT NOT NULL,
    first_idx INTEGER NOT NULL,
    region TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    chunk INTEGER,
    sub_id TEXT,
    reference TEXT,
    receipt TEXT,
    cost TEXT,
    error TEXT,
    result TEXT,
    updated REAL,
    PRIMARY KEY (job, number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS numbers_state ON numbers (job, state, first_idx);
CREATE INDEX IF NOT EXISTS numbers_sub_id ON numbers (sub_id) WHERE sub_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS numbers_reference ON numbers (reference) WHERE reference IS NOT NULL;
CREATE INDEX IF NOT EXISTS numbers_number ON numbers (number, state);
CREATE TABLE IF NOT EXISTS chunks (
    job TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    size INTEGER NOT NULL,
    cost TEXT,
    receipt TEXT,
    error TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (job, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    result_key TEXT NOT NULL,
    kind TEXT,
    job TEXT,
    number TEXT,
    result TEXT NOT NULL,
    received REAL NOT NULL,
    UNIQUE (provider, result_key)
);
"""

UNMATCHED = "unmatched"


@dataclass
class Job:
    name: str
    provider: str
    kind: str
    mode: str
    options: dict[str, Any] = field(default_factory=dict)
    input: str | None = None
    input_hash: str | None = None
    columns: list[str] = field(default_factory=list)
    number_column: str | None = None
    state: str = "new"
    rows: int = 0
    created: float = 0.0
    updated: float = 0.0

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        data = dict(row)
        data["options"] = json.loads(data["options"] or "{}")
        data["columns"] = json.loads(data["columns"] or "[]")
        return cls(**data)


def _now() -> float:
    return time.time()


class Store:
    """One SQLite connection shared by the threads of this process (serialised by a lock)."""

    def __init__(self, path: Path, *, durable: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL survives a killed process; FULL (the webhook receiver) also survives a power cut before 200 OK.
        self.db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.executescript(SCHEMA)

    @classmethod
    def open(cls, home: Path, *, durable: bool = False) -> Store:
        return cls(home / "jobs.sqlite3", durable=durable)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.db.execute(sql, params).fetchall()

    # Jobs ----------------------------------------------------------------------------------------------------
    def job(self, name: str) -> Job | None:
        rows = self.query("SELECT * FROM jobs WHERE name = ?", (name,))
        return Job.from_row(rows[0]) if rows else None

    def jobs(self) -> list[Job]:
        return [Job.from_row(r) for r in self.query("SELECT * FROM jobs ORDER BY created")]

    def create_job(self, job: Job) -> None:
        job.created = job.updated = _now()
        with self.tx() as db:
            db.execute(
                "INSERT INTO jobs (name, provider, kind, mode, options, input, input_hash, columns, number_column,"
                " state, rows, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    job.name,
                    job.provider,
                    job.kind,
                    job.mode,
                    json.dumps(job.options),
                    job.input,
                    job.input_hash,
                    json.dumps(job.columns),
                    job.number_column,
                    job.state,
                    job.rows,
                    job.created,
                    job.updated,
                ),
            )

    def update_job(self, name: str, **values: Any) -> None:
        for key in ("options", "columns"):
            if key in values:
                values[key] = json.dumps(values[key])
        values["updated"] = _now()
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.tx() as db:
            db.execute(f"UPDATE jobs SET {sets} WHERE name = ?", (*values.values(), name))

    def delete_job(self, name: str) -> None:
        with self.tx() as db:
            for table in ("rows", "numbers", "chunks"):
                db.execute(f"DELETE FROM {table} WHERE job = ?", (name,))
            db.execute("UPDATE deliveries SET job = ? WHERE job = ?", (UNMATCHED, name))
            db.execute("DELETE FROM jobs WHERE name = ?", (name,))

    def reset_job(self, name: str) -> None:
        """Forget every result and chunk of a job, keeping its rows: the next run pays again."""
        with self.tx() as db:
            db.execute("DELETE FROM chunks WHERE job = ?", (name,))
            db.execute(
                "UPDATE numbers SET state = 'pending', chunk = NULL, sub_id = NULL, reference = NULL, receipt = NULL,"
                " cost = NULL,"
                " error = NULL, result = NULL, updated = ? WHERE job = ?",
                (_now(), name),
            )

    # Ingest --------------------------------------------------------------------------------------------------
    def add_rows(self, job: str, rows: Iterable[tuple[int, list[str], str | None, str | None, str | None]]) -> None:
        """Rows as (index, cells, number or None, region, error or None); the numbers table dedupes."""
        batch: list[tuple[int, list[str], str | None, str | None, str | None]] = []

        def flush() -> None:
            with self.tx() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO rows (job, idx, cells, number, error) VALUES (?,?,?,?,?)",
                    [(job, i, json.dumps(c, ensure_ascii=False), n, e) for i, c, n, _, e in batch],
                )
                db.executemany(
                    "INSERT OR IGNORE INTO numbers (job, number, first_idx, region) VALUES (?,?,?,?)",
                    [(job, n, i, r) for i, _, n, r, _ in batch if n],
                )
            batch.clear()

        for row in rows:
            batch.append(row)
            if len(batch) >= 1000:  # small transactions: a concurrent sender sees numbers early
                flush()
        if batch:
            flush()

    # Work ----------------------------------------------------------------------------------------------------
    def counts(self, job: str) -> dict[str, int]:
        rows = self.query("SELECT state, COUNT(*) AS n FROM numbers WHERE job = ? GROUP BY state", (job,))
        return {r["state"]: r["n"] for r in rows}

    def invalid_rows(self, job: str) -> int:
        return self.query("SELECT COUNT(*) AS n FROM rows WHERE job = ? AND number IS NULL", (job,))[0]["n"]

    def numbers_in(self, job: str, states: Sequence[str], limit: int = 1000, after: int = -1) -> list[sqlite3.Row]:
        """The first `limit` numbers in any of `states`, in input order, after input row `after`."""
        # One indexed range per state (job, state, first_idx), merged: an IN list would scan and sort the job.
        part = (
            "SELECT * FROM (SELECT * FROM numbers WHERE job = ? AND state = ? AND first_idx > ?"
            " ORDER BY first_idx LIMIT ?)"
        )
        sql = " UNION ALL ".join([part] * len(states)) + " ORDER BY first_idx LIMIT ?"
        params: list[Any] = []
        for state in states:
            params += [job, state, after, limit]
        return self.query(sql, (*params, limit))

    def pending_by_region(self, job: str, states: Sequence[str]) -> list[sqlite3.Row]:
        """Per country: how many numbers are still to send, and one of them (for a price query)."""
        marks = ",".join("?" * len(states))
        return self.query(
            f"SELECT region, COUNT(*) AS n, MIN(number) AS sample FROM numbers WHERE job = ? AND state IN ({marks})"
            " GROUP BY region ORDER BY n DESC",
            (job, *states),
        )

    def settle_leftovers(self, job: str) -> int:
        """What a previous run left `sending` becomes `uncertain`: it may have reached the provider."""
        with self.tx() as db:
            db.execute(
                "UPDATE chunks SET state = 'uncertain', updated = ? WHERE job = ? AND state = 'sending'",
                (_now(), job),
            )
            cur = db.execute(
                "UPDATE numbers SET state = 'uncertain', error = 'in flight when a previous run stopped; "
                "may have been billed', updated = ? WHERE job = ? AND state = 'sending'",
                (_now(), job),
            )
            return cur.rowcount

    def mark_sending(self, job: str, numbers: Sequence[str], chunk: int | None = None) -> None:
        with self.tx() as db:
            if chunk is not None:
                db.execute(
                    "INSERT OR REPLACE INTO chunks (job, seq, state, size, created, updated) "
                    "VALUES (?, ?, 'sending', ?, ?, ?)",
                    (job, chunk, len(numbers), _now(), _now()),
                )
            db.executemany(
                "UPDATE numbers SET state = 'sending', chunk = ?, error = NULL, updated = ? "
                "WHERE job = ? AND number = ?",
                [(chunk, _now(), job, n) for n in numbers],
            )

    def set_numbers(self, job: str, items: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
        with self.tx() as db:
            for number, state, values in items:
                if "result" in values and not isinstance(values["result"], str | None):
                    values = {**values, "result": json.dumps(values["result"], ensure_ascii=False)}
                sets = "".join(f", {k} = ?" for k in values)
                db.execute(
                    # A result is final: a webhook can land before the submission's own answer is recorded.
                    f"UPDATE numbers SET state = CASE state WHEN 'done' THEN 'done' ELSE ? END, updated = ?{sets}"
                    " WHERE job = ? AND number = ?",
                    (state, _now(), *values.values(), job, number),
                )

    def finish_chunk(
        self,
        job: str,
        seq: int,
        state: str,
        *,
        cost: str | None = None,
        receipt: Any = None,
        error: str | None = None,
    ) -> None:
        with self.tx() as db:
            db.execute(
                "UPDATE chunks SET state = ?, cost = ?, receipt = ?, error = ?, updated = ? WHERE job = ? AND seq = ?",
                (state, cost, None if receipt is None else json.dumps(receipt), error, _now(), job, seq),
            )

    def chunks(self, job: str) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM chunks WHERE job = ? ORDER BY seq", (job,))

    def next_chunk(self, job: str) -> int:
        return self.query("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM chunks WHERE job = ?", (job,))[0]["n"]

    def cost(self, job: str) -> float:
        """What the job has cost so far: submitted chunks plus sync results."""
        chunk_cost = self.query("SELECT COALESCE(SUM(CAST(cost AS REAL)), 0) AS c FROM chunks WHERE job = ?", (job,))[
            0
        ]["c"]
        sync_cost = self.query(
            "SELECT COALESCE(SUM(CAST(cost AS REAL)), 0) AS c FROM numbers WHERE job = ? AND chunk IS NULL",
            (job,),
        )[0]["c"]
        return float(chunk_cost) + float(sync_cost)

    # Export --------------------------------------------------------------------------------------------------
    def joined(self, job: str, start: int = 0, limit: int | None = None) -> Iterator[sqlite3.Row]:
        """Input rows in order, each with its number's state and result (streamed, page by page)."""
        page = 2000
        idx = start
        end = None if limit is None else start + limit
        while True:
            size = page if end is None else min(page, end - idx)
            if size <= 0:
                return
            rows = self.query(
                "SELECT r.idx, r.cells, r.number, r.error AS row_error, n.state, n.sub_id, n.reference, n.receipt,"
                " n.cost, n.error, n.result FROM rows r LEFT JOIN numbers n ON n.job = r.job AND n.number = r.number"
                " WHERE r.job = ? AND r.idx >= ? ORDER BY r.idx LIMIT ?",
                (job, idx, size),
            )
            yield from rows
            if len(rows) < size:
                return
            idx = rows[-1]["idx"] + 1

    # Results that arrive later (webhooks, polling) -----------------------------------------------------------
    def deliver(
        self,
        provider: str,
        result_key: str,
        kind: str,
        number: str | None,
        result: dict[str, Any],
        match: dict[str, str | None],
    ) -> tuple[bool, str]:
        """Store one asynchronous result once (idempotent by provider + result_key) and attach it to its job.

        `match` names what identifies the submission: {"sub_id": …} or {"reference": …}, or {"number": …}
        (smspartner, whose notifications carry only the number). Returns (new, job name).
        """
        return self.deliver_many([(provider, result_key, kind, number, result, match)])[0]

    def deliver_many(
        self, items: Sequence[tuple[str, str, str, str | None, dict[str, Any], dict[str, str | None]]]
    ) -> list[tuple[bool, str]]:
        """Like `deliver` for a whole webhook body, in one transaction: one disk sync, not one per result."""
        out = []
        with self.tx() as db:
            for provider, result_key, kind, number, result, match in items:
                out.append(self._deliver(db, provider, result_key, kind, number, result, match))
        return out

    def _deliver(
        self,
        db: sqlite3.Connection,
        provider: str,
        result_key: str,
        kind: str,
        number: str | None,
        result: dict[str, Any],
        match: dict[str, str | None],
    ) -> tuple[bool, str]:
        seen = db.execute(
            "SELECT job FROM deliveries WHERE provider = ? AND result_key = ?", (provider, result_key)
        ).fetchone()
        if seen:
            return False, seen["job"]
        target = self._match(db, provider, number, match)
        job = target["job"] if target else UNMATCHED
        payload = json.dumps(result, ensure_ascii=False)
        db.execute(
            "INSERT INTO deliveries (provider, result_key, kind, job, number, result, received) VALUES (?,?,?,?,?,?,?)",
            (provider, result_key, kind, job, number, payload, _now()),
        )
        if target:
            db.execute(
                "UPDATE numbers SET state = 'done', result = ?, updated = ? WHERE job = ? AND number = ?",
                (payload, _now(), target["job"], target["number"]),
            )
        return True, job

    @staticmethod
    def _match(
        db: sqlite3.Connection, provider: str, number: str | None, match: dict[str, str | None]
    ) -> sqlite3.Row | None:
        base = (
            "SELECT n.job, n.number FROM numbers n JOIN jobs j ON j.name = n.job "
            "WHERE j.provider = ? AND n.state IN ('submitted', 'sending', 'uncertain', 'done') AND "
        )
        for key in ("sub_id", "reference"):
            if match.get(key):
                row = db.execute(
                    base + f"n.{key} = ? ORDER BY n.state = 'done', j.created DESC LIMIT 1",
                    (provider, match[key]),
                ).fetchone()
                if row:
                    return row
        if number:
            # Only the number to go on (smspartner): the oldest submission still waiting for it.
            return db.execute(
                base + "n.number = ? AND n.state != 'done' ORDER BY j.created LIMIT 1", (provider, number)
            ).fetchone()
        return None

    def deliveries(self, job: str) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM deliveries WHERE job = ? ORDER BY id", (job,))

    def prune(self, older_than: float) -> list[str]:
        cutoff = _now() - older_than
        names = [r["name"] for r in self.query("SELECT name FROM jobs WHERE updated < ?", (cutoff,))]
        for name in names:
            self.delete_job(name)
        with self.tx() as db:
            db.execute("DELETE FROM deliveries WHERE job = ? AND received < ?", (UNMATCHED, cutoff))
        return names
