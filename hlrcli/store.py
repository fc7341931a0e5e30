"""The job store: SQLite in WAL mode under HLRCLI_HOME (directory 0700, database 0600).

A job is one batch: its input rows (kept, so results can be joined back without the input file), its distinct
numbers with their state, the chunks sent for them, and the results received later by webhook or polling.

Number states: pending → sending → done | failed | uncertain (sync), or
pending → sending → submitted | rejected | failed | uncertain, then → done when the result arrives (async).
`failed` was refused before processing (nothing billed: safe to send again); `uncertain` left but got no usable
answer (maybe billed: never sent again without the user's word). A result that arrives later — by webhook or
poll — joins its row whatever the row's state, and an uncertain number it answers is resolved.
Every state change is committed before the next step, so a crash at any moment leaves a consistent journal.

The schema has a version (`PRAGMA user_version`); `MIGRATIONS` bring an older store up to date when it is
opened, so a store written by an earlier release keeps working. The `results` view is the documented read-only
interface for sqlite3, DuckDB or pandas users: one row per input row, the result flattened to columns.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from hlrcli.config import private_dir
from hlrcli.errors import ConfigError, DiskFull
from hlrcli.models import CallbackResult

SCHEMA_VERSION = 2
UNMATCHED = "unmatched"
TOKEN_PLACEHOLDER = "{HLRCLI_WEBHOOK_TOKEN}"
_TOKEN_IN_URL = re.compile(r"(?i)([?&]token=)([^&#]*)")


class JobState(str, Enum):
    INGESTING = "ingesting"  # reading the input; a run stopped here reads it again on --resume
    READY = "ready"  # input read, nothing sent yet
    RUNNING = "running"
    INTERRUPTED = "interrupted"  # Ctrl-C/SIGTERM: everything sent was recorded
    INCOMPLETE = "incomplete"  # the run ended with numbers not done (failed, uncertain, not sent)
    DONE = "done"  # every number sent and answered (async: submitted; results may still be due)


class NumberState(str, Enum):
    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"  # refused before processing: safe to send again
    SUBMITTED = "submitted"  # async: accepted, result due
    REJECTED = "rejected"  # the provider's answer refused this number
    UNCERTAIN = "uncertain"  # sent, no usable answer: may have been billed


class ChunkState(str, Enum):
    SENDING = "sending"
    SUBMITTED = "submitted"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


AWAITED = (NumberState.SUBMITTED, NumberState.SENDING, NumberState.UNCERTAIN)  # a result may still come
TO_SEND = (NumberState.PENDING, NumberState.FAILED)

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
    state TEXT NOT NULL DEFAULT 'ingesting',
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
    currency TEXT,
    maybe_cost TEXT,
    source TEXT,
    earlier_maybe REAL,
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
    maybe_cost TEXT,
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

# One row per input row, the result flattened: the read-only interface for sqlite3, DuckDB and pandas.
# `cost` is a REAL so SUM() and a DataFrame see a number (providers send it as text); `source` says where the
# result came from: `provider` (bought for this job, or delivered late) or `store` (reused by --max-age).
RESULTS_VIEW = """
CREATE VIEW IF NOT EXISTS results AS
SELECT r.job AS job, r.idx + 1 AS row, j.provider AS provider, j.kind AS type, r.cells AS input,
       r.number AS msisdn, COALESCE(n.state, 'invalid') AS state,
       json_extract(n.result, '$.connectivity_status') AS connectivity_status,
       json_extract(n.result, '$.query_status') AS query_status,
       json_extract(n.result, '$.number_type') AS number_type,
       json_extract(n.result, '$.is_valid') AS is_valid,
       json_extract(n.result, '$.mccmnc') AS mccmnc,
       json_extract(n.result, '$.original_network_name') AS original_network_name,
       json_extract(n.result, '$.ported_network_name') AS ported_network_name,
       json_extract(n.result, '$.original_country_code') AS original_country_code,
       json_extract(n.result, '$.is_ported') AS is_ported,
       json_extract(n.result, '$.is_roaming') AS is_roaming,
       CAST(NULLIF(COALESCE(json_extract(n.result, '$.cost'), n.cost), '') AS REAL) AS cost,
       COALESCE(r.error, n.error, json_extract(n.result, '$.error')) AS error,
       CASE WHEN n.result IS NOT NULL THEN COALESCE(n.source, 'provider') END AS source,
       datetime(n.updated, 'unixepoch') AS checked,
       n.result AS result
