"""Deterministic feature code actions, each one WorkspaceEdit, offered only when the rules engine finds
nothing new in the result: "Wrap in Turbo Frame" (an ERB selection) and "Respond with Turbo Stream"
(a controller action gains `respond_to` with `format.turbo_stream` + an HTML fallback, and its
`<action>.turbo_stream.erb` is created), "Extract to Stimulus controller" (inline handlers and scripts
of a view selection into a new controller) and "Convert Rails UJS to Turbo" (the rules engine's UJS fixes,
all at once). Pure functions over text; `to_code_action` makes the LSP type.

Each action is offered only when its result keeps the file's structure: an action that moves or wraps
lines is declined when the lines cut an ERB block or an HTML element (one end selected, the other not),
and no action may add a structural problem (a Ruby parse error, an unclosed or stray HTML tag, an ERB block
and an HTML element that overlap without nesting). The rules engine alone misses these: Ruby pairs any
`<% end %>` with the nearest open block, so a misplaced one still parses.
"""

from __future__ import annotations

import bisect
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types

from hotwire_assist.core.appindex import AppIndex, ids_overlap, view_name
from hotwire_assist.core.parsing import ErbDoc, RubyDoc, call_name, node_text, walk
from hotwire_assist.core.rules import check_source

WRAP_TITLE = "Wrap in Turbo Frame"
RESPOND_TITLE = "Respond with Turbo Stream"


@dataclass
class FeatureAction:
    title: str
    kind: str
    path: str
    new_text: str  # the whole file after the edit (the edit replaces [start, end) of the old text)
    start: int
    end: int
    replacement: str
    creates: dict[str, str] = field(default_factory=dict)  # new file path -> its content


def _new_findings(path: str, before: str, after: str, index: AppIndex | None) -> list[str]:
    """Rule ids the edit adds (in-process rules only: actions must be instant)."""
    old = Counter(f.rule for f in check_source(path, before, index, external=False))
    new = Counter(f.rule for f in check_source(path, after, index, external=False))
    return sorted((new - old).elements())


# --- structure: ERB blocks and HTML elements stay balanced ------------------------------------------

# HTML elements that never have an end tag, and those whose end tag HTML lets you leave out.
_VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)
# Ruby nodes that open in one ERB tag and close with `end` (or `}`) in another: the ERB blocks.
_RUBY_BLOCKS = frozenset(
    {"do_block", "block", "if", "unless", "while", "until", "case", "case_match", "begin", "for"}
    | {"method", "singleton_method", "class", "module"}
)
_OPTIONAL_END = frozenset(
    [
        "p",
        "li",
        "dt",
        "dd",
        "option",
        "optgroup",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "rt",
        "rp",
        "caption",
    ]
)


@dataclass(frozen=True)
class Structure:
    """The nesting regions of a file (byte spans of ERB blocks and HTML elements) and its problems."""

    regions: tuple[tuple[int, int], ...]
    problems: int


def structure(path: str, text: str) -> Structure:
    """ERB blocks come from the Ruby parse of the view's code (a block construct from one ERB tag to another:
    a `do … end`, an `if … end`), HTML elements from the HTML parse with ERB masked out; problems count Ruby
    parse errors, stray end tags, unclosed elements (not void, end tag not optional) and crossings."""
    if path.endswith(".rb"):
        tree = RubyDoc(path, text).tree
        errors = sum(1 for n in walk(tree.root_node) if n.type == "ERROR" or n.is_missing)
        return Structure((), errors)
    if not path.endswith(".erb"):
        return Structure((), 0)
    doc = ErbDoc(path, text)
    starts = [t.start for t in doc.tags]

    def tag_index(byte: int) -> int | None:
        i = bisect.bisect_right(starts, byte) - 1
        return i if i >= 0 and doc.tags[i].start <= byte < doc.tags[i].end else None

    regions: set[tuple[int, int]] = set()
    problems = 0
    for n in walk(doc.ruby_tree.root_node):
        if n.type == "ERROR" or n.is_missing:
            problems += 1
            continue
        if n.type not in _RUBY_BLOCKS:
            continue
        a, b = tag_index(n.start_byte), tag_index(max(n.end_byte - 1, n.start_byte))
        if a is not None and b is not None and a != b:
            regions.add((doc.tags[a].start, doc.tags[b].end))
    stack = [doc.html_tree.root_node]
    while stack:
        n = stack.pop()
        if n.type in ("erroneous_end_tag", "ERROR") or n.is_missing:
            problems += 1
            continue  # one problem per broken subtree
        stack.extend(n.children)
        if n.type == "element":
            start = next((c for c in n.children if c.type == "start_tag"), None)
            end = next((c for c in n.children if c.type == "end_tag"), None)
            name = next((c for c in start.children if c.type == "tag_name"), None) if start is not None else None
            tag = node_text(doc, name).lower() if name is not None else ""
            if end is not None:
                regions.add((n.start_byte, n.end_byte))
            elif start is not None and tag not in _VOID and tag not in _OPTIONAL_END:
                problems += 1
    ordered = tuple(sorted(regions, key=lambda r: (r[0], -r[1])))
    return Structure(ordered, problems + _crossings(ordered))


