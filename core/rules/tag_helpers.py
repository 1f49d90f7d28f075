"""Rules on Rails tag-helper calls; they run on ERB templates and on Ruby files (helpers, controllers).

Covers Rails-UJS leftovers, `turbo_stream.<action>`, `turbo_frame_tag` ids, unsafe output and
the option spellings of Stimulus attributes.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

from tree_sitter import Node

from hotwire_assist.core.appindex import route_name, view_name
from hotwire_assist.core.hotwire import TURBO_STREAM_ACTIONS, TURBO_STREAM_CONTENT_ACTIONS
from hotwire_assist.core.parsing import (
    Element,
    call_name,
    helper_element,
    literal,
    node_text,
    option_pairs,
    pair_key,
    positional_args,
    walk,
)
from hotwire_assist.core.rules import taint
from hotwire_assist.core.rules.base import Context
from hotwire_assist.core.rules.findings import Severity

STREAM_ACTIONS = TURBO_STREAM_ACTIONS
TURBO8_ACTIONS = {"morph", "refresh"}
CONTENT_ACTIONS = set(TURBO_STREAM_CONTENT_ACTIONS)
LINK_HELPERS = {"link_to", "link_to_if", "link_to_unless", "link_to_unless_current"}
REMOTE_HELPERS = LINK_HELPERS | {"button_to", "form_with", "form_for", "form_tag"}
LATER = {
    "broadcast_replace_to": "broadcast_replace_later_to",
    "broadcast_update_to": "broadcast_update_later_to",
    "broadcast_append_to": "broadcast_append_later_to",
    "broadcast_prepend_to": "broadcast_prepend_later_to",
    "broadcast_refresh_to": "broadcast_refresh_later_to",
    "broadcast_action_to": "broadcast_action_later_to",
    "broadcast_render_to": "broadcast_render_later_to",
    "broadcast_replace": "broadcast_replace_later",
    "broadcast_update": "broadcast_update_later",
    "broadcast_append": "broadcast_append_later",
    "broadcast_prepend": "broadcast_prepend_later",
    "broadcast_refresh": "broadcast_refresh_later",
    "broadcast_action": "broadcast_action_later",
    "broadcast_render": "broadcast_render_later",
}


TURBO_FORM_ATTRS = ("data-turbo", "data-turbo-action", "data-turbo-frame", "data-turbo-stream")


def version_tuple(v: str | None) -> tuple[int, ...] | None:
    if not v:
        return None
    try:
        return tuple(int(x) for x in v.split(".")[:3] if x.isdigit())
    except ValueError:
        return None


_CORE_TURBO = {"@hotwired/turbo", "@hotwired/turbo-rails", "turbo", "turbo-rails"}
_PIN = re.compile(r"""^\s*pin\s+["']([^"']+)["']""", re.M)


def _js_packages(root: str) -> tuple[str, ...]:
    """JavaScript packages the app loads (package.json dependencies, importmap pins); read only when an action
    is unknown, so an edit to either file counts at once."""
    names: set[str] = set()
    try:
        data = json.loads((Path(root) / "package.json").read_text())
        for key in ("dependencies", "devDependencies"):
            names |= set(data.get(key) or {})
    except (OSError, ValueError, AttributeError):
        pass
    with contextlib.suppress(OSError):
        names |= set(_PIN.findall((Path(root) / "config" / "importmap.rb").read_text()))
    return tuple(sorted(names))


def stream_action_extensions(ctx: Context) -> list[str]:
    """Packages the app loads that may register stream actions in code the checker does not read
    (turbo_power, any other turbo/stream add-on): an action unknown to the app's own JS may be one of theirs."""
    if ctx.index is None or ctx.index.root is None:
        return []
    pkgs = _js_packages(str(ctx.index.root))
    return [p for p in pkgs if p not in _CORE_TURBO and re.search(r"turbo|stream", p, re.I)]


