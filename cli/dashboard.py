"""`hotwire-assist dashboard`: blind A/B review of two evaluation runs and telemetry insights, on a local web page."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

out = Console(highlight=False)
err = Console(stderr=True, soft_wrap=True)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    """Bind (and listen) before serving so port 0 gets a free port whose URL can be printed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # connections made before uvicorn runs wait in the backlog instead of being refused
    except OSError as e:
        sock.close()
        err.print(f"[red]cannot listen on {host}:{port}: {e.strerror or e}[/red]")
        raise typer.Exit(2) from None
    return sock


def dashboard_command(
    runs: Annotated[
        tuple[Path, Path] | None,
        typer.Option(help="Two run folders: A (the current model) and B (the candidate), as in eval compare and gate."),
    ] = None,
    telemetry: Annotated[
        list[Path] | None,
        typer.Option(help="Telemetry store (SQLite) or exported bundle (JSONL); repeatable. Default: the local store."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback unless --allow-remote).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 0,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a non-loopback host; every request then needs a token.")
    ] = False,
    db: Annotated[
        Path | None, typer.Option(help="Votes database (default: reviews.sqlite3 in run A's folder).")
    ] = None,
) -> None:
    """Serve the dashboard: blind review of RUN_A vs RUN_B (model names hidden until the summary), the review
    summary with Wilson intervals and reviewer agreement, and telemetry insights. Everything stays local.

    Example: hotwire-assist dashboard --runs runs/current runs/candidate --telemetry ~/hotwire-events.jsonl
    """
    if not is_loopback(host) and not allow_remote:
        err.print(f"[red]{host} is not a loopback address; add --allow-remote to serve beyond this machine[/red]")
        raise typer.Exit(2)

    from hotwire_assist.core.telemetry import default_store_path
    from hotwire_assist.evaluation.dashboard.insights import load_telemetry
    from hotwire_assist.evaluation.dashboard.pairs import RunError, load_pairing
    from hotwire_assist.evaluation.dashboard.votes import DB_FILE, VoteStore

    pairing = votes = None
    if runs:
        try:
            pairing = load_pairing(*runs)
        except RunError as e:
            err.print(f"[red]{e}[/red]")
            raise typer.Exit(2) from None
        for problem in pairing.problems:
            err.print(f"[yellow]{problem}[/yellow]")
        db_path = db or runs[0] / DB_FILE
        try:
            votes = VoteStore(db_path)
        except (sqlite3.Error, OSError) as e:
            err.print(f"[red]cannot open the votes database {db_path}: {e}; choose another with --db[/red]")
            raise typer.Exit(2) from None
    sources = telemetry if telemetry else [p for p in [default_store_path()] if p.exists()]
    data = load_telemetry(sources)
    for line in data.problems + data.notes:
        err.print(f"[yellow]{escape(line)}[/yellow]")
    import uvicorn

    from hotwire_assist.evaluation.dashboard.app import DashboardState, create_app

    token = secrets.token_urlsafe(24) if allow_remote else None
    sock = _bind(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{sock.getsockname()[1]}/" + (f"?token={token}" if token else "")
    pairs = f"{len(pairing.pairs)} pairs to review" if pairing else "no runs"
    out.print(f"dashboard: {url}  ({pairs}, {len(data.events)} telemetry events; Ctrl+C stops)", soft_wrap=True)
    if token:
        out.print(f"token: {token}")
    app = create_app(DashboardState(pairing, votes, data, token))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    try:
        server.run(sockets=[sock])
    finally:
        if votes:
            votes.close()
