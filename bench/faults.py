#!/usr/bin/env python3
"""Fault matrix (issue 8): kill -9 at random points × fault kinds × provider and mode, then the documented recovery.

    python bench/faults.py                 # 4 providers/modes × 4 fault kinds × 2 runs (a few minutes on 2 cores)
    python bench/faults.py --quick         # 3 fault kinds, 1 run each, fewer numbers (about a minute)
    python bench/faults.py --runs 5 --numbers 400 --seed 7 --rate 0.3
    python bench/faults.py --only smspartner-async --faults drop,gateway -v

One run of one cell (provider/mode × fault kind), each in its own temporary HLRCLI_HOME:

1. the emulator (tests/emulator, in this process) with the cell's random fault at `--rate` after processing (the
   request is processed and billed, then its answer is lost: dropped connection; a truncated, list-shaped or empty
   body; a gateway's 502/504 page) or, for `refused`, before processing (a provider-shaped 503, not billed);
   a webhook receiver (`hlrcli webhook serve`'s server, in a thread, on the same store, durable);
2. an input CSV: valid German mobiles, a few invalid rows and duplicates;
3. `python -m hlrcli batch IN -p P --mode M --job J -o OUT -q`, killed with SIGKILL after a random number of
   charges; the first `--resume` is killed the same way (`--kills`);
4. the recovery the README documents: `--resume` again while it exits 1 (or was killed) and makes progress, with
   the faults still on, then with them off; the webhooks and notifications are awaited; `hlrcli jobs poll J`
   (affiliate); `hlrcli jobs results J [--wait --timeout T] --partial -o RESULTS`; `hlrcli jobs show J -f json`;
5. what is left uncertain (sent, answer lost, no late result) gets the last documented step,
   `--resume --resubmit-uncertain`, which may pay twice (hlrlookups, smspartner; affiliate resends for free).

Measured per run, summed per cell: rows lost (input rows missing or out of order in the final results), numbers
charged twice by the emulator before --resubmit-uncertain, rows left PENDING, numbers left failed and uncertain,
numbers charged twice after --resubmit-uncertain (the documented risk), and the job's recorded cost (billed +
maybe billed, `jobs show`) against what the emulator charged. Exit 1 when a row is lost, a number is charged twice
before --resubmit-uncertain, a row is left PENDING, or the recorded cost is below what was charged.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # `python bench/faults.py` puts bench/ first on sys.path, not the repo root


from hlrcli.config import Settings  # noqa: E402
from hlrcli.store import Store  # noqa: E402
from hlrcli.webhook.server import WebhookServer, make_server  # noqa: E402
from tests.emulator import Emulator  # noqa: E402
from tests.emulator.affiliate import PRICE as AFFILIATE_PRICE  # noqa: E402
from tests.emulator.data import HLR_COST  # noqa: E402
from tests.emulator.smspartner import HLR_PRICE as SMSPARTNER_PRICE  # noqa: E402
from tests.test_batch import numbers as valid_numbers  # noqa: E402

TOKEN = "bench-faults-webhook-token-0123456789"  # HLRCLI_WEBHOOK_TOKEN: the receiver's token, known in advance
AFFILIATE_CHUNKS = 6  # affiliate's chunk size is set so that a run has about this many chunks
MAX_RESUMES = 6  # `--resume` runs per phase (faults on, faults off) while they make progress
RESULTS_TIMEOUT = 20.0  # `jobs results --wait --timeout` (async jobs)
DELIVERY_TIMEOUT = 30.0  # seconds to wait for the emulator's webhooks and notifications
COST_SLACK = 1e-6  # EUR: rounding in the answers' cost fields
# Settings that would otherwise leak from the caller's shell into the runs and change what is measured.
OWN_PREFIXES = ("HLRCLI_", "HLR_LOOKUPS_", "SMSPARTNER_", "AFFILIATE_SMS_")


# The matrix -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A provider in a batch mode, and how its results come back."""

    provider: str
    mode: str
    results_by: str  # "answer" (sync), "webhook", "notification", "poll"
    price: float  # EUR per number, as the emulator charges it
    chunk: int  # numbers per billed request (1: sync)

    @property
    def name(self) -> str:
        return f"{self.provider}-{self.mode}"