def unknown_action_severity(ctx: Context) -> tuple[Severity | None, str]:
    """Error only when the checker sees every place an action could come from; else a warning naming the add-on."""
    ext = stream_action_extensions(ctx)
    if ext:
        return "warning", f"; the app loads {', '.join(ext)}, which may register it (not confirmed)"
    return None, ""


def valid_stream_actions(ctx: Context) -> tuple[set[str], str | None]:
    """Actions this app can use: Turbo's, minus Turbo 8's on turbo-rails < 2, plus custom StreamActions."""
    actions = set(STREAM_ACTIONS)
    note = None
    if ctx.index is not None:
        v = version_tuple(ctx.index.versions.get("turbo-rails"))
        if v is not None and v < (2,):
            actions -= TURBO8_ACTIONS
            note = f"turbo-rails {ctx.index.versions['turbo-rails']} predates morph/refresh (2.0)"
        actions |= ctx.index.custom_stream_actions
    return actions, note


def check_turbo_stream_calls(ctx: Context, calls: list[Node]) -> None:
    doc = ctx.doc
    valid, note = valid_stream_actions(ctx)
    builder = {"action", "action_all"} | {f"{a}_all" for a in valid}
    for call in calls:
        recv = call.child_by_field_name("receiver")
        if recv is None or node_text(doc, recv) != "turbo_stream" or recv.type != "identifier":
            continue
        method = call.child_by_field_name("method")
        name = call_name(doc, call)
        if name in valid or name in builder:
            _stream_content(ctx, call, name)
            if name in ("action", "action_all"):
                args = positional_args(call)
                act = literal(doc, args[0]) if args else None
                if act is not None and act not in valid:
                    sev, why = unknown_action_severity(ctx)
                    msg = _msg(act, valid, note) + why
                    ctx.add("turbo/unknown-stream-action", args[0].start_byte, args[0].end_byte, msg, severity=sev)
            continue
        if method is None or (ctx.index is not None and name in ctx.index.stream_builder_methods):
            continue  # the app's own `turbo_stream.<method>` (a helper prepended to Turbo's stream builder)
        if ctx.index is not None and ctx.index.extends_stream_builder:
            how = "turbo_power" if "turbo_power" in ctx.index.versions else "the app's code"
            ctx.add(
                "turbo/unknown-stream-action",
                method.start_byte,
                method.end_byte,
                f"`turbo_stream.{name}` is no Turbo action; {how} adds methods to Turbo's stream builder, so it may "
                "be one of those (not confirmed)",
                severity="info",
            )
            continue
        sev, why = unknown_action_severity(ctx)
        msg = _msg(name, valid, note) + why
        ctx.add("turbo/unknown-stream-action", method.start_byte, method.end_byte, msg, severity=sev)


def _stream_content(ctx: Context, call: Node, action: str) -> None:
    """`turbo_stream.update "x", "Hi #{params[:name]}"`: a content string is inserted as HTML, unescaped."""
    if action.removesuffix("_all") not in CONTENT_ACTIONS:
        return
    args = positional_args(call)
    content = args[1] if len(args) > 1 else None
    for p in option_pairs(call):
        if pair_key(ctx.doc, p) in ("content", "html"):
            content = p.child_by_field_name("value")
    if content is None or content.type not in ("string", "binary", "call", "identifier", "element_reference"):
        return
    if taint.origin_through_locals(ctx.doc, content) == taint.REQUEST:
        ctx.add(
            "security/stream-content",
            content.start_byte,
            content.end_byte,
            f"turbo_stream.{action} inserts this string as HTML without escaping, and it holds request data (XSS); "
            "render a partial or escape it with h(...)",
        )


def _msg(action: str, valid: set[str], note: str | None) -> str:
    m = f"unknown turbo stream action `{action}`; valid: {', '.join(sorted(valid))}"
    return m + (f" ({note})" if note else "")