FROM rows r JOIN jobs j ON j.name = r.job
LEFT JOIN numbers n ON n.job = r.job AND n.number = r.number;
"""


def _v0_to_v1(db: sqlite3.Connection, home: Path) -> None:
    """The first release's store: add the columns for currency, maybe-billed cost and result source; take
    webhook tokens out of the stored job options (they were kept in clear inside notify/callback URLs)."""
    have = {r[1] for r in db.execute("PRAGMA table_info(numbers)")}
    for column, kind in (("currency", "TEXT"), ("maybe_cost", "TEXT"), ("source", "TEXT"), ("earlier_maybe", "REAL")):
        if column not in have:
            db.execute(f"ALTER TABLE numbers ADD COLUMN {column} {kind}")
    if "maybe_cost" not in {r[1] for r in db.execute("PRAGMA table_info(chunks)")}:
        db.execute("ALTER TABLE chunks ADD COLUMN maybe_cost TEXT")
    # A chunk left uncertain by the first release may have been billed: say so in the cost.
    db.execute(
        "UPDATE numbers SET maybe_cost = (SELECT c.cost FROM chunks c WHERE c.job = numbers.job AND "
        "c.seq = numbers.chunk) WHERE state = 'uncertain' AND maybe_cost IS NULL AND chunk IS NOT NULL"
    )
    try:  # the token file of this home: only that token is ours to take out (and put back later)
        token = (home / "webhook-token").read_text(encoding="ascii").strip() or None
    except OSError:
        token = None
    for name, options in db.execute("SELECT name, options FROM jobs").fetchall():
        cleaned = scrub_options(json.loads(options or "{}"), token)
        db.execute("UPDATE jobs SET options = ? WHERE name = ?", (json.dumps(cleaned), name))


def _v1_to_v2(db: sqlite3.Connection, home: Path) -> None:
    """The `results` view gains `source` and its `cost` becomes a number: views are not altered, but remade."""
    db.execute("DROP VIEW IF EXISTS results")
    db.execute(RESULTS_VIEW)


MIGRATIONS: dict[int, Callable[[sqlite3.Connection, Path], None]] = {0: _v0_to_v1, 1: _v1_to_v2}


def scrub_options(options: dict[str, Any], token: str | None) -> dict[str, Any]:
    """Options as stored: our webhook token in a callback URL becomes a placeholder, put back (`unscrub`) when
    the URL is used. Another receiver's token is not ours to replace: it stays (in this private file)."""
    out = dict(options)
    if not token:
        return out
    for key in ("notify_url", "callback_url"):
        value = out.get(key)
        if isinstance(value, str):
            out[key] = _TOKEN_IN_URL.sub(
                lambda m: m.group(1) + (TOKEN_PLACEHOLDER if unquote(m.group(2)) == token else m.group(2)), value
            )
    return out


def unscrub(value: str, token: Callable[[], str]) -> str:
    return value.replace(TOKEN_PLACEHOLDER, token()) if TOKEN_PLACEHOLDER in value else value


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
    state: JobState = JobState.INGESTING
    rows: int = 0
    created: float = 0.0
    updated: float = 0.0

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        data = dict(row)
        data["options"] = json.loads(data["options"] or "{}")
        data["columns"] = json.loads(data["columns"] or "[]")
        data["state"] = _job_state(data["state"])
        return cls(**data)


