"""Rules on ERB templates: Turbo markup, Stimulus attributes, forms, accessibility, and the
cross-file checks that need the app index (frames, stream targets, controllers)."""

from __future__ import annotations

import os
import re

from hotwire_assist.core.appindex import (
    NESTS,
    component_rendered,
    extract_facts,
    ids_overlap,
    partial_name,
    route_name,
    view_name,
)
from hotwire_assist.core.hotwire import TURBO_STREAM_ACTIONS
from hotwire_assist.core.parsing import (
    Element,
    ErbDoc,
    call_name,
    literal,
    node_text,
    option_pairs,
    pair_key,
    positional_args,
    walk,
)
from hotwire_assist.core.rules import stimulus as st
from hotwire_assist.core.rules import taint
from hotwire_assist.core.rules.base import Context
from hotwire_assist.core.rules.tag_helpers import (
    CONTENT_ACTIONS,
    check_ruby_helpers,
    check_ujs,
    unknown_action_severity,
    valid_stream_actions,
)

INTERACTIVE = {"a", "button", "input", "select", "textarea", "summary", "details", "label", "option", "form", "dialog"}
FIELD_HELPERS = {
    "text_field", "email_field", "password_field", "number_field", "telephone_field", "phone_field", "url_field",
    "search_field", "date_field", "datetime_field", "datetime_local_field", "time_field", "month_field",
    "week_field", "color_field", "range_field", "text_area", "textarea", "file_field", "check_box", "checkbox",
    "radio_button", "select", "collection_select", "grouped_collection_select", "time_zone_select",
    "rich_text_area", "rich_textarea",
}  # fmt: skip
TAG_FIELD_HELPERS = {f"{h}_tag" for h in FIELD_HELPERS} | {"select_tag"}
LABELLED_FIELDS = {"input", "select", "textarea"} | FIELD_HELPERS | TAG_FIELD_HELPERS
NOTIFY_ID = re.compile(
    r"(^|[_-])(flash|flashes|notice|notices|notifications?|toasts?|alerts|messages?-?region)($|[_-])"
)
LIVE_ROLES = {"status", "alert", "log"}
# controls and embedded content: an id naming notifications on these is no region messages appear in
CONTROL_ELEMENTS = {"button", "a", "input", "select", "textarea", "option", "img", "label", "form", "link_to",
                    "button_to", "button_tag", "image_tag", "submit_tag", "check_box_tag"}  # fmt: skip
COMPOSITE_ITEMS = {"option", "menuitem", "menuitemcheckbox", "menuitemradio", "treeitem", "gridcell", "tab", "row"}
CONTENT_LIST_ID = re.compile(r"(^|[_-])(list|lists|items|index|read|unread|page)($|[_-])")


def check_view(ctx: Context, doc: ErbDoc) -> None:
    before = len(ctx.findings)
    _check_view(ctx, doc)
    dead = _dead_lines(doc)
    if dead:  # markup under `<% if false %>` never renders: nothing in it can misbehave
        ctx.findings[before:] = [f for f in ctx.findings[before:] if not any(s <= f.line <= e for s, e in dead)]


def _dead_lines(doc: ErbDoc) -> list[tuple[int, int]]:
    """Line ranges of branches that never run: `if false …`, `if false && x`, `unless true`."""
    out: list[tuple[int, int]] = []
    if "false" not in doc.text and "true" not in doc.text:
        return out
    for n in walk(doc.ruby_tree.root_node):
        if n.type not in ("if", "unless"):
            continue
        cond = n.child_by_field_name("condition")
        if cond is None:
            continue
        never = r"^\s*false\b(?!\s*(\|\||or)\b)" if n.type == "if" else r"^\s*true\b(?!\s*(\|\||or)\b)"
        if re.match(never, node_text(doc, cond)):
            # up to an `else`/`elsif` branch, which does run (the markup between tags is no Ruby node)
            alt = n.child_by_field_name("alternative")
            end = alt.start_byte if alt is not None else n.end_byte
            out.append((doc.line_of(cond.end_byte) + 1, doc.line_of(end)))
    return out


def _check_view(ctx: Context, doc: ErbDoc) -> None:
    check_ruby_helpers(ctx, doc.calls, doc.ruby_tree.root_node)
    check_ujs(ctx, doc.html_elements)
    _raw_output_tags(ctx, doc)
    _turbo_markup(ctx, doc)
    _stimulus(ctx, doc)
    _forms(ctx, doc)
    _a11y(ctx, doc)
    _partial_queries(ctx, doc)
    _cross_file(ctx, doc)


def _raw_output_tags(ctx: Context, doc: ErbDoc) -> None:
    json = ".json." in doc.path.rsplit("/", 1)[-1]
    for t in doc.tags:
        if t.kind != "raw_output":
            continue
        code = t.code.strip()
        if not code:
            continue
        start = t.code_start + len(t.code[: len(t.code) - len(t.code.lstrip())].encode())
        end = t.code_end - len(t.code[len(t.code.rstrip()) :].encode())
        node = doc.ruby_tree.root_node.descendant_for_byte_range(start, end)
        while (
            node is not None
            and node.parent is not None
            and node.parent.end_byte <= end
            and node.parent.start_byte >= start
        ):
            node = node.parent
        severity = taint.severity_of(taint.origin(doc, node, json=json)) if node is not None else "info"
        if severity is None:
            continue
        why = ""
        if severity == "warning" and node is not None:
            if (cond := _html_branch(doc, node)) is not None:
                severity, why = (
                    "info",
                    f" (rendered as HTML on purpose, under `{cond[:40]}`: sanitise it where it is stored)",
                )
            elif (src := _configured_local(doc, node)) is not None:
                severity, why = "info", f" (`{src[:40]}` is configuration, not a record)"
        ctx.add(
            "security/erb-raw-output",
            t.start,
            t.end,
            f"`<%==` outputs `{code[:60]}` without escaping (XSS when it holds user input); use `<%=`" + why,
            ctx.fix("Escape the output (<%=)", (t.start, t.start + 4, "<%=")),
            severity=severity,  # type: ignore[arg-type]
        )


def _html_branch(doc: ErbDoc, node) -> str | None:
    """The condition of an `if`/`elsif` around `node` that chooses HTML rendering (`if @field.as_html`): the
    template outputs raw HTML there on purpose."""
    p = node.parent
    while p is not None:
        if p.type in ("if", "elsif"):
            cond = p.child_by_field_name("condition")
            if cond is not None and not (cond.start_byte <= node.start_byte < cond.end_byte):
                text = node_text(doc, cond)
                if re.search(r"html", text, re.I) and not re.search(r"\bnot\b|!|unless", text):
                    return text.strip()
        p = p.parent
    return None


def _configured_local(doc: ErbDoc, node) -> str | None:
    """`appearance.neutrals` where the template assigned `appearance = Avo.configuration.appearance`: a local
    whose every assignment before is read from a constant (configuration), not a record; that expression."""
    root = node
    while root.type == "call" and root.child_by_field_name("receiver") is not None:
        root = root.child_by_field_name("receiver")
    if root.type != "identifier":
        return None
    name, src = node_text(doc, root), None
    for n in walk(doc.ruby_tree.root_node):
        if n.start_byte >= node.start_byte:
            break
        left = n.child_by_field_name("left") if n.type == "assignment" else None
        if left is None or left.type != "identifier" or node_text(doc, left) != name:
            continue
        right = n.child_by_field_name("right")
        base = right
        while base is not None and base.type == "call" and base.child_by_field_name("receiver") is not None:
            base = base.child_by_field_name("receiver")
        if base is None or base.type not in ("constant", "scope_resolution"):
            return None
        src = node_text(doc, right)
    return src


# --- Turbo -----------------------------------------------------------------------------------------


