"""Settings: precedence (flag > environment > .env > config file > default), `config show/set/unset/path`."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest
import tomllib

from hlrcli.config import SPECS
from tests.conftest import assert_no_secrets

FR = "+33612345678"


def show(cli, *args: str) -> dict[str, dict[str, str]]:
    r = cli("config", "show", "-f", "json", *args)
    assert r.exit_code == 0, r.stderr
    return {row["name"]: row for row in json.loads(r.stdout)}


def config_file() -> Path:
    return Path(os.environ["HLRCLI_CONFIG"])


def masked(value: str) -> str:
    return f"…{value[-4:]}"  # at most the last 4 characters


def test_show_lists_every_setting_with_its_source(cli, isolated):
    config_file().write_text('AFFILIATE_SMS_CALLBACK_URL = "https://file.example/cb"\nHLRCLI_TIMEOUT = "12"\n')
    (isolated / ".env").write_text("SMSPARTNER_NOTIFY_URL=https://dotenv.example/n\nHLRCLI_TIMEOUT=11\n")
    cli.env(SMSPARTNER_BASE_URL="https://env.example/v1")
    rows = show(cli, "-p", "smspartner")
    assert list(rows) == [s.name for s in SPECS]
    assert (rows["HLRCLI_PROVIDER"]["value"], rows["HLRCLI_PROVIDER"]["source"]) == ("smspartner", "flag")
    assert (rows["SMSPARTNER_BASE_URL"]["value"], rows["SMSPARTNER_BASE_URL"]["source"]) == (
        "https://env.example/v1",
        "environment",
    )
    assert rows["SMSPARTNER_NOTIFY_URL"]["source"] == ".env"
    assert rows["SMSPARTNER_NOTIFY_URL"]["value"] == "https://dotenv.example/n"
    assert rows["AFFILIATE_SMS_CALLBACK_URL"]["source"] == "config file"
    assert (rows["HLRCLI_TIMEOUT"]["value"], rows["HLRCLI_TIMEOUT"]["source"]) == ("11", ".env")
    assert (rows["HLR_LOOKUPS_AUTH"]["value"], rows["HLR_LOOKUPS_AUTH"]["source"]) == ("digest", "default")
    assert rows["HLR_LOOKUPS_API_KEY"]["source"] == "unset"
    assert all(row["meaning"] for row in rows.values())


def test_precedence_layer_by_layer(cli, isolated):
    name = "HLR_LOOKUPS_BASE_URL"
    config_file().write_text(f'{name} = "https://file.example"\n')
    (isolated / ".env").write_text(f"{name}=https://dotenv.example\n")
    cli.env(**{name: "https://env.example"})
    assert show(cli)[name]["value"] == "https://env.example"
    cli.monkeypatch.delenv(name)
    assert show(cli)[name]["value"] == "https://dotenv.example"
    (isolated / ".env").unlink()
    assert (show(cli)[name]["value"], show(cli)[name]["source"]) == ("https://file.example", "config file")
    config_file().unlink()
    assert show(cli)[name]["source"] == "default"


def test_an_empty_value_does_not_hide_a_lower_layer(cli, isolated):
    (isolated / ".env").write_text("SMSPARTNER_NOTIFY_URL=https://dotenv.example/n\n")
    cli.env(SMSPARTNER_NOTIFY_URL="")
    assert show(cli)["SMSPARTNER_NOTIFY_URL"]["source"] == ".env"


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson", "table"])
def test_secrets_are_masked_in_every_format(cli, emu, fmt):
    cli.env(**emu.env())
    cli.env(HLRCLI_WEBHOOK_TOKEN="webhook-token-abcdefgh")
    r = cli("config", "show", "-f", fmt)
    assert r.exit_code == 0, r.stderr
    assert_no_secrets(r.all)
    assert "webhook-token-abcdefgh" not in r.all
    if fmt == "csv":
        rows = {row["name"]: row["value"] for row in csv.DictReader(io.StringIO(r.stdout))}
        env = emu.env()
        for name in ("HLR_LOOKUPS_API_SECRET", "SMSPARTNER_API_KEY", "AFFILIATE_SMS_API_KEY"):
            assert rows[name] == masked(env[name])
        assert rows["HLRCLI_WEBHOOK_TOKEN"] == masked("webhook-token-abcdefgh")
        # Too short to show any of it.
        assert rows["HLR_LOOKUPS_API_KEY"] == "****"
        assert rows["HLR_LOOKUPS_BASE_URL"] == env["HLR_LOOKUPS_BASE_URL"]


def test_settings_from_dotenv_and_config_file_are_used(cli, emu, isolated):
    env = emu.env("smspartner")
    (isolated / ".env").write_text(f"SMSPARTNER_API_KEY={env['SMSPARTNER_API_KEY']}\n")
    config_file().write_text(f'SMSPARTNER_BASE_URL = "{env["SMSPARTNER_BASE_URL"]}"\n')
    r = cli("balance", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert "smspartner" in r.stdout
    assert len(emu.requests_to("/me", "smspartner")) == 1


def test_config_set_writes_a_private_file(cli):
    path = config_file()
    r = cli("config", "set", "hlr_lookups_api_secret", "a-very-secret-value-123")
    assert r.exit_code == 0, r.stderr
    assert "a-very-secret-value-123" not in r.all
    assert str(path) in r.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = show(cli)
    assert rows["HLR_LOOKUPS_API_SECRET"]["source"] == "config file"
    assert rows["HLR_LOOKUPS_API_SECRET"]["value"] == masked("a-very-secret-value-123")


def test_config_set_keeps_other_keys_and_tightens_an_open_file(cli):
    path = config_file()
    path.write_text('HLRCLI_TIMEOUT = "9"\n')
    path.chmod(0o644)
    assert cli("config", "set", "HLRCLI_RETRIES", "3").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = show(cli)
    assert (rows["HLRCLI_TIMEOUT"]["value"], rows["HLRCLI_RETRIES"]["value"]) == ("9", "3")
    tricky = 'quote " backslash \\ end'
    assert cli("config", "set", "HLR_LOOKUPS_API_SECRET", tricky).exit_code == 0
    assert tomllib.loads(path.read_text())["HLR_LOOKUPS_API_SECRET"] == tricky


def test_config_unset(cli):
    cli("config", "set", "HLRCLI_TIMEOUT", "9")
    r = cli("config", "unset", "HLRCLI_TIMEOUT")
    assert r.exit_code == 0, r.stderr
    assert show(cli)["HLRCLI_TIMEOUT"]["source"] == "default"


def test_config_set_unknown_name_is_a_usage_error(cli):
    r = cli("config", "set", "NO_SUCH_SETTING", "x")
    assert r.exit_code == 2
    assert "NO_SUCH_SETTING" in r.stderr
    assert not config_file().exists()


def test_config_path(cli):
    r = cli("config", "path")
    assert r.exit_code == 0
    assert r.stdout.strip() == str(config_file())


def test_unreadable_config_file_is_exit_3(cli):
    config_file().write_text("this is = = not toml\n")
    r = cli("config", "show")
    assert r.exit_code == 3
    assert str(config_file()) in r.stderr
    assert len(r.stderr.splitlines()) == 1


def test_bad_numeric_setting_is_exit_3(cli, emu):
    cli.env(**emu.env("hlrlookups"), HLRCLI_TIMEOUT="soon")
    r = cli("balance")
    assert r.exit_code == 3
    assert "HLRCLI_TIMEOUT" in r.stderr


def test_timeout_setting_is_used(cli, emu):
    cli.env(**emu.env("hlrlookups"), HLRCLI_TIMEOUT="0.3", HLRCLI_RETRIES="2")
    emu.inject_delay(1.0, path="/balance", times=5)
    r = cli("balance")
    assert r.exit_code == 1
    assert "0.3 s" in r.stderr
    assert len(emu.requests_to("/balance")) == 2


def test_home_defaults_to_the_platform_data_dir(cli):
    cli.monkeypatch.delenv("HLRCLI_HOME")
    rows = show(cli)
    assert rows["HLRCLI_HOME"]["source"] == "default"
    assert rows["HLRCLI_HOME"]["value"].endswith("hlrcli")
