"""The completion engine puts the related-file context into the prompt it sends the model."""

from __future__ import annotations

import threading
from pathlib import Path

from hotwire_assist.backends import GenerationParams
from hotwire_assist.core.appindex import index_app
from hotwire_assist.core.config import Config
from hotwire_assist.core.context import ContextCache
from hotwire_assist.server.app import HotwireServer
from hotwire_assist.server.completion import CompletionEngine

INTEL = Path(__file__).resolve().parents[1] / "fixtures" / "intel_app"


class RecordingBackend:
    name = model_id = "recording"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def generate(self, prompt: str, params: GenerationParams, cancel: threading.Event):
        self.prompts.append(prompt)
        yield 'append "project_tasks", @task'

    def close(self) -> None:
        pass


async def test_the_servers_context_reaches_the_prompt():
    server = HotwireServer()
    server.root, server.index = INTEL, index_app(INTEL)
    server.context = ContextCache(None, 1500)
    backend = RecordingBackend()
    config = Config()
    config.completion.debounce_ms = 0
    engine = CompletionEngine(config, backend)
    engine.context_provider = server.prompt_context
    s = await engine.complete("doc", "<%= turbo_stream.", " %>\n", "app/views/tasks/create.turbo_stream.erb")
    assert s is not None and s.text == 'append "project_tasks", @task'
    prompt = backend.prompts[0]
    controller = prompt.index("app/controllers/tasks_controller.rb")
    assert "class TasksController" in prompt and controller < prompt.index("app/views/tasks/create.turbo_stream.erb")
    engine.close()
    assert server.prompt_context("app/views/none.html.erb", "") == []  # unknown file: no neighbours