def _turbo_markup(ctx: Context, doc: ErbDoc) -> None:
    valid, note = valid_stream_actions(ctx)
    for el in doc.html_elements:
        if el.name == "turbo-stream":
            action = el.get("action")
            if action is not None and action not in valid:
                a = el.attrs["action"]
                sev, why = unknown_action_severity(ctx)
                ctx.add(
                    "turbo/unknown-stream-action",
                    a.start,
                    a.end,
                    f"unknown turbo stream action `{action}`; valid: "
                    f"{', '.join(sorted(valid))}" + (f" ({note})" if note else "") + why,
                    severity=sev,
                )
            no_target = not (el.get("target") or el.get("targets") or _dynamic(el, "target") or _dynamic(el, "targets"))
            # an action the app defines (`Turbo.StreamActions.playSound = function () {…}`) decides itself what
            # it acts on; only Turbo's own actions need a target
            if action != "refresh" and no_target and (action is None or action in TURBO_STREAM_ACTIONS):
                ctx.add("turbo/stream-missing-target", el.start, el.tag_end, "<turbo-stream> needs a target or targets")
            if action in CONTENT_ACTIONS and not _has_child(doc, el, "template"):
                ctx.add(
                    "turbo/stream-missing-template",
                    el.start,
                    el.tag_end,
                    f'<turbo-stream action="{action}"> needs its content inside a <template>',
                )
        elif el.name == "turbo-frame":
            id_attr = el.attrs.get("id")
            if id_attr is None or id_attr.value == "":
                ctx.add("turbo/frame-missing-id", el.start, el.tag_end, "<turbo-frame> needs a non-empty id")
            src = el.attrs.get("src")
            if src is not None and not el.has("loading"):
                ctx.add(
                    "turbo/eager-frame",
                    src.start,
                    src.end,
                    'frame with src loads as soon as the page renders; loading="lazy" waits until it is visible',
                    ctx.fix('Add loading="lazy"', (src.end, src.end, ' loading="lazy"')),
                )
    for el in doc.elements:
        if el.has("data-turbo-permanent") and not el.has("id") and el.name != "turbo_frame_tag":
            a = el.attrs["data-turbo-permanent"]
            if el.origin == "ruby" and el.name in ("link_to", "button_to", "render"):
                continue
            morph = ctx.index is not None and ctx.index.uses_morph
            ctx.add(
                "turbo/permanent-without-id",
                a.start,
                a.end,
                "data-turbo-permanent without an id: morph refreshes keep it, but a visit to another page does not "
                "(Turbo matches permanent elements across pages by id)"
                if morph
                else "data-turbo-permanent needs an id: Turbo matches permanent elements across pages by id",
                severity="info" if morph else None,
            )


def _reads_own_attribute(index, ident: str, attr: str) -> bool:
    """Whether controller `ident` declares no targets and reads `attr` itself (through `dataset` or
    getAttribute), or another controller reads it: a setting of that script, such as a CSS selector or a section
    name, not a Stimulus target."""
    camel = re.sub(r"-([a-z0-9])", lambda m: m.group(1).upper(), attr.removeprefix("data-"))
    ctrl = index.stimulus_controllers.get(ident)
    if ctrl is not None and not ctrl.targets and (camel in ctrl.own_attributes or attr in ctrl.own_attributes):
        return True
    # another controller reads it off the element (`event.currentTarget.dataset.toggleTarget`): its setting
    return any(camel in c.own_attributes or attr in c.own_attributes
               for i, c in index.stimulus_controllers.items() if i != ident)  # fmt: skip


def _dynamic(el: Element, name: str) -> bool:
    a = el.attrs.get(name)
    return a is not None and a.value is None


def _has_child(doc: ErbDoc, el: Element, tag: str) -> bool:
    node = el.node.parent if el.node is not None else None
    if node is None:
        return False
    for c in node.named_children:
        if c.type in ("element", "template_element"):
            start = c.children[0] if c.children else None
            name = next((x for x in (start.children if start is not None else []) if x.type == "tag_name"), None)
            if name is not None and node_text(doc, name).lower() == tag:
                return True
    return False


# --- Stimulus --------------------------------------------------------------------------------------


# An element whose data-controller is computed at run time (`data: { controller: some_local }`) may declare
# any controller: what sits inside it has a scope this checker cannot resolve.
ANY_CONTROLLER = "*"


def _controller_scopes(doc: ErbDoc) -> list[tuple[int, int, set[str]]]:
    scopes = []
    for el in doc.elements:
        a = el.attrs.get("data-controller")
        v = a.value if a is not None else None
        if v:
            scopes.append((el.start, el.end, set(v.split())))
        elif a is not None and v is None and a.code.strip() not in ("", "nil"):
            scopes.append((el.start, el.end, {ANY_CONTROLLER}))
        if el.origin == "ruby" and el.name == "button_to" and el.node is not None:
            form = _form_option_controllers(doc, el)  # the <form> button_to wraps its button in
            if form:
                scopes.append((el.start, el.end, form))
    return scopes


def _form_option_controllers(doc: ErbDoc, el: Element) -> set[str]:
    """`button_to …, form: { data: { controller: "form" } }`: controllers on the generated form."""
    for p in option_pairs(el.node):
        value = p.child_by_field_name("value")
        if pair_key(doc, p) != "form" or value is None or value.type != "hash":
            continue
        for d in (c for c in value.named_children if c.type == "pair" and pair_key(doc, c) == "data"):
            inner = d.child_by_field_name("value")
            for c in inner.named_children if inner is not None and inner.type == "hash" else []:
                if c.type == "pair" and pair_key(doc, c) == "controller":
                    return set((literal(doc, c.child_by_field_name("value")) or "").split())
    return set()


def _stimulus(ctx: Context, doc: ErbDoc) -> None:
    scopes = _controller_scopes(doc)
    index = ctx.index
    known = index.stimulus_controllers if index is not None else {}
    check_known = index is not None and bool(known)
    known_ids = index.known_controller_ids if index is not None else set()
    for el in doc.elements:
        for name, a in el.attrs.items():
            if a.value is None or not name.startswith("data-"):
                continue
            if name == "data-action":
                for d in st.split_descriptors(a.value):
                    m = st.ACTION_RE.match(d)
                    if not m:
                        ctx.add(
                            "stimulus/malformed-action",
                            a.value_start,
                            a.value_end,
                            _action_help(d),
                            severity=_bare_word_severity(d, index, doc),
                        )
                        continue
                    ident, method = m.group("ident"), m.group("method")
                    if not re.fullmatch(st.IDENT, ident) and ident not in known_ids:
                        ctx.add("stimulus/malformed-action", a.value_start, a.value_end, _action_help(d))
                        continue
                    _in_scope(ctx, doc, el, ident, scopes, a, "action")
                    if check_known and ident in known:
                        _, methods, unseen = _lineage(index, known[ident])
                        if method not in methods:
                            ctx.add(
                                "stimulus/unknown-method",
                                a.value_start,
                                a.value_end,
                                f"controller `{ident}` ({known[ident].path}) defines no method `{method}`"
                                + (f" (its parent from `{unseen}` may)" if unseen else ""),
                                severity="info" if unseen else None,
                            )
            elif name == "data-controller":
                for ident in a.value.split():
                    if ident in known_ids:
                        continue
                    if not re.fullmatch(st.IDENT, ident):
                        ctx.add(
                            "stimulus/malformed-action",
                            a.value_start,
                            a.value_end,
                            f"`{ident}` is not a Stimulus identifier (lowercase, dashes, `--` for folders)",
                        )
                    elif check_known and ident not in index.known_controller_ids:
                        late = index.registers_late  # plugins' controllers, registered by name at run time
                        ctx.add(
                            "stimulus/unknown-controller",
                            a.value_start,
                            a.value_end,
                            f"no Stimulus controller `{ident}` in app/javascript/controllers"
                            + (
                                " (the app registers controllers by names it reads at run time, such as "
                                "plugins', so it may be one of those)"
                                if late
                                else ""
                            ),
                            severity="info" if late else None,
                        )
            elif name == "data-target":
                if "." not in a.value or " " in a.value.strip() or a.value.strip().startswith(("#", ".", "[")):
                    continue  # Stimulus 1 wrote `controller.name`; `modal-top` or `#id` is another library's
                ident, _, target = a.value.strip().partition(".")
                fix = ctx.fix(f"Use data-{ident}-target", (a.start, a.end, f'data-{ident}-target="{target}"'))
                ctx.add(
                    "stimulus/malformed-target",
                    a.start,
                    a.end,
                    '`data-target="controller.name"` is Stimulus 1 syntax: Stimulus 2 and 3 still read it but warn '
                    'that it is deprecated and will be removed; use `data-<controller>-target="name"`',
                    fix,
                    severity="info",  # it works today: a deprecation, not a broken target
                )
            elif (m := st.TARGET_ATTR_RE.match(name)) is not None:
                ident = st.canonical(m.group(1), known_ids)
                if ident not in known_ids and a.value.strip().startswith(("#", ".", "[")):
                    continue  # a CSS selector for another library (Bootstrap's data-bs-target="#modal")
                if index is not None and _reads_own_attribute(index, ident, name):
                    continue  # the controller reads the attribute itself (`this.element.dataset.delegateClickTarget`)
                # a script finds the element by it (`querySelector('[data-map-target="tip"]')`): used, declared or not
                by_selector = bool(
                    index is not None
                    and (found := index.selector_attributes)
                    and (name in found or all(f"{name}={t}" in found for t in a.value.split()))
                )
                if by_selector and ident not in known_ids:
                    continue  # a marker of another script (`[data-delete-target]`), no Stimulus controller at all
                for t in a.value.split():
                    if not st.TARGET_NAME_RE.match(t):
                        ctx.add(
                            "stimulus/malformed-target",
                            a.value_start,
                            a.value_end,
                            f"target name `{t}` is not an identifier",
                        )
                    elif (
                        check_known
                        and not by_selector
                        and ident in known
                        and t not in (lineage := _lineage(index, known[ident]))[0]
                    ):
                        unseen = lineage[2]
                        ctx.add(
                            "stimulus/unknown-target",
                            a.value_start,
                            a.value_end,
                            f"controller `{ident}` declares no target `{t}` (static targets = {known[ident].targets})"
                            + (f"; Stimulus adds its parent's targets, from `{unseen}`, unread" if unseen else ""),
                            severity="info" if unseen else None,
                        )
                _in_scope(ctx, doc, el, ident, scopes, a, "target")
                _uppercase(ctx, el, name, a)
            elif (m := st.VALUE_ATTR_RE.match(name)) is not None:
                _uppercase(ctx, el, name, a)
                split = st.split_identifier(m.group(1), set(known)) if check_known else None
                if split:
                    ident, vname = split
                    vtype = known[ident].values.get(st.camelize(vname))
                    if vtype and not st.value_matches_type(a.value, vtype):
                        ctx.add(
                            "stimulus/malformed-value",
                            a.value_start,
                            a.value_end,
                            f"`{a.value[:40]}` is not a valid {vtype} for `{ident}` value `{st.camelize(vname)}`",
                        )
            elif (m := st.OUTLET_ATTR_RE.match(name)) is not None:
                _uppercase(ctx, el, name, a)
                sel = a.value.strip()
                if not sel or not st.SELECTOR_RE.match(sel) or sel.count("[") != sel.count("]"):
                    ctx.add(
                        "stimulus/malformed-outlet",
                        a.value_start,
                        a.value_end,
                        f"outlet `{name}` needs a CSS selector for the outlet elements, got `{a.value}`",
                    )


