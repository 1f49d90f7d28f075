"""`hotwire-assist telemetry …`: consent, inspection, export and deletion of the local event store.

Nothing here sends anything anywhere; `export` writes a file the user names. Commands that only read
never create the store: with telemetry off there is no file, and `status`/`show` say so.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from hotwire_assist.core.config import ConfigError, load_config, user_config_path
from hotwire_assist.core.privacy import excluded_by, redact, repo_root
from hotwire_assist.core.telemetry import (
    TelemetryStore,
    TelemetryStoreError,
    default_store_path,
    write_bundle,
)

telemetry_app = typer.Typer(help="Opt-in, local-only suggestion telemetry.", no_args_is_help=True)
FormatOpt = Annotated[str, typer.Option("--format", help="text or json")]
_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*(#.*)?$")


def set_telemetry_key(text: str, key: str, value: str) -> str:
    """`[telemetry] key = value` (value a TOML literal) set in a TOML text, every other line (comments
    too) kept as it was."""
    assignment = f"{key} = {value}"
    is_key = re.compile(rf"^\s*{re.escape(key)}\s*=")
    lines = text.splitlines()
    section = None
    for i, line in enumerate(lines):
        if m := _SECTION.match(line):
            if section == "telemetry":  # the section ended without the key
                lines.insert(i, assignment)
                break
            section = m.group(1).strip()
            if section == "telemetry":
                header = i
        elif section == "telemetry" and is_key.match(line):
            lines[i] = assignment
            break
    else:
        if section == "telemetry":
            lines.insert(header + 1, assignment)
        else:
            lines += ["", "[telemetry]", assignment] if lines else ["[telemetry]", assignment]
    out = "\n".join(lines) + "\n"
    tomllib.loads(out)  # never leave a file the config loader would refuse
    return out


def set_enabled_in_toml(text: str, enabled: bool) -> str:
    """`[telemetry] enabled = …` set in a TOML text, every other line (comments too) kept as it was."""
    return set_telemetry_key(text, "enabled", "true" if enabled else "false")


def _set_enabled(enabled: bool, level: str | None = None) -> Path:
    path = user_config_path()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise typer.BadParameter(f"{path} is not valid TOML ({e}); fix it first") from None
    text = set_enabled_in_toml(text, enabled)
    if level is not None:
        text = set_telemetry_key(text, "level", json.dumps(level))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _open_existing() -> TelemetryStore | None:
    """The store, if there is one; a corrupt one is set aside (and said so), a newer one refused clearly."""
    path = default_store_path()
    if not path.exists():
        return None
    try:
        store = TelemetryStore(path)
    except (TelemetryStoreError, OSError) as e:
        Console(stderr=True).print(f"[red]cannot open the telemetry store {path}:[/red] {e}")
        raise typer.Exit(1) from None
    if store.quarantined:
        Console(stderr=True).print(
            f"[yellow]the telemetry store was corrupt: it was moved to {store.quarantined} (kept, not deleted) "
            "and a new, empty store was started[/yellow]"
        )
    return store


@telemetry_app.command("status")
def status(format: FormatOpt = "text") -> None:
    """Whether telemetry is on, at which level, where the store is and what it holds.

    Example: hotwire-assist telemetry status --format json
    """
    try:
        cfg = load_config(Path.cwd()).telemetry
    except ConfigError as e:
        raise typer.BadParameter(str(e)) from None
    store = _open_existing()
    summary = store.summary() if store else {"events": 0, "counts": {}, "acceptance_rate": None, "mean_survival": None}
    if store:
        store.close()
    report = {"enabled": cfg.enabled, "level": cfg.level, "store": str(default_store_path()), **summary}
    if format == "json":
        typer.echo(json.dumps(report, indent=2))
        return
    out = Console(highlight=False)
    out.print(f"telemetry: {'on' if cfg.enabled else 'off'} (level: {cfg.level})")
    out.print(f"store: {report['store']}{'' if store else ' (none)'}")
    out.print(f"events: {summary['events']} {summary['counts']}")
    if summary["acceptance_rate"] is not None:
        out.print(f"acceptance rate: {summary['acceptance_rate']:.1%}")


@telemetry_app.command("enable")
def enable(
    level: Annotated[
        Literal["events", "code"] | None,
        typer.Option(
            "--level",
            help="`events` (outcomes and timings, no code) or `code` (also the redacted code around each "
            "suggestion, which training needs). Default: keep the configured level.",
        ),
    ] = None,
) -> None:
    """Turn telemetry on in the user config (nothing leaves this machine), optionally at a level.

    Example: hotwire-assist telemetry enable --level code
    """
    path = _set_enabled(True, level)
    suffix = f" at level {level}" if level else ""
    typer.echo(f"telemetry enabled{suffix} in {path}")


@telemetry_app.command("disable")
def disable() -> None:
    """Turn telemetry off in the user config (stored events stay until `purge`).

    Example: hotwire-assist telemetry disable
    """
    typer.echo(f"telemetry disabled in {_set_enabled(False)}")


@telemetry_app.command("show")
def show(
    limit: Annotated[int, typer.Option(help="The newest N events.")] = 20,
    format: FormatOpt = "text",
) -> None:
    """The newest stored events, exactly as stored.

    Example: hotwire-assist telemetry show --limit 5 --format json
    """
    store = _open_existing()
    events = store.events()[-limit:] if store else []
    if store:
        store.close()
    if format == "json":
        typer.echo(json.dumps([e.model_dump() for e in events], indent=2))
        return
    for e in events:
        extra = f" survival={e.survival:.2f} at {e.age_s:g}s" if e.kind == "survival" else ""
        typer.echo(f"{e.ts:.0f} {e.kind:9} {e.suggestion_id} {e.language} {e.backend}/{e.model}{extra}")
    if not events:
        typer.echo("no events")


@telemetry_app.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="Bundle file to write (JSON lines).")],
    developer: Annotated[
        str | None, typer.Option(help="Id put in the bundle (default: this install's anonymous id).")
    ] = None,
) -> None:
    """Write every stored event to FILE as a bundle: a header line (format, version, developer), then one
    TelemetryEvent per line. `data ingest-telemetry` reads bundles from several developers.

    Example: hotwire-assist telemetry export ~/hotwire-events.jsonl
    """
    store = _open_existing()
    events = store.events() if store else []
    if store:
        store.close()
    file.parent.mkdir(parents=True, exist_ok=True)
    write_bundle(file, events, developer)
    n = len(events)
    typer.echo(f"{n} events written to {file}")


@telemetry_app.command("purge")
def purge(yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False) -> None:
    """Delete every stored event.

    Example: hotwire-assist telemetry purge --yes
    """
    store = _open_existing()
    if store is None:
        typer.echo("no events")
        return
    if not yes:
        typer.confirm(f"delete every event in {store.path}?", abort=True)
    n = store.purge()
    store.close()
    typer.echo(f"{n} events deleted")


@telemetry_app.command("redact")
def redact_file(
    file: Annotated[Path, typer.Argument(help="A text file, or - for stdin.")],
    name: Annotated[
        str | None, typer.Option("--name", help="File name whose format-aware checks apply to stdin (e.g. .env).")
    ] = None,
) -> None:
    """Print FILE exactly as telemetry would store it, each secret replaced by a typed marker such as
    [REDACTED:aws-secret]. A file telemetry never captures (the never-capture list, .gitignore, your
    [privacy] exclude globs) is not read: one line says which rule, and the exit status is 3.

    Example: hotwire-assist telemetry redact config/database.yml
    """
    if str(file) == "-":
        if name and (rule := excluded_by(name)) is not None:
            typer.echo(f"refused: {name} is never captured (rule {rule}); nothing was read", err=True)
            raise typer.Exit(3)
        sys.stdout.write(redact(sys.stdin.read(), name))
        return
    workspace = repo_root(file.absolute().parent) or Path.cwd()
    try:
        extra = load_config(workspace).privacy.exclude
    except ConfigError as e:
        raise typer.BadParameter(str(e)) from None
    rule = excluded_by(file.absolute(), workspace, extra)
    if rule is not None:
        typer.echo(f"refused: {file} is never captured (rule {rule}); nothing was read", err=True)
        raise typer.Exit(3)
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        typer.echo(f"cannot read {file}: {e.strerror or e}", err=True)
        raise typer.Exit(1) from None
    sys.stdout.write(redact(text, name or file.as_posix()))
