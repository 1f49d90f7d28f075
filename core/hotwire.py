"""Hotwire and Rails facts several rooms need, defined once: Stimulus's default events, Turbo Stream actions,
the code files we complete and train on, which language a file is, and where Hotwire ghost text matters."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

# Stimulus's default event per element when an action descriptor names none (the "event shorthand" table of
# https://stimulus.hotwired.dev/reference/actions); any other element listens to `click`.
STIMULUS_DEFAULT_EVENTS = {
    "a": "click",
    "button": "click",
    "details": "toggle",
    "form": "submit",
    "input": "input",
    "select": "change",
    "textarea": "input",
}


def stimulus_default_event(tag: str, input_type: str | None = None) -> str:
    """The event `data-action="ctrl#method"` listens to on `<tag>` (`<input type=submit>`: click)."""
    tag = tag.lower()
    if tag == "input" and (input_type or "").lower() == "submit":
        return "click"
    return STIMULUS_DEFAULT_EVENTS.get(tag, "click")


# Turbo Stream actions (Turbo 8 adds morph and refresh); all but remove and refresh carry a template.
TURBO_STREAM_ACTIONS = ("append", "prepend", "replace", "update", "remove", "before", "after", "morph", "refresh")
TURBO_STREAM_CONTENT_ACTIONS = frozenset(TURBO_STREAM_ACTIONS) - {"remove", "refresh"}

# Suffix -> the language the completion engine, training and evaluation treat a file as.
LANGUAGE_BY_SUFFIX = {
    ".erb": "erb",
    ".rb": "ruby",
    ".rake": "ruby",
    ".jbuilder": "ruby",
    ".js": "javascript",
    ".mjs": "javascript",
    ".ts": "typescript",
}
CODE_SUFFIXES = tuple(LANGUAGE_BY_SUFFIX)  # the code files we complete in, train on and check for contamination
RUBY_FILE_NAMES = ("Gemfile", "Rakefile")


def language_of(path: str, language_id: str = "") -> str:
    """Route by file name first: stock VS Code calls `.html.erb` files `ruby` (or `html`)."""
    name = PurePosixPath(str(path).replace("\\", "/")).name
    if name in RUBY_FILE_NAMES:
        return "ruby"
    return LANGUAGE_BY_SUFFIX.get(PurePosixPath(name).suffix, language_id)


# Where a Rails developer's ghost text matters most: right after one of these on a line, the rest of the line.
# The completion benchmark, evaluation's marker holes, `model adapt`'s gate and its training items cut there.
HOTWIRE_MARKERS = (
    "data-controller",
    "data-action",
    "static targets",
    "static values",
    "turbo_frame_tag",
    "turbo_stream.",
    "turbo_stream_from",
    "respond_to",
    "format.turbo_stream",
    "broadcasts",
)
# `respond_to?` is Ruby's method check, not a Hotwire block; `turbo_stream_from` is not `turbo_stream.`
MARKER_RE = re.compile(
    "|".join(
        re.escape(m) + (r"(?![?\w])" if m == "respond_to" else r"(?![\w-])" if m[-1].isalnum() else "")
        for m in sorted(HOTWIRE_MARKERS, key=len, reverse=True)
    )
)


def marker_cuts(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of every marker hole in `text`: from right after the first marker on a line to
    the end of that line; a line that ends at its marker has nothing to complete."""
    out, start = [], 0
    for line in text.split("\n"):
        m = MARKER_RE.search(line)
        if m is not None and line[m.end() :].strip():
            out.append((start + m.end(), start + len(line)))
        start += len(line) + 1
    return out