def _lineage(index, ctrl) -> tuple[set[str], set[str], str]:
    """Targets and methods of a controller with those of its parent classes (Stimulus merges inherited static
    targets; methods are inherited), and the import a parent comes from when it cannot be read here (a package,
    a file that is not indexed): "" when the whole chain was read."""
    memo: dict = index.derived("stimulus_lineage", dict)  # filled as asked, cleared when the index changes
    if ctrl.path in memo:
        return memo[ctrl.path]
    memo[ctrl.path] = out = _read_lineage(index, ctrl)
    return out


def _read_lineage(index, ctrl) -> tuple[set[str], set[str], str]:
    targets, methods = set(ctrl.targets), set(ctrl.actions)
    by_path = {c.path: c for c in index.stimulus_controllers.values()}
    seen = {ctrl.path}
    while ctrl.parent:
        parent = None
        if ctrl.parent.startswith("."):
            base = os.path.normpath(os.path.join(os.path.dirname(ctrl.path), ctrl.parent))
            for cand in (base, *(base + ext for ext in (".js", ".ts", ".mjs", "/index.js", "/index.ts"))):
                parent = by_path.get(cand)
                if parent is not None:
                    break
        if parent is None or parent.path in seen:
            return targets, methods, ctrl.parent if parent is None else ""
        seen.add(parent.path)
        targets |= set(parent.targets)
        methods |= set(parent.actions)
        ctrl = parent
    return targets, methods, ""


def _uppercase(ctx: Context, el: Element, name: str, a) -> None:
    if el.origin == "html":
        raw = ctx.doc.slice(a.start, a.start + len(name))
        known = ctx.index.known_controller_ids if ctx.index is not None else set()
        for ident in (k for k in known if k != k.lower() and raw.startswith(f"data-{k}-")):
            raw = "data-" + ident.lower() + raw[len(ident) + 5 :]  # `DS--menu`: Stimulus asks for that spelling
        if raw != raw.lower():
            ctx.add(
                "stimulus/malformed-value" if raw.endswith("-value") else "stimulus/malformed-target",
                a.start,
                a.start + len(name),
                f"`{raw}`: HTML lowercases attribute names; write it in kebab-case",
            )


def _bare_word_severity(d: str, index, doc: ErbDoc) -> str | None:
    """A descriptor that is one bare word (`undo`, `bold`: no `#`, no `->`) breaks nothing certain: Stimulus logs
    it and binds nothing. Where a script reads data-action itself it is that script's setting (info), as it is
    where the template loads a third-party script (a captcha widget such as Turnstile reads `data-action`);
    elsewhere very likely a mistake (warning). Anything shaped like a descriptor keeps the rule's error."""
    if not re.fullmatch(r"[\w-]+", d):
        return None
    if index is not None and index.reads_data_action:
        return "info"
    return "info" if EXTERNAL_SCRIPT.search(doc.text) else "warning"


# `<script src="https://challenges.cloudflare.com/…">`: a third-party script this checker does not read
EXTERNAL_SCRIPT = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["'](?:https?:)?//""", re.I)


def _action_help(d: str) -> str:
    hint = "expected `event->controller#method` (event optional)"
    if "#" not in d:
        hint += "; the method is missing (`#method`)"
    elif re.search(r"[A-Z_]", d.split("->")[-1].split("#")[0]):
        hint += "; identifiers are kebab-case (todo-form, not todoForm/todo_form)"
    elif "(" in d:
        hint += "; no parentheses after the method"
    elif "=>" in d or ("-" in d and "->" not in d):
        hint += "; the event arrow is `->`"
    return f"malformed Stimulus action `{d}`: {hint}"


def _in_scope(ctx: Context, doc: ErbDoc, el: Element, ident: str, scopes, a, what: str) -> None:
    if any(s <= el.start < e and ident in ids for s, e, ids in scopes):
        return
    index = ctx.index
    verdict: bool | None = False
    if _inside_hash_built_here(doc, el, ident):
        return
    if index is not None:
        if _inside_helper(doc, el, index.helpers_emitting(ident)):
            return
        verdict = _declared_around(index, doc, ident)
        if verdict:
            return
        if _inside_unknown_wrapper(doc, el, index, ident):
            verdict = None
    elif doc.is_partial or "/components/" in doc.path:
        return  # rendered inside some other template we cannot see
    if verdict is False and any(s <= el.start < e and ANY_CONTROLLER in ids for s, e, ids in scopes):
        verdict = None  # inside an element whose controller is computed at run time
    where = "template rendering this partial" if doc.is_partial else "ancestor element or layout"
    unresolved = verdict is None
    here = next((s for s, _e, ids in scopes if ident in ids), None)  # declared in this file, around other markup
    if here is not None:
        msg = (
            f'{what} for `{ident}`, but the data-controller="{ident}" on line {doc.line_of(here)} of this file does '
            f"not enclose this element{' (nor does any ' + where + ')' if doc.is_partial else ''}; "
            "Stimulus only connects descendants of the controller's element"
        )
    else:
        msg = f'{what} for `{ident}` but no {where} declares data-controller="{ident}"; Stimulus will ignore it'
    ctx.add(
        "stimulus/outside-controller",
        a.start,
        a.end,
        msg + (" (not every place this markup is rendered could be traced)" if unresolved else ""),
        severity="info" if unresolved else None,
    )


def _id_shape(code: str) -> str:
    """A Ruby string id with interpolations as a shape: `"theme_#{name}"` -> `theme_{name}`."""
    code = code.strip()
    if len(code) < 2 or code[0] != '"' or code[-1] != '"':
        return ""
    return re.sub(r"#\{\s*(.*?)\s*\}", r"{\1}", code[1:-1])


def _inside_hash_built_here(doc: ErbDoc, el: Element, ident: str) -> bool:
    """Whether the element sits in the block of a tag helper given a hash variable (`tag.div(**wrapper) do`)
    and this template's own Ruby builds a data hash naming the controller (`{ controller: "dialog" }`)."""
    if not re.search(rf"""\bcontroller["']?\s*(?::|=>)\s*["']([\w-]+\s+)*{re.escape(ident)}\b""", doc.text):
        return False
    for call in doc.calls:
        if not (call.start_byte <= el.start < call.end_byte) or call.child_by_field_name("block") is None:
            continue
        args = call.child_by_field_name("arguments")
        if args is not None and any(a.type in ("hash_splat_argument", "splat_argument", "identifier")
                                    for a in args.named_children):  # fmt: skip
            return True
    return False


