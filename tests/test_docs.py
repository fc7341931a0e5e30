"""The README documents what the CLI has: every command, its two set-up commands, and help on every command."""

from __future__ import annotations

import re
from collections.abc import Iterator

import typer

from hlrcli.cli.app import build
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands() -> Iterator[tuple[str, object]]:
    def walk(cmd: object, path: str) -> Iterator[tuple[str, object]]:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in sorted(subs.items()):
                if not getattr(sub, "hidden", False):  # `jobs names` serves shell completion only
                    yield from walk(sub, f"{path} {name}".strip())
        else:
            yield path, cmd

    yield from walk(typer.main.get_command(build()), "")


def test_every_command_is_in_the_readme():
    missing = [path for path, _ in commands() if f"hlrcli {path}" not in README]
    assert not missing, f"commands not documented in README.md: {missing}"


def test_every_command_has_help():
    bare = [path for path, cmd in commands() if not (getattr(cmd, "help", None) or "").strip()]
    assert not bare


def test_readme_has_the_two_setup_commands():
    assert re.search(r"pip install \. && hlrcli \w+", README), "the install-and-run command"
    assert "pip install -e '.[test]' && pytest" in README, "the test command"


def test_readme_lists_every_exit_code_and_setting():
    from hlrcli.config import SPECS
    from hlrcli.errors import ExitCode

    for code in ExitCode:
        assert f"| {int(code)} |" in README
    for spec in SPECS:
        assert spec.name in README, spec.name
