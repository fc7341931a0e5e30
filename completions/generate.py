#!/usr/bin/env python3
"""Generate the static bash, zsh and fish completion scripts for hlrcli from the typer app.

    python completions/generate.py            # (re)write hlrcli/completions/hlrcli.bash, _hlrcli, hlrcli.fish
    python completions/generate.py --check    # exit 1, naming the stale files, when they differ from the app

The scripts are static on purpose: completing never starts Python (which costs a few hundred milliseconds per
TAB once typer is imported). The price is that they must be regenerated when a command or option changes; the
test suite runs the check so a stale script cannot go unnoticed.

The click command tree is walked generically (groups of any depth), so new commands and options appear on the
next run without touching this file. What cannot be read from the tree is listed below in FILE_ARGUMENTS and
dynamic_values().
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE.parent / "hlrcli" / "completions"
ROOT = HERE.parent
PROG = "hlrcli"
FILES = {"bash": "hlrcli.bash", "zsh": "_hlrcli", "fish": "hlrcli.fish"}
REGENERATE = "python completions/generate.py"

# Positional arguments that name a file although their type is not a Path. `batch SOURCE` is a str because it
# also accepts "-" (stdin); completing file names is still what a user wants there.
FILE_ARGUMENTS: frozenset[tuple[tuple[str, ...], str]] = frozenset({(("batch",), "source")})

# Everything we write into a script unquoted (names, choice values) must match this: it keeps the generated
# shell code free of quoting bugs. Anything else fails generation loudly rather than breaking a script.
SAFE_WORD = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:+,/=-]*$")
SAFE_OPTION = re.compile(r"^--?[A-Za-z0-9][A-Za-z0-9_-]*$")


JOBS = "@jobs"  # a JOB argument: the scripts ask `hlrcli jobs names` (no other completion runs hlrcli)


def dynamic_values() -> dict[str, tuple[str, ...]]:
    """Values of options that complete through a Python callback, frozen at generation time.

    Keyed by parameter name. The provider list is the registry's, so a new provider shows up on regeneration.
    Job names live in the user's store, so they cannot be frozen: JOB arguments get the JOBS marker instead.
    """
    from hlrcli.output import Format
    from hlrcli.providers import NAMES

    return {
        "provider": tuple(NAMES),
        "fmt": tuple(f.value for f in Format),
        **dict.fromkeys(("name", "old", "new", "against"), (JOBS,)),
    }


# The model --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Opt:
    names: tuple[str, ...]  # every spelling: short ones first, then long ones (secondary "--no-x" included)
    help: str
    takes_value: bool
    multiple: bool
    metavar: str  # what zsh shows while waiting for the value
    choices: tuple[str, ...] = ()
    files: bool = False


@dataclass(frozen=True)
class Arg:
    name: str
    nargs: int  # -1: any number
    required: bool
    choices: tuple[str, ...] = ()
    files: bool = False


@dataclass
class Node:
    path: tuple[str, ...]  # () is hlrcli itself
    help: str
    options: list[Opt] = field(default_factory=list)
    arguments: list[Arg] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    is_group: bool = False

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def key(self) -> str:
        return " ".join(self.path)

    @property
    def value_options(self) -> list[str]:
        return sorted(n for o in self.options if o.takes_value for n in o.names)

    @property
    def option_names(self) -> list[str]:
        return sorted(n for o in self.options for n in o.names)


def _one_line(text: str | None) -> str:
    """The first paragraph of a help text on one line (shell descriptions are one line each)."""
    text = inspect.cleandoc(text or "").partition("\f")[0]
    return " ".join(text.split("\n\n", 1)[0].split())


def _is_path(param: Any) -> bool:
    # typer >= 0.2x keeps the annotation in `type_descriptor`; classic click keeps a ParamType in `type`.
    desc = getattr(param, "type_descriptor", None)
    if desc is not None:
        return bool(getattr(desc, "is_path", False) or getattr(desc, "is_file", False))
    return type(getattr(param, "type", None)).__name__ in {"Path", "File"}


def _values(param: Any, ctx: Any, where: str, warn: Callable[[str], None]) -> tuple[tuple[str, ...], bool]:
    """(choices, completes files) of an option's value or an argument."""
    if getattr(param, "_custom_shell_complete", None) is not None:
        # A Python callback: it cannot run at TAB time, so only the known ones are frozen in.
        known = dynamic_values()
        if param.name in known:
            return known[param.name], False
        warn(f"{where}: completes through a Python callback; add it to dynamic_values() for its values")
        return (), False
    # The parameter's own completion (public click API) gives the choices of enums and Choice types.
    items = param.shell_complete(ctx, "")
    choices = tuple(dict.fromkeys(str(i.value) for i in items if getattr(i, "type", "plain") == "plain"))
    files = _is_path(param) or any(getattr(i, "type", "") in ("file", "dir") for i in items)
    return choices, files


