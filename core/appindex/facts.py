"""Per-file facts: what one parsed view, Ruby file or Stimulus controller contributes to the index."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node

from hotwire_assist.core.appindex.ids import _record_name, id_pattern
from hotwire_assist.core.appindex.names import _resolve_partial, singularize, stimulus_identifier, view_name
from hotwire_assist.core.appindex.routes import parse_routes
from hotwire_assist.core.hotwire import TURBO_STREAM_ACTIONS
from hotwire_assist.core.parsing import (
    Doc,
    ErbDoc,
    JsDoc,
    RubyDoc,
    SourceText,
    call_name,
    literal,
    node_text,
    option_pairs,
    pair_key,
    positional_args,
    walk,
)

STREAM_DIRECTIVES = TURBO_STREAM_ACTIONS


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
    fetches_html: list[int] = field(default_factory=list)  # lines rebuilding markup from fetched HTML/JSON
    # where the class's parent comes from when it is not Stimulus's Controller (`extends NestedForm` imported
    # from '@stimulus-components/rails-nested-form', or './base_controller'): Stimulus merges its targets
    parent: str = ""
    # data attributes the controller reads from its element itself (`dataset.delegateClickTarget`, getAttribute)
    own_attributes: list[str] = field(default_factory=list)
    # listens for keys on the whole page itself (`document.addEventListener("keydown", …)`: Escape closes it)
    page_keys: bool = False


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
    # `turbo_stream.<name>` methods the app adds to Turbo's stream builder (a module of methods that call
    # `turbo_stream_action_tag`, prepended to Turbo::Streams::TagBuilder), and whether it extends that builder
    stream_builder_methods: list[str] = field(default_factory=list)
    extends_stream_builder: bool = False
    registered_controllers: list[str] = field(default_factory=list)
    model: dict | None = None
    controller: dict | None = None
    versions: dict[str, str] = field(default_factory=dict)
    routes: list[dict] = field(default_factory=list)
    loads_ujs: bool = False  # the file imports/pins/starts rails-ujs (@rails/ujs)
    turbo_forms_off: bool = False  # the script turns Turbo Drive (or its form handling) off app-wide
    # registers controllers under names read at run time from window (a plugin list): `application.register(name,
    # window[controller])`; identifiers the index never sees may be registered
    registers_late: bool = False
    # reads elements' data-action itself (`button.dataset.action`, `getAttribute("data-action")`): a bare word
    # there (`data-action="bold"`) is that script's setting, not a Stimulus descriptor
    reads_data_action: bool = False
    # data attributes a script finds elements by, `name` or `name=value` (`querySelector('[data-delete-target]')`,
    # `'[data-map-target="tip"]'` -> `data-map-target=tip`): markers that script reads itself, used even where no
    # Stimulus controller declares them as targets
    selector_attributes: list[str] = field(default_factory=list)
    frame_missing_handler: bool = False  # listens for turbo:frame-missing (recovers from a response without the frame)
    # names that request data can write: params keys and permitted attributes in request-handling code, form
    # field names in views (`f.text_area :body`, `name="post[body]"`)
    written_words: list[str] = field(default_factory=list)
    morph: bool = False  # the page asks for morph refreshes (turbo_refreshes_with / turbo-refresh-method meta)
    # app/helpers: method -> Stimulus identifiers its markup declares, and the methods it calls
    helper_controllers: dict[str, list[str]] = field(default_factory=dict)
    helper_calls: dict[str, list[str]] = field(default_factory=dict)
    collection_locals: list[tuple[str, str]] = field(default_factory=list)  # (partial, `as:` local) per row
    helpers_called: list[str] = field(default_factory=list)  # receiver-less calls in a view (helpers it uses)
    components: list[str] = field(default_factory=list)  # view components rendered (`render DS::Dialog.new`)
    per_item_renders: list[str] = field(default_factory=list)  # partials rendered per record (collection, loop)
    dynamic_controller: bool = False  # an element's data-controller is computed at run time
    # a layout: the block calls its `yield` sits in (`ui_modal do … yield`; a component as `render:Class`)
    yield_wrappers: list[str] = field(default_factory=list)
    # templates a controller renders into a string (`render_to_string(template: "a/b")`): sent somewhere else
    string_renders: list[str] = field(default_factory=list)
    # the app's own FormBuilder subclasses: class name -> field methods that render the field's <label> themselves,
    # `nests:<method>` for its methods that yield a nested builder of the same class, and `via:<method>:<name>` for
    # a method that renders a component or partial (`render component("ui/forms/field")…`): it labels when that
    # template has a <label> (resolved by the index)
    form_builders: dict[str, list[str]] = field(default_factory=dict)
    builder_helpers: dict[str, str] = field(default_factory=dict)  # `def app_form_for(…) = form_for(…, builder: X)`
    has_label: bool = False  # a view or component template that renders a <label> (label/label_tag included)
    announces: bool = False  # a template whose markup announces itself when inserted (role="alert")


def _view_facts(doc: ErbDoc, facts: FileFacts) -> None:
    line = doc.line_of
    facts.frame_missing_handler = "turbo:frame-missing" in doc.text  # data-action="turbo:frame-missing->…"
    facts.written_words = _words(_FIELD_WORDS, doc.text)
    this_view = view_name(doc.path)
    facts.has_label = any(el.name in ("label", "label_tag") for el in doc.elements)
    facts.announces = bool(_ANNOUNCES.search(doc.text))
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
        elif ctrl is not None and ctrl.value is None and ctrl.code.strip() not in ("", "nil"):
            facts.dynamic_controller = True
            if el.origin == "html":  # `data-controller="scroll-seek <%= "preview" if x %>"`: the fixed words
                static = re.sub(r"<%.*?%>", " ", doc.slice(ctrl.value_start, ctrl.value_end), flags=re.S)
                facts.data_controllers.extend(w for w in static.split() if re.fullmatch(r"[a-z][\w-]*", w))
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
    facts.morph = bool(_MORPH.search(doc.text))
    facts.helpers_called = sorted({call_name(doc, c) for c in doc.calls if c.child_by_field_name("receiver") is None})
    facts.components = sorted({c for call in doc.calls if (c := component_rendered(doc, call))})
    if "/layouts/" in "/" + doc.path.replace("\\", "/"):
        facts.yield_wrappers = _yield_wrappers(doc)
    seen = {(d.id, d.line) for d in facts.ids}
    facts.ids.extend(IdDef(f.id, f.file, f.line, "id") for f in facts.frames if (f.id, f.line) not in seen)


_MORPH = re.compile(
    r"turbo_refreshes_with[^\n]*morph|turbo_refresh_method_tag[^\n]*morph|turbo-refresh-method[\"'][^>]*morph"
)
_TARGET_ATTR = re.compile(r"data-([\w-]+?)-(?:target|[\w-]+-value|[\w-]+-outlet)")


def _assigned_string(doc: ErbDoc, node):
    """The string a local is set to when the template assigns it once (`frame_id = "track-info-#{id}"`)."""
    if node.type != "identifier":
        return None
    name = node_text(doc, node)
    values = [
        a.child_by_field_name("right")
        for a in walk(doc.ruby_tree.root_node)
        if a.type == "assignment" and node_text(doc, a.child_by_field_name("left")) == name
    ]
    return values[0] if len(values) == 1 and values[0] is not None and values[0].type == "string" else None


def _erb_id_glob(doc: ErbDoc, start: int, end: int) -> str:
    """Glob for an HTML attribute value mixing text and ERB: `todo_<%= t.id %>` -> todo_*; dom_id read properly."""
    tags = doc.erb_in(start, end)
    if len(tags) == 1 and tags[0].start == start and tags[0].end == end and tags[0].kind == "output":
        code = tags[0].code
        cs = tags[0].code_start + len(code[: len(code) - len(code.lstrip())].encode())
        ce = tags[0].code_end - len(code[len(code.rstrip()) :].encode())
        node = doc.ruby_tree.root_node.descendant_for_byte_range(cs, ce)
        if node is not None and node.start_byte == cs and node.end_byte == ce:
            return id_pattern(doc, _assigned_string(doc, node) or node)
        return "*"
    out, pos = "", start
    for t in tags:
        out += doc.slice(pos, t.start) + "*"
        pos = t.end
    return out + doc.slice(pos, end)


def _yield_wrappers(doc: ErbDoc) -> list[str]:
    """Names of the block calls around a layout's page `yield` (not `yield :head`)."""
    out: set[str] = set()
    for n in walk(doc.ruby_tree.root_node):
        if n.type != "yield" or n.named_child_count:
            continue
        p = n.parent
        while p is not None:
            if p.type in ("block", "do_block") and p.parent is not None and p.parent.type == "call":
                owner = p.parent
                comp = component_rendered(doc, owner)
                if comp is not None:
                    out.add(f"render:{comp}")
                elif owner.child_by_field_name("receiver") is None:
                    out.add(call_name(doc, owner))
            p = p.parent
    return sorted(out)