def check_frame_tags(ctx: Context, elements: list[Element], root: Node) -> None:
    doc = ctx.doc
    for el in elements:
        if el.name != "turbo_frame_tag" or el.receiver:
            continue
        args = el.ruby_args
        first = args[0] if args else None
        if first is None:
            ctx.add(
                "turbo/frame-missing-id", el.start, el.tag_end, "turbo_frame_tag needs an id (a string or a record)"
            )
        elif literal(doc, first) == "" and first.type in ("string", "nil"):
            ctx.add("turbo/frame-missing-id", first.start_byte, first.end_byte, "turbo_frame_tag id is empty")
        src, loading = el.attrs.get("src"), el.attrs.get("loading")
        if src is not None and loading is None:
            ctx.add(
                "turbo/eager-frame",
                src.start,
                src.end,
                "frame with src: loads as soon as the page renders; `loading: :lazy` waits until it is visible",
                ctx.fix("Add loading: :lazy", (src.end, src.end, ", loading: :lazy")),
            )
    # a bare `turbo_frame_tag` (no arguments, no block) is an identifier, not a call
    for n in walk(root):
        bare = n.type == "identifier" and node_text(doc, n) == "turbo_frame_tag" and n.parent is not None
        if bare and n.parent.type in (
            "program",
            "body_statement",
            "block_body",
            "argument_list",
            "parenthesized_statements",
        ):
            ctx.add("turbo/frame-missing-id", n.start_byte, n.end_byte, "turbo_frame_tag needs an id")


def _data_key(ctx: Context, el: Element, html_name: str) -> Node | None:
    """The key node of a data option, for renaming (`confirm:` in `data: {...}` or `"data-confirm" =>`)."""
    a = el.attrs.get(html_name)
    if a is None or a.node is None or a.node.parent is None:
        return None
    return a.node.parent.child_by_field_name("key")


def _rename_key(ctx: Context, key: Node, new: str) -> tuple[int, int, str]:
    """Edit renaming a hash key in its own spelling (`confirm:` / `"data-confirm" =>` / `:confirm =>`)."""
    text = node_text(ctx.doc, key)
    if key.type == "hash_key_symbol":
        return key.start_byte, key.end_byte, new.replace("-", "_").removeprefix("data_")
    if key.type == "string":
        return key.start_byte, key.end_byte, f'"{new}"' if text.startswith('"') else f"'{new}'"
    return key.start_byte, key.end_byte, ":" + new.replace("-", "_").removeprefix("data_")


def _ujs(ctx: Context, rule: str, start: int, end: int, message: str, fix=None) -> None:
    """A Rails-UJS attribute: a mistake under Turbo alone, but it still works where the app loads rails-ujs."""
    if ctx.index is not None and ctx.index.uses_ujs:
        message += " (the app still loads rails-ujs, which handles it; this matters when rails-ujs goes)"
        ctx.add(rule, start, end, message, fix, severity="info")
    else:
        ctx.add(rule, start, end, message, fix)


def _answers_with_stream(index, url_code: str) -> bool:
    """Whether the route helper a form posts to (`url: email_subscribers_path`) reaches only actions that answer
    with a Turbo Stream (`format.turbo_stream`, or an `<action>.turbo_stream.erb` template)."""
    m = re.match(r"\s*(\w+)_(?:path|url)\b", url_code)
    if m is None:
        return False
    by_key = {}
    for c in index.controllers:
        key = re.sub(r"(?<!^)(?=[A-Z])", "_", str(c.get("name", "")).removesuffix("Controller").replace("::", "/"))
        by_key[key.lower().replace("/_", "/")] = c
    actions = {r["action"] for r in index.routes if r.get("verb") != "GET" and route_name(r["path"]) == m.group(1)}
    if not actions:  # a route the index could not read: `resources :subscribers` posts `subscribers_path` to create
        actions = {f"{k}#create" for k in by_key if k.rsplit("/", 1)[-1] == m.group(1)}
    if len(actions) != 1 and not any(r["action"] in actions for r in index.routes):
        return False
    stream_views = {view_name(p) for p in index.views if ".turbo_stream." in p}
    for action in actions:
        ctrl, _, name = action.partition("#")
        c = by_key.get(ctrl)
        if f"{ctrl}/{name}" in stream_views:
            continue
        if c is None or "turbo_stream" not in c.get("actions", {}).get(name, []):
            return False
    return True


