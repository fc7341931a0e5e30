"""Exit codes and the exceptions that map onto them: the one place where a failure becomes a number."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # provider or network failure, or some rows failed (or are still pending)
    USAGE = 2  # usage or input error
    CONFIG = 3  # authentication or configuration error
    INTERRUPTED = 130  # Ctrl-C / SIGTERM: the journal is consistent


class HlrcliError(Exception):
    """An expected failure: printed as one line on stderr, mapped to an exit code."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(HlrcliError):
    exit_code = ExitCode.USAGE


class InputError(UsageError):
    """Bad numbers, unreadable CSV, a missing column."""


class UnsupportedError(UsageError):
    """The chosen provider cannot do what was asked."""


class ConfigError(HlrcliError):
    exit_code = ExitCode.CONFIG


class AuthError(ConfigError):
    """The provider refused our credentials."""


class ProviderError(HlrcliError):
    """The provider refused the request in its own words: nothing was processed or billed."""

    def __init__(self, message: str, *, code: str | int | None = None, status: int | None = None, **kw: str) -> None:
        super().__init__(message, **kw)
        self.code = code
        self.status = status


class NetworkError(HlrcliError):
    """No usable answer to a request that was not billed: connection refused, a free GET's garbage body."""


class Cancelled(NetworkError):
    """A request not sent because the run is stopping (Ctrl-C, SIGTERM, --max-cost)."""


class UncertainError(NetworkError):
    """A billed request left, but no usable answer came back: the provider may have processed and billed it.

    Never resent blindly: the batch journals it as uncertain; a late result (webhook, poll) may still resolve it.
    """


class RowsFailed(HlrcliError):
    """A batch or multi-number command finished, but some rows failed at the provider."""


class DiskFull(HlrcliError):
    """No space left for the journal or the output."""
