"""Completion benchmarks (issue targets in brackets): prints figures, asserts nothing.

1. LSP overhead: (end-to-end latency over stdio − debounce) ÷ bare backend latency, p50/p95   [p95 ≤ 1.05]
2. A typing burst of 40 keystrokes 60 ms apart: generations started, stale answers shown     [≤ 3, 0]
3. Embedded backend tokens/s ÷ bare llama-cpp-python on the same GGUF and prompt              [≥ 0.95]

    python benchmarks/bench_completion.py [--model PATH/model.gguf]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from llama_cpp import Llama
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from hotwire_assist.backends import GenerationParams
from hotwire_assist.backends.llama_cpp import LlamaCppBackend
from hotwire_assist.core.config import Config, default_model_dir
from hotwire_assist.core.prompt import document_text, get_family
from hotwire_assist.core.request import build_request
from hotwire_assist.server.completion import CompletionEngine

APP = Path(__file__).resolve().parents[1] / "examples" / "todo_app"
FAMILY = get_family("hotwire-tiny")
DEBOUNCE_MS = 60


def positions(limit: int = 40) -> list[tuple[Path, int, int]]:
    """Mid-line positions in the sample app's views and controllers (after the first word of a line)."""
    out = []
    for path in sorted(APP.rglob("*")):
        if path.suffix not in (".erb", ".rb", ".js"):
            continue
        for n, line in enumerate(path.read_text().split("\n")):
            stripped = line.strip()
            if len(stripped) > 12 and " " in stripped:
                out.append((path, n, len(line) - len(stripped) + stripped.index(" ") + 1))
    step = max(1, len(out) // limit)
    return out[::step][:limit]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def start_server(model: Path) -> LanguageClient:
    env = dict(
        os.environ,
        HOTWIRE_ASSIST_MODEL_PATH=str(model),
        HOTWIRE_ASSIST_COMPLETION_CACHE_SIZE="0",
        HOTWIRE_ASSIST_COMPLETION_DEBOUNCE_MS=str(DEBOUNCE_MS),
        HOTWIRE_ASSIST_MODEL_CONTEXT_SIZE="2048",
        HOTWIRE_ASSIST_CONFIG=str(Path(tempfile.mkdtemp()) / "none.toml"),
    )
    client = LanguageClient("bench", "1")
    client.checked = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: types.PublishDiagnosticsParams) -> None:
        client.checked.setdefault(params.uri, asyncio.Event()).set()

    await client.start_io(sys.executable, "-m", "hotwire_assist.cli", "serve", env=env)
    await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=APP.as_uri())
    )
    client.initialized(types.InitializedParams())
    return client


async def inline(client: LanguageClient, uri: str, line: int, col: int) -> list:
    r = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Automatic),
            text_document=types.TextDocumentIdentifier(uri),
            position=types.Position(line, col),
        )
    )
    return list(r.items if isinstance(r, types.InlineCompletionList) else r or [])


def bare_latency(engine: CompletionEngine, text: str, offset: int, rel: str) -> float:
    """The same prompt and generation as the server's, called directly: no LSP, no asyncio, no debounce."""
    t0 = time.perf_counter()
    engine._generate(build_request(rel, text, offset, None), threading.Event())
    return time.perf_counter() - t0


async def overhead(model: Path) -> None:
    client = await start_server(model)
    engine = CompletionEngine(Config(), LlamaCppBackend(model, context_size=2048))
    ratios, e2e_ms, bare_ms = [], [], []
    for version, (path, line, col) in enumerate(positions(), 1):
        text = path.read_text()
        uri = path.as_uri()
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "", version, text)))
        # Opening a file runs the rules (Ruby, Herb) once; measure the completion path after that, as a
        # user types some time after opening.
        await asyncio.wait_for(client.checked.setdefault(uri, asyncio.Event()).wait(), 60)
        client.checked.pop(uri)
        offset = sum(len(x) + 1 for x in text.split("\n")[:line]) + col
        rel = path.relative_to(APP).as_posix()
        bare = bare_latency(engine, text, offset, rel)  # cold, like the server: a new prompt each time
        t0 = time.perf_counter()
        await inline(client, uri, line, col)
        e2e = time.perf_counter() - t0 - DEBOUNCE_MS / 1000
        ratios.append(e2e / bare)
        e2e_ms.append(e2e * 1000)
        bare_ms.append(bare * 1000)
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    print(f"LSP overhead over {len(ratios)} positions (debounce {DEBOUNCE_MS} ms subtracted):")
    print(f"  end-to-end  p50 {pct(e2e_ms, 50):7.1f} ms   p95 {pct(e2e_ms, 95):7.1f} ms")
    print(f"  bare        p50 {pct(bare_ms, 50):7.1f} ms   p95 {pct(bare_ms, 95):7.1f} ms")
    print(f"  ratio       p50 {pct(ratios, 50):7.3f}      p95 {pct(ratios, 95):7.3f}      [target p95 <= 1.05]")
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


