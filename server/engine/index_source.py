"""App-index candidates: what the app's structure says belongs at the cursor, deterministically.

Each rule looks at the cursor's line and answers only where the position says what belongs there:
- a Stimulus controller's `static targets` / `values` / `classes` / `outlets` from what its own code
  (`this.fooTarget`, `this.urlValue`) and the views (`data-<id>-foo-target`, `-value="…"` with the type read
  from the attribute's values) use, written in the app's own style;
- `// Connects to data-controller` in a controller file: its identifier;
- `data-controller` in a view: the controller whose targets and actions the element and its children use;
- `data-action` in a view: the enclosing controllers' methods (with the element's default event when the
  app writes it);
- `turbo_frame_tag` in a response view: the frame id of the view that requested it (`src:` / a link
  into the frame), its record made an instance variable;
- `turbo_stream.<action>` targets: the ids the views define; `respond_to` blocks; `broadcasts_to` names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from hotwire_assist.core.appindex import (
    AppIndex,
    dasherize,
    route_name,
    singularize,
    stimulus_identifier,
    view_name,
)
from hotwire_assist.core.hotwire import STIMULUS_DEFAULT_EVENTS, stimulus_default_event
from hotwire_assist.server.engine.cursor import Candidate, Cursor
from hotwire_assist.server.engine.retrieval import LineStore

LIFECYCLE = {"initialize", "connect", "disconnect", "constructor"}
_IDENT = r"[a-z0-9][\w-]*"
_TARGET_REF = re.compile(rf"data-({_IDENT}?)-target\b")  # `data-search-target=`: names `search`
_ACTION_REF = re.compile(rf"(?:->|[\s\"'])({_IDENT})#\w+")  # `click->search#go`, `"search#go`: names `search`


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _camel(kebab: str) -> str:
    parts = re.split(r"[-_]", kebab)
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def _ordered(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))


# --- style ------------------------------------------------------------------------------------------


def _app_lines(store: LineStore, word: str, limit: int = 400):
    """Up to `limit` of the app's own lines holding `word` (the curated examples are not its style)."""
    return [(f, n) for f, n in store.lines_with(word) if not f.curated][:limit]


def _list_style(store: LineStore, keyword: str, here: list[str] = ()) -> tuple[str, str, str]:
    """(quote, bracket padding, terminator) the app writes `static <keyword> = [...]` with; the file's own
    other one-line `static … = [...]` lists first (an app of several hands writes `["a"]` in one file and
    `[ "a" ]` in the next, each file consistently)."""
    pattern = r"static \w+\s*=\s*\[(\s*)([\"'])?.*\](;?)$"
    own = [m for line in here if (m := re.match(pattern, line.strip()))]
    if own:
        m = own[0]
        return m.group(2) or '"', m.group(1), m.group(3)
    quotes, pads, semis = Counter(), Counter(), Counter()
    for f, n in _app_lines(store, keyword):
        m = re.match(rf"static {keyword}\s*=\s*\[(\s*)([\"'])?.*\](;?)$", f.lines[n])
        if not m:
            continue
        pads[m.group(1)] += 1
        if m.group(2):
            quotes[m.group(2)] += 1
        semis[m.group(3)] += 1
    q = quotes.most_common(1)[0][0] if quotes else '"'
    pad = pads.most_common(1)[0][0] if pads else ""
    semi = semis.most_common(1)[0][0] if semis else ""
    return q, pad, semi


LINE_LIMIT = 100  # a declaration longer than this the app writes over several lines, if it ever does


def _multi_line_lists(store: LineStore, keyword: str) -> bool:
    """Whether the app writes some `static <keyword> = [` declarations over several lines."""
    return any(re.fullmatch(rf"static {keyword}\s*=\s*\[", f.lines[n]) for f, n in _app_lines(store, keyword))


def _format_list(names: list[str], style: tuple[str, str, str]) -> str:
    q, pad, semi = style
    if not names:
        return ""
    return "[" + pad + ", ".join(f"{q}{n}{q}" for n in names) + pad + "]" + semi


def _values_style(store: LineStore) -> tuple[list[tuple[int, bool, bool]], str, str]:
    """The app's `static values = {…}` declarations as (entries, multi-line, with a default), and the brace
    padding and terminator of its one-line ones."""
    decls: list[tuple[int, bool, bool]] = []
    single, semis = Counter(), Counter()
    for f, n in _app_lines(store, "values"):
        line = f.lines[n]
        if not line.startswith("static values"):
            continue
        if re.fullmatch(r"static values\s*=\s*\{", line):
            entries, default = 0, False
            for nxt in f.lines[n + 1 : n + 40]:
                if nxt.startswith("}"):
                    break
                entries += bool(re.match(r"[\"']?\w+[\"']?\s*:", nxt))
                default = default or "default:" in nxt
            decls.append((entries, True, default))
        elif m := re.match(r"static values\s*=\s*\{(\s*)(.*)\}(;?)$", line):
            single[m.group(1)] += 1
            semis[m.group(3)] += 1
            body = m.group(2)
            entries = len(re.findall(r"[\"']?\w+[\"']?\s*:\s*(?:\{|[A-Z])", body))
            decls.append((entries, False, "default:" in body))
    pad = single.most_common(1)[0][0] if single else " "
    semi = semis.most_common(1)[0][0] if semis else ""
    return decls, pad, semi


def _writes_multi_line(decls: list[tuple[int, bool, bool]], entries: int, defaults: bool) -> bool:
    """Whether the app would write a declaration of `entries` values (`defaults`: some need a default, being
    passed by no view) over several lines: as most of its declarations alike (with defaults or not, then of
    the same size) are written."""
    pool = [d for d in decls if d[2] == defaults] or decls
    same = [d for d in pool if d[0] == entries]
    pool = same if len(same) >= 2 else pool
    multi = sum(d[1] for d in pool)
    return multi > len(pool) - multi


_ENTRY_BELOW = {"{": re.compile(r"[\"']?[A-Za-z_$][\w$]*[\"']?\s*:"), "[": re.compile(r"[\"'][\w$-]*[\"'],?$")}