def _check_words(where: str, words: tuple[str, ...] | list[str], pattern: re.Pattern[str]) -> None:
    for w in words:
        if not pattern.match(w):
            raise SystemExit(f"generate.py: {where}: {w!r} cannot be written safely into a completion script")


def _option(param: Any, ctx: Any, path: tuple[str, ...], warn: Callable[[str], None]) -> Opt:
    names = tuple(sorted({*param.opts, *param.secondary_opts}, key=lambda n: (n.startswith("--"), n)))
    where = f"{PROG} {' '.join(path)} {'/'.join(names)}".replace("  ", " ")
    _check_words(where, names, SAFE_OPTION)
    takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
    choices: tuple[str, ...] = ()
    files = False
    if takes_value:
        choices, files = _values(param, ctx, where, warn)
        _check_words(where, [c for c in choices if c != JOBS], SAFE_WORD)
    longs = [n for n in names if n.startswith("--")]
    metavar = (longs[0][2:] if longs else param.name or "value").lower().replace("-", " ")
    return Opt(
        names=names,
        help=_one_line(getattr(param, "help", None)),
        takes_value=takes_value,
        multiple=bool(getattr(param, "multiple", False)),
        metavar=metavar,
        choices=choices,
        files=files,
    )


def _argument(param: Any, ctx: Any, path: tuple[str, ...], warn: Callable[[str], None]) -> Arg:
    where = f"{PROG} {' '.join(path)} {param.name.upper()}"
    choices, files = _values(param, ctx, where, warn)
    _check_words(where, [c for c in choices if c != JOBS], SAFE_WORD)
    return Arg(
        name=param.name,
        nargs=param.nargs,
        required=bool(param.required),
        choices=choices,
        files=files or (path, param.name) in FILE_ARGUMENTS,
    )


def _walk(cmd: Any, ctx: Any, path: tuple[str, ...], warn: Callable[[str], None]) -> Node:
    node = Node(path=path, help=cmd.get_short_help_str(limit=100) if path else _one_line(cmd.help))
    for param in cmd.get_params(ctx):  # get_params adds the help option (-h/--help here)
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "option":
            node.options.append(_option(param, ctx, path, warn))
        elif param.param_type_name == "argument":
            node.arguments.append(_argument(param, ctx, path, warn))
    node.options.sort(key=lambda o: (max(o.names, key=len).lstrip("-").lower(), o.names))
    # A group is whatever can list subcommands: click's Group, and typer's TyperGroup (a Command subclass in
    # typer 0.2x), both have list_commands/get_command.
    if hasattr(cmd, "list_commands"):
        node.is_group = True
        for name in sorted(cmd.list_commands(ctx)):
            sub = cmd.get_command(ctx, name)
            if sub is None or getattr(sub, "hidden", False):
                continue
            _check_words(f"{PROG} {' '.join(path)}", [name], SAFE_WORD)
            sub_ctx = sub.context_class(sub, info_name=name, parent=ctx, resilient_parsing=True)
            node.children.append(_walk(sub, sub_ctx, (*path, name), warn))
    return node


def build_tree(warn: Callable[[str], None] | None = None) -> Node:
    """The command tree of the app in this checkout, as plain data."""
    if str(ROOT) not in sys.path:
        # Generate from this checkout's code, even if another hlrcli happens to be installed.
        sys.path.insert(0, str(ROOT))
    import typer

    from hlrcli.cli.app import build

    cmd = typer.main.get_command(build())
    ctx = cmd.context_class(cmd, info_name=PROG, resilient_parsing=True, **cmd.context_settings)
    if warn is None:

        def warn(message: str) -> None:
            print(f"generate.py: warning: {message}", file=sys.stderr)

    return _walk(cmd, ctx, (), warn)


