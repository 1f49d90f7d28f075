"""Value types of the rules engine: findings, fixes and the rule catalogue.

Everything here is plain data so the server, evaluation and dataset filtering can share findings
without importing the checkers. Positions are 1-based lines and 1-based *character* columns (what
compilers print and people type), end-exclusive.

The severity contract every rule is held to (a finding says what it is sure of, never more):
- error: Turbo or Stimulus will misbehave (a stream that cannot apply, a frame that shows "Content
  missing", a descriptor Stimulus cannot parse, Ruby that does not compile), or a real vulnerability fed
  by untrusted input (request params, cookies, the request itself);
- warning: very likely a mistake (a target no controller declares, model data marked html_safe, a
  Rails-UJS attribute Turbo ignores, a control with no accessible name);
- info: style, or a lead worth a look, including every case where the checker cannot resolve what it
  would need to be sure (a partial whose renderers it cannot see, a value whose origin it cannot trace).
A rule's catalogued severity is the most it reports; a finding may report less (`Context.add(severity=)`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]
RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}
DIMENSIONS: tuple[str, ...] = ("syntax", "conventions", "efficiency", "security", "accessibility")


@dataclass(frozen=True)
class Edit:
    """Replace [line:column, end_line:end_column) with new_text (1-based, end exclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int
    new_text: str


@dataclass(frozen=True)
class Fix:
    description: str
    edits: list[Edit] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    rule: str
    dimension: str
    severity: Severity
    message: str
    fix: Fix | None = None

    def to_json(self) -> dict:
        """The stable `check --format json` object (scripts rely on these keys)."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "rule": self.rule,
            "dimension": self.dimension,
            "severity": self.severity,
            "message": self.message,
            "fix": asdict(self.fix) if self.fix else None,
        }


@dataclass(frozen=True)
class Rule:
    id: str
    dimension: str
    severity: Severity
    summary: str
    fixable: bool = False


@dataclass
class CheckResult:
    findings: list[Finding]
    checkers: dict[str, str]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def _r(id: str, dimension: str, severity: Severity, summary: str, fixable: bool = False) -> Rule:
    return Rule(id, dimension, severity, summary, fixable)


# The one catalogue of rule ids. Herb's rules are added as `herb/<code>` at run time (see herb.py).
RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        # syntax
        _r("syntax/ruby", "syntax", "error", "Ruby that does not parse"),
        _r("syntax/erb", "syntax", "error", "ERB that Rails cannot compile (unterminated tags, broken Ruby)"),
        _r("syntax/encoding", "syntax", "error", "file is not valid UTF-8"),
        _r("syntax/skipped", "syntax", "info", "file not checked (binary, too large or unsupported)"),
        _r("syntax/ruby-version", "syntax", "info", "files the checker's Ruby is too old to parse (reported once)"),
        _r("turbo/unknown-stream-action", "syntax", "error", "turbo stream action Turbo does not know"),
        _r("turbo/stream-missing-target", "syntax", "error", "<turbo-stream> without target or targets"),
        _r("turbo/stream-missing-template", "syntax", "error", "<turbo-stream> action needs a <template>"),
        _r("turbo/frame-missing-id", "syntax", "error", "turbo frame with no or an empty id"),
        _r(
            "turbo/frame-missing-in-response",
            "syntax",
            "error",
            "frame whose src/links load a page that has no frame with its id (Content missing)",
        ),
        _r("stimulus/malformed-action", "syntax", "error", "data-action descriptor Stimulus cannot parse"),
        _r(
            "stimulus/malformed-target", "syntax", "error", "Stimulus target attribute in a form Stimulus ignores", True
        ),
        _r("stimulus/malformed-value", "syntax", "error", "Stimulus value that does not parse as its type"),
        _r("stimulus/malformed-outlet", "syntax", "error", "Stimulus outlet without a usable CSS selector"),
        # conventions
        _r(
            "turbo/frame-no-requester",
            "conventions",
            "info",
            "frame in a response-like page whose id no requesting page has (a lead: Content missing if requested)",
        ),
        _r("turbo/unknown-stream-target", "conventions", "warning", "stream target that no view defines"),
        _r(
            "rails/turbo-stream-no-html",
            "conventions",
            "warning",
            "turbo_stream response (respond_to or render turbo_stream:) without an HTML fallback",
        ),
        _r("ujs/method-delete", "conventions", "warning", "Rails-UJS `method:` on a link; Turbo ignores it", True),
        _r("ujs/remote", "conventions", "warning", "Rails-UJS `remote: true`; Turbo ignores it", True),
        _r("ujs/data-confirm", "conventions", "warning", "Rails-UJS `data-confirm`; Turbo ignores it", True),
        _r("ujs/disable-with", "conventions", "warning", "Rails-UJS `data-disable-with`; Turbo ignores it", True),
        _r("turbo/form-local", "conventions", "warning", "`local: true` on form_with does not opt out of Turbo", True),
        _r("turbo/permanent-without-id", "conventions", "warning", "data-turbo-permanent without an id"),
        _r(
            "stimulus/outside-controller",
            "conventions",
            "warning",
            "target/action whose controller no ancestor declares",
        ),
        _r("stimulus/unknown-controller", "conventions", "warning", "data-controller naming no controller in the app"),
        _r("stimulus/unknown-target", "conventions", "warning", "target the controller does not declare"),
        _r("stimulus/unknown-method", "conventions", "warning", "action method the controller does not define"),
        _r(
            "stimulus/spa-fetch-html",
            "conventions",
            "warning",
            "controller fetches data and rebuilds server-rendered markup (innerHTML, element building)",
        ),
        # efficiency
        _r("turbo/sync-broadcast", "efficiency", "warning", "synchronous broadcast in a model callback", True),
        _r("perf/partial-query", "efficiency", "warning", "per-item query in a partial rendered per record"),
        _r("turbo/eager-frame", "efficiency", "info", "frame with src loads eagerly; `loading: :lazy` fits", True),
        # security
        _r("security/raw", "security", "error", "`raw` on request data (error) or model data (warning)"),
        _r("security/html-safe", "security", "error", "`html_safe` on request data (error) or model data (warning)"),
        _r("security/erb-raw-output", "security", "error", "`<%==` on request data (error) or model data (warning)"),
        _r("security/permit-bang", "security", "error", "`permit!` on request params permits every attribute"),
        _r("security/mass-assignment", "security", "error", "unpermitted request params passed to a model"),
        _r("security/csrf-skip", "security", "error", "CSRF protection skipped for mutating session actions"),
        _r("security/stream-content", "security", "error", "turbo_stream content string interpolating request data"),
        _r("security/form-token", "security", "error", "hand-built POST form without an authenticity token", True),
        _r("security/stream-name", "security", "error", "`turbo_stream_from` with a user-controlled name"),
        # accessibility
        _r("a11y/input-label", "accessibility", "warning", "form control without a label"),
        _r("a11y/img-alt", "accessibility", "warning", "image without alt text", True),
        _r("a11y/click-handler", "accessibility", "warning", "clickable non-interactive element without role/keyboard"),
        _r(
            "a11y/live-region", "accessibility", "warning", "stream-updated notification region without aria-live", True
        ),
    ]
}


def register_rule(rule: Rule) -> Rule:
    """Adds a rule discovered at run time (Herb's) so ids stay one catalogue."""
    return RULES.setdefault(rule.id, rule)
