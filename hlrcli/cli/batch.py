"""`hlrcli batch`: a CSV (or stdin) in, every row back enriched, nothing lost, nothing paid twice."""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hlrcli.cli.common import CountryOpt, Ctx, command, finish, only_for
from hlrcli.errors import ExitCode, UnsupportedError, UsageError
from hlrcli.output import Format, check_table_size, open_output, writer

if TYPE_CHECKING:  # the engine pulls in phonenumbers and sqlite: imported when a batch runs, not for --help
    from hlrcli.batch.engine import Estimate, Ingestion, Tally
    from hlrcli.batch.reader import Input
    from hlrcli.store import Job, Store

app = typer.Typer()
CONFIRM_ABOVE = 1000


class Kind(str, Enum):
    hlr = "hlr"
    mnp = "mnp"
    nt = "nt"


class Mode(str, Enum):
    sync = "sync"
    async_ = "async"


def parse_rate(text: str | None) -> float | None:
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|m|min|h|hour))?\s*", text)
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"--rate must look like 300/min, 5/s or 1000/h, not {text!r}")
    per = {"s": 60, "sec": 60, "h": 1 / 60, "hour": 1 / 60}.get(m.group(2) or "min", 1)
    return float(m.group(1)) * per


class Bar:
    """A progress bar on stderr when it is a terminal (and not --quiet); otherwise nothing at all."""

    def __init__(self, ctx: Ctx, total: int | None, label: str) -> None:
        self.cost = 0.0
        self.progress = None
        if ctx.stderr_is_tty and not ctx.quiet and total != 0:  # None: not known yet (still reading)
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[cost]}"),
                console=Console(file=ctx.stderr),
                transient=False,
            )
            self.task = self.progress.add_task(label, total=total, cost="", rate="")
            self.progress.start()

    def advance(self, count: int, cost: float) -> None:
        self.cost += cost
        if self.progress is not None:
            self.progress.update(self.task, advance=count, cost=f"€{self.cost:.4f}")
            speed = self.progress.tasks[0].speed
            if speed:
                self.progress.update(self.task, rate=f"{speed:.1f}/s")

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@contextmanager
def handling(signals: tuple[signal.Signals, ...], handler: Any) -> Iterator[None]:
    """Our handler for `signals` while the block runs, the previous ones restored after."""
    try:
        previous = {sig: signal.signal(sig, handler) for sig in signals}
    except ValueError:  # not the main thread (tests driving the app in a thread)
        yield
        return
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def sigterm_as_interrupt() -> Any:
    """systemd and cron stop jobs with SIGTERM: stop as cleanly as on Ctrl-C."""
    return handling((signal.SIGTERM,), _interrupt)


def finish_in_flight_on_signal(stop: threading.Event) -> Any:
    """Ctrl-C or SIGTERM while requests are out: stop sending, record the answers in flight, then stop.

    Raising at an arbitrary point could lose track of a request already sent (and billed); a flag read
    between rounds cannot. A second signal stops at once.
    """

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    return handling((signal.SIGINT, signal.SIGTERM), handler)


