"""Where a Ruby value comes from, for the output and mass-assignment rules (Brakeman's idea, per expression).

`origin` reads an expression and says the worst source that can reach it without being escaped:
- SAFE: literals, constants, tag-helper output, escaping helpers (`h`, `ERB::Util.html_escape`,
  `CGI.escapeHTML`, `sanitize`, `strip_tags`, `json_escape`), translations, `*_path`/`*_url`, `to_json` in a
  JSON template, and string transforms of those with safe arguments;
- REQUEST: request params, cookies or the request itself (`params` that is a method's own argument is not);
- MODEL: an attribute read from a record (`@post.body`, `comment.user.name`): stored, often user-written;
- UNKNOWN: anything else (a local variable, a helper's return value, a hash lookup) - a lead, not a claim.
The rules map REQUEST to error, MODEL to warning and UNKNOWN to info (the contract in `findings`).
"""

from __future__ import annotations

import re

from tree_sitter import Node

from hotwire_assist.core.parsing import SourceText, call_name, node_text, walk

SAFE, UNKNOWN, MODEL, REQUEST = 0, 1, 2, 3
REQUEST_NAMES = {"params", "cookies", "request"}
REQUEST_READERS = {
    "path", "fullpath", "url", "original_url", "query_string", "referer", "referrer", "user_agent", "host",
    "params", "headers", "body", "query_parameters", "request_parameters", "raw_post",
}  # fmt: skip
ESCAPING = {
    "h", "html_escape", "html_escape_once", "escape_once", "escapeHTML", "escape_html", "sanitize", "strip_tags",
    "strip_links", "json_escape", "escape_javascript", "j", "t", "translate", "l", "localize", "safe_join", "render",
    "render_to_string", "link_to", "button_to", "mail_to", "content_tag", "image_tag", "video_tag", "audio_tag",
    "icon", "simple_format", "number_to_currency", "number_to_human", "number_with_delimiter", "number_to_percentage",
    "time_ago_in_words", "distance_of_time_in_words", "dom_id", "url_for", "asset_path", "image_path", "pluralize",
    "turbo_frame_tag", "turbo_stream_from", "cycle", "word_wrap", "excerpt", "highlight", "truncate",
}  # fmt: skip
# Methods whose result carries its receiver's and arguments' origin (string/array transforms).
TRANSFORMS = {
    "gsub", "sub", "join", "strip", "lstrip", "rstrip", "squish", "to_s", "to_str", "upcase", "downcase",
    "capitalize", "titleize", "humanize", "html_safe", "compact", "presence", "concat", "+", "<<", "first", "last",
    "tr", "delete", "chomp", "chop", "center", "ljust", "rjust", "freeze", "dup", "itself", "flatten", "uniq",
    "reverse", "squeeze", "html_safe?", "then", "to_sentence", "prepend", "format", "sprintf", "%",
}  # fmt: skip
# the pagination object a controller hands to its views (`@pagy = pagy(scope)`)
PAGINATOR = re.compile(r"@?pagy")
# attributes that hold a number or a time by Rails convention (ids, counter caches, timestamps, dates' parts)
NUMERIC_ATTR = re.compile(r"id|\w+_id|\w+_count|count|size|length|\w+_at|\w+_on|year|month|day|hour|position")
PRERENDERED = re.compile(r"html|rendered|markdown|rich_text|formatted|sanitized")
MAPPERS = {"map", "collect", "filter_map", "flat_map", "map!", "collect!"}
_CONSTANT_TYPES = {"constant", "scope_resolution"}
_LITERAL_TYPES = {
    "simple_symbol", "delimited_symbol", "integer", "float", "nil", "true", "false", "regex", "hash_key_symbol",
}  # fmt: skip


def severity_of(level: int) -> str | None:
    """The finding severity an origin earns (None: nothing to report)."""
    return {REQUEST: "error", MODEL: "warning", UNKNOWN: "info"}.get(level)