def _inside_helper(doc: ErbDoc, el: Element, helpers: set[str]) -> bool:
    """Whether the element sits in the block of a helper that wraps its content in the controller's element."""
    if not helpers:
        return False
    return any(
        call.start_byte <= el.start < call.end_byte
        and call.child_by_field_name("receiver") is None
        and call.child_by_field_name("block") is not None
        and call_name(doc, call) in helpers
        for call in doc.calls
    )


# Block helpers whose markup is known: they never add a data-controller of their own.
KNOWN_BLOCK_HELPERS = {
    "form_with", "form_for", "form_tag", "fields_for", "fields", "content_tag", "link_to", "button_to", "label",
    "turbo_frame_tag", "content_for", "capture", "cache", "each", "each_with_index", "map", "times", "if", "unless",
    "tap", "then", "with_options", "field_set_tag", "javascript_tag", "respond_to", "turbo_stream_from",
}  # fmt: skip


def _inside_unknown_wrapper(doc: ErbDoc, el: Element, index, ident: str) -> bool:
    """Whether the element sits in a block whose wrapping markup is not known here: a view component, a
    component slot (`dialog.with_body do`), or a helper from outside app/helpers (a gem's)."""
    for call in doc.calls:
        if not (call.start_byte <= el.start < call.end_byte) or call.child_by_field_name("block") is None:
            continue
        name = call_name(doc, call)
        recv = call.child_by_field_name("receiver")
        comp = component_rendered(doc, call)
        if comp is not None:
            return True  # the component's markup (or its Ruby) may declare it
        if recv is None and name not in KNOWN_BLOCK_HELPERS and name not in index.helper_controllers:
            return True
        if recv is not None and recv.type == "identifier" and name.startswith("with_"):
            return True
    return False


def _render_chain(index, start: list[str]) -> tuple[set[str], bool]:
    """Templates rendering these (transitively, 6 levels) and whether the chain is complete: False when a
    partial on it has no renderer the index knows (a dynamic `render "x/#{kind}"`, a gem, a mailer)."""
    seen: set[str] = set()
    complete = True
    frontier = list(start)
    for _ in range(6):
        nxt: list[str] = []
        for path in frontier:
            v = view_name(path)
            pn = partial_name(v) if v else None
            if pn is None:
                continue
            renderers = index.renderers_of(pn)
            if not renderers and path not in start:
                complete = False
            for r in renderers:
                if r not in seen:
                    seen.add(r)
                    nxt.append(r)
        frontier = nxt
    return seen, complete


def _declared_around(index, doc: ErbDoc, ident: str) -> bool | None:
    """Whether the controller's element surrounds this template where it is used: its layouts, the templates
    rendering it (transitively), the pages whose frames load it and the pages its streams land in (and the
    templates rendering those). None when that cannot be traced (nobody known renders it or a template on the
    way, or Ruby code renders it)."""
    layouts = [p for p in index.views if "/layouts/" in p]
    if index.declares_controller(ident, layouts):
        return True
    seen: set[str] = set()
    complete = True
    if doc.is_partial or "/components/" in doc.path:
        seen, complete = _render_chain(index, [doc.path])
        if not seen:  # nobody known renders it
            return True if index.declares_controller(ident) else None
        if index.declares_controller(ident, sorted(seen)):
            return True
    hosts = _hosts(index, sorted(seen | {doc.path}))
    level, visited = hosts, set(seen) | {doc.path}
    for _ in range(3):  # a frame response inside a frame that is itself a frame response (lazy frames nested)
        if not level:
            break
        above, _ = _render_chain(index, level)
        if index.declares_controller(ident, sorted(set(level) | above)):
            return True
        visited |= set(level) | above
        level = [h for h in _hosts(index, sorted(set(level) | above)) if h not in visited]
    if not complete or any(not p.endswith((".erb", ".html")) for p in seen):
        return None  # part of the way is not known, or Ruby renders it (a component, a helper, a broadcast)
    on_the_way = seen | {doc.path}
    if any(index.files[p].dynamic_controller for p in on_the_way if p in index.files):
        return None  # a template on the way declares a controller computed at run time
    if on_the_way & index.string_rendered_views:
        return None  # rendered into a string by a controller (JSON for a script, a mail): lands elsewhere
    if _layout_wraps_unknown(index, layouts):
        return None  # a layout wraps the page in markup (a component, a gem's helper) this index cannot see
    if doc.is_stream or any(".turbo_stream." in p for p in seen):
        return None if not hosts else False
    if not hosts and any(f.id == "*" and f.kind == "frame" for f in index.frames if f.file in on_the_way):
        return None  # a frame response whose frame id is computed (`[dom_id(@event), :ledger]`): lands unseen
    return False


def _layout_wraps_unknown(index, layouts: list[str]) -> bool:
    """Whether a layout yields the page inside a block whose markup is not known here."""
    for path in layouts:
        facts = index.files.get(path)
        for name in facts.yield_wrappers if facts is not None else []:
            if name.startswith("render:"):
                return True
            if name not in KNOWN_BLOCK_HELPERS and name != "render" and name not in index.helper_controllers:
                return True
    return False


def _hosts(index, files: list[str]) -> list[str]:
    """Pages these templates land in: requesters of their frames, holders of their streams' targets."""
    out: set[str] = set()
    # an id computed wholly at run time (`id: dom_id(x)` unresolved, `id: @name`) is "*": it overlaps every
    # glob, so it says nothing about where a frame or stream lands
    frames = [f for f in index.frames if f.file in files and f.id not in ("*", "")]
    if frames:
        for other in index.frames + index.frame_refs:
            if other.file not in files and other.id != "*" and any(ids_overlap(f.id, other.id) for f in frames):
                out.add(other.file)
    targets = [t for path in files if path in index.files for t in index.files[path].stream_targets]
    targets = [t for t in targets if t.id not in ("*", "")]
    if targets:
        for d in index.ids:
            if d.file not in files and d.id != "*" and any(ids_overlap(t.id, d.id) for t in targets):
                out.add(d.file)
    return sorted(out)


# --- forms -----------------------------------------------------------------------------------------


def _forms(ctx: Context, doc: ErbDoc) -> None:
    if not doc.path.endswith(".erb"):
        return
    for el in doc.html_elements:
        if el.name != "form":
            continue
        method = (el.get("method") or "get").lower()
        action = el.get("action") or ""
        if method in ("get", "dialog") or action.startswith(("http://", "https://", "//")):
            continue  # method="dialog" closes its <dialog> and never submits
        body = doc.slice(el.start, el.end)
        if re.search(r"authenticity_token|token_tag|csrf", body):
            continue
        # Turbo Drive submits a form with fetch and sends the layout's csrf-token meta tag as X-CSRF-Token, which
        # Rails accepts: the form fails for certain only where Turbo is off for it (or the app has no Turbo)
        turbo = ctx.index is not None and "turbo-rails" in ctx.index.versions and el.get("data-turbo") != "false"
        ctx.add(
            "security/form-token",
            el.start,
            el.tag_end,
            f'hand-built <form method="{method}"> without an authenticity token: Rails rejects it '
            "(InvalidAuthenticityToken)"
            + (" whenever Turbo does not submit it (Turbo sends the csrf-token meta tag as a header)" if turbo else "")
            + "; use form_with, or add the token",
            ctx.fix(
                "Add the authenticity token",
                (
                    el.tag_end,
                    el.tag_end,
                    '\n  <input type="hidden" name="authenticity_token" value="<%= form_authenticity_token %>">',
                ),
            ),
            severity="warning" if turbo else None,
        )


# --- accessibility ---------------------------------------------------------------------------------


def _window_key_controllers(doc: ErbDoc) -> set[str]:
    """Controllers that listen for keys on the whole page (`keydown@window->stories#key`): their click zones
    have a keyboard path already."""
    out: set[str] = set()
    for el in doc.elements:
        for d in (el.get("data-action") or "").split():
            m = st.ACTION_RE.match(d)
            if m and m.group("global") and re.match(r"key(down|up|press)", m.group("event") or ""):
                out.add(m.group("ident"))
    return out


