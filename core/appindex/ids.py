"""DOM ids as globs: `dom_id(@list, :stats)` is `stats_list_*`, `"todo_#{t.id}"` is `todo_*`, an
expression we cannot read is `*`. Two ids may refer to the same element when their globs overlap."""

from __future__ import annotations

import re
from functools import lru_cache

from tree_sitter import Node

from hotwire_assist.core.parsing import SourceText, call_name, literal, node_text, positional_args


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
