"""Hover and go-to-definition for the names the app index knows: Stimulus controllers (and their
action methods) and Turbo Frame ids. Pure functions over the text of one line and the index."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hotwire_assist.core.appindex import AppIndex, StimulusController, ids_overlap, read_text
from hotwire_assist.server.hotwire_completions import describe_controller

_TOKEN = re.compile(r"[\w\-#>]+")


@dataclass(frozen=True)
class Location:
    path: str
    line: int  # 0-based, as LSP counts


@dataclass
class Symbol:
    kind: str  # controller | frame
    name: str
    controller: StimulusController | None = None
    method: str = ""
    frames: list[Location] = field(default_factory=list)


def token_at(line: str, character: int) -> str:
    """The `[\\w-#>]+` run under the cursor (a descriptor such as `click->todo-form#count` stays whole)."""
    for m in _TOKEN.finditer(line):
        if m.start() <= character <= m.end():
            return m.group(0)
    return ""


def _controller_named(token: str, index: AppIndex) -> StimulusController | None:
    """`todo-form`, `data-todo-form-target`, `todo_form_target` -> the `todo-form` controller."""
    known = index.stimulus_controllers
    for candidate in (token, token.replace("_", "-")):
        name = candidate.removeprefix("data-")
        if name in known:
            return known[name]
        prefixes = [k for k in known if name.startswith(k + "-")]
        if prefixes:
            return known[max(prefixes, key=len)]
    return None


def symbol_at(line: str, character: int, index: AppIndex | None) -> Symbol | None:
    """What the name under the cursor refers to, or None when the index does not know it."""
    token = token_at(line, character)
    if not token or index is None:
        return None
    descriptor = token.rsplit("->", 1)[-1]
    if "#" in descriptor:
        ident, _, method = descriptor.partition("#")
        ctrl = index.stimulus_controllers.get(ident)
        if ctrl is not None:
            return Symbol("controller", ident, ctrl, method if method in ctrl.actions else "")
    ctrl = _controller_named(token, index)
    if ctrl is not None:
        return Symbol("controller", ctrl.identifier, ctrl)
    frames = [f for f in index.frames if f.id == token] or [
        f for f in index.frames if "*" in f.id and f.id != "*" and ids_overlap(f.id, token)
    ]
    if frames:
        return Symbol("frame", token, frames=[Location(f.file, max(0, f.line - 1)) for f in frames])
    return None


def _line_of(path: str, pattern: str) -> int:
    text = read_text(Path(path)) or ""
    m = re.search(pattern, text, re.M)
    return text.count("\n", 0, m.start()) if m else 0


def definitions(symbol: Symbol) -> list[Location]:
    """Where a symbol is defined: the controller file (at the method, when one is named) or each frame."""
    if symbol.kind == "frame":
        return symbol.frames
    assert symbol.controller is not None
    path = symbol.controller.path
    if symbol.method:
        return [Location(path, _line_of(path, rf"^[ \t]+(?:async\s+)?{re.escape(symbol.method)}\s*[(=]"))]
    return [Location(path, _line_of(path, r"^export\s+default\s+class|^\s*class\s"))]


def hover_markdown(symbol: Symbol, index: AppIndex) -> str:
    if symbol.kind == "frame":
        where = ", ".join(f"`{index.rel(loc.path)}:{loc.line + 1}`" for loc in symbol.frames)
        return f"**Turbo Frame `{symbol.name}`** — defined in {where}"
    assert symbol.controller is not None
    text = describe_controller(symbol.controller, index.rel(symbol.controller.path))
    if symbol.method:
        text = f"Action `{symbol.method}` of\n\n" + text
    return text
