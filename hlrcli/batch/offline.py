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
from typing import Any, TypeVar

from hlrcli.batch.engine import RowShaper
from hlrcli.batch.reader import Input
from hlrcli.output import Format, open_output, writer
from hlrcli.providers.offline import NT_CONSTANTS, NT_FIELDS, NtAnswers

CHUNK = 2000
PARALLEL_ABOVE = 1 << 20  # input bytes (~15,000 rows); below this, starting workers costs more than it saves
WINDOW = 3  # chunks in flight per worker: enough that none waits for the next, few enough to keep memory flat

T = TypeVar("T")


class _Job:
    """What is the same for every chunk of a run, set once in each process that checks chunks (see _start)."""

    index = 0
    answers: Any = None  # providers.offline.NtAnswers
    picks: Callable[[Sequence[Any]], tuple[Any, ...]] | None = None
    width = 0  # input columns; when set, an output row is the row's cells, the number, then a rendered rest


def _start(index: int, country: str | None, picks: Sequence[int] | None, width: int = 0) -> None:
    import phonenumbers

    # A million numbers run libphonenumber's parser over the same few hundred patterns: keep them compiled
    # (public switch; the re module's own cache is a bounded dict looked up on every use).
    getattr(phonenumbers, "enable_pattern_cache", lambda: None)()
    _Job.index = index
    _Job.picks = itemgetter(*picks) if picks else None
    # The usual shape, input columns then the answer's: each row is written as its cells and number, then the
    # rest of the answer as CSV text made once for every distinct rest (see NtAnswers).
    plain = (
        picks is not None
        and len(picks) > width + 1
        and list(picks[: width + 1]) == list(range(width + 1))
        and min(picks[width + 1 :]) > width
    )
    _Job.width = width if plain else 0
    if picks is None:
        _Job.answers = NtAnswers(country, tuple)
    elif plain:
        _Job.answers = NtAnswers(country, functools.partial(_csv_rest, [i - width - 1 for i in picks[width + 1 :]]))
    else:
        _Job.answers = NtAnswers(country, _rendered)


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
    csv.writer(lines, lineterminator="\n").writerow(("-", *(fields[i] for i in picks)))
    return lines[0][1:]


def csv_chunk(rows: Sequence[Sequence[str]]) -> tuple[str, int]:
    """Worker side: the chunk's output rows as CSV text, as CsvWriter writes them; and how many were invalid."""
    answers, index, width, picks = _Job.answers, _Job.index, _Job.width, _Job.picks
    lines = _Lines()
    write = csv.writer(lines, lineterminator="\n").writerow
    invalid = 0
    for cells in rows:
        valid, number, rest = answers(cells[index])
        invalid += not valid
        if width:
            write((*cells, number))
            lines[-1] = lines[-1][:-1] + rest
        else:
            assert picks is not None
            write(picks((*cells, number, *rest)))
    return "".join(lines), invalid


def _column_picks(shaper: RowShaper, width: int) -> list[int]:
    """For each output column, the position in csv_chunk's per-row tuple of the value it shows.

    Worked out by shaping one row of markers, so that whatever RowShaper does with clashing names, the CSV
    written here is the one it would give.
    """
    position = {("cell", i): i for i in range(width)}
    position.update({("value", name): width + i for i, name in enumerate(NT_FIELDS)})
    fixed = width + len(NT_FIELDS)
    position.update({("value", name): fixed + i for i, name in enumerate(NT_CONSTANTS)})
    empty = fixed + len(NT_CONSTANTS)
    row = shaper.shape([("cell", i) for i in range(width)], {c: ("value", c) for c in shaper.result_cols})
    return [position.get(row.get(c), empty) for c in shaper.columns]


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


def run_offline(
    ctx: Any,
    provider: Any,
    inp: Input,
    kind: str,
    country: str | None,
    fmt: Format,
    dry_run: bool = False,
    concurrency: int = 8,
) -> str:
    from hlrcli.numbers import check

    shaper = RowShaper(inp.columns, kind, "sync", provider.name)
    index = inp.number_index
    rows = invalid = 0
    if dry_run:
        for cells in inp.rows():
            rows += 1
            invalid += check(cells[index], country)[1] is not None
        ctx.emit(
            [
                {
                    "provider": provider.name,
                    "type": kind,
                    "rows": rows,
                    "invalid_rows": invalid,
                    "requests": 0,
                    "estimated_cost": 0,
                    "currency": "EUR",
                }
            ]
        )
        return f"{rows} rows, {invalid} invalid, nothing sent (dry run)"
    workers = max(1, min(concurrency, cores()))
    with open_output(ctx.output, ctx.stdout) as stream:
        if fmt is Format.csv:
            picks = _column_picks(shaper, len(inp.columns))
            csv.writer(stream, lineterminator="\n").writerow(shaper.columns)
            init: tuple[Any, ...] = (index, country, picks, len(inp.columns))
            for chunk, (text, bad) in _checked(inp, csv_chunk, init, workers):
                stream.write(text)
                rows += len(chunk)
                invalid += bad
            stream.flush()
        else:
            out = writer(fmt, stream, columns=shaper.columns)
            valid_at = NT_FIELDS.index("is_valid")
            for chunk, answers in _checked(inp, values_chunk, (index, country, None), workers):
                for cells, values in zip(chunk, answers, strict=True):
                    rows += 1
                    invalid += not values[valid_at]
                    out.write(shaper.shape(cells, {**NT_CONSTANTS, **dict(zip(NT_FIELDS, values, strict=True))}))
            out.close()
    return f"{rows} rows, {invalid} invalid numbers, cost 0 (offline)"
