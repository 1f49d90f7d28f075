"""Completion items from the app index: instant, deterministic, no model.

`index_completions(before, index, document)` looks at the text before the cursor, decides which
Hotwire context the cursor is in (a `data-controller` value, a `data-action` descriptor, a
`turbo_stream.` call, a frame id ...) and returns the names the app defines for it. No LSP types here:
`to_lsp_items` turns them into completion items that replace the word being typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lsprotocol import types

from hotwire_assist.core.appindex import STREAM_DIRECTIVES, AppIndex, StimulusController, dasherize
from hotwire_assist.core.hotwire import stimulus_default_event

LOOKBEHIND = 600  # chars before the cursor that can hold the opening of the attribute being written
LIFECYCLE = {"initialize", "connect", "disconnect"}
FRAME_KEYWORDS = ("_top", "_self")


@dataclass(frozen=True)
class IndexItem:
    label: str
    kind: str  # controller | target | action | value | frame | stream-action | stream-target
    detail: str = ""
    documentation: str = ""
    insert: str | None = None  # the text put in, when it is not the label (a quoted frame id)


@dataclass(frozen=True)
class IndexCompletions:
    word: str  # what the user has typed of the item: the handler replaces it
    items: list[IndexItem]


_Q = r"[\"']"  # an opening quote
_DATA_HASH = re.compile(r"data:\s*\{[^{}]*$")  # the cursor is inside a helper's `data: { ... }`
_VALUE = r"(?:=|:|=>)\s*" + _Q


def _last_word(value: str, seps: str = r"\s") -> str:
    return re.split(seps, value)[-1]


def index_completions(before: str, index: AppIndex | None, document: str = "") -> IndexCompletions | None:
    """The index items for a cursor whose preceding text is `before`; None outside every known context."""
    if index is None:
        return None
    before = before[-LOOKBEHIND:]
    for matcher in _MATCHERS:
        found = matcher(before, index, document)
        if found is not None:
            return found
    return None


_KINDS = {
    "controller": types.CompletionItemKind.Class,
    "target": types.CompletionItemKind.Field,
    "action": types.CompletionItemKind.Method,
    "value": types.CompletionItemKind.Property,
    "frame": types.CompletionItemKind.Reference,
    "stream-action": types.CompletionItemKind.Function,
    "stream-target": types.CompletionItemKind.Reference,
}


def to_lsp_items(found: IndexCompletions, position: types.Position) -> list[types.CompletionItem]:
    """Completion items replacing the word typed so far (clients filter them by it)."""
    start = types.Position(position.line, max(0, position.character - len(found.word)))
    where = types.Range(start, position)
    return [
        types.CompletionItem(
            label=it.label,
            kind=_KINDS.get(it.kind, types.CompletionItemKind.Text),
            detail=it.detail or None,
            documentation=types.MarkupContent(types.MarkupKind.Markdown, it.documentation)
            if it.documentation
            else None,
            sort_text=f"1{n:04d}",  # index items after the model's suggestion ("0"), in our order
            filter_text=it.label if it.insert is None else it.insert,
            text_edit=types.TextEdit(where, it.label if it.insert is None else it.insert),
        )
        for n, it in enumerate(found.items)
    ]


# --- Stimulus ---------------------------------------------------------------------------------------


def _controllers_in_scope(index: AppIndex, document: str) -> list[StimulusController]:
    """Controllers the document declares (`data-controller` / `controller:`), else every controller."""
    known = index.stimulus_controllers
    named = set()
    for m in re.finditer(r"(?:data-controller=|controller[\"']?\s*(?::|=>))\s*[\"']([^\"']*)", document):
        named.update(m.group(1).split())
    scoped = [known[n] for n in sorted(named) if n in known]
    return scoped or [known[k] for k in sorted(known)]


def _controller_items(index: AppIndex) -> list[IndexItem]:
    ctrls = index.stimulus_controllers
    items = [
        IndexItem(k, "controller", index.rel(c.path), describe_controller(c, index.rel(c.path)))
        for k, c in sorted(ctrls.items())
    ]
    items += [
        IndexItem(r, "controller", "registered controller") for r in sorted(index.known_controller_ids - set(ctrls))
    ]
    return items


def describe_controller(c: StimulusController, path: str = "") -> str:
    """Markdown summary of a Stimulus controller (completion docs and hover share it)."""
    lines = [f"**Stimulus controller `{c.identifier}`** — `{path or c.path}`"]
    for title, names in (
        ("targets", c.targets),
        ("values", [f"{k}: {v}" for k, v in c.values.items()]),
        ("classes", c.classes),
        ("outlets", c.outlets),
        ("actions", [a for a in c.actions if a not in LIFECYCLE]),
    ):
        if names:
            lines.append(f"- {title}: " + ", ".join(f"`{n}`" for n in names))
    return "\n".join(lines)


def _match_controller(before: str, index: AppIndex, document: str) -> IndexCompletions | None:
    m = re.search(r"data-controller=" + _Q + r"([^\"']*)$", before)
    if m is None and _DATA_HASH.search(before):
        m = re.search(r"\bcontroller[\"']?\s*(?::|=>)\s*" + _Q + r"([^\"']*)$", before)
    if m is None:
        return None
    return IndexCompletions(_last_word(m.group(1)), _controller_items(index))


def _match_target(before: str, index: AppIndex, document: str) -> IndexCompletions | None:
    m = re.search(r"data-([\w-]+?)-target=" + _Q + r"([^\"']*)$", before)
    if m is None and _DATA_HASH.search(before):
        m = re.search(r"[\"']?([\w-]+?)[-_]target[\"']?\s*(?::|=>)\s*" + _Q + r"([^\"']*)$", before)
    if m is None:
        return None
    ctrl = index.stimulus_controllers.get(m.group(1).replace("_", "-"))
    if ctrl is None:
        return IndexCompletions(_last_word(m.group(2)), [])
    items = [
        IndexItem(t, "target", f"{ctrl.identifier} target", describe_controller(ctrl, index.rel(ctrl.path)))
        for t in ctrl.targets
    ]
    return IndexCompletions(_last_word(m.group(2)), items)


def _element_event(before: str) -> str:
    tag = re.findall(r"<([a-zA-Z][\w-]*)", before)
    name = tag[-1].lower() if tag else ""
    if re.search(r"form_with|form_for|button_to", before.rsplit("<%", 1)[-1]):
        name = "form"
    return stimulus_default_event(name)


def _match_action(before: str, index: AppIndex, document: str) -> IndexCompletions | None:
    m = re.search(r"data-action=" + _Q + r"([^\"']*)$", before)
    if m is None and _DATA_HASH.search(before):
        m = re.search(r"\baction[\"']?\s*(?::|=>)\s*" + _Q + r"([^\"']*)$", before)
    if m is None:
        return None
    word = _last_word(m.group(1))
    event = word.split("->", 1)[0] if "->" in word else _element_event(before)
    items: list[IndexItem] = []
    for c in _controllers_in_scope(index, document):
        for a in c.actions:
            if a in LIFECYCLE or a.endswith(("Connected", "Disconnected", "Changed")):
                continue
            descriptor = f"{c.identifier}#{a}"
            doc = describe_controller(c, index.rel(c.path))
            if "->" in word:
                items.append(IndexItem(f"{event}->{descriptor}", "action", index.rel(c.path), doc))
            else:
                items.append(IndexItem(descriptor, "action", f"{c.identifier} action (default event)", doc))
                items.append(IndexItem(f"{event}->{descriptor}", "action", index.rel(c.path), doc))
    return IndexCompletions(word, items)


def _match_stimulus_attribute(before: str, index: AppIndex, document: str) -> IndexCompletions | None:
    """Attribute names: `data-todo-form-` -> data-todo-form-target, data-todo-form-max-length-value, ..."""
    m = re.search(r"<[a-zA-Z][^<>]*\s(data-[\w-]*)$", before)
    if m is None or _inside_quotes(before[m.start() :]):
        return None
    items = []
    for c in _controllers_in_scope(index, document):
        p = f"data-{c.identifier}-"
        if c.targets:
            items.append(IndexItem(p + "target", "target", " | ".join(c.targets)))
        items += [
            IndexItem(f"{p}{dasherize(k)}-value", "value", f"{c.identifier} value: {v}") for k, v in c.values.items()
        ]
        items += [IndexItem(f"{p}{dasherize(k)}-class", "value", f"{c.identifier} class") for k in c.classes]
        items += [IndexItem(f"{p}{o}-outlet", "value", f"{c.identifier} outlet") for o in c.outlets]
    return IndexCompletions(m.group(1), items)


def _inside_quotes(text: str) -> bool:
    return (text.count('"') % 2 == 1) or (text.count("'") % 2 == 1)


# --- Turbo ------------------------------------------------------------------------------------------


def _literal_ids(ids: Iterable[str]) -> list[str]:
    return sorted({i for i in ids if i and "*" not in i})


def _frame_items(index: AppIndex, keywords: bool = True, quote: str = "", symbols: bool = False) -> list[IndexItem]:
    """Frame ids the app defines (views, helpers, components). `keywords` adds `_top`/`_self`, which name a
    target frame but are no frame's id; `quote` wraps the inserted id; `symbols` keeps ids a symbol can spell."""
    where: dict[str, str] = {}
    for f in index.frames:
        if "*" not in f.id and f.id and f.id not in FRAME_KEYWORDS:
            where.setdefault(f.id, f"{index.rel(f.file)}:{f.line}")
    items = [
        IndexItem(i, "frame", f"turbo frame — {w}", insert=f"{quote}{i}{quote}" if quote else None)
        for i, w in sorted(where.items())
        if not symbols or re.fullmatch(r"[A-Za-z_]\w*", i)
    ]
    return items + [IndexItem(k, "frame", "Turbo keyword") for k in FRAME_KEYWORDS] if keywords else items


