"""The one generation helper: prompt + max_tokens fitted to the model's real window in tokens, for every
backend and every caller (completion, generate a feature, eval run)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from support.fake_http import FakeHandler, FakeHTTPServer
from support.ollama_api import OllamaAPIServer
from typer.testing import CliRunner

from hotwire_assist.backends import GenerationParams
from hotwire_assist.backends.base import PromptTooLong
from hotwire_assist.backends.generation import fit_prompt, generate_fitted
from hotwire_assist.backends.llama_cpp import LlamaCppBackend, gguf_context_length
from hotwire_assist.backends.ollama_backend import OllamaBackend
from hotwire_assist.backends.openai_compat import OpenAICompatBackend
from hotwire_assist.core.prompt import Snippet, fim_prompt, get_family, instruction_prompt

FAMILY = get_family("hotwire-tiny")
REPO = Path(__file__).resolve().parents[2]
LONG = (REPO / "examples/todo_app/app/views/todos/_form.html.erb").read_text() * 8


class CharModel:
    """A backend whose tokens are characters, with a fixed window: fitting is exact and easy to check."""

    name = model_id = "chars"

    def __init__(self, window: int, refuse_over: int | None = None) -> None:
        self.window, self.refuse_over, self.prompts = window, refuse_over, []

    def context_window(self) -> int:
        return self.window

    def native_window(self) -> int | None:
        return self.window

    def count_tokens(self, text: str) -> int | None:
        return len(text)

    def generate(self, prompt, params, cancel):
        self.prompts.append((prompt, params.max_tokens))
        if len(prompt) + params.max_tokens > self.window or (self.refuse_over and len(prompt) > self.refuse_over):
            raise PromptTooLong(len(prompt), self.refuse_over or self.window - params.max_tokens)
        yield "x" * min(params.max_tokens, 5)


def test_a_long_answer_gets_what_the_window_leaves_and_the_prompt_shrinks_to_fit():
    model = CharModel(window=400)
    build = lambda budget: fim_prompt(FAMILY, LONG, "", "app/x.erb", budget_chars=budget)  # noqa: E731
    fit = fit_prompt(model, build, 4000, max_tokens=1024)
    assert fit.max_tokens == 200  # half the window: the prompt needs more than the rest
    assert fit.prompt_tokens <= 200 and fit.prompt == build(fit.budget_chars)
    assert fit.prompt.endswith(FAMILY.fim_middle) and len(fit.prompt) > 100  # a real, smaller prompt
    short = fit_prompt(model, lambda b: "tiny prompt", 4000, max_tokens=1024)
    assert short.max_tokens == 400 - len("tiny prompt")  # a short prompt leaves the answer the rest
    assert fit_prompt(model, build, 4000, max_tokens=16).max_tokens == 16  # never more than asked


def test_a_prompt_the_backend_still_refuses_is_rebuilt_smaller():
    model = CharModel(window=4000, refuse_over=300)  # its count and the server's disagree
    build = lambda budget: fim_prompt(FAMILY, LONG, "", "app/x.erb", budget_chars=budget)  # noqa: E731
    out = generate_fitted(model, build, 4000, GenerationParams(max_tokens=16), threading.Event())
    assert out == "x" * 5
    assert len(model.prompts) >= 2 and len(model.prompts[-1][0]) <= 300


def test_instruction_context_goes_first_and_a_request_that_cannot_fit_is_a_clear_error():
    model = CharModel(window=400)
    ctx = [Snippet("app/a.erb", LONG[:600]), Snippet("app/b.erb", LONG[600:900])]
    build = lambda budget: instruction_prompt("add a frame", ctx, budget)  # noqa: E731
    fit = fit_prompt(model, build, len(build(10**6)), max_tokens=512)
    assert "### Request\nadd a frame" in fit.prompt and "app/b.erb" not in fit.prompt
    assert fit.prompt_tokens + fit.max_tokens <= 400
    with pytest.raises(PromptTooLong, match="even the shortest prompt"):
        fit_prompt(model, lambda b: instruction_prompt("x" * 500, ctx, b), 5000, max_tokens=64)


def test_the_gguf_window_is_used_and_the_config_can_only_lower_it(tiny_model):
    trained = gguf_context_length(tiny_model / "model.gguf")
    assert trained is not None and 128 <= trained < 2048
    big = LlamaCppBackend(tiny_model / "model.gguf", context_size=2048)
    assert (big.native_window(), big.context_window()) == (trained, trained)
    small = LlamaCppBackend(tiny_model / "model.gguf", context_size=128)
    assert (small.native_window(), small.context_window()) == (trained, 128)


def test_loading_never_warns_about_a_window_beyond_training(tiny_model):
    code = (
        "import sys, threading; from hotwire_assist.backends.llama_cpp import LlamaCppBackend;"
        "from hotwire_assist.backends import GenerationParams;"
        f"b = LlamaCppBackend({str(tiny_model / 'model.gguf')!r}, context_size=4096);"
        "list(b.generate('<fim_prefix>a<fim_suffix>b<fim_middle>', GenerationParams(max_tokens=2), threading.Event()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert "n_ctx_train" not in out.stderr and "n_ctx_seq" not in out.stderr, out.stderr[-500:]


def test_fitted_generation_on_the_tiny_model_with_a_long_prompt_and_answer(tiny_model):
    backend = LlamaCppBackend(tiny_model / "model.gguf")
    window = backend.context_window()
    build = lambda budget: fim_prompt(FAMILY, LONG, LONG[:500], "app/x.erb", budget_chars=budget)  # noqa: E731
    fit = fit_prompt(backend, build, 4000, max_tokens=1024)
    assert fit.prompt_tokens == len(backend.tokenize(fit.prompt))
    assert fit.prompt_tokens + fit.max_tokens <= window
    out = generate_fitted(backend, build, 4000, GenerationParams(max_tokens=1024, stop=FAMILY.stop), threading.Event())
    assert isinstance(out, str)


def test_generate_feature_answers_on_the_tiny_model_with_a_1024_token_answer(tiny_model):
    from hotwire_assist.server.generate import MAX_TOKENS, generate_answer

    backend = LlamaCppBackend(tiny_model / "model.gguf")
    assert backend.context_window() < MAX_TOKENS  # the case that failed with "0 tokens left"
    ctx = [Snippet("app/views/todos/_form.html.erb", LONG[:1400]), Snippet("app/models/todo.rb", LONG[:900])]
    answer = generate_answer(backend, FAMILY, "inline-edit a todo title", ctx, threading.Event())
    assert isinstance(answer, str)


@pytest.fixture
def ollama_api(tiny_model):
    server = OllamaAPIServer(tiny_model / "model.gguf")
    yield server
    server.stop()


def test_ollama_window_comes_from_show_and_is_sent_as_num_ctx(ollama_api, tiny_model):
    trained = gguf_context_length(tiny_model / "model.gguf")
    backend = OllamaBackend("hotwire-tiny", ollama_api.url, context_size=2048)
    assert backend.native_window() == trained and backend.context_window() == trained
    assert OllamaBackend("hotwire-tiny", ollama_api.url, context_size=128).context_window() == 128
    build = lambda budget: fim_prompt(FAMILY, LONG, "", "app/x.erb", budget_chars=budget)  # noqa: E731
    generate_fitted(backend, build, 4000, GenerationParams(max_tokens=1024, stop=FAMILY.stop), threading.Event())
    sent = [r for r in ollama_api.requests if r["path"] == "/api/generate"][-1]
    assert sent["options"]["num_ctx"] == trained
    assert sent["options"]["num_predict"] <= trained // 2
    real = LlamaCppBackend(tiny_model / "model.gguf").count_tokens(sent["prompt"])
    assert real + sent["options"]["num_predict"] <= trained  # the estimate kept it within the window


class _LimitedServer(FakeHTTPServer):
    """An OpenAI-compatible server that reports its limit the way `kind` does and refuses longer prompts
    (counting characters as tokens) with the error text vLLM sends."""

    def __init__(self, kind: str, limit: int, port: int = 0) -> None:
        self.kind, self.limit, self.prompts = kind, limit, []
        super().__init__(_LimitedHandler, port)


class _LimitedHandler(FakeHandler):
    api: _LimitedServer

    def do_GET(self):
        if self.path == "/props" and self.api.kind == "llama.cpp":
            return self.send_json(200, {"default_generation_settings": {"n_ctx": self.api.limit}})
        if self.path == "/v1/models":
            extra = {"max_model_len": self.api.limit} if self.api.kind == "vllm" else {}
            return self.send_json(200, {"data": [{"id": "m", **extra}]})
        return self.send_json(404, {"error": "not found"})

    def do_POST(self):
        body = self.body()
        self.api.prompts.append(body)
        if len(body["prompt"]) + body["max_tokens"] > self.api.limit:
            msg = f"This model's maximum context length is {self.api.limit} tokens."
            return self.send_json(400, {"object": "error", "message": msg})
        event = json.dumps({"choices": [{"text": "ok", "index": 0}]})
        self.send(200, f"data: {event}\n\ndata: [DONE]\n\n".encode(), "text/event-stream")


@pytest.mark.parametrize("kind", ["llama.cpp", "vllm", "none"])
def test_openai_servers_window_and_refusals(kind):
    server = _LimitedServer(kind, 600)
    try:
        backend = OpenAICompatBackend(server.url, "m", timeout_s=5, context_size=4096 if kind != "none" else 600)
        assert backend.context_window() == 600
        assert backend.native_window() == (None if kind == "none" else 600)
        build = lambda budget: fim_prompt(FAMILY, LONG, "", "app/x.erb", budget_chars=budget)  # noqa: E731
        out = generate_fitted(backend, build, 4000, GenerationParams(max_tokens=64), threading.Event())
        assert out == "ok"  # characters are more tokens than the estimate: refused, then shrunk
        assert len(server.prompts[-1]["prompt"]) + server.prompts[-1]["max_tokens"] <= 600
    finally:
        server.stop()


def test_a_server_down_when_first_asked_reports_its_window_once_it_is_up():
    server = _LimitedServer("vllm", 600)
    port, url = server.port, server.url
    server.stop()
    backend = OpenAICompatBackend(url, "m", timeout_s=2)
    assert backend.native_window() is None and backend.context_window() == 2048
    server = _LimitedServer("vllm", 600, port)
    try:
        assert backend.native_window() == 600 and backend.context_window() == 600
    finally:
        server.stop()


def test_eval_run_with_default_flags_succeeds_on_the_tiny_model(tiny_model, tmp_path):
    from hotwire_assist.cli.eval import eval_app

    args = ["run", "--model", str(tiny_model / "model.gguf"), "--out", str(tmp_path / "run"), "--limit", "1"]
    res = CliRunner().invoke(eval_app, args)
    assert res.exit_code == 0, res.output
    assert "rerun the same command" not in res.output
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["complete"] and run["totals"]["samples"] == 2


def test_doctor_reports_the_models_window_and_the_configured_one(tiny_model, monkeypatch):
    from hotwire_assist.cli.main import app

    monkeypatch.setenv("HOTWIRE_ASSIST_MODEL_PATH", str(tiny_model / "model.gguf"))
    monkeypatch.setenv("HOTWIRE_ASSIST_MODEL_CONTEXT_SIZE", "1024")
    res = CliRunner().invoke(app, ["doctor", "--format", "json"])
    checks = {c["name"]: c for c in json.loads(res.output)["checks"]}
    trained = gguf_context_length(tiny_model / "model.gguf")
    assert checks["context window"]["detail"] == (
        f"the model's window is {trained} tokens; model.context_size is 1024; "
        f"prompts and answers are fitted to {trained} tokens"
    )
