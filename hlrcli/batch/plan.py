"""Planning a job before anything is paid: the mode and options the provider takes, the run's options, where the
rows will go and which columns they have; then reading the input into the journal (deduped), naming the job,
estimating what it will cost."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hlrcli.batch.reader import Input
from hlrcli.errors import UnsupportedError, UsageError
from hlrcli.numbers import normalise
from hlrcli.output import Format, Style, check_not_terminal
from hlrcli.providers.base import Provider
from hlrcli.store import Job, NumberState, Store

if TYPE_CHECKING:
    from hlrcli.batch.service import BatchRequest

JOB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def check_job_name(name: str) -> str:
    """A job name is a file name too (its lock): letters, digits, . _ -, at most 100, no path."""
    if not JOB_NAME.fullmatch(name) or ".." in name:
        raise UsageError("--job takes 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name


def job_name(provider: str, kind: str, mode: str, input_sha: str, options: dict[str, Any]) -> str:
    material = json.dumps({"input": input_sha, "options": options}, sort_keys=True)
    return f"{provider}-{kind}-{hashlib.sha256(material.encode()).hexdigest()[:10]}"


def ingest(
    store: Store,
    job: Job,
    rows: Iterator[list[str]],
    number_index: int,
    country: str | None,
    stop: threading.Event | None = None,
) -> int:
    """Normalise every row into the journal (streamed; idempotent, so an interrupted ingest can be redone).

    Returns the number of rows read (fewer than the input's if `stop` was set).
    """
    count = 0

    def gen() -> Iterator[tuple[int, list[str], str | None, str | None, str | None]]:
        nonlocal count
        for idx, cells in enumerate(rows):
            if stop is not None:
                if stop.is_set():
                    return
                if idx % 200 == 0:
                    time.sleep(0.002)  # background reading yields: the sender's pacing slots come first
            n = normalise(cells[number_index], country)
            count = idx + 1
            yield idx, cells, n.e164, n.region, n.error

    store.add_rows(job.name, gen())
    return count


class Ingestion:
    """Reads the (already checked) input into the journal in a background thread while the first requests go.

    Used when nothing needs the totals first (no dry run, no --max-cost, no question to ask): a cron job's
    big file then costs its paced sending time, not reading time plus sending time.
    """

    def __init__(self, store: Store, job: Job, rows: Iterator[list[str]], number_index: int, country: str | None):
        self.rows = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._args = (store, job, rows, number_index, country)
        self._thread = threading.Thread(target=self._run, name="hlrcli-ingest", daemon=True)

    def start(self) -> Ingestion:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.rows = ingest(*self._args, stop=self._stop)
        except BaseException as exc:  # re-raised in the main thread by finish()
            self.error = exc

    def running(self) -> bool:
        return self._thread.is_alive()

    def finish(self) -> int:
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.rows

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@dataclass
class Estimate:
    to_send: int = 0
    cost: float = 0.0
    unknown: int = 0  # numbers whose price could not be found
    currency: str = "EUR"
    by_country: dict[str, str] = field(default_factory=dict)

    @property
    def unit(self) -> float | None:
        known = self.to_send - self.unknown
        return self.cost / known if known > 0 else None

    def text(self) -> str:
        if self.to_send == 0:
            return "nothing to send"
        if self.unknown == self.to_send:
            return "unknown (this provider publishes no prices we can query)"
        extra = f", plus {self.unknown} numbers at an unknown price" if self.unknown else ""
        return f"{self.cost:.4f} {self.currency}{extra}"


def estimate(store: Store, job: Job, provider: Provider, states: Sequence[NumberState]) -> Estimate:
    groups = store.pending_by_region(job.name, states)
    est = Estimate(to_send=sum(n for _, n, _ in groups))
    if not provider.billed:
        return est
    price = provider.pricer(job.kind, job.options)
    for region, count, sample in groups:
        unit = price(region, sample)
        if unit is None:
            est.unknown += count
            est.by_country[region or "?"] = f"{count} × unknown"
        else:
            est.cost += unit * count
            est.by_country[region or "?"] = f"{count} × {unit:g}"
    return est


# Run options recorded with a job, so `--resume` (and the resume hint) repeat the run as it was started.
RUN_OPTIONS = ("output", "format", "columns", "header", "raw", "excel", "concurrency", "per_minute", "max_cost")


def choose_mode(provider: Provider, kind: str, wanted: str | None) -> str:
    from hlrcli import providers

    can_sync, can_async = kind in provider.sync_kinds(), kind in provider.bulk_kinds
    if not (can_sync or can_async):
        able = [n for n in providers.NAMES if kind in providers.provider_class(n).batch_kinds()]
        raise UnsupportedError(
            f"batch --type {kind} is not available on {provider.name}; use -p {' or -p '.join(able)}"
        )
    if wanted == "sync" and not can_sync:
        raise UnsupportedError(f"{provider.name} has no synchronous {kind} endpoint; use --mode async")
    if wanted == "async" and not can_async:
        raise UnsupportedError(f"{provider.name} has no asynchronous {kind} endpoint; use --mode sync")
    return wanted or ("sync" if can_sync else "async")


def check_options(provider: Provider, given: dict[str, Any]) -> dict[str, Any]:
    """Provider-specific options on another provider are refused: silently ignoring them would mislead."""
    from hlrcli import providers

    used = {k: v for k, v in given.items() if v is not None}
    foreign = [k for k in used if k not in provider.options]
    if foreign:
        names = ", ".join(f"--{k.replace('_', '-')}" for k in foreign)
        owners = sorted({o for k in foreign for o in providers.option_owners(k)})
        raise UsageError(f"{names} only applies to -p {' or -p '.join(owners)} (the provider here is {provider.name})")
    return used


def run_options(req: BatchRequest, existing: Job | None) -> dict[str, Any]:
    """This run's output and pacing options: as given, else (with --resume) as the job recorded them, else the
    defaults. A plain rerun is a new command line: `batch f.csv -f json | jq` writes to stdout, not to the file
    the first run wrote."""
    recorded: dict[str, Any] = (existing.options.get("run") if existing and req.resume else None) or {}
    given = {
        "output": str(Path(req.output).resolve()) if req.output not in (None, "-") else req.output,
        "format": req.format.value if req.format else None,
        "columns": list(req.columns) if req.columns else None,
        "header": req.header,
        "raw": req.raw,
        "excel": req.excel,
        "concurrency": req.concurrency,
        "per_minute": req.per_minute,
        "max_cost": req.max_cost,
    }
    run = {k: given[k] if given[k] is not None else recorded.get(k) for k in RUN_OPTIONS}
    if req.output == "-":
        run["output"] = None  # `-o -` asks for stdout this time
    if given["format"] is None and req.output is not None and req.output != "-":
        run["format"] = None  # a new file name decides the format again
    if run["format"] is None:
        from hlrcli.output import format_for

        named = format_for(str(run["output"]) if run.get("output") else None)
        run["format"] = (named or Format.csv).value
    if run.get("excel") and run["format"] not in ("csv",):
        raise UsageError("--excel writes CSV for Excel; with -o .xlsx or -f xlsx it is not needed")
    return run


def check_destination(run: dict[str, Any], stdout: Any, inp: Input) -> None:
    """Where the rows will go must be writable before anything is spent (open_output checks again, atomically)."""
    output = run.get("output")
    if output is None:
        if stdout is None or getattr(stdout, "closed", False):
            raise UsageError("standard output is closed: write to a file with -o FILE")
        check_not_terminal(Format(run["format"]), None, stdout)
        return
    target = Path(output)
    if target.is_dir():
        raise UsageError(f"cannot write {target}: it is not a regular file (a directory)")
    try:
        if target.exists() and target.resolve().samefile(inp.path):
            raise UsageError(f"-o {target} is the input file: write the results somewhere else")
    except OSError:
        pass
    if not target.parent.is_dir():
        raise UsageError(f"cannot write {target}: no such directory {target.parent}")


def check_same(job: Job, provider: str, options: dict[str, Any], inp: Input) -> None:
    if job.provider != provider or job.kind != options["type"] or job.mode != options["mode"]:
        raise UsageError(f"job {job.name} is a {job.provider} {job.kind} {job.mode} job; name a new job with --job")
    if job.input_hash and job.input_hash != inp.sha256:
        raise UsageError(f"job {job.name} was made from different input ({job.input}); name a new job with --job")


def check_columns(style: Style, available: Sequence[str]) -> None:
    """--columns names must exist: checked before anything is sent, not after paying."""
    unknown = [c for c in style.columns or () if c not in available]
    if unknown:
        raise UsageError(f"unknown column(s) for --columns: {', '.join(unknown)}; available: {', '.join(available)}")