def check_ujs(ctx: Context, elements: list[Element]) -> None:
    for el in elements:
        if el.origin != "ruby":
            _check_ujs_html(ctx, el)
            continue
        method = el.attrs.get("method")
        if el.name in LINK_HELPERS and method is not None and method.value not in (None, "get"):
            pair = method.node.parent if method.node is not None else None
            data = _data_hash(ctx, el)
            verb = method.code
            if data is not None:
                edits = [
                    ctx.removal(pair.start_byte, pair.end_byte),
                    (data.start_byte + 1, data.start_byte + 1, f" turbo_method: {verb},"),
                ]
            else:
                edits = [(pair.start_byte, pair.end_byte, f"data: {{ turbo_method: {verb} }}")]
            if el.has("data-turbo-method"):  # `method: :delete, data: { turbo_method: :delete }`: Turbo's is there
                ctx.add(
                    "ujs/method-delete",
                    method.start,
                    method.end,
                    f"`method: {verb}` is a Rails-UJS leftover beside `data-turbo-method`, which Turbo reads: drop it",
                    ctx.fix(f"Remove method: {verb}", ctx.removal(pair.start_byte, pair.end_byte)),
                    severity="info",
                )
            else:
                _ujs(
                    ctx,
                    "ujs/method-delete",
                    method.start,
                    method.end,
                    f"`method: {verb}` on {el.name} is Rails-UJS; Turbo ignores it and sends a GET. "
                    f"Use `data: {{ turbo_method: {verb} }}` (or button_to)",
                    ctx.fix(f"Use data: {{ turbo_method: {verb} }}", *edits),
                )
        for name in ("remote", "data-remote"):
            remote = el.attrs.get(name)
            if remote is not None and remote.value == "true" and (el.name in REMOTE_HELPERS or name == "data-remote"):
                told = [a for a in (*TURBO_FORM_ATTRS, "data-turbo-method") if a in el.attrs]
                if told:  # the element already tells Turbo how to submit it: remote: true only sits there
                    ctx.add(
                        "ujs/remote",
                        remote.start,
                        remote.end,
                        f"`remote: true` is a Rails-UJS leftover: this element already sets {told[0]} for Turbo; "
                        "drop it",
                        ctx.fix("Remove remote: true", ctx.removal(remote.start, remote.end)),
                        severity="info",
                    )
                    continue
                _ujs(
                    ctx,
                    "ujs/remote",
                    remote.start,
                    remote.end,
                    "`remote: true` is Rails-UJS; Turbo already submits forms and follows links without a reload",
                    ctx.fix("Remove remote: true", ctx.removal(remote.start, remote.end)),
                )
        local = el.attrs.get("local")
        if el.name == "form_with" and local is not None and local.value == "true":
            # The form already tells Turbo what to do (data-turbo="false", a turbo action/frame/stream):
            # `local: true` is a harmless leftover there, not a form the author thinks Turbo leaves alone.
            told = [a for a in TURBO_FORM_ATTRS if a in el.attrs]
            # Drive (or its form handling) off app-wide: Turbo submits no form outside a frame, so the form
            # does what its author meant; `local: true` is only a leftover there too
            off = ctx.index is not None and ctx.index.turbo_forms_off
            url = el.attrs.get("url")
            streams = ctx.index is not None and url is not None and _answers_with_stream(ctx.index, url.code or "")
            if streams:
                msg = (
                    "`local: true` is a Rails-UJS leftover: the action this form posts to answers Turbo with a "
                    "stream, so Turbo submitting it is intended; drop it"
                )
            elif told:
                msg = f"`local: true` is a Rails-UJS leftover: this form already sets {told[0]}, so drop it"
            elif off:
                msg = (
                    "`local: true` is a Rails-UJS leftover: this app turns Turbo Drive's form handling off, so "
                    "Turbo does not submit this form (unless it sits in a turbo-frame); drop it"
                )
            else:
                msg = (
                    "`local: true` does not opt this form out of Turbo (it only stopped Rails-UJS): Turbo still "
                    "submits it; use data: { turbo: false } for a full-page submit, otherwise drop it"
                )
            ctx.add(
                "turbo/form-local",
                local.start,
                local.end,
                msg,
                ctx.fix("Remove local: true", ctx.removal(local.start, local.end)),
                severity="info" if told or off or streams else None,
            )
        for old, new, rule in (
            ("data-confirm", "data-turbo-confirm", "ujs/data-confirm"),
            ("confirm", "data-turbo-confirm", "ujs/data-confirm"),
            ("data-disable-with", "data-turbo-submits-with", "ujs/disable-with"),
            ("disable-with", "data-turbo-submits-with", "ujs/disable-with"),
        ):
            a = el.attrs.get(old)
            if a is None or (old in ("confirm", "disable-with") and el.name not in REMOTE_HELPERS | {"submit"}):
                continue
            if el.origin == "ruby" and (a.code or "").strip() in ("false", "nil"):
                continue  # `disable_with: false` renders no attribute: it turns Rails' automatic one off
            key = _data_key(ctx, el, old)
            fix = None
            if key is not None and old.startswith("data-"):
                fix = ctx.fix(f"Rename to {new}", _rename_key(ctx, key, new))
            msg = f"`{old}` is Rails-UJS; Turbo ignores it. Use `{new}`"
            if el.has(new):  # `data: { confirm: "?", turbo_confirm: "?" }`: Turbo's own is there, it works
                msg = f"`{old}` is a Rails-UJS leftover beside `{new}`, which Turbo reads: drop it"
                drop = ctx.fix(f"Remove {old}", ctx.removal(a.start, a.end)) if el.origin == "ruby" else None
                ctx.add(rule, a.start, a.end, msg, drop, severity="info")
                continue
            if old.startswith("data-"):
                _ujs(ctx, rule, a.start, a.end, msg, fix)
            else:  # a plain `confirm:` option renders confirm="…", which neither Rails-UJS nor Turbo reads
                ctx.add(rule, a.start, a.end, msg.replace("is Rails-UJS; Turbo ignores it", "is read by nobody"), fix)