def _job_state(value: str) -> JobState:
    try:
        return JobState(value)
    except ValueError:  # "new" in the first release: the same as ingesting
        return JobState.INGESTING


@dataclass(frozen=True, slots=True)
class NumberRow:
    number: str
    first_idx: int
    region: str | None
    state: NumberState
    chunk: int | None = None
    sub_id: str | None = None
    reference: str | None = None
    receipt: str | None = None
    cost: str | None = None
    currency: str | None = None
    maybe_cost: str | None = None
    error: str | None = None
    updated: float | None = None


@dataclass(frozen=True, slots=True)
class ChunkRow:
    seq: int
    state: ChunkState
    size: int
    cost: str | None
    maybe_cost: str | None
    receipt: dict[str, Any] | None
    error: str | None
    created: float
    updated: float


@dataclass(frozen=True, slots=True)
class JoinedRow:
    """One input row with its number's state and result (what an export writes)."""

    idx: int
    cells: list[str]
    number: str | None
    row_error: str | None
    state: NumberState | None
    sub_id: str | None
    reference: str | None
    receipt: str | None
    cost: str | None
    currency: str | None
    error: str | None
    result: dict[str, Any] | None
    updated: float | None
    source: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    provider: str
    result_key: str
    kind: str | None
    job: str | None
    number: str | None
    result: dict[str, Any]
    received: float


@dataclass(frozen=True, slots=True)
class Cost:
    billed: float  # what answers said was charged
    maybe: float  # requests that may have been billed (uncertain), at the estimated price
    maybe_numbers: int = 0  # how many numbers those are (their price may be unknown)
    unpriced: int = 0  # numbers certainly billed (a result came) at a price no answer has told yet

    def text(self, currency: str = "EUR") -> str:
        text = f"{self.billed:.4f} {currency}"
        if self.maybe_numbers:
            price = f"up to {self.maybe:.4f} {currency}" if self.maybe else "at an unknown price"
            text += f" + maybe billed: {self.maybe_numbers} uncertain numbers ({price})"
        if self.unpriced:
            text += f" + {self.unpriced} numbers billed at a price no answer has told yet"
        return text


@dataclass(frozen=True, slots=True)
class Cached:
    """A final result of an earlier job, young enough to be reused instead of bought again."""

    result: str
    updated: float
    job: str


# A result came from an asynchronous submission (certainly billed) but no answer said what it cost.
_UNPRICED = "state = 'done' AND cost IS NULL AND chunk IS NOT NULL AND source = 'provider'"
_KEPT_WHEN_DONE = frozenset({"error", "maybe_cost", "result", "source"})
# An outcome to record: (number, state, column values)
Outcome = tuple[str, NumberState, dict[str, Any]]
_NUMBER_COLUMNS = frozenset(
    {"chunk", "sub_id", "reference", "receipt", "cost", "currency", "maybe_cost", "error", "result", "source"}
)


def _now() -> float:
    return time.time()


