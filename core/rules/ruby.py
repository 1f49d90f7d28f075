"""Rules on Ruby files: controllers (respond_to, strong parameters, CSRF) and models (broadcasts)."""

from __future__ import annotations

import re

from tree_sitter import Node

from hotwire_assist.core.appindex import extract_facts
from hotwire_assist.core.parsing import RubyDoc, call_name, literal, node_text, option_pairs, pair_key, walk
from hotwire_assist.core.rules.base import Context
from hotwire_assist.core.rules.tag_helpers import LATER, check_ruby_helpers
from hotwire_assist.core.rules.views import check_stream_targets

CALLBACKS = re.compile(
    r"^(after|before|around)_(create|update|save|destroy|commit|create_commit|update_commit|"
    r"destroy_commit|save_commit|touch)$"
)
SYNC_BROADCAST = re.compile(r"^broadcast_(append|prepend|replace|update|before|after|refresh|action|render)(_to)?$")
READ_ACTIONS = {"index", "show", "new", "edit"}
MASS_ASSIGN = {"new", "create", "create!", "update", "update!", "assign_attributes", "update_attributes",
               "build", "insert", "upsert", "find_or_create_by", "first_or_create", "update_columns"}  # fmt: skip
RAW_PARAMS = re.compile(r"^params(\[[^\]]+\]|\.(require|fetch)\([^)]*\)|\.to_unsafe_h(ash)?)*$")


def check_ruby(ctx: Context, doc: RubyDoc) -> None:
    root = doc.tree.root_node
    check_ruby_helpers(ctx, doc.calls, root)
    if ctx.index is not None:
        check_stream_targets(ctx, extract_facts(doc).stream_targets)
    _respond_to(ctx, doc)
    _strong_params(ctx, doc)
    _csrf(ctx, doc, root)
    _broadcasts(ctx, doc, root)


def _respond_to(ctx: Context, doc: RubyDoc) -> None:
    for call in doc.calls:
        if call_name(doc, call) != "respond_to" or call.child_by_field_name("receiver") is not None:
            continue
        block = call.child_by_field_name("block")
        if block is None:
            continue
        params = [
            node_text(doc, p) for p in walk(block) if p.type == "identifier" and p.parent.type == "block_parameters"
        ]
        var = params[0] if params else "format"
        formats: dict[str, Node] = {}
        for c in walk(block):
            if c.type == "call":
                r = c.child_by_field_name("receiver")
                if r is not None and node_text(doc, r) == var:
                    formats.setdefault(call_name(doc, c), c)
        if "turbo_stream" in formats and not ({"html", "any", "all"} & formats.keys()):
            ts = formats["turbo_stream"]
            ctx.add(
                "rails/turbo-stream-no-html",
                ts.start_byte,
                ts.end_byte,
                "respond_to has format.turbo_stream but no format.html: a request without Turbo (JS off, a crawler, "
                "a redirect) gets 406 Not Acceptable; add format.html { redirect_to … }",
            )


def _strong_params(ctx: Context, doc: RubyDoc) -> None:
    for call in doc.calls:
        name = call_name(doc, call)
        method = call.child_by_field_name("method")
        if name == "permit!":
            ctx.add(
                "security/permit-bang",
                method.start_byte if method is not None else call.start_byte,
                call.end_byte,
                "`permit!` permits every attribute (mass assignment of admin flags, foreign keys…); list them with "
                "permit(:a, :b)",
            )
        elif name in MASS_ASSIGN:
            args = call.child_by_field_name("arguments")
            for a in args.named_children if args is not None else []:
                text = re.sub(r"\s+", "", node_text(doc, a))
                if RAW_PARAMS.match(text) and "permit" not in text:
                    ctx.add(
                        "security/mass-assignment",
                        a.start_byte,
                        a.end_byte,
                        f"`{text}` passed to {name} without permit: unpermitted mass assignment; use a "
                        "`*_params` method with require(...).permit(...)",
                    )


