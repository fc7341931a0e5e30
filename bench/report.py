#!/usr/bin/env python3
"""Time to report on a large job (issue 12: ≤ 2 s for 100,000 rows), in every rendering.

    python bench/report.py                 # a 100,000-row job, 3 timed runs of each rendering
    python bench/report.py --rows 1000000  # a bigger one

The job is written straight into a store (HLRCLI_HOME in a temporary directory) with realistic HLR results: a
mix of statuses, networks, countries, ported and roaming numbers, some failed and uncertain rows, and a
previous run of the same list for `--against`. Then each rendering runs as a user runs it, in a fresh
process (start-up included), and the best and median wall times are printed. Figures only: nothing fails.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hlrcli.store import Job, JobState, NumberState, Store  # noqa: E402

NETWORKS = [("Telekom", "26201"), ("Vodafone", "26202"), ("O2", "26203"), ("1&1", "26223")]
STATUSES = ["CONNECTED"] * 70 + ["ABSENT"] * 15 + ["INVALID_MSISDN"] * 10 + ["UNDETERMINED"] * 5


def make_job(store: Store, name: str, rows: int, seed: int) -> None:
    rnd = random.Random(seed)
    store.create_job(Job(name=name, provider="hlrlookups", kind="hlr", mode="sync", columns=["id", "phone"],
                         number_column="phone", state=JobState.INGESTING))  # fmt: skip
    numbers = [f"+49178{i:07d}" for i in range(rows)]
    store.add_rows(name, ((i, [str(i), n], n, "DE", None) for i, n in enumerate(numbers)))
    outcomes = []
    for n in numbers:
        roll = rnd.random()
        if roll < 0.01:
            outcomes.append((n, NumberState.FAILED, {"error": "refused", "maybe_cost": None}))
            continue
        if roll < 0.015:
            outcomes.append((n, NumberState.UNCERTAIN, {"error": "lost", "maybe_cost": "0.0100"}))
            continue
        network, mccmnc = rnd.choice(NETWORKS)
        ported = rnd.random() < 0.1
        result = {
            "msisdn": n,
            "connectivity_status": rnd.choice(STATUSES),
            "mccmnc": mccmnc,
            "original_network_name": network,
            "original_country_code": "DE",
            "original_country_name": "Germany",
            "is_ported": ported,
            "ported_network_name": rnd.choice(NETWORKS)[0] if ported else None,
            "is_roaming": rnd.random() < 0.02,
            "cost": "0.0100",
        }
        outcomes.append((n, NumberState.DONE, {"result": result, "cost": "0.0100", "maybe_cost": None}))
        if len(outcomes) >= 5000:
            store.record(name, outcomes)
            outcomes = []
    store.record(name, outcomes)
    store.update_job(name, rows=rows, state=JobState.DONE.value)


def timed(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.monotonic()
        done = subprocess.run(cmd, env=env, capture_output=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[2:])} failed: {done.stderr.decode()[-400:]}")
        times.append(time.monotonic() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hlrcli-report-"))
    home = work / "home"
    start = time.monotonic()
    store = Store.open(home)
    make_job(store, "before", args.rows, seed=1)
    make_job(store, "now", args.rows, seed=2)
    store.close()
    print(f"two jobs of {args.rows:,} rows written in {time.monotonic() - start:.1f} s ({home})")
    env = {**os.environ, "HLRCLI_HOME": str(home), "HLRCLI_CONFIG": str(work / "none.toml"), "COLUMNS": "100"}
    hlrcli = [sys.executable, "-m", "hlrcli"]
    renderings = {
        "report now (terminal text)": ["report", "now", "-f", "table"],
        "report now -f json": ["report", "now", "-f", "json"],
        "report now -o r.html": ["report", "now", "-o", str(work / "r.html")],
        "report now --against before": ["report", "now", "--against", "before", "-f", "csv"],
        "jobs diff before now": ["jobs", "diff", "before", "now", "-f", "csv", "-o", str(work / "d.csv")],
        "hlrcli --version (start-up floor)": ["--version"],
    }
    print(f"{'rendering':38} {'best':>8} {'median':>8}  target ≤ 2 s")
    for label, cmd in renderings.items():
        best, median = timed([*hlrcli, *cmd], env, args.runs)
        print(f"{label:38} {best:7.2f}s {median:7.2f}s")


if __name__ == "__main__":
    main()
