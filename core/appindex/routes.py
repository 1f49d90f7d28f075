"""`config/routes.rb` read statically: resources, member/collection, verbs, root, namespace and scope."""

from __future__ import annotations

from collections.abc import Callable

from tree_sitter import Node

from hotwire_assist.core.appindex.names import pluralize, singularize
from hotwire_assist.core.parsing import (
    RubyDoc,
    SourceText,
    call_name,
    literal,
    node_text,
    option_pairs,
    pair_key,
    positional_args,
)

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
            own = literal(doc, opts.get("module"))  # `resource :x, module: :columns`
            ctrl = module + (f"{own}/" if own else "")
            ctrl += literal(doc, opts.get("controller")) or (first if plural else pluralize(first))
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
            mod = literal(doc, opts.get("module"))  # `scope module: :boards` changes controllers, not paths
            path = first or literal(doc, opts.get("path"))
            sub = module + (f"{mod}/" if mod else "")
            _routes_in(doc, _block_calls(call), prefix + (f"/{path}" if path else ""), sub, res, out)
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


def route_name(path: str) -> str:
    """The named-route helper Rails derives for a conventional GET path: `/boards/:board_id/columns/:id/edit`
    -> `edit_board_column`, `/posts/:id/preview` -> `preview_post`. Unconventional shapes (collection actions,
    `as:`) may come out differently; callers treat a miss as "not resolved"."""
    segs = [s for s in path.strip("/").split("/") if s]
    parts: list[str] = []
    member_action = False
    for i, seg in enumerate(segs):
        if seg.startswith(":") or seg.startswith("*"):
            continue
        nxt = segs[i + 1] if i + 1 < len(segs) else None
        prev = segs[i - 1] if i > 0 else None
        word = seg.replace("-", "_")
        if nxt is not None and nxt.startswith(":"):
            word = singularize(word)
        if nxt is None and prev == ":id":
            member_action = True
        parts.append(word)
    if parts and (parts[-1] in ("new", "edit") or member_action):
        parts = [parts[-1], *parts[:-1]]
    return "_".join(parts)