def is_local_param(doc: SourceText, node: Node, name: str) -> bool:
    """Whether `name` at `node` is an argument of the enclosing method/block (not the controller's params)."""
    p = node.parent
    while p is not None:
        if p.type in ("method", "singleton_method", "block", "do_block", "lambda"):
            params = p.child_by_field_name("parameters")
            if params is not None:
                for c in params.named_children:
                    ident = c if c.type == "identifier" else c.child_by_field_name("name")
                    if ident is not None and node_text(doc, ident) == name:
                        return True
            if p.type in ("method", "singleton_method"):
                return False
        p = p.parent
    return False


def origin(doc: SourceText, node: Node | None, *, json: bool = False) -> int:
    """Worst source reaching this expression unescaped (see the module docstring)."""
    if node is None:
        return SAFE
    t = node.type
    if t in _LITERAL_TYPES or t in _CONSTANT_TYPES:
        return SAFE
    if t in ("string", "string_array", "symbol_array", "heredoc_body"):
        return max((origin(doc, c, json=json) for c in node.named_children if c.type == "interpolation"), default=SAFE)
    if t == "heredoc_beginning":
        return UNKNOWN  # the body sits elsewhere in the tree
    if t in ("interpolation", "parenthesized_statements", "argument_list", "array", "begin", "statements"):
        return max((origin(doc, c, json=json) for c in node.named_children if c.type != "comment"), default=SAFE)
    if t in ("binary", "conditional"):
        parts = [c for c in node.named_children]
        if t == "conditional" and parts:
            parts = parts[1:]  # the condition is not output
        return max((origin(doc, c, json=json) for c in parts), default=SAFE)
    if t == "identifier":
        name = node_text(doc, node)
        if name in REQUEST_NAMES and not is_local_param(doc, node, name):
            return REQUEST
        if name.endswith(("_tag", "_path", "_url")) or name in ESCAPING:
            return SAFE  # an argument-less helper call: `creator_tag`, `root_path`
        return UNKNOWN
    if t == "instance_variable":
        return UNKNOWN
    if t == "element_reference":
        obj = node.child_by_field_name("object")
        base = origin(doc, obj, json=json)
        return REQUEST if base == REQUEST else UNKNOWN
    if t == "call":
        return _call_origin(doc, node, json=json)
    return UNKNOWN


def origin_through_locals(doc: SourceText, node: Node | None) -> int:
    """`origin`, where a local variable in the expression also carries the values assigned to it earlier in
    its method (or template): `msg = "Deleted #{params[:title]}"` then `turbo_stream.update "flash", msg`.
    One step deep; a variable assigned nowhere before stays unknown."""
    worst = origin(doc, node)
    if node is None or worst == REQUEST:
        return worst
    idents = [
        n
        for n in walk(node)
        if n.type == "identifier" and node_text(doc, n) not in REQUEST_NAMES and _reaches_output(doc, n, node)
    ]
    scope = node.parent
    while scope is not None and scope.type not in ("method", "singleton_method", "program"):
        scope = scope.parent  # blocks share their method's locals
    if scope is None or not idents:
        return worst
    names = {node_text(doc, n) for n in idents if not _is_method_name(n)}
    for n in walk(scope):
        if n.start_byte >= node.start_byte:
            break
        if n.type not in ("assignment", "operator_assignment"):
            continue
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if left is not None and left.type == "identifier" and node_text(doc, left) in names:
            worst = max(worst, origin(doc, right))
    return worst


def attributes_read(doc: SourceText, node: Node) -> list[str]:
    """Record attributes the expression reads (`story.story_content.truncate_words(30)` -> story_content):
    argument-less calls on a variable or attribute chain."""
    out: list[str] = []
    for n in walk(node):
        if n.type != "call" or n.child_by_field_name("arguments") is not None:
            continue
        recv = n.child_by_field_name("receiver")
        name = call_name(doc, n)
        if recv is not None and _attribute_chain(doc, recv) and name not in TRANSFORMS and name not in out:
            out.append(name)
    return out


_PASS_THROUGH = {
    "string", "interpolation", "binary", "conditional", "parenthesized_statements", "array", "argument_list",
    "begin", "statements",
}  # fmt: skip


