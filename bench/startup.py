#!/usr/bin/env python3
"""Start-up time of hlrcli: wall time of commands that need no network, as a user's shell sees it.

    python bench/startup.py                       # 10 timed runs of each after one warm-up run
    python bench/startup.py --runs 30 --strict    # exit 1 when a command misses its target
    python bench/startup.py --hlrcli ~/.local/bin/hlrcli    # time another install (pipx, non-editable)

Timed: `--version`, `--help`, `providers`, and one number through the offline provider (`nt` and `validate`),
with each run's CPU time (user + system) and peak memory beside its wall time. Issue 13 asks the commands that
need no network to answer one number in 300 ms, and `nt` to stay within 60 MiB: that is compared with
`python -c "import phonenumbers"`, the least any offline check costs, measured in the same run.

It runs the installed console script (found on PATH, else next to this Python), falling back to
`python -m hlrcli`, in a fresh process each time: start-up cost is interpreter + imports, which only a new
process measures. The warm-up run fills the OS file cache and writes .pyc files so the runs that count are
comparable. Output goes to a pipe, like `hlrcli --version` in a script would.

The first row, the same interpreter running `-c pass`, is the floor no change to hlrcli can go below: it
shows how much of a figure is Python itself (and its site-packages .pth hooks, e.g. an editable install's).
The commands run with an empty HLRCLI_HOME and no config file, so that none of them goes to the network.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

NUMBER = "+14156226819"  # a +1 number: the region search and the geocoder have the most to do
OFFLINE_MS = 300.0  # issue 13: a command with no network I/O answers one number in 300 ms
# Targets on the median wall time (issue 2: --version ≤ 150 ms); None: shown without a target.
COMMANDS: dict[str, float | None] = {
    "--version": 150.0,
    "--help": OFFLINE_MS,
    "providers": OFFLINE_MS,
    f"validate {NUMBER} -p offline": OFFLINE_MS,
    f"nt {NUMBER} -p offline": OFFLINE_MS,
}
RSS_TARGET_MIB = {f"nt {NUMBER} -p offline": 60.0}  # issue 13: one offline NT in 60 MiB


def hlrcli_command() -> list[str]:
    # PATH first (what a user runs); then the venv this Python belongs to (run without activating it).
    found = shutil.which("hlrcli") or shutil.which("hlrcli", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "hlrcli"]


def interpreter_of(command: list[str]) -> str:
    """The Python a console script runs on (its #! line), so the floor row uses the same interpreter."""
    if len(command) == 1:
        try:
            with open(command[0], "rb") as script:
                first = script.readline().decode(errors="replace").strip()
        except OSError:
            first = ""
        # pip writes "#!/path/to/python"; "#!/usr/bin/env python" or a binary launcher is not followed.
        if first.startswith("#!") and " " not in first[2:].strip() and Path(first[2:].strip()).is_file():
            return first[2:].strip()
    return command[0] if len(command) > 1 else sys.executable


@dataclass(frozen=True)
class Timing:
    args: str
    runs_ms: list[float]
    cpu_ms: list[float]
    rss_mib: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs_ms)

    @property
    def low(self) -> float:
        return min(self.runs_ms)

    @property
    def high(self) -> float:
        return max(self.runs_ms)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_ms)

    @property
    def rss(self) -> float:
        return max(self.rss_mib)


def run_once(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Wall and CPU time (ms) and peak RSS (MiB) of one run; a failing run is an error, not a fast sample."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    # wait4 rather than wait: the rusage of this child alone, whatever else this process has run.
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = (time.perf_counter() - start) * 1000
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read() if proc.stderr else b""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {stderr.decode(errors='replace')}")
    return elapsed, (usage.ru_utime + usage.ru_stime) * 1000, usage.ru_maxrss / 1024


def measure(command: list[str], args: str, runs: int, env: dict[str, str] | None = None) -> Timing:
    argv = [*command, *([args] if command[-1] == "-c" else args.split())]
    run_once(argv, env)  # warm-up, not counted
    samples = [run_once(argv, env) for _ in range(runs)]
    return Timing(args, [s[0] for s in samples], [s[1] for s in samples], [s[2] for s in samples])


# Settings of the caller's shell that would change what is measured (a provider chosen, a config file).
_OWN_PREFIXES = ("HLRCLI_", "HLR_LOOKUPS_", "SMSPARTNER_", "AFFILIATE_SMS_")


def isolated_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env["HLRCLI_HOME"] = str(home / "state")
    env["HLRCLI_CONFIG"] = str(home / "config.toml")  # does not exist
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure hlrcli's start-up time.")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command (default: 10)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--hlrcli", metavar="PATH", help="the hlrcli executable to time (default: from PATH)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    command = [args.hlrcli] if args.hlrcli else hlrcli_command()
    python = interpreter_of(command)
    print(f"command: {' '.join(command)}   runs: {args.runs} (+1 warm-up)   cpus: {os.cpu_count()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="hlrcli-startup-") as tmp:
        env = isolated_env(Path(tmp))
        cwd = os.getcwd()
        os.chdir(tmp)  # no .env of the caller's directory
        try:
            floor = measure([python, "-c"], "pass", args.runs, env)
            library = measure([python, "-c"], "import phonenumbers", args.runs, env)
            timings = [measure(command, a, args.runs, env) for a in COMMANDS]
        finally:
            os.chdir(cwd)

    header = (
        f"{'run':<40}{'median ms':>10}{'min ms':>9}{'max ms':>9}{'CPU ms':>8}{'peak MiB':>10}"
        f"{'÷ import pn':>12}{'target':>22}  result"
    )
    print(header)
    print("-" * len(header))

    def row(name: str, t: Timing, goal: str, result: str) -> None:
        ratio = t.median / library.median
        print(
            f"{name:<40}{t.median:>10.1f}{t.low:>9.1f}{t.high:>9.1f}{t.cpu:>8.0f}{t.rss:>10.1f}"
            f"{ratio:>12.1f}{goal:>22}  {result}"
        )

    row("python -c pass", floor, "-", "(floor)")
    row("python -c 'import phonenumbers'", library, "-", "(reference)")
    missed = False
    for t in timings:
        target, rss_target = COMMANDS.get(t.args), RSS_TARGET_MIB.get(t.args)
        goals, results = [], []
        if target is not None:
            goals.append(f"≤ {target:.0f} ms")
            results.append("PASS" if t.median <= target else "MISS")
        if rss_target is not None:
            goals.append(f"≤ {rss_target:.0f} MiB")
            results.append("PASS" if t.rss <= rss_target else "MISS")
        missed |= "MISS" in results
        row("hlrcli " + t.args, t, ", ".join(goals) or "-", "/".join(results) or "-")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
