"""What every command shares: the options (declared once, taken by the commands that use them), the run
context, and the one place where an expected failure becomes one line on stderr and an exit code.

`command()` registers a function with the option groups it names appended, builds a `Ctx` from them, and turns
failures into `hlrcli: error: …` and the exit code (a traceback only under --verbose). `-v`/`-q` work before or
after the subcommand.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar, get_args

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from hlrcli.config import Settings
from hlrcli.errors import ExitCode, HlrcliError, NetworkError, ProviderError, UsageError
from hlrcli.output import Format, Style, check_not_terminal, format_for, isatty, open_output, render
from hlrcli.redact import redact, register

T = TypeVar("T")


def _complete_provider(incomplete: str) -> list[str]:
    from hlrcli.config import PROVIDER_NAMES  # no provider import for a TAB

    return [p for p in PROVIDER_NAMES if p.startswith(incomplete)]


def _positive(value: float | None) -> float | None:
    import math

    if value is not None and (not math.isfinite(value) or value <= 0):
        raise typer.BadParameter("must be a positive number")
    return value


ProviderOpt = Annotated[
    str | None,
    typer.Option(
        "-p",
        "--provider",
        help="hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured "
        "that can do it]",
        autocompletion=_complete_provider,
        show_default=False,
        metavar="PROVIDER",
    ),
]


def _format(value: str | None) -> Format | None:
    if value is None:
        return None
    try:
        return Format(value.lower())
    except ValueError:
        raise UsageError(f"-f/--format: {value!r} is not a format; use {', '.join(f.value for f in Format)}") from None


def _complete_format(incomplete: str) -> list[str]:
    return [f.value for f in Format if f.value.startswith(incomplete)]


FormatOpt = Annotated[
    str | None,
    typer.Option(
        "-f",
        "--format",
        help="table, csv, json, ndjson or xlsx [default: the -o file's extension, else table on a terminal, else "
        "csv; HLRCLI_FORMAT]",
        show_default=False,
        metavar="FORMAT",
        autocompletion=_complete_format,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="write to FILE (atomically) instead of stdout", show_default=False,
                 metavar="FILE"),
]  # fmt: skip
ColumnsOpt = Annotated[
    str | None,
    typer.Option("--columns", help="only these fields, in this order (comma-separated), in any format",
                 show_default=False, metavar="A,B,C"),
]  # fmt: skip
NoHeaderOpt = Annotated[bool, typer.Option("--no-header", help="CSV without its header line")]
RawOpt = Annotated[bool, typer.Option("--raw", help="CSV: do not defuse cells a spreadsheet would run as formulas")]
VerboseOpt = Annotated[bool, typer.Option("-v", "--verbose", help="trace HTTP requests on stderr (secrets redacted)")]
QuietOpt = Annotated[bool, typer.Option("-q", "--quiet", help="no notices or progress on stderr, only errors")]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", help="connect/read timeout in seconds [default: 30]", show_default=False,
                 callback=_positive, metavar="SECONDS"),
]  # fmt: skip
RetriesOpt = Annotated[
    int | None,
    typer.Option("--retries", help="attempts for 5xx and refused connections [default: 5]", show_default=False,
                 min=1, max=20),
]  # fmt: skip
CountryOpt = Annotated[
    str | None,
    typer.Option("-c", "--country", help="country (ISO code, e.g. DE) for numbers written in national format",
                 metavar="CC"),
]  # fmt: skip

# Option groups a command takes (`uses=`); -v and -q are always there.
GROUPS: dict[str, tuple[tuple[str, Any], ...]] = {
    "provider": (("provider", ProviderOpt),),
    "data": (("fmt", FormatOpt), ("output", OutputOpt), ("columns", ColumnsOpt), ("no_header", NoHeaderOpt),
             ("raw", RawOpt)),
    "http": (("timeout", TimeoutOpt), ("retries", RetriesOpt)),
}  # fmt: skip
ALWAYS = (("verbose", VerboseOpt), ("quiet", QuietOpt))
DEFAULTS: dict[str, Any] = {"verbose": False, "quiet": False, "no_header": False, "raw": False}


class Bar:
    """A progress bar on stderr when it is a terminal (and not --quiet); otherwise nothing at all."""

    def __init__(self, ctx: Ctx, total: int | None, label: str) -> None:
        self.cost = 0.0
        self.progress: Any = None
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
            self.progress = None


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
    columns: tuple[str, ...] | None = None
    no_header: bool = False
    raw: bool = False
    give_up_after: float | None = None  # batch --give-up-after
    stdout: TextIO | None = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    _providers: dict[str, Any] = field(default_factory=dict)
    _chosen: dict[str, str] = field(default_factory=dict)

    # stderr: everything that is not data (the service's Ui).
    def notice(self, message: str) -> None:
        if not self.quiet:
            self._say(message)

    def warn(self, message: str) -> None:
        self._say(message)

    def trace(self, message: str) -> None:
        if self.verbose:
            self._say(f"[trace] {message}")

    def _say(self, message: str) -> None:
        for line in redact(message).splitlines() or [""]:
            print(f"hlrcli: {line}", file=self.stderr, flush=True)

    @property
    def stderr_is_tty(self) -> bool:
        return isatty(self.stderr)

    def can_ask(self) -> bool:
        return isatty(sys.stdin) and isatty(self.stderr)

    def confirm(self, question: str) -> bool:
        """y/N on the terminal. Ctrl-D answers no; Ctrl-C stops (exit 130), one line either way."""
        print(f"hlrcli: {question} [y/N] ", end="", file=self.stderr, flush=True)
        try:
            answer = sys.stdin.readline()
        except KeyboardInterrupt:
            print(file=self.stderr)
            raise
        if not answer:  # Ctrl-D
            print(file=self.stderr)
            return False
        return answer.strip().lower() in ("y", "yes")

    def progress(self, total: int | None, label: str) -> Bar:
        return Bar(self, total, label)

    # Output.
    @property
    def fmt(self) -> Format:
        fmt = self._fmt()
        check_not_terminal(fmt, self.output, self.stdout)
        return fmt

    def _fmt(self) -> Format:
        if self.fmt_flag:
            return self.fmt_flag
        named = format_for(self.output)
        if named:
            return named
        configured = self.settings.get("HLRCLI_FORMAT")
        if configured:
            return Format(configured)
        return Format.table if isatty(self.stdout) else Format.csv

    def style(self) -> Style:
        from hlrcli.output import delimiter_for

        return Style(
            columns=self.columns, header=not self.no_header, raw=self.raw, delimiter=delimiter_for(self.output, ",")
        )

    def check_columns(self, record_type: type) -> None:
        """The output a paid command will print (format, --columns against the fields): refused before the
        request, not after paying for an answer that cannot be shown."""
        self.fmt  # noqa: B018 - raises for a format that cannot go where it is asked to
        if self.columns:
            from dataclasses import fields

            from hlrcli.batch.service import check_columns

            check_columns(self.style(), [f.name for f in fields(record_type)])

    def emit(
        self,
        records: Iterable[Any],
        columns: Sequence[str] | None = None,
        summary: Sequence[str] | None = None,
    ) -> int:
        """Data to stdout or -o FILE; `summary` narrows what a terminal table shows (other formats get all)."""
        fmt = self.fmt
        with open_output(self.output, self.stdout, binary=fmt is Format.xlsx) as stream:
            return render(records, fmt, stream, columns, summary, style=self.style())

    # Providers (the service's ProviderFactory).
    def runtime(self, concurrency: int = 4, per_minute: float | None = None) -> Any:
        from hlrcli.providers.base import Runtime

        return Runtime(
            timeout=self.timeout or self.settings.get_float("HLRCLI_TIMEOUT"),
            attempts=self.retries or int(self.settings.get_float("HLRCLI_RETRIES")),
            give_up_after=self.give_up_after or self.settings.get_duration("HLRCLI_GIVE_UP_AFTER") or 900.0,
            pool_size=max(16, concurrency),
            per_minute=per_minute,
            trace=self.trace,
            notice=self.notice,
        )

    def provider_name(self, command: str) -> str:
        if command not in self._chosen:
            from hlrcli import providers

            self._chosen[command] = providers.choose(command, self.provider_flag, self.settings, self.notice)
        return self._chosen[command]

    def provider(
        self, command: str, *, name: str | None = None, concurrency: int = 4, per_minute: float | None = None
    ) -> Any:
        """The provider for `command` (or `name`, e.g. a job's own), after checking it can do it."""
        from hlrcli import providers

        name = name or self.provider_name(command)
        providers.require(name, command)
        if name not in self._providers:
            self._providers[name] = providers.make(name, self.settings, self.runtime(concurrency, per_minute))
        return self._providers[name]

    def jobs(self) -> Any:
        from hlrcli.batch.service import Jobs

        return Jobs(self.settings, self, self.provider)

    def close(self) -> None:
        for p in self._providers.values():
            p.close()
        self._providers.clear()


def _split_columns(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(c.strip() for c in text.split(",") if c.strip())
    if not names:
        raise UsageError("--columns takes field names separated by commas, e.g. --columns msisdn,connectivity_status")
    return names


def make_ctx(**options: Any) -> Ctx:
    flags = {"HLRCLI_PROVIDER": options.get("provider")}
    settings = Settings.load(flags)
    register(settings.secrets())
    return Ctx(
        settings=settings,
        provider_flag=options.get("provider"),
        fmt_flag=_format(options.get("fmt")),
        output=options.get("output"),
        verbose=bool(options.get("verbose")),
        quiet=bool(options.get("quiet")),
        timeout=options.get("timeout"),
        retries=options.get("retries"),
        columns=_split_columns(options.get("columns")),
        no_header=bool(options.get("no_header")),
        raw=bool(options.get("raw")),
    )


def fail(verbose: bool, exc: BaseException, code: int) -> typer.Exit:
    if verbose:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        print(redact(text), file=sys.stderr, end="")
    return typer.Exit(code)


def _no_type(ctx: Any) -> None:
    return None


class Command(TyperCommand):
    """A command whose help speaks one vocabulary: an argument's placeholder as written (`NUMBER...`), without
    typer's `<list[str]>` type label or the `{…}` it puts around a required one in the usage line; an option
    without its own placeholder shows its choices (`hlr|mnp|nt`), `N` for a number, else its name (`ENCODING`)."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            if isinstance(param, TyperArgument) and param.metavar:
                shown = param.metavar if param.metavar.endswith("...") or param.nargs == 1 else f"{param.metavar}..."
                param.display_type_rich = _no_type  # type: ignore[method-assign]
                param._usage_display_name = functools.partial(str, shown)  # type: ignore[method-assign]
            elif isinstance(param, TyperOption) and param.metavar is None and not param.is_flag:
                param.metavar = _placeholder(param)
        return params


def _placeholder(option: TyperOption) -> str:
    desc = option.type_descriptor
    if desc.is_choice and desc.choices:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices)
    inner = get_args(desc.annotation)
    if desc.is_ranged or desc.annotation in (int, float) or set(inner) & {int, float}:
        return "N"
    return (option.name or "value").upper().replace("_", "-")


# Click's wording of a bad option value, in ours.
_PLAIN = (
    (re.compile(r"Value error, "), ""),
    (re.compile(r"Input should be less than or equal to (\S+)"), r"must be \1 or less"),
    (re.compile(r"Input should be greater than or equal to (\S+)"), r"must be \1 or more"),
    (re.compile(r"Input should be a valid integer.*"), "must be a whole number"),
    (re.compile(r"Input should be a valid number.*"), "must be a number"),
    (re.compile(r"Input should be (.*)"), r"must be \1"),
)


def usage_line(exc: Any) -> str:
    """A usage error as one line: what is wrong, and where help is."""
    message = exc.format_message()
    for pattern, plain in _PLAIN:
        message = pattern.sub(plain, message)
    where = getattr(getattr(exc, "ctx", None), "command_path", None) or "hlrcli"
    return f"hlrcli: error: {message} (see `{where} -h`)"


class Group(TyperGroup):
    """The application: a usage error is one line on stderr and exit 2, like every other bad input."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        def run() -> Any:
            return super(Group, self).main(args, prog_name, complete_var, False, windows_expand_args, **extra)

        if not standalone_mode:
            return run()
        try:
            rv = run()
        except typer.TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()  # type: ignore[attr-defined]  # `hlrcli` alone: the help
            else:
                print(usage_line(exc), file=sys.stderr, flush=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            print("hlrcli: aborted", file=sys.stderr, flush=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


ROOT_FLAGS: dict[str, bool] = {}  # -v/-q given before the subcommand (`hlrcli -v lookup …`), set by the app


def _root_flags() -> dict[str, bool]:
    return ROOT_FLAGS


def command(
    app: typer.Typer, name: str | None = None, *, uses: Sequence[str] = ("provider", "data", "http"), **kw: Any
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Register `fn(ctx, ...)` as a command taking the option groups in `uses` (and -v/-q)."""

    def deco(fn: Callable[..., T]) -> Callable[..., T]:
        sig = inspect.signature(fn, eval_str=True)
        own = [p for p in sig.parameters.values() if p.name != "ctx"]
        taken = {p.name for p in own}
        # A command may give a shared option's name its own meaning (`jobs results --timeout` is a wait).
        shared = [(n, a) for group in uses for n, a in GROUPS[group] if n not in taken] + [
            (n, a) for n, a in ALWAYS if n not in taken
        ]
        extra = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=DEFAULTS.get(n), annotation=a)
            for n, a in shared
        ]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            options = {n: kwargs.pop(n, None) for n, _ in shared}
            root = _root_flags()
            options["verbose"] = bool(options.get("verbose") or root.get("verbose"))
            options["quiet"] = bool(options.get("quiet") or root.get("quiet"))
            verbose = options["verbose"]
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
                raise fail(verbose, exc, int(ExitCode.INTERRUPTED)) from None
            except BrokenPipeError:
                # The reader went away (`| head`): not an error worth a line.
                from hlrcli.output import silence_stdout

                silence_stdout()
                raise typer.Exit(0) from None
            except Exception as exc:
                print(
                    f"hlrcli: internal error: {type(exc).__name__}: {redact(str(exc))} (rerun with --verbose)",
                    file=sys.stderr,
                    flush=True,
                )
                raise fail(verbose, exc, int(ExitCode.FAILURE)) from None

        wrapper.__signature__ = sig.replace(parameters=own + extra)  # type: ignore[attr-defined]
        app.command(name, cls=Command, **kw)(wrapper)
        return fn

    return deco


# Numbers ------------------------------------------------------------------------------------------------------
def read_numbers(raw: Sequence[str], what: str = "numbers") -> list[str]:
    """The NUMBER (or ID) arguments, where `-` means: one per line from stdin."""
    if "-" not in raw:
        return list(raw)
    if isatty(sys.stdin):
        print(f"hlrcli: reading {what} from stdin, one per line (Ctrl-D to finish)", file=sys.stderr, flush=True)
    out: list[str] = []
    for item in raw:
        if item == "-":
            out += [line.strip() for line in sys.stdin if line.strip()]
        else:
            out.append(item)
    if not out:
        raise UsageError(f"no {what.rstrip('s')} given on stdin")
    return out


def parse_numbers(ctx: Ctx, raw: Sequence[str], country: str | None, *, strict: bool) -> list[Any]:
    """Normalise every number; with `strict` (paid lookups) report each unusable one on stderr first."""
    from hlrcli.numbers import check_country, normalise

    country = check_country(country)
    numbers = [normalise(r, country) for r in read_numbers(raw)]
    if strict:
        for n in numbers:
            if n.error:
                ctx.warn(f"{n.raw!r}: {n.error} (not sent)")
    return numbers


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
