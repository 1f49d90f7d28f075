"""Documents split into lines the way LSP counts them.

pygls 2.1 splits with `str.splitlines`, which also ends a line at U+2028, U+0085, form feed and other
separators; LSP ends lines only at \\n, \\r\\n and \\r. A JavaScript string with U+2028 in it, or a form
feed in a Ruby file, then shifts every later position, and incremental edits corrupt the server's copy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

# Per-document work (index update, rules, suggestions, completion items, code actions) stops above this many
# characters: tree-sitter holds the GIL while it parses (three parses of a view; 256 KB took ~50 ms each on a
# loaded 2-core machine), so a bigger document would stall the event loop even from a worker thread, and the
# rules' cost grows faster than the file. Real views stay far below (bench_bigfile.py measures the lag).
MAX_DOCUMENT_CHARS = 128 * 1024


def describe_size(chars: int) -> str:
    """'2.0 MB', '256 KB': a size for a message."""
    return f"{chars / 1024 / 1024:.1f} MB" if chars >= 1024 * 1024 else f"{chars // 1024} KB"


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_NOT_LSP_LINE_ENDS = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")  # splitlines() ends lines at these too
_ODD_ENDS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def has_odd_line_ends(text: str) -> bool:
    """Whether `splitlines()` would end a line where LSP does not (one `in` scan per character: ~40 times
    faster than the regex on a 2 MB document)."""
    return any(c in text for c in _ODD_ENDS)


# Above this size an incremental edit is spliced in by offset instead of pygls's rebuild of every line (a
# Python loop over all lines: ~30 ms a keystroke on the event loop for a 2 MB file).
SPLICE_FROM_CHARS = 64 * 1024


class LspTextDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        source = self.source
        if not has_odd_line_ends(source):
            return tuple(source.splitlines(True))  # the same lines, three times faster
        return tuple(_LINE.findall(source))

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        """pygls's result, without touching every line: for big documents whose lines end only at \\n."""
        source = self.source
        r = change.range
        if len(source) < SPLICE_FROM_CHARS or "\r" in source or has_odd_line_ends(source):
            return super()._apply_incremental_change(change)
        line_count = source.count("\n") + (not source.endswith("\n"))
        if max(r.start.line, r.end.line) >= line_count or (r.end.line, r.end.character) < (
            r.start.line,
            r.start.character,
        ):
            return super()._apply_incremental_change(change)  # pygls's own rules for odd ranges
        start_line, start_line_offset = self._line_start(source, r.start.line)
        start = self._offset_in_line(source, start_line_offset, r.start.character)
        end = self._offset_in_line(source, self._line_start(source, r.end.line)[1], r.end.character)
        self._source = source[:start] + change.text + source[end:]
        self._anchor = (self._source, start_line, start_line_offset)  # the text before the edit is unchanged

    def _line_start(self, source: str, line: int) -> tuple[int, int]:
        """(line, offset of its first character), scanning from the last edit's line when it is before it:
        typing edits one place, so this is usually no scan at all."""
        known, offset = 0, 0
        anchor = getattr(self, "_anchor", None)
        if anchor is not None and anchor[0] is source and anchor[1] <= line:
            known, offset = anchor[1], anchor[2]
        for _ in range(line - known):
            offset = source.index("\n", offset) + 1
        return line, offset

    def _offset_in_line(self, source: str, line_start: int, character: int) -> int:
        """Offset of a UTF-16 column in the line starting at `line_start`, converted as pygls converts it."""
        line_end = source.find("\n", line_start)
        line = source[line_start : len(source) if line_end < 0 else line_end + 1]
        column = self._position_codec.position_from_client_units([line], types.Position(0, character))
        return line_start + column.character


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