def _a11y(ctx: Context, doc: ErbDoc) -> None:
    if re.search(r"\.pdf(\.\w+)?$", doc.path):
        return  # rendered to a PDF (wicked_pdf, grover): no assistive technology reads this HTML
    html = doc.html_elements
    keyboard = _window_key_controllers(doc)
    if ctx.index is not None:  # controllers with their own page-wide key listener: Escape is how their close runs
        keyboard |= {f"esc:{i}" for i, c in ctx.index.stimulus_controllers.items() if c.page_keys}
    on_controls = _control_actions(doc)
    links = [e.start for e in doc.elements if _link(e)]
    native = [(e.tag_end, e.end) for e in doc.elements if e.origin == "html" and e.name in ("summary", "button", "a")]
    label_for = {el.get("for") for el in html if el.name == "label" and el.get("for")}
    label_for_code = {  # `<label for="<%= it.public_id %>">`: the Ruby its target id is computed by
        a.code.strip()
        for el in html
        if el.name == "label" and (a := el.attrs.get("for")) and a.value is None and a.code
    }
    # `<label for="theme_<%= name %>">` as a shape (`theme_{name}`), to meet `id: "theme_#{name}"`
    label_for_shapes = {
        re.sub(r"<%=?\s*(.*?)\s*-?%>", r"{\1}", doc.slice(a.value_start, a.value_end))
        for el in html
        if el.name == "label" and (a := el.attrs.get("for")) and a.value is None and a.code
    }
    labelling = _labelling_builders(
        doc,
        ctx.index.form_builders if ctx.index is not None else {},
        ctx.index.builder_helpers if ctx.index is not None else {},
        _default_builder(ctx.index, doc),
    )
    controls = [e.start for e in doc.elements if _focusable_control(e)]
    forms = [(e.start, e.end) for e in doc.elements if e.name in FORM_CALLS]
    builder_from_caller = _builder_from_caller(ctx, doc)
    label_ranges = [(el.start, el.end) for el in doc.elements if el.name in ("label", "label_tag")]
    helper_labels: set[str] = set()
    label_code: set[str] = set()  # `label_tag id, …` with a computed id: the Ruby it is computed by
    for el in doc.helper_elements:
        if el.name in ("label", "label_tag") and el.ruby_args:
            v = literal(doc, el.ruby_args[0])
            if v:
                helper_labels.add(v)
                if el.name == "label_tag" and not el.receiver and "for" not in el.attrs:
                    label_for.add(re.sub(r"[^-\w.:]", "_", v.replace("]", "")))  # label_tag's for= (sanitised)
            else:
                label_code.add(node_text(doc, el.ruby_args[0]).strip())
        if el.name in ("label", "label_tag") and (f := el.attrs.get("for")) is not None and f.value:
            label_for.add(f.value)  # `f.label "Starting from", for: "filter_starts_at"`
    for el in doc.elements:
        if el.name in LABELLED_FIELDS and _hidden(el):
            _click(ctx, el, keyboard, controls, on_controls, links, native)
            continue  # hidden by class or attribute (a file input a button opens): nothing to label
        labelled = el.has("aria-label") or el.has("aria-labelledby") or el.has("title")
        inside_label = any(s < el.start < e for s, e in label_ranges)
        if el.origin == "html" and el.name in ("input", "select", "textarea"):
            if (el.get("type") or "text").lower() in ("hidden", "submit", "button", "reset", "image"):
                continue
            id_attr = el.attrs.get("id")
            has_for = id_attr is not None and (id_attr.value is None or id_attr.value in label_for)
            if not (labelled or inside_label or has_for):
                weak = _placeholder_only(el)
                landed = doc.is_stream and not any(s < el.start < e for s, e in forms)
                ctx.add(
                    "a11y/input-label",
                    el.start,
                    el.tag_end,
                    f"<{el.name}> has no label"
                    + (" (only a placeholder, which disappears as the user types)" if weak else "")
                    + (" (a stream lands it in a page whose label may name it)" if landed else "")
                    + ": add <label for=…>, wrap it in <label>, or aria-label",
                    severity="info" if weak or landed else None,
                )
        elif el.origin == "ruby" and ((el.name in FIELD_HELPERS and el.receiver) or el.name in TAG_FIELD_HELPERS):
            if el.has("type") and el.get("type") == "hidden":
                continue
            key = literal(doc, el.ruby_args[0]) if el.ruby_args else None
            if key is None:
                continue
            if el.has("label"):
                continue  # a form builder that renders the label from `label:` (the app's own builder)
            own_id = el.attrs.get("id")  # `select_tag "q[x]", opts, id: id` beside `label_tag id, "X"`
            has_label = bool(key) and any(lbl == key or lbl.startswith(key + "_") for lbl in helper_labels)
            # a label whose for= is the id the builder gives this field, `<scope>_<attribute>` (the scope of a
            # form helper such as form_for_filterrific, or of `model: CaseAssignment.new`, is not read here;
            # `for: :attribute` alone misses the scope, so it names nothing)
            by_id = own_id is None and bool(key)
            has_label = has_label or (
                by_id and any(f.endswith("_" + key) if el.receiver else f == key for f in label_for)
            )
            if own_id is not None and (own_id.value in helper_labels or own_id.code.strip() in label_code):
                has_label = True
            if own_id is not None and (
                own_id.value in label_for or (own_id.code and own_id.code.strip() in label_for_code)
            ):
                has_label = True  # `radio_button :x, v, id: "y"` beside `<label for="y">`
            if own_id is not None and own_id.value is None and _id_shape(own_id.code or "") in label_for_shapes:
                has_label = True  # `id: "theme_#{name}"` beside `<label for="theme_<%= name %>">`
            if (
                el.receiver
                and any(
                    el.receiver == name and s <= el.start < e and (methods is None or el.name in methods)
                    for name, s, e, methods in labelling
                )
                and getattr(el.attrs.get("skip_label"), "code", "") != "true"
                and getattr(el.attrs.get("label"), "code", "") != "false"
            ):
                has_label = True  # bootstrap_form's (or the app's own builder's) field helpers render the <label>
            if own_id is None and el.receiver and _in_builder_input(doc, el, key):
                has_label = True
            if own_id is None and any(_names_field_id(c, el.receiver, key) for c in label_for_code):
                has_label = True  # `<label for="<%= form.field_id(:is_admin) %>">`: the builder's own id for it
            if not (labelled or inside_label or has_label):
                call = f"{el.receiver}.{el.name}" if el.receiver else el.name
                weak = _placeholder_only(el)
                what = f"`{call} :{key}`" if key else f"`{call}`"
                unknown = (
                    bool(el.receiver)
                    and el.receiver in builder_from_caller
                    and (
                        "bootstrap_form" in ctx.index.versions  # type: ignore[union-attr]
                        or any(el.name in ms for ms in ctx.index.form_builders.values())  # type: ignore[union-attr]
                    )
                )  # a builder passed in by the caller may be one that labels this field method
                # a stream template's bare field lands in a page's form, whose label may name it (a
                # `replace` of a textarea keeps the page's `<label for>`): which markup surrounds it is unknown
                landed = doc.is_stream and not any(s < el.start < e for s, e in forms)
                ctx.add(
                    "a11y/input-label",
                    el.start,
                    el.tag_end,
                    f"{what} has no label"
                    + (" (only a placeholder, which disappears as the user types)" if weak else "")
                    + (
                        f" (if `{el.receiver}`, passed in by the caller, is a builder that labels its fields, such"
                        " as bootstrap_form's or the app's own, it renders one)"
                        if unknown
                        else ""
                    )
                    + (" (a stream lands it in a page whose label may name it)" if landed else "")
                    + f": add `label :{key or 'name'}` or aria: {{ label: … }}",
                    severity="info" if weak or unknown or landed else None,
                )
        if _hidden_image(el):
            pass  # aria-hidden or presentational: assistive tech skips it, so it needs no alt
        elif el.name == "img" and el.origin == "html" and not el.has("alt"):
            ctx.add(
                "a11y/img-alt",
                el.start,
                el.tag_end,
                "<img> without alt text",
                ctx.fix(
                    'Add alt="" (decorative); write real alt text if the image informs',
                    (el.start + 4, el.start + 4, ' alt=""'),
                ),
            )
        elif el.name == "image_tag" and el.origin == "ruby" and not el.receiver and not el.has("alt"):
            end = el.node.end_byte if el.node is not None else el.end
            ctx.add(
                "a11y/img-alt",
                el.start,
                el.tag_end,
                "image_tag without alt: (Rails no longer derives one)",
                ctx.fix('Add alt: "" (decorative); write real alt text if the image informs', (end, end, ', alt: ""')),
            )
        _click(ctx, el, keyboard, controls, on_controls, links, native)
        _live_region(ctx, el)


FORM_CALLS = {"form", "form_with", "form_for", "form_tag", "simple_form_for", "bootstrap_form_with",
              "bootstrap_form_for", "bootstrap_form_tag"}  # fmt: skip