ITERATORS = {"each", "map", "flat_map", "collect", "times", "find_each", "each_with_index", "each_with_object",
             "each_slice", "each_pair", "each_value", "in_batches", "filter_map", "upto", "downto", "step",
             "each_cons", "with_index", "sum", "cycle", "loop"}  # fmt: skip


def _in_loop(doc: SourceText, node: Node) -> bool:
    """Whether a call runs once per item: inside the block of `each`, `map`, `each_with_index`, `times`…"""
    p = node.parent
    while p is not None and p.type not in ("method", "class"):
        if p.type in ("block", "do_block") and p.parent is not None and p.parent.type == "call":
            if call_name(doc, p.parent) in ITERATORS:
                return True
        elif p.type in ("for", "while", "until"):
            return True
        p = p.parent
    return False


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
        rendered = _rendered_partials(doc, call, this_view)
        facts.renders.extend(rendered)
        opts = {pair_key(doc, p): p.child_by_field_name("value") for p in option_pairs(call)}
        explicit = [r for r in rendered if not r.startswith("*/")]
        if "collection" in opts or _in_loop(doc, call):
            facts.per_item_renders.extend(explicit or rendered)
        elif not explicit:
            facts.per_item_renders.extend(rendered)  # `render @post` or `render post`: a record's own partial
        partial, as_ = literal(doc, opts.get("partial")), literal(doc, opts.get("as"))
        if "collection" in opts and partial and as_:
            facts.collection_locals.append((_resolve_partial(this_view, partial), as_))
    elif name == "render_to_string" and recv is None:
        for p in option_pairs(call):
            if pair_key(doc, p) in ("template", "partial"):
                v = literal(doc, p.child_by_field_name("value"))
                if v:
                    facts.string_renders.append(_resolve_partial(this_view, v) if pair_key(doc, p) == "partial" else v)
        first = positional_args(call)[:1]
        if first and (v := literal(doc, first[0])):
            facts.string_renders.append(v)


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


