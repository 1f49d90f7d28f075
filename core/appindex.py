"""The structure of a Rails app that cross-file rules, the server and evaluation share.

One pass over an app: Stimulus controllers (targets, values, classes, outlets, actions), the ids
views define (turbo frames and every other element id, literal or `dom_id`-style), the stream
targets views and controllers write to, partials and who renders them, models that broadcast,
controller actions with their `respond_to` formats and the gem versions from `Gemfile.lock`.

Ids are kept as globs: `dom_id(@list, :stats)` is `stats_list_*`, `"todo_#{t.id}"` is `todo_*`, an
expression we cannot read is `*`. Two ids may refer to the same element when their globs overlap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from tree_sitter import Node

from hotwire_assist.core.rules.source import (
    Doc,
    ErbDoc,
    JsDoc,
    RubyDoc,
    SourceText,
    call_name,
    literal,
    make_doc,
    node_text,
    option_pairs,
    pair_key,
    positional_args,
    walk,
)

SKIP_DIRS = {"node_modules", ".git", "tmp", "log", "vendor", "coverage", "storage", "public", ".venv", "dist", "build"}
STREAM_DIRECTIVES = ("append", "prepend", "replace", "update", "remove", "before", "after", "morph", "refresh")


# --- ids -------------------------------------------------------------------------------------------


def _record_name(doc: SourceText, node: Node) -> str:
    """Model name dom_id would use for an expression: @todo -> todo, comment.post -> post, Todo.new -> new_todo."""
    t = node.type
    if t in ("instance_variable", "identifier"):
        return node_text(doc, node).lstrip("@")
    if t == "call":
        recv = node.child_by_field_name("receiver")
        name = call_name(doc, node)
        if name in ("new", "build") and recv is not None and recv.type == "constant":
            return "new_" + re.sub(r"(?<!^)(?=[A-Z])", "_", node_text(doc, recv)).lower()
        if node.child_by_field_name("arguments") is None and re.fullmatch(r"[a-z_]\w*", name):
            return name
    return "*"


def id_pattern(doc: SourceText, node: Node | None, extra: list[Node] | None = None) -> str:
    """Glob for the DOM id an expression evaluates to (see module docstring)."""
    if node is None:
        return "*"
    lit = literal(doc, node)
    if lit is not None and node.type in ("string", "simple_symbol", "delimited_symbol"):
        parts = [lit] + [literal(doc, e) or "*" for e in (extra or [])]
        return "_".join(parts)
    if node.type == "string":
        return "".join(
            node_text(doc, c) if c.type == "string_content" else "*" for c in node.children if c.type != '"'
        ).replace('"', "")
    if node.type == "call" and call_name(doc, node) == "dom_id" and node.child_by_field_name("receiver") is None:
        args = positional_args(node)
        if not args:
            return "*"
        return _dom_id(doc, args[0], args[1] if len(args) > 1 else None)
    if node.type in ("instance_variable", "identifier", "call"):
        name = _record_name(doc, node)
        if name == "*":
            return "*"
        return _dom_id(doc, node, extra[0] if extra else None)
    return "*"


def _dom_id(doc: SourceText, record: Node, prefix: Node | None) -> str:
    name = _record_name(doc, record)
    pre = literal(doc, prefix) if prefix is not None else None
    if prefix is not None and pre is None:
        pre = "*"
    if name.startswith("new_"):
        return f"{pre}_{name[4:]}" if pre else name
    return f"{pre}_{name}_*" if pre else f"{name}_*"


@lru_cache(maxsize=4096)
def _glob_re(glob: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in glob.split("*")))


def ids_overlap(a: str, b: str) -> bool:
    """Whether two id globs may name the same element."""
    if a == "*" or b == "*" or a == b:
        return True
    return bool(_glob_re(a).fullmatch(b.replace("*", "1")) or _glob_re(b).fullmatch(a.replace("*", "1")))


# --- facts -----------------------------------------------------------------------------------------


@dataclass
class IdDef:
    id: str
    file: str
    line: int
    kind: str  # frame | id | frame-src | stream-target | frame-ref


@dataclass
class StimulusController:
    identifier: str
    path: str
    targets: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    fetches_html: list[int] = field(default_factory=list)  # lines writing fetched HTML into the DOM


@dataclass
class FileFacts:
    path: str
    kind: str
    frames: list[IdDef] = field(default_factory=list)
    ids: list[IdDef] = field(default_factory=list)
    frame_refs: list[IdDef] = field(default_factory=list)
    stream_targets: list[IdDef] = field(default_factory=list)
    data_controllers: list[str] = field(default_factory=list)
    stimulus_refs: list[str] = field(default_factory=list)  # identifiers in data-action / data-<id>-target
    renders: list[str] = field(default_factory=list)
    stimulus: StimulusController | None = None
    custom_stream_actions: list[str] = field(default_factory=list)
    registered_controllers: list[str] = field(default_factory=list)
    model: dict | None = None
    controller: dict | None = None
    versions: dict[str, str] = field(default_factory=dict)
    routes: list[dict] = field(default_factory=list)


RAILS_APP_DIRS = frozenset(
    {"views", "controllers", "models", "javascript", "helpers", "components", "jobs", "channels"}
)


def rails_app_root(path: Path) -> Path | None:
    """The app a file belongs to: the folder holding the `app/` whose next folder is a Rails one
    (`/src/shop/app/views/x.erb` -> `/src/shop`); None for a file outside any Rails `app/`."""
    parts = path.parts
    for i in range(len(parts) - 2):
        if parts[i] == "app" and parts[i + 1] in RAILS_APP_DIRS:
            return Path(*parts[:i]) if i else Path(".")
    return None


def view_name(path: str) -> str | None:
    """`app/views/todos/_todo.html.erb` -> `todos/_todo`; None outside app/views."""
    p = path.replace("\\", "/")
    i = p.find("app/views/")
    if i < 0:
        return None
    rest = p[i + len("app/views/") :]
    return rest.split(".", 1)[0]


def partial_name(view: str) -> str | None:
    folder, _, base = view.rpartition("/")
    return f"{folder}/{base[1:]}" if base.startswith("_") else None


def _resolve_partial(doc_view: str | None, name: str) -> str:
    if "/" in name or doc_view is None:
        return name
    return f"{doc_view.rpartition('/')[0]}/{name}"


def _view_facts(doc: ErbDoc, facts: FileFacts) -> None:
    line = doc.line_of
    this_view = view_name(doc.path)
    for el in doc.elements:
        if el.origin == "html" and el.name == "turbo-frame":
            a = el.attrs.get("id")
            glob = "*" if a is None or a.value is None else a.value
            if a is not None and a.value is None:
                glob = _erb_id_glob(doc, a.value_start, a.value_end)
            facts.frames.append(IdDef(glob, doc.path, line(el.start), "frame-src" if el.has("src") else "frame"))
        elif el.origin == "ruby" and el.name == "turbo_frame_tag" and not el.receiver:
            args = el.ruby_args
            glob = id_pattern(doc, args[0], args[1:]) if args else ""
            facts.frames.append(IdDef(glob, doc.path, line(el.start), "frame-src" if el.has("src") else "frame"))
        a = el.attrs.get("id")
        if a is not None:
            if el.origin == "html":
                glob = a.value if a.value is not None else _erb_id_glob(doc, a.value_start, a.value_end)
            else:
                glob = id_pattern(doc, a.node)
            facts.ids.append(IdDef(glob, doc.path, line(el.start), "id"))
        ref = el.attrs.get("data-turbo-frame")
        if ref is not None and ref.value not in ("_top", "_self", "_parent"):
            glob = ref.value if ref.value is not None else id_pattern(doc, ref.node) if ref.node else "*"
            facts.frame_refs.append(IdDef(glob, doc.path, line(el.start), "frame-ref"))
        ctrl = el.attrs.get("data-controller")
        if ctrl is not None and ctrl.value:
            facts.data_controllers.extend(ctrl.value.split())
        act = el.attrs.get("data-action")
        if act is not None and act.value:
            facts.stimulus_refs.extend(re.findall(r"(?:^|->|\s)([\w-]+)#", act.value))
        facts.stimulus_refs.extend(m.group(1) for a in el.attrs if (m := _TARGET_ATTR.fullmatch(a)))
        if el.origin == "html" and el.name == "turbo-stream":
            tgt = el.get("target")
            if tgt:
                facts.stream_targets.append(IdDef(tgt, doc.path, line(el.start), "stream-target"))
    for call in doc.calls:
        _call_facts(doc, call, facts, this_view)
    seen = {(d.id, d.line) for d in facts.ids}
    facts.ids.extend(IdDef(f.id, f.file, f.line, "id") for f in facts.frames if (f.id, f.line) not in seen)


_TARGET_ATTR = re.compile(r"data-([\w-]+?)-(?:target|[\w-]+-value|[\w-]+-outlet)")


def _erb_id_glob(doc: ErbDoc, start: int, end: int) -> str:
    """Glob for an HTML attribute value mixing text and ERB: `todo_<%= t.id %>` -> todo_*; dom_id read properly."""
    tags = doc.erb_in(start, end)
    if len(tags) == 1 and tags[0].start == start and tags[0].end == end and tags[0].kind == "output":
        code = tags[0].code
        cs = tags[0].code_start + len(code[: len(code) - len(code.lstrip())].encode())
        ce = tags[0].code_end - len(code[len(code.rstrip()) :].encode())
        node = doc.ruby_tree.root_node.descendant_for_byte_range(cs, ce)
        if node is not None and node.start_byte == cs and node.end_byte == ce:
            return id_pattern(doc, node)
        return "*"
    out, pos = "", start
    for t in tags:
        out += doc.slice(pos, t.start) + "*"
        pos = t.end
    return out + doc.slice(pos, end)


def _call_facts(doc: SourceText, call: Node, facts: FileFacts, this_view: str | None) -> None:
    name = call_name(doc, call)
    recv = call.child_by_field_name("receiver")
    recv_text = node_text(doc, recv)
    args = positional_args(call)
    line = doc.line_of(call.start_byte)
    if recv_text == "turbo_stream" and name in STREAM_DIRECTIVES + tuple(f"{d}_all" for d in STREAM_DIRECTIVES):
        if name != "refresh" and not name.endswith("_all") and args:
            facts.stream_targets.append(IdDef(id_pattern(doc, args[0]), doc.path, line, "stream-target"))
        facts.renders.extend(_rendered_partials(doc, call, this_view, skip=1))  # `partial:` or a record to render
    elif name.startswith("broadcast") and "refresh" not in name:
        # `broadcast_append_to stream, target: "todos"`: a stream target written from a model or job
        for p in option_pairs(call):
            if pair_key(doc, p) == "target":
                glob = id_pattern(doc, p.child_by_field_name("value"))
                facts.stream_targets.append(IdDef(glob, doc.path, line, "stream-target"))
    elif name == "render" and recv is None:
        for pname in _rendered_partials(doc, call, this_view):
            facts.renders.append(pname)
    elif name in ("content_tag", "tag") and recv is None:
        pass


def _rendered_partials(doc: SourceText, call: Node, this_view: str | None, skip: int = 0) -> list[str]:
    """Partials a call renders; `skip` leading arguments are not the partial (a stream action's target)."""
    out: list[str] = []
    args = positional_args(call)[skip:]
    for p in option_pairs(call):
        if pair_key(doc, p) in ("partial", "layout"):
            v = literal(doc, p.child_by_field_name("value"))
            if v:
                out.append(_resolve_partial(this_view, v))
        elif pair_key(doc, p) == "collection":
            v = p.child_by_field_name("value")
            if v is not None:
                out.append("*/" + singularize(_record_name(doc, v)))
    if args:
        v = literal(doc, args[0])
        if v is not None and args[0].type == "string" and not skip:  # a stream action's string is content
            out.append(_resolve_partial(this_view, v))
        elif args[0].type in ("instance_variable", "identifier", "call"):
            rn = _record_name(doc, args[0])
            if rn != "*":
                out.append("*/" + singularize(rn))
    return out


def pluralize(word: str) -> str:
    """Rails' plural for the common cases: `resource :search` routes to SearchesController."""
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def singularize(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


# --- Ruby: controllers and models ------------------------------------------------------------------


def _ruby_facts(doc: RubyDoc, facts: FileFacts) -> None:
    p = doc.path.replace("\\", "/")
    root = doc.tree.root_node
    for call in doc.calls:
        _call_facts(doc, call, facts, None)
    if "/app/models/" in "/" + p:
        broadcasts: list[str] = []
        for n in walk(root):
            if n.type == "call" and n.child_by_field_name("receiver") is None:
                name = call_name(doc, n)
            elif n.type == "identifier" and n.parent is not None and n.parent.type in ("body_statement", "program"):
                name = node_text(doc, n)
            else:
                continue
            if name.startswith("broadcast"):
                broadcasts.append(name)
        cls = next((n for n in walk(root) if n.type == "class"), None)
        name = node_text(doc, cls.child_by_field_name("name")) if cls is not None else Path(p).stem
        facts.model = {"name": name, "path": doc.path, "broadcasts": sorted(set(broadcasts))}
    if "/app/controllers/" in "/" + p:
        facts.controller = _controller_facts(doc)
    if p.endswith("config/routes.rb"):
        facts.routes = parse_routes(doc)


def _controller_facts(doc: RubyDoc) -> dict:
    actions: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    cls = next((n for n in walk(doc.tree.root_node) if n.type == "class"), None)
    body = cls.child_by_field_name("body") if cls is not None else None
    private = False
    for n in body.named_children if body is not None else []:
        if n.type == "identifier" and node_text(doc, n) in ("private", "protected"):
            private = True
        elif n.type == "method" and not private:
            name = node_text(doc, n.child_by_field_name("name"))
            formats: list[str] = []
            for c in walk(n):
                if c.type == "call":
                    r = c.child_by_field_name("receiver")
                    if r is not None and r.type == "identifier" and node_text(doc, r) in ("format", "f"):
                        formats.append(call_name(doc, c))
            actions[name] = sorted(set(formats))
            lines[name] = doc.line_of(n.start_byte)
    name = node_text(doc, cls.child_by_field_name("name")) if cls is not None else ""
    parent = cls.parent if cls is not None else None
    while parent is not None:  # `module Admin; class UsersController` is Admin::UsersController
        if parent.type == "module":
            name = f"{node_text(doc, parent.child_by_field_name('name'))}::{name}"
        parent = parent.parent
    return {"name": name, "path": doc.path, "actions": actions, "action_lines": lines}


# --- config/routes.rb ------------------------------------------------------------------------------

_REST = {  # action -> (verb, path suffix after the member/collection path)
    "index": ("GET", ""),
    "create": ("POST", ""),
    "new": ("GET", "/new"),
    "edit": ("GET", "/:id/edit"),
    "show": ("GET", "/:id"),
    "update": ("PATCH", "/:id"),
    "destroy": ("DELETE", "/:id"),
}
_HTTP_VERBS = ("get", "post", "patch", "put", "delete")


def _symbols(doc: SourceText, node: Node | None) -> list[str]:
    """`:show`, `"show"` or `%i[index show]` / `[:index, :show]` as a list of names."""
    if node is None:
        return []
    if node.type in ("array", "symbol_array", "string_array"):
        return [v for c in node.named_children if (v := literal(doc, c) or node_text(doc, c).lstrip(":"))]
    v = literal(doc, node)
    return [v] if v else []


def _block_calls(call: Node) -> list[Node]:
    """The calls directly inside a call's `do ... end` / `{ }` block."""
    block = call.child_by_field_name("block")
    if block is None:
        return []
    body = next((c for c in block.named_children if c.type in ("body_statement", "block_body")), None)
    return [c for c in (body.named_children if body is not None else []) if c.type == "call"]


def parse_routes(doc: RubyDoc) -> list[dict]:
    """Routes `resources`/`resource` (nested, `only:`/`except:`, member/collection), verbs, `root` and
    `namespace` declare, as {verb, path, action: "ctrl#action", line}; dynamic parts are skipped."""
    out: list[dict] = []
    draw = next((c for c in doc.calls if call_name(doc, c) == "draw"), None)
    if draw is not None:
        _routes_in(doc, _block_calls(draw), "", "", None, out)
    return out


def _routes_in(doc: RubyDoc, calls_: list[Node], prefix: str, module: str, res: tuple | None, out: list) -> None:
    """`res` is (controller, member path, collection path, scope) of the enclosing resource, if any."""
    for call in calls_:
        name, args = call_name(doc, call), positional_args(call)
        opts = {pair_key(doc, p): p.child_by_field_name("value") for p in option_pairs(call)}
        line = doc.line_of(call.start_byte)
        first = literal(doc, args[0]) if args else None

        def add(verb: str, path: str, action: str, line: int = line) -> None:
            out.append({"verb": verb, "path": path or "/", "action": action, "line": line})

        if name in ("resources", "resource") and first:
            plural = name == "resources"
            ctrl = module + (literal(doc, opts.get("controller")) or (first if plural else pluralize(first)))
            base = f"{prefix}/{first}"
            member = f"{base}/:id" if plural else base
            only, except_ = _symbols(doc, opts.get("only")), _symbols(doc, opts.get("except"))
            for action, (verb, suffix) in _REST.items():
                if (not plural and action == "index") or (only and action not in only) or action in except_:
                    continue
                add(verb, base + (suffix.replace("/:id", "") if not plural else suffix), f"{ctrl}#{action}")
            nested = f"{base}/:{singularize(first)}_id" if plural else base
            _routes_in(doc, _block_calls(call), nested, module, (ctrl, member, base, None), out)
        elif name in ("member", "collection") and res is not None:
            _routes_in(doc, _block_calls(call), prefix, module, (*res[:3], name), out)
        elif name == "namespace" and first:
            _routes_in(doc, _block_calls(call), f"{prefix}/{first}", f"{module}{first}/", None, out)
        elif name == "scope":
            _routes_in(doc, _block_calls(call), prefix + (f"/{first}" if first else ""), module, res, out)
        elif name == "root" and (to := first or literal(doc, opts.get("to"))):
            add("GET", prefix, to)
        elif name in _HTTP_VERBS and (args or opts):
            _verb_route(doc, name, call, args[0] if args else None, opts, prefix, module, res, add)


def _verb_route(
    doc: RubyDoc,
    verb: str,
    call: Node,
    arg: Node | None,
    opts: dict,
    prefix: str,
    module: str,
    res: tuple | None,
    add: Callable[..., None],
) -> None:
    """`get :stats, on: :member`, `get "up" => "health#show"`, `get "about", to: "pages#about"`."""
    path, to = literal(doc, arg), literal(doc, opts.get("to"))
    if path is None:  # `get "up" => "rails/health#show"` parses as a hash argument
        for p in option_pairs(call):
            k = p.child_by_field_name("key")
            if k is not None and k.type == "string":
                path, to = literal(doc, k), literal(doc, p.child_by_field_name("value"))
    if path is None:
        return
    on = literal(doc, opts.get("on")) or (res[3] if res else None)
    if res is not None and (on or (arg is not None and arg.type == "simple_symbol")):
        base = res[1] if on == "member" else res[2]
        add(verb.upper(), f"{base}/{path}", to or f"{res[0]}#{path}")
    else:
        add(verb.upper(), f"{prefix}/{path.lstrip('/')}", module + to if to else f"{module}{path}#{path}")


# --- JavaScript: Stimulus controllers --------------------------------------------------------------

# A class-body method, TypeScript modifiers and return types allowed: `  async save(event: Event): Promise<void> {`
_JS_METHOD = re.compile(
    r"^[ \t]+(?:(?:public|private|protected|override)\s+)?(?:async\s+)?(?:static\s+)?(get\s+|set\s+)?"
    r"([A-Za-z_$][\w$]*)\s*(?:<[^>()]*>)?\s*\([^)]*\)\s*(?::\s*[^{;=]+?)?\s*\{",
    re.M,
)
# An arrow-function property: `  toggle = (event) => {`
_JS_ARROW = re.compile(r"^[ \t]+([A-Za-z_$][\w$]*)\s*(?::\s*[^=]+)?=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*=>", re.M)
_JS_KEYWORDS = {"if", "for", "while", "switch", "catch", "function", "return", "constructor", "super"}


def stimulus_identifier(path: str) -> str | None:
    """`app/javascript/controllers/admin/user_list_controller.js` -> `admin--user-list`."""
    p = path.replace("\\", "/")
    m = re.search(r"(?:^|/)controllers/(.+?)[_-]controller\.(?:js|mjs|ts)$", p)
    if not m:
        return None
    return m.group(1).replace("/", "--").replace("_", "-")


def _js_list(text: str, name: str) -> list[str]:
    m = re.search(rf"static\s+{name}\s*=\s*\[([^\]]*)\]", text)
    return re.findall(r"[\"']([^\"']+)[\"']", m.group(1)) if m else []


def _js_values(text: str) -> dict[str, str]:
    m = re.search(r"static\s+values\s*=\s*\{", text)
    if not m:
        return {}
    depth, i = 1, m.end()
    while i < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    body = text[m.end() : i - 1]
    out: dict[str, str] = {}
    depth = 0
    for tok in re.finditer(r"[{}]|([A-Za-z_$][\w$]*|\"[^\"]+\"|'[^']+')\s*:\s*(\{[^}]*\}|[A-Za-z]+)", body):
        if tok.group(0) in "{}":
            depth += 1 if tok.group(0) == "{" else -1
            continue
        if depth:
            continue
        key, val = tok.group(1).strip("\"'"), tok.group(2)
        if val.startswith("{"):
            t = re.search(r"type\s*:\s*(\w+)", val)
            val = t.group(1) if t else "String"
        out[key] = val
    return out


def _js_facts(doc: JsDoc, facts: FileFacts) -> None:
    text = doc.text
    facts.custom_stream_actions = re.findall(r"StreamActions(?:\.(\w+)|\[[\"']([\w-]+)[\"']\])\s*=", text)
    facts.custom_stream_actions = [a or b for a, b in facts.custom_stream_actions]
    facts.registered_controllers = re.findall(r"\.register\(\s*[\"']([\w-]+)[\"']", text)
    ident = stimulus_identifier(doc.path)
    if ident is None or "extends" not in text:
        return
    methods = [m.group(2) for m in _JS_METHOD.finditer(text) if m.group(2) not in _JS_KEYWORDS and not m.group(1)]
    methods += _JS_ARROW.findall(text)
    ctrl = StimulusController(
        ident,
        doc.path,
        _js_list(text, "targets"),
        _js_values(text),
        _js_list(text, "classes"),
        _js_list(text, "outlets"),
        sorted(set(methods)),
    )
    if re.search(r"\bfetch\s*\(|\baxios\b|XMLHttpRequest|\$\.ajax", text):
        for m in re.finditer(r"\.(innerHTML|outerHTML)\s*\+?=|insertAdjacentHTML\s*\(", text):
            ctrl.fetches_html.append(doc.line_of(len(text[: m.start()].encode())))
    facts.stimulus = ctrl


# --- Gemfile.lock ----------------------------------------------------------------------------------

TRACKED_GEMS = ("rails", "turbo-rails", "stimulus-rails", "importmap-rails", "actionview")


def parse_gemfile_lock(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in re.finditer(r"^    ([\w.-]+) \(([^)]+)\)$", text, re.M):
        if m.group(1) in TRACKED_GEMS:
            out[m.group(1)] = m.group(2).split("-")[0]
    return out


def extract_facts(doc: Doc) -> FileFacts:
    """Facts of one parsed file, memoised on the doc (the index and the rules share them)."""
    cached = getattr(doc, "_facts", None)
    if cached is not None:
        return cached
    facts = FileFacts(doc.path, doc.kind)
    if isinstance(doc, ErbDoc):
        _view_facts(doc, facts)
    elif isinstance(doc, RubyDoc):
        _ruby_facts(doc, facts)
    elif isinstance(doc, JsDoc):
        _js_facts(doc, facts)
    doc._facts = facts  # type: ignore[union-attr]
    return facts


# --- the index -------------------------------------------------------------------------------------


def iter_app_files(root: Path) -> list[Path]:
    """Files of an app worth indexing or checking, skipping dependencies and generated output."""
    out: list[Path] = []
    stack = [root]
    walked: set[tuple[int, int]] = set()  # (device, inode): a symlink loop or a second link is walked once
    while stack:
        d = stack.pop()
        try:
            st = d.stat()
            if (st.st_dev, st.st_ino) in walked:
                continue
            walked.add((st.st_dev, st.st_ino))
            entries = sorted(d.iterdir())
        except OSError:
            continue
        for e in entries:
            if e.is_dir():
                if e.name not in SKIP_DIRS and not e.name.startswith("."):
                    stack.append(e)
            elif e.name == "Gemfile.lock" or indexable(e):
                out.append(e)
    return sorted(out)


def indexable(p: Path) -> bool:
    """Whether the index (and the checker) reads this file."""
    from hotwire_assist.core.rules.source import file_kind

    return file_kind(str(p)) is not None


def read_text(path: Path) -> str | None:
    """Decoded text, or None for unreadable, binary or oversized files (the checker reports those)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) > 1_000_000 or b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")


class AppIndex:
    """Cross-file facts of one app; `update_file` keeps it live as the editor changes files."""

    def __init__(self, root: Path | None = None):
        self.root = root
        self.files: dict[str, FileFacts] = {}
        self.versions: dict[str, str] = {}
        self._cache: dict[str, list] = {}
        self.generation = 0  # bumped on every change: caches of derived facts key on it

    # building
    def add_doc(self, doc: Doc) -> None:
        self.files[doc.path] = extract_facts(doc)
        self._changed()

    def _changed(self) -> None:
        self._cache.clear()
        self.generation += 1

    def update_file(self, path: str | Path, text: str | None = None) -> None:
        """Re-index one file (from `text` when given, else from disk); removes it when it is gone."""
        p = Path(path)
        key = str(p)
        if p.name == "Gemfile.lock":
            t = text if text is not None else read_text(p)
            self.versions = parse_gemfile_lock(t or "")
            return
        if text is None:
            text = read_text(p)
        doc = make_doc(key, text) if text is not None else None
        if doc is None:
            self.files.pop(key, None)
            self._changed()
        else:
            self.add_doc(doc)

    # queries
    def _all(self, attr: str) -> list:
        """All files' facts of one kind, cached until the next add/update."""
        if attr not in self._cache:
            self._cache[attr] = [x for f in self.files.values() for x in getattr(f, attr)]
        return self._cache[attr]

    @property
    def stimulus_controllers(self) -> dict[str, StimulusController]:
        return {f.stimulus.identifier: f.stimulus for f in self.files.values() if f.stimulus is not None}

    @property
    def known_controller_ids(self) -> set[str]:
        return set(self.stimulus_controllers) | set(self._all("registered_controllers"))

    @property
    def frames(self) -> list[IdDef]:
        return self._all("frames")

    @property
    def ids(self) -> list[IdDef]:
        return self._all("ids")

    @property
    def frame_refs(self) -> list[IdDef]:
        return self._all("frame_refs")

    @property
    def stream_targets(self) -> list[IdDef]:
        return self._all("stream_targets")

    @property
    def custom_stream_actions(self) -> set[str]:
        return set(self._all("custom_stream_actions"))

    @property
    def views(self) -> list[str]:
        return [p for p, f in self.files.items() if f.kind == "erb"]

    @property
    def partials(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for p in self.views:
            v = view_name(p)
            pn = partial_name(v) if v else None
            if pn:
                out[pn] = p
        return out

    def renderers_of(self, partial: str) -> list[str]:
        """Files that render a partial (`todos/todo`), by name or as a record/collection."""
        base = partial.rpartition("/")[2]
        return [f.path for f in self.files.values() for r in f.renders if r == partial or (r == f"*/{base}")]

    def declares_controller(self, identifier: str, files: list[str] | None = None) -> bool:
        facts = self.files.values() if files is None else [self.files[f] for f in files if f in self.files]
        return any(identifier in f.data_controllers for f in facts)

    @property
    def routes(self) -> list[dict]:
        return self._all("routes")

    @property
    def models(self) -> list[dict]:
        return [f.model for f in self.files.values() if f.model]

    @property
    def controllers(self) -> list[dict]:
        return [f.controller for f in self.files.values() if f.controller]

    def to_json(self) -> dict:
        """Stable JSON for `hotwire-assist index --format json`."""
        rel = self.rel
        return {
            "root": str(self.root) if self.root else None,
            "versions": self.versions,
            "stimulus_controllers": [
                {**asdict(c), "path": rel(c.path)}
                for c in sorted(self.stimulus_controllers.values(), key=lambda c: c.identifier)
            ],
            "frames": [{**asdict(d), "file": rel(d.file)} for d in self.frames],
            "stream_targets": [{**asdict(d), "file": rel(d.file)} for d in self.stream_targets],
            "ids": [{**asdict(d), "file": rel(d.file)} for d in self.ids if d.kind == "id"],
            "partials": {k: rel(v) for k, v in sorted(self.partials.items())},
            "models": [{**m, "path": rel(m["path"])} for m in self.models],
            "controllers": [{**c, "path": rel(c["path"])} for c in self.controllers],
            "routes": self.routes,
            "custom_stream_actions": sorted(self.custom_stream_actions),
        }

    def rel(self, path: str) -> str:
        """A path relative to the app root (as shown to users and in JSON)."""
        if self.root is None:
            return path
        try:
            return str(Path(path).resolve().relative_to(self.root.resolve()))
        except ValueError:
            return path

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)


def find_app_root(path: Path) -> Path | None:
    """The nearest folder holding `Gemfile` or `app/` (the app a file belongs to)."""
    p = path.resolve()
    return _root_of_dir(str(p if p.is_dir() else p.parent))


@lru_cache(maxsize=1024)
def _root_of_dir(folder: str) -> Path | None:
    d = Path(folder)
    if (d / "Gemfile").is_file() or (d / "app").is_dir() or (d / "config" / "routes.rb").is_file():
        return d
    return None if d.parent == d else _root_of_dir(str(d.parent))


def index_app(root: Path, docs: dict[str, Doc] | None = None) -> AppIndex:
    """Index every file of an app. `docs` (path -> parsed doc) is filled and reused so each file parses once."""
    root = Path(root)
    index = AppIndex(root)
    for path in iter_app_files(root):
        key = str(path)
        if path.name == "Gemfile.lock":
            index.versions = parse_gemfile_lock(read_text(path) or "")
            continue
        doc = docs.get(key) if docs is not None else None
        if doc is None:
            text = read_text(path)
            doc = make_doc(key, text) if text is not None else None
            if doc is not None and docs is not None:
                docs[key] = doc
        if doc is not None:
            index.add_doc(doc)
    return index
