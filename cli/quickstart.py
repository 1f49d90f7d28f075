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


async def _ask(app_dir: Path, positions: list[dict]) -> list[dict]:
    client = LanguageClient("hotwire-assist-quickstart", "0.1.0")
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
                }
            )
        await client.shutdown_async(None)
        client.exit(None)
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
    rows = asyncio.run(_ask(app_dir, positions))
    table = Table(title=f"hotwire-assist on {app_dir}", show_lines=True)
    for col in ("file", "before the cursor", "suggestion", "original", "ms"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["path"], r["before"], r["suggestion"] or "[dim](none)[/dim]", r["original"], f"{r['latency_ms']:.0f}"
        )
    console.print(table)
    return 0 if any(r["suggestion"] for r in rows) else 1
