"""Exit codes and the exceptions that map onto them: the one place where a failure becomes a number."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # provider or network failure, or some rows failed
    USAGE = 2  # usage or input error
    CONFIG = 3  # authentication or configuration error


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
    """The provider answered with an error (its own text is in the message)."""

    def __init__(self, message: str, *, code: str | int | None = None, status: int | None = None, **kw: str) -> None:
        super().__init__(message, **kw)
        self.code = code
        self.status = status


class NetworkError(HlrcliError):
    """No usable answer: connection refused, timeout, garbage body."""


class UncertainError(NetworkError):
    """The request may have reached the provider (and been charged) but no answer came back.

    Never retried blindly: the batch engine records the chunk as uncertain instead.
    """


class RowsFailed(HlrcliError):
    """A batch or multi-number command finished, but some rows failed at the provider."""
