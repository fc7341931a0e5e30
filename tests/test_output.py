"""Output: every format renders, CSV/JSON/NDJSON shapes, format defaults, colour, and atomic -o FILE."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import stat
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from hlrcli.output import MONEY, Format, open_output, render
from tests.conftest import run_process

# Offline answers are deterministic: the same command always prints the same bytes.
NUMBERS = ["+4930123456", "+4915123456789", "+12015550123", "garbage"]
COLOR = re.compile(r"\x1b\[(?:\d+;)*3\dm")  # a foreground colour


@dataclass(frozen=True)
class Rec:
    name: str
    flag: bool | None
    items: tuple[str, ...]
    count: int | None = None
    status: str = "CONNECTED"


RECORDS = [Rec("a,b", True, ("x", "y")), Rec('q"uote', False, (), 3, "ABSENT"), Rec("n", None, ("z",))]


def parse(fmt: Format, text: str) -> list[dict[str, Any]]:
    if fmt is Format.csv:
        return list(csv.DictReader(io.StringIO(text)))
    if fmt is Format.json:
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines()]


TEXT_FORMATS = [f for f in Format if f is not Format.xlsx]  # xlsx is binary: tested on its own


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_every_format_renders(fmt):
    out = io.StringIO()
    assert render(iter(RECORDS), fmt, out) == len(RECORDS)
    text = out.getvalue()
    if fmt is Format.table:
        for rec in RECORDS:
            assert rec.name in text
        return
    rows = parse(fmt, text)
    assert [row["name"] for row in rows] == [r.name for r in RECORDS]
    if fmt is Format.csv:
        assert [row["flag"] for row in rows] == ["true", "false", ""]
        assert [row["items"] for row in rows] == ["x;y", "", "z"]
        assert [row["count"] for row in rows] == ["", "3", ""]
    else:
        assert [row["flag"] for row in rows] == [True, False, None]
        assert [row["items"] for row in rows] == [["x", "y"], [], ["z"]]
        assert [row["count"] for row in rows] == [None, 3, None]


def test_every_format_is_accepted_by_f_and_nothing_else(cli, isolated):
    for fmt in Format:
        target = isolated / f"out-{fmt.value}"
        r = cli("nt", "-p", "offline", "+4930123456", "-f", fmt.value, "-o", str(target))
        assert r.exit_code == 0 and target.stat().st_size > 0, (fmt, r.stderr)
    r = cli("nt", "-p", "offline", "+4930123456", "-f", "yaml")
    assert r.exit_code == 2
    assert "use table, csv, json, ndjson, xlsx" in r.stderr  # the choices, each named once


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_no_records(fmt):
    out = io.StringIO()
    assert render([], fmt, out, columns=["a", "b"]) == 0
    text = out.getvalue()
    if fmt is Format.json:
        assert json.loads(text) == []
    elif fmt is Format.ndjson:
        assert text == ""
    elif fmt is Format.csv:
        assert text == "a,b\n"
    else:  # a table with its header and no row
        lines = [line for line in text.splitlines() if line.strip()]
        assert any("a" in line and "b" in line for line in lines) and not any(line.startswith("│") for line in lines)


def test_json_is_one_array_and_ndjson_one_object_per_line():
    j, n = io.StringIO(), io.StringIO()
    render(RECORDS, Format.json, j)
    render(RECORDS, Format.ndjson, n)
    assert isinstance(json.loads(j.getvalue()), list)
    lines = n.getvalue().splitlines()
    assert len(lines) == len(RECORDS)
    assert [json.loads(line) for line in lines] == json.loads(j.getvalue())


def test_csv_joins_lists_with_semicolons(cli):
    # A US number has several time zones: the CSV cell holds them all.
    r_csv = cli("nt", "-p", "offline", "+12015550123", "-f", "csv")
    r_json = cli("nt", "-p", "offline", "+12015550123", "-f", "json")
    [row_csv] = parse(Format.csv, r_csv.stdout)
    [row_json] = parse(Format.json, r_json.stdout)
    assert row_csv["timezones"] == ";".join(row_json["timezones"])
    assert row_csv["is_valid"] == "true"


def test_hlrcli_format_overrides_the_default_and_the_flag_overrides_it(cli):
    cli.env(HLRCLI_FORMAT="json")
    r = cli("nt", "-p", "offline", NUMBERS[0])
    assert json.loads(r.stdout)[0]["msisdn"] == NUMBERS[0]
    r = cli("nt", "-p", "offline", NUMBERS[0], "-f", "ndjson")
    assert json.loads(r.stdout)["msisdn"] == NUMBERS[0]
    cli.env(HLRCLI_FORMAT="NDJSON")
    assert json.loads(cli("nt", "-p", "offline", NUMBERS[0]).stdout)["msisdn"] == NUMBERS[0]


def test_bad_hlrcli_format_is_a_configuration_error_naming_its_source(cli):
    cli.env(HLRCLI_FORMAT="xml")
    r = cli("nt", "-p", "offline", NUMBERS[0])
    assert r.exit_code == 3
    [line] = r.stderr.splitlines()
    assert "HLRCLI_FORMAT (from environment) must be table, csv" in line


def test_csv_is_the_default_when_stdout_is_not_a_terminal():
    proc = run_process(["nt", *NUMBERS[:2]])
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout.decode())))
    assert [row["msisdn"] for row in rows] == NUMBERS[:2]
    # The no-provider notice goes to stderr, never into the data.
    assert b"offline" in proc.stderr


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hlrcli", *args],
            stdout=follower,
            stderr=subprocess.PIPE,
            env={**os.environ, "COLUMNS": "200", "TERM": "xterm-256color", **env},
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=30)
    finally:
        os.close(leader)
    return b"".join(chunks).decode()


def test_table_is_the_default_on_a_terminal_and_honours_no_color(emu):
    numbers = ["+491788735000", "+491788735006"]
    coloured = _on_a_terminal(["lookup", *numbers], emu.env("hlrlookups"))
    assert "connectivity_status" in coloured and "┃" in coloured
    assert "\x1b[32mCONNECTED" in coloured and "\x1b[33mABSENT" in coloured
    plain = _on_a_terminal(["lookup", *numbers], {**emu.env("hlrlookups"), "NO_COLOR": "1"})
    assert "CONNECTED" in plain and "ABSENT" in plain
    assert not COLOR.search(plain)


def test_table_colours_statuses_and_no_color(cli, emu):
    cli.env(**emu.env("hlrlookups"), FORCE_COLOR="1")
    numbers = ["+491788735000", "+491788735006", "+491788735008"]
    r = cli("lookup", *numbers, "-f", "table")
    assert r.exit_code == 0, r.stderr
    assert "\x1b[32mCONNECTED" in r.stdout or "\x1b[32mCONNECTE" in r.stdout
    assert "\x1b[33mABSENT" in r.stdout
    assert "\x1b[31mINVALID" in r.stdout
    cli.env(NO_COLOR="1")
    r = cli("lookup", *numbers, "-f", "table")
    assert r.exit_code == 0, r.stderr
    assert not COLOR.search(r.stdout)
    assert "ABSENT" in r.stdout


def test_single_record_table_shows_every_non_empty_field(cli):
    r = cli("nt", "-p", "offline", NUMBERS[0], "-f", "table")
    for field in ("msisdn", "number_type", "original_country_code", "timezones"):
        assert re.search(rf"^{field}\s", r.stdout, re.M), field
    assert not re.search(r"^mccmnc\s", r.stdout, re.M)


# -o FILE ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", [f.value for f in TEXT_FORMATS])
def test_output_file_equals_stdout(cli, isolated, fmt):
    args = ["nt", "-p", "offline", *NUMBERS, "-f", fmt]
    to_stdout = cli(*args)
    target = isolated / f"out.{fmt}"
    to_file = cli(*args, "-o", str(target))
    assert to_stdout.exit_code == to_file.exit_code == 0
    assert to_file.stdout == ""
    assert target.read_text(encoding="utf-8") == to_stdout.stdout
    assert sorted(p.name for p in isolated.iterdir()) == [target.name]


@pytest.mark.parametrize(
    ("suffix", "fmt"),
    [
        ("json", Format.json),
        ("ndjson", Format.ndjson),
        ("jsonl", Format.ndjson),
        ("csv", Format.csv),
        ("txt", Format.csv),
    ],
)
def test_output_format_follows_the_file_name(cli, isolated, suffix, fmt):
    target = isolated / f"out.{suffix}"
    assert cli("nt", "-p", "offline", *NUMBERS[:2], "-o", str(target)).exit_code == 0
    rows = parse(fmt, target.read_text())
    assert [row["msisdn"] for row in rows] == NUMBERS[:2]


def test_tsv_is_tab_separated_and_compressed_names_are_refused(cli, live, isolated):
    target = isolated / "out.tsv"
    assert cli("nt", "-p", "offline", *NUMBERS[:2], "-o", str(target)).exit_code == 0
    lines = target.read_text().splitlines()
    assert lines[0].startswith("msisdn\t") and len(lines) == 3
    # A batch keeps its input's delimiter, except where the file name says otherwise.
    src = isolated / "in.csv"
    src.write_text("id;phone\n1;" + NUMBERS[0] + "\n")
    assert live("batch", str(src), "-p", "hlrlookups", "-o", str(isolated / "b.tsv")).exit_code == 0
    assert (isolated / "b.tsv").read_text().splitlines()[1].startswith("1\t")
    for name in ("out.csv.gz", "out.zip"):
        r = cli("nt", "-p", "offline", NUMBERS[0], "-o", str(isolated / name))
        assert r.exit_code == 2 and "gzip" in r.stderr
        assert not (isolated / name).exists()


def test_output_file_replaces_and_keeps_the_usual_mode(cli, isolated):
    target = isolated / "out.csv"
    target.write_text("old content\n")
    target.chmod(0o640)
    assert cli("nt", "-p", "offline", NUMBERS[0], "-o", str(target)).exit_code == 0
    assert "old content" not in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fresh = isolated / "fresh.csv"
    assert cli("nt", "-p", "offline", NUMBERS[0], "-o", str(fresh)).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


def test_output_to_a_missing_directory_is_one_line_exit_2(cli, isolated):
    r = cli("nt", "-p", "offline", NUMBERS[0], "-o", str(isolated / "nope" / "out.csv"))
    assert r.exit_code == 2
    assert len(r.stderr.splitlines()) == 1
    assert "nope" in r.stderr


def test_failed_command_leaves_an_existing_file_alone(cli, emu, isolated):
    cli.env(**{**emu.env("hlrlookups"), "HLR_LOOKUPS_API_SECRET": "wrong-secret-value"})
    target = isolated / "out.csv"
    target.write_text("previous\n")
    r = cli("balance", "-o", str(target))
    assert r.exit_code == 3
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in isolated.iterdir()) == ["out.csv"]


def test_open_output_is_atomic(tmp_path):
    tmp_path = tmp_path / "atomic"
    tmp_path.mkdir()
    target = tmp_path / "out.csv"
    target.write_text("previous\n")
    with pytest.raises(RuntimeError), open_output(target, io.StringIO()) as fh:
        fh.write("half a ")
        fh.flush()
        assert target.read_text() == "previous\n"  # nothing visible while writing
        raise RuntimeError("interrupted")
    assert target.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with open_output(target, io.StringIO()) as fh:
        fh.write("new\n")
        assert target.read_text() == "previous\n"
    assert target.read_text() == "new\n"


def test_dash_means_stdout(cli, isolated):
    r = cli("nt", "-p", "offline", NUMBERS[0], "-o", "-", "-f", "csv")
    assert parse(Format.csv, r.stdout)[0]["msisdn"] == NUMBERS[0]
    assert list(isolated.iterdir()) == []


# Every command, every format ------------------------------------------------------------------------------
NOT_FOUND = ["status", "-p", "affiliate", "--reference", "nosuchref"]  # the provider answers "not found": exit 1
COMMANDS = [
    ["lookup", "+491788735000", "+491788735006"],
    ["mnp", "+491788735011"],
    ["nt", "+4989702626", "+491788735000"],
    ["lookup", "-p", "smspartner", "+33612345678"],
    ["lookup", "-p", "affiliate", "+33612345678", "+33612345679"],
    NOT_FOUND,
    ["nt", "-p", "offline", *NUMBERS],
    ["validate", "-p", "offline", *NUMBERS],
    ["validate", "-p", "smspartner", "+33612345678", "0612345678"],
    ["balance"],
    ["balance", "-p", "smspartner"],
    ["routes"],
    ["routes", "+491788735000"],
    ["routes", "--map"],
    ["price", "+491788735000", "--type", "NT"],
    ["price"],
    ["price", "-p", "affiliate", "--tariff", "2"],
    ["coverage", "DE", "--sample-size", "SMALL"],
    ["coverage", "DE", "--type", "mnp"],
    ["coverage", "--mnp-countries"],
    ["networks", "NL"],
    ["rental-status", "-p", "smspartner", "tok-ready"],
    ["providers"],
    ["doctor", "-p", "smspartner"],
    ["config", "show"],
]
# Fields that differ from one call to the next (ids, clocks) or that carry a job name.
VOLATILE = {"id", "timestamp", "campaign_id", "storage"}


def comparable(fmt: Format, text: str) -> list[dict[str, str]]:
    rows = parse(fmt, text)
    return [{k: _as_cell(v, k, fmt) for k, v in row.items() if k not in VOLATILE} for row in rows]


def _as_cell(value: Any, key: str = "", fmt: Format = Format.json) -> str:
    if fmt is Format.csv and isinstance(value, str) and value[:2] in ("'+", "'-", "'=", "'@"):
        value = value[1:]  # a defused cell (CSV only): the same text in JSON
    if key in MONEY and value not in (None, ""):
        return repr(float(value))  # money is a number in JSON, the provider's text in CSV
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(_as_cell(v) for v in value)
    return str(value)


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a[:3]) for a in COMMANDS])
def test_every_command_in_every_format(cli, emu, isolated, args):
    cli.env(**emu.env())
    emu.affiliate_pending_polls = 0
    try:
        results = {fmt: cli(*args, "-f", fmt.value) for fmt in TEXT_FORMATS}
        target = isolated / "out.data"
        to_file = cli(*args, "-f", "json", "-o", str(target))
    finally:
        emu.affiliate_pending_polls = 1
    codes = {r.exit_code for r in results.values()} | {to_file.exit_code}
    assert codes == {1 if args is NOT_FOUND else 0}, {f: r.stderr for f, r in results.items()}
    assert to_file.stdout == ""
    as_json = comparable(Format.json, results[Format.json].stdout)
    assert as_json, results[Format.json].stderr
    assert comparable(Format.csv, results[Format.csv].stdout) == as_json
    assert comparable(Format.ndjson, results[Format.ndjson].stdout) == as_json
    assert comparable(Format.json, target.read_text()) == as_json
    first = next(v for v in as_json[0].values() if v)
    assert first[:8] in results[Format.table].stdout
    for result in results.values():
        assert "Traceback" not in result.stderr
