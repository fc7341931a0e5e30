"""Offline batches: free and local, so no journal; rows stream from input to output in constant memory."""

from __future__ import annotations

from typing import Any

from hlrcli.batch.engine import RowShaper
from hlrcli.batch.reader import Input
from hlrcli.numbers import normalise
from hlrcli.output import Format, open_output, writer


def run_offline(ctx: Any, provider: Any, inp: Input, kind: str, country: str | None, fmt: Format,
                dry_run: bool = False) -> str:
    shaper = RowShaper(inp.columns, kind, "sync", provider.name)
    index = inp.number_index
    rows = invalid = 0
    if dry_run:
        for cells in inp.rows():
            rows += 1
            invalid += normalise(cells[index], country).error is not None
        ctx.emit([{"provider": provider.name, "type": kind, "rows": rows, "invalid_rows": invalid,
                   "requests": 0, "estimated_cost": 0, "currency": "EUR"}])
        return f"{rows} rows, {invalid} invalid, nothing sent (dry run)"
    names = shaper.result_cols
    with open_output(ctx.output, ctx.stdout) as stream:
        out = writer(fmt, stream, columns=shaper.columns)
        for cells in inp.rows():
            result = provider.nt(normalise(cells[index], country))
            rows += 1
            invalid += not result.is_valid
            out.write(shaper.shape(cells, {n: getattr(result, n) for n in names}))
        out.close()
    return f"{rows} rows, {invalid} invalid numbers, cost 0 (offline)"
