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
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

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
    """Rows as a CSV file under HLRCLI_HOME/spool, named by its content (the same rows are the same job)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header: list[str] | None = None
    for row in rows:
        if isinstance(row, Mapping):
            if header is None:
                header = [str(k) for k in row]
                writer.writerow(header)
            writer.writerow(["" if row.get(k) is None else str(row.get(k)) for k in header])
        else:
            writer.writerow(["" if v is None else str(v) for v in row])
    data = buffer.getvalue().encode()
    if not data:
        raise UsageError("no rows given")
    directory = home / "spool"
    private_dir(directory)
    path = directory / f"api-{hashlib.sha256(data).hexdigest()[:16]}.csv"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
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
    output: str | os.PathLike[str] | None = None,
    format: str | None = None,
    notice: Log = _silent,
    **lookup_opts: Any,
) -> BatchOutcome:
    """A batch job over rows (dicts, sequences, or a CSV file's path) with the CLI's guarantees.

    Results go to `output` (a file; its extension picks the format) and stay in the job store: read them with
    `job_results(outcome.job)`. Raises HlrcliError subclasses (UsageError, ConfigError, …) as the CLI reports them.
    """
    settings = _settings(provider)
    providers = _Providers(settings, provider, notice)
    try:
        jobs = Jobs(settings, _Quiet(notice), providers)
        source = str(rows) if isinstance(rows, str | os.PathLike) else str(_spool(rows, settings.home()))
        request = BatchRequest(
            source=source,
            kind=kind,
            provider=provider,
            column=column,
            country=country,
            mode=mode,
            job=job,
            resume=resume,
            max_cost=max_cost,
            max_age=max_age,
            yes=True,
            lookup_opts=lookup_opts,
            output=str(output) if output is not None else os.devnull,
            format=Format(format) if format else (None if output is not None else Format.csv),
        )
        return jobs.batch(request)
    finally:
        providers.close()


def job_results(job: str) -> Iterator[dict[str, Any]]:
    """A job's input rows, in order, each joined with its result (as `hlrcli jobs results JOB` writes them)."""
    settings = _settings(None)
    jobs = Jobs(settings, _Quiet(), _Providers(settings, None, _silent))
    with closing(jobs.store()) as store:
        _, rows, _ = jobs.export(store, job)
        yield from rows