def _reaches_output(doc: SourceText, ident: Node, top: Node) -> bool:
    """Whether a variable inside `top` is output as it is: through strings, interpolation, `+`, arrays and
    string transforms, not as an argument of a call that makes its own output (`tag.li(listing.address)`,
    `h(msg)`, `render`): `origin` already judged those calls."""
    n = ident
    while n != top:
        p = n.parent
        if p is None:
            return False
        if p.type == "call":
            name = call_name(doc, p)
            if name not in TRANSFORMS and not re.fullmatch(r"[+%<]+", name):
                return False
        elif p.type not in _PASS_THROUGH:
            return False
        n = p
    return True


def _is_method_name(n: Node) -> bool:
    """`bar` in `foo.bar`: the called method's name, not a variable."""
    p = n.parent
    m = p.child_by_field_name("method") if p is not None and p.type == "call" else None
    return m is not None and m.start_byte == n.start_byte


def _call_origin(doc: SourceText, node: Node, *, json: bool) -> int:
    name = call_name(doc, node)
    recv = node.child_by_field_name("receiver")
    args = node.child_by_field_name("arguments")
    recv_text = node_text(doc, recv) if recv is not None else ""
    if recv is None and name in REQUEST_NAMES:
        return UNKNOWN if is_local_param(doc, node, name) else REQUEST
    if recv is not None and recv.type == "identifier" and recv_text in REQUEST_NAMES:
        if recv_text == "request" and name in REQUEST_READERS:
            return REQUEST
        return origin(doc, recv, json=json)
    if name in ESCAPING or name.endswith(("_tag", "_path", "_url")) or (recv_text == "tag" and recv is not None):
        return SAFE
    if PAGINATOR.fullmatch(recv_text) and re.fullmatch(r"\w*nav(_js)?", name):
        return SAFE  # `@pagy.series_nav`: the pagination gem builds and escapes its own links
    if name == "to_json" or name == "as_json":
        return SAFE if json else max(UNKNOWN, origin(doc, recv, json=json))
    block = node.child_by_field_name("block")
    mapped = name in MAPPERS or (name == "with_index" and recv is not None and recv.type == "call"
                                 and call_name(doc, recv) in MAPPERS)  # fmt: skip  # `map.with_index do … end`
    if mapped and block is not None:  # `users.map { avatar_tag(it) }`: the block's value is the output
        body = next((c for c in block.named_children if c.type in ("block_body", "body_statement")), None)
        last = body.named_children[-1] if body is not None and body.named_children else None
        return origin(doc, last, json=json)
    if name in TRANSFORMS or re.fullmatch(r"[+%<]+", name):
        parts = [recv] if recv is not None else []
        parts += list(args.named_children) if args is not None else []
        return max((origin(doc, p, json=json) for p in parts), default=SAFE)
    if recv is not None and args is None and re.fullmatch(r"[a-z_]\w*", name):
        base = origin(doc, recv, json=json)
        if base == REQUEST:
            return REQUEST
        if recv.type in _CONSTANT_TYPES:
            return UNKNOWN  # Rails.env, Current.user: the app's own values
        if _attribute_chain(doc, recv):
            if NUMERIC_ATTR.fullmatch(name):
                return SAFE  # `stat.year`, `post.comments_count`, `@event.starts_at`: a number or a time, no markup
            if PRERENDERED.search(name):
                return UNKNOWN  # `body_html`, `rendered_bio`: HTML the app renders (and escapes) before storing
            return MODEL  # an attribute of a record: @post.body, comment.user.name
        return max(base, UNKNOWN)
    worst = UNKNOWN
    for a in args.named_children if args is not None else []:
        worst = max(worst, REQUEST if origin(doc, a, json=json) == REQUEST else UNKNOWN)
    return worst


def _attribute_chain(doc: SourceText, node: Node) -> bool:
    """`@post`, `comment`, `comment.user`: a variable, read through argument-less attribute calls."""
    while node.type == "call":
        if node.child_by_field_name("arguments") is not None or node.child_by_field_name("block") is not None:
            return False
        if not re.fullmatch(r"[a-z_]\w*", call_name(doc, node)):
            return False
        nxt = node.child_by_field_name("receiver")
        if nxt is None:
            return False
        node = nxt
    return node.type in ("instance_variable", "identifier") and node_text(doc, node) not in REQUEST_NAMES