class Store:
    """One SQLite connection shared by the threads of this process (serialised by a lock)."""

    def __init__(self, path: Path, *, durable: bool = False) -> None:
        private_dir(path.parent)
        self.path = path
        self._lock = threading.RLock()
        old = os.umask(0o077)  # the database and its -wal/-shm files: readable by us only
        try:
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            elif path.stat().st_mode & 0o077:
                path.chmod(0o600)  # a store from the first release was created with the umask's mode
            self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"cannot open the job store {path}: {exc}") from None
        finally:
            os.umask(old)
        for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if companion.exists() and companion.stat().st_mode & 0o077:
                companion.chmod(0o600)
        # NORMAL survives a killed process; FULL (the webhook receiver) also survives a power cut before 200 OK.
        self.db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self.db.execute("PRAGMA busy_timeout=30000")
        self._migrate()

    @classmethod
    def open(cls, home: Path, *, durable: bool = False) -> Store:
        return cls(home / "jobs.sqlite3", durable=durable)

    def _migrate(self) -> None:
        with self.tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConfigError(
                    f"the job store {self.path} was written by a newer hlrcli (schema {version}, this one knows "
                    f"{SCHEMA_VERSION}): upgrade hlrcli"
                )
            existing = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'jobs'").fetchone()
            if version == SCHEMA_VERSION and existing:
                return
            if not existing:
                for statement in SCHEMA.split(";"):  # not executescript: it would commit our transaction
                    if statement.strip():
                        db.execute(statement)
            else:
                for step in range(version, SCHEMA_VERSION):
                    MIGRATIONS[step](db, self.path.parent)
            db.execute("DROP VIEW IF EXISTS results")
            db.execute(RESULTS_VIEW)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _store_error(exc) from None
            try:
                yield self.db
            except sqlite3.OperationalError as exc:
                self.db.execute("ROLLBACK")
                raise _store_error(exc) from None
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            try:
                self.db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self.db.execute("ROLLBACK")
                raise _store_error(exc) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.db.execute(sql, params).fetchall()

    # Jobs ----------------------------------------------------------------------------------------------------
    def job(self, name: str) -> Job | None:
        rows = self.query("SELECT * FROM jobs WHERE name = ?", (name,))
        return Job.from_row(rows[0]) if rows else None

    def jobs(self) -> list[Job]:
        return [Job.from_row(r) for r in self.query("SELECT * FROM jobs ORDER BY created")]

    def job_names(self, prefix: str = "") -> list[str]:
        return [r[0] for r in self.query("SELECT name FROM jobs WHERE name LIKE ? ORDER BY name", (prefix + "%",))]

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
                    job.state.value,
                    job.rows,
                    job.created,
                    job.updated,
                ),
            )

    def update_job(self, name: str, **values: Any) -> None:
        if "options" in values:
            values["options"] = json.dumps(values["options"])
        if "columns" in values:
            values["columns"] = json.dumps(values["columns"])
        if isinstance(values.get("state"), Enum):
            values["state"] = values["state"].value
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
                " cost = NULL, currency = NULL, maybe_cost = NULL, error = NULL, result = NULL, source = NULL,"
                " earlier_maybe = NULL,"
                " updated = ? WHERE job = ?",
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
    def counts(self, job: str) -> dict[NumberState, int]:
        rows = self.query("SELECT state, COUNT(*) AS n FROM numbers WHERE job = ? GROUP BY state", (job,))
        return {NumberState(r["state"]): r["n"] for r in rows}

    def invalid_rows(self, job: str) -> int:
        return int(self.query("SELECT COUNT(*) AS n FROM rows WHERE job = ? AND number IS NULL", (job,))[0]["n"])

    def numbers_in(
        self, job: str, states: Sequence[NumberState], limit: int = 1000, after: int = -1
    ) -> list[NumberRow]:
        """The first `limit` numbers in any of `states`, in input order, after input row `after`."""
        # One indexed range per state (job, state, first_idx), merged: an IN list would scan and sort the job.
        part = (
            "SELECT * FROM (SELECT number, first_idx, region, state, chunk, sub_id, reference, receipt, cost,"
            " currency, maybe_cost, error, updated FROM numbers WHERE job = ? AND state = ? AND first_idx > ?"
            " ORDER BY first_idx LIMIT ?)"
        )
        sql = " UNION ALL ".join([part] * len(states)) + " ORDER BY first_idx LIMIT ?"
        params: list[Any] = []
        for state in states:
            params += [job, state.value, after, limit]
        with self._lock:
            found = self.db.execute(sql, (*params, limit)).fetchall()
        return [NumberRow(**{**dict(r), "state": NumberState(r["state"])}) for r in found]

    def pending_by_region(self, job: str, states: Sequence[NumberState]) -> list[tuple[str | None, int, str]]:
        """Per country: how many numbers are still to send, and one of them (for a price query)."""
        marks = ",".join("?" * len(states))
        rows = self.query(
            f"SELECT region, COUNT(*) AS n, MIN(number) AS sample FROM numbers WHERE job = ? AND state IN ({marks})"
            " GROUP BY region ORDER BY n DESC",
            (job, *(s.value for s in states)),
        )
        return [(r["region"], int(r["n"]), r["sample"]) for r in rows]

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
            return int(cur.rowcount)

    def record(self, job: str, outcomes: Sequence[Outcome]) -> None:
        self.journal(job, outcomes)

    def journal(
        self,
        job: str,
        outcomes: Sequence[Outcome] = (),
        sending: Sequence[str] = (),
        *,
        chunk: int | None = None,
        references: dict[str, str] | None = None,
        unit: float | None = None,
        allowed: Sequence[NumberState] | None = None,
    ) -> list[str]:
        """One transaction for a round: the outcomes of answers that came back, then the numbers of the next
        request, journaled `sending` before it leaves. With `allowed`, a number is marked only while it is still
        in one of those states (a late webhook result may have landed since it was chosen); returns the numbers
        marked, the only ones that may be sent."""
        with self.tx() as db:
            if outcomes:
                self._record(db, job, outcomes)
            if not sending:
                return []
            return self._sending(db, job, sending, chunk, references or {}, unit, allowed)

    @staticmethod
    def _sending(
        db: sqlite3.Connection,
        job: str,
        numbers: Sequence[str],
        chunk: int | None,
        refs: dict[str, str],
        unit: float | None,
        allowed: Sequence[NumberState] | None,
    ) -> list[str]:
        maybe = None if unit is None else f"{unit:.4f}"
        now = _now()
        if chunk is not None:
            db.execute(
                "INSERT OR REPLACE INTO chunks (job, seq, state, size, maybe_cost, created, updated) "
                "VALUES (?, ?, 'sending', ?, ?, ?, ?)",
                (job, chunk, len(numbers), None if unit is None else f"{unit * len(numbers):.4f}", now, now),
            )
        only = "" if allowed is None else f" AND state IN ({','.join(repr(s.value) for s in allowed)})"
        cur = db.executemany(
            # An uncertain attempt sent again stays maybe billed: its amount moves to earlier_maybe.
            "UPDATE numbers SET state = 'sending', chunk = ?, error = NULL, maybe_cost = ?,"
            " earlier_maybe = CASE WHEN state = 'uncertain' THEN COALESCE(earlier_maybe, 0)"
            " + COALESCE(CAST(maybe_cost AS REAL), 0) ELSE earlier_maybe END,"
            f" reference = COALESCE(?, reference), updated = ? WHERE job = ? AND number = ?{only}",
            [(chunk, maybe, refs.get(n), now, job, n) for n in numbers],
        )
        if cur.rowcount == len(numbers):
            return list(numbers)
        marks = ",".join("?" * len(numbers))
        marked = {
            r[0]
            for r in db.execute(
                f"SELECT number FROM numbers WHERE job = ? AND state = 'sending' AND number IN ({marks})",
                (job, *numbers),
            )
        }
        if chunk is not None and marked:
            db.execute("UPDATE chunks SET size = ? WHERE job = ? AND seq = ?", (len(marked), job, chunk))
        elif chunk is not None:
            db.execute("DELETE FROM chunks WHERE job = ? AND seq = ?", (job, chunk))
        return [n for n in numbers if n in marked]

    @staticmethod
    def _record(db: sqlite3.Connection, job: str, outcomes: Sequence[Outcome]) -> None:
        """One statement per shape of outcome, not per number."""
        groups: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
        now = _now()
        for number, state, values in outcomes:
            values = dict(values)
            # "billed_earlier": the provider says this was submitted before (affiliate's "already exists"):
            # what an earlier, uncertain attempt may have cost was in fact billed.
            earlier = bool(values.pop("billed_earlier", False))
            if "result" in values and not isinstance(values["result"], str | None):
                values["result"] = json.dumps(values["result"], ensure_ascii=False)
            unknown = set(values) - _NUMBER_COLUMNS
            if unknown:
                raise ValueError(f"unknown number columns {sorted(unknown)}")
            keys = tuple(sorted(values))
            groups.setdefault((keys, earlier), []).append((state.value, now, *(values[k] for k in keys), job, number))
        for (keys, earlier), params in groups.items():
            # A result is final: a webhook can land before the submission's own answer is recorded; that
            # answer then adds its receipt, but neither undoes the result nor calls the row failed.
            sets = "".join(
                f", {k} = CASE state WHEN 'done' THEN {k} ELSE ? END" if k in _KEPT_WHEN_DONE else f", {k} = ?"
                for k in keys
            )
            if earlier:
                sets += ", cost = COALESCE(cost, CAST(earlier_maybe AS TEXT)), earlier_maybe = NULL"
            db.executemany(
                f"UPDATE numbers SET state = CASE state WHEN 'done' THEN 'done' ELSE ? END, updated = ?{sets}"
                " WHERE job = ? AND number = ?",
                params,
            )

    def finish_chunk(
        self,
        job: str,
        seq: int,
        state: ChunkState,
        *,
        cost: str | None = None,
        receipt: Any = None,
        error: str | None = None,
    ) -> None:
        with self.tx() as db:
            db.execute(
                "UPDATE chunks SET state = ?, cost = ?, receipt = ?, error = ?, updated = ?,"
                " maybe_cost = CASE WHEN ? = 'uncertain' THEN maybe_cost ELSE NULL END WHERE job = ? AND seq = ?",
                (
                    state.value,
                    cost,
                    None if receipt is None else json.dumps(receipt),
                    error,
                    _now(),
                    state.value,
                    job,
                    seq,
                ),
            )

    def chunks(self, job: str) -> list[ChunkRow]:
        rows = self.query(
            "SELECT seq, state, size, cost, maybe_cost, receipt, error, created, updated FROM chunks WHERE job = ?"
            " ORDER BY seq",
            (job,),
        )
        return [
            ChunkRow(
                seq=r[0], state=ChunkState(r[1]), size=r[2], cost=r[3], maybe_cost=r[4],
                receipt=json.loads(r[5]) if r[5] else None, error=r[6], created=r[7], updated=r[8],
            )
            for r in rows
        ]  # fmt: skip

    def next_chunk(self, job: str) -> int:
        return int(self.query("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM chunks WHERE job = ?", (job,))[0]["n"])

    def cost(self, job: str) -> Cost:
        """What the job has cost: billed (answers said so) and maybe billed (uncertain requests)."""
        row = self.query(
            "SELECT COALESCE(SUM(CAST(cost AS REAL)), 0),"
            " COALESCE(SUM(CASE WHEN state IN ('uncertain', 'sending') THEN CAST(maybe_cost AS REAL) END), 0)"
            " + COALESCE(SUM(earlier_maybe), 0),"
            " COALESCE(SUM(state = 'uncertain' OR earlier_maybe > 0), 0),"
            f" COALESCE(SUM({_UNPRICED}), 0) FROM numbers WHERE job = ?",
            (job,),
        )[0]
        return Cost(float(row[0]), float(row[1]), int(row[2]), int(row[3]))

    def known_unit(self, job: str) -> float | None:
        """What one number costs: this job's answers first, else the latest answers of the same provider and
        lookup type (SMS Partner has no price list; a chunk whose answer was lost is priced from its siblings)."""
        with self._lock:
            return self._known_unit(self.db, job)

    @staticmethod
    def _known_unit(db: sqlite3.Connection, job: str) -> float | None:
        names = [job] + [
            r[0]
            for r in db.execute(
                "SELECT o.name FROM jobs o JOIN jobs j ON j.name = ? WHERE o.provider = j.provider"
                " AND o.kind = j.kind AND o.name != j.name ORDER BY o.created DESC LIMIT 20",
                (job,),
            )
        ]
        for name in names:
            row = db.execute(
                "SELECT AVG(c) FROM (SELECT CAST(cost AS REAL) AS c FROM numbers WHERE job = ?"
                " AND CAST(cost AS REAL) > 0 LIMIT 100)",
                (name,),
            ).fetchone()
            if row[0]:
                return float(row[0])
        return None

    def price_unknown(self, job: str) -> int:
        """Once a price is known, give it to the job's numbers that lack one: uncertain requests (maybe billed)
        and results that came without a cost. Returns how many numbers were priced."""
        with self.tx() as db:
            unit = self._known_unit(db, job)
            if unit is None:
                return 0
            price = f"{unit:.4f}"
            maybe = db.execute(
                "UPDATE numbers SET maybe_cost = ? WHERE job = ? AND state IN ('uncertain', 'sending')"
                " AND maybe_cost IS NULL",
                (price, job),
            ).rowcount
            billed = db.execute(f"UPDATE numbers SET cost = ? WHERE job = ? AND {_UNPRICED}", (price, job)).rowcount
            return int(maybe + billed)

    # Export --------------------------------------------------------------------------------------------------
    def joined(self, job: str, start: int = 0, limit: int | None = None) -> Iterator[JoinedRow]:
        """Input rows in order, each with its number's state and result (streamed, page by page)."""
        page = 2000
        idx = start
        end = None if limit is None else start + limit
        while True:
            size = page if end is None else min(page, end - idx)
            if size <= 0:
                return
            rows = self.query(
                "SELECT r.idx, r.cells, r.number, r.error, n.state, n.sub_id, n.reference, n.receipt,"
                " n.cost, n.currency, n.error, n.result, n.updated, n.source FROM rows r"
                " LEFT JOIN numbers n ON n.job = r.job AND n.number = r.number"
                " WHERE r.job = ? AND r.idx >= ? ORDER BY r.idx LIMIT ?",
                (job, idx, size),
            )
            for r in rows:
                yield JoinedRow(
                    idx=r[0],
                    cells=json.loads(r[1]),
                    number=r[2],
                    row_error=r[3],
                    state=NumberState(r[4]) if r[4] else None,
                    sub_id=r[5],
                    reference=r[6],
                    receipt=r[7],
                    cost=r[8],
                    currency=r[9],
                    error=r[10],
                    result=json.loads(r[11]) if r[11] else None,
                    updated=r[12],
                    source=r[13],
                )
            if len(rows) < size:
                return
            idx = rows[-1][0] + 1

    # Results that arrive later (webhooks, polling) -----------------------------------------------------------
    def deliver_many(self, items: Sequence[CallbackResult]) -> list[tuple[bool, str]]:
        """Store each result once (idempotent by provider + result_key) and attach it to its job's row, in one
        transaction: one disk sync per webhook body, not one per result. Returns (new, job name) per item."""
        out = []
        units: dict[str, float | None] = {}  # a job's known price, looked up once per body, not once per result
        with self.tx() as db:
            for item in items:
                out.append(self._deliver(db, item, units))
        return out

    def _deliver(
        self, db: sqlite3.Connection, item: CallbackResult, units: dict[str, float | None]
    ) -> tuple[bool, str]:
        seen = db.execute(
            "SELECT job FROM deliveries WHERE provider = ? AND result_key = ?", (item.provider, item.result_key)
        ).fetchone()
        if seen:
            return False, str(seen["job"])
        target = self._match(db, item)
        job = target["job"] if target else UNMATCHED
        payload = json.dumps(item.result, ensure_ascii=False)
        db.execute(
            "INSERT INTO deliveries (provider, result_key, kind, job, number, result, received) VALUES (?,?,?,?,?,?,?)",
            (item.provider, item.result_key, item.kind.lower(), job, item.number, payload, _now()),
        )
        if target:
            cost = item.result.get("cost")
            if cost is None and target["cost"] is None and target["maybe_cost"] is None:
                # A result proves the request was billed; the answer that would have said how much was lost.
                if job not in units:
                    units[job] = self._known_unit(db, job)
                unit = units[job]
                cost = None if unit is None else f"{unit:.4f}"
            # A result proves the request was processed: what may have been billed was billed.
            db.execute(
                "UPDATE numbers SET state = 'done', result = ?, updated = ?, source = 'provider', error = NULL,"
                " cost = COALESCE(cost, ?, CASE WHEN state IN ('uncertain', 'sending') THEN maybe_cost END),"
                " maybe_cost = NULL WHERE job = ? AND number = ?",
                (payload, _now(), cost, target["job"], target["number"]),
            )
        return True, str(job)

    @staticmethod
    def _match(db: sqlite3.Connection, item: CallbackResult) -> sqlite3.Row | None:
        """The row a late result belongs to: by the provider's id or our reference (any state), else by number
        within the same provider and lookup type (rows still waiting first, oldest job first)."""
        base = (
            "SELECT n.job, n.number, n.cost, n.maybe_cost FROM numbers n JOIN jobs j ON j.name = n.job "
            "WHERE j.provider = ? AND j.kind = ? AND j.mode = 'async' AND "
        )
        args: tuple[Any, ...] = (item.provider, item.kind.lower())
        for key in ("sub_id", "reference"):
            value = item.match.get(key)
            if value:
                row = db.execute(
                    base + f"n.{key} = ? ORDER BY n.state = 'done', j.created DESC LIMIT 1", (*args, value)
                ).fetchone()
                if row:
                    return row
        number = item.number or item.match.get("number")
        if number:
            return db.execute(
                base + "n.number = ? AND n.state NOT IN ('done', 'pending') "
                "ORDER BY n.state IN ('submitted', 'uncertain', 'sending') DESC, j.created LIMIT 1",
                (*args, number),
            ).fetchone()
        return None

    def deliveries(self, job: str) -> list[DeliveryRow]:
        rows = self.query(
            "SELECT id, provider, result_key, kind, job, number, result, received FROM deliveries WHERE job = ?"
            " ORDER BY id",
            (job,),
        )
        return [
            DeliveryRow(
                id=r[0], provider=r[1], result_key=r[2], kind=r[3], job=r[4], number=r[5], result=json.loads(r[6]),
                received=r[7],
            )
            for r in rows
        ]  # fmt: skip

    def jobs_older_than(self, seconds: float) -> list[Job]:
        cutoff = _now() - seconds
        return [Job.from_row(r) for r in self.query("SELECT * FROM jobs WHERE updated < ? ORDER BY updated", (cutoff,))]

    def prune_unmatched(self, seconds: float) -> int:
        with self.tx() as db:
            cur = db.execute("DELETE FROM deliveries WHERE job = ? AND received < ?", (UNMATCHED, _now() - seconds))
            return int(cur.rowcount)

    # Results of earlier jobs (--max-age) -----------------------------------------------------------------------
    def cached(self, provider: str, kind: str, numbers: Sequence[str], newer_than: float) -> dict[str, Cached]:
        """For each number, the newest final result of this provider and lookup type younger than the cutoff."""
        out: dict[str, Cached] = {}
        for start in range(0, len(numbers), 500):
            part = numbers[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self.query(
                "SELECT n.number, n.result, n.updated, n.job FROM numbers n JOIN jobs j ON j.name = n.job"
                f" WHERE n.number IN ({marks}) AND n.state = 'done' AND n.result IS NOT NULL AND n.updated >= ?"
                " AND j.provider = ? AND j.kind = ? ORDER BY n.updated",
                (*part, newer_than, provider, kind),
            )
            for r in rows:
                out[r[0]] = Cached(r[1], r[2], r[3])
        return out


def _store_error(exc: sqlite3.OperationalError) -> Exception:
    text = str(exc).lower()
    if "full" in text:
        return DiskFull("disk full: the job store could not be written (the journal is intact)")
    return exc