LABELLING_FORMS = {"bootstrap_form_with", "bootstrap_form_for", "bootstrap_form_tag", "bootstrap_fields_for",
                   "bootstrap_fields"}  # fmt: skip


def _block_param(call) -> str | None:
    """The first block parameter of a call (`form` in `form_with … do |form|`)."""
    block = call.child_by_field_name("block")
    params = block.child_by_field_name("parameters") if block is not None else None
    if params is None:
        return None
    first = next((c for c in params.named_children if c.type == "identifier"), None)
    return first.text.decode() if first is not None else None


def _default_builder(index, doc: ErbDoc) -> str | None:
    """The builder class `default_form_builder` gives this view's forms: its own controller's, else
    ApplicationController's (None when the app sets none)."""
    if index is None or not (defaults := index.default_form_builders):
        return None
    v = view_name(doc.path) or ""
    return defaults.get(v.rpartition("/")[0]) or defaults.get("application")


def _labelling_builders(
    doc: ErbDoc, app_builders: dict[str, set[str]], builder_helpers: dict[str, str], default: str | None = None
) -> list[tuple[str, int, int, set | None]]:
    """(block parameter, start, end, field methods or None for all) of the builders whose field helpers render
    the field's <label>: bootstrap_form's (unless `skip_label: true`), a form given the app's own builder that
    does (`builder: SpectreFormBuilder`, whose `text_field` wraps the field with its label, or an app helper
    such as `solidus_form_for` that passes one, or the controller's `default_form_builder`), and the
    `fields_for`/`fields` blocks they open."""
    out: list[tuple[str, int, int, set | None]] = []
    for call in sorted(doc.calls, key=lambda c: c.start_byte):
        name = call_name(doc, call)
        recv = call.child_by_field_name("receiver")
        methods: set | None = None
        builder = next((v for p in option_pairs(call) if pair_key(doc, p) == "builder"
                        and (v := p.child_by_field_name("value")) is not None), None)  # fmt: skip
        if builder is not None and name in FORM_CALLS | {"fields_for", "fields"}:
            methods = _builder_methods(app_builders, node_text(doc, builder))
            if not methods:
                continue
        elif recv is None and name in builder_helpers:  # `solidus_form_for @x do |f|`: the helper names the builder
            methods = _builder_methods(app_builders, builder_helpers[name])
            if not methods:
                continue
        elif recv is None and default and name in ("form_with", "form_for"):  # `default_form_builder AppBuilder`
            methods = _builder_methods(app_builders, default)
            if not methods:
                continue
        elif name in LABELLING_FORMS and recv is None:
            pass
        elif recv is not None and call.child_by_field_name("block") is not None:
            r = node_text(doc, recv)
            parent = next((m for b, s, e, m in out if r == b and s <= call.start_byte < e), False)
            nests = name in ("fields_for", "fields") or (parent and f"{NESTS}{name}" in parent)
            if parent is False or not nests:
                continue
            methods = parent  # `form.fields_for :x do |ff|` (or the builder's own nesting method): same builder
        else:
            continue
        param = _block_param(call)
        if param:
            out.append((param, call.start_byte, call.end_byte, methods))
    return out


def _builder_methods(app_builders: dict[str, set[str]], const: str) -> set[str] | None:
    """The labelling methods of the app's builder a constant names (`Shadcn::FormBuilder`; a bare name when
    only one builder class ends with it), None when unknown or ambiguous."""
    const = const.lstrip(":")
    if const in app_builders:
        return app_builders[const]
    hits = [k for k in app_builders if k.endswith("::" + const) or k.rsplit("::", 1)[-1] == const]
    return app_builders[hits[0]] if len(hits) == 1 else None


def _builder_from_caller(ctx: Context, doc: ErbDoc) -> set[str]:
    """Builders a partial receives from its caller (`render "fields", form: f`) in an app that uses
    bootstrap_form or has a form builder of its own that renders labels: which builder class it is cannot be
    seen here, and that one renders labels."""
    if not doc.is_partial or ctx.index is None:
        return set()
    if "bootstrap_form" not in ctx.index.versions and not any(
        m for ms in ctx.index.form_builders.values() for m in ms if not m.startswith(NESTS)
    ):
        return set()
    bound = set(re.findall(r"\|\s*\*{0,2}(\w+)", doc.text)) | set(re.findall(r"\b(\w+)\s*=[^=~>]", doc.text))
    return {el.receiver for el in doc.helper_elements if el.receiver and el.receiver not in bound}


def _in_builder_input(doc: ErbDoc, el: Element, key: str) -> bool:
    """simple_form's `f.input :body do … f.text_area :body … end`: the wrapper renders the label for the
    attribute, and a field of the same builder and attribute without an id of its own gets that label's id."""
    for call in doc.calls:
        if call_name(doc, call) != "input" or call.child_by_field_name("block") is None:
            continue
        recv = call.child_by_field_name("receiver")
        if recv is None or node_text(doc, recv) != el.receiver or not (call.start_byte <= el.start < call.end_byte):
            continue
        args = positional_args(call)
        if args and literal(doc, args[0]) == key:
            return True
    return False


def _hidden_image(el: Element) -> bool:
    hidden = (el.get("aria-hidden") or "").lower() == "true"
    return hidden or (el.get("role") or "").lower() in ("presentation", "none")


def _placeholder_only(el: Element) -> bool:
    """axe's `label` rule accepts a non-empty placeholder as the accessible name (a weak one: info)."""
    a = el.attrs.get("placeholder")
    return a is not None and (a.value is None or a.value.strip() != "")


CONTROL_HELPERS = FIELD_HELPERS | TAG_FIELD_HELPERS | {"button_tag", "submit_tag", "button_to", "submit"}


def _hidden(el: Element) -> bool:
    """Hidden by the `hidden` attribute, a hiding class (`hidden`, Tailwind's `!hidden`, Bootstrap's `d-none`)
    or `display: none`."""
    if el.has("hidden") or re.search(r"(^|\s)!?(hidden|d-none)(\s|$)", el.get("class") or ""):
        return True
    return "display: none" in (el.get("style") or "").replace(":none", ": none")


def _focusable_control(el: Element) -> bool:
    """A visible native form control: it takes focus, and a key press on it fires a click that bubbles."""
    if _hidden(el):
        return False
    if el.origin == "html":
        return el.name in ("select", "textarea", "button") or (
            el.name == "input" and (el.get("type") or "text").lower() != "hidden"
        )
    return el.name in CONTROL_HELPERS and el.get("type") != "hidden"


def _names_field_id(code: str, receiver: str | None, key: str) -> bool:
    """Whether a label's `for` code is the builder's id for this field: `form.field_id(:is_admin)`."""
    prefix = re.escape(receiver) + r"\." if receiver else ""
    return re.fullmatch(prefix + r"field_id\(\s*[:\"']" + re.escape(key) + r"[\"']?\s*\)", code.strip()) is not None


def _link(el: Element) -> bool:
    """A link (`link_to`, `<a href>`): it takes focus and follows itself from the keyboard."""
    if el.origin == "html":
        return el.name == "a" and el.has("href")
    return el.name in ("link_to", "button_to", "button_tag") and not el.receiver


def _control_actions(doc: ErbDoc) -> set[str]:
    """`controller#method` of the actions bound on buttons, links and fields, and their inline `onclick` code:
    those have a keyboard path."""
    out: set[str] = set()
    for el in doc.elements:
        if el.name in INTERACTIVE or el.name in ("button_tag", "link_to", "button_to"):
            for d in (el.get("data-action") or "").split():
                m = st.ACTION_RE.match(d)
                if m:
                    out.add(f"{m.group('ident')}#{m.group('method')}")
            if el.get("onclick"):
                out.add("onclick:" + el.get("onclick").strip())
    return out