@command(app, "batch")
def batch(
    ctx: Ctx,
    source: Annotated[str, typer.Argument(help="CSV file, or - for stdin", show_default=False)],
    kind: Annotated[Kind, typer.Option("--type", "-t", help="lookup type")] = Kind.hlr,
    column: Annotated[str | None, typer.Option("--column", help="column holding the numbers (name or 1-based)")] = None,
    country: CountryOpt = None,
    mode: Annotated[
        Mode | None, typer.Option("--mode", help="sync or async [default: sync where the provider can]")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", help="parallel requests (sync)", min=1)] = 8,
    rate: Annotated[str | None, typer.Option("--rate", help="request pace, e.g. 300/min")] = None,
    job: Annotated[str | None, typer.Option("--job", help="job name [default: from input content and options]")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="continue a job: nothing already sent is sent again")
    ] = False,
    resubmit_uncertain: Annotated[
        bool,
        typer.Option("--resubmit-uncertain", help="also resend requests whose answer was lost (may pay twice)"),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count and estimate the cost; send nothing")] = False,
    max_cost: Annotated[
        float | None,
        typer.Option("--max-cost", help="refuse or stop when the cost (EUR) would exceed this", min=0),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="no confirmation questions")] = False,
    route: Annotated[str | None, typer.Option("--route", help="hlrlookups route id")] = None,
    storage: Annotated[str | None, typer.Option("--storage", help="hlrlookups storage name")] = None,
    notify_url: Annotated[str | None, typer.Option("--notify-url", help="smspartner notifyUrl")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="smspartner tag")] = None,
    tariff: Annotated[int | None, typer.Option("--tariff", help="affiliate tariff 0-9", min=0, max=9)] = None,
    callback_url: Annotated[str | None, typer.Option("--callback-url", help="affiliate callback_url")] = None,
) -> None:
    """Look up every number of a CSV file or stdin; write every row back, enriched, in input order.

    Paid providers journal each job (HLRCLI_HOME/jobs.sqlite3): `--resume` continues after a crash or Ctrl-C
    without paying twice. The offline provider streams with no journal.
    """
    from hlrcli.batch.engine import job_name
    from hlrcli.batch.lock import job_lock
    from hlrcli.batch.reader import open_input
    from hlrcli.numbers import check_country
    from hlrcli.store import Store

    country = check_country(country)
    per_minute = parse_rate(rate)
    provider = ctx.provider("batch", concurrency, per_minute)
    chosen = _mode(provider, kind.value, mode.value if mode else None)
    only_for(provider.name, "hlrlookups", route=route, storage=storage)
    only_for(provider.name, "smspartner", notify_url=notify_url, tag=tag)
    only_for(provider.name, "affiliate", tariff=tariff, callback_url=callback_url)
    lookup_opts = {
        k: v
        for k, v in {
            "route": route,
            "storage": storage,
            "notify_url": notify_url,
            "tag": tag,
            "tariff": tariff,
            "callback_url": callback_url,
        }.items()
        if v is not None
    }
    fmt = ctx.data_format(Format.csv)
    home = ctx.settings.home()
    inp = open_input(source, column, spool_dir=home / "spool")
    try:
        ctx.notice(inp.describe())
        if not provider.charges:
            from hlrcli.batch.offline import run_offline

            stats = run_offline(ctx, provider, inp, kind.value, country, fmt, dry_run=dry_run, concurrency=concurrency)
            if not ctx.quiet:
                ctx.notice(stats)
            return
        options = {
            "type": kind.value,
            "mode": chosen,
            "column": inp.number_column,
            "country": country,
            **lookup_opts,
        }
        name = job or job_name(provider.name, kind.value, chosen, inp.sha256, options)
        store = Store.open(home)
        try:
            with job_lock(home, name), sigterm_as_interrupt():
                code = _run_paid(
                    ctx,
                    store,
                    provider,
                    inp,
                    name,
                    options,
                    fmt,
                    concurrency,
                    resume,
                    resubmit_uncertain,
                    dry_run,
                    max_cost,
                    yes,
                    lookup_opts,
                )
        finally:
            store.close()
        finish(code)
    finally:
        inp.cleanup()


def _mode(provider: Any, kind: str, wanted: str | None) -> str:
    from hlrcli import providers

    can_sync, can_async = kind in provider.sync_types, kind in provider.async_types
    if not (can_sync or can_async):
        able = [
            n
            for n in providers.NAMES
            if kind in providers.provider_class(n).sync_types | providers.provider_class(n).async_types
        ]
        raise UnsupportedError(
            f"batch --type {kind} is not available on {provider.name}; use -p {' or -p '.join(able)}"
        )
    if wanted == "sync" and not can_sync:
        raise UnsupportedError(f"{provider.name} has no synchronous {kind} endpoint; use --mode async")
    if wanted == "async" and not can_async:
        raise UnsupportedError(f"{provider.name} has no asynchronous {kind} endpoint; use --mode sync")
    return wanted or ("sync" if can_sync else "async")


