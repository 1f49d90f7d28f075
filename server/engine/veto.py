"""Never show a suggestion that makes things worse.

A candidate is dropped when it only repeats the text after the cursor, is a model's loop (`<<<<<<<<`),
restarts the line it is in (a `<%= …` after `<%= turbo_frame_tag `), switches language (ERB in a `.js`
file), or when the line with the suggestion inserted gains an error-level finding of the in-process rules
(no Ruby, no Herb: fast).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from hotwire_assist.server.engine.cursor import Candidate, Cursor

_ERB_TAG = re.compile(r"<%|%>")
_HTML_TAG = re.compile(r"</?[a-z][\w-]*[\s>]")
# A unit of 1-3 characters eight times over (`<<<<<<<<`, `))))))))`, `abababab…`): a small model stuck in a
# loop. Rules, banners and ellipses made of `- = * # _ / ~ .` are code people write, and stay.
_STUTTER = re.compile(r"(\S{1,3}?)\1{7,}")
_RULE_CHARS = frozenset("-=*#_/~.")


def why_not(text: str, cursor: Cursor) -> str | None:
    """The reason a suggestion must not be shown, or None (cheap checks, no parsing)."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if cursor.suffix.lstrip().startswith(stripped):
        return "repeats the text after the cursor"
    if any(not set(m.group(1)) <= _RULE_CHARS for m in _STUTTER.finditer(stripped)):
        return "a loop, not code"
    lp = cursor.line_prefix.strip()
    first = text.split("\n", 1)[0].strip()
    if lp and first and len(lp) > 3 and first.startswith(lp):
        return "restarts the line"
    if lp.startswith("<%") and "%>" not in lp and first.startswith("<%"):
        return "opens an ERB tag inside an open one"
    if len(stripped) == 1 and stripped.isalnum():
        return "a single letter"
    if lp and _CLOSERS_ONLY.fullmatch(first) and not _opens(lp, first):
        return "only closes a block the line did not open"
    if _in_open_tag(lp) and re.match(r"<[A-Za-z/!]", first):
        return "starts an element inside an open tag"
    if cursor.kind == "erb" and _in_code(lp, cursor.kind) and re.match(r"\s*<[A-Za-z/]", text):
        return "HTML inside an ERB tag's Ruby"
    if re.search(r"[\w)\]]\.$", lp) and _in_code(lp, cursor.kind) and not re.match(r"[A-Za-z_$]", text):
        return "calls no method after the `.`"
    if cursor.kind in ("js", "ruby") and _ERB_TAG.search(text):
        return "ERB in a non-ERB file"
    if cursor.kind == "ruby" and _HTML_TAG.search(text) and not re.search(r"[\"'%]", text):
        return "HTML in a Ruby file"
    return None


_CLOSERS_ONLY = re.compile(r"[)\]}]+[;,]?|end|<%-?\s*end\s*-?%>|</[\w-]+>")
_PAIRS = {")": "(", "]": "[", "}": "{"}
_ERB_SEGMENT = re.compile(r"<%.*?%>")


def _opens(lp: str, closer: str) -> bool:
    """Whether the line before the cursor opened what `closer` closes (`{` for `}`, a tag for `</tag>`,
    a block for `end`)."""
    if closer[0] in _PAIRS:
        return lp.count(_PAIRS[closer[0]]) > lp.count(closer[0])
    if closer.startswith("</"):
        return f"<{closer[2:-1]}" in lp
    return bool(
        re.search(r"\b(?:do|then)\b|\|\s*$|^(?:<%-?=?\s*)?(?:if|unless|def|class|module|case|while|until|begin)\b", lp)
    )


def _in_open_tag(lp: str) -> bool:
    """The cursor is among an HTML tag's attributes (`<button class="x" data-action`): ERB aside."""
    html = _ERB_SEGMENT.sub("", lp)
    start = max(html.rfind("<"), -1)
    return start >= 0 and re.match(r"<[A-Za-z]", html[start:]) is not None and ">" not in html[start:]


def _in_code(lp: str, kind: str) -> bool:
    """The cursor is in Ruby or JavaScript (a code file, or inside an ERB tag of a template)."""
    if kind in ("ruby", "js"):
        return True
    return kind == "erb" and lp.rfind("<%") > lp.rfind("%>")


def _error_rules(path: str, text: str, line: int, index, whole: bool = True) -> set[str]:
    """Error-level rules found on `line`. A window cut from a longer buffer (`whole` False) can split a
    block, and a parser then blames the cursor's line for it: syntax findings count only on a whole buffer."""
    from hotwire_assist.core.rules import check_source

    return {
        f.rule
        for f in check_source(path, text, index, external=False)
        if f.severity == "error"
        and f.line - 1 <= line <= f.end_line - 1
        and (whole or not f.rule.startswith("syntax/"))
    }


WINDOW_LINES = 15  # the rules check reads this many lines either side of the cursor, so its cost stays flat


def _window(cursor: Cursor, text: str) -> tuple[str, str, int, bool]:
    """(prefix, suffix, cursor line, whole buffer?) of the buffer cut to WINDOW_LINES either side, `text`
    inserted."""
    before = cursor.prefix.split("\n")
    after = (text + cursor.suffix).split("\n")
    head = before[-(WINDOW_LINES + 1) :]
    tail = after[: WINDOW_LINES + 1 + text.count("\n")]
    whole = len(head) == len(before) and len(tail) == len(after)
    return "\n".join(head), "\n".join(tail), len(head) - 1, whole


def _line_errors(text: str, cursor: Cursor, path: str, index) -> set[str]:
    """Error-level rules on the cursor's line of the window with `text` inserted."""
    head, tail, line, whole = _window(cursor, text)
    return _error_rules(path, head + tail, line, index, whole)


def gains_error(
    text: str,
    cursor: Cursor,
    index=None,
    full_path: str | None = None,
    before: Callable[[], set[str]] | None = None,
) -> bool:
    """Whether inserting `text` gives the cursor's line an error-level rules finding it did not have. The
    line without it (`before`, computed when not given) is checked only when the line with it has an error."""
    path = full_path or cursor.path
    try:
        after = _line_errors(text, cursor, path, index)
        return bool(after and after - (before() if before else _line_errors("", cursor, path, index)))
    except Exception:  # a rules bug must not hide every suggestion, nor take the server down
        return False


def allowed(
    candidates: list[Candidate], cursor: Cursor, index=None, full_path: str | None = None, limit: int = 3
) -> list[Candidate]:
    """Up to `limit` candidates that pass the veto, in order (each rules check parses a window of the
    buffer once; the window without a suggestion at most once, and only when a suggestion's has an error)."""
    path = full_path or cursor.path
    before = functools.cache(lambda: _line_errors("", cursor, path, index))
    out: list[Candidate] = []
    for c in candidates:
        if len(out) >= limit:
            break
        if why_not(c.text, cursor) or gains_error(c.text, cursor, index, path, before):
            continue
        out.append(c)
    return out