# --- Ruby: controllers and models ------------------------------------------------------------------


# Ruby that handles requests or outside input (params, permitted attributes, a channel's data, an importer's
# keys): every symbol, hash key and string key there may name an attribute written from outside
_WRITING_CODE = re.compile(r"/app/(controllers|channels|graphql|api|services|jobs|mailboxes|forms|interactors)/")
_RUBY_WORDS = re.compile(r"""(?<![:\w]):(\w+)|\b(\w+):(?!:)|\[\s*["'](\w+)["']\s*\]""")
# a form field in a view: `f.text_area :body`, `text_field_tag "q"`, `name="post[body]"`
_FIELD_WORDS = re.compile(
    r"""\b(?:\w+_field|text_area|textarea|rich_text_area|rich_textarea|\w*select|check_box|radio_button|input|"""
    r"""collection_\w+|\w+_field_tag|text_area_tag|select_tag|check_box_tag|radio_button_tag)\s*\(?\s*[:"'](\w+)"""
    r"""|\bname=["'](?:[^"'\[]*\[)*(\w+)\]?["']"""
)


def _words(pattern: re.Pattern, text: str) -> list[str]:
    words = {w for m in pattern.finditer(text) for w in m.groups() if w}
    if pattern is _RUBY_WORDS:  # `params.expect(story: %i[title body])`
        words |= {w for m in re.finditer(r"%[iIwW][\[(]([^\])]*)[\])]", text) for w in m.group(1).split()}
    return sorted(words)


_EXTENDS_STREAM_BUILDER = re.compile(
    r"TagBuilder\.(?:prepend|include|class_eval|module_eval)\b|on_load\(\s*:turbo_streams_tag_builder\b"
    r"|class\s+(?:::)?Turbo::Streams::TagBuilder\b|module\s+Turbo::Streams\b"
)


def _ruby_facts(doc: RubyDoc, facts: FileFacts) -> None:
    # a helper emitting a custom action (`turbo_stream_action_tag :refresh_link_modals`), handled by the app's JS
    facts.custom_stream_actions = re.findall(r"""\bturbo_stream_action_tag[\s(]+[:"']([\w-]+)""", doc.text)
    if "turbo_stream_action_tag" in doc.text:
        facts.stream_builder_methods = re.findall(r"^\s*def\s+(\w+)", doc.text, re.M)
    facts.extends_stream_builder = bool(_EXTENDS_STREAM_BUILDER.search(doc.text))
    p = doc.path.replace("\\", "/")
    if _WRITING_CODE.search("/" + p):
        facts.written_words = _words(_RUBY_WORDS, doc.text)
    root = doc.tree.root_node
    for call in doc.calls:
        _call_facts(doc, call, facts, None)
    if "/app/helpers/" in "/" + p or "/app/components/" in "/" + p:
        # frames a helper or component renders: `def card_frame(card, &) = turbo_frame_tag(card, :card, &)`
        for call in doc.calls:
            if call_name(doc, call) == "turbo_frame_tag" and call.child_by_field_name("receiver") is None:
                args = positional_args(call)
                if args:
                    src = any(pair_key(doc, o) == "src" for o in option_pairs(call))
                    glob = id_pattern(doc, args[0], args[1:])
                    facts.frames.append(
                        IdDef(glob, doc.path, doc.line_of(call.start_byte), "frame-src" if src else "frame")
                    )
    if "FormBuilder" in doc.text:
        facts.form_builders = _form_builders(doc)
    if "builder:" in doc.text:
        facts.builder_helpers = _builder_helpers(doc)
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
        facts.model = {
            "name": name,
            "path": doc.path,
            "broadcasts": sorted(set(broadcasts)),
            # methods the model defines: a value they compute may come from anything (not a stored column)
            "methods": sorted(set(re.findall(r"^\s*def\s+(?:self\.)?(\w+[?!]?)", doc.text, re.M))),
            # attributes the model assigns itself (`self.visited_countries = points.pluck(…)`), minus its
            # associations: stored values (an array column), whose `.count` counts in memory
            "stored": sorted(
                set(re.findall(r"\bself\.(\w+)\s*=(?!=)", doc.text)) - set(re.findall(_ASSOCIATION, doc.text))
            ),
            # a plain Ruby class (no superclass, no ActiveModel) with its own initialize: `new` takes arguments
            "plain": cls is not None
            and cls.child_by_field_name("superclass") is None
            and not re.search(r"\bActiveModel::|\bActiveRecord::|assign_attributes|\bsend\(", doc.text)
            and bool(re.search(r"^\s*def\s+initialize\b", doc.text, re.M)),
        }
    if "/app/controllers/" in "/" + p:
        facts.controller = _controller_facts(doc)
    if "/app/helpers/" in "/" + p or "/app/components/" in "/" + p:
        _helper_facts(doc, facts)
    if p.endswith("config/routes.rb"):
        facts.routes = parse_routes(doc)
    if p.endswith("config/importmap.rb"):
        facts.loads_ujs = bool(_UJS.search(doc.text))


