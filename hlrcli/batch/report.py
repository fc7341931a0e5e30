"""Reports over a job's results: counts per dimension, two runs side by side, terminal rendering.

Input is plain result rows: dicts as a job exports them (or as its CSV export reads back, every value a string).
Only counters are kept, never rows, so a million-row job reports in bounded memory; the caller (CLI, job store)
feeds rows and decides where they come from. Nothing here reads the store.

Counts are per row given. Feed one row per distinct number for a per-number report (and the billed cost: a
per-input-row export repeats a duplicate number's result, cost included, on every row).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from math import log
from typing import TYPE_CHECKING, Any, NamedTuple

from hlrcli.models import ABSENT, CONNECTED, INVALID_MSISDN, PENDING, UNDETERMINED

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

DIMENSIONS: dict[str, str] = {
    "status": "Status",
    "network": "Current network",
    "original_network": "Original network",
    "country": "Country",
    "ported": "Ported",
    "roaming": "Roaming",
    "number_type": "Number type",
    "error": "Errors",
}
# Long tails only happen where values are names; statuses, flags and number types are short fixed lists.
FOLDED = frozenset({"network", "original_network", "country", "error"})
TOP = 15
NONE_LABEL = "(none)"
FAILED, OK = "FAILED", "OK"

# A provider error that embeds an id or the number makes every row's text distinct; past this many values per
# dimension new ones are counted in the "other" bucket, so memory stays bounded whatever the input.
MAX_VALUES = 10_000
# Rows are first counted per combination of values; past this many combinations (memory: a few MiB) the
# combinations are split into per-dimension counts and counting starts over.
COMBINATION_LIMIT = 20_000
# Distinct numbers are counted exactly up to here (a set of 64-bit hashes, about 70 bytes a number), then
# estimated by linear counting over a fixed 1 MiB bitmap: within ±0.1 % up to tens of millions of numbers.
EXACT_DISTINCT_LIMIT = 250_000
_BITMAP_BITS = 1 << 23

_TRUE = {"true", "yes", "1", "t", "y"}
_FALSE = {"false", "no", "0", "f", "n"}


def to_flag(value: Any) -> bool | None:
    """A flag as the store (bool), a CSV export ("true"/"false") or a provider (1/0, "yes") writes it."""
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else None
    if isinstance(value, int | float):
        return bool(value)
    return None


class Keys(NamedTuple):
    """The column each field is read from: `result_X` when the export renamed X because the input had an X."""

    msisdn: str
    number: str
    connectivity_status: str
    query_status: str
    number_type: str
    original_network_name: str
    ported_network_name: str
    original_country_code: str
    original_country_name: str
    is_ported: str
    is_roaming: str
    error: str
    cost: str
    currency: str


def resolve_keys(row: Mapping[str, Any]) -> Keys:
    return Keys(*(f"result_{name}" if f"result_{name}" in row else name for name in Keys._fields))


def row_status(status: str | None, error: str | None, number_type: str | None, original: str | None) -> str:
    """The provider's status, else what the row says without one: FAILED (an error: invalid input, provider
    failure, uncertain request), OK (a result without a status field), PENDING (a receipt, nothing back yet)."""
    if status:
        return status
    if error:
        return FAILED
    if number_type or original:
        return OK
    return PENDING


def current_network(ported: bool | None, ported_name: str | None, original: str | None) -> str | None:
    # Some providers fill ported_network_name with the original network when not ported: trust the flag.
    return ported_name if ported_name and ported is not False else original


class _Distinct:
    """Counts distinct numbers: exactly while few, then by linear counting in a fixed-size bitmap."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.exact: set[int] | None = set()
        self.bitmap: bytearray | None = None

    def add(self, number: str) -> None:
        # str hashes are salted per process: fine, the count never leaves the process.
        h = hash(number)
        if self.exact is not None:
            self.exact.add(h)
            if len(self.exact) > self.limit:
                self._to_bitmap()
            return
        bit = h & (_BITMAP_BITS - 1)
        self.bitmap[bit >> 3] |= 1 << (bit & 7)  # type: ignore[index]

    def _to_bitmap(self) -> None:
        bitmap = bytearray(_BITMAP_BITS // 8)
        for h in self.exact or ():
            bit = h & (_BITMAP_BITS - 1)
            bitmap[bit >> 3] |= 1 << (bit & 7)
        self.bitmap, self.exact = bitmap, None

    @property
    def is_exact(self) -> bool:
        return self.exact is not None

    def count(self) -> int:
        if self.exact is not None:
            return len(self.exact)
        zeros = _BITMAP_BITS - int.from_bytes(self.bitmap or b"", "big").bit_count()
        if zeros == 0:  # saturated: far beyond what one job holds; say at least what the map can tell
            return round(_BITMAP_BITS * log(_BITMAP_BITS))
        return round(-_BITMAP_BITS * log(zeros / _BITMAP_BITS))


class _Counter:
    """Counts per value, with at most MAX_VALUES distinct values (the rest counted as overflow)."""

    __slots__ = ("counts", "overflow")

    def __init__(self) -> None:
        self.counts: dict[Any, int] = {}
        self.overflow = 0


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bar: a value, its count and share of all rows. `values` > 1 for the folded "other" bucket."""

    value: str
    count: int
    percent: float
    values: int = 1


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    title: str
    buckets: tuple[Bucket, ...]  # sorted by count, long tails folded: what is shown
    counts: Mapping[str, int]  # every value, unfolded: what compare() aligns on
    overflow: int = 0  # rows whose value went uncounted past MAX_VALUES distinct values

    @property
    def values(self) -> int:
        """How many distinct values were seen (at least, if some overflowed)."""
        return len(self.counts)


@dataclass(frozen=True)
class Report:
    rows: int
    distinct: int  # distinct numbers (rows without a number, e.g. unparseable input, are not counted)
    distinct_exact: bool  # False: estimated (beyond EXACT_DISTINCT_LIMIT numbers)
    with_result: int  # the provider answered (UNDETERMINED is an answer)
    pending: int  # submitted or not yet sent, result still awaited
    failed: int  # invalid number, provider failure, uncertain request
    costs: Mapping[str, Decimal]  # currency ("" when the rows did not say) → sum of the rows' cost
    dimensions: tuple[Dimension, ...]
    top: int = TOP
    cost_rows: Mapping[str, int] = field(default_factory=dict)  # currency → rows whose cost was counted
    currency_default: str = ""  # the currency of rows that did not say (the caller's)
    # Rows cannot tell a request whose answer was lost from one still awaited: only the job's journal knows.
    # None until `with_journal` gives them (a report over plain rows leaves them unknown).
    uncertain: int | None = None  # sent, no usable answer, may have been billed (awaited: also counted pending)
    maybe_costs: Mapping[str, Decimal] | None = None  # currency → what those may have cost; None: unknown

    def dimension(self, name: str) -> Dimension:
        for dim in self.dimensions:
            if dim.name == name:
                return dim
        raise KeyError(name)

    def has(self, name: str) -> bool:
        return any(dim.name == name for dim in self.dimensions)

    @property
    def cost(self) -> Decimal | None:
        """The total when the rows are in one currency (or did not say); None when there is no cost."""
        if not self.costs:
            return None
        return sum(self.costs.values(), Decimal(0)) if len(self.costs) == 1 else None

    @property
    def currency(self) -> str | None:
        return (next(iter(self.costs)) or None) if len(self.costs) == 1 else None

    def cost_text(self) -> str:
        """`9.7000 EUR`; several currencies joined with `+`; `none` when no row had a cost."""
        if not self.costs:
            return "none"
        return " + ".join(f"{total:.4f} {cur}".rstrip() for cur, total in sorted(self.costs.items()))

    @property
    def maybe_cost(self) -> Decimal | None:
        """What uncertain requests may have cost, in one currency; None when unknown or in several."""
        if self.maybe_costs is None or len(self.maybe_costs) > 1:
            return None
        return sum(self.maybe_costs.values(), Decimal(0))

    def maybe_text(self) -> str:
        """`up to 0.0300 EUR`, `at an unknown price`, or "" when nothing may have been billed (or nobody knows)."""
        if self.maybe_costs is None:
            return "at an unknown price" if self.uncertain else ""
        amounts = [(cur, total) for cur, total in sorted(self.maybe_costs.items()) if total]
        if not amounts:
            return ""
        return "up to " + " + ".join(f"{total:.4f} {cur}".rstrip() for cur, total in amounts)

    def with_journal(self, uncertain: int, maybe_billed: float | Decimal | None) -> Report:
        """This report with the job journal's figures the rows cannot give: how many numbers are uncertain
        and what they may have cost (in the report's currency). No amount, or 0, for uncertain numbers means
        the price is not known (no answer has told it yet)."""
        amount = Decimal(str(maybe_billed)) if maybe_billed else Decimal(0)
        maybe: dict[str, Decimal] | None = {self.currency_default: amount} if amount else {}
        if uncertain and not amount:
            maybe = None
        return replace(self, uncertain=uncertain, maybe_costs=maybe)


class Tally:
    """Accumulates rows one at a time; `report()` at any point. For callers that already stream the rows
    somewhere else (the batch command writing its output) and want the breakdown at the end for free."""

    def __init__(self, currency: str | None = None) -> None:
        self.currency = currency or ""
        self.rows = 0
        self.with_result = 0
        self.pending = 0
        self.failed = 0
        self.distinct = _Distinct(EXACT_DISTINCT_LIMIT)
        self.counters: dict[str, _Counter] = {name: _Counter() for name in DIMENSIONS}
        self.country_names: dict[str, str] = {}
        # Costs are counted per (text, currency) and summed as Decimals once at the end: a job has a handful of
        # prices, so this is a dict increment per row instead of a Decimal parse and add.
        self.cost_counts: dict[tuple[Any, str], int] = {}
        self.combos: dict[tuple[Any, ...], int] = {}
        self.cost_sums: dict[str, Decimal] = {}
        self.cost_rows: dict[str, int] = {}
        self._keys: Keys | None = None

    def add(self, row: Mapping[str, Any]) -> None:
        keys = self._keys
        if keys is None:
            keys = self._keys = resolve_keys(row)
        get = row.get
        self.rows += 1

        number = get(keys.msisdn) or get(keys.number)
        if number:
            self.distinct.add(number)

        error = get(keys.error) or None
        number_type = get(keys.number_type) or None
        original = get(keys.original_network_name) or None
        status = row_status(get(keys.connectivity_status) or get(keys.query_status), error, number_type, original)
        if status == PENDING:
            self.pending += 1
        elif status == FAILED:
            self.failed += 1
        else:
            self.with_result += 1
        ported = to_flag(get(keys.is_ported))
        current = current_network(ported, get(keys.ported_network_name) or None, original)
        code = get(keys.original_country_code) or None
        if code is None:
            country = get(keys.original_country_name) or None
        else:
            country = code
            if code not in self.country_names:
                name = get(keys.original_country_name)
                if name:
                    self.country_names[code] = name

        cost = get(keys.cost)
        if cost == "":
            cost = None
        # One dict increment per row for every dimension and the cost at once; the combinations are few
        # (values are correlated: a network has one country), and are split into per-dimension counts later.
        key = (
            status,
            current,
            original,
            country,
            ported,
            to_flag(get(keys.is_roaming)),
            number_type,
            error,
            cost,
            None if cost is None else get(keys.currency) or self.currency,
        )
        combos = self.combos
        combos[key] = combos.get(key, 0) + 1
        if len(combos) > COMBINATION_LIMIT:
            self._flush_combinations()

    def _flush_combinations(self) -> None:
        counters = [self.counters[name] for name in DIMENSIONS]
        costs = self.cost_counts
        for key, n in self.combos.items():
            for counter, value in zip(counters, key, strict=False):
                counts = counter.counts
                if value in counts:
                    counts[value] += n
                elif len(counts) < MAX_VALUES:
                    counts[value] = n
                else:
                    counter.overflow += n
            if key[-2] is not None:
                cost_key = (key[-2], key[-1])
                costs[cost_key] = costs.get(cost_key, 0) + n
        self.combos = {}
        self._flush_costs()

    def _flush_costs(self) -> None:
        for (cost, currency), n in self.cost_counts.items():
            try:
                # str() first: a float cost is summed as written (0.01), not as its binary approximation.
                amount = Decimal(str(cost).strip()) * n
            except InvalidOperation:
                continue  # not a number: nothing to add, and nothing worth failing a report for
            self.cost_sums[currency] = self.cost_sums.get(currency, Decimal(0)) + amount
            self.cost_rows[currency] = self.cost_rows.get(currency, 0) + n
        self.cost_counts = {}

    def _label(self, name: str, value: Any) -> str:
        if value is None:
            return NONE_LABEL
        if name in ("ported", "roaming"):
            return "yes" if value else "no"
        if name == "country":
            full = self.country_names.get(value)
            return f"{full} ({value})" if full and full != value else str(value)
        return str(value)

    def report(
        self, dimensions: str | Sequence[str] | None = None, *, top: int = TOP, distinct: int | None = None
    ) -> Report:
        names = parse_dimensions(dimensions)
        self._flush_combinations()
        chosen = []
        for name in names or DIMENSIONS:
            counter = self.counters[name]
            # A dimension the lookup type does not have (number_type on HLR rows) is all None: leave it out,
            # unless asked for by name. Status always applies.
            if names is None and name != "status" and not any(v is not None for v in counter.counts):
                continue
            counts: dict[str, int] = {}
            for value, n in counter.counts.items():
                label = self._label(name, value)
                counts[label] = counts.get(label, 0) + n  # two raw values may share a label ("true", True)
            buckets = _buckets(counts, self.rows, top if name in FOLDED else None, counter.overflow)
            chosen.append(Dimension(name, DIMENSIONS[name], buckets, counts, counter.overflow))
        return Report(
            rows=self.rows,
            distinct=self.distinct.count() if distinct is None else distinct,
            distinct_exact=self.distinct.is_exact or distinct is not None,
            with_result=self.with_result,
            pending=self.pending,
            failed=self.failed,
            costs={cur: total for cur, total in sorted(self.cost_sums.items())},
            dimensions=tuple(chosen),
            top=top,
            cost_rows=dict(sorted(self.cost_rows.items())),
            currency_default=self.currency,
        )


def parse_dimensions(dimensions: str | Sequence[str] | None) -> list[str] | None:
    """`"status,network"` or a list of names → the names, checked; None means all that apply."""
    if dimensions is None:
        return None
    raw = dimensions.split(",") if isinstance(dimensions, str) else list(dimensions)
    names = [n.strip() for n in raw if n.strip()]
    unknown = [n for n in names if n not in DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimension {', '.join(map(repr, unknown))}; choose from {', '.join(DIMENSIONS)}")
    if not names:
        raise ValueError(f"no dimension given; choose from {', '.join(DIMENSIONS)}")
    return list(dict.fromkeys(names))


def compute(
    rows: Iterable[Mapping[str, Any]],
    dimensions: str | Sequence[str] | None = None,
    *,
    top: int = TOP,
    currency: str | None = None,
    distinct: int | None = None,
) -> Report:
    """Counts per dimension over `rows` (streamed, never kept).

    `dimensions`: names or a comma-separated string (default: every dimension the rows have). `top`: values shown
    per network/country/error dimension before the rest is folded into "other". `currency`: for rows that do not
    carry one. `distinct`: the number of distinct numbers when the caller knows it exactly (the job store does).
    """
    names = parse_dimensions(dimensions)  # before reading rows: a typo fails at once, not after a million rows
    tally = Tally(currency)
    add = tally.add
    for row in rows:
        add(row)
    return tally.report(names, top=top, distinct=distinct)


def _percent(count: int, total: int) -> float:
    return 100.0 * count / total if total else 0.0


def _other_label(values: int, more: bool = False) -> str:
    """`other (12 values)`; `other (many values)` when some overflowed MAX_VALUES and were never told apart."""
    if more:
        return "other (many values)"
    return f"other ({values} value{'' if values == 1 else 's'})"


def _buckets(counts: Mapping[str, int], total: int, top: int | None, overflow: int = 0) -> tuple[Bucket, ...]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    # "(none)" stays visible however small (it says how many rows lack the field) and is not a value to fold.
    named = [label for label, _ in ranked if label != NONE_LABEL]
    # Folding a single value would only rename it.
    fold = top is not None and (len(named) - top >= 2 or (overflow > 0 and len(named) > top))
    tail = set(named[top:]) if fold else set()
    shown = [Bucket(label, n, _percent(n, total)) for label, n in ranked if label not in tail]
    if tail or overflow:
        n = sum(counts[label] for label in tail) + overflow
        values = len(tail) + (1 if overflow else 0)
        shown.append(Bucket(_other_label(values, overflow > 0), n, _percent(n, total), values))
    return tuple(shown)


# Comparison ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Change:
    value: str
    old: int
    new: int
    old_percent: float
    new_percent: float
    values: int = 1

    @property
    def delta(self) -> int:
        return self.new - self.old

    @property
    def delta_pp(self) -> float:
        """Change in percentage points: shares, since two runs rarely have the same number of rows."""
        return self.new_percent - self.old_percent


@dataclass(frozen=True, slots=True)
class DimensionChange:
    name: str
    title: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Comparison:
    old: Report
    new: Report
    dimensions: tuple[DimensionChange, ...] = field(default=())

    def dimension(self, name: str) -> DimensionChange:
        for dim in self.dimensions:
            if dim.name == name:
                return dim
        raise KeyError(name)


def compare(old: Report, new: Report) -> Comparison:
    """The dimensions of both reports side by side (those of `new` first), values aligned on their label."""
    names = [d.name for d in new.dimensions] + [d.name for d in old.dimensions if not new.has(d.name)]
    dims = []
    for name in names:
        o = old.dimension(name).counts if old.has(name) else {}
        n = new.dimension(name).counts if new.has(name) else {}
        labels = set(o) | set(n)
        ranked = sorted(labels, key=lambda v: (-n.get(v, 0), -o.get(v, 0), v))
        tail: list[str] = []
        if name in FOLDED:
            # Keep the values that matter in either run: a network that vanished is news.
            by_weight = sorted(
                (v for v in labels if v != NONE_LABEL), key=lambda v: (-max(n.get(v, 0), o.get(v, 0)), v)
            )
            if len(by_weight) - new.top >= 2:
                tail = by_weight[new.top :]
        folded = set(tail)
        changes = [
            Change(v, o.get(v, 0), n.get(v, 0), _percent(o.get(v, 0), old.rows), _percent(n.get(v, 0), new.rows))
            for v in ranked
            if v not in folded
        ]
        if tail:
            oc, nc = sum(o.get(v, 0) for v in tail), sum(n.get(v, 0) for v in tail)
            changes.append(
                Change(_other_label(len(tail)), oc, nc, _percent(oc, old.rows), _percent(nc, new.rows), len(tail))
            )
        dims.append(DimensionChange(name, DIMENSIONS[name], tuple(changes)))
    return Comparison(old, new, tuple(dims))


# Flat output (CSV / JSON) ----------------------------------------------------------------------------------------
TOTAL, COST = "total", "cost"  # the dimension names of the headline rows (no counted dimension has them)
TOTALS = ("rows", "distinct", "with_result", "pending", "uncertain", "failed")


@dataclass(frozen=True, slots=True)
class Headline:
    """A headline figure as a flat row: a `total` count, or a `cost` with the rows it covers and its amount."""

    dimension: str
    value: str
    count: int | None  # None: what was given cannot tell (uncertain numbers, without the job's journal)
    amount: Decimal | None = None  # cost rows only; None: not known
    currency: str | None = None


def headline(report: Report) -> list[Headline]:
    """The headline figures as rows, computed here once for every rendering that lists them: the totals (rows,
    distinct numbers, with result, pending, uncertain, failed), then the cost billed and the cost maybe billed
    (uncertain requests), one row per currency; a cost row's count is how many rows or numbers it covers."""
    counts = {
        "rows": report.rows,
        "distinct": report.distinct,
        "with_result": report.with_result,
        "pending": report.pending,
        "uncertain": report.uncertain,
        "failed": report.failed,
    }
    out = [Headline(TOTAL, name, counts[name]) for name in TOTALS]
    default = report.currency_default or None
    if report.costs:
        out += [
            Headline(COST, "billed", report.cost_rows.get(cur, 0), total, cur or None)
            for cur, total in report.costs.items()
        ]
    else:
        out.append(Headline(COST, "billed", 0, Decimal(0), default))
    if report.maybe_costs:
        out += [
            Headline(COST, "maybe_billed", report.uncertain, total, cur or None)
            for cur, total in report.maybe_costs.items()
        ]
    else:
        # {}: nothing may have been billed. None: uncertain numbers at a price no answer has told, or (no
        # journal given) nobody knows; the amount stays empty rather than claim 0.
        zero = Decimal(0) if report.maybe_costs is not None else None
        out.append(Headline(COST, "maybe_billed", report.uncertain, zero, default))
    return out


def _share(h: Headline, rows: int) -> float | None:
    # Distinct numbers are not a share of the rows (a duplicate is one number of two rows).
    if h.count is None or h.value == "distinct":
        return None
    return round(_percent(h.count, rows), 2)


def _amount(amount: Decimal | None) -> float | None:
    # A float rounded to what providers price in: JSON has no decimal type, and a number is what a script wants.
    return None if amount is None else round(float(amount), 4)


def table_rows(report: Report | Comparison) -> Iterator[dict[str, Any]]:
    """The headline figures (dimension `total`, then `cost`), then one dict per (dimension, value).

    A report: dimension, value, count, percent, amount, currency (the last two for cost rows only; `amount` is
    money, a number in JSON). A comparison: dimension, value, old_count, new_count, change, old_percent,
    new_percent, change_pp, old_amount, new_amount, change_amount, currency. Percentages have 2 decimals.
    """
    if isinstance(report, Comparison):
        yield from _comparison_rows(report)
        return
    for h in headline(report):
        yield {
            "dimension": h.dimension,
            "value": h.value,
            "count": h.count,
            "percent": _share(h, report.rows),
            # A string with 4 decimals: exact in CSV (0.1000, not 0.1); the JSON writer makes money a number.
            "amount": None if h.amount is None else f"{h.amount:.4f}",
            "currency": h.currency,
        }
    for dim in report.dimensions:
        for b in dim.buckets:
            yield {
                "dimension": dim.name,
                "value": b.value,
                "count": b.count,
                "percent": round(b.percent, 2),
                "amount": None,
                "currency": None,
            }


def _comparison_rows(cmp: Comparison) -> Iterator[dict[str, Any]]:
    old = {(h.dimension, h.value, h.currency): h for h in headline(cmp.old)}
    new = {(h.dimension, h.value, h.currency): h for h in headline(cmp.new)}
    # Both runs' figures in one order: the totals, then each cost kind with the currencies of either run.
    order = {(TOTAL, name): i for i, name in enumerate(TOTALS)} | {(COST, "billed"): 10, (COST, "maybe_billed"): 11}
    keys = sorted(set(old) | set(new), key=lambda k: (order[k[0], k[1]], k[2] or ""))
    for key in keys:
        dimension, value, currency = key
        o, n = old.get(key), new.get(key)
        # A currency only one run has: the other run had none of it.
        oc, nc = (o.count if o else 0), (n.count if n else 0)
        oa = o.amount if o else (Decimal(0) if dimension == COST else None)
        na = n.amount if n else (Decimal(0) if dimension == COST else None)
        o_pct = _share(o or Headline(dimension, value, 0), cmp.old.rows)
        n_pct = _share(n or Headline(dimension, value, 0), cmp.new.rows)
        yield {
            "dimension": dimension,
            "value": value,
            "old_count": oc,
            "new_count": nc,
            "change": None if oc is None or nc is None else nc - oc,
            "old_percent": o_pct,
            "new_percent": n_pct,
            "change_pp": None if o_pct is None or n_pct is None else round(n_pct - o_pct, 2),
            "old_amount": _amount(oa),
            "new_amount": _amount(na),
            "change_amount": None if oa is None or na is None else _amount(na - oa),
            "currency": currency,
        }
    for dc in cmp.dimensions:
        for ch in dc.changes:
            yield {
                "dimension": dc.name,
                "value": ch.value,
                "old_count": ch.old,
                "new_count": ch.new,
                "change": ch.delta,
                "old_percent": round(ch.old_percent, 2),
                "new_percent": round(ch.new_percent, 2),
                "change_pp": round(ch.delta_pp, 2),
                "old_amount": None,
                "new_amount": None,
                "change_amount": None,
                "currency": None,
            }


def _summary(report: Report) -> dict[str, Any]:
    cost, maybe = report.cost, report.maybe_cost
    return {
        "rows": report.rows,
        "distinct": report.distinct,
        "distinct_exact": report.distinct_exact,
        "with_result": report.with_result,
        "pending": report.pending,
        "uncertain": report.uncertain,
        "failed": report.failed,
        "with_result_percent": round(_percent(report.with_result, report.rows), 2),
        # A string: JSON has no decimal type, and a float would print 25.000000000000004.
        "cost": None if cost is None else f"{cost:.4f}",
        "currency": report.currency,
        "costs": {cur: f"{total:.4f}" for cur, total in report.costs.items()},
        "maybe_billed": None if maybe is None else f"{maybe:.4f}",
    }


def summary(report: Report | Comparison) -> dict[str, Any]:
    """The headline figures. For a comparison: {"old": …, "new": …, "change": …} (change of the counts)."""
    if isinstance(report, Comparison):
        old, new = _summary(report.old), _summary(report.new)
        change: dict[str, Any] = {
            k: None if new[k] is None or old[k] is None else new[k] - old[k]
            for k in ("rows", "distinct", "with_result", "pending", "uncertain", "failed", "with_result_percent")
        }
        change["with_result_percent"] = round(change["with_result_percent"], 2)
        o, n = report.old.cost, report.new.cost
        same_currency = report.old.currency == report.new.currency
        change["cost"] = f"{n - o:.4f}" if o is not None and n is not None and same_currency else None
        return {"old": old, "new": new, "change": change}
    return _summary(report)


# Terminal --------------------------------------------------------------------------------------------------------
# The same palette as the HTML page and close to the result tables': green live, amber absent, red invalid.
STATUS_STYLES = {
    CONNECTED: "green",
    ABSENT: "yellow",
    INVALID_MSISDN: "red",
    UNDETERMINED: "grey62",
    PENDING: "cyan",
    FAILED: "red3",
    OK: "green",
}
_BAR_STYLE = "blue"
_MUTED_STYLE = "grey50"
_EIGHTHS = " ▏▎▍▌▋▊▉"
VALUE_WIDTH = 26


def bar(fraction: float, width: int) -> str:
    """A horizontal bar `width` cells long at 100 %, in eighths of a cell; a non-zero share shows at least ▏."""
    units = round(max(0.0, min(1.0, fraction)) * width * 8)
    if units == 0 and fraction > 0:
        units = 1
    full, part = divmod(units, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def ellipsize(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _int(n: int) -> str:
    return f"{n:,}"


def _pct(p: float) -> str:
    return f"{p:.1f}%"


def _pp(p: float) -> str:
    # −0.0 and +0.0 read as noise: a rounded zero has no sign.
    text = f"{p:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", "−")


def _signed(n: int) -> str:
    return f"{n:+,}".replace("-", "−") if n else "0"


def _style(dim: str, value: str) -> str:
    if value == NONE_LABEL or value.startswith("other ("):
        return _MUTED_STYLE
    if dim == "status":
        return STATUS_STYLES.get(value, _BAR_STYLE)
    return _BAR_STYLE


def _distinct_text(report: Report) -> str:
    return _int(report.distinct) if report.distinct_exact else f"≈ {_int(report.distinct)}"


def _headline(report: Report) -> RenderableType:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    for justify in ("left", "right", "left", "right", "right"):
        grid.add_column(justify=justify)

    def share(n: int) -> str:
        return _pct(_percent(n, report.rows))

    grid.add_row(
        "[bold]rows[/]", _int(report.rows), "[bold]with result[/]", _int(report.with_result), share(report.with_result)
    )
    grid.add_row(
        "[bold]distinct[/]", _distinct_text(report), "[bold]pending[/]", _int(report.pending), share(report.pending)
    )
    grid.add_row("[bold]cost[/]", report.cost_text(), "[bold]failed[/]", _int(report.failed), share(report.failed))
    maybe = report.maybe_text()
    if report.uncertain or maybe:
        uncertain = report.uncertain or 0
        grid.add_row("[bold]maybe billed[/]", maybe or "none", "[bold]uncertain[/]", _int(uncertain), share(uncertain))
    return grid


def _dimension_table(dim: Dimension, width: int) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    if not dim.buckets:
        return Text(f"{dim.title}: no rows", style=_MUTED_STYLE)
    value_width = min(VALUE_WIDTH, max([len(dim.title), *(len(b.value) for b in dim.buckets)]))
    count_width = max(5, *(len(_int(b.count)) for b in dim.buckets))
    # Four columns with one space between them; what is left is the bar's, capped so 100 % is not a mile long.
    bar_width = max(8, min(40, width - value_width - count_width - 6 - 3 - 1))
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), show_edge=False, header_style="bold")
    table.add_column(dim.title, min_width=value_width, max_width=value_width, no_wrap=True, overflow="ellipsis")
    table.add_column("count", justify="right", min_width=count_width)
    table.add_column("%", justify="right", min_width=6)
    table.add_column("", min_width=bar_width, max_width=bar_width, no_wrap=True)
    for b in dim.buckets:
        style = _style(dim.name, b.value)
        table.add_row(
            Text(ellipsize(b.value, value_width), style=style if dim.name == "status" else ""),
            _int(b.count),
            _pct(b.percent),
            Text(bar(b.percent / 100, bar_width), style=style),
        )
    return table


def _comparison_headline(cmp: Comparison) -> RenderableType:
    from rich.table import Table

    old, new = cmp.old, cmp.new
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="bold")
    table.add_column("")
    table.add_column("before", justify="right")
    table.add_column("now", justify="right")
    table.add_column("change", justify="right")
    for label, o, n in (
        ("rows", old.rows, new.rows),
        ("distinct", old.distinct, new.distinct),
        ("with result", old.with_result, new.with_result),
        ("pending", old.pending, new.pending),
        ("failed", old.failed, new.failed),
    ):
        table.add_row(f"[bold]{label}[/]", _int(o), _int(n), _signed(n - o))
    if old.uncertain or new.uncertain:
        ou, nu = old.uncertain, new.uncertain
        table.add_row(
            "[bold]uncertain[/]",
            "—" if ou is None else _int(ou),
            "—" if nu is None else _int(nu),
            "" if ou is None or nu is None else _signed(nu - ou),
        )
    oc, nc = old.cost, new.cost
    delta = f"{nc - oc:+.4f}".replace("-", "−") if oc is not None and nc is not None else ""
    table.add_row("[bold]cost[/]", old.cost_text(), new.cost_text(), delta)
    if old.maybe_text() or new.maybe_text():
        table.add_row("[bold]maybe billed[/]", old.maybe_text() or "none", new.maybe_text() or "none", "")
    return table