def _crossings(regions: tuple[tuple[int, int], ...]) -> int:
    """Pairs of regions that overlap without one containing the other (sorted by start, longest first)."""
    stack: list[int] = []
    crossings = 0
    for start, end in regions:
        while stack and stack[-1] <= start:
            stack.pop()
        crossings += sum(1 for e in stack if start < e < end)
        stack.append(end)
    return crossings


def cuts_a_region(path: str, text: str, start: int, end: int) -> bool:
    """Whether the characters [start, end) hold one end of an ERB block or HTML element but not the other."""
    if not path.endswith(".erb"):
        return False
    bs, be = len(text[:start].encode()), len(text[:end].encode())
    return any((bs <= rs < be) != (bs < re_ <= be) for rs, re_ in structure(path, text).regions)


def keeps_structure(path: str, before: str, after: str) -> bool:
    """The edit adds no structural problem (see `structure`)."""
    return structure(path, after).problems <= structure(path, before).problems


# --- Wrap in Turbo Frame ----------------------------------------------------------------------------


def frame_id_for(path: str, index: AppIndex | None) -> str:
    """`app/views/projects/show.html.erb` -> `projects_show`, made unique among the app's ids."""
    view = view_name(path) or Path(path).name.split(".")[0]
    base = re.sub(r"\W+", "_", view.replace("/_", "/").replace("/", "_")).strip("_") or "frame"
    taken = [d.id for d in index.ids] if index is not None else []
    candidate, n = base, 1
    while any(t != "*" and ids_overlap(t, candidate) for t in taken):
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def wrap_in_frame(path: str, text: str, start: int, end: int, index: AppIndex | None) -> FeatureAction | None:
    """The selected lines inside `<%= turbo_frame_tag "<id>" do %> ... <% end %>`, indented one step."""
    if not path.endswith(".erb") or start >= end:
        return None
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", max(end - 1, line_start))
    line_end = len(text) if line_end < 0 else line_end + 1
    block = text[line_start:line_end]
    if not block.strip() or cuts_a_region(path, text, line_start, line_end):
        return None  # the frame's `<% end %>` would close a block the selection opened, or split an element
    indent = re.match(r"[ \t]*", block).group(0)
    body = "".join(f"  {ln}" if ln.strip() else ln for ln in block.splitlines(keepends=True))
    if not body.endswith("\n"):
        body += "\n"
    frame_id = frame_id_for(path, index)
    replacement = f'{indent}<%= turbo_frame_tag "{frame_id}" do %>\n{body}{indent}<% end %>\n'
    new_text = text[:line_start] + replacement + text[line_end:]
    if not keeps_structure(path, text, new_text) or _new_findings(path, text, new_text, index):
        return None
    return FeatureAction(
        WRAP_TITLE, types.CodeActionKind.RefactorRewrite, path, new_text, line_start, line_end, replacement
    )


# --- Respond with Turbo Stream ----------------------------------------------------------------------