# role="alert": announced when it is inserted, as a flash message is (an aria-live region inserted together with
# its text is not reliably announced: the region has to be there before its content changes)
_ANNOUNCES = re.compile(r"""\brole\s*[=:]\s*["']alert["']""")
_ASSOCIATION = re.compile(r"^\s*(?:has_many|has_one|has_and_belongs_to_many|belongs_to)\s+:(\w+)", re.M)
VIA = "via:"  # in FileFacts.form_builders: `via:<method>:<component or partial>` it renders
NESTS = "nests:"  # in FileFacts.form_builders: a builder method that yields a nested builder (`nests:name`)
# `return "" unless options[:label]`, `if opts[:label]`: a label only when asked for (`label:` is read elsewhere)
_LABEL_OPT_IN = re.compile(r"\b(?:unless|if)\s+(?:\w+\[:label\]|\w+\.key\?\(:label\))\s*(?:$|then\b)", re.M)
_BUILDER_SUPER = re.compile(r"(?:^|::)\w*FormBuilder$")


def _form_builders(doc: RubyDoc) -> dict[str, list[str]]:
    """The field methods of the app's FormBuilder subclasses that render a `<label>`: a method calling `label`
    itself, or through a method of the same class that does (`def text_field(m, o) = layout(m, o) { super }`)."""
    out: dict[str, list[str]] = {}
    for cls in (n for n in walk(doc.tree.root_node) if n.type == "class"):
        sup = cls.child_by_field_name("superclass")
        sup_name = node_text(doc, sup).lstrip("<").strip() if sup is not None else ""
        if not _BUILDER_SUPER.search(sup_name):
            continue
        calls: dict[str, set[str]] = {}
        opt_in: set[str] = set()  # methods that render the label only when the caller passes `label:`
        for m in (n for n in walk(cls) if n.type == "method"):
            name = node_text(doc, m.child_by_field_name("name"))
            calls[name] = _own_calls(doc, m)
            if _LABEL_OPT_IN.search(node_text(doc, m)):
                opt_in.add(name)
        labelling = {n for n, cs in calls.items() if ("label" in cs or "label_tag" in cs) and n not in opt_in}
        grown = True
        while grown:
            more = {n for n, cs in calls.items() if n not in labelling | opt_in and cs & labelling}
            labelling |= more
            grown = bool(more)
        # methods that open a nested builder of the same class (`def dynamic_fields_for(a) = fields_for(a) {…}`)
        nesting = sorted(n for n, cs in calls.items() if {"fields_for", "fields"} & cs)
        via = sorted(
            f"{VIA}{name}:{lit}"
            for m in (n for n in walk(cls) if n.type == "method")
            if (name := node_text(doc, m.child_by_field_name("name"))) not in labelling
            for lit in _rendered_literals(doc, m)
        )
        out[_qualified_name(doc, cls)] = sorted(labelling - {"label"}) + [f"{NESTS}{n}" for n in nesting] + via
    return out


_BARE = ("body_statement", "block_body", "binary", "parenthesized_statements")


def _rendered_literals(doc: RubyDoc, method: Node) -> list[str]:
    """Component or partial names a builder method renders: `component("ui/forms/field")`,
    `render partial: "shared/field"`, `render "shared/field"`."""
    out: list[str] = []
    for c in walk(method):
        if c.type != "call" or call_name(doc, c) not in ("component", "render"):
            continue
        args = positional_args(c)
        if args and (v := literal(doc, args[0])):
            out.append(v)
        out += [v for p in option_pairs(c) if pair_key(doc, p) == "partial"
                and (v := literal(doc, p.child_by_field_name("value")))]  # fmt: skip
    return out


