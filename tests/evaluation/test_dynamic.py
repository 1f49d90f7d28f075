"""Dynamic checks: generated Turbo Streams and Stimulus controllers run with the real libraries in jsdom."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hotwire_assist.core.schemas import FileText
from hotwire_assist.evaluation import dynamic
from hotwire_assist.evaluation.dynamic import (
    Action,
    DynamicSampleError,
    Expectation,
    StimulusSample,
    TurboStreamSample,
    derive_samples,
    dynamic_available,
    read_samples,
    run_dynamic_checks,
)

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
UNAVAILABLE = dynamic_available(NODE_MODULES)
needs_node = pytest.mark.skipif(UNAVAILABLE is not None, reason=f"dynamic checks unavailable: {UNAVAILABLE}")

LIST = '<ul id="messages"><li id="m1">One</li><li id="m2">Two</li></ul><p id="flash"><em>old</em></p>'


def stream(action: str, target: str, content: str = "") -> str:
    template = f"<template>{content}</template>" if content else ""
    return f'<turbo-stream action="{action}" target="{target}">{template}</turbo-stream>'


def turbo(id_: str, markup: str, expect: list[Expectation], fixture: str = LIST) -> TurboStreamSample:
    return TurboStreamSample(id=id_, markup=markup, fixture_html=fixture, expect=expect)


HELLO = """import { Controller } from "@hotwired/stimulus"

export default class extends Controller {
  static targets = ["name", "output"]

  connect() {
    this.element.dataset.state = "connected"
  }

  greet() {
    this.outputTarget.textContent = `Hello, ${this.nameTarget.value}!`
  }
}
"""
HELLO_VIEW = """<div data-controller="hello">
  <input data-hello-target="name" type="text">
  <button data-action="click->hello#greet">Greet</button>
  <output data-hello-target="output"></output>