def _run_paid(
    ctx: Ctx,
    store: Store,
    provider: Any,
    inp: Input,
    name: str,
    options: dict[str, Any],
    fmt: Format,
    concurrency: int,
    resume: bool,
    resubmit_uncertain: bool,
    dry_run: bool,
    max_cost: float | None,
    yes: bool,
    lookup_opts: dict[str, Any],
) -> ExitCode:
    from hlrcli.batch.engine import SEND_STATES, Estimate, Ingestion, estimate, ingest
    from hlrcli.store import Job

    existing = store.job(name)
    if existing is None and resume:
        raise UsageError(f"no job named {name} to resume (see `hlrcli jobs list`)")
    if existing is not None:
        _check_same(existing, provider.name, options, inp)
        left = store.settle_leftovers(name)
        counts = store.counts(name)
        unfinished = sum(counts.get(s, 0) for s in ("pending", "failed", "uncertain"))
        never_sent = set(counts) <= {"pending"}  # e.g. refused by --max-cost: nothing to protect yet
        if not resume and not dry_run and not never_sent:
            if unfinished:
                raise UsageError(
                    f"job {name} exists with {unfinished} numbers not done: continue it with --resume "
                    "(or name a new job with --job)"
                )
            if not _ask(
                ctx,
                yes,
                f"job {name} already ran ({sum(counts.values())} numbers, "
                f"{store.cost(name):.4f} EUR). Look them all up again and pay again?",
            ):
                raise UsageError(
                    f"job {name} is already done: export it with `hlrcli jobs results {name}`, continue with "
                    "--resume, or pass --yes to look everything up again and pay again"
                )
            store.reset_job(name)
        elif left:
            ctx.notice(f"job {name}: {left} numbers were in flight when the last run stopped")
        job = store.job(name)
        assert job is not None
        if job.state == "ingesting":
            # The run that created it stopped while reading the input: read it again (idempotent).
            job.rows = ingest(store, job, inp.rows(), inp.number_index, options.get("country"))
            store.update_job(name, rows=job.rows, state="ready")
    else:
        job = Job(
            name=name,
            provider=provider.name,
            kind=options["type"],
            mode=options["mode"],
            options=options,
            input=inp.name,
            input_hash=inp.sha256,
            columns=inp.columns,
            number_column=inp.number_column,
            state="ingesting",
        )
        store.create_job(job)
        if not dry_run and max_cost is None and (yes or not ctx.can_ask()) and fmt is not Format.table:
            # Nothing needs the totals before sending: read the input while the first requests go out.
            reading = Ingestion(store, job, inp.rows(), inp.number_index, options.get("country")).start()
            return _execute(
                ctx, store, job, provider, fmt, concurrency, None, Estimate(), (), lookup_opts, {}, reading=reading
            )
        try:
            rows = ingest(store, job, inp.rows(), inp.number_index, options.get("country"))
        except BaseException:
            store.delete_job(name)  # a half-read input is not a job
            raise
        store.update_job(name, rows=rows, state="ready")
        job.rows = rows
    if not dry_run:
        check_table_size(fmt, job.rows)

    resend = _resend_states(ctx, store, job, provider, resubmit_uncertain)
    states = tuple(SEND_STATES) + resend
    est = estimate(store, job, provider, states)
    counts = store.counts(name)
    if dry_run:
        _dry_run_report(ctx, store, job, provider, est, counts, existing is None)
        return ExitCode.OK
    if max_cost is not None and est.cost > max_cost:
        raise UsageError(f"estimated cost {est.text()} exceeds --max-cost {max_cost:g}; nothing sent")
    if est.unknown and max_cost is not None:
        ctx.notice(f"{est.unknown} numbers have no known price: --max-cost is checked against what is billed")
    question = f"look up {est.to_send} numbers on {provider.name} for about {est.text()}?"
    if est.to_send > CONFIRM_ABOVE and ctx.can_ask() and not _ask(ctx, yes, question):
        raise UsageError("nothing sent")
    return _execute(ctx, store, job, provider, fmt, concurrency, max_cost, est, resend, lookup_opts, counts)


def _check_same(job: Job, provider: str, options: dict[str, Any], inp: Input) -> None:
    if job.provider != provider or job.kind != options["type"] or job.mode != options["mode"]:
        raise UsageError(f"job {job.name} is a {job.provider} {job.kind} {job.mode} job; name a new job with --job")
    if job.input_hash and job.input_hash != inp.sha256:
        raise UsageError(f"job {job.name} was made from different input ({job.input}); name a new job with --job")


def _ask(ctx: Ctx, yes: bool, question: str) -> bool:
    if yes:
        return True
    if not ctx.can_ask():
        return False
    return typer.confirm(question, default=False, err=True)


def _resend_states(ctx: Ctx, store: Store, job: Job, provider: Any, resubmit_uncertain: bool) -> tuple[str, ...]:
    uncertain = store.numbers_in(job.name, ("uncertain",), limit=11)
    if not uncertain:
        return ()
    if provider.name == "affiliate":
        ctx.notice("resending uncertain requests: affiliate references make a repeat free")
        return ("uncertain",)
    if resubmit_uncertain:
        ctx.notice("resending uncertain requests (--resubmit-uncertain): some may be billed twice")
        return ("uncertain",)
    shown = ", ".join(r["number"] for r in uncertain[:10])
    more = " …" if len(uncertain) > 10 else ""
    ctx.warn(
        f"uncertain (sent, no answer; maybe billed): {shown}{more} — not resent; add --resubmit-uncertain "
        "to resend, or wait for their results (`hlrcli jobs show " + job.name + "`)"
    )
    return ()


