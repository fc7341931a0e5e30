"""Every byte of data output goes through here: one writer per format, streaming where the format allows.

Commands hand over records (dataclasses or dicts); they never format by hand. CSV cells that a spreadsheet
would run as a formula are defused with a leading `'` (OWASP's rule; `--raw` turns it off), money is a number
in JSON, and `-o FILE` only ever replaces a regular file, atomically.
"""

from __future__ import annotations

import csv
import errno
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import IO, Any, TextIO

from hlrcli.errors import DiskFull, UsageError


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"
    xlsx = "xlsx"


SUFFIXES = {".csv": Format.csv, ".txt": Format.csv, ".tsv": Format.csv, ".json": Format.json,
            ".ndjson": Format.ndjson, ".jsonl": Format.ndjson, ".xlsx": Format.xlsx}  # fmt: skip
MONEY = frozenset({"cost", "price", "amount", "balance", "estimated_cost", "cost_total", "cost_unity"})
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Style:
    """How tabular text output looks: the columns, CSV details, spreadsheet safety."""

    columns: tuple[str, ...] | None = None  # --columns: these, in this order
    header: bool = True  # --no-header: CSV without its header line
    delimiter: str = ","  # a batch keeps its input's delimiter
    raw: bool = False  # --raw: no formula defusing
    bom: bool = False  # --excel: UTF-8 with BOM (and `;`), so Excel opens it right


def format_for(path: Path | str | None) -> Format | None:
    """The format a file name asks for; None for no file; UsageError for an extension we do not write."""
    if path is None or str(path) == "-":
        return None
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if suffix in (".xls", ".xlsm", ".ods", ".numbers", ".html", ".xml", ".parquet"):
        raise UsageError(f"cannot write {suffix} files: use .csv, .json, .ndjson or .xlsx (or give -f)")
    if suffix in (".gz", ".bz2", ".xz", ".zst", ".zip"):
        raise UsageError(f"hlrcli does not compress: write to stdout and pipe it (`… | gzip > {Path(path).name}`)")
    return None


def delimiter_for(path: Path | str | None, default: str) -> str:
    """`-o x.tsv` is tab-separated whatever the input was."""
    return "\t" if path is not None and Path(path).suffix.lower() == ".tsv" else default


def to_dict(record: Any) -> dict[str, Any]:
    if isinstance(record, Mapping):
        return dict(record)
    if is_dataclass(record):
        return {f.name: getattr(record, f.name) for f in fields(record)}
    raise TypeError(f"cannot render {type(record).__name__}")


def _cell(value: Any) -> str:
    kind = type(value)  # exact-type checks first: this runs for every cell of a million-row CSV
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is list or kind is tuple:
        return ";".join(_cell(v) for v in value)
    return str(value)


def defuse(text: str) -> str:
    """A CSV cell a spreadsheet would run as a formula, prefixed with `'` (OWASP CSV injection rule)."""
    if not text:
        return text
    first = text[0]
    if first in "=@\t\r" or (first in "+-" and not _PLAIN_NUMBER.fullmatch(text)):
        return "'" + text
    return text


def _jsonable(key: str, value: Any) -> Any:
    if type(value) is tuple:
        return list(value)
    if type(value) is dict:  # a stored result inside a row (`jobs results unmatched`): the same rules inside
        return {k: _jsonable(k, v) for k, v in value.items()}
    if key in MONEY and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


