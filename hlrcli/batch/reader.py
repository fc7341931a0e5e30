"""Batch input: a CSV file or stdin, delimiter sniffed, BOM tolerated, the number column found; streamed.

stdin is spooled to a temporary file while it is hashed, so a job can be named by its content and the rows
read in one streaming pass like any file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hlrcli.errors import InputError

DELIMITERS = (",", ";", "\t", "|")
NUMBER_NAMES = ("msisdn", "phone", "mobile", "number", "tel", "cell", "gsm", "numero", "nummer")
_NUMBERISH = re.compile(r"^\s*(?:\+|00)?[\d\s().\-/]{6,}\s*$")
SAMPLE_ROWS = 50


def numberish(cell: str) -> bool:
    return bool(_NUMBERISH.match(cell)) and sum(ch.isdigit() for ch in cell) >= 6


@dataclass
class Input:
    name: str
    path: Path
    sha256: str
    delimiter: str
    has_header: bool
    columns: list[str]
    number_index: int
    spooled: bool = False

    @property
    def number_column(self) -> str:
        return self.columns[self.number_index]

    def describe(self) -> str:
        delim = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(self.delimiter, self.delimiter)
        if len(self.columns) == 1 and not self.has_header:
            return "reading one number per line"
        header = "header row" if self.has_header else "no header row"
        return f"reading numbers from column '{self.number_column}' ({delim}-separated, {header})"

    def rows(self) -> Iterator[list[str]]:
        """Data rows, each padded or cut to the number of columns."""
        width = len(self.columns)
        with _open_text(self.path) as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            if self.has_header:
                next(reader, None)
            try:
                for cells in reader:
                    if not cells or (len(cells) == 1 and not cells[0].strip()):
                        continue
                    if len(cells) != width:
                        cells = (cells + [""] * width)[:width]
                    yield cells
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{self.name} is not UTF-8 (byte {exc.start} of a line near row {reader.line_num}); "
                    "convert it first, e.g. `iconv -f latin1 -t utf-8`"
                ) from None
            except csv.Error as exc:
                raise InputError(f"{self.name}: unreadable CSV near line {reader.line_num}: {exc}") from None

    def cleanup(self) -> None:
        if self.spooled:
            self.path.unlink(missing_ok=True)


def _open_text(path: Path) -> io.TextIOWrapper:
    return open(path, encoding="utf-8-sig", newline="")


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _spool(stream: BinaryIO, directory: Path | None) -> tuple[Path, str]:
    digest = hashlib.sha256()
    if directory:
        directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="stdin-", suffix=".csv", dir=directory)
    with os.fdopen(fd, "wb") as out:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
    return Path(name), digest.hexdigest()


def _sniff(sample: str) -> str:
    lines = [ln for ln in sample.splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", 0
    for delim in DELIMITERS:
        widths = [len(next(csv.reader([ln], delimiter=delim))) for ln in lines]
        # A real delimiter splits every line into the same number (> 1) of fields.
        score = min(widths) if len(set(widths)) == 1 else min(widths) - 1
        if score > best_score and min(widths) > 1:
            best, best_score = delim, score
    return best


def open_input(source: str, column: str | None = None, spool_dir: Path | None = None) -> Input:
    """Open a CSV/stdin, sniff its shape and pick the number column (explicit, by header name, or by content)."""
    spooled = source == "-"
    if spooled:
        path, sha = _spool(sys.stdin.buffer, spool_dir)
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"no such file: {source}")
        sha = _hash_file(path)
    try:
        with _open_text(path) as fh:
            sample = fh.read(1 << 16)
    except UnicodeDecodeError:
        raise InputError(f"{source} is not UTF-8; convert it first, e.g. `iconv -f latin1 -t utf-8`") from None
    if not sample.strip():
        if spooled:
            path.unlink(missing_ok=True)
        raise InputError(f"{'stdin' if spooled else source} is empty")
    delimiter = _sniff(sample)
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    head = [r for r in (next(reader, None) for _ in range(SAMPLE_ROWS + 1)) if r]
    first = head[0]
    has_header = not any(numberish(c) for c in first)
    columns = (
        [c.strip() or f"col{i + 1}" for i, c in enumerate(first)]
        if has_header
        else (["input"] if len(first) == 1 else [f"col{i + 1}" for i in range(len(first))])
    )
    data = head[1:] if has_header else head
    index = _pick_column(columns, data, column, source)
    return Input(
        name="stdin" if spooled else source,
        path=path,
        sha256=sha,
        delimiter=delimiter,
        has_header=has_header,
        columns=columns,
        number_index=index,
        spooled=spooled,
    )


def _pick_column(columns: list[str], data: list[list[str]], wanted: str | None, source: str) -> int:
    if wanted is not None:
        for i, name in enumerate(columns):
            if name == wanted:
                return i
        for i, name in enumerate(columns):
            if name.lower() == wanted.lower():
                return i
        if wanted.isdigit() and 1 <= int(wanted) <= len(columns):
            return int(wanted) - 1
        raise InputError(f"no column {wanted!r} in {source}; columns: {', '.join(columns)}")
    lowered = [c.lower() for c in columns]
    for hint in NUMBER_NAMES:
        for i, name in enumerate(lowered):
            if hint in name:
                return i
    for i in range(len(columns)):
        values = [r[i] for r in data if i < len(r) and r[i].strip()]
        if values and sum(numberish(v) for v in values) >= 0.8 * len(values):
            return i
    raise InputError(
        f"no column of phone numbers found in {source}; name one with --column (columns: {', '.join(columns)})"
    )
