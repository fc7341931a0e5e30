#!/usr/bin/env python3
"""Offline batch figures (issue 13): hlrcli's CPU and wall time per row against a plain libphonenumber loop.

    python bench/offline.py                    # 1k, 10k, 100k and 1M rows (about 4 minutes on 2 cores)
    python bench/offline.py --quick            # 1k, 10k and 100k rows
    python bench/offline.py --sizes 20000      # the sizes you name (comma-separated)
    python bench/offline.py --compare HEAD~3   # also run hlrcli as of a git revision, and cmp the outputs
    python bench/offline.py --write-input big.csv --rows 1000000   # only write the input file

Each size gets one reproducible input (seeded): valid mobiles and landlines of several countries, +1 numbers
of several NANPA regions, toll-free and premium numbers, national numbers written without a country, numbers
written as bare international digits, invalid cells (too short, too long, unknown country code, words,
empty), repeats of earlier numbers in other spellings, and extra columns (some quoted, a few holding newlines).
No cell starts with a character that makes it "not a number" under the input rule of hlrcli.numbers, so
outputs of code from before and after that rule can be compared byte for byte.

Per size, in the same run and in turn:
  * the baseline: one process, one core, reading the same CSV and calling `phonenumbers.parse`,
    `is_valid_number` and `number_type` on each number cell (no output written);
  * `hlrcli batch IN -p offline -t nt -q -o OUT`, the installed console script in a fresh process;
  * with --compare, the same command on the code of that revision (`git archive` into a temporary directory,
    put first on PYTHONPATH), and a byte comparison of the two outputs.
CPU is user + system of the whole process tree (its own and its waited-for workers', from wait4); peak RSS
is sampled from /proc over the process tree (summed) every 50 ms. The machine may be shared: the load
average is printed, and ratios between runs of the same size are the figures to quote, not seconds.

These are figures, not tests: nothing here fails on a slow run.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000, 100_000)
SAMPLE_EVERY = 0.05  # seconds between /proc samples of a run's process tree
TICKS = os.sysconf("SC_CLK_TCK")

# The plain loop hlrcli is measured against: the least any offline check must do for each number.
BASELINE = r"""
import csv, sys
import phonenumbers
from phonenumbers import NumberParseException, is_valid_number, number_type, parse

with open(sys.argv[1], encoding="utf-8", newline="") as fh:
    rows = csv.reader(fh)
    column = next(rows).index("phone")
    for cells in rows:
        try:
            pn = parse(cells[column], None)
        except NumberParseException:
            continue
        is_valid_number(pn)
        number_type(pn)
