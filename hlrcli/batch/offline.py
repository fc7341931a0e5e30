"""Offline batches: free and local, so no journal; rows stream from input to output in constant memory.

libphonenumber is pure Python and CPU-bound (~30 µs a number), so large inputs are split into chunks checked
by worker processes, one per core, while this process reads; a bounded window of chunks in flight keeps memory
flat whatever the input size. For CSV output (the usual case, and the only one for millions of rows) a worker
also formats its chunk's output rows and sends back one string: this process then only reads, hands out and
writes in order, so it leaves the cores to the workers rather than competing with them.
"""

from __future__ import annotations

import csv
import functools
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from hlrcli.batch.reader import Input
from hlrcli.batch.rows import RowShaper
from hlrcli.errors import ExitCode
from hlrcli.output import (
    Format,
    Style,
    check_table_size,
    defuse,
    delimiter_for,
    format_for,
    open_output,
    writer,
)
from hlrcli.providers.offline import NT_CONSTANTS, NT_FIELDS, NtAnswers

if TYPE_CHECKING:  # the service imports this module when an offline batch runs
    from hlrcli.batch.service import BatchOutcome, BatchRequest, Ui
    from hlrcli.providers.base import Provider

CHUNK = 2000
PARALLEL_ABOVE = 1 << 20  # input bytes (~15,000 rows); below this, starting workers costs more than it saves
WINDOW = 3  # chunks in flight per worker: enough that none waits for the next, few enough to keep memory flat

T = TypeVar("T")


class _Job:
    """What is the same for every chunk of a run, set once in each process that checks chunks (see _start)."""

    index = 0
    answers: Any = None  # providers.offline.NtAnswers
    full: Any = None  # NtAnswers giving every value rendered (rows the fast form cannot write)
    picks: Callable[[Sequence[Any]], tuple[Any, ...]] | None = None
    width = 0  # input columns; when set, an output row is the row's cells, the number, then a rendered rest
    delimiter = ","
    cell: Callable[[str], str] = defuse  # CsvWriter's rule: formula-like cells defused unless --raw


def _start(
    index: int,
    country: str | None,
    picks: Sequence[int] | None,
    width: int = 0,
    delimiter: str = ",",
    raw: bool = False,
) -> None:
    import phonenumbers

    # A million numbers run libphonenumber's parser over the same few hundred patterns: keep them compiled
    # (public switch; the re module's own cache is a bounded dict looked up on every use).
    getattr(phonenumbers, "enable_pattern_cache", lambda: None)()
    _Job.index = index
    _Job.picks = itemgetter(*picks) if picks else None
    _Job.delimiter = delimiter
    _Job.cell = str if raw else defuse
    # The usual shape, input columns then the answer's: each row is written as its cells and number, then the
    # rest of the answer as CSV text made once for every distinct rest (see NtAnswers).
    plain = (
        picks is not None
        and len(picks) > width + 1
        and list(picks[: width + 1]) == list(range(width + 1))
        and min(picks[width + 1 :]) > width
    )
    _Job.width = width if plain else 0
    _Job.full = NtAnswers(country, _rendered)
    if picks is None:
        _Job.answers = NtAnswers(country, tuple)
    elif plain:
        _Job.answers = NtAnswers(country, functools.partial(_csv_rest, [i - width - 1 for i in picks[width + 1 :]]))
    else:
        _Job.answers = _Job.full


def values_chunk(rows: Sequence[Sequence[str]]) -> list[tuple[Any, ...]]:
    """Worker side: the NT values (providers.offline.NT_FIELDS) of each row's number."""
    answers, index = _Job.answers, _Job.index
    return [(number, *rest) for _, number, rest in map(answers, [cells[index] for cells in rows])]


def _rendered(rest: tuple[Any, ...]) -> tuple[str, ...]:
    """NT values but the number, as CsvWriter renders them (see output._cell); then the fixed fields and ""."""
    label, valid, reason, hlr, network, name, code, regions, zones = rest
    return (
        label,
        "true" if valid else "false",
        reason or "",
        "true" if hlr else "false",
        network or "",
        name or "",
        code or "",
        ";".join(regions) if regions else "",
        ";".join(zones) if zones else "",
        *NT_CONSTANTS.values(),
        "",
    )


class _Lines(list):  # type: ignore[type-arg]
    """A csv.writer target keeping each written row as one string."""

    write = list.append


def _csv_rest(picks: Sequence[int], rest: tuple[Any, ...]) -> str:
    """The output columns after the number, as the end of a CSV row: ",…\n"."""
    fields = _rendered(rest)
    lines = _Lines()
    # Written after a placeholder field: the text is then what these fields are within a whole row.
    csv.writer(lines, lineterminator="\n", delimiter=_Job.delimiter).writerow(
        ("-", *(_Job.cell(fields[i]) for i in picks))
    )
    return lines[0][1:]


def csv_chunk(rows: Sequence[Sequence[str]]) -> tuple[str, int]:
    """Worker side: the chunk's output rows as CSV text, as CsvWriter writes them; and how many were invalid."""
    answers, index, width, picks, cell = _Job.answers, _Job.index, _Job.width, _Job.picks, _Job.cell
    lines = _Lines()
    write = csv.writer(lines, lineterminator="\n", delimiter=_Job.delimiter).writerow
    invalid = 0
    for cells in rows:
        if width and not any("\r" in c for c in cells):
            valid, number, rest = answers(cells[index])
            write((*map(cell, cells), cell(number)))
            lines[-1] = lines[-1][:-1] + rest
        else:
            assert picks is not None
            valid, number, rest = _Job.full(cells[index])
            fields = [cell(v) for v in picks((*cells, number, *rest))]
            if any("\r" in f for f in fields):
                # CsvWriter's rule: the csv module would not quote a bare CR, which splits the row when read.
                csv.writer(lines, lineterminator="\n", delimiter=_Job.delimiter, quoting=csv.QUOTE_ALL).writerow(fields)
            else:
                write(fields)
        invalid += not valid
    return "".join(lines), invalid


