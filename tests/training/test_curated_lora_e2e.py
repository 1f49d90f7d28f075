"""The training package end to end: a tiny base built here → LoRA on a slice of the curated set (a run
file) → merged GGUF export → the llama.cpp backend serving it → a completion through the real LSP."""

from __future__ import annotations

import itertools
import json

import pytest
from conftest import SAMPLE_APP, hotwire_assist_exe
from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client
from typer.testing import CliRunner

from hotwire_assist.cli.train import train_app
from hotwire_assist.core.schemas import read_examples, write_examples
from hotwire_assist.training.dataset import curated_files

pytestmark = pytest.mark.slow


async def test_curated_slice_fine_tune_export_and_serve(server_env, tiny_model, tmp_path):
    stream_examples = (
        ex for p in curated_files() for ex in read_examples(p) if ex.category.startswith("turbo-streams")
    )
    data = tmp_path / "slice.jsonl"
    write_examples(data, list(itertools.islice(stream_examples, 12)))
    run = tmp_path / "run.toml"
    run.write_text(
        f'base = "{tiny_model / "hf"}"\noutput = "adapter"\ndata = ["slice.jsonl"]\n'
        "[train]\nsteps = 6\nbatch = 4\nmax_len = 256\nlr = 1e-3\nfim_per_file = 2\n"
    )
    runner = CliRunner()
    result = runner.invoke(train_app, ["run", str(run)])
    assert result.exit_code == 0, result.output
    info = json.loads((tmp_path / "adapter" / "train.json").read_text())
    assert info["items"]["train"] > 12  # the instruction items and FIM holes cut from their files
    assert info["stages"]["vocabulary"] + info["stages"]["basic patterns"] > 0

    export = tmp_path / "export"
    args = ["export", str(tiny_model / "hf"), str(tmp_path / "adapter"), "--out", str(export), "--quant", "f16"]
    result = runner.invoke(train_app, args)
    assert result.exit_code == 0, result.output
    gguf = export / "model.gguf"
    assert gguf.is_file() and (export / "Modelfile").is_file()

    client = make_test_lsp_client()
    await client.start_io(hotwire_assist_exe(), "serve", env=dict(server_env, HOTWIRE_ASSIST_MODEL_PATH=str(gguf)))
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=SAMPLE_APP.as_uri())
    )
    try:
        uri = (SAMPLE_APP / "app/views/todos/create.turbo_stream.erb").as_uri()
        text = "<%= turbo_stream.\n"
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "erb", 1, text)))
        result = await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Invoked),
                text_document=types.TextDocumentIdentifier(uri),
                position=types.Position(0, len("<%= turbo_stream.")),
            )
        )
        status = await client.protocol.send_request_async("hotwire-assist/status", {})
    finally:
        await client.shutdown_session()
        await client.stop()
    assert result and result.items and str(result.items[0].insert_text).strip(), status
    assert "model.gguf" in json.dumps(status, default=str)