"""


# Input ---------------------------------------------------------------------------------------------------------
FIRST = ("Anna", "Lukas", "Marie", "Jean", "Sophie", "Oliver", "Emma", "Liam", "Lucía", "Giulia", "Daan", "Noah")
LAST = ("Schmidt", "Müller", "Martin", "Dubois", "Smith", "Jones", "García", "Rossi", "de Vries", "O'Brien")
CITIES = ("Berlin", "Paris", "London", "New York", "Toronto", "Madrid", "Roma", "Amsterdam", "São Paulo", "Zürich")
# Real NANPA area codes: US, Canada and Caribbean regions, so that the +1 region search has work to do.
NANPA = ("212", "415", "646", "305", "312", "617", "713", "202", "416", "604", "514", "876", "787", "268", "441")


def _digits(rnd: random.Random, n: int) -> str:
    return f"{rnd.randrange(10**n):0{n}d}"


def _spell(rnd: random.Random, cc: str, nsn: str) -> str:
    """One international number written the ways people type them."""
    style = rnd.randrange(10)
    if style < 4:
        return f"+{cc}{nsn}"
    if style < 6:
        return f"+{cc} {nsn[:3]} {nsn[3:]}"
    if style == 6:
        return f"00{cc} {nsn}"
    if style == 7:
        return f"+{cc}-{nsn[:2]}-{nsn[2:6]}-{nsn[6:]}"
    if style == 8:
        return f" +{cc} ({nsn[:3]}) {nsn[3:]} "
    return f"tel:+{cc}{nsn}"


def _number(rnd: random.Random) -> str:
    d = lambda n: _digits(rnd, n)  # noqa: E731 - a short local alias keeps the table below readable
    pick = rnd.randrange(1000)
    if pick < 180:
        return _spell(rnd, "49", f"1{rnd.choice('567')}{rnd.randrange(10)}{d(7)}")  # DE mobile
    if pick < 240:
        return _spell(rnd, "49", rnd.choice(("30", "89", "40", "221", "69")) + d(7))  # DE landline
    if pick < 320:
        return _spell(rnd, "33", f"{rnd.choice('67')}{d(8)}")  # FR mobile
    if pick < 350:
        return _spell(rnd, "33", f"{rnd.choice('12345')}{d(8)}")  # FR landline
    if pick < 420:
        return _spell(rnd, "44", f"7{rnd.randrange(4, 10)}{d(8)}")  # GB mobile
    if pick < 450:
        return _spell(rnd, "44", rnd.choice(("20", "161", "131", "117")) + d(7))  # GB landline (+ crown dep.)
    if pick < 580:
        npa = rnd.choice(NANPA)  # NANPA: US, CA, JM, PR, AG, BM
        exchange = f"{rnd.randrange(2, 10)}{d(2)}"
        form = rnd.randrange(4)
        if form == 0:
            return f"+1 ({npa}) {exchange}-{d(4)}"
        if form == 1:
            return f"1-{npa}-{exchange}-{d(4)}"  # bare digits: read as international by hlrcli
        return f"+1{npa}{exchange}{d(4)}"
    if pick < 620:
        return _spell(rnd, "34", f"6{d(8)}")  # ES mobile
    if pick < 660:
        return _spell(rnd, "39", f"3{d(9)}")  # IT mobile
    if pick < 690:
        return _spell(rnd, "31", f"6{d(8)}")  # NL mobile
    if pick < 710:
        return _spell(rnd, "55", f"11 9{d(8)}")  # BR mobile
    if pick < 730:
        return _spell(rnd, "91", f"{rnd.choice('6789')}{d(9)}")  # IN mobile
    if pick < 745:
        return _spell(rnd, "7", f"9{d(9)}")  # RU (+7 shared with KZ)
    if pick < 760:
        return _spell(rnd, "61", f"4{d(8)}")  # AU mobile (+61 shared with CC, CX)
    if pick < 770:
        return _spell(rnd, "81", f"90{d(8)}")  # JP mobile
    if pick < 780:
        return _spell(rnd, "262", f"69{d(7)}")  # RE/YT
    if pick < 800:
        return rnd.choice((f"+1 800 {d(7)}", f"+49 800 {d(7)}", f"+44 800 {d(6)}", f"+44 9{d(9)}", f"+49 900{d(7)}"))
    if pick < 860:  # national spellings, no country given: invalid unless they read as international
        return rnd.choice((f"0171 {d(7)}", f"030 {d(8)}", f"06 {d(2)} {d(2)} {d(2)} {d(2)}", f"(415) 555-{d(4)}"))
    if pick < 880:
        return f"{rnd.choice(('49', '33', '44'))}{rnd.choice('167')}{d(9)}"  # bare international digits
    return rnd.choice(  # invalid: too short, too long, unknown country code, words, empty, junk
        (f"+49178{d(3)}", f"+49 171 {d(12)}", f"+999 {d(6)}", "n/a", "", "unknown", f"+{d(2)}", "()", "  ")
    )


def write_input(path: Path, rows: int, seed: int = 13) -> None:
    rnd = random.Random(seed)
    recent: list[str] = []
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "name", "email", "phone", "city", "notes"])
        for i in range(rows):
            # About 1 row in 8 repeats a number seen shortly before, as exports of merged lists do.
            if recent and rnd.randrange(8) == 0:
                phone = rnd.choice(recent)
            else:
                phone = _number(rnd)
                recent.append(phone)
                if len(recent) > 500:
                    recent.pop(rnd.randrange(500))
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            name = f"{last}, {first}" if i % 7 == 0 else f"{first} {last}"
            note = ("", "", "", "VIP", 'said "call later"', "line one\nline two")[rnd.randrange(6)] if i % 3 else ""
            out.writerow([i + 1, name, f"{first.lower()}.{i}@example.com", phone, rnd.choice(CITIES), note])


# Running ---------------------------------------------------------------------------------------------------------
def hlrcli_command() -> list[str]:
    # The console script a user runs: PATH first, then the one next to this Python (a venv not activated).
    found = shutil.which("hlrcli") or shutil.which("hlrcli", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "hlrcli"]


def _tree_rss_kb(root: int) -> int:
    """RSS summed over `root` and its descendants (workers share pages with it: an upper bound)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    stat = fh.read()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[stat.rfind(b")") + 2 :].split()[1])
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status", "rb") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith(b"VmRSS:")), 0)
        except OSError:
            pass
    return total


