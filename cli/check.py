"""`hotwire-assist check` and `hotwire-assist index`: the rules engine and the app index on the command line.

The JSON of `check --format json` is a stable list, one object per finding: file, line, column (1-based,
columns in characters), end_line, end_column, rule, dimension, severity, message, fix. Exit code 1
when any finding is an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hotwire_assist.core.rules import check_paths

_STYLE = {"error": "red", "warning": "yellow", "info": "blue"}


def check_command(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (a whole app) to check.")],
    format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    no_external: Annotated[
        bool, typer.Option("--no-external", help="tree-sitter only: skip Ruby and herb-lint (fast).")
    ] = False,
) -> None:
    """Check Rails Hotwire code: Turbo, Stimulus, UJS leftovers, security and accessibility.

    Example: hotwire-assist check app/views app/models --format json
    """
    if format not in ("text", "json"):
        raise typer.BadParameter("--format must be text or json")
    result = check_paths(list(paths), external=not no_external)
    if format == "json":
        typer.echo(json.dumps([f.to_json() for f in result.findings], indent=2, ensure_ascii=False))
    else:
        out = Console(highlight=False, soft_wrap=True)
        for f in result.findings:
            style = _STYLE[f.severity]
            fix = " [dim](fix available)[/dim]" if f.fix else ""
            where = f"{f.file}:{f.line}:{f.column}"
            out.print(f"{where}: [{style}]{f.severity}[/{style}] {f.message} [dim]\\[{f.rule}][/dim]{fix}")
        counts = {s: sum(1 for f in result.findings if f.severity == s) for s in ("error", "warning", "info")}
        ran = ", ".join(result.checkers.values())
        out.print(f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} info (checked with {ran})")
    if result.errors:
        raise typer.Exit(1)


def index_command(
    path: Annotated[Path, typer.Argument(help="The app's root folder.")],
    format: Annotated[str, typer.Option("--format", help="json (the only format)")] = "json",
) -> None:
    """Print what the rules engine knows about an app: Stimulus controllers, frames, stream targets, versions.

    Example: hotwire-assist index . --format json
    """
    from hotwire_assist.core.appindex import index_app

    if format != "json":
        raise typer.BadParameter("--format must be json")
    if not path.is_dir():
        raise typer.BadParameter(f"{path} is not a folder")
    typer.echo(index_app(path).dumps())
