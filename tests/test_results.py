"""What a job's results become: reports, run-to-run diffs, reuse across jobs, spreadsheets, the store's view, and
the Python API — all through the real CLI (or `import hlrcli`) against the emulator."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import rows_of
from tests.test_batch import numbers, write_csv

NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _batch(live, src: Path, job: str, *extra: str) -> None:
    r = live("batch", str(src), "-p", "hlrlookups", "--job", job, "-o", f"{job}.csv", *extra)
    assert r.exit_code == 0, r.stderr


# Reports ----------------------------------------------------------------------------------------------------------
def test_report_counts_each_dimension_from_the_store(live, emu, tmp_path):
    nums = numbers(50)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums] + [["junk"], [nums[0]]])
    _batch(live, src, "r1")
    r = live("report", "r1", "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    status = {row["value"]: row["count"] for row in rows if row["dimension"] == "status"}
    expected = Counter(emu.expected_status(n) for n in nums)  # one row per distinct number
    assert status == {**expected, "FAILED": 1}  # the unparseable input row
    assert sum(status.values()) == 51
    ported = {row["value"]: row["count"] for row in rows if row["dimension"] == "ported"}
    assert ported["yes"] == sum(emu.expected(n)["is_ported"] for n in nums)
    # --by picks dimensions; an unknown one is a usage error naming the choices.
    r = live("report", "r1", "-f", "csv", "--by", "status")
    assert {row["dimension"] for row in rows_of(r.stdout)} == {"total", "cost", "status"}
    r = live("report", "r1", "--by", "colour")
    assert r.exit_code == 2 and "status" in r.stderr and len(r.stderr.splitlines()) == 1


def test_report_against_an_earlier_run_and_as_an_html_page(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(20)])
    _batch(live, src, "old")
    _batch(live, src, "new", "--again", "--yes")  # another name, the same list
    r = live("report", "new", "--against", "old", "-f", "json", "--html", str(tmp_path / "r.html"))
    assert r.exit_code == 0, r.stderr
    changes = [row for row in json.loads(r.stdout) if row["dimension"] == "status"]
    assert changes and all(row["old_count"] == row["new_count"] and row["change"] == 0 for row in changes)
    page = (tmp_path / "r.html").read_text()
    assert page.startswith("<!doctype html>") and "<script" not in page and "https://" not in page
    assert page.count('class="bar') >= len(changes)
    assert "new" in page and "hlrlookups" in page


def test_report_data_starts_with_the_totals_and_the_cost(live, emu, tmp_path):
    # 20 numbers, a duplicate and an unusable cell; two answers lost after the provider billed them.
    nums = numbers(20)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums] + [["junk"], [nums[0]]])
    emu.inject_drop(path="/hlr-lookup", times=2, after_processing=True)
    r = live("batch", str(src), "-p", "hlrlookups", "--job", "h1", "-o", "h1.csv", "--concurrency", "1")
    assert r.exit_code == 1 and emu.charge_count() == 20  # the two uncertain ones were billed
    r = live("report", "h1", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    rows = rows_of(r.stdout)
    assert list(rows[0]) == ["dimension", "value", "count", "percent", "amount", "currency"]
    head = [(row["dimension"], row["value"], row["count"], row["percent"], row["amount"], row["currency"])
            for row in rows[:8]]  # fmt: skip
    # One row per distinct number plus the unusable one: 21. The uncertain numbers are awaited, so pending too.
    assert head == [
        ("total", "rows", "21", "100.0", "", ""),
        ("total", "distinct", "20", "", "", ""),
        ("total", "with_result", "18", "85.71", "", ""),
        ("total", "pending", "2", "9.52", "", ""),
        ("total", "uncertain", "2", "9.52", "", ""),
        ("total", "failed", "1", "4.76", "", ""),
        ("cost", "billed", "18", "85.71", "0.1800", "EUR"),
        ("cost", "maybe_billed", "2", "9.52", "0.0200", "EUR"),
    ]
    assert {row["dimension"] for row in rows[8:]} >= {"status", "network"}
    # JSON: the same rows, money a number.
    data = json.loads(live("report", "h1", "-f", "json").stdout)
    billed = next(row for row in data if row["value"] == "billed")
    assert billed["amount"] == 0.18 and billed["count"] == 18 and billed["currency"] == "EUR"
    # The terminal and the page show the same figures.
    table = live("report", "h1", "-f", "table").stdout
    assert re.search(r"^maybe billed +up to 0\.0200 EUR +uncertain +2 +9\.5%$", table, re.M), table
    assert live("report", "h1", "--html", str(tmp_path / "h1.html"), "-f", "csv").exit_code == 0
    page = (tmp_path / "h1.html").read_text()
    assert '<span class="label">Uncertain</span><span class="num">2</span>' in page
    assert "+ maybe billed up to 0.0200 EUR" in page


def test_report_to_an_html_file_name_writes_the_page(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(5)])
    _batch(live, src, "p1")
    page = tmp_path / "p1.html"
    r = live("report", "p1", "-o", str(page))
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "" and f"wrote {page}" in r.stderr
    assert page.read_text().startswith("<!doctype html>") and "p1" in page.read_text()
    # -o names the page: a data format, or a second page, for it is a usage error that names the way out.
    other = tmp_path / "other.html"
    for extra in (["-f", "csv"], ["--html", str(other)]):
        r = live("report", "p1", "-o", str(tmp_path / "x.html"), *extra)
        assert r.exit_code == 2 and "--html FILE" in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
        assert not (tmp_path / "x.html").exists() and not other.exists()


def test_terminal_report_fits_80_columns(live, emu, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(30)])
    _batch(live, src, "t1")
    live.env(COLUMNS="80")  # a terminal 80 columns wide, whatever the one running the tests is
    r = live("report", "t1", "-f", "table")
    assert r.exit_code == 0, r.stderr
    assert "CONNECTED" in r.stdout and "█" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80, r.stdout


# Diffs -------------------------------------------------------------------------------------------------------------
def test_jobs_diff_names_what_changed(live, emu, tmp_path):
    nums = numbers(10)
    src_old = write_csv(tmp_path / "old.csv", ["phone"], [[n] for n in nums[:8]])
    src_new = write_csv(tmp_path / "new.csv", ["phone"], [[n] for n in nums[2:]])
    _batch(live, src_old, "nov")
    _batch(live, src_new, "dec")
    r = live("jobs", "diff", "nov", "dec", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    rows = rows_of(r.stdout)
    assert sorted(row["msisdn"] for row in rows if row["change"] == "new") == sorted(nums[8:])
    assert sorted(row["msisdn"] for row in rows if row["change"] == "dropped") == sorted(nums[:2])
    assert "in both 6" in r.stderr  # the counts come first


# Pay once across jobs ------------------------------------------------------------------------------------------
def test_max_age_reuses_stored_results_instead_of_paying(live, emu, tmp_path):
    nums = numbers(12)
    _batch(live, write_csv(tmp_path / "a.csv", ["phone"], [[n] for n in nums[:8]]), "first")
    assert emu.charge_count() == 8
    src = write_csv(tmp_path / "b.csv", ["phone"], [[n] for n in nums])
    dry = live("batch", str(src), "-p", "hlrlookups", "--max-age", "30d", "--dry-run", "-f", "json")
    [report] = json.loads(dry.stdout)
    assert (report["from_store"], report["to_send"]) == (8, 4)
    assert report["saved"] == pytest.approx(8 * 0.01)
    r = live("batch", str(src), "-p", "hlrlookups", "--max-age", "30d", "--job", "second", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert emu.charge_count() == 12  # only the 4 numbers the first job did not have were bought
    out = json.loads(r.stdout)
    assert [row["source"] for row in out] == ["store"] * 8 + ["provider"] * 4
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["checked"]) for row in out)
    # Without --max-age a lookup is bought fresh: a new job pays for everything.
    r = live("batch", str(src), "-p", "hlrlookups", "--job", "third")
    assert r.exit_code == 0 and emu.charge_count() == 24


# Spreadsheets ------------------------------------------------------------------------------------------------------
def _sheet(path: Path) -> list[list[str]]:
    with zipfile.ZipFile(path) as z:
        shared = [
            "".join(t.text or "" for t in si.iter(f"{{{NS['x']}}}t"))
            for si in ElementTree.fromstring(z.read("xl/sharedStrings.xml")).findall("x:si", NS)
        ] if "xl/sharedStrings.xml" in z.namelist() else []  # fmt: skip
        sheet = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    out = []
    for row in sheet.iter(f"{{{NS['x']}}}row"):
        cells: dict[int, str] = {}
        for c in row.findall("x:c", NS):
            letters = re.match(r"[A-Z]+", c.get("r", "A"))
            col = 0
            for ch in letters.group(0) if letters else "A":
                col = col * 26 + ord(ch) - 64
            if c.get("t") == "inlineStr":  # what XlsxWriter's constant-memory mode writes
                cells[col - 1] = "".join(t.text or "" for t in c.iter(f"{{{NS['x']}}}t"))
                continue
            v = c.find("x:v", NS)
            text = "" if v is None else v.text or ""
            cells[col - 1] = shared[int(text)] if c.get("t") == "s" else text
        out.append([cells.get(i, "") for i in range(max(cells, default=-1) + 1)])
    return out


def test_xlsx_is_a_real_workbook_with_typed_columns(live, emu, tmp_path):
    nums = numbers(3)
    src = write_csv(tmp_path / "in.csv", ["id", "phone"], [["007", n] for n in nums])
    r = live("batch", str(src), "-p", "hlrlookups", "-o", str(tmp_path / "out.xlsx"))
    assert r.exit_code == 0, r.stderr
    book = tmp_path / "out.xlsx"
    with zipfile.ZipFile(book) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<pane " in sheet_xml and 'state="frozen"' in sheet_xml and "<autoFilter " in sheet_xml
    rows = _sheet(book)
    header = rows[0]
    assert header[:3] == ["id", "phone", "msisdn"]
    first = dict(zip(header, rows[1], strict=False))
    assert first["id"] == "007" and first["phone"] == nums[0]  # text: the leading zeros and + stay
    assert float(first["cost"]) == pytest.approx(0.01)  # money is a number cell
    # An unknown spreadsheet extension is refused before anything is sent.
    r = live("batch", str(src), "-p", "hlrlookups", "--job", "x2", "-o", str(tmp_path / "out.xls"))
    assert r.exit_code == 2 and ".xls" in r.stderr


def test_xlsx_without_the_extra_names_it(tmp_path, emu):
    code = (
        "import sys; sys.modules['xlsxwriter'] = None\n"
        "from hlrcli.cli.app import main; sys.argv = ['hlrcli', 'nt', '-p', 'offline', '+4930123456', '-o', "
        f"{str(tmp_path / 'o.xlsx')!r}]\nmain()"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "pip install 'hlrcli[xlsx]'" in proc.stderr and "Traceback" not in proc.stderr


def test_excel_csv_has_a_bom_and_semicolons_and_a_semicolon_input_stays_so(live, emu, tmp_path):
    nums = numbers(2)
    src = write_csv(tmp_path / "in.csv", ["name", "phone"], [["a", nums[0]], ["b", nums[1]]])
    r = live("batch", str(src), "-p", "hlrlookups", "--excel", "-o", str(tmp_path / "x.csv"))
    assert r.exit_code == 0, r.stderr
    raw = (tmp_path / "x.csv").read_bytes()
    assert raw.startswith("\ufeff".encode()) and raw.decode("utf-8-sig").splitlines()[0].startswith("name;phone;")
    semi = write_csv(tmp_path / "semi.csv", ["name", "phone"], [["a", nums[0]]], delimiter=";")
    r = live("batch", str(semi), "-p", "hlrlookups", "--job", "semi")
    assert r.exit_code == 0 and r.stdout.splitlines()[0].startswith("name;phone;msisdn;")


# The store as a read-only interface ------------------------------------------------------------------------------
def test_results_view_has_one_row_per_input_row(live, emu, tmp_path, isolated):
    nums = numbers(4)
    src = write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in nums] + [["junk"]])
    _batch(live, src, "v1")
    db = sqlite3.connect(Path(isolated.parent / "home" / "jobs.sqlite3"))
    rows = db.execute("SELECT row, msisdn, state, connectivity_status, cost FROM results WHERE job = 'v1' ORDER BY row")
    got = rows.fetchall()
    assert [r[0] for r in got] == [1, 2, 3, 4, 5]
    assert [r[3] for r in got[:4]] == [emu.expected_status(n) for n in nums]
    assert got[4][1:3] == (None, "invalid")
    db.close()


def _readme_sqlite_query() -> str:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Spreadsheets and data tools", 1)[1].split("\n## ", 1)[0]
    [query] = re.findall(r'^sqlite3 -readonly \S+ \\\n\s*"(.+)"$', section, re.M)
    return query


def test_the_readme_sqlite3_query_runs_on_a_real_store(live, emu, tmp_path, isolated):
    nums = numbers(12)
    # The README's job, made the way it says: a month reusing the month before's results (--max-age).
    _batch(live, write_csv(tmp_path / "nov.csv", ["phone"], [[n] for n in nums[:8]]), "customers-2026-11")
    src = write_csv(tmp_path / "dec.csv", ["phone"], [[n] for n in nums] + [["junk"], [nums[0]]])
    _batch(live, src, "customers-2026-12", "--max-age", "30d")
    query = _readme_sqlite_query()
    assert "customers-2026-12" in query
    # Read-only, as the README opens it.
    db = sqlite3.connect(f"file:{isolated.parent / 'home' / 'jobs.sqlite3'}?mode=ro", uri=True)
    try:
        got = {tuple(row) for row in db.execute(query)}
    finally:
        db.close()
    # Input rows: 8 numbers from the store (one of them twice), 4 bought, 1 unusable; 0.01 each, as a number.
    sources = ["store"] * 8 + ["provider"] * 4 + ["store"]
    groups = Counter((emu.expected_status(n), s) for n, s in zip([*nums, nums[0]], sources, strict=True))
    expected = {(status, source, count, round(count * 0.01, 4)) for (status, source), count in groups.items()}
    assert got == expected | {(None, None, 1, None)}


def test_results_view_of_an_earlier_release_is_remade(live, emu, tmp_path, isolated):
    _batch(live, write_csv(tmp_path / "in.csv", ["phone"], [[n] for n in numbers(2)]), "m1")
    path = isolated.parent / "home" / "jobs.sqlite3"
    db = sqlite3.connect(path)
    # Schema 1's view: cost as the provider's text, no source.
    db.execute("DROP VIEW results")
    db.execute("CREATE VIEW results AS SELECT n.job AS job, json_extract(n.result, '$.cost') AS cost FROM numbers n")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    assert db.execute("SELECT typeof(cost) FROM results").fetchall() == [("text",), ("text",)]
    db.close()
    assert live("jobs", "list").exit_code == 0  # any command opens the store, and migrates it
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        rows = db.execute("SELECT typeof(cost), cost, source FROM results WHERE job = 'm1'").fetchall()
    finally:
        db.close()
    assert rows == [("real", 0.01, "provider")] * 2


# Python API ----------------------------------------------------------------------------------------------------------
def test_python_api_example_from_the_readme(live, emu, tmp_path, capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(example, "README.md", "exec"), {})  # the README's own five lines, run as written
    printed = capsys.readouterr().out.splitlines()
    assert printed and all(line.split()[-1] in ("CONNECTED", "ABSENT", "INVALID_MSISDN", "UNDETERMINED") for line in
                           printed)  # fmt: skip
    assert emu.charge_count() >= 1


def test_python_api_batch_keeps_the_guarantees(live, emu, tmp_path):
    import hlrcli

    rows = [{"id": str(i), "phone": n} for i, n in enumerate(numbers(5))]
    outcome = hlrcli.run_batch(rows, job="api")
    assert outcome.code == 0 and outcome.job == "api"
    got = list(hlrcli.job_results("api"))
    assert [r["id"] for r in got] == ["0", "1", "2", "3", "4"]
    assert [r["connectivity_status"] for r in got] == [emu.expected_status(r["phone"]) for r in rows]
    again = hlrcli.run_batch(rows, job="api")  # the same rows again: exported from the store, not bought
    assert again.code == 0 and emu.charge_count() == 5
    with pytest.raises(hlrcli.HlrcliError):
        hlrcli.run_batch(rows, job="../escape")
    _ = (csv, io)


def test_python_api_batch_streams_its_rows_and_leaves_no_spool(live, emu, tmp_path, isolated):
    import hlrcli

    spool = isolated.parent / "home" / "spool"
    nums = numbers(30)
    given: list[int] = []

    def rows():  # a generator, read once as the batch goes
        for i, n in enumerate(nums):
            given.append(i)
            yield {"id": str(i), "phone": n}

    out = io.StringIO()
    outcome = hlrcli.run_batch(rows(), job="stream", output=out, format="ndjson", per_minute=60_000)
    assert outcome.code == 0 and given == list(range(30))
    # Answered out of order by 8 workers, written in input order.
    written = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [row["id"] for row in written] == [str(i) for i in range(30)]
    assert [row["connectivity_status"] for row in written] == [emu.expected_status(n) for n in nums]
    assert [row["id"] for row in hlrcli.job_results("stream")] == [str(i) for i in range(30)]
    assert list(spool.iterdir()) == []
    shown = json.loads(live("jobs", "show", "stream", "-f", "json").stdout)
    assert shown[0]["run"]["per_minute"] == 60_000  # the pace the job runs (and resumes) at

    # However it ends, the spool goes: an error in the service, in the caller's rows, or a bad argument.
    def broken():
        yield {"id": "1", "phone": nums[0]}
        raise RuntimeError("the caller's source failed")

    with pytest.raises(hlrcli.HlrcliError, match="column"):
        hlrcli.run_batch([{"id": "1", "phone": nums[0]}], job="nocol", column="mobile")
    with pytest.raises(RuntimeError, match="source failed"):
        hlrcli.run_batch(broken(), job="broken")
    with pytest.raises(hlrcli.HlrcliError, match="per_minute"):
        hlrcli.run_batch([{"phone": nums[0]}], per_minute=0)
    assert list(spool.iterdir()) == []
    assert emu.charge_count() == 30
