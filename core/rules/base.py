"""Shared plumbing for checkers: turn byte ranges of a parsed doc into findings and edits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hotwire_assist.core.parsing import SourceText
from hotwire_assist.core.rules.findings import RANK, RULES, Edit, Finding, Fix, Severity

if TYPE_CHECKING:
    from hotwire_assist.core.appindex import AppIndex


@dataclass
class Context:
    doc: SourceText
    path: str  # path as reported in findings
    index: AppIndex | None = None
    findings: list[Finding] = field(default_factory=list)

    def add(
        self, rule: str, start: int, end: int, message: str, fix: Fix | None = None, severity: Severity | None = None
    ) -> None:
        """Report a finding; `severity` may only lower the rule's catalogued one (see the contract in findings)."""
        r = RULES[rule]
        sev = r.severity if severity is None or RANK[severity] > RANK[r.severity] else severity
        line, col = self.doc.position(start)
        end_line, end_col = self.doc.position(max(end, start))
        self.findings.append(Finding(self.path, line, col, end_line, end_col, r.id, r.dimension, sev, message, fix))

    def edit(self, start: int, end: int, new_text: str) -> Edit:
        line, col = self.doc.position(start)
        end_line, end_col = self.doc.position(end)
        return Edit(line, col, end_line, end_col, new_text)

    def fix(self, description: str, *edits: tuple[int, int, str]) -> Fix:
        return Fix(description, [self.edit(s, e, t) for s, e, t in edits])

    def removal(self, start: int, end: int) -> tuple[int, int, str]:
        """Edit removing an option pair together with the comma and space that separate it."""
        data = self.doc.data
        s, e = start, end
        j = e
        while j < len(data) and data[j : j + 1] in (b" ", b"\t"):
            j += 1
        if j < len(data) and data[j : j + 1] == b",":
            e = j + 1
            while e < len(data) and data[e : e + 1] in (b" ", b"\t"):
                e += 1
            return s, e, ""
        i = s
        while i > 0 and data[i - 1 : i] in (b" ", b"\t", b"\n"):
            i -= 1
        if i > 0 and data[i - 1 : i] == b",":
            s = i - 1
        return s, e, ""