def _change_table(dc: DimensionChange, width: int) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    value_width = min(VALUE_WIDTH, max([len(dc.title), *(len(c.value) for c in dc.changes)]))
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    table.add_column(dc.title, min_width=value_width, max_width=value_width, no_wrap=True, overflow="ellipsis")
    for title in ("before", "now", "change", "before %", "now %", "pp"):
        table.add_column(title, justify="right", no_wrap=True)
    for c in dc.changes:
        pp = _pp(c.delta_pp)
        arrow = "▲ " if pp.startswith("+") else "▼ " if pp.startswith("−") else "  "
        table.add_row(
            Text(ellipsize(c.value, value_width), style=_style(dc.name, c.value) if dc.name == "status" else ""),
            _int(c.old),
            _int(c.new),
            _signed(c.delta),
            _pct(c.old_percent),
            _pct(c.new_percent),
            Text(arrow + pp, style="bold" if abs(c.delta_pp) >= 1 else _MUTED_STYLE),
        )
    return table


def render(report: Report | Comparison, console: Console) -> None:
    """Headline figures, then one table per dimension with a bar per value; fits the console's width (≥ 60)."""
    from rich.rule import Rule

    width = min(console.width, 100)
    if isinstance(report, Comparison):
        console.print(_comparison_headline(report))
        for dc in report.dimensions:
            console.print(Rule(style=_MUTED_STYLE), width=width)
            console.print(_change_table(dc, width))
        return
    console.print(_headline(report))
    for dim in report.dimensions:
        console.print(Rule(style=_MUTED_STYLE), width=width)
        console.print(_dimension_table(dim, width))


