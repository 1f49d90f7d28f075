"""`hotwire-assist bug-report` and the server's default log file.

A bug report is a zip a user can attach to an issue without reading it first: versions, the effective
configuration and the recent log, every text passed through the privacy gate's redaction (core.privacy)
and with the home folder and user name replaced, so no secret or private path leaves the machine by accident.
"""

from __future__ import annotations

import getpass
import json
import logging
import logging.handlers
import platform
import sys
import time
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hotwire_assist.core.config import ConfigError, data_dir, load_config

LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 3
LOG_LINES_IN_REPORT = 400
LIBRARIES = (
    "hotwire-assist",
    "pygls",
    "lsprotocol",
    "llama_cpp_python",
    "ollama",
    "httpx",
    "transformers",
    "torch",
    "peft",
    "pydantic",
    "typer",
)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def default_log_file() -> Path:
    """Where `serve` always logs (rotated), so a user can send a log of a problem that already happened."""
    return data_dir() / "logs" / "server.log"


def log_handlers(log_file: Path | None) -> list[logging.Handler]:
    """stderr (the editor's output panel) plus a rotating file; a file that cannot be opened is skipped."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    path = log_file or default_log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
        )
    except OSError as e:
        print(f"hotwire-assist: cannot write the log file {path}: {e}", file=sys.stderr)
    return handlers


def configure_logging(log_file: Path | None, trace: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if trace else logging.INFO, handlers=log_handlers(log_file), format=LOG_FORMAT
    )
    if not trace:  # pygls logs every message body at INFO: the user's code, which only --trace should record
        logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("hotwire_assist").info(
        "hotwire-assist %s starting (python %s, log %s)",
        versions()["hotwire-assist"],
        sys.version.split()[0],
        log_file or default_log_file(),
    )


def scrub(text: str, name: str | None = None) -> str:
    """Secrets (the privacy gate's redaction, with the report file's name), then the home folder and
    the user name."""
    from hotwire_assist.core.privacy import redact

    text = redact(text, name)
    home = str(Path.home())
    if home not in ("/", ""):
        text = text.replace(home, "~")
    user = getpass.getuser()
    if len(user) > 2:
        text = text.replace(user, "<user>")
    return text


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def effective_config(workspace: Path | None) -> dict:
    """The merged configuration, or the error that stops it loading (which is often the bug)."""
    import os

    try:
        config = load_config(workspace).model_dump()
    except ConfigError as e:
        return {"error": str(e)}
    config["model"]["api_key"] = "[set]" if os.environ.get("HOTWIRE_ASSIST_API_KEY") else "[not set]"
    return config


def recent_log(path: Path, lines: int = LOG_LINES_IN_REPORT) -> str:
    """The last lines of the log and its rotated predecessors."""
    chunks: list[str] = []
    for p in [path.with_name(f"{path.name}.{i}") for i in range(LOG_BACKUPS, 0, -1)] + [path]:
        try:
            chunks.append(p.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return "".join("".join(chunks).splitlines(keepends=True)[-lines:])


def write_bug_report(out: Path, workspace: Path | None, log_file: Path) -> Path:
    files = {
        "versions.json": json.dumps(versions(), indent=2),
        "config.json": json.dumps(effective_config(workspace), indent=2),
        "server.log": recent_log(log_file) or "(no log yet)\n",
        "README.txt": "hotwire-assist bug report: secrets, the home folder and the user name are redacted.\n",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, scrub(text))  # every check: logs are free-form
    return out


def bug_report_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="The zip to write (default: ./hotwire-assist-bug-report-TIME.zip)")
    ] = None,
    workspace: Annotated[Path, typer.Option(help="Workspace whose .hotwire-assist.toml applies.")] = Path("."),
    log_file: Annotated[Path | None, typer.Option(help="The log to include (default: the server's log file).")] = None,
) -> None:
    """Write a zip to attach to an issue: versions, the effective configuration and the recent server log,
    with secrets, your home folder and user name redacted.

    Example: hotwire-assist bug-report --out /tmp/report.zip
    """
    err = Console(stderr=True, soft_wrap=True)
    target = out or Path(f"hotwire-assist-bug-report-{time.strftime('%Y%m%d-%H%M%S')}.zip")
    try:
        written = write_bug_report(target, workspace, log_file or default_log_file())
    except OSError as e:
        err.print(f"[red]cannot write {target}: {e}[/red]")
        raise typer.Exit(2) from None
    Console().print(f"wrote {written} (secrets and paths redacted; open it to see exactly what it holds)")
