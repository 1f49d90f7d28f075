"""Documents split into lines the way LSP counts them.

pygls 2.1 splits with `str.splitlines`, which also ends a line at U+2028, U+0085, form feed and other
separators; LSP ends lines only at \\n, \\r\\n and \\r. A JavaScript string with U+2028 in it, or a form
feed in a Ruby file, then shifts every later position, and incremental edits corrupt the server's copy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pygls.workspace import TextDocument, Workspace

# Per-document work (index update, rules, suggestions, completion items, code actions) stops above this many
# characters: tree-sitter holds the GIL while it parses (~80 ns a byte) and some facts grow faster than the
# file, so a bigger document would stall the event loop even from a worker thread. Real views stay far below.
MAX_DOCUMENT_CHARS = 256 * 1024


def describe_size(chars: int) -> str:
    """'2.0 MB', '256 KB': a size for a message."""
    return f"{chars / 1024 / 1024:.1f} MB" if chars >= 1024 * 1024 else f"{chars // 1024} KB"


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_NOT_LSP_LINE_ENDS = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")  # splitlines() ends lines at these too


class LspTextDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        source = self.source
        if _NOT_LSP_LINE_ENDS.search(source) is None:
            return tuple(source.splitlines(True))  # the same lines, three times faster
        return tuple(_LINE.findall(source))


class LspWorkspace(Workspace):
    def _create_text_document(
        self, doc_uri: str, source: str | None = None, version: int | None = None, language_id: str | None = None
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )


def use_lsp_lines(workspace: Workspace) -> None:
    """Make the workspace pygls just created at `initialize` (nothing open yet) create LSP-line documents."""
    if type(workspace) is Workspace:
        workspace.__class__ = LspWorkspace