def _builder_helpers(doc: RubyDoc) -> dict[str, str]:
    """Helper methods that open a form with a builder of the app (`def solidus_form_for(*a, **k, &b) =
    form_for(*a, **k, builder: SolidusAdmin::FormBuilder, &b)`): helper name -> builder class name."""
    out: dict[str, str] = {}
    for m in (n for n in walk(doc.tree.root_node) if n.type == "method"):
        for c in walk(m):
            if c.type == "call" and call_name(doc, c) in ("form_for", "form_with", "fields_for", "fields"):
                for p in option_pairs(c):
                    v = p.child_by_field_name("value")
                    if pair_key(doc, p) == "builder" and v is not None and v.type in ("constant", "scope_resolution"):
                        out[node_text(doc, m.child_by_field_name("name"))] = node_text(doc, v).lstrip(":")
    return out


def _qualified_name(doc: RubyDoc, cls: Node) -> str:
    """`Shadcn::FormBuilder` for `module Shadcn; class FormBuilder`: the class name with its enclosing modules."""
    name = node_text(doc, cls.child_by_field_name("name")).lstrip(":")
    p = cls.parent
    while p is not None:
        if p.type in ("module", "class"):
            name = f"{node_text(doc, p.child_by_field_name('name'))}::{name}"
        p = p.parent
    return name


def _own_calls(doc: RubyDoc, method: Node) -> set[str]:
    """Names a method calls on itself or its template (`label(…)`, `@template.label`, a bare `layout`)."""
    out: set[str] = set()
    for c in walk(method):
        if c.type == "call":
            recv = c.child_by_field_name("receiver")
            if recv is None or node_text(doc, recv) in ("self", "@template"):
                out.add(call_name(doc, c))
        elif c.type == "identifier" and c.parent is not None and c.parent.type in _BARE:
            out.add(node_text(doc, c))
    return out


def component_rendered(doc: SourceText, call: Node) -> str | None:
    """`render DS::Dialog.new(...)` -> `DS::Dialog` (the component class a render call instantiates)."""
    if call_name(doc, call) != "render" or call.child_by_field_name("receiver") is not None:
        return None
    args = positional_args(call)
    first = args[0] if args else None
    if first is None or first.type != "call" or call_name(doc, first) != "new":
        return None
    recv = first.child_by_field_name("receiver")
    return node_text(doc, recv) if recv is not None and recv.type in ("constant", "scope_resolution") else None


def _helper_facts(doc: RubyDoc, facts: FileFacts) -> None:
    """Which helper methods emit `data-controller` (directly or through another helper they call)."""
    for m in walk(doc.tree.root_node):
        if m.type != "method":
            continue
        name = node_text(doc, m.child_by_field_name("name"))
        idents: list[str] = []
        called: list[str] = []
        for n in walk(m):
            if n.type == "pair" and pair_key(doc, n) in ("controller", "data-controller", "data_controller"):
                v = literal(doc, n.child_by_field_name("value"))
                if v:
                    idents.extend(v.split())
            elif n.type in ("string_content",):
                idents.extend(x for v in _DATA_CONTROLLER.findall(node_text(doc, n)) for x in v.split())
            elif n.type == "call" and n.child_by_field_name("receiver") is None:
                called.append(call_name(doc, n))
            elif n.type == "identifier" and n.parent is not None and n.parent.type in ("pair", "argument_list"):
                called.append(node_text(doc, n))  # `data: composer_data_options` without parentheses
        if idents:
            facts.helper_controllers[name] = sorted(set(idents))
        if called:
            facts.helper_calls[name] = sorted(set(called))
    # tree-sitter-ruby loses a method to an ERROR on `tag.div data: {…},\n &` (anonymous block forwarding after
    # a bare hash): read controller declarations per `def` from the text as well
    defs = list(_DEF.finditer(doc.text))
    for i, m in enumerate(defs):
        body = doc.text[m.end() : defs[i + 1].start() if i + 1 < len(defs) else len(doc.text)]
        found = [x for v in _CONTROLLER_OPTION.findall(body) for x in v.split()]
        if found:
            facts.helper_controllers[m.group(1)] = sorted(
                set(facts.helper_controllers.get(m.group(1), [])) | set(found)
            )


_DEF = re.compile(r"^\s*def\s+(?:self\.)?([a-z_]\w*[?!]?)", re.M)
_CONTROLLER_OPTION = re.compile(r"""\bcontroller:\s*["']([\w\s-]+)["']""")
_DATA_CONTROLLER = re.compile(r"data-controller=[\\\"']+([\w\s-]+)")


