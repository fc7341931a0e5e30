"""`hlrcli config`: show the effective settings and where each comes from; set or unset file values."""

from __future__ import annotations

from typing import Annotated

import typer

from hlrcli.cli.common import Ctx, command
from hlrcli.config import config_path, write_setting

app = typer.Typer(help="Show or change settings (flag > environment > .env > config file > default).")


@command(app, "show")
def show(ctx: Ctx) -> None:
    """Every setting with its value (secrets masked) and its source."""
    ctx.emit(ctx.settings.rows())


@command(app, "path")
def path(ctx: Ctx) -> None:
    """Where the config file is (HLRCLI_CONFIG overrides)."""
    print(config_path(), file=ctx.stdout)


@command(app, "set")
def set_(
    ctx: Ctx,
    name: Annotated[str, typer.Argument(help="setting name, e.g. HLR_LOOKUPS_API_KEY", show_default=False)],
    value: Annotated[str, typer.Argument(help="value", show_default=False)],
) -> None:
    """Store a setting in the config file (created with mode 600: it may hold secrets)."""
    written = write_setting(name, value)
    ctx.notice(f"{name.upper()} saved in {written}")


@command(app, "unset")
def unset(ctx: Ctx, name: Annotated[str, typer.Argument(help="setting name", show_default=False)]) -> None:
    """Remove a setting from the config file."""
    written = write_setting(name, None)
    ctx.notice(f"{name.upper()} removed from {written}")