def _stream_template(ctrl: str, action: str, ivar: str | None, index: AppIndex | None) -> str:
    """A first `<action>.turbo_stream.erb`: a stream for the action's record when the app has its partial."""
    model = ivar[1:] if ivar else None
    has_partial = index is not None and model is not None and f"{ctrl}/{model}" in index.partials
    if not has_partial:
        return f"<%# Turbo Stream response for {ctrl}#{action}: turbo_stream.append / replace / remove %>\n"
    if action == "destroy":
        return f"<%= turbo_stream.remove {ivar} %>\n"
    plural_id = ctrl.rpartition("/")[2]
    if action == "create" and index is not None and any(d.id == plural_id for d in index.ids):
        return f'<%= turbo_stream.append "{plural_id}", {ivar} %>\n'
    return f"<%= turbo_stream.replace {ivar} %>\n"


def respond_with_turbo_stream(path: str, text: str, line: int, index: AppIndex | None) -> FeatureAction | None:
    """For the public controller action around 0-based `line` that has no `respond_to` yet."""
    m = re.search(r"app/controllers/(.+)_controller\.rb$", path.replace("\\", "/"))
    if m is None:
        return None
    doc = RubyDoc(path, text)
    method = next(
        (n for n in walk(doc.tree.root_node) if n.type == "method" and n.start_point[0] <= line <= n.end_point[0]),
        None,
    )
    if method is None or "respond_to" in node_text(doc, method) or doc.tree.root_node.has_error:
        return None
    action = node_text(doc, method.child_by_field_name("name"))
    if re.search(rf"^\s*(private|protected)\s*$[\s\S]*\bdef {re.escape(action)}\b", text, re.M):
        return None  # a private helper, not an action
    ctrl = m.group(1)
    indent = " " * (method.start_point[1] + 2)
    body = next((c for c in method.named_children if c.type == "body_statement"), None)
    stmts = list(body.named_children) if body is not None else []
    last = stmts[-1] if stmts else None
    fallback = "format.html"
    is_call = last is not None and last.type == "call" and last.child_by_field_name("receiver") is None
    if is_call and call_name(doc, last) in ("redirect_to", "render", "head"):
        fallback = f"format.html {{ {node_text(doc, last)} }}"
    responds = [c for c in walk(method) if c.type == "call" and call_name(doc, c) in ("redirect_to", "render", "head")]
    if any(c != last for c in responds):
        return None  # a branch already responds (`if save ... else render`): a second response would double-render
    block = f"{indent}respond_to do |format|\n{indent}  format.turbo_stream\n{indent}  {fallback}\n{indent}end\n"
    data = doc.data
    if fallback != "format.html":  # the redirect/render moves into the HTML branch
        start = data.rfind(b"\n", 0, last.start_byte) + 1
        end = data.find(b"\n", last.end_byte) + 1 or len(data)
    else:  # after the last statement (or as the only one), before `end`
        anchor = last.end_byte if last is not None else method.child_by_field_name("name").end_byte
        start = end = data.find(b"\n", anchor) + 1
    if start <= 0:
        return None
    new_data = data[:start] + block.encode() + data[end:]
    new_text = new_data.decode("utf-8", "replace")
    ivars = re.findall(r"(@\w+)\s*=(?!=)", node_text(doc, method))
    template = _stream_template(ctrl, action, ivars[-1] if ivars else None, index)
    root = path[: path.replace("\\", "/").rfind("app/controllers/")]
    view = f"{root}app/views/{ctrl}/{action}.turbo_stream.erb"
    if _new_findings(view, "", template, index):
        template = _stream_template(ctrl, action, None, None)
    creates = {} if Path(view).exists() else {view: template}
    if not keeps_structure(path, text, new_text) or _new_findings(path, text, new_text, index):
        return None
    s, e = len(data[:start].decode("utf-8", "replace")), len(data[:end].decode("utf-8", "replace"))
    return FeatureAction(RESPOND_TITLE, types.CodeActionKind.Refactor, path, new_text, s, e, block, creates)


# --- LSP --------------------------------------------------------------------------------------------


def feature_actions(
    path: str, text: str, start: int, end: int, line: int, index: AppIndex | None
) -> list[FeatureAction]:
    found = [
        wrap_in_frame(path, text, start, end, index),
        respond_with_turbo_stream(path, text, line, index),
        extract_stimulus(path, text, start, end, index),
        convert_ujs(path, text, index),
    ]
    return [a for a in found if a is not None]


