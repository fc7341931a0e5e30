#!/usr/bin/env python3
"""Make the README's two screenshots from a real run: a batch against the local emulator, then `hlrcli report`.

    python docs/screenshots.py          # writes docs/report-terminal.png and docs/report-html.png

Needs Chromium (Debian: `apt-get install chromium`). The terminal capture is the report's own ANSI output at 100
columns, drawn by rich's SVG export; both pictures are then rendered by headless Chromium.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.emulator import Emulator  # noqa: E402
from tests.report_sample import browser, chromium  # noqa: E402

# Mobile prefixes the emulator knows (and libphonenumber accepts), weighted like a European customer list.
PREFIXES = [("+4917", 8, 40), ("+336", 8, 25), ("+447", 9, 15), ("+346", 8, 10), ("+393", 9, 10)]


def customer_rows(n: int, seed: int) -> list[list[str]]:
    import phonenumbers

    rnd = random.Random(seed)
    out: list[list[str]] = []
    while len(out) < n:
        prefix, digits, _ = rnd.choices(PREFIXES, [w for *_, w in PREFIXES])[0]
        number = prefix + "".join(rnd.choice("0123456789") for _ in range(digits))
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            out.append([str(len(out) + 1), f"customer {len(out) + 1}", number])
    for i in range(0, n, 97):  # a few unusable cells, as real exports have
        out[i][2] = "n/a"
    return out


def hlrcli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "hlrcli", *args], env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"hlrcli {' '.join(args)} failed: {done.stderr}")
    return done


def main() -> None:
    browser_path = chromium()
    if browser_path is None:
        raise SystemExit("Chromium is needed (apt-get install chromium)")
    work = Path(tempfile.mkdtemp(prefix="hlrcli-shots-"))
    with Emulator() as emu:
        env = {**os.environ, **emu.env(), "HLRCLI_HOME": str(work / "home"), "HLRCLI_CONFIG": str(work / "c.toml")}
        for month, seed in (("2026-11", 2), ("2026-12", 1)):
            with (work / f"{month}.csv").open("w", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(["id", "name", "phone"])
                writer.writerows(customer_rows(3000, seed))
            hlrcli(["batch", f"{month}.csv", "--job", f"customers-{month}", "-q", "-o", f"{month}.out.csv",
                    "--concurrency", "16"], env, work)  # fmt: skip
        html = ROOT / "docs" / "report.html"
        hlrcli(["report", "customers-2026-12", "--against", "customers-2026-11", "--html", str(html), "-f", "csv"],
               env, work)  # fmt: skip
        report = hlrcli(["report", "customers-2026-12", "-f", "table"], {**env, "FORCE_COLOR": "1", "COLUMNS": "100"},
                        work)  # fmt: skip
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=100, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(Text.from_ansi(report.stdout))
    svg = work / "terminal.svg"
    svg.write_text(console.export_svg(title="hlrcli report customers-2026-12"), encoding="utf-8")
    shot = browser(["--screenshot=" + str(ROOT / "docs" / "report-terminal.png"), "--window-size=1040,1500"], svg)
    if shot.returncode:
        raise SystemExit(shot.stderr)
    shot = browser(["--screenshot=" + str(ROOT / "docs" / "report-html.png"), "--window-size=1200,1700"], html)
    if shot.returncode:
        raise SystemExit(shot.stderr)
    html.unlink()
    print("wrote docs/report-terminal.png and docs/report-html.png")


if __name__ == "__main__":
    main()