_SIGN_IN_FILTER = re.compile(
    r"^\s*(?:prepend_)?before_action\s+:?\w*(?:authenticat|login|logged_in|sign(?:ed)?_in|require_|admin|authoriz|"
    r"current_|_user\b|_user!)",
    re.M,
)


def _controller_facts(doc: RubyDoc) -> dict:
    actions: dict[str, list[str]] = {}
    explicit: list[str] = []  # actions that render/redirect themselves (not their own template)
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
            if any(
                (c.type in ("call", "identifier") and node_text(doc, c) in ("render", "redirect_to", "head"))
                or (c.type == "call" and call_name(doc, c) in ("render", "redirect_to", "head", "respond_with"))
                for c in walk(n)
            ):
                explicit.append(name)
            lines[name] = doc.line_of(n.start_byte)
    name = node_text(doc, cls.child_by_field_name("name")) if cls is not None else ""
    parent = cls.parent if cls is not None else None
    while parent is not None:  # `module Admin; class UsersController` is Admin::UsersController
        if parent.type == "module":
            name = f"{node_text(doc, parent.child_by_field_name('name'))}::{name}"
        parent = parent.parent
    sup = cls.child_by_field_name("superclass") if cls is not None else None
    return {
        "name": name,
        "path": doc.path,
        "actions": actions,
        "action_lines": lines,
        "renders": explicit,
        "superclass": node_text(doc, sup).lstrip("<").strip() if sup is not None else "",
        # a filter that signs in, authenticates or authorises the user: its actions ride the user's session
        "guarded": bool(_SIGN_IN_FILTER.search(doc.text)),
        # `default_form_builder AppFormBuilder`: every form of this controller's views uses that builder
        "form_builder": (m.group(1) if (m := _DEFAULT_BUILDER.search(doc.text)) else ""),
    }


_DEFAULT_BUILDER = re.compile(r"^\s*default_form_builder\s*\(?\s*:*([A-Z][\w:]*)", re.M)


# --- JavaScript: Stimulus controllers --------------------------------------------------------------

# A class-body method, TypeScript modifiers and return types allowed: `  async save(event: Event): Promise<void> {`
_JS_METHOD = re.compile(
    r"^[ \t]+(?:(?:public|private|protected|override)\s+)?(?:async\s+)?(?:static\s+)?(get\s+|set\s+)?"
    r"([A-Za-z_$][\w$]*)\s*(?:<[^>()]*>)?\s*\([^)]*\)\s*(?::\s*[^{;=]+?)?\s*\{",
    re.M,
)
# An arrow-function property: `  toggle = (event) => {`
# (a TypeScript annotation stays on its line: `[^=\n]`, or `id: 'x',` would swallow the lines up to the next `=`)
_JS_ARROW = re.compile(r"^[ \t]+([A-Za-z_$][\w$]*)\s*(?::\s*[^=\n]+)?=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*=>", re.M)
_JS_KEYWORDS = {"if", "for", "while", "switch", "catch", "function", "return", "constructor", "super"}


# a fixed string assigned (escapes and a trailing `// comment` allowed), or passed after insertAdjacentHTML's
# position argument (`insertAdjacentHTML("afterend", '<p>Sorry, we couldn\'t…</p>')`)
_LITERAL_RHS = re.compile(
    r"""\s*(?:["'][\w-]+["']\s*,\s*)?(?:(["'])(?:\\.|(?!\1)[^\n\\])*\1|`(?:\\.|\$(?!\{)|[^`\\$])*`)"""
    r"""\s*(?:\)\s*)?;?\s*(?://[^\n]*)?(\n|$)"""
    # or a copy of markup already on the page (`frame.innerHTML = skeleton.innerHTML`: a loading placeholder)
    r"""|\s*[\w$.]+\.innerHTML\s*;?\s*(\n|$)"""
)
# elements that are no markup built from data: a canvas probe, a style/script/link tag, a textarea for copying
_NON_MARKUP_ELEMENT = re.compile(r"""\s*["'](canvas|style|script|link|textarea)["']""")
# a controller that draws data (charts, graphs, maps): building its elements in JS is the library's job
_VIZ = re.compile(
    r"from\s+[\"'](d3[\w-]*|chart\.js[\w/-]*|echarts|highcharts|plotly[\w.-]*|vega[\w-]*|apexcharts|leaflet|"
    r"mapbox-gl|maplibre-gl|three|cytoscape|vis-network)[\"']|createElementNS\s*\(|getContext\s*\(\s*[\"']2d"
)


def _js_list(text: str, name: str) -> list[str]:
    m = re.search(rf"static\s+{name}\s*=\s*\[([^\]]*)\]", text)
    # the older getter form: `static get targets() { return ['checkbox', 'content'] }`
    m = m or re.search(rf"static\s+get\s+{name}\s*\(\s*\)\s*\{{\s*return\s*\[([^\]]*)\]", text)
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