def _continues_below(cursor: Cursor, bracket: str) -> bool:
    """The declaration's entries follow on the next lines (`modal: { type: Boolean … },` under the cursor):
    the line ends with the opening bracket."""
    nxt = next((line.strip() for line in cursor.suffix.split("\n")[1:] if line.strip()), "")
    return bool(_ENTRY_BELOW[bracket].match(nxt))


# --- Stimulus controllers ---------------------------------------------------------------------------


def _view_lines(store: LineStore, word: str) -> list[str]:
    return [f.lines[n] for f, n in store.lines_with(word) if not f.curated and f.kind in ("erb", "ruby")]


def _attr_lines(store: LineStore, ident: str) -> list[str]:
    """View and helper lines naming one of `ident`'s attributes: `data-<ident>-…` or a `<ident>_…` hash key.
    An attribute is one word of the line store (`data-boost-delete-booster-id-value`), so by word prefix."""
    out: list[str] = []
    for start in (f"data-{ident}-", ident.replace("-", "_") + "_"):
        out += [
            f.lines[n]
            for f, n in store.lines_with_prefix(start, max_words=512)
            if not f.curated and f.kind in ("erb", "ruby")
        ]
    return list(dict.fromkeys(out))


def targets_for(ident: str, body: str, store: LineStore) -> list[str]:
    """Target names in use: the controller's own code first (in order of use), then the views."""
    used = [_lower_first(m.group(2)) if m.group(1) else m.group(2) for m in _TARGET_USE.finditer(body)]
    attr = f"data-{ident}-target"
    hash_key = ident.replace("-", "_") + "_target"
    from_views = []
    for line in _view_lines(store, attr) + _view_lines(store, hash_key):
        for m in re.finditer(rf"(?:{re.escape(attr)}=|{re.escape(hash_key)}[\"']?\s*(?::|=>)\s*)[\"']([^\"']*)", line):
            from_views.extend(m.group(1).split())
    return _ordered([*used, *from_views])


_TARGET_USE = re.compile(r"this\.(has)?([A-Za-z_$][\w$]*?)Targets?\b")
_VALUE_USE = re.compile(r"this\.(has)?([A-Za-z_$][\w$]*?)Value\b|\b([a-z][\w$]*?)ValueChanged\s*\(")


def values_for(ident: str, body: str, store: LineStore) -> tuple[dict[str, str], set[str]]:
    """Value names in use with their types, read from the values the views pass; and the names some view
    or helper passes (the others need a default)."""
    names = []
    for m in _VALUE_USE.finditer(body):
        names.append(_lower_first(m.group(2)) if m.group(1) else (m.group(2) or m.group(3)))
    types: dict[str, str] = {}
    attr = re.compile(rf"data-{re.escape(ident)}-([\w-]+)-value=([\"'])(.*?)\2")
    key = re.compile(rf"{re.escape(ident.replace('-', '_'))}_(\w+)_value[\"']?\s*(?::|=>)\s*(\S+?)(?=[,}}\s]|$)")
    for line in _attr_lines(store, ident):
        for m in attr.finditer(line):
            name = _camel(m.group(1))
            names.append(name)
            types.setdefault(name, _type_of(m.group(3)))
        for m in key.finditer(line):
            name = _camel(m.group(1))
            names.append(name)
            raw = m.group(2)  # Ruby: a string literal is a String whatever it holds
            types.setdefault(name, "String" if raw[:1] in "\"'" else _type_of(raw))
    passed = set(types)
    for name in names:
        types.setdefault(name, _type_from_use(name, body))
    return {n: types[n] for n in _ordered(names)}, passed


def _type_of(value: str) -> str:
    v = value.strip().strip("\"'")
    if v in ("true", "false") or re.search(r"\?\s*(?:%>)?$", v):
        return "Boolean"
    # an ERB tag's Ruby (`"<%= boost.booster.id %>"`) or a helper's hash value (`room.id`)
    if re.fullmatch(r"-?\d+(\.\d+)?", v) or re.search(
        r"(?:[._]id|\.to_i|\.to_f|\.count|\.size|\.length|_count|_at\.to_\w+)\s*(?:%>)?$", v
    ):
        return "Number"
    if v.startswith("[") or (v.endswith(".to_json") and "[" in v):
        return "Array"
    if v.startswith("{"):
        return "Object"
    return "String"


def _type_from_use(name: str, body: str) -> str:
    if re.search(rf"this\.{name}Value\s*(?:[<>*/-]|\+\s*\d|\.toFixed)", body):
        return "Number"
    if re.search(rf"this\.{name}Value\.(?:forEach|map|length|includes|filter)", body):
        return "Array"
    if re.search(rf"if \(!?this\.{name}Value\)|this\.{name}Value \?", body) and not re.search(
        r"(?:url|path|text|title|name|message|label)$", name, re.IGNORECASE
    ):
        return "Boolean"
    return "String"


def _after(lp: str, marker: str) -> str | None:
    """What follows `marker` at the end of the line prefix (None when the prefix does not end in it)."""
    i = lp.rfind(marker)
    if i < 0:
        return None
    return lp[i + len(marker) :]


def _complete(typed: str, full: str) -> str | None:
    """The part of `full` not yet typed, when `typed` is a start of it (spaces around `=` forgiven)."""
    if full.startswith(typed):
        return full[len(typed) :]
    a, b = re.sub(r"\s+", "", typed), re.sub(r"\s+", "", full)
    if b.startswith(a) and typed.strip():
        # typed "= [" for " = [ ..." : continue after the same number of non-space characters
        count, i = len(a), 0
        while count and i < len(full):
            if not full[i].isspace():
                count -= 1
            i += 1
        return full[i:]
    return None


