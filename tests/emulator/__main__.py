"""Standalone mode: `python -m tests.emulator [--port 8099] [--latency 0.1] ...`.

Prints `export NAME=value` lines for the CLI on stdout (so `eval "$(python -m tests.emulator ... &)"`-style
scripts and benchmark harnesses can read them), then serves until SIGINT or SIGTERM. Periodic stats
(`--stats-every`) and `--verbose` request logs go to stderr, keeping stdout to the environment lines.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
from types import FrameType

from .server import Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept before each answer")
    parser.add_argument("--hlr-webhook", action="append", default=[], metavar="URL", help="repeatable")
    parser.add_argument("--skew", type=float, default=0.0, help="hlrlookups clock skew in seconds")
    parser.add_argument("--stats-every", type=float, default=0.0, metavar="SECONDS", help="stats to stderr")
    parser.add_argument("--record-limit", type=int, default=10000, help="request records kept in memory")
    args = parser.parse_args(argv)

    emu = Emulator(args.latency, host=args.host, port=args.port, clock_skew=args.skew, record_limit=args.record_limit)
    emu.webhook_urls["hlrlookups"] = list(args.hlr_webhook)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    emu.start()
    try:
        for name, value in emu.env().items():
            print(f"export {name}={shlex.quote(value)}")
        print(f"# emulator listening on {emu.url} (stats: GET {emu.url}/_emu/stats)")
        sys.stdout.flush()
        while not stop.wait(args.stats_every or None):
            print(json.dumps(emu.stats()), file=sys.stderr, flush=True)
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
