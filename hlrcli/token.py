"""The webhook token: the secret in the smspartner/affiliate callback URLs (those providers do not sign).

HLRCLI_WEBHOOK_TOKEN, else one generated once and kept in HLRCLI_HOME/webhook-token (mode 600). Registered for
redaction wherever it is read, so it never reaches a log, an error or an output line.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from hlrcli.config import Settings, private_dir
from hlrcli.errors import ConfigError
from hlrcli.redact import register

TOKEN_FILE = "webhook-token"
# A guessable token would make the unsigned endpoints writable by anyone who can reach them.
MIN_TOKEN_LENGTH = 16


def webhook_token(settings: Settings) -> str:
    """The token the unsigned endpoints require, registered for redaction so it never reaches a log."""
    configured = settings.get("HLRCLI_WEBHOOK_TOKEN")
    if configured:
        token = configured.strip()
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigError(
                f"HLRCLI_WEBHOOK_TOKEN is too short ({len(token)} characters, at least {MIN_TOKEN_LENGTH})",
                hint="unset it to have one generated, or use python -c 'import secrets; "
                "print(secrets.token_urlsafe(24))'",
            )
    else:
        token = _stored_token(settings.home() / TOKEN_FILE)
    register([token])
    return token


def _stored_token(path: Path) -> str:
    existing = _read_token(path)
    if existing is not None:
        return existing
    private_dir(path.parent)
    token = secrets.token_urlsafe(24)
    # Written to a private temporary file, then hard-linked into place: the link fails if another process
    # (a second `serve`, a concurrent `webhook url`) won the race, and then everyone uses the winner's token.
    # No process can ever read a half-written file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(token + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            winner = _read_token(path)
            if winner is None:
                raise
            return winner
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return token


def _read_token(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the webhook token {path}: {exc}") from None
    if len(text) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"the webhook token file {path} is empty or too short",
            hint="delete it to have a new token generated (then update the URLs configured at the providers)",
        )
    # Our file, holding a secret: keep it private even if something widened its mode.
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    return text
