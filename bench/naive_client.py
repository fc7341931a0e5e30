#!/usr/bin/env python3
"""The baseline for bench/client.py: the simplest correct client a user could write in an afternoon.

    python bench/naive_client.py NUMBERS.csv OUT.csv --threads 32   (HLR_LOOKUPS_* settings from the environment)

requests.Session per thread, digest signing, JSON parsing, CSV out, results in input order. No journal, no
pacing, no retries, no resume: what hlrcli does on top of this is what the comparison is about.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

FIELDS = ("msisdn", "id", "connectivity_status", "mccmnc", "original_network_name", "is_ported", "cost")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()
    key, secret = os.environ["HLR_LOOKUPS_API_KEY"], os.environ["HLR_LOOKUPS_API_SECRET"]
    url = os.environ["HLR_LOOKUPS_BASE_URL"].rstrip("/") + "/hlr-lookup"
    with open(args.source, newline="") as fh:
        numbers = [row[0] for row in csv.reader(fh)][1:]
    local = threading.local()

    def lookup(number: str) -> dict[str, object]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        body = json.dumps({"msisdn": number}, separators=(",", ":")).encode()
        stamp = str(int(time.time()))
        signature = hmac.new(secret.encode(), b"/hlr-lookup" + stamp.encode() + b"POST" + body, hashlib.sha256)
        headers = {
            "Content-Type": "application/json",
            "X-Digest-Key": key,
            "X-Digest-Timestamp": stamp,
            "X-Digest-Signature": signature.hexdigest(),
        }
        answer = session.post(url, data=body, headers=headers, timeout=30)
        answer.raise_for_status()
        return answer.json()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(args.threads) as pool, open(args.target, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(FIELDS)
        for result in pool.map(lookup, numbers):
            writer.writerow([result.get(f) for f in FIELDS])


if __name__ == "__main__":
    main()