def _dry_run_report(
    ctx: Ctx, store: Store, job: Job, provider: Any, est: Estimate, counts: dict[str, int], temporary: bool
) -> None:
    chunk = provider.chunk_size if job.mode == "async" else 1
    requests = -(-est.to_send // chunk) if est.to_send else 0
    ctx.emit(
        [
            {
                "job": job.name,
                "provider": provider.name,
                "type": job.kind,
                "mode": job.mode,
                "rows": job.rows,
                "distinct_numbers": sum(counts.values()),
                "invalid_rows": store.invalid_rows(job.name),
                "already_done": counts.get("done", 0) + counts.get("submitted", 0),
                "to_send": est.to_send,
                "chunks": requests if job.mode == "async" else 0,
                "requests": requests,
                "estimated_cost": None if est.unknown == est.to_send and est.to_send else round(est.cost, 4),
                "currency": est.currency,
                "unknown_price_numbers": est.unknown,
                "by_country": [f"{k}: {v}" for k, v in est.by_country.items()],
            }
        ]
    )
    if temporary:
        store.delete_job(job.name)


def _execute(
    ctx: Ctx,
    store: Store,
    job: Job,
    provider: Any,
    fmt: Format,
    concurrency: int,
    max_cost: float | None,
    est: Estimate,
    resend: tuple[str, ...],
    lookup_opts: dict[str, Any],
    before: dict[str, int],
    reading: Ingestion | None = None,
) -> ExitCode:
    from hlrcli.batch.engine import OrderedEmitter, RowShaper, Runner, Tally

    stop = threading.Event()

    mode = "async-receipt" if job.mode == "async" else "sync"
    shaper = RowShaper(job.columns, job.kind, mode, provider.name)
    bar = Bar(ctx, None if reading else est.to_send, f"{provider.name} {job.kind}")
    tally = Tally()
    store.update_job(job.name, state="ingesting" if reading else "running")
    try:
        with open_output(ctx.output, ctx.stdout) as stream:
            out = writer(fmt, stream, columns=shaper.columns)
            emitter = OrderedEmitter(store, job.name, shaper, out.write)
            runner = Runner(
                store,
                job,
                provider,
                concurrency=concurrency,
                max_cost=max_cost,
                unit_price=est.unit,
                resend=resend,
                progress=bar.advance,
                lookup_opts=lookup_opts,
                on_results=emitter.advance,  # rows stream out in input order as soon as they are final
                more_coming=reading.running if reading else (lambda: False),
                stop=stop,
            )
            try:
                with finish_in_flight_on_signal(stop):
                    tally = runner.run_sync() if job.mode == "sync" else runner.run_async()
                if reading:
                    job.rows = reading.finish()
                    store.update_job(job.name, rows=job.rows, state="running")
                    reading = None
            except KeyboardInterrupt:
                if reading:
                    reading.stop()  # the job stays `ingesting`: --resume reads the input again
                else:
                    store.update_job(job.name, state="interrupted")
                bar.stop()
                tally = runner.tally
                _summary(ctx, store, job, tally, before)
                ctx.warn(f"interrupted: resume with `hlrcli batch {_source_hint(job)} --job {job.name} --resume`")
                raise
            bar.stop()
            emitter.flush()
            out.close()
    finally:
        bar.stop()
    counts = store.counts(job.name)
    left = sum(counts.get(s, 0) for s in ("pending", "failed", "uncertain", "sending"))
    store.update_job(job.name, state="done" if not left else "incomplete")
    _summary(ctx, store, job, tally, before)
    if tally.stopped:
        ctx.warn(f"stopped early ({tally.stopped}); continue with `--job {job.name} --resume`")
    if job.mode == "async" and counts.get("submitted"):
        ctx.notice(f"{_where_results(ctx, job)}; then `hlrcli jobs results {job.name} --wait` writes the enriched rows")
    rejected = counts.get("rejected", 0)
    return ExitCode.FAILURE if left or rejected else ExitCode.OK


def _where_results(ctx: Ctx, job: Job) -> str:
    if job.provider == "hlrlookups":
        return "results go to the webhook URL of your hlr-lookups.com account (`hlrcli webhook serve`)"
    if job.provider == "affiliate":
        return f"fetch results with `hlrcli jobs poll {job.name}`, or receive them at the callback URL"
    if job.options.get("notify_url") or ctx.settings.get("SMSPARTNER_NOTIFY_URL"):
        return "SMS Partner will POST results to the notify URL (`hlrcli webhook serve`)"
    return "no notify URL was given, so SMS Partner results will not reach hlrcli (see `hlrcli webhook url`)"


def _source_hint(job: Job) -> str:
    return "-" if job.input == "stdin" else str(Path(job.input or "FILE"))


def _summary(ctx: Ctx, store: Store, job: Job, tally: Tally, before: dict[str, int]) -> None:
    if ctx.quiet:
        return
    counts = store.counts(job.name)
    from_store = before.get("done", 0) + before.get("submitted", 0) + before.get("rejected", 0)
    failed = counts.get("failed", 0) + counts.get("rejected", 0)
    ctx.notice(
        f"{job.rows} rows, {sum(counts.values())} distinct, {tally.sent} sent, {from_store} from the store, "
        f"{store.invalid_rows(job.name)} invalid, {failed} failed, {counts.get('uncertain', 0)} uncertain, "
        f"{counts.get('pending', 0)} not sent, cost {tally.cost:.4f} EUR "
        f"({store.cost(job.name):.4f} EUR for the whole job {job.name})"
    )
