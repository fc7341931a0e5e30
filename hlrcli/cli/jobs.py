"""`hlrcli jobs`: list, inspect, export, poll and prune the jobs in the local store."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hlrcli.cli.common import Ctx, command, finish
from hlrcli.errors import ExitCode, HlrcliError, UsageError
from hlrcli.output import check_table_size

if TYPE_CHECKING:
    from hlrcli.store import Job, Store

UNMATCHED = "unmatched"  # hlrcli.store.UNMATCHED, without importing sqlite for --help

app = typer.Typer(help="Batch jobs in the local store: list, show, results, poll, prune.")
JobArg = Annotated[str, typer.Argument(help="job name (see `hlrcli jobs list`)", show_default=False)]
WAITING = ("submitted", "sending", "uncertain")


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _open(ctx: Ctx) -> AbstractContextManager[Store]:
    from hlrcli.store import Store

    return closing(Store.open(ctx.settings.home()))


def _awaited(store: Store, name: str) -> int:
    return sum(store.counts(name).get(s, 0) for s in WAITING)


def _job(store: Store, name: str) -> Job:
    job = store.job(name)
    if job is None:
        known = ", ".join(j.name for j in store.jobs()[-5:]) or "none yet"
        raise UsageError(f"no job named {name!r} (recent: {known}; see `hlrcli jobs list`)")
    return job


def _summary(store: Store, job: Job) -> dict[str, Any]:
    counts = store.counts(job.name)
    sent = sum(counts.get(s, 0) for s in ("submitted", "done", "rejected", "uncertain", "failed"))
    return {
        "name": job.name,
        "provider": job.provider,
        "type": job.kind,
        "mode": job.mode,
        "state": job.state,
        "created": _when(job.created),
        "rows": job.rows,
        "distinct": sum(counts.values()),
        "submitted": sent,
        "results": counts.get("done", 0),
        "pending": sum(counts.get(s, 0) for s in ("pending", *WAITING)),
        "uncertain": counts.get("uncertain", 0),
        "failed": counts.get("failed", 0) + counts.get("rejected", 0),
        "cost": f"{store.cost(job.name):.4f}",
    }


@command(app, "list")
def list_jobs(ctx: Ctx) -> None:
    """Every job: provider, type, rows, submitted, results received, pending, cost."""
    with _open(ctx) as store:
        rows = [_summary(store, j) for j in store.jobs()]
        unmatched = store.deliveries(UNMATCHED)
        if unmatched:
            rows.append({"name": UNMATCHED, "results": len(unmatched), "state": "results with no known job"})
        ctx.emit(
            rows,
            columns=[
                "name",
                "provider",
                "type",
                "mode",
                "state",
                "created",
                "rows",
                "distinct",
                "submitted",
                "results",
                "pending",
                "uncertain",
                "failed",
                "cost",
            ],
            summary=["name", "provider", "type", "mode", "state", "rows", "results", "pending", "cost"],
        )


@command(app, "show")
def show(
    ctx: Ctx,
    name: JobArg,
    chunks: Annotated[bool, typer.Option("--chunks", help="list the job's chunks (async) instead")] = False,
) -> None:
    """A job's options, counts per state, chunk states (uncertain ones included) and cost."""
    with _open(ctx) as store:
        job = _job(store, name)
        chunk_rows = store.chunks(name)
        if chunks:
            ctx.emit(
                [
                    {
                        "seq": c["seq"],
                        "state": c["state"],
                        "size": c["size"],
                        "cost": c["cost"],
                        "receipt": c["receipt"],
                        "error": c["error"],
                        "updated": _when(c["updated"]),
                    }
                    for c in chunk_rows
                ],
                columns=["seq", "state", "size", "cost", "receipt", "error", "updated"],
            )
            return
        counts = store.counts(name)
        by_state: dict[str, int] = {}
        for c in chunk_rows:
            by_state[c["state"]] = by_state.get(c["state"], 0) + 1
        record = {
            **_summary(store, job),
            "updated": _when(job.updated),
            "input": job.input,
            "input_sha256": job.input_hash,
            "number_column": job.number_column,
            "options": json.dumps({k: v for k, v in job.options.items() if k != "reference_map"}),
            "invalid_rows": store.invalid_rows(name),
            "numbers_by_state": ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
            "chunks": ", ".join(f"{k} {v}" for k, v in sorted(by_state.items())) or "—",
            "uncertain_chunks": [c["seq"] for c in chunk_rows if c["state"] == "uncertain"],
        }
        ctx.emit([record])


def parse_duration(text: str) -> float:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text)
    if not m:
        raise UsageError(f"durations look like 30d, 12h, 90m or 2w, not {text!r}")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]


@command(app, "prune")
def prune(
    ctx: Ctx,
    older_than: Annotated[str, typer.Option("--older-than", help="age, e.g. 30d, 12h, 2w")] = "30d",
) -> None:
    """Delete jobs (and unmatched results) not touched for longer than --older-than."""
    with _open(ctx) as store:
        removed = store.prune(parse_duration(older_than))
    ctx.notice(f"removed {len(removed)} job(s)" + (f": {', '.join(removed)}" if removed else ""))


