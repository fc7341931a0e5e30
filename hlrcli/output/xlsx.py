"""`-o results.xlsx`: a real workbook (XlsxWriter, the optional extra `hlrcli[xlsx]`), written row by row.

Typed columns: numbers stay text (a leading + or 0 must survive), money is a number, booleans are booleans;
the header row is frozen and filterable. XlsxWriter's constant-memory mode keeps a million rows out of RAM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hlrcli.errors import UsageError
from hlrcli.output import MONEY, Style, Writer, _cell

EXTRA = "pip install 'hlrcli[xlsx]'"
MAX_ROWS = 1_048_575  # Excel's limit, header excluded


class XlsxWriter(Writer):
    def __init__(self, stream: Any, columns: Sequence[str] | None = None, style: Style | None = None) -> None:
        try:
            import xlsxwriter  # type: ignore[import-untyped]
        except ImportError:
            raise UsageError(f"writing .xlsx needs the optional XlsxWriter library: {EXTRA}") from None
        super().__init__(stream, columns, style)
        self.book = xlsxwriter.Workbook(stream, {"constant_memory": True, "strings_to_numbers": False,
                                                 "strings_to_formulas": False, "strings_to_urls": False})  # fmt: skip
        self.sheet = self.book.add_worksheet("results")
        self.bold = self.book.add_format({"bold": True})
        self.money = self.book.add_format({"num_format": "0.0000"})
        self._started = False

    def _start(self) -> None:
        self._started = True
        for i, name in enumerate(self.columns or []):
            self.sheet.write_string(0, i, name, self.bold)
        self.sheet.freeze_panes(1, 0)

    def _write(self, row: dict[str, Any]) -> None:
        if not self._started:
            self._start()
        if self.count >= MAX_ROWS:
            raise UsageError(f"a worksheet holds at most {MAX_ROWS} rows; write csv for more")
        line = self.count + 1
        for i, name in enumerate(self.columns or []):
            value = row.get(name)
            if value is None:
                continue
            if isinstance(value, bool):
                self.sheet.write_boolean(line, i, value)
            elif name in MONEY and _is_number(value):
                self.sheet.write_number(line, i, float(value), self.money)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                self.sheet.write_number(line, i, value)
            else:
                self.sheet.write_string(line, i, _cell(value))

    def close(self) -> None:
        if not self._started:
            self._start()
        if self.columns:
            self.sheet.autofilter(0, 0, max(self.count, 1), len(self.columns) - 1)
        try:
            self.book.close()
        except Exception as exc:
            # XlsxWriter reports a reader that went away (`| head -c`) as its own FileCreateError.
            if isinstance(exc.__context__, BrokenPipeError) or "Broken pipe" in str(exc):
                raise BrokenPipeError(str(exc)) from None
            raise
        self.stream.flush()


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
