"""Standalone mode: `python -m tests.emulator [--port 8099] [--latency 0.1] ...`.

Prints `export NAME=value` lines for the CLI on stdout (so `eval "$(python -m tests.emulator ... &)"`-style
scripts and benchmark harnesses can read them), then serves until SIGINT or SIGTERM. Periodic stats
(`--stats-every`) go to stderr, keeping stdout to the environment lines. Fault rates, rate limits and
Retry-After can be set from the command line (see --help) or later through POST /_emu/config.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
from types import FrameType
from typing import Any

from .server import BROKEN_KINDS, PROVIDERS, Emulator

EPILOG = f"""\
random faults (soak and fault-matrix runs), each a fraction of the requests to the fault paths (by default
the billed endpoints: hlrlookups /hlr-lookup(s), /mnp-lookup(s), /nt-lookup(s); smspartner /hlr/notify;
affiliate /hlr/create):
  --fail-rate       refused before processing: a provider-shaped 503 error, nothing charged
  --drop-rate       processed and charged, then the connection closed without an answer
  --malformed-rate  processed and charged, then the answer broken: one of {", ".join(BROKEN_KINDS)}
The three together must not exceed 1. --seed makes the draws reproducible for a given order of requests.

Every setting can also be changed while running: POST /_emu/config with a JSON object, e.g.
  {{"fail_rate": 0.1, "rate_limits": {{"affiliate": 4}}, "rate_windows": {{"affiliate": 10}},
   "retry_after": {{"affiliate": null}}, "fault_paths": ["*"]}}
GET /_emu/config shows them all. GET /_emu/stats counts charges, 429s ("throttled") and faults;
POST /_emu/reset forgets those (and injected faults), keeping the settings.
"""


def _rate_limit(text: str) -> tuple[str, int, float | None]:
    """PROVIDER=COUNT or PROVIDER=COUNT/SECONDS."""
    provider, sep, limit = text.partition("=")
    count, slash, window = limit.partition("/")
    try:
        if not sep or provider not in PROVIDERS or not count.isdigit():
            raise ValueError
        seconds = float(window) if slash else None
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected PROVIDER=COUNT[/SECONDS] with PROVIDER in {', '.join(PROVIDERS)}"
        ) from None
    return provider, int(count), seconds


def _seconds_or_none(text: str) -> float | None:
    if text.lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected seconds or 'none'") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.emulator",
        description="The hlrlookups, smspartner and affiliate APIs on a local port, with faults on demand.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept before each answer")
    parser.add_argument("--hlr-webhook", action="append", default=[], metavar="URL", help="repeatable")
    parser.add_argument("--skew", type=float, default=0.0, help="hlrlookups clock skew in seconds")
    parser.add_argument("--stats-every", type=float, default=0.0, metavar="SECONDS", help="stats to stderr")
    parser.add_argument("--record-limit", type=int, default=10000, help="request records kept in memory")
    faults = parser.add_argument_group("faults")
    faults.add_argument("--fail-rate", type=float, default=0.0, metavar="P", help="refused before processing")
    faults.add_argument("--drop-rate", type=float, default=0.0, metavar="P", help="dropped after processing")
    faults.add_argument("--malformed-rate", type=float, default=0.0, metavar="P", help="broken after processing")
    faults.add_argument("--seed", type=int, default=None, help="seed of the random faults")
    faults.add_argument(
        "--fault-path",
        action="append",
        default=None,
        metavar="SUFFIX",
        help="repeatable; where random faults strike instead of the billed endpoints ('*': everywhere)",
    )
    limits = parser.add_argument_group("rate limits")
    limits.add_argument(
        "--rate-limit",
        type=_rate_limit,
        action="append",
        default=[],
        metavar="PROVIDER=COUNT[/SECONDS]",
        help="requests per window (its own, or --rate-window), repeatable; e.g. smspartner=4/10 (default: 360)",
    )
    limits.add_argument(
        "--rate-window", type=float, default=60.0, metavar="SECONDS", help="window of the limits (default: 60)"
    )
    limits.add_argument(
        "--retry-after",
        type=_seconds_or_none,
        default=argparse.SUPPRESS,
        metavar="SECONDS|none",
        help="Retry-After of every 429 (default: 1 s for hlrlookups and affiliate, none for smspartner)",
    )
    args = parser.parse_args(argv)

    emu = Emulator(args.latency, host=args.host, port=args.port, clock_skew=args.skew, record_limit=args.record_limit)
    emu.webhook_urls["hlrlookups"] = list(args.hlr_webhook)
    settings: dict[str, Any] = {
        "fail_rate": args.fail_rate,
        "drop_rate": args.drop_rate,
        "malformed_rate": args.malformed_rate,
        "fault_seed": args.seed,
        "fault_paths": args.fault_path,
        "rate_limits": {provider: count for provider, count, _ in args.rate_limit},
        "rate_windows": {provider: window for provider, _, window in args.rate_limit if window is not None},
        "rate_window": args.rate_window,
    }
    if "retry_after" in args:
        settings["retry_after"] = args.retry_after
    try:
        emu.configure(settings)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
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