def _stimulus_candidates(cursor: Cursor, store: LineStore) -> list[Candidate]:
    ident = stimulus_identifier(cursor.path)
    if ident is None:
        return []
    lp = cursor.line_prefix
    body = cursor.prefix[-4000:] + cursor.suffix
    out: list[Candidate] = []
    typed = _after(lp, "data-controller")
    if typed is not None and lp.lstrip().startswith(("//", "*", "/*")):
        # a comment naming or showing (`* <div data-controller=`) the element this controller connects to
        full = f'="{ident}">' if "<" in lp else f'="{ident}"'
        if (rest := _complete(typed, full)) is not None:
            out.append(Candidate(rest, "index", 0.95, f"this file is the `{ident}` controller"))
    for kw in ("targets", "classes", "outlets"):
        if (typed := _after(lp, f"static {kw}")) is None:
            continue
        if _continues_below(cursor, "["):
            if (rest := _complete(typed, " = [")) is not None:
                out.append(Candidate(rest, "index", 0.9, f"the {kw} are listed on the next lines"))
            continue
        if kw == "targets":
            names = targets_for(ident, body, store)
        else:
            names = _attr_names(ident, kw[:-2] if kw == "classes" else kw[:-1], body, store)
        if names:
            full = " = " + _format_list(names, _list_style(store, kw, cursor.other_lines))
            indent = len(lp) - len(lp.lstrip())
            if indent + len(f"static {kw}{full}") > LINE_LIMIT and _multi_line_lists(store, kw):
                full = " = ["
            if (rest := _complete(typed, full)) is not None:
                out.append(Candidate(rest, "index", 0.8, f"the {kw} this controller's code and views use"))
    if (typed := _after(lp, "static values")) is not None:
        if _continues_below(cursor, "{"):
            if (rest := _complete(typed, " = {")) is not None:
                out.append(Candidate(rest, "index", 0.9, "the values are declared on the next lines"))
            return out
        values, passed = values_for(ident, body, store)
        decls, pad, semi = _values_style(store)
        if values:
            full = " = {" + pad + ", ".join(f"{k}: {v}" for k, v in values.items()) + pad + "}" + semi
            defaults = any(k not in passed for k in values)
            if _writes_multi_line(decls, len(values), defaults) or len(lp) + len(full) > LINE_LIMIT:
                full = " = {"
            if (rest := _complete(typed, full)) is not None:
                out.append(Candidate(rest, "index", 0.7, "the values this controller's code and views use"))
    return out


def _attr_names(ident: str, kind: str, body: str, store: LineStore) -> list[str]:
    """Class or outlet names: `this.activeClass` / `this.fooOutlet` in the code, `data-<id>-<name>-<kind>` in views."""
    suffix = "Class" if kind == "class" else "Outlet"
    used = [m.group(1) for m in re.finditer(rf"this\.([A-Za-z_$][\w$]*?){suffix}e?s?\b", body)]
    attr = re.compile(rf"data-{re.escape(ident)}-([\w-]+)-{kind}\b")
    for line in _attr_lines(store, ident):
        used.extend(_camel(m.group(1)) if kind == "class" else m.group(1) for m in attr.finditer(line))
    return _ordered(used)


# --- views ------------------------------------------------------------------------------------------


def _element_uses(suffix: str, limit_lines: int = 40) -> Counter[str]:
    """Stimulus identifiers the element being written and its children reference (targets, actions)."""
    text = "\n".join(suffix.split("\n")[:limit_lines])
    found: Counter[str] = Counter()
    for m in _TARGET_REF.finditer(text):
        found[m.group(1)] += 2
    for m in _ACTION_REF.finditer(text):
        found[m.group(1)] += 1
    for m in re.finditer(r"\b(\w+?)_target[\"']?\s*(?::|=>)", text):
        found[m.group(1).replace("_", "-")] += 2
    return found


_DECLARED = re.compile(r"(?:data-controller=|\bcontroller[\"']?\s*(?::|=>)\s*)[\"']([^\"']*)[\"']")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _enclosing_controllers(prefix: str) -> list[str]:
    """Identifiers declared on the elements around the cursor (nearest first): the `data-controller` /
    `controller:` declarations before it, except those on an element that is already closed (a sibling's
    `<input data-controller="x">`, a `<%= f.text_area … data: { controller: "x" } %>` with no block)."""
    text = prefix[-6000:]
    out: list[str] = []
    for m in _DECLARED.finditer(text):
        if not _closed_before(text, m.start()):
            out.extend(m.group(1).split())
    return _ordered(reversed(out))


def _closed_before(text: str, at: int) -> bool:
    """Whether the element or ERB tag holding the declaration at `at` ends before the end of `text`: an ERB
    tag without a block ends at its `%>`; an HTML element at its matching close tag (or `/>`, or at once
    for a void element). Unsure (no tag start found) is open."""
    start = text.rfind("<", 0, at)
    while start > 0 and text.startswith("<%", start) and 0 <= text.find("%>", start) < at:
        start = text.rfind("<", 0, start)  # an ERB tag inside the element's attributes, closed already
    start = max(start, 0)
    if text.startswith("<%", start):
        end = text.find("%>", at)
        if end < 0:
            return False  # the cursor is inside the ERB tag
        return not re.search(r"\bdo\s*(?:\|[^|]*\|)?\s*-?$", text[start + 2 : end])
    m = re.match(r"<([a-zA-Z][\w-]*)", text[start:])
    if m is None:
        return False
    tag = m.group(1).lower()
    end = _tag_end(text, at)
    if end < 0:
        return False  # the cursor is inside this tag
    if tag in _VOID or text[end - 2 : end] == "/>":
        return True
    depth = 1
    for t in re.finditer(rf"<(/?){re.escape(tag)}\b", text[end:], re.IGNORECASE):
        depth += -1 if t.group(1) else 1
        if depth == 0:
            return True
    return False


