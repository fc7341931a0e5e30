"""Settings: flag > environment > .env in the working directory > config file > default.

Every setting is named by its environment variable; the config file (TOML) uses the same names as flat keys.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hlrcli.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Spec:
    name: str
    default: str | None
    help: str
    secret: bool = False


SPECS: tuple[Spec, ...] = (
    Spec("HLRCLI_PROVIDER", None, "default provider (else the first configured one, else offline)"),
    Spec("HLRCLI_HOME", None, "state directory: job store, webhook token"),
    Spec("HLRCLI_FORMAT", None, "default output format (table on a terminal, csv otherwise)"),
    Spec("HLRCLI_TIMEOUT", "30", "connect and read timeout in seconds"),
    Spec("HLRCLI_RETRIES", "5", "attempts for retryable failures (429, 502-504, refused connections)"),
    Spec("HLRCLI_WEBHOOK_TOKEN", None, "token required in smspartner/affiliate callback URLs", secret=True),
    Spec("HLR_LOOKUPS_API_KEY", None, "hlr-lookups.com API key", secret=True),
    Spec("HLR_LOOKUPS_API_SECRET", None, "hlr-lookups.com API secret", secret=True),
    Spec("HLR_LOOKUPS_AUTH", "digest", "digest or basic"),
    Spec("HLR_LOOKUPS_BASE_URL", "https://www.hlr-lookups.com/api/v2", "hlr-lookups.com API root"),
    Spec("SMSPARTNER_API_KEY", None, "SMS Partner API key", secret=True),
    Spec("SMSPARTNER_BASE_URL", "https://api.smspartner.fr/v1", "SMS Partner API root"),
    Spec("SMSPARTNER_NOTIFY_URL", None, "notifyUrl sent with SMS Partner HLR requests"),
    Spec("SMSPARTNER_MAX_RPM", "350", "requests per minute the client allows itself (provider limit: 360)"),
    Spec("AFFILIATE_SMS_API_KEY", None, "affiliate-sms.com API key", secret=True),
    Spec("AFFILIATE_SMS_BASE_URL", "https://api.affiliate-sms.com", "affiliate-sms.com API root"),
    Spec("AFFILIATE_SMS_CALLBACK_URL", None, "callback_url sent with affiliate HLR requests"),
    Spec("AFFILIATE_SMS_BATCH_SIZE", "500", "numbers per affiliate /hlr/create request"),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}


def mask(value: str) -> str:
    if len(value) <= 12:
        return "****"
    return f"{value[:4]}…{value[-4:]}"


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("HLRCLI_CONFIG"):
        return Path(env["HLRCLI_CONFIG"])
    from platformdirs import user_config_path

    return user_config_path("hlrcli") / "config.toml"


def _read_config_file(path: Path) -> dict[str, str]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    return {str(k).upper(): str(v) for k, v in data.items() if not isinstance(v, dict | list)}


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


class Settings:
    """The effective configuration, remembering where each value came from."""

    def __init__(self, values: dict[str, tuple[str, str]]) -> None:
        self._values = values  # name -> (value, source)

    @classmethod
    def load(
        cls,
        flags: Mapping[str, str | None] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Settings:
        env = os.environ if env is None else env
        layers: list[tuple[str, Mapping[str, str]]] = [
            ("flag", {k: v for k, v in (flags or {}).items() if v is not None}),
            ("environment", env),
            (".env", _read_dotenv((cwd or Path.cwd()) / ".env")),
            ("config file", _read_config_file(config_path(env))),
        ]
        values: dict[str, tuple[str, str]] = {}
        for spec in SPECS:
            for source, layer in layers:
                value = layer.get(spec.name)
                if value not in (None, ""):
                    values[spec.name] = (str(value), source)
                    break
            else:
                if spec.default is not None:
                    values[spec.name] = (spec.default, "default")
        return cls(values)

    def get(self, name: str) -> str | None:
        item = self._values.get(name)
        return item[0] if item else None

    def require(self, name: str, provider: str) -> str:
        value = self.get(name)
        if not value:
            raise ConfigError(
                f"{provider} is not configured: set {name}",
                hint="environment, .env or `hlrcli config set`; see `hlrcli config show`",
            )
        return value

    def get_float(self, name: str) -> float:
        raw = self.get(name) or SPEC_BY_NAME[name].default or "0"
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None

    def source(self, name: str) -> str:
        item = self._values.get(name)
        return item[1] if item else "unset"

    def secrets(self) -> list[str]:
        return [self._values[s.name][0] for s in SPECS if s.secret and s.name in self._values]

    def home(self) -> Path:
        explicit = self.get("HLRCLI_HOME")
        if explicit:
            return Path(explicit).expanduser()
        from platformdirs import user_data_path

        return user_data_path("hlrcli")

    def rows(self) -> list[dict[str, str]]:
        """What `config show` prints: every setting, secrets masked."""
        out = []
        for spec in SPECS:
            value, source = self._values.get(spec.name, ("", "unset"))
            if spec.name == "HLRCLI_HOME" and not value:
                value, source = str(self.home()), "default"
            shown = mask(value) if spec.secret and value else value
            out.append({"name": spec.name, "value": shown, "source": source, "meaning": spec.help})
        return out


def write_setting(name: str, value: str | None, env: Mapping[str, str] | None = None) -> Path:
    """Set (or with value None, remove) one key in the config file, kept private since it may hold secrets."""
    name = name.upper()
    if name not in SPEC_BY_NAME:
        from hlrcli.errors import UsageError

        raise UsageError(f"unknown setting {name}; known: {', '.join(SPEC_BY_NAME)}")
    path = config_path(env)
    current = _read_config_file(path)
    if value is None:
        current.pop(name, None)
    else:
        current[name] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# written by `hlrcli config set`\n")
        for key in sorted(current):
            # JSON string escapes are valid TOML basic-string escapes.
            fh.write(f"{key} = {json.dumps(current[key])}\n")
    os.replace(tmp, path)
    os.chmod(path, 0o600)
    return path
