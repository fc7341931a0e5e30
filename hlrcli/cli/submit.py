"""Asynchronous HLR submission from the `lookup` command (smspartner, affiliate): receipts now, results later."""

from __future__ import annotations

from typing import Any

from hlrcli.cli.common import Ctx, finish
from hlrcli.errors import ExitCode, InputError
from hlrcli.numbers import Number


def _chunks(items: list[Number], size: int) -> list[list[Number]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def submit_now(ctx: Ctx, provider: Any, numbers: list[Number], reference: str | None = None, **opts: Any) -> None:
    todo = list({n.e164: n for n in numbers if n.ok}.values())
    if not todo:
        raise InputError("no valid number to submit")
    if provider.name == "smspartner":
        rows = [provider.notify(chunk, opts.get("notify_url"), opts.get("tag")) for chunk in _chunks(todo, 500)]
        where = rows[0].notify_url
        ctx.notice(
            f"accepted: SMS Partner will POST each result to {where}"
            if where
            else "accepted: no notifyUrl set, so results only appear in your SMS Partner account "
            "(set SMSPARTNER_NOTIFY_URL or --notify-url; see `hlrcli webhook url`)"
        )
    else:
        refs = None
        if reference:
            refs = [reference] if len(todo) == 1 else [f"{reference}-{n.e164.lstrip('+')}" for n in todo]
        rows = []
        for start in range(0, len(todo), provider.chunk_size):
            chunk = todo[start : start + provider.chunk_size]
            rows += provider.submit(
                "hlr",
                chunk,
                references=refs[start : start + provider.chunk_size] if refs else None,
                tariff=opts.get("tariff"),
                callback_url=opts.get("callback_url"),
            )
        ctx.notice(
            "accepted: results arrive at the callback URL, or poll them with `hlrcli status ID… -p affiliate`"
        )
    ctx.emit(rows)
    failed = any(getattr(r, "state", "") == "REJECTED" for r in rows)
    finish(ExitCode.USAGE if any(not n.ok for n in numbers) else ExitCode.FAILURE if failed else ExitCode.OK)
