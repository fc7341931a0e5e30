"""The generated shell completions: current with the app, and working in real shells.

bash is required (CI has it); zsh and fish are checked when installed and skipped otherwise. The shells run
with a PATH that holds neither Python nor hlrcli, so a script that called back into Python would fail here.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPLETIONS = ROOT / "completions"  # the generator
SCRIPTS = ROOT / "hlrcli" / "completions"  # the scripts, shipped in the package
BASH_SCRIPT = SCRIPTS / "hlrcli.bash"
ZSH_SCRIPT = SCRIPTS / "_hlrcli"
FISH_SCRIPT = SCRIPTS / "hlrcli.fish"
FORMATS = {"table", "csv", "json", "ndjson", "xlsx"}
SHELL_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}  # no venv on PATH: completion must not need Python


def _load_generator() -> ModuleType:
    # completions/ is not a package: load the script as a module (registered first, as dataclasses require).
    spec = importlib.util.spec_from_file_location("hlrcli_completions_generate", COMPLETIONS / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def tree(gen: ModuleType) -> object:
    warnings: list[str] = []
    tree = gen.build_tree(warn=warnings.append)
    # A callback-completed option we do not know how to freeze would silently lose its values.
    assert not warnings, warnings
    return tree


def _node(tree: object, *path: str) -> object:
    for node in tree.walk():  # type: ignore[attr-defined]
        if node.path == path:
            return node
    raise AssertionError(f"no command {' '.join(path)!r} in the app")


def _shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


# Staleness --------------------------------------------------------------------------------------------------
def test_committed_scripts_match_the_app(gen: ModuleType, tree: object) -> None:
    # In memory: the committed files are compared, never rewritten, by the test.
    rendered = gen.render_all(tree)
    assert set(rendered) == {"hlrcli.bash", "_hlrcli", "hlrcli.fish"}
    stale = gen.stale(SCRIPTS, rendered)
    assert not stale, f"stale completion scripts {stale}: run `python completions/generate.py`"


def test_check_mode_names_the_stale_file(gen: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gen.main(["--dir", str(tmp_path)]) == 0
    assert gen.main(["--dir", str(tmp_path), "--check"]) == 0
    (tmp_path / "_hlrcli").write_text("# an old version\n", encoding="utf-8")
    (tmp_path / "hlrcli.fish").unlink()
    capsys.readouterr()
    assert gen.main(["--dir", str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert "_hlrcli" in err and "hlrcli.fish" in err and "hlrcli.bash" not in err
    assert "python completions/generate.py" in err


def test_generation_is_deterministic(gen: ModuleType, tree: object) -> None:
    assert gen.render_all(tree) == gen.render_all(gen.build_tree(warn=lambda _: None))


def test_scripts_never_call_python() -> None:
    for script in (BASH_SCRIPT, ZSH_SCRIPT, FISH_SCRIPT):
        code = [line for line in script.read_text().splitlines() if not line.lstrip().startswith("#")]
        assert not [line for line in code if "python" in line.lower()], script.name


def test_tree_has_what_the_scripts_promise(tree: object) -> None:
    # Guards the generator's reading of the app, so an empty tree cannot make every other test pass.
    lookup = _node(tree, "lookup")
    fmt = next(o for o in lookup.options if "--format" in o.names)  # type: ignore[attr-defined]
    assert fmt.names == ("-f", "--format") and set(fmt.choices) == FORMATS
    output = next(o for o in lookup.options if "--output" in o.names)  # type: ignore[attr-defined]
    assert output.files
    assert _node(tree, "batch").arguments[0].files  # type: ignore[attr-defined]
    assert {"show"} <= {c.path[-1] for c in _node(tree, "config").children}  # type: ignore[attr-defined]


# bash -------------------------------------------------------------------------------------------------------
BASH_DRIVER = r"""
source "$1"
shift
# Each query is a NUL-free line of words separated by \x1f; the last word is the one being completed.
while IFS= read -r line; do
    IFS=$'\x1f' read -r -a COMP_WORDS <<<"$line"
    [[ $line == *$'\x1f' ]] && COMP_WORDS+=('')
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=${COMP_WORDS[*]}
    COMP_POINT=${#COMP_LINE}
    _hlrcli
    printf '%s\n' "${COMPREPLY[@]}"
    printf '\x1e\n'
done
"""


def bash_complete_many(
    queries: list[list[str]], cwd: Path | None = None, env: dict[str, str] | None = None
) -> list[list[str]]:
    """Run the bash completion function on each word list (last word = the one under the cursor)."""
    bash = shutil.which("bash")
    assert bash, "bash is required for the completion tests"
    stdin = "".join("\x1f".join(words) + "\n" for words in queries)
    proc = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", BASH_DRIVER, "bash", str(BASH_SCRIPT)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env or SHELL_ENV,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    blocks = proc.stdout.split("\x1e\n")[:-1]
    assert len(blocks) == len(queries), proc.stdout
    return [[w for w in block.split("\n") if w] for block in blocks]


def bash_complete(*words: str, cwd: Path | None = None) -> list[str]:
    return bash_complete_many([list(words)], cwd)[0]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["hlrcli", "ba"], {"balance", "batch"}),
        (["hlrcli", "lookup", "--fo"], {"--format"}),
        (["hlrcli", "lookup", "-f", ""], FORMATS),
        (["hlrcli", "lookup", "--format", ""], FORMATS),
        (["hlrcli", "lookup", "-f", "nd"], {"ndjson"}),
        # "--format=<TAB>": with "=" in COMP_WORDBREAKS the words are --format, =, and the value.
        (["hlrcli", "lookup", "--format", "=", ""], FORMATS),
        (["hlrcli", "lookup", "--format", "=", "js"], {"json"}),
        # Without "=" in COMP_WORDBREAKS the whole word arrives, and the answers keep the prefix.
        (["hlrcli", "lookup", "--format=js"], {"--format=json"}),
        (["hlrcli", "lookup", "-p", ""], {"hlrlookups", "smspartner", "affiliate", "offline"}),
        (["hlrcli", "price", "--type", ""], {"HLR", "MNP", "NT"}),
        (["hlrcli", "batch", "-t", ""], {"hlr", "mnp", "nt"}),
        (["hlrcli", "batch", "--mode", ""], {"sync", "async"}),
        (["hlrcli", "coverage", "--sample-size", ""], {"LARGE", "MEDIUM", "SMALL"}),
        (["hlrcli", "-V", "config", "s"], {"set", "show"}),
        (["hlrcli", "config", "show", "--for"], {"--format"}),
        # -v/-q also work before the subcommand; typer's own --install-completion is gone (static scripts).
        (["hlrcli", "-"], {"--help", "-h", "--version", "-V", "--verbose", "-v", "--quiet", "-q"}),
        (["hlrcli", "completion", ""], {"bash", "zsh", "fish"}),
        # JOB arguments ask hlrcli for the job names; with no hlrcli on PATH (as here) they offer nothing.
        (["hlrcli", "jobs", "results", ""], set()),
        # Numbers are not completed; nor is anything after a value that was skipped correctly.
        (["hlrcli", "lookup", ""], set()),
        (["hlrcli", "lookup", "-f", "json", ""], set()),
        (["hlrcli", "lookup", "--tag", "-f", ""], set()),  # "-f" is --tag's value here, not an option
    ],
)
def test_bash_completes(words: list[str], expected: set[str]) -> None:
    assert set(bash_complete(*words)) == expected


def test_job_names_complete_from_the_store(tmp_path: Path) -> None:
    from hlrcli.store import Job, Store

    home = tmp_path / "home"
    store = Store.open(home)
    for name in ("night-2026-11", "night-2026-12", "noon"):
        store.create_job(Job(name=name, provider="hlrlookups", kind="hlr", mode="async"))
    store.close()
    bin_dir = str(Path(sys.executable).parent)  # where the installed `hlrcli` script is
    env = {**SHELL_ENV, "PATH": f"{bin_dir}:{SHELL_ENV['PATH']}", "HLRCLI_HOME": str(home)}
    queries = [["hlrcli", "jobs", "results", "ni"], ["hlrcli", "jobs", "show", ""], ["hlrcli", "jobs", "list", ""]]
    answers = bash_complete_many(queries, env=env)
    assert answers == [["night-2026-11", "night-2026-12"], ["night-2026-11", "night-2026-12", "noon"], []]


def test_completion_command_prints_the_shipped_scripts(cli: Any) -> None:
    for shell, script in (("bash", BASH_SCRIPT), ("zsh", ZSH_SCRIPT), ("fish", FISH_SCRIPT)):
        r = cli("completion", shell)
        assert r.exit_code == 0 and r.stdout == script.read_text(encoding="utf-8")


def test_bash_completes_subcommands_of_every_group(tree: object) -> None:
    groups = [n for n in tree.walk() if n.is_group]  # type: ignore[attr-defined]
    answers = bash_complete_many([["hlrcli", *g.path, ""] for g in groups])
    for group, answer in zip(groups, answers, strict=True):
        assert answer == sorted(c.path[-1] for c in group.children), group.path
    assert set(bash_complete("hlrcli", "config", "")) == {c.path[-1] for c in _node(tree, "config").children}


def test_bash_completes_every_option_of_every_command(tree: object) -> None:
    nodes = list(tree.walk())  # type: ignore[attr-defined]
    answers = bash_complete_many([["hlrcli", *n.path, "-"] for n in nodes])
    for node, answer in zip(nodes, answers, strict=True):
        expected = {name for o in node.options for name in o.names}
        assert set(answer) == expected, node.path
        assert {"-h", "--help"} <= expected


def test_bash_completes_file_names(tmp_path: Path) -> None:
    tmp_path = tmp_path / "files"  # conftest's fixture already put its own directories in tmp_path
    tmp_path.mkdir()
    (tmp_path / "numbers.csv").write_text("msisdn\n")
    (tmp_path / "my numbers.csv").write_text("msisdn\n")
    (tmp_path / "out").mkdir()
    every = {"numbers.csv", "my numbers.csv", "out"}
    assert set(bash_complete("hlrcli", "batch", "", cwd=tmp_path)) == every
    assert set(bash_complete("hlrcli", "batch", "-t", "mnp", "my", cwd=tmp_path)) == {"my numbers.csv"}
    assert set(bash_complete("hlrcli", "lookup", "-o", "", cwd=tmp_path)) == every
    assert set(bash_complete("hlrcli", "lookup", "--output", "=", "nu", cwd=tmp_path)) == {"numbers.csv"}
    assert set(bash_complete("hlrcli", "jobs", "list", "-o", "o", cwd=tmp_path)) == {"out"}
    # Only the first positional of batch is a file; -- ends the options.
    assert bash_complete("hlrcli", "batch", "numbers.csv", "", cwd=tmp_path) == []
    assert set(bash_complete("hlrcli", "batch", "--", "n", cwd=tmp_path)) == {"numbers.csv"}
    # Where no file is expected, none is offered.
    assert bash_complete("hlrcli", "lookup", "", cwd=tmp_path) == []


def test_bash_registers_the_completion() -> None:
    proc = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", f'source "{BASH_SCRIPT}" && complete -p hlrcli'],
        capture_output=True,
        text=True,
        env=SHELL_ENV,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "complete -F _hlrcli hlrcli"


# zsh --------------------------------------------------------------------------------------------------------
def test_zsh_script_parses() -> None:
    zsh = _shell("zsh")
    proc = subprocess.run([zsh, "-n", str(ZSH_SCRIPT)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


def test_zsh_script_loads_under_compinit(tree: object, tmp_path: Path) -> None:
    zsh = _shell("zsh")
    gen = sys.modules["hlrcli_completions_generate"]
    functions = " ".join(gen._zfunc(n.path) for n in tree.walk())  # type: ignore[attr-defined]
    script = (
        "autoload -U compinit && compinit -u -D && "
        f'source "{ZSH_SCRIPT}" && print -r -- $_comps[hlrcli] && whence -w {functions}'
    )
    proc = subprocess.run(
        [zsh, "-f", "-c", script],
        capture_output=True,
        text=True,
        env={**SHELL_ENV, "HOME": str(tmp_path)},
        timeout=30,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "_hlrcli"
    assert all(line.endswith(": function") for line in lines[1:]) and len(lines) == len(functions.split()) + 1


# fish -------------------------------------------------------------------------------------------------------
def test_fish_script_parses() -> None:
    fish = _shell("fish")
    proc = subprocess.run([fish, "-n", str(FISH_SCRIPT)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


def fish_complete_many(lines: list[str], cwd: Path, home: Path) -> Iterator[set[str]]:
    fish = _shell("fish")
    script = f"source '{FISH_SCRIPT}'\n" + "".join(f"complete -C{_fish_quote(line)}\necho \\x1e\n" for line in lines)
    proc = subprocess.run(
        [fish, "--no-config", "-c", script],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**SHELL_ENV, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "XDG_DATA_HOME": str(home)},
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    blocks = proc.stdout.split("\x1e\n")[:-1]
    assert len(blocks) == len(lines), proc.stdout
    for block in blocks:
        yield {row.split("\t", 1)[0] for row in block.splitlines() if row}


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def test_fish_completes(tmp_path: Path) -> None:
    work = tmp_path / "files"
    work.mkdir()
    (work / "numbers.csv").write_text("msisdn\n")
    cases = {
        "hlrcli ba": {"balance", "batch"},
        "hlrcli lookup --fo": {"--format"},
        "hlrcli lookup -f ": FORMATS,
        "hlrcli lookup --format=j": {"--format=json"},
        "hlrcli -V config s": {"set", "show"},
        "hlrcli batch -t ": {"hlr", "mnp", "nt"},
        "hlrcli price -t ": {"HLR", "MNP", "NT"},
        "hlrcli lookup -p ": {"hlrlookups", "smspartner", "affiliate", "offline"},
        "hlrcli batch nu": {"numbers.csv"},
        "hlrcli lookup -o nu": {"numbers.csv"},
        "hlrcli lookup nu": set(),
    }
    answers = fish_complete_many(list(cases), work, tmp_path)
    for (line, expected), answer in zip(cases.items(), answers, strict=True):
        assert answer == expected, line
