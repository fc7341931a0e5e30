"""`hlrcli config`: show the effective settings and where each comes from; set or unset file values."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hlrcli.cli.common import Ctx, command
from hlrcli.config import SPEC_BY_NAME, config_path, write_setting
from hlrcli.errors import UsageError

app = typer.Typer(help="Show or change settings (flag > environment > .env > config file > default).")


@command(app, "show", uses=("provider", "data"))
def show(ctx: Ctx) -> None:
    """Every setting with its value (secrets show at most their last 4 characters) and its source (-p shows
    as a flag)."""
    ctx.emit(ctx.settings.rows())


@command(app, "path", uses=())
def path(ctx: Ctx) -> None:
    """Where the config file is (HLRCLI_CONFIG overrides)."""
    print(config_path(), file=ctx.stdout)


@command(app, "set", uses=())
def set_(
    ctx: Ctx,
    name: Annotated[str, typer.Argument(help="setting name, e.g. HLR_LOOKUPS_API_KEY", show_default=False,
                                        metavar="NAME")],
    value: Annotated[
        str | None,
        typer.Argument(help="value; - reads it from stdin; none asks for it without echo (keeps secrets out of "
                       "shell history and `ps`)", show_default=False, metavar="VALUE"),
    ] = None,
) -> None:  # fmt: skip
    """Store a setting in the config file (created with mode 600: it may hold secrets); the value is checked."""
    key = name.upper()
    if value == "-":
        value = sys.stdin.readline().rstrip("\r\n")
    elif value is None:
        if not sys.stdin.isatty():
            value = sys.stdin.readline().rstrip("\r\n")
        else:
            import getpass

            value = getpass.getpass(f"{key}: ")
    if not value:
        raise UsageError(f"no value given for {key}; `hlrcli config unset {key}` removes a setting")
    written = write_setting(key, value)
    shown = "(hidden)" if key in SPEC_BY_NAME and SPEC_BY_NAME[key].secret else ""
    ctx.notice(f"{key} saved in {written} {shown}".rstrip())


@command(app, "unset", uses=())
def unset(
    ctx: Ctx, name: Annotated[str, typer.Argument(help="setting name", show_default=False, metavar="NAME")]
) -> None:
    """Remove a setting from the config file."""
    written = write_setting(name, None)
    ctx.notice(f"{name.upper()} removed from {written}")
