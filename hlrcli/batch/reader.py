"""Batch input: a CSV file or stdin, read and checked in full before anything is paid for, then streamed.

- stdin is spooled to a private temporary file while it is hashed (the job is named by its content), and the
  spool is removed on every exit, signals included; spools left by a killed run are swept on the next one.
- The whole input is decoded and parsed once up front (`Input.check`, a fast pass with no phone-number work):
  a bad byte or a broken quote near the end of a file is an input error before the first paid request, not
  after 4,000 numbers were bought.
- UTF-8 (with or without BOM) is the default; a file that is not UTF-8 is decoded with the encoding
  charset-normalizer finds (cp1252/latin-1 exports from Excel are common) and stderr says which; `--encoding`
  names one instead.
- The delimiter is sniffed (`,` `;` tab `|`) and kept for the output; the number column is found by name or
  content.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hlrcli.config import private_dir
from hlrcli.errors import InputError
from hlrcli.output import process_alive

DELIMITERS = (",", ";", "\t", "|")
NUMBER_NAMES = ("msisdn", "phone", "mobile", "number", "tel", "cell", "gsm", "numero", "nummer")
_NUMBERISH = re.compile(r"^\s*(?:\+|00)?[\d\s().\-/]{6,}\s*$")
SAMPLE_ROWS = 50
SPOOL_PREFIX = "stdin-"


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
    encoding: str = "utf-8-sig"
    spooled: bool = False
    rows_total: int | None = None  # known once `check` has read it all

    @property
    def number_column(self) -> str:
        return self.columns[self.number_index]

    def describe(self) -> str:
        delim = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(self.delimiter, self.delimiter)
        encoding = "" if self.encoding == "utf-8-sig" else f", decoded as {self.encoding}"
        if len(self.columns) == 1 and not self.has_header:
            return f"reading one number per line{encoding}"
        header = "header row" if self.has_header else "no header row"
        return f"reading numbers from column '{self.number_column}' ({delim}-separated, {header}{encoding})"

    def rows(self) -> Iterator[list[str]]:
        """Data rows, each padded or cut to the number of columns."""
        width = len(self.columns)
        with _open_text(self.path, self.encoding) as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            if self.has_header:
                next(reader, None)
            for cells in reader:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if len(cells) != width:
                    cells = (cells + [""] * width)[:width]
                yield cells

    def check(self) -> int:
        """Read everything once (decode + parse, no number work) so a bad input fails before any request.

        Returns the number of data rows. Raises InputError naming the line for undecodable bytes, a quote
        left open at the end, or an open quote that swallowed whole lines into one field.
        """
        width = len(self.columns)
        count = 0
        with _open_text(self.path, self.encoding) as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            try:
                if self.has_header:
                    next(reader, None)
                start = reader.line_num + 1
                for cells in reader:
                    if reader.line_num > start:
                        _check_swallowed(cells, self.delimiter, width, start, reader.line_num, self.name)
                    start = reader.line_num + 1
                    if cells and not (len(cells) == 1 and not cells[0].strip()):
                        count += 1
            except UnicodeDecodeError:
                line, column = _bad_byte(self.path, self.encoding)
                raise InputError(
                    f"{self.name} is not valid {self.encoding.replace('-sig', '')} at line {line}, byte {column}: "
                    "give its encoding with --encoding, e.g. --encoding cp1252"
                ) from None
            except csv.Error as exc:
                raise InputError(f"{self.name}: unreadable CSV at line {reader.line_num}: {exc}") from None
        self.rows_total = count
        return count

    def cleanup(self) -> None:
        if self.spooled:
            self.path.unlink(missing_ok=True)


def _bad_byte(path: Path, encoding: str) -> tuple[int, int]:
    """Where the first byte that does not decode is (line and byte, 1-based): the text reader only knows the
    block it was reading."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as exc:
                return number, exc.start + 1
    return number if "number" in locals() else 1, 1


