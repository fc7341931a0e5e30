"""`hlrcli completion SHELL`: the static completion script for bash, zsh or fish, shipped in the package."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from hlrcli.cli.common import Ctx, command

app = typer.Typer()
FILES = {"bash": "hlrcli.bash", "zsh": "_hlrcli", "fish": "hlrcli.fish"}


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


@command(app, "completion", uses=())
def completion(
    ctx: Ctx, shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish", show_default=False, metavar="SHELL")]
) -> None:
    """Print the static completion script for SHELL (no interpreter starts on TAB; install lines in the README)."""
    from importlib.resources import files

    text = files("hlrcli.completions").joinpath(FILES[shell.value]).read_text(encoding="utf-8")
    print(text, end="", file=ctx.stdout)