def _tag_end(text: str, at: int) -> int:
    """The index just after the `>` closing the tag that holds `at` (ERB `<% … %>` and quoted values inside
    it skipped), or -1 when the tag is still open at the end of `text`."""
    i, quote = at, ""
    while i < len(text):
        if text.startswith("<%", i):
            j = text.find("%>", i)
            if j < 0:
                return -1
            i = j + 2
            continue
        ch = text[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == ">":
            return i + 1
        i += 1
    return -1


def _element_targets(lp: str) -> list[str]:
    """Controllers a target on the element being written names (`<button data-manual-payee-target="x"
    data-action=`): the element is inside their scope, and most likely wired to them."""
    element = lp[lp.rfind("<") :] if "<" in lp else lp
    return _ordered(m.group(1) for m in _TARGET_REF.finditer(element))


def _referenced_controllers(cursor: Cursor) -> list[str]:
    """Controllers the file's other lines name by a target or an action, commonest first: a partial
    rendered inside its controller's element shows no declaration, only these."""
    found: Counter[str] = Counter()
    for line in cursor.other_lines:
        for m in _TARGET_REF.finditer(line):
            found[m.group(1)] += 1
        for m in _ACTION_REF.finditer(line):
            found[m.group(1)] += 1
    return [i for i, _ in found.most_common()]


def _action_scope(cursor: Cursor, known: Iterable[str]) -> list[str]:
    """The controllers a new `data-action` here can reach, likeliest first: one the element's own target
    names, the declared enclosing ones (nearest first), else those the file's other lines use."""
    known = set(known)
    declared = [i for i in _enclosing_controllers(cursor.prefix) if i in known]
    mine = [i for i in _element_targets(cursor.line_prefix) if i in known]
    refs = [] if declared else [i for i in _referenced_controllers(cursor) if i in known]
    return _ordered([*mine, *declared, *refs])


def _view_candidates(cursor: Cursor, index: AppIndex | None, store: LineStore) -> list[Candidate]:
    lp = cursor.line_prefix
    out: list[Candidate] = []
    known = set(index.known_controller_ids) if index is not None else set()
    if (typed := _after(lp, "data-controller")) is not None and not _after(lp, "data-controller").strip(" =\"'"):
        uses = _element_uses(cursor.suffix if not cursor.mid_line else cursor.line_suffix)
        on_line = _element_uses(cursor.line_suffix)
        ranked = [i for i, _ in (uses + on_line).most_common() if not known or i in known]
        declared = set(_enclosing_controllers(cursor.prefix))
        ranked = [i for i in ranked if i not in declared] or ranked
        if ranked:
            ident = ranked[0]
            continues = _tag_continues(cursor.suffix)
            close = "" if cursor.mid_line or continues else ">"
            usual = _usual_rest(store, cursor.path, f'data-controller="{ident}"')
            if usual is not None and not cursor.mid_line and not continues:
                close = usual
            elif not cursor.mid_line and not continues and index is not None:
                close = _required_attributes(index, store, ident) + close
            if (rest := _complete(typed, f'="{ident}"{close}')) is not None:
                out.append(Candidate(rest, "index", 0.75, f"the element's children use `{ident}`"))
    if (typed := _after(lp, "data-action")) is not None and not typed.strip(" =\"'"):
        out.extend(_action_candidates(cursor, index, typed, store))
    return out


_EMPTY_VALUE = {"Array": "[]", "Object": "{}", "Number": "0"}


def _required_attributes(index: AppIndex, store: LineStore, ident: str) -> str:
    """The data attributes an element of a controller no other view declares must carry, as its code reads
    them (values filled in by the user): the classes it uses unchecked (Stimulus raises on a missing one) and
    the values it reads without a default or a `has…Value` check (` data-x-url-value=""`, an empty one of
    its type where `""` would not parse)."""
    controller = index.stimulus_controllers.get(ident)
    f = store.file(index.rel(controller.path)) if controller is not None else None
    if f is None:
        return ""
    body = "\n".join(f.lines)
    out = []
    for name in controller.classes:
        if not re.search(rf"this\.has{re.escape(name[:1].upper() + name[1:])}Class\b", body):
            out.append(f' data-{ident}-{dasherize(name)}-class=""')
    for name in controller.values:
        cap = re.escape(name[:1].upper() + name[1:])
        if re.search(rf"\b{re.escape(name)}\s*:\s*\{{[^}}]*\bdefault\s*:", body) or re.search(
            rf"this\.has{cap}Value\b", body
        ):
            continue
        if re.search(rf"this\.{re.escape(name)}Value\b", body):
            empty = _EMPTY_VALUE.get(controller.values[name], "")  # `""` is no Array: Stimulus's JSON.parse fails
            out.append(f' data-{ident}-{dasherize(name)}-value="{empty}"')
    return "".join(out)


def _open_tag(lp: str) -> str:
    m = re.findall(r"<([a-zA-Z][\w-]*)", lp)
    return m[-1].lower() if m else ""


def _input_type(lp: str) -> str | None:
    m = re.search(r"<input\b[^>]*?\btype=[\"']?(\w+)", lp)
    return m.group(1) if m else None


_EVENT = r"[\w:.@-]+"


def _wiring(store: LineStore, ident: str, path: str, tag: str) -> dict[str, Counter[str]]:
    """How the app's other files wire `ident`'s methods: method -> Counter of the descriptors written
    (`click->dialog#open:stop`, `dialog#open`), from every `data-action` and `action:` value; a use on
    the same kind of element as the cursor's counts 1, on another kind 1/4."""
    token = re.compile(rf"(?<![\w-])(?:({_EVENT})->)?{re.escape(ident)}#(\w+)((?::\w+)*)")
    out: dict[str, Counter[str]] = {}
    for f, n in store.lines_with(ident):
        if f.curated or f.rel == path or f.kind not in ("erb", "ruby"):
            continue
        line = f.lines[n]
        for m in token.finditer(line):
            same = _open_tag(line[: m.start()]) == tag
            out.setdefault(m.group(2), Counter())[m.group(0)] += 1.0 if same else 0.25
    return out


def _action_candidates(cursor: Cursor, index: AppIndex | None, typed: str, store: LineStore) -> list[Candidate]:
    """`data-action` on an element inside a controller: that controller's methods, those the app wires
    most first (a new button is usually for an action the app wires often), each written as the app
    writes it (its event and options) where that suits this element, else with the element's default
    event (Stimulus needs an explicit event where the element has none). Methods this view wires already
    come after the others: a second button for the same action is rarer than one for a new action."""
    if index is None:
        return []
    known = index.stimulus_controllers
    scope = _action_scope(cursor, known)[:2]
    text = cursor.prefix + cursor.suffix
    out: list[Candidate] = []
    tag = _open_tag(cursor.line_prefix)
    default = stimulus_default_event(tag, _input_type(cursor.line_prefix)) if tag else "click"
    has_default = tag in STIMULUS_DEFAULT_EVENTS
    close = "" if cursor.mid_line or _tag_continues(cursor.suffix) else ">"
    for rank_, ident in enumerate(scope):
        wired = _wiring(store, ident, cursor.path, tag)
        methods = [
            m
            for m in known[ident].actions
            if m not in LIFECYCLE
            and not m.startswith(("_", "#"))
            and not m.endswith(("Changed", "Connected", "Disconnected"))
        ]
        here = {m for m in methods if re.search(rf"(?<![\w-]){re.escape(ident)}#{re.escape(m)}\b", text)}
        total = sum(sum(c.values()) for c in wired.values()) or 1
        weight = {m: sum(wired.get(m, Counter()).values()) / total for m in methods}
        order = sorted(methods, key=lambda m: (m in here, -weight[m]))  # stable: declaration order breaks ties
        for k, m in enumerate(order[:4]):
            forms = [
                (form, count)
                for form, count in wired.get(m, Counter()).most_common()
                if "->" in form or has_default  # an element without a default event needs one written
            ]
            descriptor = forms[0][0] if forms else f"{'' if has_default else default + '->'}{ident}#{m}"
            # below retrieval's same-start majority (0.6 after its prior): lines that start exactly like
            # this one know the whole rest of it, the index only the method
            if len(order) == 1:
                score = 0.55
            elif weight[m]:
                score = 0.25 + 0.3 * weight[m]
            else:
                score = 0.25 / (k + 1)
            if m in here:
                score *= 0.5
            score /= rank_ + 1
            end = close
            if close == ">" and tag in _LABELLED and not _closes_below(cursor.suffix, tag):
                end = f">{_label(m)}</{tag}>"  # the button is one line: its label, named after its action
            full = f'="{descriptor}"{end}'
            if m not in here and (twin := _sibling_form(cursor, ident, m)) is not None:
                full = twin
            if (rest := _complete(typed, full)) is not None:
                why = f"the app wires `{ident}#{m}`" if weight[m] else f"`{ident}#{m}` is not wired in the app yet"
                out.append(Candidate(rest, "index", round(score, 4), why))
    return out


def _sibling_form(cursor: Cursor, ident: str, method: str) -> str | None:
    """The rest of a line of this file that starts like the cursor's and wires one other method of `ident`,
    with `method` in its place: the file's own way for this controller's elements (`="click->theme#setDark"
    data-theme-target="darkButton">` beside it gives `="click->theme#setAuto" data-theme-target=…`)."""
    start = cursor.line_prefix.strip()
    if not _open_tag(start):
        return None  # an attribute on a line of its own: the line says nothing of which element it is
    one = re.compile(rf'^=\s*"((?:[\w:.@-]+->)?){re.escape(ident)}#(\w+)((?::\w+)*)"')
    above = cursor.prefix.split("\n")[:-1]
    for line in [*reversed(above), *cursor.suffix.split("\n")[1:]]:  # the nearest one above first
        line = line.strip()
        if start and line.startswith(start) and (m := one.match(rest := line[len(start) :])):
            return f'="{m.group(1)}{ident}#{method}"' + rest[m.end() :]
    return None


_LABELLED = ("button", "a")


def _closes_below(suffix: str, tag: str) -> bool:
    """Whether the element being written (a `<tag>`) is closed on a later line: a `</tag>` comes below
    before any new `<tag`. Real apps' one-line buttons and links have none (147 of 147 on six apps)."""
    for line in suffix.split("\n")[1:40]:
        opens = re.search(rf"<{tag}\b", line, re.IGNORECASE)
        close = line.lower().find(f"</{tag}>")
        if close >= 0 and (opens is None or close < opens.start()):
            return True
        if opens is not None:
            return False
    return False


def _label(method: str) -> str:
    """A button's label after the action it runs, as people write them (`selectAll` -> `Select all`)."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|_", " ", method).split()
    return " ".join(words).capitalize()


def _usual_rest(store: LineStore, path: str, written: str) -> str | None:
    """How the app's other lines go on after `written` (e.g. the attributes a controller always gets): the
    commonest way when one is commoner than every other; on a tie the plain end (`>`) if it is among the
    commonest, else the one closest to all of them (the least edit away from the app's ways on average)."""
    rests: Counter[str] = Counter()
    for f, n in store.lines_with(written.split("=", 1)[0]):
        line = f.lines[n]
        if f.rel == path or f.curated or (i := line.find(written)) < 0:
            continue
        if rest := line[i + len(written) :].rstrip():  # none: the element goes on on the next line
            rests[rest] += 1
    if not rests:
        return None
    ranked = rests.most_common()
    top = [r for r, c in ranked if c == ranked[0][1]]
    if len(top) == 1:
        return top[0]
    if ">" in top:
        return ">"
    from rapidfuzz.distance import Levenshtein

    return max(top, key=lambda r: (sum(Levenshtein.normalized_similarity(r, o) * c for o, c in ranked), r))


def _tag_continues(suffix: str) -> bool:
    """The next line carries on the element being written (more attributes), so no `>` here."""
    nxt = next((line.strip() for line in suffix.split("\n")[1:] if line.strip()), "")
    return bool(re.match(r"(?:[\w:-]+=|[\w-]+\s*$|>|/>|<%=?\s*\w+.*%>\s*$)", nxt)) and not nxt.startswith("<")


# --- Turbo: streams and frames in response views ------------------------------------------------------

STREAM_FOR_ACTION = {"create": ("append", "prepend"), "destroy": ("remove",), "update": ("replace",)}


def _record_ivar(store: LineStore, folder: str, assigned_only: bool = False) -> str | None:
    """The instance variable a resource's controller sets for one record (`@todo` for todos). A controller
    that sets none (`closures#destroy` calls `@card.reopen`, its record set by a concern) gives None with
    `assigned_only`: no record of its own to stream."""
    singular = singularize(folder.rpartition("/")[2])
    ctrl = store.file(f"app/controllers/{folder}_controller.rb")
    if ctrl is None or any(f"@{singular} =" in line or f"set_{singular}" in line for line in ctrl.lines):
        return "@" + singular
    assigned = Counter(m.group(1) for line in ctrl.lines for m in re.finditer(r"(@\w+) =", line))
    if assigned:
        return assigned.most_common(1)[0][0]
    return None if assigned_only else "@" + singular


def _stream_candidates(cursor: Cursor, index: AppIndex | None, store: LineStore, view: str) -> list[Candidate]:
    """`turbo_stream.` in `create/update/destroy.turbo_stream.erb`: the action's usual stream on its record
    (append to the collection's container, replace, remove), where this template does not have it yet."""
    lp = cursor.line_prefix
    typed = _after(lp, "turbo_stream.")
    folder, _, action = view.rpartition("/")
    if typed is None or not cursor.path.endswith(".turbo_stream.erb") or action not in STREAM_FOR_ACTION:
        return []
    here = "\n".join(cursor.other_lines)
    ivar = _record_ivar(store, folder, assigned_only=True)
    if ivar is None:
        return []
    out = []
    if any(f"turbo_stream.{stream}" in here for stream in STREAM_FOR_ACTION[action]):
        return []  # the template has its record's stream already: the other lines are for other things
    explicit, parens = _stream_style(store)
    singular = ivar[1:]
    partial = f"{folder}/{singular}"
    named = explicit and store.file(f"app/views/{folder}/_{singular}.html.erb") is not None
    for k, stream in enumerate(STREAM_FOR_ACTION[action]):
        if stream in ("append", "prepend"):
            plural = folder.rpartition("/")[2]
            ids = {d.id for d in index.ids} if index is not None else set()
            if plural not in ids:
                continue
            args = f'"{plural}", {ivar}'
        else:
            args = ivar
        if named and stream != "remove":  # the app names the partial and its locals in its stream lines
            args = f'{args.rpartition(", ")[0] or ivar}, partial: "{partial}", locals: {{ {singular}: {ivar} }}'
        full = f"{stream}({args}) %>" if parens else f"{stream} {args} %>"
        if (rest := _complete(typed, full)) is not None:
            # the record's own stream comes first in a template: below other streams it is rarely the one
            score = (0.5 if "turbo_stream." not in cursor.prefix[: -len(lp) or None] else 0.2) / (k + 1)
            out.append(Candidate(rest, "index", score, f"`{action}` usually {stream}s its record"))
    return out


def _stream_style(store: LineStore) -> tuple[bool, bool]:
    """How the app writes the stream actions that render a record itself (`@x`, `"xs", @x`): (most name the
    partial, `partial: "…"`; most put the arguments in parentheses, `replace(@x, …)`)."""
    partial = parens = total = 0
    for f, n in store.lines_with("turbo_stream"):
        if f.curated:
            continue
        for m in re.finditer(r"turbo_stream\.(?:append|prepend|replace|update|before|after)(\(|\s)(.*)", f.lines[n]):
            if not _RECORD_STREAM.match(m.group(2)):
                continue  # a stream of something else (`"flash"`, a form): its partial is no record's
            total += 1
            parens += m.group(1) == "("
            partial += "partial:" in m.group(2)
    if total < STYLE_EVIDENCE:
        return False, False  # too few lines to say the app has a way
    return 2 * partial > total, 2 * parens > total


STYLE_EVIDENCE = 3
# a stream of a record itself, as this source writes them: `@x`, `"xs", @x`, `"xs", partial: …, locals: { x: @x }`
_RECORD_STREAM = re.compile(
    r"\s*(?:@\w+\b(?!\.)|(?:\"[^\"]*\"|:\w+),\s*(?:@\w+\b(?!\.)|partial:\s*\"[^\"]*\",\s*locals:\s*\{\s*\w+:\s*@\w+\s*\}))"
)


_ERB_OPENER = r"<%-?\s*(?:if|unless|case|while|until|for|begin)\b"


def _frame_id(line: str) -> str | None:
    m = re.search(r"turbo_frame_tag\s+(.+?)(?=,\s*\w+:|\s+do\b|\s*%>|$)", line)
    return m.group(1).strip() if m else None


def _route_helpers(index: AppIndex | None) -> dict[str, set[str]]:
    """`controller#action` -> the named-route helpers (without `_path`/`_url`) that GET it, from the app's
    routes (kept in the index's own cache, which every change clears)."""
    if index is None:
        return {}
    return index.derived("engine_route_helpers", lambda: _read_route_helpers(index))


def _read_route_helpers(index: AppIndex) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in index.routes:
        if r.get("verb") == "GET" and (name := route_name(r.get("path", ""))):
            names = out.setdefault(r.get("action", ""), set())
            names.add(name)
            if name.startswith("new_"):  # /cards/:card_id/assignments/new is new_card_assignment
                head, _, last = name.rpartition("_")
                names.add(f"{head}_{singularize(last)}")
    return out


def _view_helper(index: AppIndex | None, folder: str, action: str) -> re.Pattern[str] | None:
    """The route helpers that lead to view `folder/action`: from the routes where they name it (`edit_card_
    board_path` is `cards/boards#edit`, not `boards#edit`), else by the Rails naming convention."""
    names = _route_helpers(index).get(f"{folder}#{action}")
    if names:
        return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, names))) + r")_(?:path|url)\b")
    singular = singularize(folder.rpartition("/")[2])
    helper = {
        "edit": rf"\bedit_{singular}_(?:path|url)\b",
        "new": rf"\bnew_{singular}_(?:path|url)\b",
        "show": rf"(?<![\w])(?!edit_|new_){singular}_(?:path|url)\b",
        "index": rf"(?<![\w]){re.escape(folder.rpartition('/')[2])}_(?:path|url)\b",
    }.get(action)
    return re.compile(helper) if helper else None


