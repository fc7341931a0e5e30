"""`hlrcli webhook`: receive asynchronous results (placeholder until the receiver lands)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Receive asynchronous results from the providers (webhook receiver).")