def _data_hash(ctx: Context, el: Element) -> Node | None:
    if el.node is None:
        return None
    for p in option_pairs(el.node):
        if pair_key(ctx.doc, p) == "data":
            v = p.child_by_field_name("value")
            if v is not None and v.type == "hash":
                return v
    return None


def _check_ujs_html(ctx: Context, el: Element) -> None:
    for old, new, rule in (
        ("data-method", "data-turbo-method", "ujs/method-delete"),
        ("data-confirm", "data-turbo-confirm", "ujs/data-confirm"),
        ("data-disable-with", "data-turbo-submits-with", "ujs/disable-with"),
    ):
        a = el.attrs.get(old)
        if a is None or (old == "data-method" and el.name != "a"):
            continue
        _ujs(
            ctx,
            rule,
            a.start,
            a.end,
            f"`{old}` is Rails-UJS; Turbo ignores it. Use `{new}`",
            ctx.fix(f"Rename to {new}", (a.start, a.start + len(old), new)),
        )
    remote = el.attrs.get("data-remote")
    if remote is not None and remote.value in ("true", ""):
        _ujs(
            ctx,
            "ujs/remote",
            remote.start,
            remote.end,
            "`data-remote` is Rails-UJS; Turbo already handles this form/link",
            ctx.fix("Remove data-remote", ctx.removal(remote.start, remote.end)),
        )


