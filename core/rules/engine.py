"""Running the checkers: one file from the editor (`check_source`) or many from the CLI (`check_paths`).

`check_paths` parses every file of each app once, builds the app index from those trees, runs the
tree-sitter rules on the same trees, then sends all Ruby/ERB through one Ruby worker and all ERB
through one herb-lint process. `external=False` is the editor's per-keystroke path: tree-sitter only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hotwire_assist.core.parsing import MAX_BYTES, Doc, ErbDoc, JsDoc, RubyDoc, error_nodes, file_kind, make_doc
from hotwire_assist.core.rules.base import Context
from hotwire_assist.core.rules.findings import RULES, CheckResult, Finding


def _skip(path: str, message: str, rule: str = "syntax/skipped") -> Finding:
    r = RULES[rule]
    return Finding(path, 1, 1, 1, 1, r.id, r.dimension, r.severity, message)


def precheck(path: str, text: str) -> list[Finding] | None:
    """Findings that stop a check before parsing (binary, huge); None when the text can be checked."""
    if "\0" in text[:8192]:
        return [_skip(path, "binary file (NUL bytes); not checked")]
    if len(text) > MAX_BYTES:
        return [_skip(path, f"file too large ({len(text)} characters > {MAX_BYTES}); not checked")]
    return None


def encoding_findings(path: str, text: str) -> list[Finding]:
    """Invalid UTF-8 shows up as U+FFFD (decoded with 'replace') or lone surrogates (surrogateescape)."""
    m = re.search("[\ufffd\udc80-\udcff]", text)
    if not m:
        return []
    line = text.count("\n", 0, m.start()) + 1
    col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    r = RULES["syntax/encoding"]
    return [
        Finding(
            path,
            line,
            col,
            line,
            col + 1,
            r.id,
            r.dimension,
            r.severity,
            "invalid UTF-8: Ruby and Rails reject this file; re-save it as UTF-8",
        )
    ]


def internal_findings(doc: Doc, display: str, index, *, parse_errors: bool) -> list[Finding]:
    """Every tree-sitter rule for one parsed doc."""
    from hotwire_assist.core.rules.javascript import check_js
    from hotwire_assist.core.rules.ruby import check_ruby
    from hotwire_assist.core.rules.views import check_view

    ctx = Context(doc, display, index)
    if isinstance(doc, ErbDoc):
        for t in doc.tags:
            if not t.closed:
                ctx.add("syntax/erb", t.start, t.start + 3, "ERB tag is not closed with %>")
        if parse_errors and all(t.closed for t in doc.tags):
            for n in error_nodes(doc.ruby_tree)[:3]:
                ctx.add(
                    "syntax/erb",
                    n.start_byte,
                    max(n.end_byte, n.start_byte + 1),
                    "Ruby in this template does not parse (tree-sitter)",
                )
        check_view(ctx, doc)
    elif isinstance(doc, RubyDoc):
        if parse_errors:
            for n in error_nodes(doc.tree)[:3]:
                what = "missing " + n.type if n.is_missing else "unexpected code"
                ctx.add(
                    "syntax/ruby",
                    n.start_byte,
                    max(n.end_byte, n.start_byte + 1),
                    f"Ruby does not parse here: {what} (tree-sitter)",
                )
        check_ruby(ctx, doc)
    elif isinstance(doc, JsDoc):
        check_js(ctx, doc)
    return ctx.findings


def ruby_findings(doc: Doc, display: str, errors: list[tuple[int, str]], checker: str = "ruby") -> list[Finding]:
    rule = RULES["syntax/erb" if isinstance(doc, ErbDoc) else "syntax/ruby"]
    out = []
    seen = set()
    n_lines = len(doc.line_starts)
    for line, message in errors:
        line = min(max(1, line), n_lines)
        if (line, message) in seen:
            continue
        seen.add((line, message))
        start = doc.line_starts[line - 1]
        end = doc.line_starts[line] - 1 if line < n_lines else len(doc.data)
        _, end_col = doc.position(max(start, end))
        out.append(
            Finding(display, line, 1, line, end_col, rule.id, rule.dimension, rule.severity, f"{message} ({checker})")
        )
    return out


def _tree_sitter_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"tree-sitter {version('tree-sitter')}"
    except PackageNotFoundError:
        return "tree-sitter"


def _sort(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple] = set()
    out = []
    for f in sorted(findings, key=lambda f: (f.file, f.line, f.column, f.rule)):
        key = (f.file, f.line, f.rule, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return _dedupe_herb(out)


def _dedupe_herb(findings: list[Finding]) -> list[Finding]:
    """Herb codes mapped onto our rules are dropped where ours already reported that line."""
    ours = {(f.file, f.line, f.rule) for f in findings if "(herb:" not in f.message}
    return [f for f in findings if "(herb:" not in f.message or (f.file, f.line, f.rule) not in ours]


def check_source(path: str, text: str, index=None, *, external: bool = True) -> list[Finding]:
    """Check one file's text (the editor's buffer). `index` adds the cross-file rules."""
    stop = precheck(path, text)
    if stop is not None:
        return stop
    doc = make_doc(path, text)
    if doc is None:
        return []
    findings = encoding_findings(path, text)
    ran_ruby = False
    if external and isinstance(doc, (RubyDoc, ErbDoc)):
        from hotwire_assist.core.appindex import app_ruby_version

        root = index.root if index is not None and index.root is not None else None
        app_ruby = app_ruby_version(Path(root)) if root is not None else None
        got, notes = check_syntax([SyntaxItem(path, path, doc, app_ruby, str(root or ""))], {})
        ran_ruby = path in got
        findings += got.get(path, []) + notes
    findings += internal_findings(doc, path, index, parse_errors=not ran_ruby)
    if external and isinstance(doc, ErbDoc) and Path(path).is_file():
        from hotwire_assist.core.rules import herb

        cmd = herb.find_herb([Path(path)])
        if cmd:
            got = herb.run_herb(cmd, [Path(path)])
            if got:
                findings += herb.to_findings(path, next(iter(got.values()), []), text)
    return _sort(findings)


def check_texts(
    groups: Sequence[tuple[Sequence[tuple[str, str]], Sequence[tuple[str, str]]]], *, ruby: bool = True
) -> list[list[list[Finding]]]:
    """Check in-memory files, as evaluation does: each group is (files, context), both (path, text) pairs.

    Each group gets its own app index built from its context and its files, so cross-file rules see the
    whole answer; all Ruby/ERB of every group goes through the Ruby worker in one round trip (`ruby=False`:
    tree-sitter parse errors instead). Herb is not run. Returns findings per file, per group, unsorted.
    """
    from hotwire_assist.core.appindex import AppIndex

    parsed: list[list[tuple[Doc | None, list[Finding]]]] = []
    for files, _ in groups:
        row = []
        for path, text in files:
            stop = precheck(path, text)
            row.append((None, stop) if stop is not None else (make_doc(path, text), encoding_findings(path, text)))
        parsed.append(row)
    docs = [d for row in parsed for d, _ in row if d is not None]
    errors = _ruby_errors(docs) if ruby else {}
    out: list[list[list[Finding]]] = []
    for (files, context), row in zip(groups, parsed, strict=True):
        index = AppIndex()
        for path, text in context:
            if (doc := make_doc(path, text)) is not None:
                index.add_doc(doc)
        for doc, _ in row:
            if doc is not None:
                index.add_doc(doc)
        per_file = []
        for (path, _), (doc, early) in zip(files, row, strict=True):
            found = list(early)
            if doc is not None:
                errs = errors.get(id(doc))
                if errs is not None:
                    found += ruby_findings(doc, path, errs)
                found += internal_findings(doc, path, index, parse_errors=errs is None)
            per_file.append(found)
        out.append(per_file)
    return out


def _ruby_errors(docs: list[Doc]) -> dict[int, list[tuple[int, str]]]:
    """Ruby/ERB syntax errors per doc (by id), in one worker round trip; empty without Ruby."""
    from hotwire_assist.core.rules.ruby_worker import shared_worker

    items = [d for d in docs if isinstance(d, (RubyDoc, ErbDoc))]
    worker = shared_worker()
    if not items or not worker.available:
        return {}
    results = worker.check([(d.path, d.kind, d.text) for d in items])
    return {id(d): r.errors for d, r in zip(items, results, strict=True) if r is not None and r.skipped is None}


# --- many files ------------------------------------------------------------------------------------


def _static_asset_page(f: Path) -> bool:
    """A plain .html file under an assets folder (an icon font's generated preview page): a static file that no
    view renders, not a template of the app; checked only when named explicitly."""
    return f.suffix.lower() == ".html" and "assets" in f.parts


def expand_paths(paths: list[Path]) -> list[tuple[Path, bool]]:
    """Files to check as (path, explicit); directories are walked like the app index walks them."""
    from hotwire_assist.core.appindex import iter_app_files

    out: list[tuple[Path, bool]] = []
    for p in paths:
        if p.is_dir():
            out += [(f, False) for f in iter_app_files(p) if f.name != "Gemfile.lock" and not _static_asset_page(f)]
        else:
            out.append((p, True))
    seen: set[Path] = set()
    uniq = []
    for f, explicit in out:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            uniq.append((f, explicit))
    return uniq


def read_for_check(path: Path) -> tuple[str | None, list[Finding]]:
    """Decoded text or a skip/encoding finding; never raises."""
    display = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, [_skip(display, f"cannot read: {e.strerror or e}")]
    if b"\0" in data[:8192]:
        return None, [_skip(display, "binary file (NUL bytes); not checked")]
    if len(data) > MAX_BYTES:
        return None, [_skip(display, f"file too large ({len(data)} bytes > {MAX_BYTES}); not checked")]
    return data.decode("utf-8", "replace"), []


def check_paths(paths: list[Path], *, external: bool = True) -> CheckResult:
    """Check files and whole apps; cross-file rules see each file's app (found by its Gemfile/app folder)."""
    from hotwire_assist.core.appindex import AppIndex, _root_of_dir, find_app_root, index_app

    _root_of_dir.cache_clear()  # the folders may have changed since the last run
    files = expand_paths([Path(p) for p in paths])
    herb_run = _start_herb([f for f, _ in files if f.is_file() and file_kind(str(f)) == "erb"]) if external else None
    findings: list[Finding] = []
    checkers: dict[str, str] = {"tree-sitter": _tree_sitter_version()}
    docs: dict[str, Doc] = {}
    roots: dict[Path, AppIndex] = {}
    targets: list[tuple[Path, str, Doc]] = []
    for f, explicit in files:
        display = str(f)
        if not f.exists():
            findings.append(_skip(display, "no such file"))
            continue
        if file_kind(str(f)) is None:
            if explicit:
                findings.append(_skip(display, "unsupported file type; not checked"))
            continue
        text, early = read_for_check(f)
        findings += early
        if text is None:
            continue
        findings += encoding_findings(display, text)
        key = str(f.resolve())
        root = find_app_root(f)
        if root is not None and root not in roots:
            roots[root] = index_app(root, docs)
        doc = docs.get(key) or make_doc(key, text)
        if doc is None:
            continue
        docs[key] = doc
        targets.append((f, display, doc))
    root_of = {str(f.resolve()): find_app_root(f) for f, _, _ in targets}

    syntax: dict[str, list[Finding]] = {}
    if external:
        from hotwire_assist.core.appindex import app_ruby_version

        rubies = {root: app_ruby_version(root) for root in roots}
        items = []
        for f, display, doc in targets:
            key = str(f.resolve())
            root = root_of.get(key)
            items.append(SyntaxItem(key, display, doc, rubies.get(root) if root else None, str(root or "")))
        syntax, notes = check_syntax(items, checkers)
        findings += notes
    for f, display, doc in targets:
        key = str(f.resolve())
        root = root_of.get(key)
        index = roots.get(root) if root is not None else None
        ran = key in syntax
        findings += syntax.get(key, [])
        findings += internal_findings(doc, display, index, parse_errors=not ran)
    if herb_run is not None:
        findings += _collect_herb(herb_run, [(f, d, doc) for f, d, doc in targets if isinstance(doc, ErbDoc)], checkers)
    return CheckResult(_sort(findings), checkers)


@dataclass
class SyntaxItem:
    key: str
    display: str
    doc: Doc
    app_ruby: str | None = None  # the Ruby version the file's app declares
    app: str = ""  # the app's root (for the once-per-app version note)


def check_syntax(items: list[SyntaxItem], checkers: dict[str, str]) -> tuple[dict[str, list[Finding]], list[Finding]]:
    """Real Ruby/ERB syntax findings per item key (a key present means "checked": skip tree-sitter's), plus
    notes reported once per app. Prism (Node) parses each app's Ruby version; ERB as the Ruby that Rails'
    Erubi handler makes of it (Ruby worker). Without Prism, the Ruby worker compiles with the system Ruby; where
    that Ruby is older than the app's and rejects a file, one note per app says so instead of an error per file."""
    from hotwire_assist.core.rules.prism_worker import prism_version_option, shared_prism
    from hotwire_assist.core.rules.ruby_worker import clamp_errors, shared_worker, template_errors

    items = [it for it in items if isinstance(it.doc, (RubyDoc, ErbDoc))]
    if not items:
        return {}, []
    prism, ruby = shared_prism(), shared_worker()
    out: dict[str, list[Finding]] = {}
    if prism.available and prism.start():
        sources: list[tuple[SyntaxItem, str, int]] = [
            (it, it.doc.text, 0) for it in items if isinstance(it.doc, RubyDoc)
        ]
        erb = [it for it in items if isinstance(it.doc, ErbDoc)]
        if erb and ruby.available:
            made = ruby.check([(it.display, "erubi", it.doc.text) for it in erb])
            sources += [(it, r.source, 1) for it, r in zip(erb, made, strict=True) if r is not None and r.source]
            if any(r is not None and r.source for r in made):
                checkers.update(ruby.versions())
        results = prism.check([(src, prism_version_option(it.app_ruby)) for it, src, _ in sources])
        checkers["prism"] = f"{prism.version()} (each app's Ruby syntax)"
        for (it, _, offset), errs in zip(sources, results, strict=True):
            if errs is not None:
                moved = [(line - offset, msg) for line, msg in errs]
                fixed = template_errors(moved, it.doc.text) if offset else clamp_errors(moved, it.doc.text)
                out[it.key] = ruby_findings(it.doc, it.display, fixed, "prism")
        return out, []
    if not ruby.available:
        return {}, []
    results = ruby.check([(it.display, it.doc.kind, it.doc.text) for it in items])
    checkers.update(ruby.versions())
    mine = version_tuple(ruby.info.get("ruby"))
    too_old: dict[str, list[SyntaxItem]] = {}
    for it, res in zip(items, results, strict=True):
        if res is None or res.skipped is not None:
            continue
        theirs = version_tuple(it.app_ruby)
        if res.errors and mine and theirs and theirs[:2] > mine[:2]:
            too_old.setdefault(it.app, []).append(it)
            out[it.key] = []  # not judged: the checker's Ruby cannot read the app's syntax
            continue
        out[it.key] = ruby_findings(it.doc, it.display, res.errors)
    notes = []
    for app, its in too_old.items():
        r = RULES["syntax/ruby-version"]
        where = next(
            (str(Path(app) / f) for f in (".ruby-version", "Gemfile") if (Path(app) / f).is_file()), its[0].display
        )
        names = ", ".join(Path(i.display).name for i in its[:3]) + (" …" if len(its) > 3 else "")
        notes.append(
            Finding(
                where, 1, 1, 1, 1, r.id, r.dimension, r.severity,
                f"{len(its)} file(s) ({names}) do not parse with the checker's Ruby {ruby.info.get('ruby')}, but "
                f"the app targets Ruby {its[0].app_ruby}: they were not syntax-checked. Install Node and `npm ci` "
                "(@ruby/prism parses newer syntax) to check them",
            )
        )  # fmt: skip
    return out, notes


def version_tuple(v: str | None) -> tuple[int, ...] | None:
    try:
        return tuple(int(x) for x in (v or "").split(".")[:3]) or None
    except ValueError:
        return None


def _start_herb(files: list[Path]):
    from hotwire_assist.core.rules import herb

    if not files:
        return None
    cmd = herb.find_herb([files[0]])
    return (cmd, herb.HerbRun(cmd, files)) if cmd else None


def _collect_herb(run, targets: list[tuple[Path, str, Doc]], checkers: dict[str, str]) -> list[Finding]:
    from hotwire_assist.core.rules import herb

    cmd, herb_run = run
    got = herb_run.collect()
    if got is None:
        return []
    version = herb.herb_version(cmd)
    checkers["herb-lint"] = f"herb-lint {version}" if version else "herb-lint"
    out: list[Finding] = []
    for f, display, doc in targets:
        offenses = got.get(f.resolve())
        if offenses:
            out += herb.to_findings(display, offenses, doc.text)
    return out
