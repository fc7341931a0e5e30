"""Changes between two runs over the same numbers: what moved, per number and per field.

Rows are matched on the number (`msisdn`, or `number` for NT), in any order. Each side is indexed once as
number → its state; the states themselves are shared (a job has few distinct combinations of status, network
and flags), so an index costs about one dict entry and the number's string per number.

A field unknown on either side (a failed or pending lookup says nothing about the network) is not a change;
the status always compares, so PENDING → CONNECTED shows. A number repeated within one run (an export with a
row per input row gives a duplicate the same result) counts once: its first row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hlrcli.batch.report import (
    OK,
    Keys,
    current_network,
    ellipsize,
    resolve_keys,
    row_status,
    to_flag,
)
from hlrcli.models import ABSENT, CONNECTED, INVALID_MSISDN, UNDETERMINED

if TYPE_CHECKING:
    from rich.console import Console

FIELDS = ("status", "network", "ported", "roaming", "number_type")
# The status a number must have had for "became invalid/absent" to be news: it was known to be something else.
# From PENDING or FAILED nothing was known, so that is an ordinary change.
KNOWN_STATUSES = frozenset({CONNECTED, ABSENT, INVALID_MSISDN, UNDETERMINED, OK})
BECAME = {INVALID_MSISDN: "became_invalid", ABSENT: "became_absent"}
# Row order in `rows()`: the flagged first (what someone should look at), then the rest.
CHANGE_ORDER = ("became_invalid", "became_absent", "changed", "new", "dropped")

State = tuple[str, str | None, bool | None, bool | None, str | None]  # status, network, ported, roaming, type


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: str | bool | None
    new: str | bool | None


@dataclass(frozen=True, slots=True)
class NumberChange:
    msisdn: str
    changes: tuple[FieldChange, ...]  # in FIELDS order
    flag: str | None = None  # "became_invalid" | "became_absent"


@dataclass(frozen=True)
class Diff:
    old_numbers: int
    new_numbers: int
    in_both: int
    changed: tuple[NumberChange, ...]  # sorted by number
    added: tuple[tuple[str, str], ...]  # (number, status) in the new run only, sorted
    dropped: tuple[tuple[str, str], ...]  # (number, status) in the old run only, sorted
    transitions: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (old status, new status) → numbers
    old_without_number: int = 0  # rows that cannot be matched (unparseable input has no number)
    new_without_number: int = 0

    def flagged(self, flag: str) -> tuple[NumberChange, ...]:
        return tuple(c for c in self.changed if c.flag == flag)

    def summary(self) -> dict[str, int]:
        """Counts: numbers per side, changed numbers, the flagged subsets, new and dropped, changes per field."""
        per_field = dict.fromkeys(FIELDS, 0)
        flags = dict.fromkeys(BECAME.values(), 0)
        for c in self.changed:
            for fc in c.changes:
                per_field[fc.field] += 1
            if c.flag:
                flags[c.flag] += 1
        return {
            "old_numbers": self.old_numbers,
            "new_numbers": self.new_numbers,
            "in_both": self.in_both,
            "unchanged": self.in_both - len(self.changed),
            "changed": len(self.changed),
            **flags,
            "new": len(self.added),
            "dropped": len(self.dropped),
            **{f"{name}_changed": n for name, n in per_field.items()},
            "old_rows_without_number": self.old_without_number,
            "new_rows_without_number": self.new_without_number,
        }

    def rows(self) -> Iterator[dict[str, Any]]:
        """One flat row per changed field: `msisdn, change, field, old, new`.

        `change` is became_invalid / became_absent (on the status row of a flagged number), changed, new or
        dropped; new and dropped numbers have one row, on their status. Values are text (flags "true"/"false"),
        None where a side has no value. Flagged numbers come first, then by number.
        """
        order = {name: i for i, name in enumerate(CHANGE_ORDER)}
        ranked = sorted(self.changed, key=lambda c: (order[c.flag or "changed"], c.msisdn))
        for c in ranked:
            for fc in c.changes:
                kind = c.flag if c.flag and fc.field == "status" else "changed"
                yield _row(c.msisdn, kind, fc.field, fc.old, fc.new)
        for number, status in self.added:
            yield _row(number, "new", "status", None, status)
        for number, status in self.dropped:
            yield _row(number, "dropped", "status", status, None)


COLUMNS = ("msisdn", "change", "field", "old", "new")


def _text(value: str | bool | None) -> str | None:
    if value is True or value is False:
        return "true" if value else "false"
    return value


def _row(number: str, change: str, name: str, old: str | bool | None, new: str | bool | None) -> dict[str, Any]:
    return {"msisdn": number, "change": change, "field": name, "old": _text(old), "new": _text(new)}


def index(rows: Iterable[Mapping[str, Any]], shared: dict[State, State] | None = None) -> tuple[dict[str, State], int]:
    """number → state for one run, and how many rows had no number. Equal states are one object, across runs
    too when they index with the same `shared` dict."""
    states: dict[str, State] = {}
    shared = {} if shared is None else shared
    without = 0
    keys: Keys | None = None
    for row in rows:
        if keys is None:
            keys = resolve_keys(row)
        get = row.get
        number = get(keys.msisdn) or get(keys.number)
        if not number:
            without += 1
            continue
        number = number.strip()
        if number in states:
            continue
        original = get(keys.original_network_name) or None
        number_type = get(keys.number_type) or None
        ported = to_flag(get(keys.is_ported))
        state: State = (
            row_status(get(keys.connectivity_status) or get(keys.query_status), get(keys.error), number_type, original),
            current_network(ported, get(keys.ported_network_name) or None, original),
            ported,
            to_flag(get(keys.is_roaming)),
            number_type,
        )
        states[number] = shared.setdefault(state, state)
    return states, without


def diff(old_rows: Iterable[Mapping[str, Any]], new_rows: Iterable[Mapping[str, Any]]) -> Diff:
    """What changed from the old run to the new one, number by number."""
    shared: dict[State, State] = {}
    old, old_without = index(old_rows, shared)
    new, new_without = index(new_rows, shared)
    changed: list[NumberChange] = []
    added: list[tuple[str, str]] = []
    transitions: dict[tuple[str, str], int] = {}
    in_both = 0
    for number, now in new.items():
        before = old.get(number)
        if before is None:
            added.append((number, now[0]))
            continue
        in_both += 1
        if before is now:  # shared states: the common case (nothing changed) is one identity test
            continue
        changes = []
        for i, name in enumerate(FIELDS):
            b, n = before[i], now[i]
            if b != n and (i == 0 or (b is not None and n is not None)):
                changes.append(FieldChange(name, b, n))
        if not changes:
            continue
        flag = None
        if changes[0].field == "status":
            b_status, n_status = before[0], now[0]
            transitions[(b_status, n_status)] = transitions.get((b_status, n_status), 0) + 1
            if n_status in BECAME and b_status in KNOWN_STATUSES:
                flag = BECAME[n_status]
        changed.append(NumberChange(number, tuple(changes), flag))
    dropped = [(number, state[0]) for number, state in old.items() if number not in new]
    changed.sort(key=lambda c: c.msisdn)
    added.sort()
    dropped.sort()
    return Diff(
        old_numbers=len(old),
        new_numbers=len(new),
        in_both=in_both,
        changed=tuple(changed),
        added=tuple(added),
        dropped=tuple(dropped),
        transitions=dict(sorted(transitions.items(), key=lambda kv: (-kv[1], kv[0]))),
        old_without_number=old_without,
        new_without_number=new_without,
    )


# Terminal --------------------------------------------------------------------------------------------------------
_STYLES = {"became_invalid": "red", "became_absent": "yellow", "new": "green", "dropped": "grey50"}


def render(d: Diff, console: Console, limit: int = 20) -> None:
    """The counts, the status transitions, then the first `limit` changed rows (the flagged first)."""
    from rich.table import Table
    from rich.text import Text

    counts = Table.grid(padding=(0, 2))
    counts.add_column()
    counts.add_column(justify="right")
    for name, n in d.summary().items():
        if n or name in ("old_numbers", "new_numbers", "changed"):
            counts.add_row(name.replace("_", " "), f"{n:,}")
    console.print(counts)
    if d.transitions:
        console.print()
        moves = Table(box=None, pad_edge=False, header_style="bold")
        moves.add_column("status before")
        moves.add_column("now")
        moves.add_column("numbers", justify="right")
        for (before, now), n in list(d.transitions.items())[:10]:
            moves.add_row(before, now, f"{n:,}")
        console.print(moves)
    if limit <= 0:
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in COLUMNS:
        table.add_column(col, no_wrap=col == "msisdn", overflow="ellipsis", max_width=None if col == "msisdn" else 22)
    shown = 0
    total = 0
    for row in d.rows():
        total += 1
        if shown < limit:
            shown += 1
            style = _STYLES.get(row["change"], "")
            table.add_row(
                row["msisdn"],
                Text(row["change"], style=style),
                row["field"],
                ellipsize(row["old"] or "—", 22),
                ellipsize(row["new"] or "—", 22),
            )
    if total:
        console.print()
        console.print(table)
        if total > shown:
            console.print(Text(f"… {total - shown:,} more rows (csv or json output has them all)", style="grey50"))