@command(app, "delete")
def delete(ctx: Ctx, name: JobArg) -> None:
    """Delete one job and its journal (results already received stay as unmatched)."""
    with _open(ctx) as store:
        _job(store, name)
        store.delete_job(name)
    ctx.notice(f"deleted job {name}")


def poll_once(ctx: Ctx, store: Store, job: Job, provider: Any) -> int:
    """Ask the provider for every result still awaited; returns how many arrived."""
    from concurrent.futures import ThreadPoolExecutor

    from hlrcli.models import PENDING

    arrived = 0
    after = -1
    while True:
        waiting = store.numbers_in(job.name, ("submitted",), limit=200, after=after)
        if not waiting:
            return arrived
        after = waiting[-1]["first_idx"]

        def fetch(row: Any) -> tuple[Any, Any]:
            try:
                return row, provider.status(hlr_id=row["sub_id"]) if row["sub_id"] else provider.status(
                    reference=row["reference"]
                )
            except HlrcliError as exc:
                return row, exc

        with ThreadPoolExecutor(max_workers=4) as pool:
            for row, result in pool.map(fetch, waiting):
                if isinstance(result, HlrcliError):
                    if result.exit_code == ExitCode.CONFIG:
                        raise result
                    ctx.trace(f"poll {row['number']}: {result}")
                    continue
                if result.connectivity_status == PENDING:
                    continue
                data = {**_asdict(result), "msisdn": row["number"]}
                new, _ = store.deliver(
                    job.provider,
                    f"{result.id}:{result.raw_status}",
                    "HLR",
                    row["number"],
                    data,
                    {"sub_id": result.id, "reference": result.reference},
                )
                arrived += new


def _asdict(record: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(record)


def _pollable(ctx: Ctx, job: Job, per_minute: float | None = None) -> Any:
    from hlrcli import providers

    if not providers.provider_class(job.provider).supports("status"):
        return None
    return ctx.provider("status", per_minute=per_minute, name=job.provider)


@command(app, "poll")
def poll(
    ctx: Ctx,
    name: JobArg,
    rate: Annotated[str | None, typer.Option("--rate", help="request pace, e.g. 120/min")] = None,
) -> None:
    """Fetch the results still awaited from the provider (affiliate: GET /hlr/{id}); safe to repeat."""
    from hlrcli.cli.batch import parse_rate

    with _open(ctx) as store:
        job = _job(store, name)
        if job.mode != "async":
            raise UsageError(f"job {name} is synchronous: its results are already in the store")
        provider = _pollable(ctx, job, parse_rate(rate))
        if provider is None:
            raise UsageError(
                f"{job.provider} results cannot be polled; they arrive by webhook "
                "(`hlrcli webhook serve`, see `hlrcli webhook url`)"
            )
        arrived = poll_once(ctx, store, job, provider)
        waiting = _awaited(store, name)
    ctx.notice(f"{arrived} new result(s); {waiting} still awaited")


def _unmatched(store: Store) -> Iterator[dict[str, Any]]:
    for d in store.deliveries(UNMATCHED):
        yield {
            "provider": d["provider"],
            "kind": d["kind"],
            "number": d["number"],
            "received": _when(d["received"]),
            "result": d["result"],
        }


@command(app, "results")
def results(
    ctx: Ctx,
    name: JobArg,
    wait: Annotated[bool, typer.Option("--wait", help="block until no result is awaited (or --timeout)")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds to wait with --wait", min=0)] = 600,
    interval: Annotated[float, typer.Option("--interval", help="seconds between checks with --wait", min=0.05)] = 2.0,
) -> None:
    """The job's input rows, in order, joined with their results (rows still awaited say PENDING)."""
    with _open(ctx) as store:
        if name == UNMATCHED:
            ctx.emit(_unmatched(store), columns=["provider", "kind", "number", "received", "result"])
            return
        job = _job(store, name)
        waiting = _wait(ctx, store, job, timeout, interval) if wait else 0
        check_table_size(ctx.fmt, job.rows)
        from hlrcli.batch.engine import RowShaper

        shaper = RowShaper(job.columns, job.kind, "sync", job.provider)
        ctx.emit((shaper.from_store(r) for r in store.joined(job.name)), columns=shaper.columns)
    if wait and waiting:
        ctx.warn(f"{waiting} result(s) still awaited after {timeout:g} s")
        finish(ExitCode.FAILURE)


def _wait(ctx: Ctx, store: Store, job: Job, timeout: float, interval: float) -> int:
    """Poll the store (and the provider, where it can be polled) until nothing is awaited; returns what is."""
    provider = _pollable(ctx, job) if job.mode == "async" else None
    deadline = time.monotonic() + timeout
    while True:
        if provider is not None:
            poll_once(ctx, store, job, provider)
        waiting = _awaited(store, job.name)
        if not waiting or time.monotonic() >= deadline:
            return waiting
        ctx.trace(f"{waiting} result(s) awaited")
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
