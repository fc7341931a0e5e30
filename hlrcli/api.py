"""The Python API: what the CLI does, as functions. Same settings, same providers, same job service.

    import hlrcli

    with hlrcli.Client() as client:                       # settings as the CLI reads them (env, .env, config)
        for r in client.lookup(["+491788735000"]):
            print(r.msisdn, r.connectivity_status)

    outcome = hlrcli.run_batch([{"id": "1", "phone": "+491788735000"}], job="crm")
    for row in hlrcli.job_results("crm"):
        print(row["id"], row["connectivity_status"])

Batches keep the CLI's guarantees: the journal, resume after a crash (`resume=True`), nothing paid twice.
Nothing is printed unless you pass `notice=print`.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO, cast

from hlrcli.batch.reader import SPOOL_PREFIX, sweep_spools
from hlrcli.batch.service import BatchOutcome, BatchRequest, Jobs
from hlrcli.config import Settings, private_dir
from hlrcli.errors import UsageError
from hlrcli.models import HlrResult, MnpResult, NtResult, Validation
from hlrcli.output import Format
from hlrcli.providers import choose, make, require
from hlrcli.providers.base import Provider, Runtime
from hlrcli.redact import register

Log = Callable[[str], None]


def _silent(_: str) -> None:
    pass


@dataclass
class _Quiet:
    """The job service's Ui for library use: no terminal, no questions (answers "no"), notices to a callback."""

    notice_to: Log = _silent
    quiet: bool = False

    def notice(self, message: str) -> None:
        self.notice_to(message)

    def warn(self, message: str) -> None:
        self.notice_to(message)

    def trace(self, message: str) -> None:
        pass

    def can_ask(self) -> bool:
        return False

    def confirm(self, question: str) -> bool:
        return False

    def progress(self, total: int | None, label: str) -> _NoBar:
        return _NoBar()


class _NoBar:
    def advance(self, count: int, cost: float) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass
class _Providers:
    """The job service's provider factory for library use (one instance per provider, closed together)."""

    settings: Settings
    flag: str | None
    notice: Log
    timeout: float | None = None
    made: dict[str, Provider] = field(default_factory=dict)

    def __call__(
        self, command: str, *, name: str | None = None, concurrency: int = 4, per_minute: float | None = None
    ) -> Provider:
        chosen = name or choose(command, self.flag, self.settings, self.notice)
        require(chosen, command)
        if chosen not in self.made:
            runtime = Runtime(
                timeout=self.timeout or self.settings.get_float("HLRCLI_TIMEOUT"),
                attempts=int(self.settings.get_float("HLRCLI_RETRIES")),
                give_up_after=self.settings.get_duration("HLRCLI_GIVE_UP_AFTER") or 900.0,
                pool_size=max(16, concurrency),
                per_minute=per_minute,
                notice=self.notice,
            )
            self.made[chosen] = make(chosen, self.settings, runtime)
        return self.made[chosen]

    def close(self) -> None:
        for provider in self.made.values():
            provider.close()
        self.made.clear()


def _settings(provider: str | None) -> Settings:
    settings = Settings.load({"HLRCLI_PROVIDER": provider})
    register(settings.secrets())
    return settings


