"""The hlrcli application: command groups assembled here, and the console-script entry point."""

from __future__ import annotations

import contextlib
import signal
import sys
from typing import Any

from hlrcli import __version__


def build() -> Any:  # -> typer.Typer (typer is imported here so `--version` never pays for it)
    import typer

    from hlrcli.cli import account, batch, completion, config_cmd, jobs, lookups, report, webhook
    from hlrcli.cli.common import Group

    app = typer.Typer(
        name="hlrcli",
        cls=Group,
        help="Check phone numbers against mobile networks: HLR, MNP and NT lookups, one number or millions.",
        no_args_is_help=True,
        add_completion=False,  # static scripts instead (`hlrcli completion SHELL`): no Python runs on TAB
        pretty_exceptions_enable=False,  # our own handler prints one line; rich tracebacks could show secrets
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def version(value: bool) -> None:
        if value:
            print(f"hlrcli {__version__}")
            raise typer.Exit()

    @app.callback()
    def main_options(
        show_version: bool = typer.Option(
            False, "--version", "-V", help="print the version and exit", callback=version, is_eager=True
        ),
        verbose: bool = typer.Option(False, "-v", "--verbose", help="trace HTTP requests on stderr (secrets redacted)"),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="no notices or progress on stderr, only errors"),
    ) -> None:
        """Check phone numbers against mobile networks: HLR, MNP and NT lookups, one number or millions."""
        from hlrcli.cli.common import ROOT_FLAGS

        ROOT_FLAGS.clear()
        ROOT_FLAGS.update(verbose=verbose, quiet=quiet)  # read by every command: -v/-q work before it too

    for group in (lookups, batch, report, account, completion):
        app.registered_commands.extend(group.app.registered_commands)
    app.add_typer(jobs.app, name="jobs")
    app.add_typer(webhook.app, name="webhook")
    app.add_typer(config_cmd.app, name="config")
    return app


def _sane_streams() -> None:
    """A locale that cannot encode "…" or "é" must not crash a command: escape what it cannot show."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # cron and systemd stop with SIGTERM: clean up as on Ctrl-C


def main() -> None:
    # The fast path: packaging scripts and shells ask for the version often; skip importing the world.
    if sys.argv[1:] in (["--version"], ["-V"]):
        print(f"hlrcli {__version__}")
        return
    _sane_streams()
    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGTERM, _terminate)
    build()(prog_name="hlrcli")
