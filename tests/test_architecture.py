"""ARCHITECTURE.md stays true: every module it names exists, and the layers import only downward."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "hlrcli"

# Top to bottom, as the page draws them; a module may import from its own layer or any layer below.
LAYERS = [
    ["cli"],
    ["api"],
    ["webhook"],
    ["batch"],
    ["providers"],
    ["store", "http", "output"],
    ["payloads", "numbers"],
    ["config", "token", "models", "errors", "redact"],
]


def _named_paths() -> set[str]:
    """Every `hlrcli/...py` path and every bare `name.py` under a folder line of the layer diagram."""
    block = TEXT.split("```", 2)[1]
    paths: set[str] = set()
    folder = ""
    for line in block.splitlines():
        m = re.match(r"(hlrcli/[\w/]*?)(\w+\.py)?\s", line + " ")
        if m:
            folder = m.group(1) if m.group(1).endswith("/") else ""
            if m.group(2):
                paths.add(m.group(1) + m.group(2))
        for name in re.findall(r"\b(\w+\.py)\b", line):
            if not line.startswith("hlrcli/" + name):
                paths.add((folder or "hlrcli/") + name)
    return paths


def test_every_module_the_page_names_exists() -> None:
    named = _named_paths()
    assert len(named) > 25  # the diagram was read
    missing = sorted(p for p in named if not (ROOT / p).is_file())
    assert not missing, f"ARCHITECTURE.md names modules that do not exist: {missing}"
    for path in re.findall(r"`((?:batch|cli|providers|output)/\w+\.py)`", TEXT):
        assert (PACKAGE / path).is_file(), path


def _layer(module: str) -> int:
    first = module.split(".")[1] if module.count(".") else ""
    for i, names in enumerate(LAYERS):
        if first in names:
            return i
    raise AssertionError(f"{module} is in no layer of ARCHITECTURE.md")


def test_layers_import_only_downward() -> None:
    upward = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        module = ".".join(rel.parts)
        if module in ("hlrcli.__init__", "hlrcli.__main__") or module.startswith("hlrcli.completions"):
            continue
        own = _layer(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hlrcli."):
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("hlrcli.")]
            for target in targets:
                if _layer(target) < own:
                    upward.append(f"{module} imports {target}")
    assert not upward, upward


def test_the_cli_never_touches_the_store_or_the_engine() -> None:
    offenders = []
    for path in (PACKAGE / "cli").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for forbidden in ("hlrcli.store", "hlrcli.batch.engine", "hlrcli.batch.plan"):
            if forbidden in source:
                offenders.append(f"{path.name}: {forbidden}")
    assert not offenders, offenders


def test_no_provider_name_is_compared_outside_providers() -> None:
    names = ("hlrlookups", "smspartner", "affiliate", "offline")
    pattern = re.compile(
        r"""(==|!=|\bin\b)\s*\(?\s*["']({})["']|["']({})["']\s*(==|!=)""".format("|".join(names), "|".join(names))
    )
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "providers" in path.parts or "completions" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, offenders
