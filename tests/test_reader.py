"""The batch input reader on its own: shapes, encodings, and the full check before anything is paid."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hlrcli.batch.reader import open_input, sweep_spools
from hlrcli.errors import InputError

N1, N2, N3 = "+491788735000", "+491788735001", "+491788735002"


def _file(tmp_path: Path, text: str | bytes, name: str = "in.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


@pytest.mark.parametrize(("delimiter", "label"), [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_delimiter_is_sniffed_and_kept(tmp_path, delimiter, label):
    inp = open_input(_file(tmp_path, f"id{delimiter}phone\n1{delimiter}{N1}\n2{delimiter}{N2}\n"))
    assert (inp.delimiter, inp.number_column, inp.rows_total) == (delimiter, "phone", 2)
    assert label in inp.describe()
    assert list(inp.rows()) == [["1", N1], ["2", N2]]


def test_bom_plain_list_and_content_detection(tmp_path):
    inp = open_input(_file(tmp_path, f"\ufeffMobile,name\n{N1},a\n"))
    assert inp.columns == ["Mobile", "name"] and inp.number_index == 0
    plain = open_input(_file(tmp_path, f"{N1}\n{N2}\n", "plain.csv"))
    assert (plain.columns, plain.has_header, plain.rows_total) == (["input"], False, 2)
    assert "one number per line" in plain.describe()
    unnamed = open_input(_file(tmp_path, f"a,b\nx,{N1}\ny,{N2}\n", "unnamed.csv"))
    assert unnamed.number_column == "b"
    assert open_input(_file(tmp_path, f"a,b\nx,{N1}\n", "col.csv"), column="2").number_index == 1


def test_a_missing_column_lists_the_columns(tmp_path):
    with pytest.raises(InputError, match="columns: id, phone"):
        open_input(_file(tmp_path, f"id,phone\n1,{N1}\n"), column="msisdn")
    with pytest.raises(InputError, match="no column of phone numbers"):
        open_input(_file(tmp_path, "a,b\nx,y\n", "none.csv"))


def test_carriage_return_line_endings(tmp_path):
    inp = open_input(_file(tmp_path, f"phone\r{N1}\r{N2}\r"))
    assert list(inp.rows()) == [[N1], [N2]]


def test_a_file_in_another_encoding_is_detected(tmp_path):
    inp = open_input(_file(tmp_path, f"nom;phone\nRen\xe9;{N1}\nJos\xe9;{N2}\n".encode("cp1252")))
    assert inp.encoding == "cp1252" and "decoded as cp1252" in inp.describe()
    assert [r[0] for r in inp.rows()] == ["René", "José"]
    named = open_input(_file(tmp_path, f"nom;phone\nRen\xe9;{N1}\n".encode("latin-1"), "l1.csv"), encoding="latin-1")
    assert next(named.rows())[0] == "René"
    with pytest.raises(InputError, match="unknown encoding"):
        open_input(_file(tmp_path, f"phone\n{N1}\n", "x.csv"), encoding="klingon")


def test_a_bad_byte_near_the_end_fails_before_anything_and_names_its_line(tmp_path):
    good = "".join(f"{i},{N1}\n" for i in range(3000))
    path = _file(tmp_path, f"id,phone\n{good}".encode() + b"x,\xff\n")
    with pytest.raises(InputError, match=r"at line 3002, byte 3"):
        open_input(path, encoding="utf-8")


def test_an_unclosed_quote_that_swallows_rows_is_refused(tmp_path):
    with pytest.raises(InputError, match="quote opened on line 2 is not closed before line 4"):
        open_input(_file(tmp_path, f'id,phone\n1,"{N1}\n2,{N2}\n3,{N3}\n'))
    # A quoted field with a line break that is not a row (an address) is fine.
    inp = open_input(_file(tmp_path, f'id,addr,phone\n1,"Main st\nFloor 2",{N1}\n', "addr.csv"))
    assert next(inp.rows())[1] == "Main st\nFloor 2"


def test_empty_missing_and_directory_inputs(tmp_path):
    with pytest.raises(InputError, match="is empty"):
        open_input(_file(tmp_path, "\n\n"))
    with pytest.raises(InputError, match="no such file"):
        open_input(str(tmp_path / "missing.csv"))
    with pytest.raises(InputError, match="is a directory"):
        open_input(str(tmp_path))


def test_spools_of_dead_processes_are_swept(tmp_path):
    dead = tmp_path / "stdin-999999999-abc.csv"
    alive = tmp_path / f"stdin-{os.getpid()}-abc.csv"
    dead.write_text("x")
    alive.write_text("x")
    sweep_spools(tmp_path)
    assert not dead.exists() and alive.exists()