def _match_frame(before: str, index: AppIndex, document: str) -> IndexCompletions | None:
    if m := re.search(r"turbo_frame_tag\s*\(?\s*" + _Q + r"([\w-]*)$", before):  # an id: no _top/_self
        return IndexCompletions(m.group(1), _frame_items(index, keywords=False))
    if m := re.search(r"turbo_frame_tag\s*\(?\s*:(\w*)$", before):  # a symbol id
        return IndexCompletions(m.group(1), _frame_items(index, keywords=False, symbols=True))
    if re.search(r"turbo_frame_tag\s+$|turbo_frame_tag\($", before):  # nothing typed yet: quoted ids
        return IndexCompletions("", _frame_items(index, keywords=False, quote='"'))
    pats = [
        r"data-turbo-frame=" + _Q + r"([\w-]*)$",
        r"<turbo-frame\b[^<>]*\btarget=" + _Q + r"([\w-]*)$",
        r"turbo_frame_tag\b[^\n]*\btarget:\s*" + _Q + r"([\w-]*)$",
    ]
    if _DATA_HASH.search(before):
        pats.append(r"\bturbo_frame[\"']?\s*(?::|=>)\s*" + _Q + r"([\w-]*)$")
    for p in pats:
        if m := re.search(p, before):
            return IndexCompletions(m.group(1), _frame_items(index))
    return None