def _records_of(folder: str) -> set[str]:
    """The records a resource's views have as instance variables: its own and its parents' (`cards/
    assignments` views have `@card` and `@assignment`)."""
    return {singularize(part) for part in folder.split("/")}


_LOCAL = re.compile(r"(?<![@:.\w])([a-z_]\w*)\b(?!\s*[(:])")


def _as_ivars(frame: str, records: set[str]) -> str:
    """A frame id as the requesting view wrote it (`card, :assignment`) as the response view writes it
    (`@card, :assignment`): the bare locals naming its records become instance variables; symbols,
    strings and method calls stay."""
    parts = re.split(r"(\"[^\"]*\"|'[^']*')", frame)
    return "".join(
        p if k % 2 else _LOCAL.sub(lambda m: "@" + m.group(1) if m.group(1) in records else m.group(1), p)
        for k, p in enumerate(parts)
    )


_DOM_ID = re.compile(r"dom_id\((@?[\w.]+),\s*(:\w+)\)")
_PAIR = re.compile(r"(@?[\w.]+),\s*(:\w+)")


def _frame_style(frame: str, cursor: Cursor) -> str:
    """A record-and-symbol frame id written as this file's other frames write theirs: `dom_id(card, :edit)`
    or `card, :edit` (the same id to Turbo; a file keeps to one form)."""
    mine = [f for line in cursor.other_lines if "turbo_frame_tag" in line and (f := _frame_id(line.strip()))]
    if any(_DOM_ID.fullmatch(f) for f in mine):
        return _PAIR.sub(r"dom_id(\1, \2)", frame) if _PAIR.fullmatch(frame) else frame
    if any(_PAIR.fullmatch(f) for f in mine):
        return _DOM_ID.sub(r"\1, \2", frame) if _DOM_ID.fullmatch(frame) else frame
    return frame