def _csrf(ctx: Context, doc: RubyDoc, root: Node) -> None:
    cls = next((n for n in walk(root) if n.type == "class"), None)
    if cls is None:
        return
    sup = node_text(doc, cls.child_by_field_name("superclass"))
    if "ActionController::API" in sup:
        return
    for n in walk(cls):
        if n.type == "identifier" and node_text(doc, n) == "skip_forgery_protection" and n.parent.type != "call":
            ctx.add(
                "security/csrf-skip",
                n.start_byte,
                n.end_byte,
                "skip_forgery_protection turns CSRF protection off for every action, mutating ones included",
            )
        if n.type != "call" or n.child_by_field_name("receiver") is not None:
            continue
        name = call_name(doc, n)
        args = n.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        opts = {pair_key(doc, p): p.child_by_field_name("value") for p in option_pairs(n)}
        skip = name == "skip_forgery_protection" or (
            name == "skip_before_action" and first is not None and literal(doc, first) == "verify_authenticity_token"
        )
        if skip:
            only = _action_list(doc, opts.get("only"))
            if only is None:
                ctx.add(
                    "security/csrf-skip",
                    n.start_byte,
                    n.end_byte,
                    "CSRF protection skipped for every action, mutating ones included",
                )
            elif only - READ_ACTIONS:
                ctx.add(
                    "security/csrf-skip",
                    n.start_byte,
                    n.end_byte,
                    f"CSRF protection skipped for mutating action(s) {', '.join(sorted(only - READ_ACTIONS))}; "
                    "verify the request another way (signature) or keep the token",
                )
        elif name == "protect_from_forgery":
            exc = _action_list(doc, opts.get("except"))
            if exc and exc - READ_ACTIONS:
                ctx.add(
                    "security/csrf-skip",
                    n.start_byte,
                    n.end_byte,
                    f"protect_from_forgery except: leaves mutating action(s) {', '.join(sorted(exc - READ_ACTIONS))} "
                    "open to CSRF",
                )


def _action_list(doc: RubyDoc, node: Node | None) -> set[str] | None:
    if node is None:
        return None
    if node.type in ("array", "string_array", "symbol_array"):
        return {literal(doc, c) or node_text(doc, c) for c in node.named_children}
    v = literal(doc, node)
    return {v} if v else {"<dynamic>"}


def _broadcasts(ctx: Context, doc: RubyDoc, root: Node) -> None:
    if "/models/" not in "/" + doc.path.replace("\\", "/") and "broadcast" not in doc.text:
        return
    callback_methods: set[str] = set()
    bodies: list[Node] = []
    for call in doc.calls:
        if not CALLBACKS.match(call_name(doc, call)) or call.child_by_field_name("receiver") is not None:
            continue
        args = call.child_by_field_name("arguments")
        for a in args.named_children if args is not None else []:
            if a.type == "simple_symbol":
                callback_methods.add(node_text(doc, a)[1:])
            elif a.type == "lambda":
                bodies.append(a)
        if call.child_by_field_name("block") is not None:
            bodies.append(call.child_by_field_name("block"))
    for n in walk(root):
        if n.type == "method" and node_text(doc, n.child_by_field_name("name")) in callback_methods:
            bodies.append(n)
    for body in bodies:
        for c in walk(body):
            if c.type not in ("call", "identifier"):
                continue
            name = call_name(doc, c) if c.type == "call" else node_text(doc, c)
            if c.type == "identifier" and c.parent is not None and c.parent.type == "call":
                continue
            if not SYNC_BROADCAST.match(name):
                continue
            method = c.child_by_field_name("method") if c.type == "call" else c
            fix = None
            if name in LATER and method is not None:
                fix = ctx.fix(f"Use {LATER[name]}", (method.start_byte, method.end_byte, LATER[name]))
            ctx.add(
                "turbo/sync-broadcast",
                c.start_byte,
                c.end_byte,
                f"`{name}` in a model callback renders and broadcasts inside the request/transaction; use "
                f"`{LATER.get(name, name)}` (a job) or `broadcasts_refreshes`",
                fix,
            )