def header(comment: str, shell: str, install: list[str]) -> list[str]:
    lines = [
        f"{PROG} completion for {shell}. GENERATED from the app by completions/generate.py: do not edit.",
        f"Regenerate: {REGENERATE}    Check it is current: {REGENERATE} --check",
        "Static on purpose: completing never starts Python, so TAB answers at once.",
        *install,
    ]
    return [f"{comment} {line}".rstrip() for line in lines]


# bash -------------------------------------------------------------------------------------------------------
def _case_lines(keys: list[str], value: str, indent: str = "        ") -> list[str]:
    """One case branch; a long pattern list is continued over several lines (backslash-newline)."""
    lines: list[str] = []
    current = ""
    for pattern in (f"'{k}'" for k in keys):
        if current and len(indent) + len(current) + len(pattern) > 100:
            lines.append(current + "| \\")
            current = ""
        current += ("|" if current else "") + pattern
    lines.append(current + ")")
    continued = [indent + "    " + line for line in lines[1:]]
    return [indent + lines[0], *continued, f"{indent}    vals='{value}' ;;"]


def _grouped(entries: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """Merge case keys that share a value (the common options repeat on every command) into one branch."""
    by_value: dict[str, list[str]] = {}
    for key, value in entries:
        by_value.setdefault(value, []).append(key)
    return sorted(((sorted(keys), value) for value, keys in by_value.items()), key=lambda kv: kv[1])


def render_bash(tree: Node) -> str:
    out = header(
        "#",
        "bash",
        [
            "Install: `hlrcli completion bash > ~/.local/share/bash-completion/completions/hlrcli`",
            "(loaded on demand by bash-completion), or add `source <(hlrcli completion bash)` to ~/.bashrc.",
        ],
    )
    out += [
        "",
        "# For a command path ($1, '' for hlrcli itself) set: subs (its subcommands), opts (its options) and",
        "# valopts (the options that take a value, whose value is not a positional argument).",
        "__hlrcli_spec() {",
        '    case "$1" in',
    ]
    for node in tree.walk():
        subs = " ".join(c.path[-1] for c in node.children)
        out += [
            f"        '{node.key}')",
            f"            subs='{subs}'",
            f"            opts='{' '.join(node.option_names)}'",
            f"            valopts='{' '.join(node.value_options)}' ;;",
        ]
    out += [
        "        *) subs='' opts='' valopts='' ;;",
        "    esac",
        "}",
        "",
        '# Set vals to the candidates for the value of option $2 of command path $1 ("@files": file names).',
        "__hlrcli_option_values() {",
        '    case "$1 $2" in',
    ]
    entries: list[tuple[str, str]] = []
    for node in tree.walk():
        for opt in node.options:
            value = "@files" if opt.files else " ".join(opt.choices)
            if opt.takes_value and value:
                entries += [(f"{node.key} {name}", value) for name in opt.names]
    for keys, value in _grouped(entries):
        out += _case_lines(keys, value)
    out += [
        "        *) vals='' ;;",
        "    esac",
        "}",
        "",
        "# Set vals to the candidates for positional argument $2 (counted from 0) of command path $1.",
        "__hlrcli_argument_values() {",
        '    case "$1 $2" in',
    ]
    fixed: list[tuple[str, str]] = []
    variadic: list[tuple[str, str]] = []
    for node in tree.walk():
        index = 0
        node_fixed: dict[int, str] = {}
        for arg in node.arguments:
            value = "@files" if arg.files else " ".join(arg.choices)
            if arg.nargs < 0:
                if value:
                    variadic.append((f"{node.key} *", value))
                    # Indices before the variadic one must not fall into its catch-all pattern.
                    fixed += [(f"{node.key} {i}", v) for i, v in node_fixed.items()]
                    fixed += [(f"{node.key} {i}", "") for i in range(index) if i not in node_fixed]
                    node_fixed = {}
                break  # what follows a variadic argument is assigned from the end by click: not completed
            for i in range(index, index + arg.nargs):
                if value:
                    node_fixed[i] = value
            index += arg.nargs
        fixed += [(f"{node.key} {i}", v) for i, v in node_fixed.items()]
    for keys, value in _grouped(fixed):
        out += _case_lines(keys, value)
    for key, value in sorted(variadic):
        out += [f"        '{key[:-1]}'*)", f"            vals='{value}' ;;"]
    out += [
        "        *) vals='' ;;",
        "    esac",
        "}",
        "",
        BASH_MAIN.strip("\n"),
        "",
    ]
    return "\n".join(out)


BASH_MAIN = r"""
_hlrcli() {
    local cur=${COMP_WORDS[COMP_CWORD]} path='' subs opts valopts vals='' prefix='' lastopt='' w i
    local skip=0 npos=0 dashdash=0
    COMPREPLY=()
    __hlrcli_spec ''
    # Walk the words before the cursor: a subcommand extends the path, an option's value is skipped, anything
    # else is a positional argument. "--format=json" arrives as three words when "=" is in COMP_WORDBREAKS.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if ((skip)); then
            [[ $w == = ]] || skip=0
            continue
        fi
        if ((dashdash)); then
            npos=$((npos + 1))
            continue
        fi
        case $w in
            --) dashdash=1 ;;
            = | --*=*) ;;
            -?*)
                if [[ " $valopts " == *" $w "* ]]; then
                    skip=1
                    lastopt=$w
                fi
                ;;
            *)
                if ((npos == 0)) && [[ " $subs " == *" $w "* ]]; then
                    path=${path:+$path }$w
                    __hlrcli_spec "$path"
                else
                    npos=$((npos + 1))
                fi
                ;;
        esac
    done

    if ((skip)); then
        # The cursor is on an option's value ("-f <TAB>", or "--format=<TAB>" where the word is "=").
        [[ $cur == = ]] && cur=''
        __hlrcli_option_values "$path" "$lastopt"
    elif ((!dashdash)) && [[ $cur == --*=* ]]; then
        # "=" is not a word break here: the whole "--format=js" is the word, so answers keep the prefix.
        prefix=${cur%%=*}=
        __hlrcli_option_values "$path" "${cur%%=*}"
        cur=${cur#*=}
    elif ((!dashdash)) && [[ $cur == -* ]]; then
        vals=$opts
    elif ((npos == 0)) && [[ -n $subs ]]; then
        vals=$subs
    else
        __hlrcli_argument_values "$path" "$npos"
    fi

    # Read the candidates line by line so file names with spaces stay whole (no word splitting or globbing).
    if [[ $vals == @files ]]; then
        compopt -o filenames 2>/dev/null # bash >= 4: a slash after directories, special characters quoted
        while IFS= read -r w; do COMPREPLY+=("$prefix$w"); done < <(compgen -f -- "$cur")
    elif [[ $vals == @jobs ]]; then
        # Job names are in the user's store: the one completion that asks hlrcli itself (quietly).
        while IFS= read -r w; do COMPREPLY+=("$w"); done < <(command hlrcli jobs names -- "$cur" 2>/dev/null)
    elif [[ -n $vals ]]; then
        while IFS= read -r w; do COMPREPLY+=("$prefix$w"); done < <(compgen -W "$vals" -- "$cur")
    fi
    return 0
}

complete -F _hlrcli hlrcli
"""


# zsh --------------------------------------------------------------------------------------------------------
def _zq(text: str) -> str:
    """Single-quote for zsh."""
    return "'" + text.replace("'", "'\\''") + "'"


def _zdesc(text: str) -> str:
    """Escape a description inside an _arguments spec's [...]."""
    return re.sub(r"([\\\[\]])", r"\\\1", text)


def _zfunc(path: tuple[str, ...]) -> str:
    return "_hlrcli" + "".join("__" + re.sub(r"[^A-Za-z0-9]", "_", p) for p in path)


def _zaction(choices: tuple[str, ...], files: bool) -> str:
    if files:
        return "_files"
    if choices == (JOBS,):
        return "_hlrcli_jobs"
    if choices:
        return "(" + " ".join(choices) + ")"
    # Not " " (message only): zsh then takes "--verb<TAB>" as ambiguous with the argument and lists instead
    # of completing --verbose. _nothing offers no candidates and keeps unique option prefixes completing.
    return "_nothing"


def _zsh_option_specs(opt: Opt) -> list[str]:
    specs = []
    # Options given once exclude their other spellings; repeatable ones ("*") exclude nothing.
    exclude = "*" if opt.multiple else "(" + " ".join(opt.names) + ")"
    desc = f"[{_zdesc(opt.help)}]" if opt.help else ""
    for name in opt.names:
        if opt.takes_value:
            # "--format=": the value as "--format json" or "--format=json"; "-f+": as "-f json" or "-fjson".
            suffix = "=" if name.startswith("--") else "+"
            message = opt.metavar.replace(":", "\\:")
            specs.append(f"{exclude}{name}{suffix}{desc}:{message}:{_zaction(opt.choices, opt.files)}")
        else:
            specs.append(f"{exclude}{name}{desc}")
    return specs


def _zsh_argument_specs(args: list[Arg]) -> list[str]:
    specs = []
    for arg in args:
        action = _zaction(arg.choices, arg.files)
        name = arg.name.replace(":", "\\:")
        if arg.nargs < 0:
            specs.append(f"*:{name}:{action}")
            break
        specs += [f"{':' if arg.required else '::'}{name}:{action}"] * arg.nargs
    return specs


def render_zsh(tree: Node) -> str:
    out = ["#compdef hlrcli"]
    out += header(
        "#",
        "zsh",
        [
            "Install: copy to a directory in $fpath as _hlrcli (e.g. ~/.zfunc, with fpath=(~/.zfunc $fpath)",
            "before compinit in ~/.zshrc), or `source /path/to/completions/_hlrcli` after compinit.",
        ],
    )
    out += [
        "",
        "# Job names are in the user's store: the one completion that asks hlrcli itself (quietly).",
        "_hlrcli_jobs() {",
        "    local -a jobs",
        '    jobs=(${(f)"$(command hlrcli jobs names 2>/dev/null)"})',
        "    compadd -a jobs",
        "}",
    ]
    for node in tree.walk():
        out += ["", f"# {PROG} {node.key}".rstrip() + (f": {node.help}" if node.help else "")]
        out.append(f"{_zfunc(node.path)}() {{")
        specs = [s for o in node.options for s in _zsh_option_specs(o)]
        describe = f"{PROG} {node.key}".rstrip() + " command"
        if node.is_group:
            out += [
                "    local curcontext=$curcontext state state_descr line ret=1",
                "    typeset -A opt_args",
                "    _arguments -C -s -S \\",
                *[f"        {_zq(s)} \\" for s in specs],
                "        '1: :->command' \\",
                "        '*:: :->args' && ret=0",
                "    case $state in",
                "        (command)",
                "            local -a commands=(",
                *[f"                {_zq(c.path[-1] + ':' + c.help)}" for c in node.children],
                "            )",
                f"            _describe -t commands {_zq(describe)} commands && ret=0 ;;",
                "        (args)",
                f"            curcontext=${{curcontext%:*:*}}:{'-'.join((PROG, *node.path))}-$words[1]:",
                "            case $words[1] in",
                *[f"                ({c.path[-1]}) {_zfunc(c.path)} && ret=0 ;;" for c in node.children],
                "            esac ;;",
                "    esac",
                "    return ret",
            ]
        else:
            specs += _zsh_argument_specs(node.arguments)
            lines = [_zq(s) for s in specs]
            out.append("    _arguments -s -S" + (" \\" if lines else ""))
            out += [f"        {line}" + (" \\" if i < len(lines) - 1 else "") for i, line in enumerate(lines)]
        out.append("}")
    out += [
        "",
        "# Autoloaded from $fpath: complete now. Sourced: register the function.",
        "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then",
        '    _hlrcli "$@"',
        "else",
        "    compdef _hlrcli hlrcli",
        "fi",
        "",
    ]
    return "\n".join(out)


# fish -------------------------------------------------------------------------------------------------------
def _fq(text: str) -> str:
    """Single-quote for fish (only \\ and ' are special inside)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render_fish(tree: Node) -> str:
    out = header(
        "#",
        "fish",
        [
            "Install: copy to ~/.config/fish/completions/hlrcli.fish (fish loads it on the first TAB).",
        ],
    )
    groups = [n for n in tree.walk() if n.is_group]
    out += [
        "",
        "# Subcommands of a group ($argv[1] is its path, '' for hlrcli itself), one per line.",
        "function __hlrcli_subcommands",
        '    switch "$argv[1]"',
    ]
    for node in groups:
        out += [f"        case {_fq(node.key)}"]
        if node.children:
            out += [f"            printf '%s\\n' {' '.join(c.path[-1] for c in node.children)}"]
    out += [
        "    end",
        "end",
        "",
        "# A group's options that take a value (their value is skipped when looking for subcommands).",
        "function __hlrcli_value_options",
        '    switch "$argv[1]"',
    ]
    for node in groups:
        if node.value_options:
            out += [f"        case {_fq(node.key)}"]
            out += [f"            printf '%s\\n' {' '.join(node.value_options)}"]
    out += [
        "    end",
        "end",
        "",
        FISH_PATH.strip("\n"),
        "",
        "# No file names unless a command asks for them below.",
        "complete -c hlrcli -f",
    ]
    for node in tree.walk():
        cond = f"-n {_fq('__hlrcli_at ' + node.key if node.path else '__hlrcli_at')}"
        out += ["", f"# {PROG} {node.key}".rstrip()]
        for child in node.children:
            desc = f" -d {_fq(child.help)}" if child.help else ""
            out.append(f"complete -c hlrcli {cond} -a {child.path[-1]}{desc}")
        for opt in node.options:
            flags = []
            for name in opt.names:
                if name.startswith("--"):
                    flags.append(f"-l {name[2:]}")
                elif len(name) == 2:
                    flags.append(f"-s {name[1:]}")
                else:
                    flags.append(f"-o {name[1:]}")  # old-style long option with one dash
            if opt.takes_value:
                flags.append("-r -F" if opt.files else "-x")
                if opt.choices == (JOBS,):
                    flags.append("-a '(command hlrcli jobs names 2>/dev/null)'")
                elif opt.choices:
                    flags.append(f"-a {_fq(' '.join(opt.choices))}")
            if opt.help:
                flags.append(f"-d {_fq(opt.help)}")
            out.append(f"complete -c hlrcli {cond} {' '.join(flags)}")
        # fish does not track argument positions: a command's positionals get the union of their candidates.
        if any(a.files for a in node.arguments):
            out.append(f"complete -c hlrcli {cond} -F")
        choices = [c for a in node.arguments for c in a.choices if c != JOBS]
        if choices:
            out.append(f"complete -c hlrcli {cond} -a {_fq(' '.join(dict.fromkeys(choices)))}")
        if any(JOBS in a.choices for a in node.arguments):
            out.append(f"complete -c hlrcli {cond} -f -a '(command hlrcli jobs names 2>/dev/null)'")
    out.append("")
    return "\n".join(out)


FISH_PATH = r"""
# The command path before the cursor ("" for hlrcli itself, "config show", ...). Every `complete` condition
# below asks for it, so it is computed once per command line.
function __hlrcli_path
    set -l line (commandline -pc)
    if test "$line" = "$__hlrcli_cached_line"
        echo $__hlrcli_cached_path
        return
    end
    set -l path
    set -l skip 0
    set -l tokens (commandline -opc)
    set -e tokens[1]
    for tok in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $tok
            case --
                break
            case '--*=*'
                continue
            case '-?*'
                if contains -- $tok (__hlrcli_value_options "$path")
                    set skip 1
                end
            case '*'
                if contains -- $tok (__hlrcli_subcommands "$path")
                    set -a path $tok
                else
                    break
                end
        end
    end
    set -g __hlrcli_cached_line $line
    set -g __hlrcli_cached_path "$path"
    echo "$path"
end

# True when the command path before the cursor is exactly the arguments ("__hlrcli_at config show").
function __hlrcli_at
    set -l path (__hlrcli_path)
    test "$path" = "$argv"
end
"""


# Driver -----------------------------------------------------------------------------------------------------
RENDERERS: dict[str, Callable[[Node], str]] = {"bash": render_bash, "zsh": render_zsh, "fish": render_fish}


def render_all(tree: Node | None = None) -> dict[str, str]:
    """File name -> content, for every shell."""
    tree = tree or build_tree()
    return {FILES[shell]: render(tree) for shell, render in RENDERERS.items()}


def stale(directory: Path, rendered: dict[str, str] | None = None) -> list[str]:
    """Names of the files in `directory` that differ from what the app generates (missing ones included)."""
    rendered = rendered or render_all()
    out = []
    for name, text in rendered.items():
        target = directory / name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            out.append(name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate hlrcli's bash, zsh and fish completion scripts.")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a script is stale")
    parser.add_argument("--dir", type=Path, default=SCRIPTS, help="where the scripts are (default: %(default)s)")
    args = parser.parse_args(argv)
    rendered = render_all()
    if args.check:
        bad = stale(args.dir, rendered)
        for name in bad:
            print(f"stale: {args.dir / name} differs from the app; run: {REGENERATE}", file=sys.stderr)
        if not bad:
            print(f"up to date: {', '.join(rendered)}")
        return 1 if bad else 0
    args.dir.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        # newline="\n": identical bytes on every platform, so --check does not flag Windows checkouts.
        (args.dir / name).write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {args.dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
