#!/usr/bin/env python3
"""The live client against its baselines, measured in the same run (issue 13): sync CPU per number, sync
throughput at high concurrency, async submission time against the network floor.

    python bench/client.py              # 5,000 numbers sync, 20 × 1,000 async (a few minutes on 2 cores)
    python bench/client.py --quick      # 1,000 numbers sync, 5 × 1,000 async

Every figure is printed as a ratio against a baseline run in the same process tree, moments apart, on the same
emulator (in this process, on a free port):
- CPU per number: `hlrcli batch` (sync, 32 in flight, 0 ms latency) vs bench/naive_client.py (requests.Session per
  thread, digest signing, CSV out, no journal) — user+sys CPU of the child process, so another session's load
  changes the seconds but hardly the ratio. Target ≤ 1.2 ×.
- Throughput: `hlrcli batch` at 64 in flight with 100 ms latency, as a fraction of the ideal 64 ÷ 0.1 s = 640/s,
  timed between the first and last request the emulator received. Target ≥ 0.9.
- Async: `hlrcli batch --mode async` on hlrlookups and affiliate, whole command, against the network floor
  (requests × latency / concurrency). Target ≤ 2 ×.
Figures only: nothing here fails a build.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.emulator import Emulator  # noqa: E402
from tests.test_batch import numbers as valid_numbers  # noqa: E402


def write_input(path: Path, numbers: list[str]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["phone"])
        writer.writerows([n] for n in numbers)


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process."""
    cpu, start = child_cpu(), time.monotonic()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}… failed ({done.returncode}): {done.stderr[-800:]}")
    return time.monotonic() - start, child_cpu() - cpu


def hlrcli(*args: str) -> list[str]:
    return [sys.executable, "-m", "hlrcli", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sync_n = 1000 if args.quick else 5000
    async_requests = 5 if args.quick else 20
    work = Path(tempfile.mkdtemp(prefix="hlrcli-client-"))
    numbers = valid_numbers(max(sync_n, async_requests * 1000))
    rows = []
    with Emulator(record_limit=200_000) as emu:
        base = {**os.environ, **emu.env(), "HLRCLI_CONFIG": str(work / "c.toml")}

        def env(tag: str) -> dict[str, str]:
            return {**base, "HLRCLI_HOME": str(work / f"home-{tag}-{time.monotonic_ns()}")}

        src = work / "sync.csv"
        write_input(src, numbers[:sync_n])
        # CPU per number at 0 ms latency, 32 in flight; baseline and hlrcli alternate, best of 3 each.
        naive_cpu, ours_cpu = [], []
        for _ in range(3):
            emu.reset()
            naive_cpu.append(run([sys.executable, str(REPO / "bench" / "naive_client.py"), str(src),
                                  str(work / "naive.csv"), "--threads", "32"], env("naive"))[1])  # fmt: skip
            emu.reset()
            ours_cpu.append(run(hlrcli("batch", str(src), "-p", "hlrlookups", "-j", "32", "-q", "-o",
                                       str(work / "ours.csv")), env("ours"))[1])  # fmt: skip
        naive, ours = min(naive_cpu) / sync_n * 1000, min(ours_cpu) / sync_n * 1000
        rows.append(("sync CPU per number (32 in flight)", f"{ours:.2f} ms", f"naive {naive:.2f} ms",
                     ours / naive, "≤ 1.2"))  # fmt: skip
        # Throughput at 64 in flight, 100 ms latency.
        emu.reset()
        emu.latency = 0.1
        run(hlrcli("batch", str(src), "-p", "hlrlookups", "-j", "64", "-q", "-o", str(work / "t.csv")), env("t"))
        times = sorted(r.time for r in emu.requests_to("/hlr-lookup"))
        rate = (len(times) - 1) / (times[-1] - times[0] + 0.1)
        rows.append(("sync throughput (64 in flight, 100 ms)", f"{rate:.0f}/s", "ideal 640/s", rate / 640, "≥ 0.9"))
        # Async: whole command against the network floor (requests in 4 parallel chunks, 100 ms each).
        async_src = work / "async.csv"
        write_input(async_src, numbers[: async_requests * 1000])
        for provider, extra in (("hlrlookups", {}), ("affiliate", {"AFFILIATE_SMS_BATCH_SIZE": "1000"})):
            emu.reset()
            wall, cpu = run(hlrcli("batch", str(async_src), "-p", provider, "--mode", "async", "-q", "-o",
                                   str(work / f"{provider}.csv")), {**env(provider), **extra})  # fmt: skip
            floor = async_requests * emu.latency / 4
            rows.append((f"async {provider}, {async_requests} × 1,000", f"{wall:.2f} s (CPU {cpu:.2f} s)",
                         f"floor {floor:.2f} s", wall / floor, "≤ 2"))  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'figure':44} {'hlrcli':>22} {'baseline':>16} {'ratio':>7}  target")
    for name, ours_text, base_text, ratio, target in rows:
        print(f"{name:44} {ours_text:>22} {base_text:>16} {ratio:7.2f}  {target}")


if __name__ == "__main__":
    main()
