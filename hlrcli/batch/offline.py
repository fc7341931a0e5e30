"""Offline batches: free and local, so no journal; rows stream from input to output in constant memory.

libphonenumber is pure Python and CPU-bound (~70 µs a number), so large inputs are split into chunks checked
by worker processes, one per core, while this process reads and writes; a bounded window of chunks in flight
keeps memory flat whatever the input size.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Any

from hlrcli.batch.reader import Input
from hlrcli.batch.rows import RowShaper
from hlrcli.errors import ExitCode
from hlrcli.numbers import normalise
from hlrcli.output import Format, Style, check_table_size, format_for, open_output, writer

CHUNK = 2000
PARALLEL_ABOVE = 1 << 20  # input bytes (~30,000 rows); below this, starting workers costs more than it saves

_provider: Any = None


def check_chunk(numbers: Sequence[str], country: str | None, names: Sequence[str]) -> list[tuple[Any, ...]]:
    """Worker side: the NT result fields for each raw number, as plain tuples (cheap to pickle)."""
    global _provider
    if _provider is None:
        from hlrcli.config import Settings
        from hlrcli.providers.offline import Offline

        _provider = Offline(Settings({}))
    out = []
    for raw in numbers:
        result = _provider.nt(normalise(raw, country))
        out.append(tuple(getattr(result, n) for n in names))
    return out


def _chunks(rows: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


def _results(
    inp: Input, country: str | None, names: Sequence[str], workers: int
) -> Iterator[tuple[list[str], tuple[Any, ...]]]:
    """(cells, result values) for every row, in input order."""
    index = inp.number_index
    chunks = _chunks(inp.rows())
    first = next(chunks, None)
    if first is None:
        return
    if workers <= 1 or len(first) < CHUNK or inp.path.stat().st_size < PARALLEL_ABOVE:
        for chunk in _chain(first, chunks):
            yield from zip(chunk, check_chunk([c[index] for c in chunk], country, names), strict=True)
        return
    window: deque[tuple[list[list[str]], Future]] = deque()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for chunk in _chain(first, chunks):
            window.append((chunk, pool.submit(check_chunk, [c[index] for c in chunk], country, names)))
            if len(window) > workers * 3:
                done_cells, fut = window.popleft()
                yield from zip(done_cells, fut.result(), strict=True)
        while window:
            done_cells, fut = window.popleft()
            yield from zip(done_cells, fut.result(), strict=True)


def _chain(first: list[list[str]], rest: Iterator[list[list[str]]]) -> Iterator[list[list[str]]]:
    yield first
    yield from rest


def run_offline(ui: Any, provider: Any, inp: Input, req: Any) -> Any:
    """An offline batch (no journal: it is free and quick to redo), streamed from input to output."""
    from hlrcli.batch.service import BatchOutcome

    shaper = RowShaper(inp.columns, req.lookup_type, provider.name)
    index = inp.number_index
    rows = invalid = 0
    if req.dry_run:
        for cells in inp.rows():
            rows += 1
            invalid += normalise(cells[index], req.country).error is not None
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
        delimiter=";" if req.excel else inp.delimiter,
        raw=bool(req.raw),
        bom=bool(req.excel),
    )
    from hlrcli.batch.service import check_columns

    check_columns(style, shaper.columns)
    names = shaper.result_cols
    valid_at = names.index("is_valid")
    workers = max(1, min(req.concurrency or 8, os.cpu_count() or 1))
    with open_output(req.output, req.stdout, binary=fmt is Format.xlsx, not_same_as=inp.path) as stream:
        out = writer(fmt, stream, columns=shaper.columns, style=style)
        for cells, values in _results(inp, req.country, names, workers):
            rows += 1
            invalid += not values[valid_at]
            out.write(shaper.shape(cells, dict(zip(names, values, strict=True))))
        out.close()
    return BatchOutcome(ExitCode.OK, None, summary=f"{rows} rows, {invalid} invalid numbers, cost 0 (offline)")
