"""Reports over a job's results: counts per dimension, two runs side by side, as rows for any output format
(report_text.py draws them on a terminal, report_html.py as a page).

Input is plain result rows: dicts as a job exports them (or as its CSV export reads back, every value a string).
Only counters are kept, never rows, so a million-row job reports in bounded memory; the caller (CLI, job store)
feeds rows and decides where they come from. Nothing here reads the store.

Counts are per row given. Feed one row per distinct number for a per-number report (and the billed cost: a
per-input-row export repeats a duplicate number's result, cost included, on every row).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from math import log
from typing import TYPE_CHECKING, Any, NamedTuple

from hlrcli.models import PENDING

if TYPE_CHECKING:
    pass

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


def ellipsize(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
