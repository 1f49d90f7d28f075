"""Adapter for @herb-tools/linter: its HTML+ERB and accessibility rules, mapped into our scheme.

Herb's default config reports style rules as errors; here each code gets a deliberate dimension and
severity (style is `info`, accessibility `warning`, only parser errors can fail a check). Codes that
duplicate one of our rules map onto that rule so a finding is reported once. One `herb-lint` process
per batch of files (Node starts in ~1.4 s), never one per file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import IO

from hotwire_assist.core.parsing import RubyDoc
from hotwire_assist.core.rules import taint
from hotwire_assist.core.rules.findings import RULES, Finding, Rule, Severity, register_rule

# code -> (our rule id or None for herb/<code>, dimension, severity)
MAPPED: dict[str, tuple[str | None, str, Severity]] = {
    "parser-no-errors": (None, "syntax", "warning"),  # Ruby's compile is the authority on errors
    "erb-no-raw-output-in-attribute-value": (None, "security", "warning"),
    "erb-no-unsafe-js-attribute": (None, "security", "warning"),
    "erb-no-unsafe-script-interpolation": (None, "security", "warning"),
    "html-no-duplicate-ids": (None, "conventions", "warning"),
    "html-no-nested-links": (None, "conventions", "warning"),
    "html-no-duplicate-attributes": (None, "conventions", "warning"),
    "erb-no-output-control-flow": (None, "conventions", "warning"),
    "erb-no-debug-output": (None, "conventions", "warning"),
}
A11Y_PREFIXES = (
    "html-aria-",
    "html-no-aria-",
    "html-iframe-has-title",
    "html-navigation-has-label",
    "html-no-positive-tab-index",
    "html-anchor-require-href",
    "html-no-abstract-roles",
    "html-details-has-summary",
    "html-no-empty-headings",
    "html-avoid-both-disabled",
)
# Style or advice, not mistakes: a page with one <nav> needs no name; sentence case is taste.
A11Y_INFO = {
    "html-input-require-autocomplete",
    "html-no-title-attribute",
    "html-navigation-has-label",
    "html-aria-label-is-well-formatted",
    "html-anchor-require-href",  # href="#": a better element may exist, or a script fills the href
}
# Herb codes our own rules check with the app's context, so Herb's would report the same spot twice
# and without that context: img alt (aria-hidden, role=presentation), permanent ids (morph refreshes),
# html_safe/raw (where the value comes from).
COVERED = {"html-img-require-alt", "turbo-permanent-require-id", "erb-no-unsafe-raw"}
# Offenses that are Herb's limits, not the app's: Rails compiles `<% case %><% when %>` in one tag; ARIA 1.3
# attributes browsers support.
IGNORED_MESSAGES = ("ERB_CASE_WITH_CONDITIONS_ERROR", "`aria-description`", "`aria-braillelabel`")
# Parser offenses that are style or that Herb cannot judge: an omitted `</tr>`/`</li>` is valid HTML (Herb
# says so itself); markup split by Outlook's conditional comments (`<!--[if mso]><table><![endif]-->`, the
# mail idiom) looks unbalanced to a parser that reads comments as comments.
OMITTED_TAG = "OMITTED_CLOSING_TAG_ERROR"
# ERB block structure: Rails' compile (the Ruby/Prism check) is the authority; it reports a block that is
# really left open as a syntax error, and accepts Ruby spanning tags that Herb's parser cannot follow.
ERB_STRUCTURE = ("MISSING_ERB_END_TAG_ERROR", "ERB_MULTIPLE_BLOCKS_IN_TAG_ERROR", "RUBY_PARSE_ERROR")
TAG_BALANCE = ("MISSING_OPENING_TAG_ERROR", "MISSING_CLOSING_TAG_ERROR")
CONDITIONAL_COMMENT = re.compile(r"<!--\[if\b", re.I)
# Herb's "conditional element" check reads `<% if %><p>text<p>…` as an element opened in a branch; an
# element whose end tag HTML lets you omit (the next <p>, <li>, <tr>… closes it) is valid there.
CONDITIONAL_MULTIPLE = "CONDITIONAL_ELEMENT_MULTIPLE_TAGS_ERROR"
OPTIONAL_END = ("p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "rt", "rp")


def _optional_end_open(lines: list[str], first: int, last: int) -> bool:
    """Whether lines first..last (1-based) open an element with an optional end tag that they never close."""
    chunk = "\n".join(lines[max(0, first - 1) : max(first, last)])
    for name in OPTIONAL_END:
        opened = len(re.findall(rf"<{name}\b", chunk, re.I))
        if opened > len(re.findall(rf"</{name}\s*>", chunk, re.I)):
            return True
    return False


SCRIPT_TEXT = re.compile(r"(\.text\(|\.html\(|textContent|innerText|innerHTML)")


CONFIG_VALUE = re.compile(
    r"(Rails\.(configuration|application\.(config|credentials))|Credentials\b|ENV\b|[A-Z][A-Z0-9_]+\b)"
    r"[\w.:\[\]()'\", ]*"
)


def _configuration_only(line: str) -> bool:
    """Whether every `<%= … %>` on the line outputs the app's configuration (Rails.configuration, credentials,
    ENV, a CONSTANT), a boolean or number, or a literal asset's path: the deployer's value or a scalar, not user
    input."""
    exprs = re.findall(r"<%=\s*(.*?)\s*-?%>", line)
    user = re.compile(r"\b(params|request|cookies|session|current_\w+)\b|@")
    return bool(exprs) and all(
        (CONFIG_VALUE.fullmatch(e) and not user.search(e)) or SCALAR_VALUE.fullmatch(e) or ASSET_VALUE.fullmatch(e)
        for e in exprs
    )


# the path of an asset named by a literal (`asset_path "spider-sprite.webp"`), or an argument-less route helper
# (`root_path`): a path the app builds and URL-escapes, no user data
ASSET_VALUE = re.compile(
    r"""(?:asset|image|font|javascript|stylesheet|audio|video)_(?:path|url)\s*\(?\s*["'][^"'#]*["']\s*\)?"""
    r"|\w+_(?:path|url)"
)


def _no_record_data(line: str) -> bool:
    """Whether no `<%= … %>` on the line reads request data or a record's attribute (the taint contract: a
    helper's or class method's value is a lead, info); `to_json` is the escaping a script wants."""
    exprs = re.findall(r"<%=\s*(.*?)\s*-?%>", line)
    for e in exprs:
        doc = RubyDoc("expression.rb", e)
        root = doc.tree.root_node
        if root.has_error or not root.named_children:
            return False
        if taint.origin(doc, root.named_children[0], json=True) > taint.UNKNOWN:
            return False
    return bool(exprs)


# a value that prints as a boolean or a number (`user_signed_in?`, `@posts.count`, `42`): nothing to inject
SCALAR_VALUE = re.compile(r"[@\w.:]*\w\?|[@\w.:]+\.(?:to_i|to_f|count|size|length|id)|\d+(?:\.\d+)?|true|false")


def _closes_escaped_erb(lines: list[str], off: dict) -> bool:
    """A stray `%>` that ends ERB shown as code (`<code>&lt;%= f.submit %></code>`): the escaped opener before
    it makes the pair render as the intended literal text."""
    start = (off.get("location") or {}).get("start") or {}
    at, col = int(start.get("line", 0)), int(start.get("column", 0))
    if not 0 < at <= len(lines):
        return False
    before = "\n".join([*lines[max(0, at - 40) : at - 1], lines[at - 1][:col]])
    return before.rfind("&lt;%") > max(before.rfind("<%"), before.rfind("%>"))


def _filled_by_script(text: str, line: str) -> bool:
    """Whether an empty element on `line` is filled by a script in the same template: the script names it
    (`.modal-title` / `#title`) and writes text (`$(".modal-title").text(…)`, `el.textContent = …`)."""
    scripts = " ".join(re.findall(r"<script\b[^>]*>(.*?)</script>", text, re.S | re.I))
    if not scripts or not SCRIPT_TEXT.search(scripts):
        return False
    names = [f"#{m}" for m in re.findall(r'\bid=["\']([\w-]+)', line)]
    for classes in re.findall(r'\bclass=["\']([^"\']+)', line):
        names += [f".{c}" for c in classes.split()]
    return any(re.search(re.escape(n) + r"(?![\w-])", scripts) for n in names)


# Herb's time goes into its rules (~17 ms per file with all 85, ~6 ms with these), so it runs the ones
# that carry meaning here: a11y, security, parser and correctness. Its style rules would only be `info`.
HERB_RULES = (
    *MAPPED,
    "html-aria-attribute-must-be-valid", "html-aria-label-is-well-formatted", "html-aria-level-must-be-valid",
    "html-aria-role-heading-requires-level", "html-aria-role-must-be-valid", "html-no-aria-hidden-on-body",
    "html-no-aria-hidden-on-focusable", "html-iframe-has-title", "html-navigation-has-label",
    "html-no-positive-tab-index", "html-anchor-require-href", "html-no-abstract-roles", "html-details-has-summary",
    "html-no-empty-headings", "html-avoid-both-disabled-and-aria-disabled",
)  # fmt: skip
CHUNK = 400


def herb_rule(code: str) -> Rule:
    """Our rule for a Herb code (registered in RULES on first sight)."""
    mapped = MAPPED.get(code)
    if mapped and mapped[0]:
        return RULES[mapped[0]]
    if mapped:
        dim, sev = mapped[1], mapped[2]
    elif code in A11Y_INFO:
        dim, sev = "accessibility", "info"
    elif code.startswith(A11Y_PREFIXES):
        dim, sev = "accessibility", "warning"
    else:
        dim, sev = "conventions", "info"  # style: never an error
    return register_rule(Rule(f"herb/{code}", dim, sev, f"Herb linter rule {code}"))


def find_herb(search_from: list[Path] | None = None) -> list[str] | None:
    """Command to run herb-lint: $HOTWIRE_ASSIST_HERB, a node_modules/.bin above the files or cwd, or PATH."""
    env = os.environ.get("HOTWIRE_ASSIST_HERB")
    if env:
        return [env]
    if shutil.which("node") is None:
        return None
    starts = [p.resolve() for p in (search_from or [])] + [Path.cwd()]
    seen: set[Path] = set()
    for s in starts:
        for d in [s, *s.parents]:
            if d in seen:
                continue
            seen.add(d)
            cand = d / "node_modules" / ".bin" / "herb-lint"
            if cand.exists():
                return [str(cand)]
    found = shutil.which("herb-lint")
    return [found] if found else None


@lru_cache(maxsize=8)
def _herb_version(cmd: tuple[str, ...]) -> str | None:
    try:
        out = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        if "@herb-tools/linter@" in line:
            return line.strip().split("@")[-1]
    return out.strip().splitlines()[0] if out.strip() else None


def herb_version(cmd: list[str]) -> str | None:
    return _herb_version(tuple(cmd))


class HerbRun:
    """herb-lint running in the background (started first, collected last, so Python works meanwhile)."""

    def __init__(self, cmd: list[str], files: list[Path]):
        self.files = [f.resolve() for f in files]
        self.procs: list[tuple[list[Path], subprocess.Popen[bytes], IO[str]]] = []
        for i in range(0, len(self.files), CHUNK):
            chunk = self.files[i : i + CHUNK]
            args = [*cmd, *map(str, chunk), "--format", "json", "--no-color", "--no-timing", "-j", "1"]
            args += ["--only", ",".join(r for r in HERB_RULES if r not in COVERED)]
            # stdout goes to a file: Node exits before a pipe's unread output past 64 KiB is flushed,
            # so a busy reader (the Ruby worker runs meanwhile) got truncated, unparseable JSON.
            out = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in collect)
            try:
                proc = subprocess.Popen(
                    args,
                    stdout=out,
                    stderr=subprocess.DEVNULL,
                    stdin=subprocess.DEVNULL,
                    cwd=str(chunk[0].parent),
                )
            except OSError:
                out.close()
                continue
            self.procs.append((chunk, proc, out))

    def collect(self, timeout: float = 300) -> dict[Path, list[dict]] | None:
        """Offenses per absolute path, or None when no herb process produced JSON."""
        out: dict[Path, list[dict]] = {}
        ok = False
        for chunk, proc, file in self.procs:
            try:
                proc.wait(timeout=timeout)
                file.seek(0)
                data = json.loads(file.read())
            except (subprocess.TimeoutExpired, ValueError, OSError):
                proc.kill()
                continue
            finally:
                file.close()
            ok = True
            for off in data.get("offenses", []):
                target = _match(off.get("filename", ""), chunk)
                if target is not None:
                    out.setdefault(target, []).append(off)
        return out if ok else None


def run_herb(cmd: list[str], files: list[Path]) -> dict[Path, list[dict]] | None:
    """Offenses per file (absolute path), or None when herb could not run."""
    return HerbRun(cmd, files).collect()


def _match(filename: str, files: list[Path]) -> Path | None:
    """Herb prints paths relative to the project it detects; match by suffix."""
    fn = filename.replace("\\", "/")
    p = Path(fn)
    if p.is_absolute():
        return p if p in files else None
    best = [f for f in files if str(f).replace("\\", "/").endswith("/" + fn)]
    return best[0] if len(best) == 1 else (min(best, key=lambda f: len(str(f))) if best else None)


def _inert_script_lines(text: str) -> list[tuple[int, int]]:
    """Line ranges of `<script type="text/template">`-like blocks: HTML templates, escaped as HTML correctly."""
    out = []
    for m in re.finditer(r"<script\b[^>]*\btype=[\"']([^\"']+)[\"'][^>]*>(.*?)</script>", text, re.S | re.I):
        kind = m.group(1).lower()
        if "javascript" in kind or kind in ("module", "importmap", "application/json", "application/ld+json"):
            continue
        first = text.count("\n", 0, m.start()) + 1
        out.append((first, first + m.group(0).count("\n")))
    return out


def to_findings(display: str, offenses: list[dict], text: str) -> list[Finding]:
    """Convert Herb offenses (lines 1-based, columns 0-based) into findings with 1-based columns."""
    lines = text.split("\n")
    out: list[Finding] = []
    inert = (
        _inert_script_lines(text)
        if any(o.get("code") == "erb-no-unsafe-script-interpolation" for o in offenses)
        else []
    )
    conditional = bool(CONDITIONAL_COMMENT.search(text))
    for off in offenses:
        code = str(off.get("code", ""))
        message = str(off.get("message", ""))
        if code in COVERED or any(m in message for m in IGNORED_MESSAGES):
            continue
        lead = OMITTED_TAG in message or (conditional and any(m in message for m in TAG_BALANCE))
        lead = lead or any(m in message for m in ERB_STRUCTURE)
        if CONDITIONAL_MULTIPLE in message:
            at = int(((off.get("location") or {}).get("start") or {}).get("line", 0))
            m = re.search(r"detected at \((\d+):", message)
            lead = lead or _optional_end_open(lines, at, int(m.group(1)) if m else at)
        if "STRAY_ERB_CLOSING_TAG_ERROR" in message:
            lead = lead or _closes_escaped_erb(lines, off)
        # `<%# <%= link_to … %>`: a commented-out ERB line; Erubi ends the comment at the first `%>`, so it
        # compiles and renders nothing (valid ERB that Herb's parser refuses)
        lead = lead or bool(re.search(r"ERB tag `<%#` at \(\d+:\d+\) was terminated by nested `<%", message))
        if code == "html-no-empty-headings":
            at = int(((off.get("location") or {}).get("start") or {}).get("line", 0))
            lead = 0 < at <= len(lines) and _filled_by_script(text, lines[at - 1])
            # an empty heading with an id is a slot a script fills at run time (a shared popover's title)
            lead = lead or (0 < at <= len(lines) and bool(re.search(r"<h[1-6]\b[^>]*\bid=", lines[at - 1])))
            # a Stimulus target (`<h4 data-map-target="infoTitle">`): its controller fills it before showing it
            lead = lead or (
                0 < at <= len(lines) and bool(re.search(r"<h[1-6]\b[^>]*\bdata-[\w-]+-target=", lines[at - 1]))
            )
        if code == "erb-no-unsafe-js-attribute":
            at = int(((off.get("location") or {}).get("start") or {}).get("line", 0))
            # `onclick="dialog_<%= user.id %>.showModal()"`: every value on the line is a number or boolean
            exprs = re.findall(r"<%=\s*(.*?)\s*-?%>", lines[at - 1]) if 0 < at <= len(lines) else []
            lead = bool(exprs) and all(SCALAR_VALUE.fullmatch(e) for e in exprs)
        if code == "erb-no-unsafe-script-interpolation":
            at = int(((off.get("location") or {}).get("start") or {}).get("line", 0))
            lead = 0 < at <= len(lines) and (_configuration_only(lines[at - 1]) or _no_record_data(lines[at - 1]))
        if code == "erb-no-unsafe-script-interpolation":
            at = int(((off.get("location") or {}).get("start") or {}).get("line", 0))
            if any(a <= at <= b for a, b in inert):
                continue
        rule = herb_rule(str(off.get("code", "unknown")))
        loc = off.get("location") or {}
        start, end = loc.get("start") or {}, loc.get("end") or loc.get("start") or {}
        line = max(1, int(start.get("line", 1)))
        col = max(0, int(start.get("column", 0)))
        end_line = max(line, int(end.get("line", line)))
        end_col = max(0, int(end.get("column", col)))
        if line == end_line and end_col < col:
            end_col = col
        line = min(line, max(1, len(lines)))
        out.append(
            Finding(
                display,
                line,
                col + 1,
                end_line,
                end_col + 1,
                rule.id,
                rule.dimension,
                "info" if lead else rule.severity,
                f"{off.get('message', '')} (herb: {off.get('code')})",
            )
        )
    return out
