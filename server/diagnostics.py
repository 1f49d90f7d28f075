"""Pure conversions between rules-engine findings and LSP types (the server wires them to handlers).

Findings are 1-based with character columns; LSP positions are 0-based. Columns are passed as
characters: the server negotiates or assumes UTF-16, which equals characters outside the astral
planes - good enough for source code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict

from lsprotocol import types as lsp

from hotwire_assist.core.rules import Edit, Finding, Fix

SOURCE = "hotwire-assist"
_SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    # info is a lead or style (the contract in core.rules.findings): a hint, shown faintly in the editor and
    # kept out of the problems list, so the squiggles a developer sees are the findings worth fixing
    "info": lsp.DiagnosticSeverity.Hint,
}


def _range(line: int, column: int, end_line: int, end_column: int) -> lsp.Range:
    start = lsp.Position(line=max(0, line - 1), character=max(0, column - 1))
    end = lsp.Position(line=max(0, end_line - 1), character=max(0, end_column - 1))
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return lsp.Range(start=start, end=end)


def to_diagnostics(findings: Iterable[Finding]) -> list[lsp.Diagnostic]:
    """One diagnostic per finding; `data` carries the fix so code actions need no second check."""
    out = []
    for f in findings:
        out.append(
            lsp.Diagnostic(
                range=_range(f.line, f.column, f.end_line, f.end_column),
                message=f.message,
                severity=_SEVERITY.get(f.severity, lsp.DiagnosticSeverity.Hint),
                code=f.rule,
                source=SOURCE,
                data={"fix": asdict(f.fix) if f.fix else None, "dimension": f.dimension},
            )
        )
    return out


def _fix_from_data(data: object) -> Fix | None:
    if not isinstance(data, dict) or not isinstance(data.get("fix"), dict):
        return None
    raw = data["fix"]
    try:
        edits = [Edit(**e) for e in raw.get("edits", [])]
        return Fix(str(raw.get("description", "Fix")), edits)
    except (TypeError, ValueError):
        return None


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def quick_fixes(
    uri: str, items: Sequence[lsp.Diagnostic | Finding], range: lsp.Range | None = None
) -> list[lsp.CodeAction]:
    """Quick-fix code actions for diagnostics (or findings) with a fix that touch `range` (all when None)."""
    actions = []
    for item in items:
        if isinstance(item, Finding):
            diag = to_diagnostics([item])[0]
            fix = item.fix
        else:
            diag = item
            fix = _fix_from_data(item.data)
        if fix is None or not fix.edits:
            continue
        if range is not None and not _overlaps(diag.range, range):
            continue
        edits = [
            lsp.TextEdit(range=_range(e.line, e.column, e.end_line, e.end_column), new_text=e.new_text)
            for e in fix.edits
        ]
        actions.append(
            lsp.CodeAction(
                title=f"{fix.description} ({diag.code})",
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[diag],
                edit=lsp.WorkspaceEdit(changes={uri: edits}),
                is_preferred=True,
            )
        )
    return actions
