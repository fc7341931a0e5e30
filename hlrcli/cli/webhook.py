"""`hlrcli webhook`: run the receiver for asynchronous results, and print the URLs to give the providers."""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import typer

from hlrcli.cli.common import Ctx, command
from hlrcli.errors import UsageError
from hlrcli.webhook import DEFAULT_PATH, PROVIDERS, normalise_path, token_providers, webhook_token

app = typer.Typer(help="Receive asynchronous results from the providers (webhook receiver).")

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8080
DEFAULT_MAX_BODY = 8 * 1024 * 1024  # hlrcli.webhook.server.DEFAULT_MAX_BODY, not imported: keeps --help fast
DEFAULT_MAX_CONNECTIONS = 16

HostOpt = Annotated[str, typer.Option("--host", help="address to listen on (keep it private: see the README)")]
PortOpt = Annotated[int, typer.Option("--port", help="TCP port (0: any free port)", min=0, max=65535)]
PathOpt = Annotated[str, typer.Option("--path", help="URL prefix of the endpoints")]


def _is_local(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


@command(app, "serve", uses=())
def serve(
    ctx: Ctx,
    host: HostOpt = DEFAULT_HOST,
    port: PortOpt = DEFAULT_PORT,
    path: PathOpt = DEFAULT_PATH,
    max_body: Annotated[
        int, typer.Option("--max-body", help="largest request body accepted, in bytes (413 above)", min=1)
    ] = DEFAULT_MAX_BODY,
    max_connections: Annotated[
        int, typer.Option("--max-connections", help="requests read at once (503 beyond, the sender retries)", min=1)
    ] = DEFAULT_MAX_CONNECTIONS,
) -> None:
    """Run the webhook receiver until Ctrl-C or SIGTERM: results are stored in the job store.

    Endpoints: POST PATH/hlrlookups (signed), PATH/smspartner?token=… and PATH/affiliate?token=…, and
    GET PATH/health. One line per request on stderr. Put it behind a TLS reverse proxy; `hlrcli webhook url`
    prints the URLs to configure at the providers.
    """
    from hlrcli.webhook.server import make_server

    write_lock = threading.Lock()

    def log(line: str) -> None:
        with write_lock:  # handler threads log concurrently: one whole line at a time
            ctx.notice(line)

    try:
        server = make_server(ctx.settings, None, host, port, path, max_body, log, max_connections)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    _announce(ctx, server)
    stop = threading.Event()
    previous = _on_signals(lambda *_: stop.set())
    try:
        thread = server.start()
        while not stop.wait(0.5):
            if not thread.is_alive():  # serve_forever itself failed: say so rather than hang
                raise RuntimeError("the webhook server stopped unexpectedly")
    finally:
        _restore(previous)
        ctx.notice("webhook receiver stopping")
        if not server.stop():  # closes the store it opened, after requests in flight committed
            ctx.warn("webhook: a request was still running at shutdown; its sender will retry")
    ctx.notice(f"webhook receiver stopped ({server.receiver.stored} result(s) stored)")


def _announce(ctx: Ctx, server: Any) -> None:
    base = server.base_url
    ctx.notice(f"webhook receiver listening on {base} (store: {ctx.settings.home() / 'jobs.sqlite3'})")
    for provider in PROVIDERS:
        ctx.notice(f"  POST {base}/{provider}" + ("?token=…" if provider in token_providers() else ""))
    ctx.notice(f"  GET  {base}/health")
    ctx.notice("`hlrcli webhook url --base https://your.host` prints the URLs to configure, token included")
    for provider in sorted(server.receiver.unverifiable):
        from hlrcli.providers import provider_class

        ctx.warn(
            f"webhook: {'/'.join(provider_class(provider).required)} not set: {provider} deliveries cannot "
            "be verified and are refused (401; the provider retries them for about a day)"
        )
    if not _is_local(server.host):
        ctx.warn(
            f"webhook: listening on {server.host} in plain HTTP; expose it only through a TLS reverse proxy "
            "(tokens travel in the URL)"
        )


def _on_signals(handler: Any) -> dict[int, Any]:
    """SIGINT and SIGTERM set the stop event; the main thread then shuts down in order (exit 0)."""
    previous: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        # ValueError outside the main thread (embedded use): Ctrl-C then still raises KeyboardInterrupt.
        with contextlib.suppress(ValueError):
            previous[sig] = signal.signal(sig, handler)
    return previous


def _restore(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


@command(app, "url", uses=("data",))
def url(
    ctx: Ctx,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="public origin of the receiver, e.g. https://hooks.example.com (the reverse proxy)",
            show_default=False,
        ),
    ] = None,
    path: PathOpt = DEFAULT_PATH,
    show_token: Annotated[
        bool, typer.Option("--show-token", help="print the token in the URLs (hidden by default: it is a secret)")
    ] = False,
) -> None:
    """The URL to configure at each provider; smspartner's and affiliate's carry the webhook token.

    The token is HLRCLI_WEBHOOK_TOKEN, else one generated once and kept in HLRCLI_HOME/webhook-token; it is
    shown as *** unless --show-token.
    """
    from hlrcli.providers import provider_class

    if base is None:
        origin = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
        ctx.notice(
            f"local URLs ({origin}): providers need a public HTTPS URL; run the receiver behind a TLS "
            "reverse proxy and pass --base https://your.host"
        )
    else:
        origin = _origin(ctx, base)
    prefix = origin + normalise_path(path)
    secret = webhook_token(ctx.settings)  # made (or checked) now either way
    token = quote(secret, safe="") if show_token else "***"
    rows = []
    for provider in PROVIDERS:
        address = f"{prefix}/{provider}"
        if provider in token_providers():
            address += f"?token={token}"
        rows.append({"provider": provider, "url": address, "configure": provider_class(provider).callback_setup})
    if show_token:
        ctx.notice("these URLs contain the webhook token: treat them as secrets")
    else:
        ctx.notice("token hidden; --show-token prints the URLs to paste into the settings")
    ctx.emit(rows)


def _origin(ctx: Ctx, base: str) -> str:
    parts = urlsplit(base.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise UsageError(f"--base must look like https://your.host[:port][/prefix], not {base!r}")
    if parts.scheme == "http" and not _is_local(parts.hostname or ""):
        ctx.warn("webhook: --base is plain http: the token would cross the internet in clear; use https")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
