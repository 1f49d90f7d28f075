"""Facts several rooms use are defined once (core.hotwire) and every room answers alike."""

from __future__ import annotations

import pytest

from hotwire_assist.core.hotwire import CODE_SUFFIXES, TURBO_STREAM_ACTIONS, language_of, stimulus_default_event
from hotwire_assist.core.rules import stimulus as rules_stimulus

# The "event shorthand" table of https://stimulus.hotwired.dev/reference/actions
DOCS = [
    ("a", None, "click"),
    ("button", None, "click"),
    ("details", None, "toggle"),
    ("form", None, "submit"),
    ("input", None, "input"),
    ("input", "submit", "click"),
    ("select", None, "change"),
    ("textarea", None, "input"),
    ("div", None, "click"),
]


@pytest.mark.parametrize(("tag", "input_type", "event"), DOCS)
def test_stimulus_default_events_follow_the_docs_in_every_room(tag, input_type, event):
    from hotwire_assist.server.hotwire_completions import _element_event

    assert stimulus_default_event(tag, input_type) == event
    assert stimulus_default_event(tag.upper(), input_type) == event
    assert rules_stimulus.default_event(tag, input_type) == event  # the rules engine
    if input_type is None:  # the completion items see only the tag
        assert _element_event(f'<div>\n  <{tag} class="x" ') == event


def test_stream_actions_and_code_files_are_one_list():
    from hotwire_assist.core.appindex import STREAM_DIRECTIVES
    from hotwire_assist.core.rules.tag_helpers import STREAM_ACTIONS
    from hotwire_assist.evaluation.contamination import CODE_SUFFIXES as CONTAMINATION
    from hotwire_assist.training.corpus import CODE_SUFFIXES as CORPUS

    assert STREAM_DIRECTIVES is TURBO_STREAM_ACTIONS and STREAM_ACTIONS is TURBO_STREAM_ACTIONS
    assert CORPUS is CODE_SUFFIXES and CONTAMINATION is CODE_SUFFIXES
    assert {language_of(f"app/x{s}") for s in CODE_SUFFIXES} == {"erb", "ruby", "javascript", "typescript"}
    assert language_of("app/views/x.html.erb", "ruby") == "erb" and language_of("Gemfile") == "ruby"