_UJS = re.compile(
    r"""["']@rails/ujs["']|["']rails-ujs["']|\bRails\.start\(\)"""
    r"""|^\s*//=\s*require\s+["']?(rails-ujs|jquery_ujs|jquery-ujs)\b""",  # Sprockets manifests
    re.M,
)


# Turbo Drive off app-wide (`Turbo.session.drive = false`, Turbo 8's `Turbo.config.drive.enabled = false`) or
# its form handling off or opt-in only: Turbo then submits no form outside a frame unless it opts in
_TURBO_FORMS_OFF = re.compile(
    r"\bTurbo\.session\.drive\s*=\s*false\b|\bTurbo\.config\.drive\.enabled\s*=\s*false\b"
    r"""|\bTurbo\.setFormMode\(\s*["'](?:off|optin)["']\s*\)|\bTurbo\.config\.forms\.mode\s*=\s*["'](?:off|optin)["']"""
)


def _message_slot(text: str, start: int, end: int) -> bool:
    """`showError (html) { this.errorTarget.innerHTML = html }` where the file also calls
    `this.showError('Something went wrong')`: the method writes a message into a status slot, it does not
    rebuild server-rendered markup."""
    rhs = re.match(r"\s*([A-Za-z_$][\w$]*)\s*(?:;|\n|$)", text[end:])
    if rhs is None:
        return False
    method = None
    for m in _JS_METHOD.finditer(text, 0, start):
        if m.group(2) not in _JS_KEYWORDS:
            method = m  # the last method header before the write (`if (…) {` blocks are no methods)
    if method is None or method.group(1):
        return False
    params = re.search(r"\(([^)]*)\)", method.group(0))
    if params is None or rhs.group(1) not in re.findall(r"[A-Za-z_$][\w$]*", params.group(1)):
        return False
    return re.search(rf"""\bthis\.{re.escape(method.group(2))}\(\s*["'`]""", text) is not None


_JS_HEADER = re.compile(r"^[ \t]+(?:async\s+)?#?([A-Za-z_$][\w$]*)\s*\([^)]*\)\s*\{", re.M)
_JS_ASYNC = re.compile(r"\bfetch\s*\(|XMLHttpRequest|\baxios\b|\$\.ajax|\bawait\b|\.then\s*\(")


def _built_in_method(text: str, start: int, end: int) -> bool:
    """`const buttonHTML = `<a href="${path}">…</a>`` then `insertAdjacentHTML('beforeend', buttonHTML)`, in a
    method (`#trixInitialize(event)`) that neither fetches nor awaits: markup written from a literal the method
    builds, not a server response (the fetch elsewhere in the controller is another job, such as an upload)."""
    header = None
    for m in _JS_HEADER.finditer(text, 0, start):
        if m.group(1) not in _JS_KEYWORDS:
            header = m
    if header is None:
        return False
    body = text[header.end() : start]
    if _JS_ASYNC.search(body):
        return False
    value = re.match(r"""\s*["'`][\w-]+["'`]\s*,\s*([A-Za-z_$][\w$]*)\s*\)""", text[end:]) or re.match(
        r"\s*([A-Za-z_$][\w$]*)\s*(?:;|\n|$)", text[end:]
    )
    if value is None:
        return False
    return re.search(rf"\b(?:const|let|var)\s+{re.escape(value.group(1))}\s*=\s*[`'\"]", body) is not None


def _parent_source(text: str) -> str:
    """Where the controller class's parent is imported from, "" when it is Stimulus's own Controller."""
    extends = r"class\s+(?:[A-Za-z_$][\w$]*\s+)?extends\s+([A-Za-z_$][\w$.]*)"
    m = re.search(r"export\s+default\s+" + extends, text) or re.search(r"\b" + extends, text)
    if m is None:
        return ""
    name = m.group(1)
    imp = re.search(
        rf"""import\s+(?:{re.escape(name)}\b|\{{[^}}]*\b(?:\w+\s+as\s+)?{re.escape(name)}\b[^}}]*\}})[^;\n]*?"""
        r"""from\s+["']([^"']+)["']""",
        text,
    )
    if imp is None:
        return "" if name in ("Controller", "Stimulus.Controller") else name
    return "" if imp.group(1) in ("@hotwired/stimulus", "stimulus") else imp.group(1)


# `[data-x]` or `[data-x="v"]` in a selector: `data-x` or `data-x=v`
_SELECTOR_ATTR = re.compile(r"""\[\s*(data-[\w-]+)\s*(?:[~|^$*]?=\s*["']?([\w-]+))?""")
# the selector string of a DOM query (`querySelector("…")`, `closest('…')`, `matches(`…`)`)
_SELECTOR_CALL = re.compile(r"""\b(?:querySelector(?:All)?|closest|matches)\(\s*(["'`])((?:(?!\1).)*)\1""")