def _links_in_block(lines: list[str]) -> list[str]:
    """The link, button and form lines of the block that starts above `lines`, up to its `end`, leaving out
    those inside a frame nested in it (they load into that frame, not this one)."""
    out, depth, inner = [], 0, None
    for nxt in lines:
        if re.match(r"<%-?\s*end\b", nxt):
            depth -= 1
            if depth < 0:
                break
            if inner is not None and depth < inner:
                inner = None
        elif re.search(r"\bdo(?:\s*\|[^|]*\|)?\s*-?%>$", nxt) or re.match(_ERB_OPENER, nxt):
            depth += 1
            if inner is None and "turbo_frame_tag" in nxt:
                inner = depth
        if inner is None and ("link_to" in nxt or "button_to" in nxt or "form_with" in nxt):
            out.append(nxt)
    return out


def _frames_of_links_below(cursor: Cursor, index: AppIndex | None, store: LineStore, typed: str) -> list[Candidate]:
    """`turbo_frame_tag` opening a block whose links lead to a view that has a frame: that view's frame id
    (Turbo swaps the frame with the same id), its instance variables as the locals this file names
    (`dom_id(@message, :new_boost)` in `boosts/new` is `dom_id(message, :new_boost)` in a partial)."""
    if typed.strip() or cursor.mid_line:
        return []
    by_helper: dict[str, str] = {}
    for target, names in _route_helpers(index).items():
        for name in names:
            by_helper.setdefault(name, target)
    below = [line.strip() for line in cursor.suffix.split("\n")[1:41]]
    ids: Counter[str] = Counter()
    for link in _links_in_block(below):
        for m in re.finditer(r"\b(\w+)_(?:path|url)\b", link):
            target = by_helper.get(m.group(1))
            if not target or "#" not in target:
                continue
            folder, _, action = target.partition("#")
            if action not in ("new", "edit"):
                continue  # a link to a show or index page is a way out of the frame as often as not
            f = store.file(f"app/views/{folder}/{action}.html.erb")
            for line in f.lines if f is not None else ():
                if "turbo_frame_tag" in line and (frame := _frame_id(line)) is not None:
                    ids[frame] += 1
                    break
    buffer = cursor.prefix + cursor.suffix
    out = []
    for frame, _count in ids.most_common(2):
        local = re.sub(
            r"@(\w+)", lambda m: m.group(1) if re.search(rf"(?<![@\w.]){m.group(1)}\b", buffer) else m.group(0), frame
        )
        local = _frame_style(local, cursor)
        out.append(Candidate(f" {local} do %>", "index", 0.55, "the frame of the view its links load"))
    return out


