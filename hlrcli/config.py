"""Settings: flag > environment > .env in the working directory > config file > default.

Every setting is named by its environment variable; the config file (TOML) uses the same names as flat keys.
Each setting knows what a valid value looks like: `config set` refuses a bad one, and a bad one already in a
file or the environment is named with its source (never echoed: a secret pasted into the wrong variable must not
end up on a terminal or in a log).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from hlrcli.errors import ConfigError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROVIDER_NAMES = ("hlrlookups", "smspartner", "affiliate", "offline")
FORMATS = ("table", "csv", "json", "ndjson", "xlsx")
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str, *, what: str = "a duration") -> float:
    """`30d`, `12h`, `90m`, `2w`, `45s` → seconds; a unit is required (is `30` seconds or days?)."""
    m = _DURATION.fullmatch(text)
    if not m:
        raise UsageError(f"{what} looks like 30d, 12h, 90m, 2w or 45s (a number and a unit)")
    return float(m.group(1)) * _UNITS[m.group(2)]


def _choice(*allowed: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value.strip().lower() not in allowed:
            raise ValueError(f"must be {', '.join(allowed[:-1])} or {allowed[-1]}")
        return value.strip().lower()

    return check


def _number(low: float, high: float, *, integer: bool = False) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            number = int(value) if integer else float(value)
        except ValueError:
            raise ValueError(f"must be {'a whole number' if integer else 'a number'}") from None
        if not math.isfinite(number) or not low <= number <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return value.strip()

    return check


def _url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s):// URL")
    return value.strip()


def _duration(value: str) -> str:
    try:
        parse_duration(value)
    except UsageError:
        raise ValueError("must be a duration such as 30d, 12h or 90m") from None
    return value.strip()


def _text(value: str) -> str:
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError("must be one line of text")
    return value


@dataclass(frozen=True)
class Spec:
    name: str
    default: str | None
    help: str
    secret: bool = False
    check: Callable[[str], str] = _text


SPECS: tuple[Spec, ...] = (
    Spec("HLRCLI_PROVIDER", None, "default provider (else the first configured one, else offline)",
         check=_choice(*PROVIDER_NAMES)),
    Spec("HLRCLI_HOME", None, "state directory: job store, webhook token"),
    Spec("HLRCLI_FORMAT", None, "default output format (table on a terminal, csv otherwise)", check=_choice(*FORMATS)),
    Spec("HLRCLI_TIMEOUT", "30", "connect and read timeout in seconds", check=_number(0.1, 3600)),
    Spec("HLRCLI_RETRIES", "5", "attempts for retryable failures (502-504, refused connections)",
         check=_number(1, 20, integer=True)),
    Spec("HLRCLI_GIVE_UP_AFTER", "15m", "how long rate limiting (HTTP 429) is waited out", check=_duration),
    Spec("HLRCLI_MAX_AGE", None, "reuse a stored result younger than this instead of paying (e.g. 30d)",
         check=_duration),
    Spec("HLRCLI_WEBHOOK_TOKEN", None, "token required in smspartner/affiliate callback URLs", secret=True),
    Spec("HLR_LOOKUPS_API_KEY", None, "hlr-lookups.com API key", secret=True),
    Spec("HLR_LOOKUPS_API_SECRET", None, "hlr-lookups.com API secret", secret=True),
    Spec("HLR_LOOKUPS_AUTH", "digest", "digest or basic", check=_choice("digest", "basic")),
    Spec("HLR_LOOKUPS_BASE_URL", "https://www.hlr-lookups.com/api/v2", "hlr-lookups.com API root", check=_url),
    Spec("SMSPARTNER_API_KEY", None, "SMS Partner API key", secret=True),
    Spec("SMSPARTNER_BASE_URL", "https://api.smspartner.fr/v1", "SMS Partner API root", check=_url),
    Spec("SMSPARTNER_NOTIFY_URL", None, "notifyUrl sent with SMS Partner HLR requests", check=_url),
    Spec("SMSPARTNER_MAX_RPM", "350", "requests per minute the client allows itself (provider limit: 360)",
         check=_number(1, 360)),
    Spec("AFFILIATE_SMS_API_KEY", None, "affiliate-sms.com API key", secret=True),
    Spec("AFFILIATE_SMS_BASE_URL", "https://api.affiliate-sms.com", "affiliate-sms.com API root", check=_url),
    Spec("AFFILIATE_SMS_CALLBACK_URL", None, "callback_url sent with affiliate HLR requests", check=_url),
    Spec("AFFILIATE_SMS_BATCH_SIZE", "500", "numbers per affiliate /hlr/create request",
         check=_number(1, 1000, integer=True)),
)  # fmt: skip
SPEC_BY_NAME = {s.name: s for s in SPECS}


def private_dir(path: Path) -> Path:
    """`path` as a directory, every component we create 0700 (HLRCLI_HOME holds the job store and the webhook
    token: whichever command runs first, the directory is ours alone)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
        directory.chmod(0o700)  # mkdir's mode is filtered by the umask
    return path


