"""`hlrcli jobs`: list, inspect, export and prune batch jobs (placeholder)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Batch jobs in the local store: list, show, results, poll, prune.")