def _click(
    ctx: Context,
    el: Element,
    keyboard: set[str] = frozenset(),
    controls: list[int] = (),
    on_controls: set[str] = frozenset(),
    links: list[int] = (),
    native: list[tuple[int, int]] = (),
) -> None:
    if el.origin != "html" or el.name in INTERACTIVE or el.name.startswith("turbo-"):
        return
    clicks = el.has("onclick")
    action = el.get("data-action")
    click_ctrls: set[str] = set()
    click_methods: set[str] = set()
    if action:
        for d in action.split():
            m = st.ACTION_RE.match(d)
            if m and not m.group("global") and (m.group("event") or st.default_event(el.name)) == "click":
                clicks = True
                click_ctrls.add(m.group("ident"))
                click_methods.add(f"{m.group('ident')}#{m.group('method')}")
    if not clicks:
        return
    role = el.get("role")
    if role and el.has("tabindex") and re.search(r"key(down|up|press)", action or ""):
        return
    if role in COMPOSITE_ITEMS:
        return  # an option/menu item: its listbox or menu manages focus (aria-activedescendant, roving tabindex)
    if role in ("presentation", "none"):
        return
    paged = bool(click_ctrls) and not el.has("onclick") and click_ctrls <= keyboard
    # a backdrop that closes what a controller also closes on Escape (its own document keydown listener)
    paged = paged or (
        bool(click_methods)
        and not el.has("onclick")
        and all(
            f"esc:{cm.partition('#')[0]}" in keyboard and re.match(r"(close|hide|dismiss|cancel)", cm.partition("#")[2])
            for cm in click_methods
        )
    )
    wraps = any(el.tag_end <= c < el.end for c in controls)  # a checkbox's keyboard click bubbles up to it
    if el.get("onclick"):
        click_methods.add("onclick:" + el.get("onclick").strip())
    backdrop = (
        el.get("aria-hidden") == "true"
        or not ctx.doc.slice(el.tag_end, el.end).strip().removesuffix(f"</{el.name}>").strip()
    )  # hidden from assistive tech, or empty: an overlay, not content
    if backdrop and click_methods and click_methods <= on_controls:
        return  # a backdrop whose action a button also runs (the dialog's close button): that is the path
    if any(s <= el.start < e for s, e in native):
        return  # inside a <summary>, <button> or link: that element takes the keys and fires the click
    holds_link = any(el.tag_end <= c < el.end for c in links)
    ctx.add(
        "a11y/click-handler",
        el.start,
        el.tag_end,
        f'clickable <{el.name}> is not reachable by keyboard: use a <button>, or add role, tabindex="0" '
        "and a keydown action"
        + (" (its controller also listens for keys on the page, which may be the keyboard path)" if paged else "")
        + (" (it wraps a form control, whose keyboard clicks bubble to it: check that is the path)" if wraps else "")
        + (
            " (it holds a link, which may be the keyboard path: check it goes where the click does)"
            if holds_link
            else ""
        ),
        severity="info" if paged or wraps or holds_link else None,
    )


def _renders_announcing_partial(doc: ErbDoc, el: Element, index) -> bool:
    """Whether a partial rendered inside the element announces itself (its markup has role="alert", which screen
    readers announce on insertion; a polite live region inserted with its text is not): what a stream adds there
    is that partial again, announced as it lands."""
    here = view_name(doc.path)
    wanted: set[str] = set()
    for call in doc.calls:
        if el.tag_end <= call.start_byte < el.end and call_name(doc, call) == "render":
            args = positional_args(call)
            name = literal(doc, args[0]) if args else None
            if name:
                folder, _, base = (
                    name if "/" in name or here is None else f"{here.rpartition('/')[0]}/{name}"
                ).rpartition("/")
                wanted.add(f"{folder}/_{base}")
    return bool(wanted) and any(f.announces for p, f in index.files.items() if view_name(p) in wanted)


def _live_region(ctx: Context, el: Element) -> None:
    id_attr = el.attrs.get("id")
    if id_attr is None or id_attr.value is None or not NOTIFY_ID.search(id_attr.value.lower()):
        return
    if CONTENT_LIST_ID.search(id_attr.value.lower()):
        return  # a page's list of notifications/messages: content, not a status message region
    if el.has("aria-live") or (el.get("role") or "") in LIVE_ROLES:
        return
    if el.name in CONTROL_ELEMENTS:
        return  # a control (`<button id="toggle-notifications">`) is no region messages appear in
    index = ctx.index
    if index is not None and _renders_announcing_partial(ctx.doc, el, index):
        return  # each message it holds is a live region itself (`<div role="alert">` in the flash partial)
    unknown = index is None or not index.stream_targets  # nothing known streams: a script may fill it
    streamed = not unknown and any(t.id != "*" and ids_overlap(t.id, id_attr.value) for t in index.stream_targets)
    if not (streamed or unknown):
        return  # not updated by a stream: not a live region
    if el.origin == "html":
        at = el.start + 1 + len(el.name)
        fix = ctx.fix('Add role="status"', (at, at, ' role="status"'))
    else:
        fix = ctx.fix('Add role: "status"', (id_attr.end, id_attr.end, ', role: "status"'))
    ctx.add(
        "a11y/live-region",
        el.start,
        el.tag_end,
        (
            f"#{id_attr.value} is updated by Turbo Streams"
            if streamed
            else f"#{id_attr.value} looks like a notification region (no stream targets it: a script fills it?)"
        )
        + ' but screen readers are not told: add role="status" (or aria-live="polite")',
        fix,
    )


# --- efficiency ------------------------------------------------------------------------------------

QUERY_METHODS = {"count", "where", "find_by", "find", "exists?", "pluck", "sum", "average", "minimum", "maximum",
                 "order", "limit", "find_each", "ids", "calculate"}  # fmt: skip


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.rsplit("::", 1)[-1]).lower()


def _partial_queries(ctx: Context, doc: ErbDoc) -> None:
    """Per-record partials (rendered per item, and on each broadcast) that query per record: N+1."""
    if not doc.is_partial:
        return
    local = doc.path.rsplit("/", 1)[-1][1:].split(".", 1)[0]
    index = ctx.index
    locals_ = {local}
    if index is not None and index.models:
        names = {re.sub(r"(?<!^)(?=[A-Z])", "_", m["name"]).lower() for m in index.models}
        if local not in names:
            locals_ = set()
    if index is not None:
        v = view_name(doc.path)
        pn = partial_name(v) if v else None
        if pn:
            locals_ |= index.collection_locals(pn)  # `render partial: "row", collection: @posts, as: :post`
    if not locals_:
        return
    v = view_name(doc.path)
    pn = partial_name(v) if v else None
    once = index is not None and pn is not None and index.rendered_once(pn)
    # rendered by nothing the index can see (no view, collection or loop, and its model broadcasts nothing):
    # whether it ever renders per record is unknown, a lead
    unseen = (
        not once
        and index is not None
        and pn is not None
        and has_page_views(index)
        and not index.rendered_anywhere(pn)
        and not any(m.get("broadcasts") for m in index.models if _snake(m["name"]) == local)
    )
    for call in doc.calls:
        name = call_name(doc, call)
        if name not in QUERY_METHODS:
            continue
        recv = call.child_by_field_name("receiver")
        root = recv
        while root is not None and root.type == "call" and root.child_by_field_name("receiver") is not None:
            root = root.child_by_field_name("receiver")
        if root is None:
            continue
        rooted_local = root.type == "identifier" and node_text(doc, root) in locals_ and recv is not root
        if not (rooted_local or root.type == "constant"):
            continue
        if rooted_local and recv.type == "call" and recv.child_by_field_name("receiver") == root:
            attr = call_name(doc, recv)  # `trip.visited_countries.count`
            if index is not None and any(attr in m.get("stored", []) for m in index.models):
                continue  # a value the model stores itself (an array column): counted in memory, no query
        method = call.child_by_field_name("method")
        fix = None
        if name == "count" and call.child_by_field_name("arguments") is None and method is not None:
            fix = ctx.fix(
                "Use .size (preloaded records or counter cache)", (method.start_byte, method.end_byte, "size")
            )
        ctx.add(
            "perf/partial-query",
            call.start_byte,
            call.end_byte,
            f"`{node_text(doc, call)[:60]}` queries once per {node_text(doc, root) if rooted_local else local} "
            "(N+1 when the collection renders, and on each "
            "broadcast); preload with includes or use a counter cache"
            + (" (every render of this partial found renders it once, not per record)" if once else "")
            + (" (no render of this partial was found: check where it is rendered)" if unseen else ""),
            fix,
            severity="info" if once or unseen else None,
        )


# --- cross-file ------------------------------------------------------------------------------------


def has_page_views(index) -> bool:
    """Cross-file rules need the app's pages, not just the file under check."""
    return index is not None and any(".turbo_stream." not in p for p in index.views)


