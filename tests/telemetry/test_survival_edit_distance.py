"""Survival is edit distance over the accepted region: a rewritten line no longer counts as kept (issue 19)."""

from __future__ import annotations

from difflib import SequenceMatcher

from hotwire_assist.server.telemetry import current_region, survival

PREFIX = "<% @todos.each do |todo| %>\n  <%= render todo %>\n"
ACCEPTED = "end\nend"
SUFFIX = "\n</ul>\n"


def _overlap(accepted: str, region: str) -> float:
    """The old measure: characters of the accepted text found, in order, in the region."""
    blocks = SequenceMatcher(None, accepted, region, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) / len(accepted)


def test_a_rewritten_line_scores_low_though_its_letters_are_still_there():
    rewritten = PREFIX + "<% end %>\n<%= paginate @todos %>" + SUFFIX
    region = current_region(PREFIX, SUFFIX, ACCEPTED, rewritten)
    assert region == "<% end %>\n<%= paginate @todos %>"
    assert _overlap(ACCEPTED, region) > 0.8  # what character overlap called "survived"
    assert survival(PREFIX, SUFFIX, ACCEPTED, rewritten) < 0.35


def test_kept_text_scores_one_and_small_edits_stay_high():
    assert survival(PREFIX, SUFFIX, ACCEPTED, PREFIX + ACCEPTED + SUFFIX) == 1.0
    assert (
        survival(PREFIX, SUFFIX, "<%= link_to todo.title, todo %>", PREFIX + "<%= link_to todo.name, todo %>" + SUFFIX)
        > 0.8
    )


def test_when_the_neighbours_are_gone_the_nearest_part_of_the_old_place_is_measured():
    suggestion = '<%= turbo_frame_tag "todos" do %>'
    text = "something else entirely\n" + suggestion.replace("todos", "items") + "\nmore"
    assert current_region("zzz-not-there", "qqq-not-there", suggestion, text) == suggestion.replace("todos", "items")
    assert 0.8 < survival("zzz-not-there", "qqq-not-there", suggestion, text) < 1.0