def _js_facts(doc: JsDoc, facts: FileFacts) -> None:
    text = doc.text
    facts.loads_ujs = bool(_UJS.search(text))
    facts.turbo_forms_off = bool(_TURBO_FORMS_OFF.search(text))
    facts.frame_missing_handler = "turbo:frame-missing" in text
    facts.reads_data_action = bool(re.search(r"""\.dataset\.action\b|\.getAttribute\(\s*["']data-action["']""", text))
    facts.selector_attributes = sorted(
        {f"{a}={v}" if v else a for m in _SELECTOR_CALL.finditer(text) for a, v in _SELECTOR_ATTR.findall(m.group(2))}
    )
    facts.registers_late = bool(re.search(r"\.register\(\s*(?![\"'`])[\w$.\[\]]+\s*,", text)) and bool(
        re.search(r"\bwindow\.\w+", text)
    )
    facts.custom_stream_actions = re.findall(r"StreamActions(?:\.(\w+)|\[[\"']([\w-]+)[\"']\])\s*=", text)
    facts.custom_stream_actions = [a or b for a, b in facts.custom_stream_actions]
    # a `turbo:before-stream-render` listener that handles its own action (`if (el.action == "close_modal")`)
    facts.custom_stream_actions += re.findall(r"""\.action\s*===?\s*["']([\w-]+)["']""", text)
    facts.registered_controllers = re.findall(r"\.register\(\s*[\"']([\w-]+)[\"']", text)
    ident = stimulus_identifier(doc.path)
    if ident is None or "extends" not in text:
        return
    methods = [m.group(2) for m in _JS_METHOD.finditer(text) if m.group(2) not in _JS_KEYWORDS and not m.group(1)]
    methods += _JS_ARROW.findall(text)
    # a method assigned in a lifecycle callback: `initialize() { this.validate = debounce(this._validate, 500) }`
    methods += re.findall(
        r"\bthis\.([A-Za-z_$][\w$]*)\s*=\s*(?:debounce|throttle|[\w.]*\.bind\b|\([^)]*\)\s*=>|async\b|function\b)", text
    )
    ctrl = StimulusController(
        ident,
        doc.path,
        _js_list(text, "targets"),
        _js_values(text),
        _js_list(text, "classes"),
        _js_list(text, "outlets"),
        sorted(set(methods)),
        parent=_parent_source(text),
        own_attributes=sorted(
            set(re.findall(r"\.dataset\.([A-Za-z_$][\w$]*)", text))
            | set(re.findall(r"""getAttribute\(\s*["'](data-[\w-]+)["']""", text))
        ),
    )
    # a fetch whose answer is read (`.json()`, `.text()`, axios' `.data`, jQuery's callback): a fetch that only
    # posts (progress, a ping) and reads at most `response.ok` brings no markup in
    reads_answer = re.search(
        r"\.(json|text)\s*\(\s*\)|JSON\.parse|responseText|\baxios\b|\$\.ajax|XMLHttpRequest", text
    )
    ctrl.page_keys = bool(  # `document.addEventListener("keydown", …)` or `document[method]("keydown", …)`
        re.search(r"\b(?:document|window)(?:\.addEventListener|\[\w+\])\(\s*[\"']key(?:down|up|press)", text)
    )
    if re.search(r"\bfetch\s*\(|\baxios\b|XMLHttpRequest|\$\.ajax", text) and reads_answer:
        for m in re.finditer(r"\.(innerHTML|outerHTML)\s*\+?=(?!\s*[\"'`]{2})|insertAdjacentHTML\s*\(", text):
            if _LITERAL_RHS.match(text, m.end()):
                continue  # a fixed string (`label.innerHTML = 'Name <span>(optional)</span>'`): no fetched data
            if _message_slot(text, m.start(), m.end()):
                continue  # a method that shows a message, also called with fixed text: a status line
            if _built_in_method(text, m.start(), m.end()):
                continue  # markup the method builds itself from a literal, in a method that fetches nothing
            ctrl.fetches_html.append(doc.line_of(len(text[: m.start()].encode())))
        # data fetched, markup rebuilt element by element (not a chart or map a visualisation library draws)
        # elements built from fetched data carry it as text (not a fixed status message such as 'Saved!')
        data_text = re.search(
            r"\.(textContent|innerText)\s*=\s*(?![\s\"'])|createTextNode\s*\(\s*(?![\s\"'])|(?<!Data)(?<!Params)(?<!params)\.append\(",
            text,
        )
        if re.search(r"\.json\s*\(\s*\)|JSON\.parse", text) and not _VIZ.search(text) and data_text:
            for m in re.finditer(r"document\.createElement\s*\(", text):
                if _NON_MARKUP_ELEMENT.match(text, m.end()):
                    continue  # `createElement("canvas")` to probe WebGL: no markup
                ctrl.fetches_html.append(doc.line_of(len(text[: m.start()].encode())))
        ctrl.fetches_html = sorted(set(ctrl.fetches_html))
    facts.stimulus = ctrl


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