class Client:
    """Lookups for a few numbers on one provider (the default: as the CLI chooses, else `provider`)."""

    def __init__(self, provider: str | None = None, *, timeout: float | None = None, notice: Log = _silent) -> None:
        self.settings = _settings(provider)
        self._providers = _Providers(self.settings, provider, notice, timeout)

    def _lookup(self, command: str, kind: str, numbers: Iterable[str], country: str | None) -> list[Any]:
        from hlrcli.numbers import check_country, normalise

        provider = self._providers(command)
        parsed = [normalise(n, check_country(country)) for n in numbers]
        bad = [n for n in parsed if not n.ok and provider.billed]
        if bad:
            raise UsageError(f"{bad[0].raw!r}: {bad[0].error}")
        return [provider.lookup(kind, n) for n in parsed]

    def lookup(self, numbers: Iterable[str], *, country: str | None = None) -> list[HlrResult]:
        """Synchronous HLR lookups (hlrlookups); each invalid number raises UsageError before anything is sent."""
        return self._lookup("lookup", "hlr", numbers, country)

    def mnp(self, numbers: Iterable[str], *, country: str | None = None) -> list[MnpResult]:
        return self._lookup("mnp", "mnp", numbers, country)

    def nt(self, numbers: Iterable[str], *, country: str | None = None) -> list[NtResult]:
        """Number type: free and local on the offline provider, paid on hlrlookups."""
        return self._lookup("nt", "nt", numbers, country)

    def validate(self, numbers: Iterable[str], *, country: str | None = None) -> list[Validation]:
        from hlrcli.numbers import check_country, normalise

        return self._providers("validate").validate([normalise(n, check_country(country)) for n in numbers])

    def close(self) -> None:
        self._providers.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def _spool(rows: Iterable[Mapping[str, Any] | Sequence[Any]], home: Path) -> Path:
    """Rows as a private CSV file under HLRCLI_HOME/spool, written as they come: memory stays flat whatever
    their number. The caller removes it; the name carries our pid, as the CLI's stdin spools do, so one left by
    a killed process is swept by the next batch. The job is named by the content, never by this file's name."""
    directory = home / "spool"
    private_dir(directory)
    sweep_spools(directory)
    fd, name = tempfile.mkstemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-api-", suffix=".csv", dir=directory)
    path = Path(name)
    try:
        # newline="" and "\n": the bytes the rows always made, so a job started by an earlier release resumes.
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            header: list[str] | None = None
            written = 0
            for row in rows:
                if isinstance(row, Mapping):
                    if header is None:
                        header = [str(k) for k in row]
                        writer.writerow(header)
                    writer.writerow(["" if row.get(k) is None else str(row.get(k)) for k in header])
                else:
                    writer.writerow(["" if v is None else str(v) for v in row])
                written += 1
        if not written:
            raise UsageError("no rows given")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def run_batch(
    rows: Iterable[Mapping[str, Any] | Sequence[Any]] | str | os.PathLike[str],
    *,
    provider: str | None = None,
    kind: str = "hlr",
    column: str | None = None,
    country: str | None = None,
    mode: str | None = None,
    job: str | None = None,
    resume: bool = False,
    max_cost: float | None = None,
    max_age: float | None = None,
    per_minute: float | None = None,
    output: str | os.PathLike[str] | TextIO | None = None,
    format: str | None = None,
    notice: Log = _silent,
    **lookup_opts: Any,
) -> BatchOutcome:
    """A batch job over rows (dicts, sequences, or a CSV file's path) with the CLI's guarantees.

    Rows are read once, as they come (a generator is fine), into a spool file that is removed when the batch
    ends, however it ends. Results go to `output`: a file (its extension picks the format) or an open text
    stream (CSV, or `format`), written row by row in input order as each becomes final; and they stay in the
    job store: read them with `job_results(outcome.job)`. `per_minute` paces requests (the CLI's `--rate`).
    Raises HlrcliError subclasses (UsageError, ConfigError, …) as the CLI reports them.
    """
    if per_minute is not None and not per_minute > 0:
        raise UsageError("per_minute is requests per minute: a number above 0 (the CLI's --rate 300/min is 300)")
    stream = output if output is not None and hasattr(output, "write") else None
    if stream is not None and format == Format.xlsx.value:
        raise UsageError("xlsx is a binary file: give output a path ending in .xlsx")
    settings = _settings(provider)
    providers = _Providers(settings, provider, notice)
    spool: Path | None = None
    try:
        jobs = Jobs(settings, _Quiet(notice), providers)
        if isinstance(rows, str | os.PathLike):
            source = os.fspath(rows)
        else:
            spool = _spool(rows, settings.home())
            source = str(spool)
        # A file's name picks its format; a stream, or nothing at all (the store keeps the rows), is CSV.
        target: str | None = None
        fmt: Format | None = Format(format) if format else Format.csv
        if stream is None:
            target = os.devnull if output is None else os.fspath(cast("str | os.PathLike[str]", output))
            if output is not None and not format:
                fmt = None
        request = BatchRequest(
            source=source,
            kind=kind,
            provider=provider,
            column=column,
            country=country,
            mode=mode,
            per_minute=per_minute,
            job=job,
            resume=resume,
            max_cost=max_cost,
            max_age=max_age,
            yes=True,
            lookup_opts=lookup_opts,
            output=target,
            format=fmt,
            stdout=stream,
        )
        return jobs.batch(request)
    finally:
        providers.close()
        if spool is not None:
            spool.unlink(missing_ok=True)


def job_results(job: str) -> Iterator[dict[str, Any]]:
    """A job's input rows, in order, each joined with its result (as `hlrcli jobs results JOB` writes them)."""
    settings = _settings(None)
    jobs = Jobs(settings, _Quiet(), _Providers(settings, None, _silent))
    with closing(jobs.store()) as store:
        _, rows, _ = jobs.export(store, job)
        yield from rows