TARGETS = (
    Target("hlrlookups", "sync", "answer", float(HLR_COST), 1),
    Target("hlrlookups", "async", "webhook", float(HLR_COST), 1000),
    Target("smspartner", "async", "notification", float(SMSPARTNER_PRICE), 500),
    Target("affiliate", "async", "poll", float(AFFILIATE_PRICE), 0),  # chunk: set per run
)


@dataclass(frozen=True)
class FaultKind:
    name: str
    rate_setting: str  # the emulator's random rate it is drawn by
    kinds: tuple[str, ...] = ()  # malformed_kinds, for the broken answers


FAULTS = (
    FaultKind("drop", "drop_rate"),
    FaultKind("malformed", "malformed_rate", ("truncated", "list", "empty")),
    FaultKind("gateway", "malformed_rate", ("gateway502", "gateway504")),
    FaultKind("refused", "fail_rate"),
)
QUICK_FAULTS = ("drop", "malformed", "gateway")


@dataclass
class Figures:
    """One cell's figures, summed over its runs."""

    runs: int = 0
    numbers: int = 0  # distinct valid numbers in the inputs
    rows: int = 0  # input rows
    kills: int = 0  # SIGKILLs that landed while the batch was running
    faults: int = 0  # random faults that struck (emulator's count)
    lost: int = 0  # input rows missing or out of order in the final results
    twice: int = 0  # numbers charged more than once, before --resubmit-uncertain
    pending: int = 0  # rows PENDING in the final results
    failed: int = 0  # numbers left failed (refused, not resent)
    uncertain: int = 0  # numbers left uncertain before --resubmit-uncertain
    uncertain_after: int = 0
    pending_after: int = 0
    twice_after: int = 0  # numbers charged twice after --resubmit-uncertain (the documented risk)
    recorded: float = 0.0  # EUR, billed + maybe billed as the job records it (at the end)
    charged: float = 0.0  # EUR, as the emulator charged
    cost_short: int = 0  # checks (before and after --resubmit-uncertain) where recorded < charged
    unpriced: int = 0  # numbers the job says were billed at a price no answer told (SMS Partner, answers lost)
    notes: list[str] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for f in fields(self):
            if f.name == "notes":
                self.notes.extend(other.notes)
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def bad(self) -> bool:
        """What must never happen: a row lost, a number paid twice unasked, a row left PENDING, cost under-recorded."""
        return bool(self.lost or self.twice or self.pending or self.pending_after or self.cost_short)


