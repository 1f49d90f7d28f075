"""Parse each file once (tree-sitter) and expose what the rules and the app index both need.

An ERB file is parsed three times from one text, all with byte offsets equal to the original's:
- the embedded-template grammar finds the ERB tags;
- the HTML grammar sees the text with every ERB tag masked by `_` (so an `id="<%= dom_id(x) %>"`
  stays an attribute whose value we know is dynamic);
- the Ruby grammar sees the "virtual Ruby": the code of every tag at its own position, everything
  else blanked and `%>` turned into `;` - one program, as Rails compiles it, not fragments.
Tag helpers (`link_to ..., data: {...}`) and HTML elements are then flattened into one `Element`
list so a rule about `data-confirm` is written once for both spellings.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property

import tree_sitter_embedded_template
import tree_sitter_html
import tree_sitter_ruby
from tree_sitter import Language, Node, Parser, Tree

MAX_BYTES = 1_000_000  # larger files are skipped with a finding: generated or vendored, never hand-written


@cache
def _language(name: str) -> Language:
    mod = {"ruby": tree_sitter_ruby, "erb": tree_sitter_embedded_template, "html": tree_sitter_html}[name]
    return Language(mod.language())


@cache
def parser(name: str) -> Parser:
    return Parser(_language(name))


def file_kind(path: str) -> str | None:
    """erb | ruby | js | None (not ours to check)."""
    p = path.lower()
    if p.endswith((".erb", ".html")):
        return "erb"
    if p.endswith((".rb", ".rake", ".jbuilder")) or p.rsplit("/", 1)[-1] in ("gemfile", "rakefile"):
        return "ruby"
    if p.endswith((".js", ".mjs", ".ts")):
        return "js"
    return None


class SourceText:
    """Text with its UTF-8 bytes, converting tree-sitter byte points to 1-based character columns."""

    def __init__(self, text: str):
        self.text = text
        self.data = text.encode("utf-8", "surrogatepass")
        self.line_starts = [0]
        for m in re.finditer(b"\n", self.data):
            self.line_starts.append(m.end())

    def position(self, byte: int) -> tuple[int, int]:
        """1-based (line, character column) of a byte offset."""
        byte = max(0, min(byte, len(self.data)))
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= byte:
                lo = mid
            else:
                hi = mid - 1
        start = self.line_starts[lo]
        col = len(self.data[start:byte].decode("utf-8", "replace"))
        return lo + 1, col + 1

    def slice(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "replace")

    def line_of(self, byte: int) -> int:
        return self.position(byte)[0]


def node_text(doc: SourceText, node: Node | None) -> str:
    return "" if node is None else doc.slice(node.start_byte, node.end_byte)


def walk(node: Node) -> Iterator[Node]:
    """Pre-order walk with a cursor (fast; no Python recursion)."""
    cursor = node.walk()
    visited_children = False
    while True:
        if not visited_children:
            yield cursor.node
            if cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            visited_children = False
        elif cursor.goto_parent():
            visited_children = True
        else:
            return


def error_nodes(tree: Tree) -> list[Node]:
    """First ERROR/MISSING nodes of a tree, outermost only."""
    out: list[Node] = []
    if not tree.root_node.has_error:
        return out
    stack = [tree.root_node]
    while stack and len(out) < 20:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            out.append(n)
            continue
        if n.has_error:
            stack.extend(reversed(n.children))
    return out


# --- Ruby values ---------------------------------------------------------------------------------


def literal(doc: SourceText, node: Node | None) -> str | None:
    """The static value of a Ruby literal (string without interpolation, symbol, number, bool), else None."""
    if node is None:
        return None
    t = node.type
    if t == "string":
        if any(c.type == "interpolation" for c in node.children):
            return None
        return "".join(node_text(doc, c) for c in node.children if c.type in ("string_content", "escape_sequence"))
    if t == "simple_symbol":
        return node_text(doc, node)[1:]
    if t == "hash_key_symbol":
        return node_text(doc, node)
    if t == "delimited_symbol":
        return node_text(doc, node)[2:-1]
    if t in ("integer", "float", "true", "false"):
        return node_text(doc, node)
    if t == "nil":
        return ""
    return None


def pair_key(doc: SourceText, pair: Node) -> str | None:
    key = pair.child_by_field_name("key")
    if key is None:
        return None
    if key.type == "hash_key_symbol":
        return node_text(doc, key)
    return literal(doc, key)


def call_name(doc: SourceText, call: Node) -> str:
    m = call.child_by_field_name("method")
    return node_text(doc, m) if m is not None else ""


def call_args(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [] if args is None else [c for c in args.named_children if c.type != "comment"]


def positional_args(call: Node) -> list[Node]:
    return [a for a in call_args(call) if a.type not in ("pair", "block_argument", "hash_splat_argument")]


def option_pairs(call: Node) -> list[Node]:
    """Keyword options of a call: bare `k: v` pairs and pairs of a trailing hash literal."""
    out: list[Node] = []
    for a in call_args(call):
        if a.type == "pair":
            out.append(a)
        elif a.type == "hash":
            out.extend(c for c in a.named_children if c.type == "pair")
    return out


def calls(root: Node) -> Iterator[Node]:
    """Every method call, including bare `identifier` calls such as `yield`-less helpers with no args."""
    for n in walk(root):
        if n.type == "call":
            yield n


def mentions_request_data(doc: SourceText, node: Node) -> bool:
    """Whether an expression reads params, cookies, the request or a model/record (not a literal)."""
    return bool(re.search(r"\b(params|cookies|request|session)\b", node_text(doc, node)))


# --- Elements ------------------------------------------------------------------------------------


@dataclass
class Attr:
    name: str  # HTML spelling: data-turbo-method, aria-label, id
    value: str | None  # static value; None when computed at run time
    start: int  # byte range of the whole attribute / option pair
    end: int
    value_start: int
    value_end: int
    code: str = ""  # the Ruby source of a dynamic value
    node: Node | None = None  # the Ruby value node for helper options


@dataclass
class Element:
    """An HTML element or a tag-helper call, with its attributes in HTML spelling."""

    name: str  # tag name (div, turbo-frame) or helper (link_to, form.text_field -> text_field)
    origin: str  # "html" | "ruby"
    start: int
    end: int  # covers the children (HTML element or helper with a block)
    tag_end: int  # end of the opening tag / the call without its block
    attrs: dict[str, Attr] = field(default_factory=dict)
    node: Node | None = None
    receiver: str = ""  # `form` in form.text_field
    ruby_args: list[Node] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        a = self.attrs.get(name)
        return a.value if a else None

    def has(self, name: str) -> bool:
        return name in self.attrs


_NESTED = {"data": "data-", "aria": "aria-"}
# hash methods that keep the literal's pairs (at most dropping nil ones): `data: { … }.compact`
HASH_KEEPERS = {"compact", "compact_blank", "merge", "reverse_merge", "with_indifferent_access", "symbolize_keys"}


def _ruby_attrs(doc: SourceText, pairs: list[Node], prefix: str, out: dict[str, Attr]) -> None:
    for p in pairs:
        key = pair_key(doc, p)
        value = p.child_by_field_name("value")
        if key is None or value is None:
            continue
        if prefix == "" and key in _NESTED and value.type == "call":  # `data: { … }.compact`
            recv = value.child_by_field_name("receiver")
            meth = value.child_by_field_name("method")
            if recv is not None and recv.type == "hash" and meth is not None and node_text(doc, meth) in HASH_KEEPERS:
                value = recv
        if prefix == "" and key in _NESTED and value.type == "hash":
            _ruby_attrs(doc, [c for c in value.named_children if c.type == "pair"], _NESTED[key], out)
            continue
        if prefix == "" and key == "html" and value.type == "hash":  # form_with html: { data: {...} }
            _ruby_attrs(doc, [c for c in value.named_children if c.type == "pair"], "", out)
            continue
        if prefix:
            name = prefix + key.replace("_", "-")
        elif key.startswith("data_"):
            name = key.replace("_", "-")
        else:
            name = key
        out[name] = Attr(
            name,
            literal(doc, value),
            p.start_byte,
            p.end_byte,
            value.start_byte,
            value.end_byte,
            node_text(doc, value),
            value,
        )


def helper_element(doc: SourceText, call: Node) -> Element:
    attrs: dict[str, Attr] = {}
    _ruby_attrs(doc, option_pairs(call), "", attrs)
    block = call.child_by_field_name("block")
    recv = call.child_by_field_name("receiver")
    tag_end = block.start_byte if block is not None else call.end_byte
    name = call_name(doc, call)  # tag.div -> div, form.text_field -> text_field
    recv_text = node_text(doc, recv)
    return Element(name, "ruby", call.start_byte, call.end_byte, tag_end, attrs, call, recv_text, positional_args(call))


# --- Documents -----------------------------------------------------------------------------------


@dataclass
class ErbTag:
    kind: str  # code | output | raw_output | comment
    start: int
    end: int
    code_start: int
    code_end: int
    code: str
    closed: bool


class RubyDoc(SourceText):
    kind = "ruby"

    def __init__(self, path: str, text: str):
        super().__init__(text)
        self.path = path

    @cached_property
    def tree(self) -> Tree:
        return parser("ruby").parse(self.data)

    @cached_property
    def ruby_tree(self) -> Tree:
        return self.tree

    @cached_property
    def calls(self) -> list[Node]:
        return list(calls(self.tree.root_node))


class JsDoc(SourceText):
    kind = "js"

    def __init__(self, path: str, text: str):
        super().__init__(text)
        self.path = path


class ErbDoc(SourceText):
    kind = "erb"

    def __init__(self, path: str, text: str):
        super().__init__(text)
        self.path = path

    @cached_property
    def erb_tree(self) -> Tree:
        return parser("erb").parse(self.data)

    @cached_property
    def tags(self) -> list[ErbTag]:
        out: list[ErbTag] = []
        for n in self.erb_tree.root_node.named_children:
            if n.type not in ("directive", "output_directive", "comment_directive", "graphql_directive"):
                continue
            opener = n.children[0] if n.children else None
            closer = n.children[-1] if n.children else None
            open_text = node_text(self, opener)
            kind = {"<%=": "output", "<%==": "raw_output", "<%#": "comment"}.get(open_text, "code")
            body = next((c for c in n.children if c.type in ("code", "comment")), None)
            cs = body.start_byte if body is not None else (opener.end_byte if opener else n.start_byte)
            ce = body.end_byte if body is not None else cs
            closed = closer is not None and not closer.is_missing and closer.end_byte > closer.start_byte
            out.append(ErbTag(kind, n.start_byte, n.end_byte, cs, ce, self.slice(cs, ce), closed))
        return out

    @cached_property
    def masked(self) -> bytes:
        """The text with ERB tags replaced by `_` (newlines kept) for the HTML grammar."""
        buf = bytearray(self.data)
        for t in self.tags:
            buf[t.start : t.end] = re.sub(rb"[^\n]", b"_", self.data[t.start : t.end])
        return bytes(buf)

    @cached_property
    def virtual_ruby(self) -> bytes:
        buf = bytearray(re.sub(rb"[^\n]", b" ", self.data))
        for t in self.tags:
            if t.kind == "comment":
                continue
            buf[t.code_start : t.code_end] = self.data[t.code_start : t.code_end]
            if t.code_end < len(buf):
                buf[t.code_end] = 0x3B  # ';' where '%>' was
        return bytes(buf)

    @cached_property
    def ruby_tree(self) -> Tree:
        return parser("ruby").parse(self.virtual_ruby)

    @cached_property
    def html_tree(self) -> Tree:
        return parser("html").parse(self.masked)

    @cached_property
    def calls(self) -> list[Node]:
        return list(calls(self.ruby_tree.root_node))

    @cached_property
    def _tag_ends(self) -> list[int]:
        """Tag end bytes, ascending (tags are in document order and never overlap): for bisection."""
        return [t.end for t in self.tags]

    def tag_at(self, byte: int) -> ErbTag | None:
        i = bisect.bisect_right(self._tag_ends, byte)
        return self.tags[i] if i < len(self.tags) and self.tags[i].start <= byte else None

    def erb_in(self, start: int, end: int) -> list[ErbTag]:
        """Tags overlapping [start, end); by bisection, as views call this once per attribute."""
        out = []
        for t in self.tags[bisect.bisect_right(self._tag_ends, start) :]:
            if t.start >= end:
                break
            out.append(t)
        return out

    @cached_property
    def html_elements(self) -> list[Element]:
        out: list[Element] = []
        for n in walk(self.html_tree.root_node):
            if n.type not in ("start_tag", "self_closing_tag"):
                continue
            name_node = next((c for c in n.children if c.type == "tag_name"), None)
            if name_node is None:
                continue
            parent = n.parent if n.type == "start_tag" and n.parent is not None else n
            attrs: dict[str, Attr] = {}
            for a in n.children:
                if a.type != "attribute":
                    continue
                an = next((c for c in a.children if c.type == "attribute_name"), None)
                if an is None:
                    continue
                aname = node_text(self, an).lower()
                if self.erb_in(an.start_byte, an.end_byte):
                    continue  # `<div <%= attrs %>>`: computed, unknown name
                vnode = next((c for c in a.children if c.type in ("quoted_attribute_value", "attribute_value")), None)
                if vnode is None:
                    attrs[aname] = Attr(aname, "", a.start_byte, a.end_byte, a.end_byte, a.end_byte)
                    continue
                inner = next((c for c in vnode.children if c.type == "attribute_value"), None)
                vs, ve = (inner.start_byte, inner.end_byte) if inner is not None else (vnode.start_byte, vnode.end_byte)
                if vnode.type == "quoted_attribute_value" and inner is None:
                    vs = ve = vnode.start_byte + 1
                erb = self.erb_in(vs, ve)
                value = None if erb else self.slice(vs, ve)
                code = " ".join(t.code.strip() for t in erb)
                attrs[aname] = Attr(aname, value, a.start_byte, a.end_byte, vs, ve, code)
            out.append(
                Element(
                    node_text(self, name_node).lower(), "html", parent.start_byte, parent.end_byte, n.end_byte, attrs, n
                )
            )
        return out

    @cached_property
    def helper_elements(self) -> list[Element]:
        return [helper_element(self, c) for c in self.calls if c.child_by_field_name("arguments") is not None]

    @cached_property
    def elements(self) -> list[Element]:
        return self.html_elements + self.helper_elements

    @property
    def is_partial(self) -> bool:
        return self.path.rsplit("/", 1)[-1].startswith("_")

    @property
    def is_layout(self) -> bool:
        return "/layouts/" in "/" + self.path

    @property
    def is_stream(self) -> bool:
        return ".turbo_stream." in self.path.rsplit("/", 1)[-1]


Doc = RubyDoc | ErbDoc | JsDoc


def make_doc(path: str, text: str) -> Doc | None:
    kind = file_kind(path)
    if kind == "erb":
        return ErbDoc(path, text)
    if kind == "ruby":
        return RubyDoc(path, text)
    if kind == "js":
        return JsDoc(path, text)
    return None