# Every notice on stderr starts with this (`Ctx.notice`); the breakdown's lines are notices.
NOTICE_PREFIX = "hlrcli: "
SHORT_NAME = 8  # a breakdown item's name is never shortened below this (with its "…")


def terminal_width(stream: Any = None) -> int:
    """The columns of the terminal on `stream` (default stderr, where notices go: stdout is often a file):
    $COLUMNS when set, as everywhere else; else the terminal's; else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size((stream or sys.stderr).fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80


def breakdown_lines(report: Report, width: int | None = None, *, prefix: int = len(NOTICE_PREFIX)) -> list[str]:
    """Three lines for the end of a batch: status counts, top 3 current networks, cost. Plain text, no markup.

    `width` is the terminal's (default: `terminal_width()`); each line fits in `width - prefix`, what is left
    once the notice prefix is printed before it, so nothing wraps. An NT job's first line counts number types
    instead: OK/FAILED says little about a number-type lookup.
    """
    room = max(1, (terminal_width() if width is None else width) - prefix)
    first = "status"
    if report.has("number_type") and any(b.value != NONE_LABEL for b in report.dimension("number_type").buckets):
        first = "number_type"
    lines = [_breakdown(report, first, "status" if first == "status" else "types", None, room)]
    lines.append(_breakdown(report, "network", "networks", 3, room))
    lines.append(_cost_line(report, room))
    # Only a terminal narrower than any sensible line gets here: cut rather than wrap.
    return [ellipsize(line, room) for line in lines]


def _cost_line(report: Report, room: int) -> str:
    if not report.costs:
        return "cost: none recorded"
    line = f"cost: {report.cost_text()}"
    if report.cost is not None and report.with_result:
        per = f" ({_int(report.with_result)} results, {report.cost / report.with_result:.4f} per result)"
        # The per-result figure is the first thing to go where the total alone fits.
        if len(line) + len(per) <= room:
            line += per
    return line


def _breakdown(report: Report, name: str, title: str, limit: int | None, room: int) -> str:
    if not report.has(name):
        return f"{title}: —"
    buckets = [b for b in report.dimension(name).buckets if b.count and b.value != NONE_LABEL]
    if limit is not None:
        buckets = [b for b in buckets if not b.value.startswith("other (")][:limit]
    if not buckets:
        return f"{title}: —"

    def more(rest: int) -> str:
        return f" · +{rest} more" if rest else ""

    # The first item always shows, count and share whole: its name gives way first (down to SHORT_NAME), then
    # the "+N more" after it.
    head, share = f"{title}: {_int(buckets[0].count)} ", f" ({_pct(buckets[0].percent)})"
    name = buckets[0].value
    shortest = min(len(name), SHORT_NAME)
    fit = room - len(head) - len(share) - len(more(len(buckets) - 1))
    if fit < shortest:
        fit = max(shortest, room - len(head) - len(share))
    line = head + ellipsize(name, min(24, fit)) + share
    parts = [f"{_int(b.count)} {ellipsize(b.value, 24)}" for b in buckets[1:]]
    # Whole items only: a count cut in half reads as a different count.
    for i, part in enumerate(parts):
        rest = len(parts) - i - 1
        if len(line) + 3 + len(part) + len(more(rest)) > room:
            tail = more(len(parts) - i)
            return line + tail if len(line) + len(tail) <= room else line
        line += f" · {part}"
    return line