</div>"""
CONNECT_BODY = 'this.element.dataset.state = "connected"'
GREET = [Action(selector="input", event="input", value="Ada"), Action(selector="button", event="click")]


def hello(id_: str, source: str = HELLO, fixture: str = HELLO_VIEW, **kw) -> StimulusSample:
    return StimulusSample(id=id_, identifier="hello", controller_source=source, fixture_html=fixture, **kw)


SAMPLES = [
    turbo(
        "append",
        stream("append", "messages", '<li id="m3">Three</li>'),
        [
            Expectation(selector="#messages li", count=3),
            Expectation(selector="#messages li:last-child", text="Three"),
        ],
    ),
    turbo(
        "prepend",
        stream("prepend", "messages", '<li id="m0">Zero</li>'),
        [
            Expectation(selector="#messages li:first-child", text="Zero"),
        ],
    ),
    turbo(
        "replace",
        stream("replace", "m1", '<li id="m1" class="edited">Uno</li>'),
        [
            Expectation(selector="#m1.edited", text="Uno"),
            Expectation(selector="#messages li", count=2),
        ],
    ),
    turbo("remove", stream("remove", "m2"), [Expectation(selector="#m2", absent=True)]),
    turbo(
        "update",
        stream("update", "flash", "<strong>Saved</strong>"),
        [
            Expectation(selector="#flash strong", text="Saved"),
            Expectation(selector="#flash em", absent=True),
        ],
    ),
    turbo(
        "several",
        stream("remove", "m1") + stream("append", "messages", "<li>Four</li>"),
        [
            Expectation(selector="#messages li", count=2),
        ],
    ),
    turbo("refresh", '<turbo-stream action="refresh"></turbo-stream>', []),
    turbo(
        "morph_by_css_targets",
        '<turbo-stream action="update" method="morph" targets="li"><template><b>x</b></template></turbo-stream>',
        [Expectation(selector="#messages li b", count=2), Expectation(selector="#m1", text="x")],
    ),
    turbo(
        "wrong_expectation",
        stream("append", "messages", "<li>Three</li>"),
        [
            Expectation(selector="#messages li", count=2),
        ],
    ),
    turbo("unknown_action", stream("explode", "messages", "<li>x</li>"), []),
    turbo("stream_missing_target", stream("append", "nowhere", "<li>x</li>"), []),
    turbo("no_stream", "<div>not a stream</div>", []),
    turbo("no_template", '<turbo-stream action="append" target="messages"><li>x</li></turbo-stream>', []),
    hello(
        "hello",
        actions=GREET,
        expect=[
            Expectation(selector="output", text="Hello, Ada!"),
            Expectation(selector='[data-controller="hello"][data-state="connected"]'),
        ],
    ),
    hello("hello_wrong_expectation", actions=GREET, expect=[Expectation(selector="output", text="Goodbye")]),
    hello("syntax_error", source=HELLO.replace("greet() {", "greet( {")),
    hello("missing_target", fixture=HELLO_VIEW.replace(' data-hello-target="output"', "")),
    hello("throws_in_connect", source=HELLO.replace(CONNECT_BODY, 'throw new Error("boom")')),
    hello(
        "action_throws",
        source=HELLO.replace("this.outputTarget.textContent", "this.nopeTarget.textContent"),
        actions=GREET,
    ),
    hello(
        "fetches",
        source=HELLO.replace("greet() {", 'async greet() {\n    await fetch("/greetings")'),
        actions=GREET,
        expect=[Expectation(selector="output", text="Hello", absent=True)],
    ),
    hello("bad_import", source=HELLO.replace("@hotwired/stimulus", "@rails/request.js")),
    hello("not_a_controller", source="export default class Hello {}\n"),
    hello("no_element", fixture="<p>no controller here</p>"),
]


@pytest.fixture(scope="module")
def results() -> dict[str, dynamic.DynamicResult]:
    if UNAVAILABLE:
        pytest.skip(f"dynamic checks unavailable: {UNAVAILABLE}")
    out = run_dynamic_checks(SAMPLES, timeout_s=10, node_modules=NODE_MODULES)
    assert [r.id for r in out] == [s.id for s in SAMPLES]
    return {r.id: r for r in out}


@needs_node
@pytest.mark.parametrize("name", ["append", "prepend", "replace", "remove", "update", "several"])
def test_valid_streams_change_the_dom(results, name):
    r = results[name]
    assert r.ok, r.error
    assert r.error is None
    assert r.checks and all(r.checks.values())
    assert any(k.startswith("stream[0]") for k in r.checks)


@needs_node
def test_requests_are_noted_not_sent_and_do_not_leak_into_the_next_sample(results):
    assert results["refresh"].ok, results["refresh"].error
    after = results["morph_by_css_targets"]
    assert after.ok, after.error
    assert after.console == []  # the refresh's debounced visit did not land here
    r = results["fetches"]
    assert r.ok, r.error  # fetching is fine; the response never comes, so the output stays empty
    assert r.console == ["note: GET /greetings not sent (dynamic checks have no network)"]


@needs_node
def test_an_expectation_the_dom_does_not_meet_fails(results):
    r = results["wrong_expectation"]
    assert not r.ok
    assert r.checks["stream[0] append #messages"] is True
    assert r.checks["expect[0] #messages li count=2"] is False
    assert "expected 2, found 3" in r.error


@needs_node
def test_invalid_stream_action_fails_with_turbos_message(results):
    r = results["unknown_action"]
    assert not r.ok
    assert r.checks["stream[0] explode #messages"] is False
    assert "unknown action" in r.error


@needs_node
def test_stream_target_missing_from_the_page_fails(results):
    r = results["stream_missing_target"]
    assert not r.ok
    assert r.checks["stream[0] target #nowhere exists"] is False


@needs_node
def test_markup_without_a_stream_or_with_a_bad_template_fails(results):
    assert not results["no_stream"].ok
    assert "no <turbo-stream>" in results["no_stream"].error
    r = results["no_template"]
    assert not r.ok
    assert "template" in r.error


@needs_node
def test_working_controller_connects_resolves_targets_and_handles_the_action(results):
    r = results["hello"]
    assert r.ok, r.error
    for name in ("module loads", "connected", "target name", "target output", "action[1] click button"):
        assert r.checks[name] is True
    assert r.checks['expect[0] output text="Hello, Ada!"'] is True
    assert not results["hello_wrong_expectation"].ok


@needs_node
def test_controller_with_a_syntax_error_fails_with_its_location(results):
    r = results["syntax_error"]
    assert not r.ok
    assert r.checks == {"module loads": False}
    assert "SyntaxError" in r.error
    assert "hello_controller.js:11:" in r.error  # where the parser gives up, after `greet( {` on line 10


@needs_node
def test_missing_target_fails_with_a_message(results):
    r = results["missing_target"]
    assert not r.ok
    assert r.checks["connected"] is True
    assert r.checks["target name"] is True
    assert r.checks["target output"] is False
    assert 'data-hello-target="output"' in r.error


@needs_node
def test_errors_in_connect_and_in_actions_fail(results):
    r = results["throws_in_connect"]
    assert not r.ok
    assert r.checks["connected"] is False
    assert "connecting controller" in r.error and "boom" in r.error
    r = results["action_throws"]
    assert not r.ok
    assert r.checks["connected"] is True
    assert r.checks["action[1] click button"] is False
    assert "TypeError" in r.error and "hello_controller.js:11:" in r.error


@needs_node
def test_bad_modules_and_fixtures_fail_clearly(results):
    assert "@rails/request.js" in results["bad_import"].error
    assert results["not_a_controller"].checks["default export is a Controller"] is False
    assert 'no element with data-controller="hello"' in results["no_element"].error


@needs_node
def test_hung_samples_are_cut_and_the_batch_goes_on():
    """An endless loop (the runner terminates its worker) and a wait that never ends (the worker gives up)."""
    loop = hello("loop", source=HELLO.replace(CONNECT_BODY, "while (true) {}"))
    wait = hello("wait", source="await new Promise(() => {})\n" + HELLO)
    after = hello("after", actions=GREET, expect=[Expectation(selector="output", text="Hello, Ada!")])
    out = run_dynamic_checks([loop, wait, after], timeout_s=3, node_modules=NODE_MODULES)
    assert [r.ok for r in out] == [False, False, True], [r.error for r in out]
    assert "timed out after 3.0 s" in out[0].error
    assert "timed out after 3.0 s" in out[1].error


@needs_node
def test_a_batch_of_fifty_runs_in_one_node_process(monkeypatch):
    started: list[list[str]] = []
    real_popen = subprocess.Popen

    def counting_popen(cmd, *args, **kwargs):
        if str(dynamic.RUNNER) in cmd:
            started.append(cmd)
        return real_popen(cmd, *args, **kwargs)

    monkeypatch.setattr(dynamic.subprocess, "Popen", counting_popen)
    samples = [
        turbo(f"s{i}", stream("append", "messages", f"<li>n{i}</li>"), [Expectation(selector="li", text=f"n{i}")])
        if i % 2
        else hello(f"s{i}", actions=GREET, expect=[Expectation(selector="output", text="Hello, Ada!")])
        for i in range(50)
    ]
    seen = []
    out = run_dynamic_checks(samples, timeout_s=10, node_modules=NODE_MODULES, on_result=seen.append)
    assert len(started) == 1
    assert [r.id for r in out] == [s.id for s in samples] == [r.id for r in seen]
    assert all(r.ok for r in out), [r.error for r in out if not r.ok]


@needs_node
def test_samples_derived_from_generated_files_run():
    files = [
        FileText(
            path="app/views/messages/create.turbo_stream.erb",
            content=(
                '<turbo-stream action="append" target="messages"><template>'
                '<li id="message_9"><%= @message.body %></li></template></turbo-stream>\n'
                '<turbo-stream action="update" target="<%= dom_id(@room) %>"><template>x</template></turbo-stream>\n'
            ),
        ),
        FileText(path="app/views/messages/destroy.turbo_stream.erb", content=stream("remove", "message_1")),
        FileText(path="app/views/messages/index.turbo_stream.erb", content='<%= turbo_stream.remove "x" %>'),
        FileText(path="app/javascript/controllers/hello_controller.js", content=HELLO),
        FileText(
            path="app/views/messages/index.html.erb",
            content=(
                '<ul id="messages"><% @messages.each do |m| %><li id="message_1"><%= m.body %></li><% end %></ul>\n'
                + HELLO_VIEW.replace(' data-hello-target="name"', "")
            ),
        ),
    ]
    derived = derive_samples(files, id_prefix="t:")
    ids = [s.id for s in derived.samples]
    assert ids == [
        "t:app/views/messages/create.turbo_stream.erb",
        "t:app/views/messages/destroy.turbo_stream.erb",
        "t:app/javascript/controllers/hello_controller.js",
    ]
    assert any("ERB in its attributes" in n for n in derived.skipped)
    assert any("index.turbo_stream.erb: no literal" in n for n in derived.skipped)
    controller = derived.samples[2]
    assert controller.actions == [Action(selector='[data-action*="hello#greet"]', event="click")]
    out = run_dynamic_checks(derived.samples, timeout_s=10, node_modules=NODE_MODULES)
    assert all(r.ok for r in out), [r.error for r in out if not r.ok]
    create, destroy, ctrl = out
    assert create.checks['expect[0] [id="message_9"] count=1'] is True
    assert destroy.checks['expect[0] [id="message_1"] absent'] is True
    assert "target name" not in ctrl.checks  # stubbed: the view lacks it, and that is noted
    assert any("stubbed" in c for c in ctrl.console)


def test_bad_sample_lines_name_file_and_line(tmp_path):
    path = tmp_path / "samples.jsonl"
    good = turbo("a", stream("remove", "m1"), []).model_dump_json()
    path.write_text(good + "\n{oops\n")
    with pytest.raises(DynamicSampleError, match=r"samples\.jsonl:2: invalid JSON"):
        read_samples(path)
    path.write_text(good + '\n{"id": "b", "kind": "stimulus", "identifier": "Bad Name", "controller_source": ""}\n')
    with pytest.raises(DynamicSampleError, match=r"samples\.jsonl:2: identifier: String should match"):
        read_samples(path)
    path.write_text(good + "\n")
    assert [s.id for s in read_samples(path)] == ["a"]


def test_missing_packages_and_duplicate_ids_are_clear_errors(tmp_path):
    reason = dynamic_available(tmp_path)
    assert reason is not None and ("npm ci" in reason or "node" in reason.lower())
    twice = [turbo("same", stream("remove", "m1"), []), turbo("same", stream("remove", "m2"), [])]
    with pytest.raises(ValueError, match="duplicate dynamic sample id 'same'"):
        run_dynamic_checks(twice, node_modules=tmp_path)
    with pytest.raises(dynamic.DynamicUnavailable):
        run_dynamic_checks(twice[:1], node_modules=tmp_path)
