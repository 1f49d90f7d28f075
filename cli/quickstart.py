"""The quickstart: start the real server over stdio, as an editor does, and ask it for inline
completions at the sample app's marked positions.

The app is copied to a temporary folder and the rest of each marked line is cut **in the files on disk**
before the server starts, as when a user types a new line: neither the index nor workspace retrieval
ever sees what the file had, so a suggestion that equals it was worked out, not read back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hotwire_assist.core import __version__


def cut_holes(app_dir: Path, positions: list[dict], into: Path) -> tuple[Path, list[dict]]:
    """Copy the app into `into` and cut the rest of every marked line there; -> (copy, holes with the
    original rest of each line)."""
    copy = Path(
        shutil.copytree(app_dir, into / app_dir.resolve().name, ignore=shutil.ignore_patterns("node_modules", ".git"))
    )
    holes = []
    for pos in positions:
        path = copy / pos["path"]
        lines = path.read_text(encoding="utf-8").split("\n")
        line, col = pos["line"] - 1, pos["column"] - 1
        holes.append({**pos, "original": lines[line][col:]})
        lines[line] = lines[line][:col]
        path.write_text("\n".join(lines), encoding="utf-8")
    return copy, holes


async def _ask(app_dir: Path, positions: list[dict]) -> list[dict]:
    client = LanguageClient("hotwire-assist-quickstart", __version__)
    diagnostics: dict[str, int] = {}
    messages: list[str] = []

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _diagnostics(params: types.PublishDiagnosticsParams) -> None:
        """The rules engine's findings for an opened file (an editor shows them; we count them)."""
        diagnostics[params.uri] = len(params.diagnostics)

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def _message(params: types.ShowMessageParams) -> None:
        messages.append(params.message)

    await client.start_io(sys.executable, "-m", "hotwire_assist.cli", "serve")
    exited = False
    try:
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=app_dir.resolve().as_uri(),
                workspace_folders=[types.WorkspaceFolder(app_dir.resolve().as_uri(), app_dir.name)],
            )
        )
        client.initialized(types.InitializedParams())
        rows = []
        for pos in positions:
            path = (app_dir / pos["path"]).resolve()
            lines = path.read_text(encoding="utf-8").split("\n")  # the hole is cut on disk already
            line, col = pos["line"] - 1, pos["column"] - 1
            uri = path.as_uri()
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    types.TextDocumentItem(uri, "erb" if path.suffix == ".erb" else "", 1, "\n".join(lines))
                )
            )
            t0 = time.perf_counter()
            result = await client.text_document_inline_completion_async(
                types.InlineCompletionParams(
                    context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Automatic),
                    text_document=types.TextDocumentIdentifier(uri),
                    position=types.Position(line, col),
                )
            )
            ms = (time.perf_counter() - t0) * 1000
            items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
            text = items[0].insert_text if items else ""
            rows.append(
                {
                    "path": pos["path"],
                    "before": lines[line].strip(),
                    "suggestion": text,
                    "original": pos["original"],
                    "latency_ms": round(ms, 1),
                    "uri": uri,
                }
            )
        # The rules check each opened file in the background: give the findings a moment to arrive.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(r["uri"] not in diagnostics for r in rows):
            await asyncio.sleep(0.05)
        await client.shutdown_async(None)
        client.exit(None)
        exited = True
        for r in rows:
            r["diagnostics"] = diagnostics.get(r.pop("uri"))
        rows.extend({"message": m} for m in messages)
        return rows
    finally:
        if not exited:  # a failure on the way: the server still runs, and stop() would wait for it forever
            with contextlib.suppress(Exception):
                client.exit(None)
        await client.stop()


def run_quickstart(app_dir: Path, console: Console) -> int:
    spec = app_dir / "quickstart.json"
    try:
        positions = json.loads(spec.read_text())
    except (OSError, ValueError) as e:
        console.print(f"[red]cannot read {spec}: {e}[/red]")
        return 2
    with tempfile.TemporaryDirectory(prefix="hotwire-assist-quickstart-") as tmp:
        copy, holes = cut_holes(app_dir, positions, Path(tmp))
        answers = asyncio.run(_ask(copy, holes))
    rows = [r for r in answers if "message" not in r]
    table = Table(title=f"hotwire-assist on {app_dir}", show_lines=True)
    for col in ("file", "before the cursor", "suggestion", "original", "ms", "findings"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            Text(r["path"]),  # Text: code is not rich markup (`[1, 2]` would vanish)
            Text(r["before"]),
            Text(r["suggestion"]) if r["suggestion"] else Text("(none)", style="dim"),
            Text(r["original"]),
            f"{r['latency_ms']:.0f}",
            "?" if r["diagnostics"] is None else str(r["diagnostics"]),
        )
    console.print(table)
    shown = [r for r in rows if r["suggestion"].strip()]
    same = sum(r["suggestion"].strip() == r["original"].strip() for r in shown)
    console.print(
        f"{same} of {len(shown)} suggestions shown equal what the file had "
        f"({len(rows) - len(shown)} position(s) got none); the lines were cut on disk before the server started."
    )
    for r in answers:
        if "message" in r:
            console.print(Text(f"server: {r['message']}", style="yellow"))
    return 0 if any(r["suggestion"] for r in rows) else 1
