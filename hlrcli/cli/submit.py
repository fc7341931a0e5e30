"""Asynchronous HLR from the `lookup` command (smspartner, affiliate): receipts now, results later.

The submission goes through the same journal as a batch (a small job named `lookup-…`), so a webhook or a
poll can attach the results to it and `hlrcli jobs results` can export them.
"""

from __future__ import annotations

import time
from typing import Any

from hlrcli.batch.engine import Runner, ingest
from hlrcli.cli.common import Ctx, finish
from hlrcli.errors import ExitCode, InputError
from hlrcli.models import Receipt, Submission
from hlrcli.numbers import Number, distinct
from hlrcli.store import Job, Store


def submit_now(ctx: Ctx, provider: Any, numbers: list[Number], reference: str | None = None, **opts: Any) -> None:
    todo = distinct(numbers)
    if not todo:
        raise InputError("no valid number to submit")
    options: dict[str, Any] = {
        "type": "hlr",
        "mode": "async",
        **{k: v for k, v in opts.items() if v is not None},
    }
    if provider.name == "affiliate":
        from hlrcli.providers.affiliate import today_scope

        # Same number, same day → same reference: repeating the command is answered "already submitted", free.
        options["scope"] = today_scope()
        if reference:
            options["reference_map"] = (
                {todo[0].e164: reference} if len(todo) == 1 else {n.e164: f"{reference}-{n.e164[1:]}" for n in todo}
            )
    name = f"lookup-{provider.name}-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 100000:05d}"
    store = Store.open(ctx.settings.home())
    try:
        job = Job(
            name=name,
            provider=provider.name,
            kind="hlr",
            mode="async",
            options=options,
            input="command line",
            columns=["input"],
            number_column="input",
            state="running",
        )
        store.create_job(job)
        job.rows = ingest(store, job, iter([[n.e164 or ""] for n in todo]), 0, None)
        store.update_job(name, rows=job.rows)
        lookup_opts = {k: v for k, v in options.items() if k not in ("type", "mode", "scope")}
        runner = Runner(
            store,
            job,
            provider,
            concurrency=1,
            max_cost=None,
            unit_price=None,
            resend=(),
            progress=lambda n, c: None,
            lookup_opts=lookup_opts,
        )
        runner.run_async()
        rows = store.numbers_in(name, ("submitted", "rejected", "uncertain", "failed"), limit=len(todo) + 1)
        store.update_job(name, state="done")
    finally:
        store.close()
    refused = [r for r in rows if r["state"] != "submitted"]
    for r in refused:
        ctx.warn(f"{r['number']}: not submitted: {r['error'] or r['state']}")
    accepted = len(refused) < len(rows)
    if provider.name == "smspartner":
        records: list[Any] = _receipts(rows, opts.get("notify_url") or ctx.settings.get("SMSPARTNER_NOTIFY_URL"))
        where = records[0].notify_url if records else None
        if accepted:
            ctx.notice(
                f"accepted: SMS Partner will POST each result to {where} (job {name})"
                if where
                else f"accepted (job {name}): no notifyUrl set, so results only appear in your SMS Partner "
                "account (set SMSPARTNER_NOTIFY_URL or --notify-url; see `hlrcli webhook url`)"
            )
    else:
        records = [
            Submission(
                msisdn=r["number"],
                state=r["receipt"] or r["state"].upper(),
                id=r["sub_id"],
                reference=r["reference"],
                cost=r["cost"],
                provider=provider.name,
                error=r["error"],
            )
            for r in rows
        ]
        if accepted:
            ctx.notice(
                f"accepted (job {name}): results arrive at the callback URL, or fetch them with "
                f"`hlrcli status ID… -p affiliate` or `hlrcli jobs results {name} --wait`"
            )
    ctx.emit(records)
    finish(ExitCode.USAGE if any(not n.ok for n in numbers) else ExitCode.FAILURE if refused else ExitCode.OK)


def _receipts(rows: list[Any], notify_url: str | None) -> list[Receipt]:
    """One receipt per SMS Partner campaign (one campaign per request of up to 500 numbers)."""
    campaigns: dict[str | None, list[Any]] = {}
    for r in rows:
        campaigns.setdefault(r["sub_id"], []).append(r)
    receipts = []
    for campaign, items in campaigns.items():
        cost = sum(float(i["cost"] or 0) for i in items)
        errors = {i["error"] for i in items if i["error"]}
        receipts.append(
            Receipt(
                campaign_id=campaign,
                numbers=tuple(i["number"] for i in items),
                count=len(items),
                cost=round(cost, 4) if campaign else None,
                currency="EUR" if campaign else None,
                notify_url=notify_url,
                provider="smspartner",
                error="; ".join(sorted(errors)) or None,
            )
        )
    return receipts
