import csv
import io

from tests.conftest import assert_no_secrets


def test_lookup_against_emulator(live, emu):
    r = live("lookup", "+491788735000", "+491788735006", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["connectivity_status"] for row in rows] == [
        emu.expected_status("+491788735000"),
        emu.expected_status("+491788735006"),
    ]
    assert emu.charge_count() == 2
    assert_no_secrets(r.all)
