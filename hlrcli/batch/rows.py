"""Output rows of a job: every input column unchanged, then the result columns; streamed in input order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

from hlrcli.models import PENDING, HlrResult, MnpResult, NtResult
from hlrcli.output import silence_stdout
from hlrcli.store import JoinedRow, NumberState, Store

RESULT_TYPES: dict[str, type] = {"hlr": HlrResult, "mnp": MnpResult, "nt": NtResult}
RECEIPT_COLUMNS = ("state", "id", "reference", "cost", "currency", "provider", "error")
STATUS_FIELD = {"hlr": "connectivity_status", "mnp": "query_status", "nt": "query_status"}
CACHE_COLUMNS = ("source", "checked")
_AWAITED = (NumberState.SUBMITTED, NumberState.SENDING, NumberState.PENDING)


def result_columns(kind: str, receipt: bool = False, cached: bool = False) -> list[str]:
    if receipt:
        return list(RECEIPT_COLUMNS)
    names = [f.name for f in fields(RESULT_TYPES[kind])]
    return names + list(CACHE_COLUMNS) if cached else names


class RowShaper:
    """Input columns first, unchanged; then the result columns (renamed `result_X` where a name clashes).

    receipt: an async submission's output (state, id, reference, cost…) rather than the results.
    cached: add `source` (provider | store) and `checked` (when the result was obtained), for --max-age.
    """

    def __init__(
        self, input_columns: Sequence[str], kind: str, provider: str, *, receipt: bool = False, cached: bool = False
    ) -> None:
        self.input_columns = list(input_columns)
        self.kind, self.provider = kind, provider
        self.result_cols = result_columns(kind, receipt, cached)
        taken = set(self.input_columns)
        self.out_names = [f"result_{c}" if c in taken else c for c in self.result_cols]
        self.columns = self.input_columns + self.out_names
        self.receipt = receipt
        self.cached = cached
        self.status_field = STATUS_FIELD[kind]

    def shape(self, cells: Sequence[str], values: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = dict(zip(self.input_columns, cells, strict=False))
        for name, col in zip(self.out_names, self.result_cols, strict=True):
            row[name] = values.get(col)
        return row

    def from_store(self, r: JoinedRow) -> dict[str, Any]:
        """One joined store row as an output row."""
        if r.number is None:
            return self.shape(r.cells, {"provider": self.provider, "error": r.row_error})
        state = r.state or NumberState.PENDING
        if self.receipt:
            values = {
                "state": r.receipt or {NumberState.DONE: "COMPLETED"}.get(state, state.value.upper()),
                "id": r.sub_id,
                "reference": r.reference,
                "cost": r.cost,
                "currency": r.currency,
                "provider": self.provider,
                "error": state_error(state, r.error),
            }
            return self.shape(r.cells, values)
        if state is NumberState.DONE and r.result:
            values = dict(r.result)
            if self.cached:
                values["source"] = r.source or "provider"
                values["checked"] = _when(r.updated)
            return self.shape(r.cells, values)
        values = {
            "msisdn": r.number,
            "provider": self.provider,
            "id": r.sub_id,
            "reference": r.reference,
            "error": state_error(state, r.error),
        }
        if state in _AWAITED or (state is NumberState.UNCERTAIN and r.sub_id):
            values[self.status_field] = PENDING
        return self.shape(r.cells, values)


def state_error(state: NumberState, error: str | None) -> str | None:
    if state is NumberState.UNCERTAIN:
        return error or "uncertain: the request may have been billed; see `hlrcli jobs show`"
    if state is NumberState.PENDING:
        return "not sent"
    return error


def _when(ts: float | None) -> str | None:
    if ts is None:
        return None
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


FINAL_FOR_OUTPUT = frozenset({NumberState.DONE, NumberState.FAILED, NumberState.REJECTED, NumberState.UNCERTAIN})


class OrderedEmitter:
    """Writes output rows in input order as soon as every row before them is final (streaming)."""

    def __init__(
        self,
        store: Store,
        job: str,
        shaper: RowShaper,
        write: Callable[[dict[str, Any]], None],
        to_send: Sequence[NumberState] = (),
    ) -> None:
        self.store, self.job, self.shaper, self._write = store, job, shaper, write
        self.to_send = frozenset(to_send)  # states this run sends again: not final yet, whatever they say
        self.next_idx = 0
        self.head: str | None = None  # the number the first unwritten row waits for
        # The reader went away (`| head`): nothing more is written, and `on_closed` stops the sending; what is
        # in flight is still awaited and journaled (it may be billed).
        self.closed = False
        self.on_closed: Callable[[], None] = lambda: None

    def write(self, row: dict[str, Any]) -> None:
        if self.closed:
            return
        try:
            self._write(row)
        except BrokenPipeError:
            self.closed = True
            silence_stdout()
            self.on_closed()

    def advance(self, finished: set[str] | None = None) -> None:
        if self.closed or (finished is not None and self.head is not None and self.head not in finished):
            return
        # Small pages first: usually only a few rows became writable; grow while whole pages are.
        page = 16
        while True:
            rows = list(self.store.joined(self.job, start=self.next_idx, limit=page))
            for r in rows:
                if not self._ready(r):
                    self.head = r.number
                    return
                self.write(self.shaper.from_store(r))
                self.next_idx = r.idx + 1
            if len(rows) < page:
                self.head = None
                return
            page = min(page * 2, 2000)

    def _ready(self, r: JoinedRow) -> bool:
        if r.number is None:
            return True  # an invalid row: its error is its result
        if r.state in self.to_send:
            return False
        if self.shaper.receipt:
            # A receipt row is written once its submission is recorded (a webhook result may come first).
            return r.receipt is not None or r.state in (
                NumberState.FAILED,
                NumberState.REJECTED,
                NumberState.UNCERTAIN,
            )
        return r.state in FINAL_FOR_OUTPUT

    def flush(self) -> None:
        """Everything left, final or not (after a stop): pending rows say so in `error`."""
        for r in self.store.joined(self.job, start=self.next_idx):
            if self.closed:
                return
            self.write(self.shaper.from_store(r))
            self.next_idx = r.idx + 1