def _frame_candidates(cursor: Cursor, index: AppIndex | None, store: LineStore, view: str) -> list[Candidate]:
    """`turbo_frame_tag` in a view another view loads into a frame (`src:` pointing here, or a link to
    here inside a frame): the same frame id, its record as this view's instance variable."""
    typed = _after(cursor.line_prefix, "turbo_frame_tag")
    folder, _, action = view.rpartition("/")
    if typed is None or typed.strip():
        return []
    if action.startswith("_"):
        return _frames_of_links_below(cursor, index, store, typed)
    helper_re = _view_helper(index, folder, action)
    if helper_re is None:
        return []
    ids: Counter[str] = Counter()
    for f, n in store.lines_with("turbo_frame_tag"):
        if f.curated or f.kind != "erb" or f.rel == cursor.path:
            continue
        line = f.lines[n]
        frame = _frame_id(line)
        if frame is None:
            continue
        if helper_re.search(line.split("src:", 1)[1] if "src:" in line else ""):
            ids[frame] += 2
            continue
        if action not in ("new", "edit"):
            continue  # a link inside a frame to a show or index page is a way out of it, as often as not
        if any(helper_re.search(link) for link in _links_in_block(f.lines[n + 1 : n + 40])):
            ids[frame] += 1
    out = []
    total = sum(ids.values())
    for frame, count in ids.most_common(2):
        local = _frame_style(_as_ivars(frame, _records_of(folder)), cursor)
        full = f" {local} do %>" if not typed else f"{local} do %>"
        out.append(Candidate(full, "index", 0.4 + 0.3 * count / total, "the frame the requesting view loads here"))
    return out