def _position(text: str, offset: int) -> types.Position:
    """LSP position (UTF-16 columns) of a character offset."""
    line = text.count("\n", 0, offset)
    col = text[text.rfind("\n", 0, offset) + 1 : offset]
    return types.Position(line, len(col.encode("utf-16-le")) // 2)


def to_code_action(action: FeatureAction, text: str, version: int | None) -> types.CodeAction:
    """One WorkspaceEdit: new files first (created, then filled), then the edit of the current file."""
    changes: list = []
    for path, content in action.creates.items():
        uri = Path(path).as_uri()
        changes.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True)))
        here = types.Range(types.Position(0, 0), types.Position(0, 0))
        ident = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None)
        changes.append(types.TextDocumentEdit(ident, [types.TextEdit(here, content)]))
    where = types.Range(_position(text, action.start), _position(text, action.end))
    ident = types.OptionalVersionedTextDocumentIdentifier(uri=Path(action.path).as_uri(), version=version)
    changes.append(types.TextDocumentEdit(ident, [types.TextEdit(where, action.replacement)]))
    return types.CodeAction(title=action.title, kind=action.kind, edit=types.WorkspaceEdit(document_changes=changes))


# --- Convert Rails UJS to Turbo ---------------------------------------------------------------------

UJS_TITLE = "Convert Rails UJS to Turbo (whole file)"
UJS_RULES = frozenset({"ujs/method-delete", "ujs/remote", "ujs/data-confirm", "ujs/disable-with", "turbo/form-local"})


def _offset(starts: list[int], line: int, column: int) -> int:
    """Character offset of a finding's 1-based line and character column."""
    return starts[min(line, len(starts)) - 1] + column - 1


def _apply_fixes(text: str, fixes: list) -> str:
    """Apply the fixes whose edits do not overlap an earlier one (the rest wait for the next round)."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    taken: list[tuple[int, int]] = []
    edits: list[tuple[int, int, str]] = []
    for fix in fixes:
        spans = [(_offset(starts, e.line, e.column), _offset(starts, e.end_line, e.end_column), e) for e in fix.edits]
        if any(s <= te and ts <= e for s, e, _ in spans for ts, te in taken):  # touching waits a round too
            continue
        taken += [(s, e) for s, e, _ in spans]
        edits += [(s, e, x.new_text) for s, e, x in spans]
    for s, e, new in sorted(edits, key=lambda x: (x[0], x[1]), reverse=True):
        text = text[:s] + new + text[e:]
    return text


def convert_ujs(path: str, text: str, index: AppIndex | None, rounds: int = 8) -> FeatureAction | None:
    """Every Rails-UJS fix the rules engine offers in this file, applied at once (its fixes, not a copy)."""
    if not path.endswith(".erb"):
        return None
    new = text
    for _ in range(rounds):
        found = [f.fix for f in check_source(path, new, index, external=False) if f.rule in UJS_RULES and f.fix]
        if not found:
            break
        new = _apply_fixes(new, found)
    if new == text or not keeps_structure(path, text, new) or _new_findings(path, text, new, index):
        return None
    start = next((i for i, (a, b) in enumerate(zip(text, new, strict=False)) if a != b), min(len(text), len(new)))
    tail = 0
    while tail < min(len(text), len(new)) - start and text[-1 - tail] == new[-1 - tail]:
        tail += 1
    end, new_end = len(text) - tail, len(new) - tail
    return FeatureAction(UJS_TITLE, types.CodeActionKind.RefactorRewrite, path, new, start, end, new[start:new_end])


# --- Extract to Stimulus controller -----------------------------------------------------------------

EXTRACT_TITLE = "Extract to Stimulus controller"
_HANDLER = re.compile(r"""\s(on([a-z]+))=(?:"([^"]*)"|'([^']*)')""")
_SCRIPT = re.compile(r"[ \t]*<script\b[^>]*>(.*?)</script>[ \t]*\n?", re.S | re.I)
_SINGLE = re.compile(r"\s*<([a-zA-Z][\w-]*)\b[^>]*>[\s\S]*</\1>\s*")