def _stream_actions(index: AppIndex) -> list[str]:
    return [*STREAM_DIRECTIVES, *sorted(index.custom_stream_actions - set(STREAM_DIRECTIVES))]


def _match_stream_action(before: str, index: AppIndex, document: str) -> IndexCompletions | None:
    m = re.search(r"\bturbo_stream\.(\w*)$", before) or re.search(
        r"<turbo-stream\b[^<>]*\baction=" + _Q + r"([\w-]*)$", before
    )
    if m is None:
        return None
    items = [IndexItem(a, "stream-action", "Turbo Stream action") for a in _stream_actions(index)]
    if before.endswith(m.group(0)) and m.group(0).startswith("turbo_stream"):
        items += [
            IndexItem(f"{a}_all", "stream-action", "Turbo Stream action (CSS selector)") for a in STREAM_DIRECTIVES
        ]
    return IndexCompletions(m.group(1), items)


def _match_stream_target(before: str, index: AppIndex, document: str) -> IndexCompletions | None:
    m = (
        re.search(r"\bturbo_stream\.\w+\s*\(?\s*[\"':]([\w-]*)$", before)
        or re.search(r"<turbo-stream\b[^<>]*\btarget=" + _Q + r"([\w-]*)$", before)
        or re.search(r"\bbroadcast_\w+\b[^\n]*\btarget:\s*[\"':]([\w-]*)$", before)
    )
    if m is None:
        return None
    where: dict[str, str] = {}
    for d in index.ids:
        if "*" not in d.id and d.id:
            where.setdefault(d.id, f"{index.rel(d.file)}:{d.line}")
    items = [IndexItem(i, "stream-target", f"element id — {w}") for i, w in sorted(where.items())]
    return IndexCompletions(m.group(1), items)


_Matcher = Callable[[str, AppIndex, str], IndexCompletions | None]
# Most specific first: a target attribute also looks like an attribute name being typed.
_MATCHERS: list[_Matcher] = [
    _match_stream_target,
    _match_stream_action,
    _match_frame,
    _match_target,
    _match_controller,
    _match_action,
    _match_stimulus_attribute,
]
