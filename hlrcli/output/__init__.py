"""Every byte of data output goes through here: one writer per format, streaming where the format allows.

Commands hand over records (dataclasses or dicts); they never format by hand.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any, TextIO


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"


def to_dict(record: Any) -> dict[str, Any]:
    if isinstance(record, Mapping):
        return dict(record)
    if is_dataclass(record):
        return {f.name: getattr(record, f.name) for f in fields(record)}
    raise TypeError(f"cannot render {type(record).__name__}")


def _cell(value: Any) -> str:
    kind = type(value)  # exact-type checks first: this runs for every cell of a million-row CSV
    if kind is str:
        return value
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is list or kind is tuple:
        return ";".join(_cell(v) for v in value)
    return str(value)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class Writer:
    """Receives rows one at a time; `close` finishes the document."""

    def __init__(self, stream: TextIO, columns: Sequence[str] | None = None) -> None:
        self.stream = stream
        self.columns = list(columns) if columns else None
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
    def _write(self, row: dict[str, Any]) -> None:
        if self.count == 0:
            self._csv = csv.writer(self.stream, lineterminator="\n")
            self._csv.writerow(self.columns)
        self._csv.writerow([_cell(row.get(c)) for c in self.columns or ()])

    def close(self) -> None:
        if self.count == 0 and self.columns:
            csv.writer(self.stream, lineterminator="\n").writerow(self.columns)
        super().close()


class NdjsonWriter(Writer):
    def _write(self, row: dict[str, Any]) -> None:
        cols = self.columns or list(row)
        self.stream.write(json.dumps({c: _jsonable(row.get(c)) for c in cols}, ensure_ascii=False) + "\n")


class JsonWriter(Writer):
    """A JSON array written element by element, so a million rows never sit in memory."""

    def _write(self, row: dict[str, Any]) -> None:
        cols = self.columns or list(row)
        self.stream.write("[\n  " if self.count == 0 else ",\n  ")
        self.stream.write(json.dumps({c: _jsonable(row.get(c)) for c in cols}, ensure_ascii=False))

    def close(self) -> None:
        self.stream.write("[]\n" if self.count == 0 else "\n]\n")
        super().close()


STATUS_STYLES = {
    "CONNECTED": "green",
    "ABSENT": "yellow",
    "INVALID_MSISDN": "red",
    "UNDETERMINED": "magenta",
    "PENDING": "cyan",
    "SUBMITTED": "cyan",
    "ok": "green",
    "fail": "red",
    "warn": "yellow",
    "skip": "dim",
}


class TableWriter(Writer):
    """A rich table; buffers (tables are for a terminal, i.e. small outputs)."""

    def __init__(self, stream: TextIO, columns: Sequence[str] | None = None, summary: Sequence[str] | None = None):
        super().__init__(stream, columns)
        self.explicit_columns = columns is not None
        self.summary = list(summary) if summary else None
        self.rows: list[dict[str, Any]] = []

    def _write(self, row: dict[str, Any]) -> None:
        self.rows.append(row)

    def close(self) -> None:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # Off a terminal (a file, a pipe) nothing limits the width: never wrap cells there.
        width = None if _isatty(self.stream) else 10_000
        console = Console(file=self.stream, no_color="NO_COLOR" in os.environ or None, soft_wrap=False, width=width)

        def styled(value: Any) -> Text:
            text = _cell(value)
            return Text(text, style=STATUS_STYLES.get(text, ""))

        if len(self.rows) == 1 and not self.explicit_columns:
            table = Table(show_header=False, box=None, pad_edge=False)
            table.add_column(style="bold")
            table.add_column()
            for key, value in self.rows[0].items():
                if value not in (None, "", ()):
                    table.add_row(key, styled(value))
        else:
            cols = self.summary or self.columns or []
            cols = [c for c in cols if any(r.get(c) not in (None, "", ()) for r in self.rows)] or cols
            table = Table(header_style="bold")
            for i, col in enumerate(cols):
                # Narrow terminals: shorten cells with an ellipsis rather than stacking letters vertically,
                # but never the first column (the number the row is about).
                cells = [_cell(r.get(col)) for r in self.rows]
                statuses = [len(c) for c in cells if c in STATUS_STYLES]  # never shorten a status
                widest = max((len(c) for c in cells), default=len(col))  # no rows: an empty table
                keep = widest if i == 0 else max([min(len(col), 10), *statuses])
                table.add_column(col, overflow="ellipsis", no_wrap=i == 0, min_width=keep)
            for row in self.rows:
                table.add_row(*(styled(row.get(c)) for c in cols))
        console.print(table)
        super().close()


TABLE_MAX = 1000  # rows: beyond this a terminal table is unreadable and CSV/JSON are the right tools


def check_table_size(fmt: Format, rows: int) -> None:
    if fmt is Format.table and rows > TABLE_MAX:
        from hlrcli.errors import UsageError

        raise UsageError(f"the table format is for small outputs (≤ {TABLE_MAX} rows); use csv, json or ndjson")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def writer(
    fmt: Format,
    stream: TextIO,
    columns: Sequence[str] | None = None,
    sample: Any = None,
    summary: Sequence[str] | None = None,
) -> Writer:
    """A writer for `fmt`. The table shows `summary` columns, else those `sample`'s class names in TABLE."""
    if fmt is Format.table:
        return TableWriter(stream, columns, summary=summary or getattr(sample, "TABLE", None))
    return {Format.csv: CsvWriter, Format.json: JsonWriter, Format.ndjson: NdjsonWriter}[fmt](stream, columns)


def render(
    records: Iterable[Any],
    fmt: Format,
    stream: TextIO,
    columns: Sequence[str] | None = None,
    summary: Sequence[str] | None = None,
) -> int:
    """Write every record; returns how many were written."""
    it = iter(records)
    first = next(it, None)
    out = writer(fmt, stream, columns, sample=first, summary=summary)
    if first is not None:
        out.write(first)
        for record in it:
            out.write(record)
    out.close()
    return out.count


@contextmanager
def open_output(path: str | Path | None, stdout: TextIO) -> Iterator[TextIO]:
    """stdout, or a file that appears only when complete (temp file in the same directory, then rename)."""
    if path is None or str(path) == "-":
        yield stdout
        return
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent or ".")
    except OSError as exc:
        from hlrcli.errors import UsageError

        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        # mkstemp makes the file 0600; the result should look like any other file the user writes.
        os.chmod(fd, _file_mode(target))
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        os.replace(tmp, target)
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
