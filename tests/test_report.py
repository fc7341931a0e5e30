"""Reports and changes between runs (hlrcli.batch.report, hlrcli.batch.diff, hlrcli.batch.report_html).

Pure functions over hand-built rows whose counts are stated in each test; the HTML page is also rendered by a
real headless Chromium (skipped, with the reason, where none is installed).
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from hlrcli.batch import diff as diffs
from hlrcli.batch import report, report_text
from hlrcli.batch import report_html as html
from tests.report_sample import META, browser, chromium, png_pixels

Row = dict[str, Any]


def hlr(msisdn: str | None, status: str | None = "CONNECTED", network: str | None = "Orange", **extra: Any) -> Row:
    row: Row = {
        "msisdn": msisdn,
        "connectivity_status": status,
        "original_network_name": network,
        "original_country_code": "FR" if network else None,
        "original_country_name": "France" if network else None,
        "is_ported": False if network else None,
        "ported_network_name": None,
        "is_roaming": False if network else None,
        "cost": "0.0100" if status not in (None, "PENDING") else None,
        "provider": "hlrlookups",
        "error": None,
    }
    row.update(extra)
    return row


def numbered(n: int, start: int = 0) -> Iterator[str]:
    for i in range(start, start + n):
        yield f"+336{i:08d}"


def seven_two_one() -> list[Row]:
    """7 CONNECTED, 2 ABSENT, 1 INVALID_MSISDN: 70 %, 20 %, 10 %."""
    statuses = ["CONNECTED"] * 7 + ["ABSENT"] * 2 + ["INVALID_MSISDN"]
    networks = ["Orange"] * 5 + ["SFR"] * 3 + ["Free Mobile"] * 2
    return [hlr(m, s, n) for m, s, n in zip(numbered(10), statuses, networks, strict=True)]


def buckets(rep: report.Report, name: str) -> list[tuple[str, int, float]]:
    return [(b.value, b.count, round(b.percent, 2)) for b in rep.dimension(name).buckets]


def console(width: int = 80) -> Console:
    return Console(file=io.StringIO(), width=width, record=True, color_system=None)


# compute ---------------------------------------------------------------------------------------------------------
def test_status_counts_and_percentages() -> None:
    rep = report.compute(seven_two_one())
    assert buckets(rep, "status") == [("CONNECTED", 7, 70.0), ("ABSENT", 2, 20.0), ("INVALID_MSISDN", 1, 10.0)]
    assert (rep.rows, rep.distinct, rep.with_result, rep.pending, rep.failed) == (10, 10, 10, 0, 0)
    assert buckets(rep, "network") == [("Orange", 5, 50.0), ("SFR", 3, 30.0), ("Free Mobile", 2, 20.0)]
    assert buckets(rep, "country") == [("France (FR)", 10, 100.0)]
    assert rep.cost == Decimal("0.1000")


def test_dimensions_the_rows_do_not_have_are_left_out_unless_asked_for() -> None:
    rep = report.compute(seven_two_one())
    # HLR rows: no number type; no row has an error or a roaming flag set to anything but False.
    assert [d.name for d in rep.dimensions] == ["status", "network", "original_network", "country", "ported", "roaming"]
    asked = report.compute(seven_two_one(), dimensions="status,number_type")
    assert [d.name for d in asked.dimensions] == ["status", "number_type"]
    assert buckets(asked, "number_type") == [("(none)", 10, 100.0)]
    assert [d.name for d in report.compute(seven_two_one(), ["error"]).dimensions] == ["error"]


def test_unknown_dimension_fails_before_any_row_is_read() -> None:
    def rows() -> Iterator[Row]:
        raise AssertionError("rows were read")
        yield {}

    with pytest.raises(ValueError, match="unknown dimension 'netwrk'") as info:
        report.compute(rows(), dimensions="status,netwrk")
    for name in report.DIMENSIONS:
        assert name in str(info.value)
    with pytest.raises(ValueError, match="no dimension"):
        report.compute([], dimensions=" , ")


def test_no_rows() -> None:
    rep = report.compute([])
    assert (rep.rows, rep.distinct, rep.with_result, rep.pending, rep.failed) == (0, 0, 0, 0, 0)
    assert [d.name for d in rep.dimensions] == ["status"]
    assert rep.dimension("status").buckets == ()
    assert [(r["dimension"], r["value"], r["count"]) for r in report.table_rows(rep)] == [
        ("total", "rows", 0),
        ("total", "distinct", 0),
        ("total", "with_result", 0),
        ("total", "pending", 0),
        ("total", "uncertain", None),  # plain rows cannot tell; only a job's journal can
        ("total", "failed", 0),
        ("cost", "billed", 0),
        ("cost", "maybe_billed", None),
    ]
    assert report.summary(rep)["cost"] is None
    assert report_text.breakdown_lines(rep, 80) == ["status: —", "networks: —", "cost: none recorded"]
    out = console()
    report_text.render(rep, out)
    assert "no rows" in out.export_text()


def test_all_pending() -> None:
    rows = [{"msisdn": m, "connectivity_status": "PENDING", "provider": "hlrlookups"} for m in numbered(4)]
    # A receipt row of an async job: submitted, no status yet. Also pending.
    rows.append({"msisdn": "+33699999999", "state": "SUBMITTED", "id": "12001", "provider": "affiliate"})
    rep = report.compute(rows)
    assert (rep.with_result, rep.pending, rep.failed) == (0, 5, 0)
    assert buckets(rep, "status") == [("PENDING", 5, 100.0)]
    assert [d.name for d in rep.dimensions] == ["status"]
    assert rep.costs == {}


def test_failed_rows_invalid_input_and_none_values() -> None:
    rows = [
        *seven_two_one()[:3],
        # Unparseable input: no number at all, only our error.
        {"msisdn": None, "provider": "hlrlookups", "error": "invalid number (no such range)"},
        {"msisdn": "+33600000001", "provider": "hlrlookups", "error": "uncertain: the request may have been billed"},
        {"msisdn": "+33600000002", "connectivity_status": "PENDING", "error": "not sent"},
        {"msisdn": "", "connectivity_status": "", "original_network_name": "", "error": ""},  # a CSV's empty cells
    ]
    rep = report.compute(rows)
    assert (rep.rows, rep.with_result, rep.pending, rep.failed) == (7, 3, 2, 2)
    assert rep.distinct == 3  # +33600000000..2; rows without a number are not numbers
    assert buckets(rep, "status") == [("CONNECTED", 3, 42.86), ("FAILED", 2, 28.57), ("PENDING", 2, 28.57)]
    assert buckets(rep, "error") == [
        ("(none)", 4, 57.14),
        ("invalid number (no such range)", 1, 14.29),
        ("not sent", 1, 14.29),
        ("uncertain: the request may have been billed", 1, 14.29),
    ]
    assert buckets(rep, "network") == [("(none)", 4, 57.14), ("Orange", 3, 42.86)]


def test_current_network_and_flags_written_every_way() -> None:
    rows = [
        hlr("+33600000001", is_ported=True, ported_network_name="Free Mobile"),
        hlr("+33600000002", is_ported="true", ported_network_name="Free Mobile", is_roaming="TRUE"),
        # Not ported, though the provider repeats the original network as the ported one: the flag wins.
        hlr("+33600000003", is_ported="false", ported_network_name="Orange"),
        hlr("+33600000004", is_ported="false", ported_network_name="SFR"),
        # No flag at all but a ported network: take it.
        hlr("+33600000005", is_ported=None, ported_network_name="SFR", is_roaming=None),
        hlr("+33600000006", is_ported="", is_roaming=1),
    ]
    rep = report.compute(rows)
    assert buckets(rep, "network") == [("Orange", 3, 50.0), ("Free Mobile", 2, 33.33), ("SFR", 1, 16.67)]
    assert buckets(rep, "original_network") == [("Orange", 6, 100.0)]
    assert buckets(rep, "ported") == [("(none)", 2, 33.33), ("no", 2, 33.33), ("yes", 2, 33.33)]
    assert buckets(rep, "roaming") == [("no", 3, 50.0), ("yes", 2, 33.33), ("(none)", 1, 16.67)]


def test_top_n_folds_the_long_tail_but_not_a_single_value() -> None:
    # Network i has i rows, i = 1..20: 210 rows; the top 15 are networks 20..6, networks 5..1 fold (15 rows).
    names = iter(numbered(210))
    rows = [hlr(next(names), network=f"Net {i:02d}") for i in range(1, 21) for _ in range(i)]
    rows += [hlr("+33690000000", status="ABSENT", network=None)]  # "(none)" is never folded
    rep = report.compute(rows)
    shown = buckets(rep, "network")
    assert [v for v, _, _ in shown[:15]] == [f"Net {i:02d}" for i in range(20, 5, -1)]
    assert shown[15:] == [("(none)", 1, 0.47), ("other (5 values)", 15, 7.11)]
    assert rep.dimension("network").buckets[-1].values == 5
    assert rep.dimension("network").values == 21
    assert len(rep.dimension("network").counts) == 21  # compare() needs every value, not the folded view
    # Status is never folded, whatever `top` says.
    assert len(report.compute(rows, top=1).dimension("status").buckets) == 2
    # top=19 would fold one value: shown as itself instead.
    assert [b.value for b in report.compute(rows, top=19).dimension("network").buckets][-2:] == ["(none)", "Net 01"]
    assert [b.value for b in report.compute(rows, top=18).dimension("network").buckets][-1] == "other (2 values)"


def test_too_many_distinct_values_are_counted_as_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "MAX_VALUES", 4)
    rows = [hlr(m, error=f"provider error, request id {i}") for i, m in enumerate(numbered(9))]
    dim = report.compute(rows, ["error"]).dimension("error")
    assert [(b.value, b.count) for b in dim.buckets][-1] == ("other (many values)", 5)
    assert sum(b.count for b in dim.buckets) == 9
    assert dim.overflow == 5


def test_combination_flushes_give_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = seven_two_one() + [hlr(m, "ABSENT", "SFR", cost=0.02, currency="USD") for m in numbered(5, 100)]
    whole = report.compute(rows)
    monkeypatch.setattr(report, "COMBINATION_LIMIT", 1)
    flushed = report.compute(rows)
    assert list(report.table_rows(flushed)) == list(report.table_rows(whole))
    assert flushed.costs == whole.costs == {"": Decimal("0.1000"), "USD": Decimal("0.10")}


def test_cost_is_summed_exactly_whatever_its_type() -> None:
    rows = [
        hlr("+33600000001", cost="0.0100"),
        hlr("+33600000002", cost=0.01),  # a float: summed as written, not as 0.01000000000000000020816…
        hlr("+33600000003", cost=0.01),
        hlr("+33600000004", cost=None),
        hlr("+33600000005", cost=""),
        hlr("+33600000006", cost="n/a"),  # nonsense is not a number, and not worth failing a report for
        hlr("+33600000007", cost="0.002"),
    ]
    rep = report.compute(rows, currency="EUR")
    assert rep.cost == Decimal("0.032") and rep.currency == "EUR"
    assert report.summary(rep)["cost"] == "0.0320"
    assert rep.cost_text() == "0.0320 EUR"
    mixed = report.compute([*rows, hlr("+33600000008", cost="1.5", currency="USD")], currency="EUR")
    assert mixed.cost is None and mixed.currency is None
    assert mixed.cost_text() == "0.0320 EUR + 1.5000 USD"
    assert "cost: 0.0320 EUR + 1.5000 USD" in report_text.breakdown_lines(mixed)


def test_distinct_numbers_counted_once_and_estimated_past_the_exact_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = seven_two_one() + seven_two_one()[:4]  # an export with a row per input row repeats duplicates
    assert (report.compute(rows).rows, report.compute(rows).distinct) == (14, 10)
    assert report.compute(rows, distinct=12).distinct == 12  # the store knows better: its figure wins

    monkeypatch.setattr(report, "EXACT_DISTINCT_LIMIT", 1_000)
    numbers = list(numbered(120_000))
    many = ({"msisdn": numbers[i % 120_000], "connectivity_status": "CONNECTED"} for i in range(130_000))
    rep = report.compute(many)
    assert not rep.distinct_exact
    # Linear counting over 2**23 bits: a standard error of about 30 here. The bits set alone would say ~119,140
    # (numbers sharing a bit), so this also tells the estimate from a plain count.
    assert abs(rep.distinct - 120_000) < 200
    out = console()
    report_text.render(rep, out)
    assert "≈ " in out.export_text()
    assert report.compute(seven_two_one()).distinct_exact


def test_result_columns_renamed_by_the_export_are_read() -> None:
    # The input file had its own msisdn and cost columns: the export renamed the result's to result_*.
    row = {
        "msisdn": "06 12 34 56 78",
        "cost": "internal",
        "result_msisdn": "+33612345678",
        "connectivity_status": "ABSENT",
        "original_network_name": "SFR",
        "result_cost": "0.0100",
    }
    rep = report.compute([row])
    assert buckets(rep, "status") == [("ABSENT", 1, 100.0)]
    assert rep.cost == Decimal("0.0100")


def test_nt_rows() -> None:
    types = ["MOBILE"] * 6 + ["LANDLINE"] * 3 + ["VOIP"]
    rows = [
        {"number": n, "number_type": t, "query_status": "OK", "original_country_code": "FR", "cost": "0"}
        for n, t in zip(numbered(10), types, strict=True)
    ]
    rows.append({"number": "12345", "query_status": "FAILED", "error": "no country code"})
    rep = report.compute(rows)
    assert "number_type" in [d.name for d in rep.dimensions]
    assert "ported" not in [d.name for d in rep.dimensions]
    assert buckets(rep, "status") == [("OK", 10, 90.91), ("FAILED", 1, 9.09)]
    assert (rep.with_result, rep.failed, rep.distinct) == (10, 1, 11)
    lines = report_text.breakdown_lines(rep)
    assert lines[0] == "types: 6 MOBILE (54.5%) · 3 LANDLINE · 1 VOIP"
    assert lines[1] == "networks: —"


# flat output -----------------------------------------------------------------------------------------------------
def flat(dimension: str, value: str, count: int | None, percent: float | None, amount: str | None = None,
         currency: str | None = None) -> Row:  # fmt: skip
    return {"dimension": dimension, "value": value, "count": count, "percent": percent, "amount": amount,
            "currency": currency}  # fmt: skip


def test_table_rows_and_summary() -> None:
    rep = report.compute(seven_two_one(), "status,network", currency="EUR")
    rows = list(report.table_rows(rep))
    assert rows[8:] == [
        flat("status", "CONNECTED", 7, 70.0),
        flat("status", "ABSENT", 2, 20.0),
        flat("status", "INVALID_MSISDN", 1, 10.0),
        flat("network", "Orange", 5, 50.0),
        flat("network", "SFR", 3, 30.0),
        flat("network", "Free Mobile", 2, 20.0),
    ]
    thirds = report.compute(
        [hlr(m, s) for m, s in zip(numbered(3), ("CONNECTED", "ABSENT", "UNDETERMINED"), strict=True)]
    )
    assert [r["percent"] for r in report.table_rows(thirds) if r["dimension"] == "status"] == [33.33] * 3
    assert report.summary(rep) == {
        "rows": 10,
        "distinct": 10,
        "distinct_exact": True,
        "with_result": 10,
        "pending": 0,
        "uncertain": None,
        "failed": 0,
        "with_result_percent": 100.0,
        "cost": "0.1000",
        "currency": "EUR",
        "costs": {"EUR": "0.1000"},
        "maybe_billed": None,
    }


def test_table_rows_start_with_the_headline_figures() -> None:
    # 10 rows of 8 numbers: 6 with a result (0.01 each), 2 awaited (one of them uncertain), 1 failed, 1 invalid.
    rows = [hlr(m) for m in numbered(5)] + [hlr("+33600000000")]
    rows += [hlr(m, "PENDING", None) for m in numbered(2, 10)]
    rows += [hlr("+33600000020", None, None, error="provider error 500"), {"msisdn": None, "error": "invalid"}]
    rep = report.compute(rows, currency="EUR").with_journal(uncertain=1, maybe_billed=0.01)
    head = [r for r in report.table_rows(rep) if r["dimension"] in ("total", "cost")]
    assert head == [
        flat("total", "rows", 10, 100.0),
        flat("total", "distinct", 8, None),  # numbers, not a share of rows
        flat("total", "with_result", 6, 60.0),
        flat("total", "pending", 2, 20.0),
        flat("total", "uncertain", 1, 10.0),
        flat("total", "failed", 2, 20.0),
        flat("cost", "billed", 6, 60.0, "0.0600", "EUR"),
        flat("cost", "maybe_billed", 1, 10.0, "0.0100", "EUR"),
    ]
    assert list(report.table_rows(rep))[: len(head)] == head  # first, before every dimension
    assert report.summary(rep)["uncertain"] == 1 and report.summary(rep)["maybe_billed"] == "0.0100"
    # Uncertain numbers at a price no answer has told: counted, the amount left empty rather than 0.
    unknown = report.compute(rows, currency="EUR").with_journal(uncertain=3, maybe_billed=None)
    maybe = [r for r in report.table_rows(unknown) if r["value"] == "maybe_billed"]
    assert maybe == [flat("cost", "maybe_billed", 3, 30.0, None, "EUR")]
    assert unknown.maybe_text() == "at an unknown price"
    nothing = report.compute(rows, currency="EUR").with_journal(uncertain=0, maybe_billed=None)
    assert [r["amount"] for r in report.table_rows(nothing) if r["value"] == "maybe_billed"] == ["0.0000"]
    assert nothing.maybe_text() == ""
    # Several currencies: a billed row each.
    mixed = report.compute([*rows, hlr("+33600000030", cost="1.5", currency="USD")], currency="EUR")
    billed = [(r["count"], r["amount"], r["currency"]) for r in report.table_rows(mixed) if r["value"] == "billed"]
    assert billed == [(6, "0.0600", "EUR"), (1, "1.5000", "USD")]


def test_the_headline_is_the_same_in_every_rendering() -> None:
    rows = [hlr(m) for m in numbered(7)] + [hlr(m, "PENDING", None) for m in numbered(3, 10)]
    rep = report.compute(rows, currency="EUR").with_journal(uncertain=2, maybe_billed=0.02)
    out = console(80)
    report_text.render(rep, out)
    text = out.export_text()
    assert re.search(r"^maybe billed +up to 0\.0200 EUR +uncertain +2 +20\.0%$", text, re.M), text
    page = html.page(rep, META, generated=WHEN)
    assert '<span class="label">Uncertain</span><span class="num">2</span>' in page
    assert "+ maybe billed up to 0.0200 EUR" in page
    cmp = report.compare(report.compute(rows, currency="EUR").with_journal(0, None), rep)
    out = console(80)
    report_text.render(cmp, out)
    assert re.search(r"^uncertain +0 +2 +\+2$", out.export_text(), re.M)
    # Nothing uncertain: no row for it, the headline stays three lines.
    out = console(80)
    report_text.render(report.compute(rows).with_journal(0, None), out)
    assert "uncertain" not in out.export_text() and "maybe billed" not in out.export_text()


def test_breakdown_lines() -> None:
    rows = seven_two_one() + [hlr(m, "UNDETERMINED", "Bouygues Telecom") for m in numbered(2, 50)]
    lines = report_text.breakdown_lines(report.compute(rows, currency="EUR"), width=100)
    assert lines == [
        "status: 7 CONNECTED (58.3%) · 2 ABSENT · 2 UNDETERMINED · 1 INVALID_MSISDN",
        "networks: 5 Orange (41.7%) · 3 SFR · 2 Bouygues Telecom",
        "cost: 0.1200 EUR (12 results, 0.0100 per result)",
    ]
    # 80 columns: 72 after the "hlrcli: " prefix, one item short of the whole status line.
    at80 = report_text.breakdown_lines(report.compute(rows), width=80)
    assert at80[0] == "status: 7 CONNECTED (58.3%) · 2 ABSENT · 2 UNDETERMINED · +1 more"
    # Narrow (58 columns, 50 after the "hlrcli: " prefix): whole items only, the rest counted.
    narrow = report_text.breakdown_lines(report.compute(rows), width=58)
    assert narrow[0] == "status: 7 CONNECTED (58.3%) · 2 ABSENT · +2 more"
    assert all(len(line) <= 50 for line in narrow)
    # Room for the next item but not for the "+N more" after it: the count of what is left comes first.
    narrower = report_text.breakdown_lines(report.compute(rows), width=40, prefix=0)
    assert narrower[0] == "status: 7 CONNECTED (58.3%) · +3 more"
    assert all(len(line) <= 40 for line in narrower)


LONG = "Telefónica Móviles España, S.A. Unipersonal"


def wide_rows() -> list[Row]:
    """Every breakdown line at its longest: five statuses, long network names with big counts, two currencies."""
    statuses = ["CONNECTED", "ABSENT", "INVALID_MSISDN", "UNDETERMINED"]
    rows = [hlr(m, statuses[i % 4], f"{LONG} {i % 5}") for i, m in enumerate(numbered(12_000))]
    rows += [hlr(m, None, None, error="provider error 500", cost=None) for m in numbered(3, 20_000)]
    rows += [hlr(m, "ABSENT", "Orange", cost="0.25", currency="USD") for m in numbered(2, 30_000)]
    return rows


@pytest.mark.parametrize("columns", [40, 60, 80, 100, 132])
def test_breakdown_lines_fit_the_terminal_after_the_notice_prefix(columns: int) -> None:
    rep = report.compute(wide_rows(), currency="EUR")
    lines = report_text.breakdown_lines(rep, width=columns)
    # What the batch command prints: each line after "hlrcli: ", on a terminal `columns` wide.
    printed = [report_text.NOTICE_PREFIX + line for line in lines]
    assert all(len(line) <= columns for line in printed), max(printed, key=len)
    status, networks, cost = lines
    assert status.startswith("status: 3,002 ABSENT (25.0%)")
    # The first network's count and share always show; its name gives way, and only whole items follow.
    assert networks.startswith("networks: 2,400 Telef") and "(20.0%)" in networks
    assert not re.search(r"\d…|\d,\d*…", networks)
    assert cost.startswith("cost: 120.0000 EUR + 0.5000 USD")


def test_breakdown_lines_take_the_terminal_width_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    rep = report.compute(wide_rows(), currency="EUR")
    monkeypatch.setenv("COLUMNS", "60")
    assert report_text.terminal_width() == 60
    assert max(len(line) for line in report_text.breakdown_lines(rep)) <= 60 - len(report_text.NOTICE_PREFIX)
    assert report_text.breakdown_lines(rep) == report_text.breakdown_lines(rep, width=60)
    monkeypatch.setenv("COLUMNS", "120")
    assert report_text.breakdown_lines(rep) == report_text.breakdown_lines(rep, 120)


# compare ---------------------------------------------------------------------------------------------------------
def test_compare_side_by_side() -> None:
    old = report.compute(seven_two_one(), currency="EUR")  # 7 CONNECTED, 2 ABSENT, 1 INVALID of 10
    new_rows = [hlr(m, "CONNECTED", "Orange") for m in numbered(12)]
    new_rows += [hlr(m, "ABSENT", "Orange") for m in numbered(6, 12)]
    new_rows += [hlr(m, "UNDETERMINED", "Orange") for m in numbered(2, 18)]  # 20 rows, no INVALID any more
    new = report.compute(new_rows, currency="EUR")
    cmp = report.compare(old, new)
    status = {c.value: (c.old, c.new, c.delta, round(c.delta_pp, 2)) for c in cmp.dimension("status").changes}
    assert status == {
        "CONNECTED": (7, 12, 5, -10.0),
        "ABSENT": (2, 6, 4, 10.0),
        "UNDETERMINED": (0, 2, 2, 10.0),
        "INVALID_MSISDN": (1, 0, -1, -10.0),
    }
    assert [c.value for c in cmp.dimension("status").changes] == [
        "CONNECTED",
        "ABSENT",
        "UNDETERMINED",
        "INVALID_MSISDN",
    ]
    assert [c.value for c in cmp.dimension("network").changes] == ["Orange", "SFR", "Free Mobile"]
    rows = list(report.table_rows(cmp))
    assert [(r["dimension"], r["value"]) for r in rows[:8]] == [
        *(("total", name) for name in ("rows", "distinct", "with_result", "pending", "uncertain", "failed")),
        ("cost", "billed"),
        ("cost", "maybe_billed"),
    ]
    assert rows[0] == {
        "dimension": "total",
        "value": "rows",
        "old_count": 10,
        "new_count": 20,
        "change": 10,
        "old_percent": 100.0,
        "new_percent": 100.0,
        "change_pp": 0.0,
        "old_amount": None,
        "new_amount": None,
        "change_amount": None,
        "currency": None,
    }
    assert rows[4]["change"] is None  # uncertain: neither report was given a journal
    billed = rows[6]
    assert (billed["old_amount"], billed["new_amount"], billed["change_amount"], billed["currency"]) == (
        0.1,
        0.2,
        0.1,
        "EUR",
    )
    assert rows[8] == {
        "dimension": "status",
        "value": "CONNECTED",
        "old_count": 7,
        "new_count": 12,
        "change": 5,
        "old_percent": 70.0,
        "new_percent": 60.0,
        "change_pp": -10.0,
        "old_amount": None,
        "new_amount": None,
        "change_amount": None,
        "currency": None,
    }
    summary = report.summary(cmp)
    assert summary["change"]["rows"] == 10 and summary["change"]["cost"] == "0.1000"
    assert summary["old"]["rows"] == 10 and summary["new"]["rows"] == 20


def test_compare_keeps_a_network_that_vanished_out_of_the_fold() -> None:
    # Before: "Gone" was the biggest network; now it has no row. Every other network has 1 row each run.
    old_rows = [hlr(m, network="Gone") for m in numbered(30)]
    old_rows += [hlr(m, network=f"Net {i:02d}") for i, m in enumerate(numbered(20, 100))]
    new_rows = [hlr(m, network=f"Net {i:02d}") for i, m in enumerate(numbered(20, 100))]
    cmp = report.compare(report.compute(old_rows), report.compute(new_rows))
    changes = cmp.dimension("network").changes
    assert ("Gone", 30, 0) in [(c.value, c.old, c.new) for c in changes]
    assert changes[-1].value == "other (6 values)" and (changes[-1].old, changes[-1].new) == (6, 6)
    assert len(changes) == 16


def test_render_fits_80_columns() -> None:
    long_name = "Telefónica Móviles España, S.A. Unipersonal (a very long operator name)"
    rows = seven_two_one() + [hlr(m, "ABSENT", long_name, error="x" * 200) for m in numbered(3, 40)]
    rep = report.compute(rows, currency="EUR")
    out = console(80)
    report_text.render(rep, out)
    text = out.export_text()
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert lines[0].split()[:2] == ["rows", "13"]  # headline figures first
    assert "Telefónica Móviles España…" in text
    assert "█" in text
    # 7 of 13 rows = 53.8 % of a 40-cell bar (the status table has room for the widest): 21 cells and a half.
    connected = next(line for line in lines if line.startswith("CONNECTED"))
    assert "█" * 21 in connected and "█" * 30 not in connected

    cmp = report.compare(report.compute(seven_two_one()), rep)
    out = console(80)
    report_text.render(cmp, out)
    lines = out.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert any(line.startswith("CONNECTED") and "▼ −16.2" in line for line in lines)


def test_bar() -> None:
    assert report_text.bar(1.0, 10) == "█" * 10
    assert report_text.bar(0.5, 10) == "█" * 5
    assert report_text.bar(0.0, 10) == ""
    assert report_text.bar(0.0001, 10) == "▏"  # non-zero stays visible
    assert report_text.bar(0.0625, 10) == "▋"  # 5 eighths of a cell
    assert report_text.bar(0.05, 10) == "▌"  # a half
    assert report_text.bar(2.0, 4) == "████"


# diff ------------------------------------------------------------------------------------------------------------
def diff_runs() -> tuple[list[Row], list[Row]]:
    old = [
        hlr("+33600000001", "CONNECTED", "Orange"),  # → ABSENT: flagged
        hlr("+33600000002", "CONNECTED", "Orange"),  # ported to SFR: network and ported change
        hlr("+33600000003", "CONNECTED", "Orange"),  # unchanged
        hlr("+33600000004", "ABSENT", "SFR"),  # → INVALID_MSISDN: flagged
        hlr("+33600000005", "PENDING", None),  # → INVALID_MSISDN: nothing was known, an ordinary change
        hlr("+33600000006", "CONNECTED", "Orange"),  # lookup failed now: the status changes, the network is unknown
        hlr("+33600000007", "CONNECTED", "Orange", is_roaming="false"),  # now roaming
        hlr("+33600000008", "ABSENT", "SFR"),  # dropped
        hlr("+33600000003", "CONNECTED", "Orange"),  # a duplicate row: one number
        {"msisdn": None, "error": "invalid number (no such range)"},
    ]
    new = [
        hlr("+33600000001", "ABSENT", "Orange"),
        hlr("+33600000002", "CONNECTED", "Orange", is_ported="true", ported_network_name="SFR"),
        hlr("+33600000003", "CONNECTED", "Orange"),
        hlr("+33600000004", "INVALID_MSISDN", "SFR"),
        hlr("+33600000005", "INVALID_MSISDN", None),
        {"msisdn": "+33600000006", "error": "provider error 500"},
        hlr("+33600000007", "CONNECTED", "Orange", is_roaming="true"),
        hlr("+33600000009", "CONNECTED", "Free Mobile"),  # new
    ]
    return old, new


def test_diff_summary_and_rows() -> None:
    old, new = diff_runs()
    random.Random(4).shuffle(new)  # any order
    d = diffs.diff(old, new)
    assert d.summary() == {
        "old_numbers": 8,
        "new_numbers": 8,
        "in_both": 7,
        "unchanged": 1,
        "changed": 6,
        "became_invalid": 1,
        "became_absent": 1,
        "new": 1,
        "dropped": 1,
        "status_changed": 4,
        "network_changed": 1,
        "ported_changed": 1,
        "roaming_changed": 1,
        "number_type_changed": 0,
        "old_rows_without_number": 1,
        "new_rows_without_number": 0,
    }
    assert list(d.rows()) == [
        {
            "msisdn": "+33600000004",
            "change": "became_invalid",
            "field": "status",
            "old": "ABSENT",
            "new": "INVALID_MSISDN",
        },
        {"msisdn": "+33600000001", "change": "became_absent", "field": "status", "old": "CONNECTED", "new": "ABSENT"},
        {"msisdn": "+33600000002", "change": "changed", "field": "network", "old": "Orange", "new": "SFR"},
        {"msisdn": "+33600000002", "change": "changed", "field": "ported", "old": "false", "new": "true"},
        {"msisdn": "+33600000005", "change": "changed", "field": "status", "old": "PENDING", "new": "INVALID_MSISDN"},
        {"msisdn": "+33600000006", "change": "changed", "field": "status", "old": "CONNECTED", "new": "FAILED"},
        {"msisdn": "+33600000007", "change": "changed", "field": "roaming", "old": "false", "new": "true"},
        {"msisdn": "+33600000009", "change": "new", "field": "status", "old": None, "new": "CONNECTED"},
        {"msisdn": "+33600000008", "change": "dropped", "field": "status", "old": "ABSENT", "new": None},
    ]
    assert [c.msisdn for c in d.flagged("became_invalid")] == ["+33600000004"]
    assert d.transitions == {
        ("ABSENT", "INVALID_MSISDN"): 1,
        ("CONNECTED", "ABSENT"): 1,
        ("CONNECTED", "FAILED"): 1,
        ("PENDING", "INVALID_MSISDN"): 1,
    }


def test_diff_of_identical_runs_and_of_nothing() -> None:
    old, _ = diff_runs()
    same = diffs.diff(old, list(reversed(old)))
    assert same.summary()["unchanged"] == same.summary()["in_both"] == 8
    assert list(same.rows()) == []
    empty = diffs.diff([], [])
    assert empty.summary()["old_numbers"] == empty.summary()["new_numbers"] == 0
    assert list(empty.rows()) == []


def test_diff_counts_a_repeated_number_once_from_its_first_row() -> None:
    old = [hlr("+33600000001")]
    new = [hlr("+33600000001"), hlr("+33600000001", "ABSENT")]
    assert diffs.diff(old, new).summary()["unchanged"] == 1
    assert diffs.diff(old, new).summary()["new_numbers"] == 1


def test_diff_nt_rows_keyed_by_number() -> None:
    old = [{"number": "+33612345678", "number_type": "MOBILE", "query_status": "OK"}]
    new = [{"number": "+33612345678", "number_type": "VOIP", "query_status": "OK"}]
    assert list(diffs.diff(old, new).rows()) == [
        {"msisdn": "+33612345678", "change": "changed", "field": "number_type", "old": "MOBILE", "new": "VOIP"}
    ]


def test_diff_render() -> None:
    old, new = diff_runs()
    out = console(80)
    diffs.render(diffs.diff(old, new), out, limit=3)
    text = out.export_text()
    assert "became invalid" in text
    assert re.search(r"^CONNECTED +ABSENT +1$", text, re.M)
    assert "+33600000004" in text and "… 6 more rows" in text
    assert all(len(line) <= 80 for line in text.splitlines())


# html ------------------------------------------------------------------------------------------------------------
EVIL = "<img src=x onerror=alert(1)>"
WHEN = datetime(2026, 11, 22, 3, 30, tzinfo=timezone.utc)


def page_rows() -> list[Row]:
    """Status 4 values; current network 20 named (top 15 + other) and (none); country 2; ported 2; errors 2."""
    rows = seven_two_one()
    rows += [
        hlr(m, "UNDETERMINED", f"Net {i:02d}", original_country_code="DE", original_country_name="Germany")
        for i, m in enumerate(numbered(17, 30))
    ]
    rows += [hlr("+33690000001", "ABSENT", EVIL, is_ported=True, ported_network_name=EVIL)]
    rows += [{"msisdn": None, "error": "invalid number"}]
    return rows


# Bars expected per chart of page_rows(), counted by hand from the docstring above.
EXPECTED_BARS = {
    "status": 5,  # CONNECTED, UNDETERMINED, ABSENT, INVALID_MSISDN, FAILED
    "network": 17,  # Orange, SFR, Free Mobile, 12 of Net 00..16 and EVIL (one row each), (none), other (6 values)
    "original_network": 17,
    "country": 3,  # France (FR), Germany (DE), (none)
    "ported": 3,  # no, yes, (none)
    "roaming": 2,  # no, (none)
    "error": 2,  # (none), invalid number
}


def make_page(against: report.Report | None = None, meta: dict[str, Any] | None = None) -> str:
    rep = report.compute(page_rows(), currency="EUR")
    return html.page(rep, meta if meta is not None else META, against=against, generated=WHEN)


def test_html_counts_match_the_report() -> None:
    rep = report.compute(page_rows())
    assert {d.name: len(d.buckets) for d in rep.dimensions} == EXPECTED_BARS


def test_html_is_self_contained_and_escapes_everything() -> None:
    meta = {**META, "job": f"job {EVIL}", "input": f"{EVIL}.csv", "options": {**META["options"], "tag": EVIL}}
    page = make_page(meta=meta)
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "@import" not in page and "url(" not in page
    assert "http://" not in page and "https://" not in page
    assert "<img" not in page and EVIL not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<title>job &lt;img src=x onerror=alert(1)&gt; · hlrcli HLR report</title>" in page
    assert "2026-11-22 03:30 UTC" in page
    assert "customers" not in page  # META's input was replaced
    for text in ("hlrlookups", "async mode", "max_cost", "2026-11-22 01:30:02 UTC", "0.28 <small>EUR</small>"):
        assert text in page, text


def test_html_with_an_earlier_run() -> None:
    old = report.compute(seven_two_one(), currency="EUR")
    page = make_page(against=old)
    # One marker per value of either run: the same values as the page without one (none vanished).
    assert page.count('class="ref"') == sum(EXPECTED_BARS.values())
    assert "was 10 (+19)" in page and "was 0.10" in page
    assert "−45.9 pp" in page  # CONNECTED: 7 of 10 (70 %) then 7 of 29 (24.1 %)


class Bars(HTMLParser):
    """Counts `<rect class="bar …">` per chart (`<svg data-dimension=…>`) and the earlier-run markers."""

    def __init__(self) -> None:
        super().__init__()
        self.chart: str | None = None
        self.bars: dict[str, int] = {}
        self.refs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        chart = a.get("data-dimension")
        if tag == "svg" and chart:
            self.chart = chart
            self.bars[chart] = 0
        elif tag == "rect" and self.chart is not None:
            classes = (a.get("class") or "").split()
            self.bars[self.chart] += "bar" in classes
            self.refs += "ref" in classes

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.chart = None


def count_bars(document: str) -> Bars:
    parser = Bars()
    parser.feed(document)
    parser.close()
    return parser


def test_html_has_one_chart_per_dimension_with_a_bar_per_value() -> None:
    assert count_bars(make_page()).bars == EXPECTED_BARS


needs_chromium = pytest.mark.skipif(
    chromium() is None, reason="no chromium or chromium-browser on PATH (Debian: apt-get install chromium)"
)


@needs_chromium
@pytest.mark.parametrize("earlier", [False, True], ids=["report", "against"])
def test_html_in_a_browser_draws_every_bar(tmp_path: Path, earlier: bool) -> None:
    page = tmp_path / "report.html"
    page.write_text(make_page(against=report.compute(seven_two_one()) if earlier else None), encoding="utf-8")
    dom = browser(["--dump-dom"], page).stdout
    assert "<svg" in dom and "</html>" in dom
    parsed = count_bars(dom)
    assert parsed.bars == EXPECTED_BARS
    assert parsed.refs == (sum(EXPECTED_BARS.values()) if earlier else 0)
    assert "<img" not in dom  # the network named like an image tag stayed text once parsed


@needs_chromium
def test_html_screenshot_is_not_blank(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(make_page(), encoding="utf-8")
    png = tmp_path / "report.png"
    browser([f"--screenshot={png}", "--window-size=1200,1600"], page)
    assert png.is_file()
    width, height, rows = png_pixels(png)
    assert (width, height) == (1200, 1600)
    colours: set[bytes] = set()
    for row in rows:
        colours.update(row[i : i + 3] for i in range(0, len(row), 3))
    assert len(colours) > 100  # text antialiasing alone gives hundreds; a blank page gives one
    # Drawn in the page's status palette: CONNECTED green, ABSENT amber, INVALID_MSISDN red, UNDETERMINED grey;
    # and the neutral bar blue, which only the charts use (the status strip at the top has the status colours).
    for colour in ("2e9b5a", "e0a21b", "d64545", "9aa5b1", "3e6fb0"):
        assert bytes.fromhex(colour) in colours, colour


# The sample script -----------------------------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]


def test_the_sample_script_never_writes_the_readme_pictures(tmp_path: Path) -> None:
    pictures = {name: hashlib.sha256((ROOT / "docs" / name).read_bytes()).hexdigest()
                for name in ("report-html.png", "report-terminal.png")}  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()

    def sample(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "tests.report_sample", "--rows", "300", *args]
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)

    # As documented, from any directory: the timings and the report, and no picture (one used to land in docs/).
    run = sample()
    assert run.returncode == 0, run.stderr
    assert "300 rows: compute" in run.stdout
    assert list(cwd.iterdir()) == []
    for name in pictures:
        refused = sample("--png", str(ROOT / "docs" / name))
        assert refused.returncode == 2 and "docs/screenshots.py" in refused.stderr, refused.stderr
    assert pictures == {name: hashlib.sha256((ROOT / "docs" / name).read_bytes()).hexdigest() for name in pictures}
