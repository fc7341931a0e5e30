"""Synthetic HLR result rows for report tests and benchmarks.

`python -m tests.report_sample` prints the terminal rendering of a synthetic report and its timings (the
figures quoted in the report's documentation come from here); `--png FILE` also screenshots its HTML page (and
keeps the HTML next to it with --keep). The README's pictures come from a real run (`python docs/screenshots.py`):
this script refuses to write over them.
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import struct
import subprocess
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

# (country code, country name, prefix, networks with weights): weights roughly like real market shares.
MARKETS: list[tuple[str, str, str, list[tuple[str, int]]]] = [
    ("FR", "France", "336", [("Orange", 38), ("SFR", 25), ("Bouygues Telecom", 20), ("Free Mobile", 17)]),
    ("DE", "Germany", "4917", [("Telekom", 36), ("Vodafone", 31), ("O2", 33)]),
    ("GB", "United Kingdom", "447", [("EE", 34), ("Vodafone UK", 22), ("O2 UK", 27), ("Three", 17)]),
    ("ES", "Spain", "346", [("Movistar", 30), ("Orange Spain", 27), ("Vodafone Spain", 25), ("MásMóvil", 18)]),
    ("IT", "Italy", "393", [("TIM", 32), ("Vodafone Italia", 28), ("WindTre", 28), ("Iliad", 12)]),
    ("BE", "Belgium", "324", [("Proximus", 42), ("Orange Belgium", 31), ("Base", 27)]),
]
# MVNOs: a long tail of small networks, so the network charts fold.
MVNOS = [
    f"MVNO {name}"
    for name in ("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Juliett", "Kilo")
]
STATUSES = [("CONNECTED", 812), ("ABSENT", 97), ("INVALID_MSISDN", 61), ("UNDETERMINED", 30)]
ERRORS = [
    "invalid number (no such range)",
    "provider error 500: internal error",
    "uncertain: the request may have been billed",
]


def rows(n: int, seed: int = 7, pending: float = 0.01, failed: float = 0.02) -> Iterator[dict[str, Any]]:
    """`n` HLR rows as `hlrcli jobs results` exports them (values typed as the job store gives them)."""
    rnd = random.Random(seed)
    market_weights = [40, 25, 15, 10, 6, 4]
    statuses, status_weights = zip(*STATUSES, strict=True)
    for i in range(n):
        code, name, prefix, nets = rnd.choices(MARKETS, market_weights)[0]
        msisdn = f"+{prefix}{rnd.randrange(10**7, 10**8)}{i % 10}"
        roll = rnd.random()
        if roll < failed:
            yield {
                "msisdn": None if roll < failed / 2 else msisdn,
                "provider": "hlrlookups",
                "error": rnd.choice(ERRORS),
            }
            continue
        if roll < failed + pending:
            yield {"msisdn": msisdn, "connectivity_status": "PENDING", "provider": "hlrlookups", "error": None}
            continue
        names, weights = zip(*nets, strict=True)
        original = rnd.choices(names, weights)[0]
        ported = rnd.random() < 0.12
        current = rnd.choice([*names, *MVNOS]) if ported else None
        roaming = rnd.random() < 0.03
        yield {
            "msisdn": msisdn,
            "connectivity_status": rnd.choices(statuses, status_weights)[0],
            "mccmnc": "20801",
            "original_network_name": original,
            "original_country_name": name,
            "original_country_code": code,
            "is_ported": ported,
            "ported_network_name": current,
            "is_roaming": roaming,
            "roaming_network_name": "Swisscom" if roaming else None,
            "cost": "0.0100",
            "provider": "hlrlookups",
            "error": None,
        }


META: dict[str, Any] = {
    "job": "night-2026-11-22",
    "provider": "hlrlookups",
    "type": "hlr",
    "mode": "async",
    "input": "customers-2026-11.csv",
    "created": "2026-11-22 01:30:02 UTC",
    "updated": "2026-11-22 03:12:47 UTC",
    "options": {"country": "FR", "concurrency": 8, "max_cost": 50, "column": "mobile", "route": None},
}


# Made by docs/screenshots.py from a real batch: synthetic data must never replace them.
README_PICTURES = frozenset(
    Path(__file__).resolve().parents[1] / "docs" / name for name in ("report-html.png", "report-terminal.png")
)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser(args: list[str], html: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on a local file, with a throwaway profile and nothing that phones home."""
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("no chromium or chromium-browser on PATH")
    with tempfile.TemporaryDirectory(prefix="hlrcli-chromium-") as profile:
        cmd = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
            html.resolve().as_uri(),
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) into rows of RGB pixels, stdlib only.

    Returns width, height and one `bytes` of width*3 per row. About a second for 1200x1600 in pure Python.
    """
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat = 8, []
    width = height = bpp = 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG: depth {depth}, colour type {color}, interlace {interlace}")
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytes(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind_, line = raw[start], raw[start + 1 : start + 1 + stride]
        if kind_ == 0:
            cur = line
        elif kind_ == 1:  # Sub: a running sum per channel
            out = bytearray(stride)
            for k in range(bpp):
                out[k::bpp] = bytes(v & 255 for v in accumulate(line[k::bpp]))
            cur = bytes(out)
        elif kind_ == 2:  # Up
            cur = bytes((a + b) & 255 for a, b in zip(line, prev, strict=True))
        else:  # Average, Paeth
            out = bytearray(stride)
            for i in range(stride):
                a = out[i - bpp] if i >= bpp else 0
                b = prev[i]
                if kind_ == 3:
                    out[i] = (line[i] + ((a + b) >> 1)) & 255
                    continue
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                out[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            cur = bytes(out)
        rows.append(cur)
        prev = cur
    if bpp == 4:
        rows = [bytes(b for i, b in enumerate(r) if i % 4 != 3) for r in rows]
    return width, height, rows


def main() -> None:
    from rich.console import Console

    from hlrcli.batch import report, report_text
    from hlrcli.batch import report_html as html

    parser = argparse.ArgumentParser(description="Time and print a report over synthetic rows.")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--png", type=Path, help="also screenshot the synthetic page to this file (Chromium)")
    parser.add_argument("--keep", action="store_true", help="keep the HTML next to the PNG")
    parser.add_argument("--against", action="store_true", help="compare with an older run")
    parser.add_argument("--memory", action="store_true", help="also measure peak memory (slower)")
    args = parser.parse_args()
    if args.png is not None and args.png.resolve() in README_PICTURES:
        parser.error(f"{args.png} is a README picture from a real run: `python docs/screenshots.py` makes it")

    data = list(rows(args.rows)) if args.rows <= 200_000 else rows(args.rows)  # a million dicts would not fit
    gc.freeze()  # the sample rows are long-lived: keep collector passes over them out of the timings
    start = time.perf_counter()
    rep = report.compute(data, currency="EUR")
    computed = time.perf_counter()
    console = Console(width=80, record=True)
    report_text.render(rep, console)
    rendered = time.perf_counter()
    old = report.compute(rows(args.rows // 2, seed=3, pending=0.0), currency="EUR") if args.against else None
    page = html.page(rep, META, against=old)
    paged = time.perf_counter()
    print("\n".join(report_text.breakdown_lines(rep)))
    print(
        f"{args.rows:,} rows: compute {computed - start:.2f} s, render {rendered - computed:.3f} s, "
        f"html {paged - rendered:.3f} s ({len(page):,} bytes)"
    )
    if args.memory:
        tracemalloc.start()
        report.compute(rows(args.rows))
        print(f"peak traced memory during compute: {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB")
        tracemalloc.stop()
    if args.png is None:
        return
    args.png.parent.mkdir(parents=True, exist_ok=True)
    target = args.png.with_suffix(".html")
    target.write_text(page, encoding="utf-8")
    browser([f"--screenshot={args.png.resolve()}", "--window-size=1200,1600"], target)
    if not args.keep:
        target.unlink()
    print(f"screenshot: {args.png}")


if __name__ == "__main__":
    main()