def controller_name(path: str, index: AppIndex | None) -> str:
    """`app/views/projects/show.html.erb` -> `projects-show`, unique among the app's controllers."""
    base = frame_id_for(path, None).replace("_", "-")
    taken = index.known_controller_ids if index is not None else set()
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _method(event: str, code: str, used: Counter) -> tuple[str, str]:
    """(method name, its JS) for one inline handler: `this` is the element, `return false` cancels."""
    used[event] += 1
    name = event if used[event] == 1 else f"{event}{used[event]}"
    body = re.sub(r"\bthis\b", "event.currentTarget", code.strip().rstrip(";"))
    body = re.sub(r"\breturn\s+false\b", "event.preventDefault()", body)
    lines = "\n".join(f"    {s.strip()}" for s in re.split(r";\s*", body) if s.strip())
    return name, f"  {name}(event) {{\n{lines}\n  }}\n"


def extract_stimulus(path: str, text: str, start: int, end: int, index: AppIndex | None) -> FeatureAction | None:
    """Inline `on<event>=` handlers and `<script>` blocks in the selected lines of a view become a
    Stimulus controller; the markup gets `data-controller` (on the selected element, or a wrapping div)
    and `data-action`s. Declined where it is not exact: ERB inside the JS, or nothing inline selected."""
    if not path.endswith(".html.erb") or start >= end or "app/views/" not in path.replace("\\", "/"):
        return None
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", max(end - 1, line_start))
    line_end = len(text) if line_end < 0 else line_end + 1
    block = text[line_start:line_end]
    if cuts_a_region(path, text, line_start, line_end):
        return None  # a wrapping div would end inside a block or an element the selection opened
    handlers = list(_HANDLER.finditer(block))
    scripts = list(_SCRIPT.finditer(block))
    if (not handlers and not scripts) or "<%" in "".join(m.group(0) for m in [*handlers, *scripts]):
        return None
    name = controller_name(path, index)
    used: Counter = Counter()
    methods: list[str] = []
    connect = "\n".join(textwrap.dedent(m.group(1)).strip() for m in scripts).strip()
    if connect:
        body = "\n".join(f"    {ln.rstrip()}" if ln.strip() else "" for ln in connect.splitlines())
        methods.append(f"  connect() {{\n{body}\n  }}\n")

    def rewire(m: re.Match) -> str:
        method, js = _method(m.group(2), m.group(3) if m.group(3) is not None else m.group(4), used)
        methods.append(js)
        return f' data-action="{m.group(2)}->{name}#{method}"'

    new_block = _SCRIPT.sub("", _HANDLER.sub(rewire, block))
    if re.search(r"data-action=\"[^\"]*\"[^>]*data-action=", new_block):
        return None  # an element already had a data-action: merging descriptors is for a person
    indent = re.match(r"[ \t]*", new_block).group(0)
    single = _SINGLE.fullmatch(new_block)
    if single and "data-controller" not in new_block.split(">", 1)[0]:
        tag_end = new_block.index(single.group(1)) + len(single.group(1))
        replacement = f'{new_block[:tag_end]} data-controller="{name}"{new_block[tag_end:]}'
    else:
        body = "".join(f"  {ln}" if ln.strip() else ln for ln in new_block.splitlines(keepends=True))
        replacement = f'{indent}<div data-controller="{name}">\n{body}{indent}</div>\n'
    js = 'import { Controller } from "@hotwired/stimulus"\n\nexport default class extends Controller {\n'
    js += "\n".join(methods) + "}\n"
    root = path[: path.replace("\\", "/").rfind("app/views/")]
    js_path = f"{root}app/javascript/controllers/{name.replace('-', '_')}_controller.js"
    new_text = text[:line_start] + replacement + text[line_end:]
    scratch = AppIndex(index.root if index is not None else None)
    if index is not None:
        scratch.files = dict(index.files)
    scratch.update_file(js_path, js)
    if check_source(js_path, js, scratch, external=False) or not keeps_structure(path, text, new_text):
        return None
    if _new_findings(path, text, new_text, scratch):
        return None
    return FeatureAction(
        EXTRACT_TITLE, types.CodeActionKind.RefactorExtract, path, new_text, line_start, line_end, replacement,
        {js_path: js},
    )  # fmt: skip