def _opens_block(suffix: str) -> bool:
    """Whether the cursor's line opens an ERB block: below it comes an `<% end %>` that nothing below opened."""
    depth = 0
    for line in suffix.split("\n")[1:200]:
        line = line.strip()
        if re.match(r"<%-?\s*end\b", line):
            depth -= 1
            if depth < 0:
                return True
        elif re.search(r"\bdo(?:\s*\|[^|]*\|)?\s*-?%>$", line) or re.match(_ERB_OPENER, line):
            depth += 1
    return False


def _named_frame_candidates(cursor: Cursor, store: LineStore, view: str) -> list[Candidate]:
    """`turbo_frame_tag` where nothing says which frame: a frame is most often named after the page or
    partial it stands in (`_recent_activity` -> "recent_activity", `merchants_filter` -> :merchants_filter,
    a resource's index, show, edit or new page -> the resource), quoted as the app quotes its frame ids,
    with a block where an `<% end %>` below closes one. A guess: above the app's commonest frame line
    (another page's id), below anything that knows."""
    typed = _after(cursor.line_prefix, "turbo_frame_tag")
    if typed is None or typed.strip() or cursor.mid_line:
        return []
    folder, _, base = view.rpartition("/")
    name = base.lstrip("_") if base.startswith("_") else base
    if name in ("index", "show", "edit", "new") or not name:
        name = folder.rpartition("/")[2]
    if not re.fullmatch(r"[a-z]\w*", name or ""):
        return []
    styles: Counter[str] = Counter()
    section = f"app/views/{folder.rpartition('/')[0] or folder}/"  # `events/` for events/cfp/index
    shared: dict[str, set[str]] = {}  # a frame line of this section's other pages -> the files holding it
    for f, n in store.lines_with("turbo_frame_tag"):
        if f.curated or f.kind != "erb":
            continue
        if m := re.search(r"turbo_frame_tag\s+([:\"'])", f.lines[n]):
            styles[m.group(1)] += 1
        if f.rel.startswith(section) and f.rel != cursor.path:
            shared.setdefault(f.lines[n], set()).add(f.rel)
    framed = set().union(*shared.values()) if shared else set()
    if any(len(files) >= max(SHARED_FRAME, len(framed) / 2) for files in shared.values()):
        return []  # most of the section's pages repeat one frame (`dom_id(@event)` on every event tab)
    if not styles and not any(not f.curated and f.rel != cursor.path for f, _ in store.lines_with("turbo_frame_tag")):
        return []  # an app with no frame yet: no habit to follow
    quote = styles.most_common(1)[0][0] if styles else '"'
    frame = f":{name}" if quote == ":" else f"{quote}{name}{quote}"
    nxt = next((line.strip() for line in cursor.suffix.split("\n")[1:] if line.strip()), "")
    # the tag's options going on on the next line (`src: …, loading: :lazy do %>`), a block, or neither
    end = "," if re.match(r"\w+:\s", nxt) else " do %>" if _opens_block(cursor.suffix) else " %>"
    text = f"{'' if typed else ' '}{frame}{end}"
    return [Candidate(text, "index", NAMED_FRAME_SCORE, "a frame named after its page")]


NAMED_FRAME_SCORE = 0.25  # above retrieval's fallback line (0.28 x 0.8), below the threshold: the model is asked
SHARED_FRAME = 3  # at least this many (and half) of a section's framed pages with one frame line: its frame


def _subscription_candidates(cursor: Cursor, store: LineStore, view: str) -> list[Candidate]:
    """`turbo_stream_from` in a resource's show or edit page: the record the page shows, as its
    controller sets it (`@board` in boards/show), the stream its model broadcasts to."""
    typed = _after(cursor.line_prefix, "turbo_stream_from")
    folder, _, action = view.rpartition("/")
    if typed is None or typed.strip() or action not in ("show", "edit"):
        return []
    ivar = _record_ivar(store, folder)
    if store.file(f"app/controllers/{folder}_controller.rb") is None:
        return []  # no controller to say what the page shows
    rest = _complete(typed, f" {ivar} %>")
    return [Candidate(rest, "index", 0.5, f"`{view}` shows {ivar}")] if rest else []


def index_candidates(cursor: Cursor, index: AppIndex | None, store: LineStore) -> list[Candidate]:
    """Every deterministic candidate the index and the app's lines give for this cursor."""
    if cursor.kind == "js":
        return _stimulus_candidates(cursor, store)
    view = view_name(cursor.path)
    if cursor.kind == "erb" and view is not None:
        return (
            _view_candidates(cursor, index, store)
            + _stream_candidates(cursor, index, store, view)
            + (_frame_candidates(cursor, index, store, view) or _named_frame_candidates(cursor, store, view))
            + _subscription_candidates(cursor, store, view)
        )
    return []


def out_of_scope(cursor: Cursor, index: AppIndex | None, candidates: list[Candidate]) -> list[Candidate]:
    """`data-action` inside known controllers: a line of the app that wires only other controllers (the
    commonest `click->content-row#scrollLeft` under a `video-player`) is someone else's action, so it counts
    a third; the enclosing controllers' own methods are what belongs here."""
    typed = _after(cursor.line_prefix, "data-action")
    if cursor.kind != "erb" or typed is None or typed.strip(" =\"'") or index is None:
        return candidates
    scope = set(_action_scope(cursor, index.stimulus_controllers))
    if not scope:
        return candidates
    for c in candidates:
        value = re.match(r"\s*=?\s*[\"']?([^\"']*)", c.text)
        named = {m.group(1) for m in re.finditer(r"(?:->|^|\s)([\w-]+)#\w+", value.group(1))} if value else set()
        if c.source != "index" and named and not named & scope:
            c.score = round(c.score / 3, 4)
            c.reason += " (wires no controller around the cursor)"
    return candidates
