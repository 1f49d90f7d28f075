"""The engine with a real model behind an HTTP backend: the tiny model served by the fake Ollama API, and a
scripted OpenAI-compatible server. The model is asked only when no cheap candidate is confident, gets the
app's similar lines in its prompt, and its text goes through the same ranking and veto."""

from __future__ import annotations

import pytest
from support.ollama_api import OllamaAPIServer
from support.scripted_openai import ScriptedModelServer

from hotwire_assist.backends.ollama_backend import OllamaBackend
from hotwire_assist.backends.openai_compat import OpenAICompatBackend
from hotwire_assist.core.config import Config
from hotwire_assist.core.request import build_request
from hotwire_assist.server.completion import HINTS_PATH, CompletionEngine

CONFIG = {"completion": {"debounce_ms": 0, "cache_size": 0}, "model": {"timeout_s": 60, "max_tokens": 16}}
CONTROLLER = "class PostsController < ApplicationController\n  def create\n    respond_to"
BLOCK_AFTER = "\n      format.html\n    end\n  end\nend\n"  # the block's body and `end` are there already


def req(prefix: str, suffix: str, path: str):
    """The request the server builds for this cursor (workspace-relative path)."""
    return build_request(path, prefix + suffix, len(prefix), None)


@pytest.fixture
def ollama_api(tiny_model):
    server = OllamaAPIServer(tiny_model / "model.gguf")
    yield server
    server.stop()


async def test_tiny_model_behind_ollama_answers_where_nothing_cheap_does_and_is_skipped_where_it_does(ollama_api):
    engine = CompletionEngine(Config.model_validate(CONFIG), OllamaBackend("hotwire-tiny", ollama_api.url))
    try:
        got = await engine.complete("a", req("<%= turbo_stream.", " %>\n", "app/views/todos/create.turbo_stream.erb"))
        assert engine.generations_started == 1 and len(ollama_api.requests) >= 1
        asked_with = ollama_api.requests[-1]
        assert asked_with["path"] == "/api/generate" and "<%= turbo_stream." in asked_with["prompt"]
        # the 150-step test model may answer junk here ('<<<<…'), which the veto keeps from the user
        assert got is None or (got.source == "model" and got.text.strip())
        asked = len(ollama_api.requests)

        engine.lines.set_file("app/controllers/todos_controller.rb", "    respond_to do |format|\n" * 3)
        got = await engine.complete("b", req(CONTROLLER, BLOCK_AFTER, "app/controllers/posts_controller.rb"))
        assert got is not None and (got.source, got.text) == ("retrieval", " do |format|")
        assert len(ollama_api.requests) == asked and engine.generations_started == 1  # the model was not asked
    finally:
        engine.close()


async def test_openai_compatible_model_gets_the_apps_similar_lines_and_goes_through_the_veto():
    server = ScriptedModelServer(reply='="search#"')  # a descriptor Stimulus cannot parse: an error finding
    engine = CompletionEngine(Config.model_validate(CONFIG), OpenAICompatBackend(server.url + "/v1", "m", 30))
    try:
        engine.lines.set_file("app/views/a/x.html.erb", '<div data-controller="search">\n<i data-action="search#go">')
        prefix = '<div data-controller="search">\n  <button type="button" class="b" data-action'
        got = await engine.complete("doc", req(prefix, "\n</div>\n", "app/views/b/y.html.erb"))
        prompt = server.requests[-1]["prompt"]
        assert HINTS_PATH in prompt and 'data-action="search#go">' in prompt  # the retrieval fact reached it
        assert got is None or got.text != '="search#"'  # vetoed: never shown

        server.reply = '="search#submit"'
        got = await engine.complete("doc", req(prefix, "\n</div>\n", "app/views/b/y.html.erb"))
        assert got is not None and got.text == '="search#submit"' and got.source == "model"
    finally:
        engine.close()
        server.stop()