async def typing_burst(model: Path) -> None:
    client = await start_server(model)
    path = APP / "app/views/lists/show.html.erb"
    text = path.read_text()
    uri = path.as_uri()
    typed = '<%= turbo_frame_tag "todo_filters", src: list_path(@list) %>'[:40]
    base = text + "\n"
    line = base.count("\n")
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "", 1, base)))
    current = {"version": 1}
    stale = answered = 0
    requests = []

    async def ask(version: int, col: int) -> None:
        nonlocal stale, answered
        items = await inline(client, uri, line, col)
        if items:
            answered += 1
            stale += current["version"] != version  # shown after the document had moved on

    for i, ch in enumerate(typed, 1):
        current["version"] = i + 1
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=i + 1, uri=uri),
                [
                    types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(line, i - 1), types.Position(line, i - 1)), text=ch
                    )
                ],
            )
        )
        requests.append(asyncio.ensure_future(ask(i + 1, i)))
        await asyncio.sleep(0.06)
    await asyncio.gather(*requests)
    status = await client.protocol.send_request_async("hotwire-assist/status", None)
    print(f"Typing burst: {len(typed)} keystrokes 60 ms apart, debounce {DEBOUNCE_MS} ms:")
    print(f"  generations started {status.generations_started}   [target <= 3]")
    print(f"  answers shown {answered}, stale answers {stale}   [target 0]")
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


def tokens_per_second(model: Path) -> None:
    # A file's opening lines as plain text: the model keeps writing the file, so both runs generate
    # max_tokens tokens (a FIM prompt often ends after one token, which would time only the prompt).
    text = (APP / "app/controllers/todos_controller.rb").read_text()[:300]
    prompt = document_text(FAMILY, "app/controllers/todos_controller.rb", text).removesuffix(FAMILY.eos)
    n_tokens = 64
    ours = LlamaCppBackend(model, context_size=2048)
    ours.tokenize(prompt)  # load outside the timing
    llm = Llama(model_path=str(model), n_ctx=ours._llm.n_ctx(), n_threads=ours._threads, verbose=False)
    tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)

    def bare() -> tuple[int, float]:
        t0 = time.perf_counter()
        n = sum(1 for _ in llm.create_completion(tokens, max_tokens=n_tokens, temperature=0.0, stream=True))
        return n, time.perf_counter() - t0

    def embedded() -> tuple[int, float]:
        t0 = time.perf_counter()
        n = sum(1 for _ in ours.generate(prompt, GenerationParams(max_tokens=n_tokens), threading.Event()))
        return n, time.perf_counter() - t0

    rates, counts = {}, {}
    for name, fn in (("bare", bare), ("embedded", embedded)):
        runs = [fn() for _ in range(7)]
        rates[name] = statistics.median(n / s for n, s in runs)
        counts[name] = statistics.median(n for n, _ in runs)
    print(f"Tokens/s on {model.name} (median of 7 runs; tokens per run: {counts}):")
    print(
        f"  bare llama-cpp-python {rates['bare']:.0f}, embedded backend {rates['embedded']:.0f}, "
        f"ratio {rates['embedded'] / rates['bare']:.3f}   [target >= 0.95]"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=default_model_dir() / "model.gguf")
    model = ap.parse_args().model
    if not model.exists():
        sys.exit(f"{model} not found: run `hotwire-assist model build-default` or pass --model")
    asyncio.run(overhead(model))
    asyncio.run(typing_burst(model))
    tokens_per_second(model)


if __name__ == "__main__":
    main()
