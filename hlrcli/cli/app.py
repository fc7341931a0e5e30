"""The hlrcli application: command groups assembled here, and the console-script entry point."""

from __future__ import annotations

import sys

from hlrcli import __version__


def build():  # -> typer.Typer (typer is imported here so `--version` never pays for it)
    import typer

    from hlrcli.cli import account, batch, config_cmd, jobs, lookups, webhook

    app = typer.Typer(
        name="hlrcli",
        help="Check phone numbers against mobile networks: HLR, MNP and NT lookups, one number or millions.",
        no_args_is_help=True,
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
    ) -> None:
        """Check phone numbers against mobile networks: HLR, MNP and NT lookups, one number or millions."""

    for group in (lookups, batch, account):
        app.registered_commands.extend(group.app.registered_commands)
    app.add_typer(jobs.app, name="jobs")
    app.add_typer(webhook.app, name="webhook")
    app.add_typer(config_cmd.app, name="config")
    return app


def main() -> None:
    # The fast path: packaging scripts and shells ask for the version often; skip importing the world.
    if sys.argv[1:] in (["--version"], ["-V"]):
        print(f"hlrcli {__version__}")
        return
    build()(prog_name="hlrcli")