def _cross_file(ctx: Context, doc: ErbDoc) -> None:
    index = ctx.index
    if not has_page_views(index):
        return
    facts = extract_facts(doc)
    check_stream_targets(ctx, facts.stream_targets)
    _frames_in_responses(ctx, doc)
    _frame_links(ctx, doc)
    if doc.is_partial or doc.is_layout or doc.is_stream or "/components/" in doc.path:
        return
    action = doc.path.rsplit("/", 1)[-1].split(".", 1)[0]
    if action in ("index", "show"):
        return  # pages that usually hold the requesting frames, or answer their own navigation
    for frame in facts.frames:
        if frame.kind != "frame" or frame.id in ("*", ""):
            continue
        others = [f for f in index.frames if f.file != doc.path]
        refs = index.frame_refs
        if any(ids_overlap(frame.id, o.id) for o in others + refs):
            continue
        if any(t.id not in ("*", "") and ids_overlap(frame.id, t.id) for t in index.stream_targets):
            continue  # a frame that streams append to: a container on its page, not a frame response
        start, end = _line_range(ctx, frame.line)
        ctx.add(
            "turbo/frame-no-requester",
            start,
            end,
            f"frame `{frame.id}` matches no frame on another page: if this page answers a frame request, Turbo "
            'will show "Content missing"; use the requesting frame\'s id (often dom_id(record))',
        )


def _frames_in_responses(ctx: Context, doc: ErbDoc) -> None:
    """A frame with `src:` loads a page; when that page (its template and the partials it renders) has no frame
    with the same id, Turbo shows "Content missing". Only conventional cases are judged: a static id, a named
    route, an action rendering its own template, no frame id we cannot read."""
    index = ctx.index
    names = _route_names(index)
    for el in doc.elements:
        is_frame = (el.origin == "ruby" and el.name == "turbo_frame_tag" and not el.receiver) or (
            el.origin == "html" and el.name == "turbo-frame"
        )
        src = el.attrs.get("src") if is_frame else None
        if src is None:
            continue
        if el.origin == "ruby":
            frame_id = (
                literal(doc, el.ruby_args[0])
                if el.ruby_args and el.ruby_args[0].type in ("string", "simple_symbol")
                else None
            )
        else:
            frame_id = el.get("id")
        missing = _response_without_frame(index, names, src.code or "", frame_id) if frame_id else None
        if missing is None:
            continue
        helper, action, view = missing
        ctx.add(
            "turbo/frame-missing-in-response",
            src.start,
            src.end,
            f"frame `{frame_id}` loads {helper} ({action}), whose template {index.rel(view)} has no "
            f'turbo frame `{frame_id}`: Turbo will show "Content missing"; wrap the response in '
            f'turbo_frame_tag "{frame_id}"',
        )


def _frame_links(ctx: Context, doc: ErbDoc) -> None:
    """A link inside a frame navigates that frame: the page it loads must hold a frame with the same id, or
    Turbo shows "Content missing". Judged like `src:` (a static frame id, a named GET route, an action rendering
    its own template whose frames can all be read); a frame or link aimed at `_top` or at another frame, a
    non-GET or off-Turbo link, and apps that handle turbo:frame-missing themselves are left alone."""
    index = ctx.index
    if index.handles_frame_missing:
        return
    frames: list[tuple[int, int, str | None]] = []  # (start, end, literal id or None) of each frame with content
    for el in doc.elements:
        if el.origin == "ruby" and el.name == "turbo_frame_tag" and not el.receiver and el.tag_end < el.end:
            arg = el.ruby_args[0] if el.ruby_args else None
            fid = literal(doc, arg) if arg is not None and arg.type in ("string", "simple_symbol") else None
        elif el.origin == "html" and el.name == "turbo-frame":
            fid = el.get("id")
        else:
            continue
        target = (el.get("target") or "").strip()
        frames.append((el.tag_end, el.end, None if target and target != "_self" else fid))
    if not frames:
        return
    names = _route_names(index)
    for el in doc.elements:
        if not (el.origin == "ruby" and el.name == "link_to" and not el.receiver):
            continue
        inner = [f for f in frames if f[0] <= el.start < f[1]]
        if not inner:
            continue
        frame_id = max(inner, key=lambda f: f[0])[2]  # the innermost frame
        aimed = (el.get("data-turbo-frame") or "").strip()
        if not frame_id or (el.has("data-turbo-frame") and aimed not in (frame_id, "_self")):
            continue
        if el.get("data-turbo") == "false" or el.has("target") or el.has("method") or el.has("data-turbo-method"):
            continue
        if el.has("data-turbo-stream") or el.node is None:
            continue  # asks for a stream response, which updates the page without a frame
        url = el.ruby_args[1] if len(el.ruby_args) > 1 and el.node.child_by_field_name("block") is None else None
        if url is None and el.node.child_by_field_name("block") is not None and el.ruby_args:
            url = el.ruby_args[0]  # `link_to path do … end`
        if url is None:
            continue
        missing = _response_without_frame(index, names, node_text(doc, url), frame_id, doc.path)
        if missing is None:
            continue
        helper, action, view = missing
        ctx.add(
            "turbo/frame-missing-in-response",
            url.start_byte,
            url.end_byte,
            f"this link is inside frame `{frame_id}`, so Turbo loads {helper} ({action}) into it, but "
            f'{index.rel(view)} has no turbo frame `{frame_id}`: Turbo will show "Content missing"; add '
            'data: { turbo_frame: "_top" } to leave the frame, or wrap the response in the frame',
        )


def _response_without_frame(
    index, names: dict[str, str], code: str, frame_id: str, here: str | None = None
) -> tuple[str, str, str] | None:
    """(route helper, action, template) when `code` starts with a named GET route (`names`) whose action renders
    its own template, other than `here`, and that template and its partials hold no frame `frame_id`; else None
    (also when a frame id there cannot be read)."""
    m = re.match(r"\s*(\w+)_(?:path|url)\b", code)
    if m is None or m.group(1) not in names:
        return None
    action = names[m.group(1)]
    view = _action_view(index, action)
    if view is None or view == here:
        return None
    ids = _frame_ids_of(index, view)
    if ids is None or any(ids_overlap(frame_id, i) for i in ids):
        return None
    return m.group(0).strip(), action, view


def _route_names(index) -> dict[str, str]:
    """Named GET routes -> `controller#action`, only names that map to one action."""
    return index.derived("route_names", lambda: _read_route_names(index))


def _read_route_names(index) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for r in index.routes:
        if r.get("verb") == "GET":
            seen.setdefault(route_name(r["path"]), set()).add(r["action"])
    return {n: next(iter(a)) for n, a in seen.items() if n and len(a) == 1}


def _action_view(index, action: str) -> str | None:
    """The HTML template an action renders by convention; None when it renders something else or none exists."""
    ctrl, _, name = action.partition("#")
    for c in index.controllers:
        key = re.sub(r"(?<!^)(?=[A-Z])", "_", str(c.get("name", "")).removesuffix("Controller").replace("::", "/"))
        if key.lower().replace("/_", "/") == ctrl and name in c.get("renders", []):
            return None
    want = f"{ctrl}/{name}"
    views = [p for p in index.views if view_name(p) == want and ".turbo_stream." not in p and p.endswith(".erb")]
    return views[0] if len(views) == 1 else None


def _frame_ids_of(index, view: str) -> list[str] | None:
    """Frame ids in a template and the partials it renders (3 levels); None when one is unreadable."""
    partials = index.partials
    ids: list[str] = []
    frontier, seen = [view], {view}
    for _ in range(4):
        nxt = []
        for path in frontier:
            facts = index.files.get(path)
            if facts is None:
                return None
            ids += [f.id for f in facts.frames]
            for r in facts.renders:
                if r.startswith("*/"):
                    return None  # a record or collection: which partial is not known here
                target = partials.get(r)
                if target is None:
                    return None
                if target not in seen:
                    seen.add(target)
                    nxt.append(target)
        frontier = nxt
    if any(i in ("*", "") for i in ids):
        return None
    return ids


def check_stream_targets(ctx: Context, targets) -> None:
    index = ctx.index
    if not has_page_views(index):
        return
    defined = index.ids
    for t in targets:
        if t.id in ("*", ""):
            continue
        if any(ids_overlap(t.id, d.id) for d in defined):
            continue
        start, end = _line_range(ctx, t.line)
        ctx.add(
            "turbo/unknown-stream-target",
            start,
            end,
            f"stream target `{t.id}` matches no id in any view: the stream will do nothing "
            "(check the id, or dom_id(record) in the partial)",
        )


def _line_range(ctx: Context, line: int) -> tuple[int, int]:
    """Byte range of a line's text (without indentation and newline)."""
    starts = ctx.doc.line_starts
    start = starts[line - 1]
    end = starts[line] - 1 if line < len(starts) else len(ctx.doc.data)
    text = ctx.doc.data[start:end]
    return start + len(text) - len(text.lstrip()), max(start, end)