PLAIN_TEXT = re.compile(r"\.(text|txt|csv|md)(\.\w+)?$")


def _json_template(ctx: Context) -> bool:
    return bool(re.search(r"\.json(\.\w+)?$", ctx.path)) or ".json." in ctx.path.rsplit("/", 1)[-1]


def _in_script(ctx: Context, at: int) -> bool:
    """Whether a byte offset of an ERB template sits inside a <script> element (not in an attribute)."""
    elements = getattr(ctx.doc, "html_elements", None) or []
    return any(el.name == "script" and el.tag_end <= at < el.end for el in elements)


def _unsafe(ctx: Context, rule: str, call: Node, value: Node, what: str) -> None:
    """Report `what` on `value` by where the value comes from (taint), once per call."""
    if PLAIN_TEXT.search(ctx.path):
        return  # a plain-text template (mail, CSV): there is no HTML to inject into
    if value.type == "call" and call_name(ctx.doc, value) == "to_json" and _in_script(ctx, call.start_byte):
        return  # Rails escapes <, > and & in JSON: inside a <script> the value cannot close the element
    level = taint.origin(ctx.doc, value, json=_json_template(ctx))
    severity = taint.severity_of(level)
    if severity is None:
        return
    src = {taint.REQUEST: "request data", taint.MODEL: "record data", taint.UNKNOWN: "a value of unknown origin"}[level]
    written = ctx.index.written_words if ctx.index is not None else None
    attrs = taint.attributes_read(ctx.doc, value) if level == taint.MODEL and written is not None else []
    if attrs and not any(a in written or a in ctx.index.model_methods for a in attrs):
        # stored columns (no model method computes them) that no form, params key or import in this app writes:
        # the app stores them itself (seeds, a converter's HTML); a lead, not a likely hole
        src = f"record data no form or param of this app writes: {', '.join(attrs)}"
        severity = "info"
    ctx.add(
        rule,
        call.start_byte,
        call.end_byte,
        f"{what} `{node_text(ctx.doc, value)[:60]}` ({src}) without escaping it: XSS when it holds user input; "
        "use sanitize, safe_join or a tag helper",
        severity=severity,  # type: ignore[arg-type]
    )


def check_unsafe_output(ctx: Context, calls: list[Node]) -> None:
    doc = ctx.doc
    for call in calls:
        name = call_name(doc, call)
        recv = call.child_by_field_name("receiver")
        if name == "raw" and recv is None:
            args = positional_args(call)
            if args:
                _unsafe(ctx, "security/raw", call, args[0], "`raw` outputs")
        elif name == "html_safe" and recv is not None:
            _unsafe(ctx, "security/html-safe", call, recv, "`html_safe` marks")
        elif name == "turbo_stream_from" and recv is None:
            for a in positional_args(call):
                if _user_controlled(ctx, a):
                    ctx.add(
                        "security/stream-name",
                        a.start_byte,
                        a.end_byte,
                        "stream name comes from the request: any visitor could subscribe to any stream; "
                        "stream from a record the user is authorized to see",
                    )


def _user_controlled(ctx: Context, node: Node) -> bool:
    return taint.origin(ctx.doc, node) == taint.REQUEST


def check_ruby_helpers(ctx: Context, calls: list[Node], root: Node) -> None:
    """Every helper-call rule; shared by ERB (virtual Ruby) and Ruby files."""
    elements = [helper_element(ctx.doc, c) for c in calls]
    check_turbo_stream_calls(ctx, calls)
    check_frame_tags(ctx, elements, root)
    check_ujs(ctx, elements)
    check_unsafe_output(ctx, calls)