class Writer:
    """Receives rows one at a time; `close` finishes the document."""

    def __init__(self, stream: TextIO, columns: Sequence[str] | None = None, style: Style | None = None) -> None:
        self.stream = stream
        self.style = style or Style()
        self.columns = list(self.style.columns or columns or []) or None
        self.count = 0

    def write(self, record: Any) -> None:
        row = to_dict(record)
        if self.columns is None:
            self.columns = list(row)
        self._write(row)
        self.count += 1

    def _write(self, row: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        self.stream.flush()


class CsvWriter(Writer):
    def __init__(self, stream: TextIO, columns: Sequence[str] | None = None, style: Style | None = None) -> None:
        super().__init__(stream, columns, style)
        self._csv = csv.writer(self.stream, lineterminator="\n", delimiter=self.style.delimiter)
        # The csv module quotes only what is in the line terminator: a bare CR would split the row when read.
        self._quoted = csv.writer(
            self.stream, lineterminator="\n", delimiter=self.style.delimiter, quoting=csv.QUOTE_ALL
        )
        self._started = False

    def _start(self) -> None:
        self._started = True
        if self.style.bom:
            self.stream.write("\ufeff")
        if self.style.header and self.columns:
            self._csv.writerow(self.columns)

    def _write(self, row: dict[str, Any]) -> None:
        if not self._started:
            self._start()
        cells = [_cell(row.get(c)) for c in self.columns or ()]
        if not self.style.raw:
            cells = [defuse(c) for c in cells]
        (self._quoted if any("\r" in c for c in cells) else self._csv).writerow(cells)

    def close(self) -> None:
        if not self._started:
            self._start()
        super().close()


class NdjsonWriter(Writer):
    def _write(self, row: dict[str, Any]) -> None:
        cols = self.columns or list(row)
        self.stream.write(json.dumps({c: _jsonable(c, row.get(c)) for c in cols}, ensure_ascii=False) + "\n")


class JsonWriter(Writer):
    """A JSON array written element by element, so a million rows never sit in memory."""

    def _write(self, row: dict[str, Any]) -> None:
        cols = self.columns or list(row)
        self.stream.write("[\n  " if self.count == 0 else ",\n  ")
        self.stream.write(json.dumps({c: _jsonable(c, row.get(c)) for c in cols}, ensure_ascii=False))

    def close(self) -> None:
        self.stream.write("[]\n" if self.count == 0 else "\n]\n")
        super().close()


TABLE_MAX = 1000  # rows: beyond this a terminal table is unreadable and CSV/JSON are the right tools


class TableWriter(Writer):
    """A rich table sized to the terminal; buffers (tables are for a terminal, i.e. small outputs)."""

    def __init__(
        self,
        stream: TextIO,
        columns: Sequence[str] | None = None,
        style: Style | None = None,
        summary: Sequence[str] | None = None,
    ) -> None:
        super().__init__(stream, columns, style)
        self.explicit_columns = bool(self.style.columns)
        self.summary = list(summary) if summary else None
        self.rows: list[dict[str, Any]] = []

    def _write(self, row: dict[str, Any]) -> None:
        if len(self.rows) >= TABLE_MAX:
            raise UsageError(f"the table format is for small outputs (≤ {TABLE_MAX} rows); use csv, json or ndjson")
        self.rows.append(row)

    def close(self) -> None:
        from hlrcli.output.table import render_table

        render_table(self.stream, self.rows, self.columns, self.summary, whole=not self.explicit_columns)
        super().close()


def check_table_size(fmt: Format, rows: int) -> None:
    if fmt is Format.table and rows > TABLE_MAX:
        raise UsageError(f"the table format is for small outputs (≤ {TABLE_MAX} rows); use csv, json or ndjson")


def writer(
    fmt: Format,
    stream: Any,
    columns: Sequence[str] | None = None,
    sample: Any = None,
    summary: Sequence[str] | None = None,
    style: Style | None = None,
) -> Writer:
    """A writer for `fmt`. The table shows `summary` columns, else those `sample`'s class names in TABLE."""
    if fmt is Format.table:
        return TableWriter(stream, columns, style, summary=summary or getattr(sample, "TABLE", None))
    if fmt is Format.xlsx:
        from hlrcli.output.xlsx import XlsxWriter

        return XlsxWriter(stream, columns, style)
    classes: dict[Format, type[Writer]] = {Format.csv: CsvWriter, Format.json: JsonWriter, Format.ndjson: NdjsonWriter}
    return classes[fmt](stream, columns, style)


def render(
    records: Iterable[Any],
    fmt: Format,
    stream: Any,
    columns: Sequence[str] | None = None,
    summary: Sequence[str] | None = None,
    style: Style | None = None,
) -> int:
    """Write every record; returns how many were written."""
    it = iter(records)
    first = next(it, None)
    out = writer(fmt, stream, columns, sample=first, summary=summary, style=style)
    if style and style.columns and first is not None:
        check_columns(style.columns, to_dict(first))
    if first is not None:
        out.write(first)
        for record in it:
            out.write(record)
    out.close()
    return out.count


def check_columns(wanted: Sequence[str], row: Mapping[str, Any]) -> None:
    unknown = [c for c in wanted if c not in row]
    if unknown:
        raise UsageError(f"unknown column(s) for --columns: {', '.join(unknown)}; available: {', '.join(row)}")


def _is_special(path: Path) -> bool:
    """A FIFO, a character device (/dev/stdout, /dev/null) or a socket: written through, never replaced."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def sweep_parts(target: Path) -> None:
    """Remove `.NAME.PID.*.part` files a killed run left beside `target` (their process is gone)."""
    for part in target.parent.glob(f".{target.name}.*.part"):
        pid = part.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            part.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Is a process with this id running (the one that left a spool or a .part file)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def isatty(stream: Any) -> bool:
    """Is this stream a terminal (False for None, a closed stream, or one without isatty)?"""
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


def check_not_terminal(fmt: Format, output: str | Path | None, stdout: Any) -> None:
    """A binary format goes to a file or a pipe, never to a terminal: refused before anything is paid."""
    if fmt is Format.xlsx and output in (None, "-") and isatty(stdout):
        raise UsageError("xlsx is a binary file: write it with -o FILE.xlsx")


def silence_stdout() -> None:
    """The reader of stdout went away: send what is still buffered nowhere, so that neither a later write nor
    the interpreter's final flush fails."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@contextmanager
def open_output(
    path: str | Path | None, stdout: TextIO | None, *, binary: bool = False, not_same_as: Path | None = None
) -> Iterator[Any]:
    """stdout, or a file that appears only when complete (temp file in the same directory, then rename).

    A FIFO or a device is written through; a symlink keeps pointing where it did and its target is replaced;
    anything else that is not a regular file is refused, as is the input file itself.
    """
    if path is None or str(path) == "-":
        if stdout is None or getattr(stdout, "closed", False):
            raise UsageError("standard output is closed: write to a file with -o FILE")
        yield stdout.buffer if binary else stdout  # type: ignore[union-attr]
        return
    target = Path(path)
    if not_same_as is not None and target.exists():
        try:
            if target.samefile(not_same_as):
                raise UsageError(f"-o {target} is the input file: write the results somewhere else")
        except OSError:
            pass
    if _is_special(target):
        try:
            fh: IO[Any] = open(target, "wb") if binary else open(target, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
        with fh:
            yield fh
        return
    if target.is_symlink():
        target = target.resolve()
    if target.exists() and not target.is_file():
        raise UsageError(f"cannot write {target}: it is not a regular file")
    if target.parent.is_dir():
        sweep_parts(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent or ".")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        # mkstemp makes the file 0600; the result should look like any other file the user writes.
        os.chmod(fd, _file_mode(target))
        out: IO[Any] = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        with out:
            yield out
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise DiskFull(f"disk full while writing {target}; nothing was replaced") from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_mode(target: Path) -> int:
    """The mode of the file being replaced, else what the umask gives a new file."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