@dataclass(frozen=True)
class Run:
    cpu: float  # user + system seconds of the process tree
    wall: float
    rss_mib: float  # peak of the summed RSS of the tree


def run(argv: list[str], env: dict[str, str], cwd: Path) -> Run:
    """Run to completion; a failing run stops the benchmark (a fast failure is no figure)."""
    err_path = cwd / "stderr.txt"
    with open(err_path, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        peak = 0
        while True:
            # wait4, not Popen.wait: its rusage covers the child and every worker it waited for.
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(SAMPLE_EVERY)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{err_path.read_text(errors='replace')}")
    return Run(usage.ru_utime + usage.ru_stime, wall, max(peak, usage.ru_maxrss) / 1024)


# Settings of the caller's shell that would change what is measured.
_OWN_PREFIXES = ("HLRCLI_", "HLR_LOOKUPS_", "SMSPARTNER_", "AFFILIATE_SMS_")


def run_env(home: Path, pythonpath: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES) and k != "PYTHONPATH"}
    env["HLRCLI_HOME"] = str(home / "state")
    env["HLRCLI_CONFIG"] = str(home / "config.toml")  # does not exist: no user config file
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def checkout(ref: str, into: Path) -> Path:
    """The hlrcli package as of `ref`, importable from `into` (put first on PYTHONPATH)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "hlrcli"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def same_bytes(a: Path, b: Path) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


# Report --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Size:
    rows: int
    baseline: Run
    hlrcli: Run
    ref: Run | None
    identical: bool | None


def median_run(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.cpu for r in runs),
        statistics.median(r.wall for r in runs),
        statistics.median(r.rss_mib for r in runs),
    )


def label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 and rows % 1_000_000 == 0 else f"{rows:,}"


def us(seconds: float, rows: int) -> str:
    return f"{seconds / rows * 1e6:.1f}"


def report(sizes: list[Size], cores: int, empty: Size) -> None:
    print(
        "\nper row (µs) and ratios, medians of the runs; base = the plain loop (parse + is_valid_number + "
        f"number_type) on one core; N = {cores} cores"
    )
    header = (
        f"{'rows':>10}{'base CPU':>10}{'CPU':>8}{'CPU/base':>10}{'wall':>8}{'wall/(base÷N)':>15}"
        f"{'peak MiB':>10}{'ref CPU':>9}{'ref wall':>10}{'CPU/ref':>9}  output"
    )
    print(header)
    print("-" * len(header))
    for s in sizes:
        b, h, r = s.baseline, s.hlrcli, s.ref
        line = (
            f"{label(s.rows):>10}{us(b.cpu, s.rows):>10}{us(h.cpu, s.rows):>8}{h.cpu / b.cpu:>10.2f}"
            f"{us(h.wall, s.rows):>8}{h.wall / (b.cpu / cores):>15.2f}{h.rss_mib:>10.0f}"
        )
        if r is not None:
            line += f"{us(r.cpu, s.rows):>9}{us(r.wall, s.rows):>10}{h.cpu / r.cpu:>9.2f}"
            line += "  identical" if s.identical else "  DIFFERENT"
        else:
            line += f"{'-':>9}{'-':>10}{'-':>9}  -"
        print(line)
    e = empty
    print(
        f"\nstart-up (a header-only input): hlrcli CPU {e.hlrcli.cpu * 1000:.0f} ms, wall {e.hlrcli.wall * 1000:.0f} "
        f"ms, {e.hlrcli.rss_mib:.0f} MiB; the baseline's CPU {e.baseline.cpu * 1000:.0f} ms"
    )
    print(
        "\nscaling: the cost of the rows added since the size before (0 rows: start-up only), per row; ratio: "
        "that against the same figure one size down (1.00 = linear); peak RSS against the size before"
    )
    header = f"{'rows':>10}{'CPU µs/row':>12}{'ratio':>7}{'wall µs/row':>13}{'ratio':>7}{'peak RSS':>10}"
    print(header)
    print("-" * len(header))
    before: tuple[float, float] | None = None
    for prev, s in itertools.pairwise([empty, *sizes]):
        added = s.rows - prev.rows
        cpu = (s.hlrcli.cpu - prev.hlrcli.cpu) / added * 1e6
        wall = (s.hlrcli.wall - prev.hlrcli.wall) / added * 1e6
        ratios = (f"{cpu / before[0]:>7.2f}", f"{wall / before[1]:>7.2f}") if before else (f"{'-':>7}", f"{'-':>7}")
        rss = f"{s.hlrcli.rss_mib / prev.hlrcli.rss_mib:>10.2f}"
        print(f"{label(s.rows):>10}{cpu:>12.1f}{ratios[0]}{wall:>13.1f}{ratios[1]}{rss}")
        before = (cpu, wall)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(
    rows: int, work: Path, args: argparse.Namespace, cmd: list[str], ref_path: Path | None, quiet: bool = False
) -> Size:
    """Baseline, hlrcli (and the reference revision) on one input, in turn, `args.runs` times; medians."""
    src = work / f"in-{rows}.csv"
    write_input(src, rows, args.seed)
    extra = ["--country", args.country] if args.country else []
    out, ref_out = work / f"out-{rows}.csv", work / f"out-{rows}-ref.csv"
    argv = [*cmd, "batch", str(src), "-p", "offline", "-t", "nt", "-q", "-o", str(out), *extra]
    env = run_env(work)
    bases, mine, refs = [], [], []
    identical = None
    for _ in range(args.runs):
        bases.append(run([sys.executable, "-c", BASELINE, str(src)], env, work))
        mine.append(run(argv, env, work))
        if ref_path is not None:
            ref_argv = [sys.executable, "-m", "hlrcli", *argv[len(cmd) :]]
            ref_argv[ref_argv.index(str(out))] = str(ref_out)
            refs.append(run(ref_argv, run_env(work, ref_path), work))
            identical = same_bytes(out, ref_out) and identical is not False
    base, hlr = median_run(bases), median_run(mine)
    ref = median_run(refs) if refs else None
    if not quiet:
        print(
            f"  {label(rows):>9} rows ({src.stat().st_size / 1e6:.1f} MB): baseline CPU {base.cpu:.2f} s; "
            f"hlrcli CPU {hlr.cpu:.2f} s, wall {hlr.wall:.2f} s, peak {hlr.rss_mib:.0f} MiB"
            + (f"; ref CPU {ref.cpu:.2f} s, wall {ref.wall:.2f} s" if ref else "")
            + (f"   (load {load()})"),
            flush=True,
        )
    if not args.keep:
        for path in (src, out, ref_out):
            path.unlink(missing_ok=True)
    return Size(rows, base, hlr, ref, identical)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Offline batch: hlrcli against a plain libphonenumber loop.")
    parser.add_argument("--quick", action="store_true", help="sizes 1k, 10k and 100k")
    parser.add_argument("--sizes", help="comma-separated row counts (default 1000,10000,100000,1000000)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each command per size (medians are shown)")
    parser.add_argument("--compare", metavar="REF", help="also run hlrcli as of this git revision; cmp the outputs")
    parser.add_argument("--country", help="pass --country to hlrcli (the baseline ignores it)")
    parser.add_argument("--keep", metavar="DIR", type=Path, help="keep inputs and outputs in DIR")
    parser.add_argument("--write-input", metavar="PATH", type=Path, help="only write an input file and exit")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for --write-input")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    if args.write_input:
        write_input(args.write_input, args.rows, args.seed)
        return 0
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    default = QUICK_SIZES if args.quick else DEFAULT_SIZES
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(default)
    cmd = hlrcli_command()
    cores = os.cpu_count() or 1
    print(f"command: {' '.join(cmd)}   cpus: {cores}   runs: {args.runs}   load average at start: {load()}")
    results: list[Size] = []
    with tempfile.TemporaryDirectory(prefix="hlrcli-offline-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        ref_path = checkout(args.compare, Path(tmp)) if args.compare else None
        empty = measure(0, work, args, cmd, None, quiet=True)
        for rows in sizes:
            results.append(measure(rows, work, args, cmd, ref_path))
    print(f"\nload average at end: {load()}")
    report(results, cores, empty)
    return 0


if __name__ == "__main__":
    sys.exit(main())