def mask(value: str) -> str:
    """A secret as `config show` prints it: at most its last 4 characters."""
    if len(value) <= 12:
        return "****"
    return f"…{value[-4:]}"


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


def check_value(name: str, value: str) -> str:
    """The value, normalised, or ValueError saying what a valid one looks like."""
    return SPEC_BY_NAME[name].check(value)


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

    def raw(self, name: str) -> str | None:
        item = self._values.get(name)
        return item[0] if item else None

    def get(self, name: str) -> str | None:
        """The value, checked: a bad one is a ConfigError naming the setting and where it came from."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            return check_value(name, value)
        except ValueError as exc:
            raise ConfigError(
                f"{name} (from {self.source(name)}) {exc}",
                hint="see `hlrcli config show`; `hlrcli config unset " + name + "` removes a file value",
            ) from None

    def problem(self, name: str) -> str | None:
        """What is wrong with the current value, or None."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            check_value(name, value)
        except ValueError as exc:
            return str(exc)
        return None

    def require(self, name: str, provider: str) -> str:
        value = self.get(name)
        if not value:
            raise ConfigError(
                f"{provider} is not configured: set {name}",
                hint="environment, .env or `hlrcli config set`; see `hlrcli config show`",
            )
        return value

    def get_float(self, name: str) -> float:
        return float(self.get(name) or SPEC_BY_NAME[name].default or "0")

    def get_duration(self, name: str) -> float | None:
        value = self.get(name)
        return parse_duration(value) if value else None

    def source(self, name: str) -> str:
        item = self._values.get(name)
        return item[1] if item else "unset"

    def secrets(self) -> list[str]:
        """Values to mask wherever they might appear: secret settings, and passwords inside URL settings."""
        out = [self._values[s.name][0] for s in SPECS if s.secret and s.name in self._values]
        for _name, (value, _) in self._values.items():
            if "://" in value and "@" in value:
                parts = urlsplit(value)
                out += [p for p in (parts.username, parts.password) if p]
        return out

    def home(self) -> Path:
        explicit = self.raw("HLRCLI_HOME")
        if explicit:
            return Path(explicit).expanduser()
        from platformdirs import user_data_path

        return user_data_path("hlrcli")

    def rows(self) -> list[dict[str, str]]:
        """What `config show` prints: every setting, secrets masked, bad values flagged (not shown)."""
        out = []
        for spec in SPECS:
            value, source = self._values.get(spec.name, ("", "unset"))
            if spec.name == "HLRCLI_HOME" and not value:
                value, source = str(self.home()), "default"
            problem = self.problem(spec.name) if value else None
            shown = mask(value) if spec.secret and value else value
            if problem:
                shown = f"(invalid: {problem})"
            elif value and "://" in value and "@" in value:
                shown = _hide_userinfo(value)
            out.append({"name": spec.name, "value": shown, "source": source, "meaning": spec.help})
        return out


def _hide_userinfo(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return parts._replace(netloc=f"***@{host}").geturl()


def write_setting(name: str, value: str | None, env: Mapping[str, str] | None = None) -> Path:
    """Set (or with value None, remove) one key in the config file, kept private since it may hold secrets."""
    name = name.upper()
    if name not in SPEC_BY_NAME:
        raise UsageError(f"unknown setting {name}; known: {', '.join(SPEC_BY_NAME)}")
    if value is not None:
        try:
            value = check_value(name, value)
        except ValueError as exc:
            raise UsageError(f"{name} {exc}; nothing written") from None
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
