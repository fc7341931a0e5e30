"""What every command shares: the common options (declared once), the run context, and error handling.

`command()` registers a function with the common options appended, builds a `Ctx` from them, and turns
expected failures into one line on stderr and an exit code (a traceback only under --verbose).
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar

import typer

from hlrcli.config import Settings
from hlrcli.errors import (
    ExitCode,
    HlrcliError,
    NetworkError,
    ProviderError,
    UsageError,
)
from hlrcli.output import Format, open_output, render
from hlrcli.redact import redact, register

T = TypeVar("T")


def _complete_provider(incomplete: str) -> list[str]:
    from hlrcli.providers import NAMES  # imported when completing, not for every command's start-up

    return [p for p in NAMES if p.startswith(incomplete)]


ProviderOpt = Annotated[
    str | None,
    typer.Option(
        "-p",
        "--provider",
        help="hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured]",
        autocompletion=_complete_provider,
        show_default=False,
    ),
]
FormatOpt = Annotated[
    Format | None,
    typer.Option("-f", "--format", help="[default: table on a terminal, else csv; HLRCLI_FORMAT]", show_default=False),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="write to FILE (atomically) instead of stdout", show_default=False),
]
VerboseOpt = Annotated[bool, typer.Option("-v", "--verbose", help="trace HTTP requests on stderr (secrets redacted)")]
QuietOpt = Annotated[bool, typer.Option("-q", "--quiet", help="no notices or progress on stderr, only errors")]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", help="connect/read timeout in seconds [default: 30]", show_default=False),
]
RetriesOpt = Annotated[
    int | None,
    typer.Option("--retries", help="attempts for 429/5xx/refused connections [default: 5]", show_default=False),
]
CountryOpt = Annotated[
    str | None,
    typer.Option("-c", "--country", help="country (ISO code, e.g. DE) for numbers written in national format"),
]

_COMMON = (
    ("provider", ProviderOpt),
    ("fmt", FormatOpt),
    ("output", OutputOpt),
    ("verbose", VerboseOpt),
    ("quiet", QuietOpt),
    ("timeout", TimeoutOpt),
    ("retries", RetriesOpt),
)
_COMMON_DEFAULTS: dict[str, Any] = {"verbose": False, "quiet": False}


@dataclass
class Ctx:
    """One invocation: settings, chosen format and destination, stderr channels. Tests build their own."""

    settings: Settings
    provider_flag: str | None = None
    fmt_flag: Format | None = None
    output: Path | None = None
    verbose: bool = False
    quiet: bool = False
    timeout: float | None = None
    retries: int | None = None
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    _providers: dict[str, Any] = field(default_factory=dict)
    _chosen: str | None = None

    # stderr: everything that is not data.
    def notice(self, message: str) -> None:
        if not self.quiet:
            print(f"hlrcli: {redact(message)}", file=self.stderr, flush=True)

    def warn(self, message: str) -> None:
        print(f"hlrcli: {redact(message)}", file=self.stderr, flush=True)

    def trace(self, message: str) -> None:
        if self.verbose:
            print(f"hlrcli: [trace] {redact(message)}", file=self.stderr, flush=True)

    @property
    def stderr_is_tty(self) -> bool:
        return _isatty(self.stderr)

    # Output.
    @property
    def fmt(self) -> Format:
        if self.fmt_flag:
            return self.fmt_flag
        configured = self.settings.get("HLRCLI_FORMAT")
        if configured:
            try:
                return Format(configured.lower())
            except ValueError:
                raise UsageError(f"HLRCLI_FORMAT must be one of {', '.join(f.value for f in Format)}") from None
        if self.output is not None:
            suffix = self.output.suffix.lower().lstrip(".")
            return {"json": Format.json, "ndjson": Format.ndjson, "jsonl": Format.ndjson}.get(suffix, Format.csv)
        return Format.table if _isatty(self.stdout) else Format.csv

    def emit(
        self,
        records: Iterable[Any],
        columns: Sequence[str] | None = None,
        summary: Sequence[str] | None = None,
    ) -> int:
        """Data to stdout or -o FILE; `summary` narrows what a terminal table shows (other formats get all)."""
        with open_output(self.output, self.stdout) as stream:
            return render(records, self.fmt, stream, columns, summary)

    # Providers.
    def runtime(self, concurrency: int = 4, per_minute: float | None = None) -> Any:
        from hlrcli.providers.base import Runtime

        return Runtime(
            timeout=self.timeout or self.settings.get_float("HLRCLI_TIMEOUT"),
            attempts=self.retries or int(self.settings.get_float("HLRCLI_RETRIES")),
            pool_size=max(16, concurrency),
            per_minute=per_minute,
            trace=self.trace,
            notice=self.notice,
        )

    def provider_name(self) -> str:
        if self._chosen is None:
            from hlrcli import providers

            self._chosen = providers.choose(self.provider_flag, self.settings, self.notice)
        return self._chosen

    def provider(
        self, command: str, concurrency: int = 4, per_minute: float | None = None, name: str | None = None
    ) -> Any:
        """The chosen provider (or `name`, e.g. a job's own), after checking it can do `command`."""
        from hlrcli import providers

        name = name or self.provider_name()
        providers.require(name, command)
        if name not in self._providers:
            self._providers[name] = providers.make(name, self.settings, self.runtime(concurrency, per_minute))
        return self._providers[name]

    def data_format(self, default: Format) -> Format:
        """Like `fmt`, but with a default of our choosing when neither flag, setting nor file name decides."""
        if self.fmt_flag or self.settings.get("HLRCLI_FORMAT") or self.output is not None:
            return self.fmt
        return default

    def can_ask(self) -> bool:
        return _isatty(sys.stdin) and _isatty(self.stderr)

    def close(self) -> None:
        for p in self._providers.values():
            p.close()
        self._providers.clear()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def make_ctx(**common: Any) -> Ctx:
    flags = {"HLRCLI_PROVIDER": common.get("provider")}
    settings = Settings.load(flags)
    register(settings.secrets())
    return Ctx(
        settings=settings,
        provider_flag=common.get("provider"),
        fmt_flag=common.get("fmt"),
        output=common.get("output"),
        verbose=bool(common.get("verbose")),
        quiet=bool(common.get("quiet")),
        timeout=common.get("timeout"),
        retries=common.get("retries"),
    )


def fail(ctx_verbose: bool, exc: BaseException, code: int) -> typer.Exit:
    if ctx_verbose:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        print(redact(text), file=sys.stderr, end="")
    return typer.Exit(code)


def command(app: typer.Typer, name: str | None = None, **kw: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Register `fn(ctx, ...)` as a command taking the common options."""

    def deco(fn: Callable[..., T]) -> Callable[..., T]:
        sig = inspect.signature(fn, eval_str=True)
        own = [p for p in sig.parameters.values() if p.name != "ctx"]
        # A command may give a common option's name its own meaning (`jobs results --timeout` is a wait).
        shared = [(n, a) for n, a in _COMMON if n not in {p.name for p in own}]
        common = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=_COMMON_DEFAULTS.get(n), annotation=a)
            for n, a in shared
        ]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            options = {n: kwargs.pop(n, None) for n, _ in shared}
            verbose = bool(options.get("verbose"))
            try:
                ctx = make_ctx(**options)
                try:
                    return fn(ctx, *args, **kwargs)
                finally:
                    ctx.close()
            except typer.Exit:
                raise
            except HlrcliError as exc:
                print(f"hlrcli: error: {redact(str(exc))}", file=sys.stderr, flush=True)
                raise fail(verbose, exc, int(exc.exit_code)) from None
            except KeyboardInterrupt as exc:
                print("hlrcli: interrupted", file=sys.stderr, flush=True)
                raise fail(verbose, exc, 130) from None
            except BrokenPipeError:
                # The reader went away (`| head`): not an error worth a line.
                _silence_stdout()
                raise typer.Exit(0) from None
            except Exception as exc:
                print(
                    f"hlrcli: internal error: {type(exc).__name__}: {redact(str(exc))} (rerun with --verbose)",
                    file=sys.stderr,
                    flush=True,
                )
                raise fail(verbose, exc, int(ExitCode.FAILURE)) from None

        wrapper.__signature__ = sig.replace(parameters=own + common)  # type: ignore[attr-defined]
        app.command(name, **kw)(wrapper)
        return fn

    return deco


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# Numbers ------------------------------------------------------------------------------------------------------
def parse_numbers(ctx: Ctx, raw: Sequence[str], country: str | None, *, strict: bool) -> list[Any]:
    """Normalise every number; with `strict` (paid lookups) report each unusable one on stderr first."""
    from hlrcli.numbers import check_country, normalise

    country = check_country(country)
    numbers = [normalise(r, country) for r in raw]
    if strict:
        for n in numbers:
            if n.error:
                ctx.warn(f"{n.raw!r}: {n.error} (not sent)")
    return numbers


def only_for(current: str, owner: str, **given: Any) -> None:
    """Refuse provider-specific options (e.g. --tag) on another provider: silently ignoring them would mislead."""
    used = [f"--{k.replace('_', '-')}" for k, v in given.items() if v is not None]
    if used and current != owner:
        raise UsageError(f"{', '.join(used)} only applies to -p {owner} (the provider here is {current})")


def run_pool(
    items: Sequence[Any], call: Callable[[Any], T], failed_row: Callable[[Any, str], T], workers: int = 4
) -> tuple[list[T], ExitCode]:
    """Run `call` on every item in a small thread pool; results in input order, provider failures as rows.

    Authentication and configuration errors stop everything: every other item would fail the same way.
    """

    def one(item: Any) -> tuple[T, ExitCode]:
        try:
            return call(item), ExitCode.OK
        except (ProviderError, NetworkError) as exc:
            return failed_row(item, str(exc)), ExitCode.FAILURE

    if len(items) <= 1:
        pairs = [one(i) for i in items]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
            pairs = list(pool.map(one, items))
    return [row for row, _ in pairs], max((code for _, code in pairs), default=ExitCode.OK)


def finish(code: ExitCode) -> None:
    if code != ExitCode.OK:
        raise typer.Exit(int(code))