def _check_swallowed(cells: list[str], delimiter: str, width: int, first: int, last: int, name: str) -> None:
    """A record spanning lines is legitimate (an address with a line break) unless a line inside one of its
    fields looks like a whole row of its own: then an opening quote was never closed and rows were merged."""
    for cell in cells:
        if "\n" not in cell and "\r" not in cell:
            continue
        for line in cell.splitlines()[1:]:
            if line.count(delimiter) >= width - 1 and any(numberish(part) for part in line.split(delimiter)):
                last_line = last if last > first else first
                raise InputError(
                    f"{name}: a quote opened on line {first} is not closed before line {last_line}, merging those "
                    "lines into one row; close the quote (or remove it) and run again"
                )


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    try:
        return open(path, encoding=encoding, newline="")
    except PermissionError:
        raise InputError(f"cannot read {path}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except PermissionError:
        raise InputError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return digest.hexdigest()


def sweep_spools(directory: Path) -> None:
    """Remove spools whose process is gone (a run killed with -9 could not remove its own)."""
    if not directory.is_dir():
        return
    for path in directory.glob(f"{SPOOL_PREFIX}*.csv"):
        pid = path.name[len(SPOOL_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            path.unlink(missing_ok=True)


def _spool(stream: BinaryIO, directory: Path | None) -> tuple[Path, str]:
    digest = hashlib.sha256()
    if directory:
        private_dir(directory)
        sweep_spools(directory)
    fd, name = tempfile.mkstemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", suffix=".csv", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            # A terminal's end of input (Ctrl-D) is not sticky: read it once, whole (a person typed it).
            blocks = [stream.read()] if stream.isatty() else iter(lambda: stream.read(1 << 20), b"")
            for block in blocks:
                digest.update(block)
                out.write(block)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), digest.hexdigest()


def _sniff(sample: str) -> str:
    """The delimiter that splits the first rows into the same number (> 1) of fields. Rows, not lines: a quoted
    cell may hold a line break (or a bare CR) and the delimiter itself."""
    best, best_score = ",", 0
    for delim in DELIMITERS:
        try:
            rows = [r for r in itertools.islice(csv.reader(io.StringIO(sample, newline=""), delimiter=delim), 22)
                    if any(c.strip() for c in r)]  # fmt: skip
        except csv.Error:
            continue
        if len(rows) > 2:
            rows = rows[:-1]  # the sample may end inside its last row
        if not rows:
            continue
        widths = [len(r) for r in rows[:20]]
        score = min(widths) if len(set(widths)) == 1 else min(widths) - 1
        if score > best_score and min(widths) > 1:
            best, best_score = delim, score
    return best


def _detect_encoding(path: Path) -> str | None:
    """The encoding of a file that is not UTF-8, if charset-normalizer (installed with requests) can tell."""
    try:
        from charset_normalizer import from_path
    except ImportError:  # pragma: no cover - requests depends on it
        return None
    best = from_path(path, steps=10, chunk_size=4096).best()
    if best is None or best.encoding in ("utf_8", "ascii"):
        return None
    # Several code pages often decode a file to the same text; Excel's Western default is the likeliest.
    return "cp1252" if "cp1252" in best.could_be_from_charset else str(best.encoding)


def _check_encoding(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(f"unknown encoding {name!r}: use a Python codec name such as utf-8, cp1252, latin-1") from None


def open_input(
    source: str,
    column: str | None = None,
    spool_dir: Path | None = None,
    encoding: str | None = None,
    notice: Callable[[str], None] | None = None,
) -> Input:
    """Open a CSV/stdin, sniff its shape, pick the number column, and read it all once to check it."""
    encoding = _check_encoding(encoding)
    spooled = source == "-"
    if spooled:
        if sys.stdin is None:
            raise InputError("no standard input to read (it is closed)")
        if notice is not None and sys.stdin.isatty():
            notice("reading CSV rows from standard input (type or paste them; Ctrl-D ends the input)")
        path, sha = _spool(sys.stdin.buffer, spool_dir)
    else:
        path = Path(source)
        if not path.exists():
            raise InputError(f"no such file: {source}")
        if path.is_dir():
            raise InputError(f"{source} is a directory, not a file")
        sha = _hash_file(path)
    try:
        return _shape(source, path, sha, spooled, column, encoding)
    except BaseException:
        if spooled:
            path.unlink(missing_ok=True)
        raise


def _shape(source: str, path: Path, sha: str, spooled: bool, column: str | None, encoding: str | None) -> Input:
    label = "stdin" if spooled else source
    chosen = encoding or "utf-8-sig"
    try:
        with _open_text(path, chosen) as fh:
            sample = fh.read(1 << 16)
    except UnicodeDecodeError:
        if encoding:
            line, byte = _bad_byte(path, encoding)
            raise InputError(f"{label} is not valid {encoding} at line {line}, byte {byte}") from None
        detected = _detect_encoding(path)
        if detected is None:
            raise InputError(
                f"{label} is not UTF-8 and its encoding could not be recognised: give it with --encoding"
            ) from None
        chosen = detected
        with _open_text(path, chosen) as fh:
            sample = fh.read(1 << 16)
    if not sample.strip():
        raise InputError(f"{label} is empty")
    delimiter = _sniff(sample)
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        head = [r for r in (next(reader, None) for _ in range(SAMPLE_ROWS + 1)) if r]
    except csv.Error as exc:
        raise InputError(f"{label}: unreadable CSV near line {reader.line_num}: {exc}") from None
    first = head[0]
    has_header = not any(numberish(c) for c in first)
    columns = (
        [c.strip() or f"col{i + 1}" for i, c in enumerate(first)]
        if has_header
        else (["input"] if len(first) == 1 else [f"col{i + 1}" for i in range(len(first))])
    )
    data = head[1:] if has_header else head
    index = _pick_column(columns, data, column, label)
    inp = Input(
        name=label,
        path=path,
        sha256=sha,
        delimiter=delimiter,
        has_header=has_header,
        columns=columns,
        number_index=index,
        encoding=chosen,
        spooled=spooled,
    )
    inp.check()
    return inp


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