# Input ----------------------------------------------------------------------------------------------------------
def input_rows(count: int, rng: random.Random) -> tuple[list[list[str]], int]:
    """`count` distinct valid numbers, plus a few invalid rows and duplicates at random places."""
    nums = valid_numbers(count, start=rng.randrange(0, 5_000_000))
    cells = list(nums)
    extras = ["not a phone", "+49", "12345", *rng.sample(nums, k=min(len(nums), max(2, count // 50)))]
    for extra in extras:
        cells.insert(rng.randrange(1, len(cells) + 1), extra)
    return [[f"r{i}", cell] for i, cell in enumerate(cells)], len(nums)


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "phone"])
        w.writerows(rows)


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# One run's world: emulator, receiver, home, hlrcli in a subprocess --------------------------------------------
class World:
    """The emulator, the webhook receiver and the hlrcli commands of one run."""

    def __init__(self, tmp: Path, emu: Emulator, target: Target, job: str, verbose: bool) -> None:
        self.tmp, self.emu, self.target, self.job, self.verbose = tmp, emu, target, job, verbose
        self.home = tmp / "home"
        self.src, self.out, self.results = tmp / "in.csv", tmp / "out.csv", tmp / "results.csv"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
        self.env.update(emu.env())
        self.env.update(
            HLRCLI_HOME=str(self.home),
            HLRCLI_CONFIG=str(tmp / "config.toml"),  # does not exist: no user config file
            HLRCLI_WEBHOOK_TOKEN=TOKEN,
        )
        self.notes: list[str] = []
        self.receiver: WebhookServer | None = None

    @contextmanager
    def receiving(self) -> Iterator[None]:
        """`hlrcli webhook serve`'s server on the run's store, for the hlrlookups webhooks and smspartner notes."""
        settings = Settings.load(env=self.env, cwd=self.tmp)
        store = Store.open(settings.home(), durable=True)
        self.receiver = make_server(settings, store, "127.0.0.1", 0, "/hlrcli")
        self.receiver.start()
        self.emu.webhook_urls["hlrlookups"] = [self.receiver.endpoint("hlrlookups")]
        try:
            yield
        finally:
            if not self.receiver.stop(grace=5):
                self.notes.append("webhook receiver: a request was still running at stop")
            store.close()

    def counts(self) -> dict[str, int]:
        with closing(Store.open(self.home)) as store:
            return {state.value: n for state, n in store.counts(self.job).items()}

    def batch_args(self, *extra: str) -> list[str]:
        t = self.target
        args = ["batch", str(self.src), "-p", t.provider, "--mode", t.mode, "--job", self.job]
        if t.results_by == "notification" and self.receiver is not None:
            args += ["--notify-url", f"{self.receiver.endpoint('smspartner')}?token={TOKEN}"]
        return [*args, "-o", str(self.out), "-q", *extra]

    def spawn(self, args: list[str]) -> subprocess.Popen[bytes]:
        if self.verbose:
            print(f"      $ hlrcli {' '.join(args).replace(str(self.tmp), '$TMP')}", flush=True)
        with open(self.tmp / "stderr.txt", "ab") as log:  # a file, not a pipe: nothing blocks, however much
            # cwd=tmp: no .env from the caller's directory; stdin closed: never a question.
            return subprocess.Popen(
                [sys.executable, "-m", "hlrcli", *args],
                cwd=self.tmp,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def hlrcli(self, *args: str, timeout: float = 300) -> int:
        proc = self.spawn(list(args))
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            self.notes.append(f"`hlrcli {args[0]} {args[1] if len(args) > 1 else ''}` timed out after {timeout:g} s")
            return -1
        return code

    def show(self) -> dict[str, Any]:
        """`hlrcli jobs show J -f json`."""
        proc = subprocess.run(
            [sys.executable, "-m", "hlrcli", "jobs", "show", self.job, "-f", "json"],
            cwd=self.tmp,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            self.notes.append(f"jobs show exited {proc.returncode}: {proc.stderr.decode(errors='replace')[:200]}")
            return {}
        [shown] = json.loads(proc.stdout)
        return dict(shown)

    def stderr_problems(self) -> None:
        text = (self.tmp / "stderr.txt").read_text(errors="replace") if (self.tmp / "stderr.txt").exists() else ""
        for marker in ("Traceback", "internal error"):
            if marker in text:
                line = next(ln for ln in text.splitlines() if marker in ln)
                self.notes.append(f"stderr: {line.strip()[:160]}")


# Steps ----------------------------------------------------------------------------------------------------------
def batch_killed(world: World, rng: random.Random, distinct: int, *extra: str) -> tuple[int, bool]:
    """Run the batch and SIGKILL it after a random number of further charges; (exit code, killed)."""
    p = world.target.provider
    charged = len(world.emu.charged_numbers(p))
    if distinct - charged < 1:
        return world.hlrcli(*world.batch_args(*extra)), False
    goal = world.emu.charge_count(p) + rng.randint(1, distinct - charged)
    proc = world.spawn(world.batch_args(*extra))
    deadline = time.monotonic() + 120
    while proc.poll() is None and world.emu.charge_count(p) < goal and time.monotonic() < deadline:
        time.sleep(0.002)
    # A little later, sometimes: the answer in flight may or may not have been recorded yet.
    time.sleep(rng.uniform(0, 2 * world.emu.latency))
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    code = proc.wait()
    if code not in (0, 1, 130, -signal.SIGKILL):
        world.notes.append(f"batch {' '.join(extra)} exited {code}")
    if world.verbose:
        print(f"        {'killed at ' + str(world.emu.charge_count(p)) + ' charges' if killed else f'exit {code}'}")
    return code, killed


def resume_while_progress(world: World, rng: random.Random, distinct: int, kills: int) -> int:
    """`--resume` while it exits 1 (or is killed) and the journal moves; returns the kills that landed."""
    landed = 0
    for attempt in range(MAX_RESUMES):
        before = world.counts()
        if attempt < kills:
            code, killed = batch_killed(world, rng, distinct, "--resume")
            landed += killed
        else:
            code, killed = world.hlrcli(*world.batch_args("--resume")), False
            if world.verbose:
                print(f"        exit {code} {world.counts()}")
        if code == 0:
            break
        if code not in (1, 130, -signal.SIGKILL):
            if not killed:
                world.notes.append(f"--resume exited {code}")
            break
        if not killed and world.counts() == before:
            break
    return landed


def await_results(world: World) -> None:
    """Webhooks and notifications delivered; `jobs poll` (affiliate); `jobs results … -o RESULTS`."""
    if not world.emu.wait_deliveries(DELIVERY_TIMEOUT):
        world.notes.append(f"deliveries still queued after {DELIVERY_TIMEOUT:g} s")
    if world.target.results_by == "poll":
        world.hlrcli("jobs", "poll", world.job)
    args = ["jobs", "results", world.job, "--partial", "-o", str(world.results)]
    if world.target.mode == "async":  # a sync job's results are all in the store: nothing can arrive later
        args += ["--wait", "--timeout", f"{RESULTS_TIMEOUT:g}", "--interval", "0.2"]
    world.results.unlink(missing_ok=True)
    world.hlrcli(*args)


def rows_lost(expected: list[list[str]], got: list[dict[str, str]]) -> int:
    """Input rows not found at their place in the output (missing, or out of order), plus any extra row."""
    pairs = [(r.get("id"), r.get("phone")) for r in got]
    misplaced = sum(1 for i, (rid, phone) in enumerate(expected) if i >= len(pairs) or pairs[i] != (rid, phone))
    return misplaced + max(0, len(pairs) - len(expected))


def state_count(shown: dict[str, Any], state: str) -> int:
    """How many numbers are in `state`, from `jobs show`'s "numbers_by_state" ("done 5, uncertain 1")."""
    m = re.search(rf"\b{state} (\d+)", str(shown.get("numbers_by_state", "")))
    return int(m.group(1)) if m else 0


def recorded_cost(shown: dict[str, Any]) -> float:
    """`jobs show`'s cost: billed (the first figure of the cost text) + maybe billed."""
    text = str(shown.get("cost") or "0")
    return float(text.split()[0]) + float(shown.get("maybe_billed") or 0.0)


def unpriced(shown: dict[str, Any]) -> int:
    """Numbers `jobs show` counts as billed at a price no answer has told (the cost text says how many)."""
    m = re.search(r"(\d+) numbers billed at a price no answer has told", str(shown.get("cost") or ""))
    return int(m.group(1)) if m else 0


def charged_twice(emu: Emulator, provider: str) -> int:
    return sum(1 for n in emu.charged_numbers(provider).values() if n > 1)


@dataclass(frozen=True)
class Snapshot:
    """What the final results, `jobs show` and the emulator's ledger say at one point of the recovery."""

    lost: int
    pending: int
    failed: int
    uncertain: int
    twice: int
    recorded: float
    charged: float
    unpriced: int  # billed numbers the job counts, at a price it could not know: counted at the real price
    price: float

    @property
    def cost_short(self) -> bool:
        return self.recorded + self.unpriced * self.price + COST_SLACK < self.charged


def snapshot(world: World, rows: list[list[str]]) -> Snapshot:
    got = read_csv(world.results)
    shown = world.show()
    snap = Snapshot(
        lost=rows_lost(rows, got),
        pending=sum(1 for r in got if r.get("connectivity_status") == "PENDING"),
        failed=state_count(shown, "failed"),
        uncertain=state_count(shown, "uncertain"),
        twice=charged_twice(world.emu, world.target.provider),
        recorded=recorded_cost(shown),
        charged=world.emu.charge_count(world.target.provider) * world.target.price,
        unpriced=unpriced(shown),
        price=world.target.price,
    )
    if snap.cost_short:
        world.notes.append(f"cost recorded {snap.recorded:.4f} < charged {snap.charged:.4f} ({shown.get('cost')})")
    return snap


# One run, one cell --------------------------------------------------------------------------------------------
def prepare(world: World, target: Target, fault: FaultKind, opts: argparse.Namespace, rng: random.Random) -> None:
    """The emulator's faults for this cell, and the provider settings of this run."""
    emu = world.emu
    emu.fault_seed = rng.randrange(2**31)
    emu.malformed_kinds = list(fault.kinds) or emu.malformed_kinds
    setattr(emu, fault.rate_setting, opts.rate)
    if target.provider == "affiliate":
        world.env["AFFILIATE_SMS_BATCH_SIZE"] = str(max(2, opts.numbers // AFFILIATE_CHUNKS))
        if opts.affiliate_callbacks and world.receiver is not None:
            emu.affiliate_callback_url = f"{world.receiver.endpoint('affiliate')}?token={TOKEN}"


def run_once(target: Target, fault: FaultKind, opts: argparse.Namespace, index: int) -> Figures:
    rng = random.Random(f"{opts.seed}/{target.name}/{fault.name}/{index}")
    count = opts.numbers
    if target.chunk > 1:
        count = max(count, opts.chunks * target.chunk + target.chunk // 10)  # several chunks, the last one short
    rows, distinct = input_rows(count, rng)
    fig = Figures(runs=1, numbers=distinct, rows=len(rows))
    with tempfile.TemporaryDirectory(prefix="hlrcli-faults-") as tmp, Emulator(latency=opts.latency) as emu:
        world = World(Path(tmp), emu, target, f"{target.name}-{fault.name}-{index}", opts.verbose)
        write_csv(world.src, rows)
        with world.receiving():
            prepare(world, target, fault, opts, rng)
            # Kill the first run, then the first `--kills - 1` resumes, faults on; then resume with faults off.
            _, killed = batch_killed(world, rng, distinct)
            fig.kills = killed + resume_while_progress(world, rng, distinct, opts.kills - 1)
            fig.faults = sum(emu.fault_counts().values())
            setattr(emu, fault.rate_setting, 0.0)
            resume_while_progress(world, rng, distinct, 0)
            await_results(world)
            before = after = snapshot(world, rows)
            if before.uncertain:
                world.hlrcli(*world.batch_args("--resume", "--resubmit-uncertain"))
                await_results(world)
                after = snapshot(world, rows)
            gave_up = sum(1 for d in emu.deliveries if d.gave_up)
            if gave_up:
                world.notes.append(f"{gave_up} deliveries given up by the emulator")
        world.stderr_problems()
        if emu.server_errors:
            world.notes.append(f"emulator errors: {emu.server_errors[0].splitlines()[-1]}")
    fig.lost = max(before.lost, after.lost)
    fig.twice, fig.pending, fig.failed, fig.uncertain = before.twice, before.pending, before.failed, before.uncertain
    fig.uncertain_after, fig.pending_after, fig.twice_after = after.uncertain, after.pending, after.twice
    fig.recorded, fig.charged, fig.unpriced = after.recorded, after.charged, after.unpriced
    fig.cost_short = int(before.cost_short) + int(after.cost_short and after is not before)
    fig.notes = [f"{target.name} × {fault.name} #{index}: {n}" for n in world.notes]
    return fig


# Report -----------------------------------------------------------------------------------------------------------
COLUMNS = (
    ("provider/mode", 16),
    ("fault", 9),
    ("runs", 4),
    ("numbers", 7),
    ("kills", 5),
    ("faults", 6),
    ("lost", 4),
    ("2x", 3),
    ("PENDING", 7),
    ("failed", 6),
    ("uncertain", 9),
    ("-u: uncertain", 13),
    ("PENDING", 7),
    ("2x", 3),
    ("cost recorded ≥ charged (EUR)", 29),
)
LEGEND = (
    "lost: input rows missing or out of order in `jobs results`; 2x: numbers the emulator charged more than once; "
    "PENDING: rows left PENDING; failed, uncertain: numbers (`jobs show`);\n"
    "-u: after `--resume --resubmit-uncertain` (run where numbers were left uncertain; it may pay them twice, as "
    "documented); cost: the job's billed + maybe billed (`jobs show`) vs the emulator's ledger, summed; unpriced:\n"
    "numbers the job reports as billed at a price no answer told (every answer of the job lost), counted at the "
    "emulator's price"
)


def table_line(cells: list[str]) -> str:
    widths = [w for _, w in COLUMNS]
    return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def row_cells(target: Target, fault: FaultKind, fig: Figures) -> list[str]:
    ok = "ok" if not fig.cost_short else f"SHORT×{fig.cost_short}"
    if fig.unpriced:
        ok += f" ({fig.unpriced} unpriced)"
    figures = (fig.runs, fig.numbers, fig.kills, fig.faults, fig.lost, fig.twice, fig.pending, fig.failed)
    after = (fig.uncertain, fig.uncertain_after, fig.pending_after, fig.twice_after)
    cost = f"{fig.recorded:.3f} ≥ {fig.charged:.3f} {ok}"
    return [target.name, fault.name, *map(str, figures), *map(str, after), cost]


def verdict(total: Figures) -> str:
    head = "FAIL" if total.bad else "PASS"
    return (
        f"{head}: {total.runs} runs, {total.kills} kill -9, {total.faults} faults → {total.lost} rows lost, "
        f"{total.twice} numbers charged twice, {total.pending + total.pending_after} rows PENDING, "
        f"{total.cost_short} cost records below the charges ({total.unpriced} numbers unpriced); "
        f"{total.uncertain} numbers left uncertain, "
        f"{total.uncertain_after} after --resubmit-uncertain (which paid {total.twice_after} twice, as documented)"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="1 run per cell, 3 fault kinds, fewer numbers")
    ap.add_argument("--runs", type=int, help="runs per cell (default 2; --quick 1)")
    ap.add_argument("--numbers", type=int, help="valid numbers per run, sync and affiliate (default 120; --quick 40)")
    ap.add_argument("--chunks", type=int, help="chunks per run for hlrlookups async, smspartner (default 2; quick 1)")
    ap.add_argument("--seed", type=int, default=1, help="seed of every random draw (kill points, faults, inputs)")
    ap.add_argument("--rate", type=float, default=0.2, help="the fault's random rate (default 0.2)")
    ap.add_argument("--latency", type=float, default=0.02, help="emulator latency in seconds (default 0.02)")
    ap.add_argument("--kills", type=int, default=2, help="kill -9 the first run and the first K-1 resumes (default 2)")
    ap.add_argument("--only", help="provider/mode cells, comma-separated (e.g. hlrlookups-sync,affiliate-async)")
    ap.add_argument("--faults", help=f"fault kinds, comma-separated, among {', '.join(f.name for f in FAULTS)}")
    ap.add_argument("--affiliate-callbacks", action="store_true", help="affiliate results by callback too")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every command and kill")
    opts = ap.parse_args(argv)
    opts.runs = opts.runs or (1 if opts.quick else 2)
    opts.numbers = opts.numbers or (40 if opts.quick else 120)
    opts.chunks = opts.chunks or (1 if opts.quick else 2)
    return opts


def selected(opts: argparse.Namespace) -> tuple[list[Target], list[FaultKind]]:
    targets = [t for t in TARGETS if not opts.only or t.name in opts.only.split(",")]
    wanted = opts.faults.split(",") if opts.faults else QUICK_FAULTS if opts.quick else [f.name for f in FAULTS]
    faults = [f for f in FAULTS if f.name in wanted]
    if not targets or not faults:
        raise SystemExit("nothing selected: see --only and --faults")
    return targets, faults


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    targets, faults = selected(opts)
    print(
        f"fault matrix: {len(targets)} providers/modes × {len(faults)} fault kinds × {opts.runs} runs; rate "
        f"{opts.rate:g}, latency {opts.latency:g} s, {opts.kills} kills per run, seed {opts.seed}",
        flush=True,
    )
    results: list[tuple[Target, FaultKind, Figures]] = []
    for target in targets:
        for fault in faults:
            fig = Figures()
            for index in range(opts.runs):
                one = run_once(target, fault, opts, index)
                print(f"  {target.name:<18} {fault.name:<10} #{index}: {' '.join(row_cells(target, fault, one)[4:])}",
                      flush=True)  # fmt: skip
                fig.add(one)
            results.append((target, fault, fig))
    total = Figures()
    print()
    print(table_line([name for name, _ in COLUMNS]))
    for target, fault, fig in results:
        print(table_line(row_cells(target, fault, fig)))
        total.add(fig)
    print(LEGEND)
    for note in total.notes:
        print(f"  note: {note}")
    print(verdict(total))
    return 1 if total.bad else 0


if __name__ == "__main__":
    sys.exit(main())
