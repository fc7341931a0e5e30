#!/usr/bin/env python3
"""Start-up time of hlrcli: wall time of `hlrcli --version` and `hlrcli --help`, as a user's shell sees it.

    python bench/startup.py                       # 10 timed runs of each after one warm-up run
    python bench/startup.py --runs 30 --strict    # exit 1 when --version misses the target
    python bench/startup.py --hlrcli ~/.local/bin/hlrcli    # time another install (pipx, non-editable)

It runs the installed console script (found on PATH, else next to this Python), falling back to
`python -m hlrcli`, in a fresh process each time: start-up cost is interpreter + imports, which only a new
process measures. The warm-up run fills the OS file cache and writes .pyc files so the runs that count are
comparable. Output goes to a pipe, like `hlrcli --version` in a script would.

The first row, the same interpreter running `-c pass`, is the floor no change to hlrcli can go below: it
shows how much of a figure is Python itself (and its site-packages .pth hooks, e.g. an editable install's).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

TARGET_MS = {"--version": 150.0}  # issue 2: --version ≤ 150 ms on this machine; --help has no target


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

    @property
    def median(self) -> float:
        return statistics.median(self.runs_ms)

    @property
    def low(self) -> float:
        return min(self.runs_ms)

    @property
    def high(self) -> float:
        return max(self.runs_ms)


def run_once(argv: list[str]) -> float:
    """Wall time of one run in milliseconds; a failing run is an error, not a fast sample."""
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return elapsed


def measure(command: list[str], args: str, runs: int) -> Timing:
    argv = [*command, args]
    run_once(argv)  # warm-up, not counted
    return Timing(args, [run_once(argv) for _ in range(runs)])


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
    floor = measure([python, "-c"], "pass", args.runs)
    timings = [measure(command, a, args.runs) for a in ("--version", "--help")]

    header = f"{'run':<20}{'median ms':>10}{'min ms':>9}{'max ms':>9}{'target':>10}  result"
    print(header)
    print("-" * len(header))
    print(f"{'python -c pass':<20}{floor.median:>10.1f}{floor.low:>9.1f}{floor.high:>9.1f}{'-':>10}  (floor)")
    missed = False
    for t in timings:
        target = TARGET_MS.get(t.args)
        if target is None:
            goal, result = "-", "-"
        else:
            goal = f"≤ {target:.0f}"
            result = "PASS" if t.median <= target else "MISS"
            missed |= result == "MISS"
        print(f"{'hlrcli ' + t.args:<20}{t.median:>10.1f}{t.low:>9.1f}{t.high:>9.1f}{goal:>10}  {result}")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
