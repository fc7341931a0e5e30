#!/usr/bin/env python3
"""Batch engine figures (issue 4): sync throughput, async pacing, offline memory and time.

    python bench/batch.py                  # everything, full size (about 3½ minutes on 2 cores)
    python bench/batch.py --quick          # async on 20,000 numbers, no 1M-row offline run
    python bench/batch.py --only sync      # one part: sync, async or rss (comma-separated)
    python bench/batch.py --strict         # exit 1 when a figure misses its target

Every run is the installed console script in a fresh process, as a user or cron job runs it, with its own
temporary HLRCLI_HOME (so the job store starts empty) and no config file or .env of the user's. The paid
providers are the local emulator from tests/emulator (in this process, on a free port) with 100 ms latency;
the emulator's request log (receipt times) splits each run into start-up + ingest, the lookup phase proper,
and the tail (writing the output), so the throughput figure is about the engine rather than Python start-up.

These are figures, not tests: each is printed with its target and PASS/MISS, and a summary table ends the run.
What is judged: sync, the lookup phase (the whole command's rate is shown beside it); async, the whole command
(the time a user waits) and, beside it, the submission phase alone; offline, the peak RSS summed over the
process tree (the command forks workers) and the 1M-row wall time. The offline runs also print CPU seconds of
the main process and of the workers: on 2 cores that tells whether a wall time is bound by the CPU.
The machine is small (2 cores) and may be busy: the load average is printed with the results.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # `python bench/batch.py` puts bench/ first on sys.path, not the repo root

import phonenumbers  # noqa: E402

from tests.emulator import Emulator  # noqa: E402

LATENCY = 0.1  # seconds the emulator sleeps before each answer (issue 4 says 100 ms)
SYNC_CONCURRENCY = (1, 8, 32)
SYNC_EFFICIENCY = 0.8  # target: ≥ 80 % of concurrency ÷ latency
SMSP_LIMIT_RPM = 360  # smspartner's documented limit, and the emulator's default for it
SMSP_CHUNK = 500
SMSP_PACE_RPM, SMSP_BURST = 350, 5  # the client's pace (SMSPARTNER_MAX_RPM) and catch-up burst (half the margin)
ASYNC_NUMBERS, ASYNC_NUMBERS_QUICK = 100_000, 20_000
ASYNC_SLACK = 1.10  # target: within 10 % of the rate-limit floor
PEAK_WINDOW = 10.0  # seconds: the window in which the async pace is checked against the limit
RSS_ROWS = (100_000, 1_000_000)
RSS_RATIO_MAX = 1.2
RSS_1M_SECONDS_MAX = 90.0
SAMPLE_EVERY = 0.05  # seconds between /proc samples of the offline run's process tree


# Results --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    name: str
    value: str
    target: str
    ok: bool | None  # None: a figure shown for context, with no target of its own

    @property
    def result(self) -> str:
        return "-" if self.ok is None else ("PASS" if self.ok else "MISS")


def show(fig: Figure) -> Figure:
    print(f"  {fig.name:<48}{fig.value:>14}   target {fig.target:<16}{fig.result}", flush=True)
    return fig


# Running hlrcli -------------------------------------------------------------------------------------------------
def hlrcli_command() -> list[str]:
    # The console script a user runs: PATH first, then the one next to this Python (a venv not activated).
    found = shutil.which("hlrcli") or shutil.which("hlrcli", path=str(Path(sys.executable).parent))
    if not found:
        raise SystemExit("no hlrcli console script on PATH or next to this Python; `pip install -e .` first")
    return [found]


# Settings that would otherwise leak from the caller's shell into the runs and change what is measured.
_OWN_PREFIXES = ("HLRCLI_", "HLR_LOOKUPS_", "SMSPARTNER_", "AFFILIATE_SMS_")


def run_env(home: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env.update(extra)
    env["HLRCLI_HOME"] = str(home / "state")
    env["HLRCLI_CONFIG"] = str(home / "config.toml")  # does not exist: no user config file
    return env


@dataclass
class Run:
    started: float  # time.monotonic(), comparable with the in-process emulator's request times
    ended: float
    tree: TreeSampler | None = None  # when the process tree was sampled

    @property
    def wall(self) -> float:
        return self.ended - self.started


def run_hlrcli(argv: list[str], home: Path, env_extra: dict[str, str], sample: bool = False) -> Run:
    """Run one hlrcli command to completion; a failing run stops the benchmark (a fast failure is no figure)."""
    home.mkdir(parents=True, exist_ok=True)
    err_path = home / "stderr.txt"  # a file, not a pipe: nothing can block however much is written
    with open(err_path, "wb") as err:
        started = time.monotonic()
        # cwd=home: no .env from the caller's directory; stdin closed: never a confirmation question.
        proc = subprocess.Popen(
            argv,
            cwd=home,
            env=run_env(home, env_extra),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        tree = TreeSampler(proc.pid) if sample else None
        while tree is not None and proc.poll() is None:
            tree.sample()
            time.sleep(SAMPLE_EVERY)
        proc.wait()
        ended = time.monotonic()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{err_path.read_text(errors='replace')}")
    return Run(started, ended, tree)


# Process-tree memory -------------------------------------------------------------------------------------------
TICKS = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, tuple[int, int]]:
    """pid → (parent pid, CPU ticks used) for every process; no /proc/<pid>/task/*/children here, so scan /proc."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:  # gone between the listing and the read
            continue
        # The command name is in parentheses and may itself hold spaces or ")": parse after the last one.
        fields = stat[stat.rfind(b")") + 2 :].split()
        out[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
    return out


def _proc_kb(pid: int, name: str, key: bytes) -> int:
    try:
        with open(f"/proc/{pid}/{name}", "rb") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0  # exited, or a zombie (no VmRSS line)


class TreeSampler:
    """Peak memory and CPU time of a process and all its descendants, from samples of /proc.

    RSS summed over forked workers counts the pages they share with the parent once per process, so the Pss
    sum (shared pages divided among their users) is kept next to it as the fairer total. The root's VmHWM is
    the kernel's own high-water mark, so a spike between two samples is not missed for the main process.
    CPU time is the last value seen per process: it tells whether the main process or the workers limit.
    """

    def __init__(self, root: int) -> None:
        self.root = root
        self.tree_kb = self.pss_kb = self.main_kb = 0
        self.cpu_ticks: dict[int, int] = {}

    def sample(self) -> None:
        stats = self._tree(_stats())
        self.tree_kb = max(self.tree_kb, sum(_proc_kb(pid, "status", b"VmRSS:") for pid in stats))
        self.pss_kb = max(self.pss_kb, sum(_proc_kb(pid, "smaps_rollup", b"Pss:") for pid in stats))
        self.main_kb = max(self.main_kb, _proc_kb(self.root, "status", b"VmHWM:"))
        for pid, ticks in stats.items():
            self.cpu_ticks[pid] = max(ticks, self.cpu_ticks.get(pid, 0))

    def _tree(self, stats: dict[int, tuple[int, int]]) -> dict[int, int]:
        """pid → CPU ticks for the root and its descendants."""
        out, todo = {}, [self.root]
        while todo:
            pid = todo.pop()
            if pid in stats:
                out[pid] = stats[pid][1]
                todo.extend(child for child, (parent, _) in stats.items() if parent == pid)
        return out

    @property
    def main_cpu(self) -> float:
        return self.cpu_ticks.get(self.root, 0) / TICKS

    @property
    def others_cpu(self) -> float:
        return sum(t for pid, t in self.cpu_ticks.items() if pid != self.root) / TICKS


# Inputs -------------------------------------------------------------------------------------------------------------
def valid_numbers(count: int, seed: int) -> list[str]:
    """Distinct German mobile numbers (+49178 and 7 digits) that libphonenumber calls valid, so none is refused."""
    rnd = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        number = f"+49178{rnd.randrange(10**7):07d}"
        if number not in seen and phonenumbers.is_valid_number(phonenumbers.parse(number)):
            seen.add(number)
            out.append(number)
    return out


def write_numbers_csv(path: Path, numbers: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "name", "phone"])
        out.writerows((i + 1, f"Customer {i + 1}", n) for i, n in enumerate(numbers))


FIRST = ("Anna", "Lukas", "Marie", "Jean", "Sophie", "Oliver", "Emma", "Liam", "Lucía", "Giulia", "Daan", "Noah")
LAST = ("Schmidt", "Müller", "Martin", "Dubois", "Smith", "Jones", "García", "Rossi", "de Vries", "Johnson")


def _phone(rnd: random.Random) -> str:
    """A number as people type them into a CRM: several countries and spellings, about 1 in 10 invalid."""
    d = rnd.randrange
    pick = d(100)
    if pick < 25:
        return f"+49 1{rnd.choice('567')}{d(10)} {d(10**7):07d}"  # DE mobile
    if pick < 40:
        return f"+33 {rnd.choice('67')} {d(100):02d} {d(100):02d} {d(100):02d} {d(100):02d}"  # FR mobile
    if pick < 52:
        return f"+447{d(7, 10)}{d(10**8):08d}"  # GB mobile, E.164
    if pick < 64:
        return f"+1 ({d(2, 10)}{d(10)}{d(10)}) {d(2, 10)}{d(10)}{d(10)}-{d(10**4):04d}"  # US/CA
    if pick < 72:
        return f"0034 6{d(10**8):08d}"  # ES mobile, 00 prefix
    if pick < 80:
        return f"+39 3{d(10)}{d(10)} {d(10**7):07d}"  # IT mobile
    if pick < 90:
        return f"+31 6 {d(10**8):08d}"  # NL mobile
    return rnd.choice(  # invalid: too short, national without --country, not a number, empty
        (f"+49178{d(1000)}", f"0171 {d(10**7):07d}", "n/a", "", f"+999 {d(10**6)}")
    )


def write_offline_csv(path: Path, rows: int, seed: int) -> None:
    rnd = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "name", "phone"])
        # Some names hold a comma, so the writer quotes them and the reader has real CSV to parse.
        out.writerows(
            (
                i + 1,
                f"{rnd.choice(LAST)}, {rnd.choice(FIRST)}" if i % 7 == 0 else f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
                _phone(rnd),
            )
            for i in range(rows)
        )


def data_rows(path: Path) -> int:
    """Output rows (header excluded); counting lines is exact here since no field holds a newline."""
    with open(path, "rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) - 1


# 1. Sync throughput -----------------------------------------------------------------------------------------------
def bench_sync(emu: Emulator, work: Path, cmd: list[str]) -> list[Figure]:
    print(f"\n1. sync throughput: hlrlookups, emulator latency {emu.latency * 1000:.0f} ms")
    figures = []
    for conc in SYNC_CONCURRENCY:
        count = max(100, 50 * conc)  # enough requests that start-up and the last round trip are a small share
        numbers = valid_numbers(count, seed=conc)
        home = work / f"sync-{conc}"
        home.mkdir()
        src, out = home / "in.csv", home / "out.csv"
        write_numbers_csv(src, numbers)
        emu.reset()
        argv = [*cmd, "batch", str(src), "-p", "hlrlookups", "--mode", "sync", "--concurrency", str(conc)]
        argv += ["-q", "-o", str(out)]
        run = run_hlrcli(argv, home, emu.env())
        lookups = sorted(r.time for r in emu.requests_to("/hlr-lookup", "hlrlookups"))
        charged = emu.charged_numbers("hlrlookups")
        if len(lookups) != count or len(charged) != count or max(charged.values()) != 1 or data_rows(out) != count:
            raise SystemExit(f"sync c={conc}: {len(lookups)} requests, {sum(charged.values())} charges for {count}")
        # The emulator logs receipt times; the last answer leaves one latency after the last receipt.
        phase = lookups[-1] + emu.latency - lookups[0]
        target = SYNC_EFFICIENCY * conc / emu.latency
        print(
            f"  c={conc:<3} {count} numbers: whole command {run.wall:.2f} s = start-up+ingest "
            f"{lookups[0] - run.started:.2f} + lookups {phase:.2f} + tail {run.ended - lookups[-1] - emu.latency:.2f}"
        )
        print(f"        {' '.join(argv[1:])}")
        rate = count / phase
        figures.append(
            show(Figure(f"sync c={conc} lookup phase (numbers/s)", f"{rate:.1f}", f"≥ {target:.0f}", rate >= target))
        )
        whole = count / run.wall
        figures.append(show(Figure(f"sync c={conc} whole command (numbers/s)", f"{whole:.1f}", "-", None)))
    return figures


# 2. Async pacing ----------------------------------------------------------------------------------------------------
def bench_async(emu: Emulator, work: Path, cmd: list[str], count: int) -> list[Figure]:
    requests = -(-count // SMSP_CHUNK)
    floor = requests * 60 / SMSP_LIMIT_RPM  # evenly spaced at the provider's limit
    print(
        f"\n2. async pacing: smspartner, {count:,} numbers → {requests} requests of {SMSP_CHUNK}, "
        f"limit {SMSP_LIMIT_RPM}/min (floor {floor:.1f} s), emulator latency {emu.latency * 1000:.0f} ms"
    )
    home = work / "async"
    home.mkdir()
    src, out = home / "in.csv", home / "out.csv"
    started = time.monotonic()
    write_numbers_csv(src, valid_numbers(count, seed=360))
    print(f"  (input written in {time.monotonic() - started:.1f} s)")
    emu.reset()
    emu.rate_limits["smspartner"] = SMSP_LIMIT_RPM
    argv = [*cmd, "batch", str(src), "-p", "smspartner", "--mode", "async", "-q", "-o", str(out)]
    run = run_hlrcli(argv, home, emu.env("smspartner"))
    notify = emu.requests_to("/hlr/notify", "smspartner")
    times = sorted(r.time for r in notify)
    refused = sum(1 for r in notify if r.status == 429)
    charged = emu.charged_numbers("smspartner")
    once = len(charged) == count and max(charged.values(), default=0) == 1
    if data_rows(out) != count:
        raise SystemExit(f"async: {data_rows(out)} output rows for {count} input rows")
    phase = times[-1] + emu.latency - times[0]
    pace = (len(times) - 1) / (times[-1] - times[0]) * 60 if len(times) > 1 else 0.0
    # The emulator counts 360 requests per sliding minute: 200 requests can never hit it, even all at once.
    # The busiest 10 s shows whether the client really spreads its requests: the pacer promises at most
    # W·350/60 + 6 in any W seconds (6: its catch-up burst), hence ≤ 356 in any minute.
    peak = max_in_window(times, PEAK_WINDOW)
    peak_max = int(PEAK_WINDOW * SMSP_PACE_RPM / 60 + SMSP_BURST + 1)
    print(
        f"  whole command {run.wall:.1f} s = start-up+ingest {times[0] - run.started:.1f} + submission "
        f"{phase:.1f} + tail {run.ended - times[-1] - emu.latency:.1f}; {len(notify)} requests, "
        f"mean pace {pace:.0f}/min"
    )
    print(f"        {' '.join(argv[1:])}")
    goal = floor * ASYNC_SLACK
    scaled = "" if count == ASYNC_NUMBERS else f" ({count // 1000}k, --quick)"
    return [
        show(Figure(f"async wall time{scaled} (s)", f"{run.wall:.1f}", f"≤ {goal:.1f}", run.wall <= goal)),
        show(Figure(f"async submission phase{scaled} (s)", f"{phase:.1f}", f"≤ {goal:.1f}", phase <= goal)),
        show(Figure("async 429 answers", str(refused), "0", refused == 0)),
        show(
            Figure(
                f"async busiest {PEAK_WINDOW:.0f} s (requests)",
                f"{peak}",
                f"≤ {peak_max}",
                peak <= peak_max,
            )
        ),
        show(
            Figure(
                "async numbers charged (distinct, max per number)",
                f"{len(charged):,}, {max(charged.values(), default=0)}",
                f"{count:,}, 1",
                once,
            )
        ),
    ]


def max_in_window(times: list[float], window: float) -> int:
    """The most receipt times (sorted) that fall in any `window` seconds."""
    best, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


# 3. Offline memory and time ---------------------------------------------------------------------------------------
def bench_rss(work: Path, cmd: list[str], sizes: tuple[int, ...]) -> list[Figure]:
    print(f"\n3. offline memory and time: NT checks, process tree sampled every {SAMPLE_EVERY * 1000:.0f} ms")
    trees: dict[int, TreeSampler] = {}
    walls: dict[int, float] = {}
    for rows in sizes:
        home = work / f"offline-{rows}"
        home.mkdir()
        src, out = home / "in.csv", home / "out.csv"
        started = time.monotonic()
        write_offline_csv(src, rows, seed=rows)
        print(f"  ({rows:,} rows, {src.stat().st_size / 1e6:.0f} MB, written in {time.monotonic() - started:.1f} s)")
        argv = [*cmd, "batch", str(src), "-p", "offline", "-t", "nt", "-q", "-o", str(out)]
        run = run_hlrcli(argv, home, {}, sample=True)
        if data_rows(out) != rows:
            raise SystemExit(f"offline: {data_rows(out)} output rows for {rows} input rows")
        tree = run.tree
        assert tree is not None
        workers = len(tree.cpu_ticks) - 1
        print(
            f"  {rows:>9,} rows: {run.wall:6.1f} s, {rows / run.wall:,.0f} rows/s; peak RSS tree "
            f"{tree.tree_kb / 1024:.0f} MiB (PSS {tree.pss_kb / 1024:.0f} MiB), main {tree.main_kb / 1024:.0f} MiB; "
            f"CPU main {tree.main_cpu:.1f} s, {workers} workers {tree.others_cpu:.1f} s"
        )
        print(f"        {' '.join(argv[1:])}")
        trees[rows], walls[rows] = tree, run.wall
        for path in (src, out):  # the 1M-row files are large: do not keep them for the rest of the run
            path.unlink()
    figures = []
    for rows, tree in trees.items():
        size = f"{rows // 1000}k" if rows < 1_000_000 else f"{rows // 1_000_000}M"
        figures.append(show(Figure(f"offline {size} peak RSS, tree (MiB)", f"{tree.tree_kb / 1024:.0f}", "-", None)))
        figures.append(show(Figure(f"offline {size} peak RSS, main (MiB)", f"{tree.main_kb / 1024:.0f}", "-", None)))
        figures.append(show(Figure(f"offline {size} wall time (s)", f"{walls[rows]:.1f}", *_wall_goal(rows, walls))))
    small, large = trees.get(RSS_ROWS[0]), trees.get(RSS_ROWS[1])
    if small and large:
        ratio = large.tree_kb / small.tree_kb
        goal = f"≤ {RSS_RATIO_MAX}"
        figures.append(
            show(Figure("offline peak RSS ratio 1M/100k, tree", f"{ratio:.2f}", goal, ratio <= RSS_RATIO_MAX))
        )
        # The target is on the whole tree; the main process alone is shown to tell where growth would be.
        ratio = large.main_kb / small.main_kb
        figures.append(show(Figure("offline peak RSS ratio 1M/100k, main", f"{ratio:.2f}", "-", None)))
    return figures


def _wall_goal(rows: int, walls: dict[int, float]) -> tuple[str, bool | None]:
    if rows == RSS_ROWS[1]:
        return f"≤ {RSS_1M_SECONDS_MAX:.0f}", walls[rows] <= RSS_1M_SECONDS_MAX
    return "-", None


# Main -------------------------------------------------------------------------------------------------------------
def revision() -> str:
    """The commit measured, marked when the working tree differs: figures are only comparable with that."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "hlrcli"], capture_output=True)
    except OSError:
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + (" + local changes in hlrcli/" if dirty.stdout.strip() else "")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def summary(figures: list[Figure]) -> None:
    header = f"{'figure':<50}{'measured':>14}  {'target':<16}result"
    print("\nsummary")
    print(header)
    print("-" * len(header))
    for f in figures:
        print(f"{f.name:<50}{f.value:>14}  {f.target:<16}{f.result}")


def parts(args: argparse.Namespace, emu: Emulator, work: Path, cmd: list[str]) -> list[Callable[[], list[Figure]]]:
    wanted = set(args.only.split(",")) if args.only else {"sync", "async", "rss"}
    count = ASYNC_NUMBERS_QUICK if args.quick else ASYNC_NUMBERS
    sizes = RSS_ROWS[:1] if args.quick else RSS_ROWS
    chosen = {
        "sync": lambda: bench_sync(emu, work, cmd),
        "async": lambda: bench_async(emu, work, cmd, count),
        "rss": lambda: bench_rss(work, cmd, sizes),
    }
    return [run for name, run in chosen.items() if name in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure hlrcli batch against the emulator and offline.")
    parser.add_argument("--quick", action="store_true", help="async on 20,000 numbers; skip the 1M-row offline run")
    parser.add_argument("--only", metavar="PARTS", help="comma-separated subset of: sync, async, rss")
    parser.add_argument("--latency", type=float, default=LATENCY, help="emulator latency in seconds (default 0.1)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.only and not set(args.only.split(",")) <= {"sync", "async", "rss"}:
        parser.error("--only takes sync, async and/or rss")

    cmd = hlrcli_command()
    print(f"command: {cmd[0]}   code: {revision()}   cpus: {os.cpu_count()}   load average at start: {load()}")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="hlrcli-bench-") as tmp, Emulator(latency=args.latency) as emu:
        for part in parts(args, emu, Path(tmp), cmd):
            figures += part()
    print(f"\nload average at end: {load()}")
    summary(figures)
    missed = any(f.ok is False for f in figures)
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