def _column_picks(shaper: RowShaper, width: int) -> list[int]:
    """For each output column, the position in csv_chunk's per-row tuple of the value it shows.

    Worked out by shaping one row of markers, so that whatever RowShaper does with clashing names, the CSV
    written here is the one it would give.
    """
    position: dict[tuple[str, Any], int] = {("cell", i): i for i in range(width)}
    position.update({("value", name): width + i for i, name in enumerate(NT_FIELDS)})
    fixed = width + len(NT_FIELDS)
    position.update({("value", name): fixed + i for i, name in enumerate(NT_CONSTANTS)})
    empty = fixed + len(NT_CONSTANTS)
    markers: list[Any] = [("cell", i) for i in range(width)]
    row = shaper.shape(markers, {c: ("value", c) for c in shaper.result_cols})
    return [position.get(row[c], empty) if row.get(c) is not None else empty for c in shaper.columns]


def _chunks(rows: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


def _checked(
    inp: Input, work: Callable[[list[list[str]]], T], init: tuple[Any, ...], workers: int
) -> Iterator[tuple[list[list[str]], T]]:
    """(chunk of rows, work(chunk)) for the whole input, in input order."""
    chunks = _chunks(inp.rows())
    first = next(chunks, None)
    if first is None:
        return
    _start(*init)
    try:
        if workers <= 1 or len(first) < CHUNK or inp.path.stat().st_size < PARALLEL_ABOVE:
            for chunk in chain([first], chunks):
                yield chunk, work(chunk)
            return
        # The first chunk is checked here: the metadata, patterns and prefix tables it loads are then inherited
        # by the workers forked next, instead of being loaded by each of them.
        yield first, work(first)
        window: deque[tuple[list[list[str]], Future[T]]] = deque()
        with ProcessPoolExecutor(max_workers=workers, initializer=_start, initargs=init) as pool:
            for chunk in chunks:
                window.append((chunk, pool.submit(work, chunk)))
                if len(window) > workers * WINDOW:
                    done, fut = window.popleft()
                    yield done, fut.result()
            while window:
                done, fut = window.popleft()
                yield done, fut.result()
    finally:
        _Job.answers = None  # its memory of answers is for this run only


def cores() -> int:
    """The processors this process may run on (a CPU affinity mask or container pinning counts)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_offline(ui: Ui, provider: Provider, inp: Input, req: BatchRequest) -> BatchOutcome:
    """An offline batch (no journal: it is free and quick to redo), streamed from input to output."""
    from hlrcli.batch.plan import check_columns
    from hlrcli.batch.service import BatchOutcome
    from hlrcli.numbers import check

    shaper = RowShaper(inp.columns, req.lookup_type, provider.name)
    index = inp.number_index
    rows = invalid = 0
    if req.dry_run:
        for cells in inp.rows():
            rows += 1
            invalid += check(cells[index], req.country)[1] is not None
        report = {
            "provider": provider.name,
            "type": req.lookup_type,
            "rows": rows,
            "invalid_rows": invalid,
            "requests": 0,
            "estimated_cost": 0,
            "currency": "EUR",
        }
        return BatchOutcome(ExitCode.OK, None, summary=f"{rows} rows, {invalid} invalid, nothing sent (dry run)",
                            report=report)  # fmt: skip
    fmt = req.format or format_for(req.output) or Format.csv
    check_table_size(fmt, inp.rows_total or 0)
    style = Style(
        columns=tuple(req.columns) if req.columns else None,
        header=req.header is not False,
        delimiter=";" if req.excel else delimiter_for(req.output, inp.delimiter),
        raw=bool(req.raw),
        bom=bool(req.excel),
    )
    check_columns(style, shaper.columns)
    workers = max(1, min(req.concurrency or 8, cores()))
    with open_output(req.output, req.stdout, binary=fmt is Format.xlsx, not_same_as=inp.path) as stream:
        if fmt is Format.csv and style.columns is None:
            # The usual case: workers write the CSV text themselves (see csv_chunk).
            if style.bom:
                stream.write("\ufeff")
            if style.header:
                csv.writer(stream, lineterminator="\n", delimiter=style.delimiter).writerow(shaper.columns)
            picks = _column_picks(shaper, len(inp.columns))
            init: tuple[Any, ...] = (index, req.country, picks, len(inp.columns), style.delimiter, style.raw)
            for chunk, (text, bad) in _checked(inp, csv_chunk, init, workers):
                stream.write(text)
                rows += len(chunk)
                invalid += bad
            stream.flush()
        else:
            out = writer(fmt, stream, columns=shaper.columns, style=style)
            valid_at = NT_FIELDS.index("is_valid")
            for chunk, answers in _checked(inp, values_chunk, (index, req.country, None), workers):
                for cells, values in zip(chunk, answers, strict=True):
                    rows += 1
                    invalid += not values[valid_at]
                    out.write(shaper.shape(cells, {**NT_CONSTANTS, **dict(zip(NT_FIELDS, values, strict=True))}))
            out.close()
    return BatchOutcome(ExitCode.OK, None, summary=f"{rows} rows, {invalid} invalid numbers, cost 0 (offline)")
