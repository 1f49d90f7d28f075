"""The quickstart: start the real server over stdio, as an editor does, and ask it for inline
completions at the sample app's marked positions (the rest of each line is cut away first)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hotwire_assist.core import __version__


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
            lines = path.read_text(encoding="utf-8").split("\n")
            line, col = pos["line"] - 1, pos["column"] - 1
            expected = lines[line][col:]
            lines[line] = lines[line][:col]  # cut the rest of the line: the model has to write it
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
                    "original": expected,
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
        for r in rows:
            r["diagnostics"] = diagnostics.get(r.pop("uri"))
        rows.extend({"message": m} for m in messages)
        return rows
    finally:
        await client.stop()


def run_quickstart(app_dir: Path, console: Console) -> int:
    spec = app_dir / "quickstart.json"
    try:
        positions = json.loads(spec.read_text())
    except (OSError, ValueError) as e:
        console.print(f"[red]cannot read {spec}: {e}[/red]")
        return 2
    answers = asyncio.run(_ask(app_dir, positions))
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
    for r in answers:
        if "message" in r:
            console.print(Text(f"server: {r['message']}", style="yellow"))
    return 0 if any(r["suggestion"] for r in rows) else 1
