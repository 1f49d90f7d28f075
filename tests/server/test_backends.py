"""Each backend against real inference from the tiny model the project builds."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
import torch
from support.ollama_api import OllamaAPIServer
from transformers import AutoModelForCausalLM, AutoTokenizer

from hotwire_assist.backends import BackendError, GenerationParams, sample, until_stop
from hotwire_assist.backends.llama_cpp import LlamaCppBackend
from hotwire_assist.backends.ollama_backend import OllamaBackend
from hotwire_assist.backends.openai_compat import OpenAICompatBackend
from hotwire_assist.backends.transformers_backend import TransformersBackend
from hotwire_assist.core.prompt import fim_prompt, get_family

FAMILY = get_family("hotwire-tiny")
PROMPT = fim_prompt(FAMILY, "<%= turbo_stream.", " %>\n", "app/views/todos/create.turbo_stream.erb")
GREEDY = GenerationParams(max_tokens=16, stop=FAMILY.stop)


def run(backend, prompt=PROMPT, params=GREEDY) -> str:
    return "".join(until_stop(backend.generate(prompt, params, threading.Event()), params.stop))


def test_gguf_export_matches_transformers_token_for_token(tiny_model):
    """The GGUF we write (tokenizer, RoPE permutation, tied embeddings) is the model we trained."""
    tok = AutoTokenizer.from_pretrained(tiny_model / "hf")
    hf = AutoModelForCausalLM.from_pretrained(tiny_model / "hf")
    ids = tok(PROMPT)["input_ids"]
    llama = LlamaCppBackend(tiny_model / "model.gguf", context_size=512)
    assert llama.tokenize(PROMPT) == ids
    out = hf.generate(
        torch.tensor([ids]),
        max_new_tokens=16,
        do_sample=False,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.eos_token_id,
    )
    expected = tok.decode(out[0, len(ids) :], skip_special_tokens=True)
    got = run(llama)
    assert got == expected.split("<file_sep>")[0]
    assert got.strip(), "the tiny model should say something here"
    assert run(TransformersBackend(tiny_model / "hf")) == got


def test_llama_cpp_health_vocab_and_cancellation(tiny_model):
    backend = LlamaCppBackend(tiny_model / "model.gguf", context_size=512)
    assert backend.health().ok
    assert all(backend.vocabulary_has(FAMILY.special_tokens).values())
    cancel = threading.Event()
    stream = backend.generate(PROMPT, GenerationParams(max_tokens=200), cancel)
    next(stream)
    cancel.set()
    assert len(list(stream)) <= 1  # stops at the next token


def test_llama_cpp_sampling_is_seeded(tiny_model):
    backend = LlamaCppBackend(tiny_model / "model.gguf", context_size=512)
    params = GenerationParams(max_tokens=12, temperature=1.0, seed=7, n=3)
    assert sample(backend, PROMPT, params) == sample(backend, PROMPT, params)


def test_missing_and_corrupt_gguf_are_clear_errors_and_recover(tmp_path, tiny_model):
    path = tmp_path / "model.gguf"
    backend = LlamaCppBackend(path)
    with pytest.raises(BackendError, match="does not exist") as e:
        run(backend)
    assert "build-default" in e.value.fix
    path.write_bytes(b"GGUF" + os.urandom(256))
    assert not backend.health().ok
    with pytest.raises(BackendError, match="cannot load GGUF"):
        run(backend)
    time.sleep(0.01)
    shutil.copy(tiny_model / "model.gguf", path)
    os.utime(path)
    assert run(backend).strip()


@pytest.fixture
def ollama_api(tiny_model):
    server = OllamaAPIServer(tiny_model / "model.gguf")
    yield server
    server.stop()


def test_ollama_streams_raw_prompts_through_the_real_client(ollama_api, tiny_model):
    backend = OllamaBackend("hotwire-tiny", ollama_api.url)
    assert backend.health().ok
    assert run(backend) == run(LlamaCppBackend(tiny_model / "model.gguf", context_size=512))
    sent = ollama_api.requests[-1]
    assert sent["raw"] is True and sent["prompt"] == PROMPT and sent["stream"] is True
    assert all(backend.vocabulary_has(FAMILY.special_tokens).values())


def test_ollama_missing_model_and_dead_server_say_how_to_fix(ollama_api):
    missing = OllamaBackend("qwen2.5-coder:1.5b-base", ollama_api.url)
    with pytest.raises(BackendError, match=r"no model 'qwen2\.5-coder:1\.5b-base'") as e:
        run(missing)
    assert e.value.fix == "Run `ollama pull qwen2.5-coder:1.5b-base`."
    assert not missing.health().ok
    ollama_api.stop()
    dead = OllamaBackend("hotwire-tiny", ollama_api.url, timeout_s=2)
    with pytest.raises(BackendError, match="cannot reach Ollama"):
        run(dead)


@pytest.mark.skipif(shutil.which("ollama") is None, reason="no `ollama` binary on PATH")
def test_against_a_real_ollama(tiny_model, tmp_path):
    """Runs where Ollama is installed: create a model from our GGUF and ask it through the backend."""
    from hotwire_assist.training.export import ollama_modelfile

    modelfile = tmp_path / "Modelfile"
    modelfile.write_text(ollama_modelfile(tiny_model / "model.gguf", FAMILY, 512))
    subprocess.run(["ollama", "create", "hotwire-tiny-test", "-f", str(modelfile)], check=True, timeout=120)
    assert run(OllamaBackend("hotwire-tiny-test", timeout_s=60)).strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_openai_compatible_against_llama_cpp_server(tiny_model):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(tiny_model / "model.gguf"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "512",
            "--model_alias",
            "tiny",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # a loaded CI machine imports the server's web stack slowly
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                httpx.get(url + "/v1/models", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        backend = OpenAICompatBackend(url + "/v1", "tiny", timeout_s=30)
        assert backend.health().ok
        got = run(backend)
        # The server applies its own default repeat_penalty (1.1, prompt tokens included), so the same weights
        # answer it with the same settings in process: greedy, penalty 1.1, the stops the backend sends.
        from llama_cpp import Llama

        same = Llama(str(tiny_model / "model.gguf"), n_ctx=512, verbose=False).create_completion(
            PROMPT, max_tokens=GREEDY.max_tokens, temperature=0, repeat_penalty=1.1, stop=list(GREEDY.stop)[:4]
        )["choices"][0]["text"]
        assert got.strip() and got == "".join(until_stop(iter([same]), GREEDY.stop))
    finally:
        proc.terminate()
        proc.wait(10)
    with pytest.raises(BackendError, match="cannot reach"):
        run(OpenAICompatBackend(url, "tiny", timeout_s=2))
