import asyncio
import threading
import time

from hotwire_assist.backends import BackendError, GenerationParams, until_stop
from hotwire_assist.core.config import Config
from hotwire_assist.core.hotwire import language_of
from hotwire_assist.core.request import CompletionRequest, build_request
from hotwire_assist.server.completion import CompletionEngine, TypeAheadCache, postprocess


def test_mid_line_stops_at_the_line_end_and_drops_what_the_line_already_has():
    assert postprocess('append "todos", @todo %>\n<% end %>', "<%= turbo_stream.", " %>\n", 8) == (
        'append "todos", @todo'
    )


def test_line_end_allows_a_block_up_to_a_blank_line_or_max_lines():
    raw = "  def create\n    @todo = Todo.new\n\n  def other\n"
    assert postprocess(raw, "class X\n", "\nend\n", 8) == "  def create\n    @todo = Todo.new"
    assert postprocess("a\nb\nc\nd\n", "", "", 2) == "a\nb"


def test_a_suggestion_that_abandons_the_line_being_written_is_dropped():
    assert postprocess("\n<%= render @todo %>", "<%= turbo_stream.", "\n", 8) == ""
    assert postprocess("\n  <%= render @todo %>", "<% @todos.each do |todo| %>\n", "\n", 8) == (
        "\n  <%= render @todo %>"
    )


def test_empty_whitespace_and_suffix_repeats_are_dropped():
    assert postprocess("   \n", "x", "", 8) == ""
    assert postprocess("<% end %>", "<% if a %>\n", "<% end %>\n", 8) == ""


def test_until_stop_cuts_across_chunk_borders_and_closes_the_source():
    closed = []

    def chunks():
        try:
            yield from ["ab<fi", "le_sep>cd", "never"]
        finally:
            closed.append(True)

    assert "".join(until_stop(chunks(), ["<file_sep>"])) == "ab"
    assert closed == [True]


def test_typed_ahead_hits_serve_the_rest_of_the_suggestion():
    cache = TypeAheadCache(64)
    cache.put("doc", "<%= turbo_stream.", " %>", 'append "todos"')
    assert cache.get("doc", "<%= turbo_stream.", " %>") == 'append "todos"'
    assert cache.get("doc", "<%= turbo_stream.app", " %>") == 'end "todos"'
    assert cache.get("doc", "<%= turbo_stream.rem", " %>") is None  # typed something else
    assert cache.get("doc", '<%= turbo_stream.append "todos"', " %>") is None  # nothing left
    assert cache.get("doc", "<%= turbo_stream.app", " X") is None  # suffix changed


def test_routing_by_path_beats_the_editors_language_id():
    assert language_of("/a/app/views/x.html.erb", "ruby") == "erb"
    assert language_of("/a/Gemfile", "") == "ruby"
    assert language_of("/a/x.unknown", "javascript") == "javascript"


class ScriptedBackend:
    """A backend that streams a fixed text slowly, for pipeline timing behaviour."""

    name = "scripted"
    model_id = "scripted"

    def __init__(self, text="hello world", delay=0.01, fail=None):
        self.text, self.delay, self.fail = text, delay, fail
        self.started = 0
        self.finished_early = 0

    def generate(self, prompt, params: GenerationParams, cancel: threading.Event):
        self.started += 1
        if self.fail:
            raise self.fail
        for ch in self.text:
            if cancel.is_set():
                self.finished_early += 1
                return
            time.sleep(self.delay)
            yield ch

    def health(self): ...
    def vocabulary_has(self, tokens):
        return None

    def close(self):
        pass


def req(prefix: str, suffix: str = "\n", path: str = "x.rb") -> CompletionRequest:
    return build_request(path, prefix + suffix, len(prefix), None)


def engine_with(backend, **completion):
    config = Config.model_validate({"completion": {"debounce_ms": 30, **completion}, "model": {"timeout_s": 2}})
    notes: list[str] = []
    return CompletionEngine(config, backend, notify=notes.append), notes


async def test_a_newer_request_cancels_the_older_one_which_is_never_shown():
    backend = ScriptedBackend(delay=0.02)
    engine, _ = engine_with(backend)
    first = asyncio.create_task(engine.complete("doc", req("a = ")))
    for _ in range(500):  # until the first is generating
        if backend.started:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    second = await engine.complete("doc", req("a = b"))
    assert await first is None
    assert second is not None and second.text == "hello world"
    assert backend.finished_early == 1


async def test_debounce_means_a_burst_starts_one_generation():
    backend = ScriptedBackend(delay=0.0)
    engine, _ = engine_with(backend)
    tasks = [asyncio.create_task(engine.complete("doc", req("x" * i))) for i in range(1, 10)]
    results = await asyncio.gather(*tasks)
    assert backend.started == 1
    assert [r is None for r in results] == [True] * 8 + [False]


async def test_backend_errors_are_reported_once_per_episode_then_recovery_is_announced():
    backend = ScriptedBackend(fail=BackendError("cannot reach Ollama", "Start it."))
    engine, notes = engine_with(backend, debounce_ms=0)
    for i in range(3):
        assert await engine.complete("doc", req(f"a{i}")) is None
    assert notes == ["hotwire-assist: cannot reach Ollama. Start it."]
    backend.fail = None
    assert (await engine.complete("doc", req("zz"))).text == "hello world"
    assert notes[-1] == "hotwire-assist: scripted is answering again."


async def test_a_slow_backend_times_out_and_the_server_answers_empty():
    backend = ScriptedBackend(delay=0.5)
    engine, notes = engine_with(backend, debounce_ms=0)
    engine.config.model.timeout_s = 0.3
    assert await engine.complete("doc", req("a")) is None
    assert "took longer than 0.3 s" in notes[0]


async def test_a_prompt_too_long_for_the_model_is_rebuilt_to_fit():
    from hotwire_assist.backends.base import PromptTooLong

    class SmallContext(ScriptedBackend):
        """Accepts prompts of at most 300 characters, as a model with a short context would."""

        def generate(self, prompt, params, cancel):
            if len(prompt) > 300:
                raise PromptTooLong(len(prompt), 300)
            yield from super().generate(prompt, params, cancel)

    backend = SmallContext(delay=0.0)
    engine, notes = engine_with(backend, debounce_ms=0)
    prefix = "".join(f"line {i}\n" for i in range(60))  # well under prompt_chars, well over the context
    assert (await engine.complete("doc", req(prefix))).text == "hello world"
    assert notes == []


async def test_typing_faster_than_the_debounce_still_starts_one_generation():
    backend = ScriptedBackend(delay=0.0)
    engine, _ = engine_with(backend, debounce_ms=20)
    tasks = []
    for i in range(1, 15):  # a keystroke every 40 ms, twice the configured debounce
        tasks.append(asyncio.create_task(engine.complete("doc", req("x" * i))))
        await asyncio.sleep(0.04)
    results = await asyncio.gather(*tasks)
    assert backend.started <= 2
    assert results[-1] is not None and all(r is None for r in results[1:-1])  # the first ran before typing
