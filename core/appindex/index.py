"""The index of one app: every file's facts, queried across files; kept live by `update_file`."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from hotwire_assist.core.appindex.facts import VIA, FileFacts, IdDef, StimulusController, extract_facts
from hotwire_assist.core.appindex.gemfile import parse_gemfile_lock
from hotwire_assist.core.appindex.names import partial_name, view_name
from hotwire_assist.core.parsing import MAX_BYTES, Doc, file_kind, make_doc

SKIP_DIRS = {"node_modules", ".git", "tmp", "log", "vendor", "coverage", "storage", "public", ".venv", "dist", "build"}
# Checked when asked, never indexed: migrations, schema and seeds hold no view, route or controller fact
# (hcb's 1,070 migrations were a third of its index time).
UNINDEXED_DIRS = {"db"}


def iter_app_files(root: Path) -> list[Path]:
    """Files of an app worth indexing or checking, skipping dependencies, generated output and whatever
    the privacy gate excludes (never-capture list, .gitignore, the user's `[privacy] exclude`)."""
    from hotwire_assist.core.privacy import is_excluded, workspace_globs

    globs = workspace_globs(root)
    out: list[Path] = []
    stack = [root]
    walked: set[tuple[int, int]] = set()  # (device, inode): a symlink loop or a second link is walked once
    while stack:
        d = stack.pop()
        try:
            st = d.stat()
            if (st.st_dev, st.st_ino) in walked:
                continue
            walked.add((st.st_dev, st.st_ino))
            entries = sorted(d.iterdir())
        except OSError:
            continue
        for e in entries:
            if e.is_dir():
                if e.name not in SKIP_DIRS and not e.name.startswith("."):
                    stack.append(e)
            elif (e.name == "Gemfile.lock" or indexable(e)) and not is_excluded(e, root, globs):
                out.append(e)
    return sorted(out)


def indexable(p: Path) -> bool:
    """Whether the index (and the checker) reads this file."""
    return file_kind(str(p)) is not None


def read_text(path: Path) -> str | None:
    """Decoded text, or None for unreadable, binary or oversized files (the checker reports those)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) > MAX_BYTES or b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")


def _template_has_label(rendered: str, labelled: list[str]) -> bool:
    """Whether the component (`ui/forms/field` -> …/ui/forms/field/component.html.erb or field_component) or
    partial (`shared/field` -> …/shared/_field.html.erb) a builder method renders is one of `labelled`."""
    folder, _, base = rendered.rpartition("/")
    tails = (f"/{rendered}/component.html.erb", f"/{rendered}_component.html.erb", f"/{rendered}.html.erb",
             f"/{folder}/_{base}.html.erb" if folder else f"/_{base}.html.erb")  # fmt: skip
    return any(p.endswith(tails) for p in labelled)


T = TypeVar("T")


def _per_generation(query):
    """A property over all files, computed once per index generation (every change clears it): the checker
    and the completion engine ask the same queries once per file and per keystroke."""
    key = "@" + query.__name__
    return property(functools.wraps(query)(lambda self: self.derived(key, lambda: query(self))))


class AppIndex:
    """Cross-file facts of one app; `update_file` keeps it live as the editor changes files."""

    def __init__(self, root: Path | None = None):
        self.root = root
        self.files: dict[str, FileFacts] = {}
        self.versions: dict[str, str] = {}
        self._cache: dict[str, list] = {}
        self._rel: dict[str, str] = {}  # path -> relative: resolving costs syscalls, asked per file per request
        self.generation = 0  # bumped on every change: caches of derived facts key on it

    # building
    def add_doc(self, doc: Doc) -> None:
        self.files[doc.path] = extract_facts(doc)
        self._changed()

    def _changed(self) -> None:
        self._cache.clear()
        self.generation += 1

    def derived(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()`, kept until the index next changes: for facts other modules derive from the whole
        index (route names, controllers' inherited targets) and ask once per file or per keystroke."""
        if key not in self._cache:
            self._cache[key] = [compute()]
        return self._cache[key][0]

    def update_file(self, path: str | Path, text: str | None = None) -> None:
        """Re-index one file (from `text` when given, else from disk); removes it when it is gone."""
        p = Path(path)
        key = str(p)
        if p.name == "Gemfile.lock":
            t = text if text is not None else read_text(p)
            self.versions = parse_gemfile_lock(t or "")
            return
        if text is None:
            text = read_text(p)
        doc = make_doc(key, text) if text is not None else None
        if doc is None:
            self.files.pop(key, None)
            self._changed()
        else:
            self.add_doc(doc)

    # queries
    def _all(self, attr: str) -> list:
        """All files' facts of one kind, cached until the next add/update."""
        if attr not in self._cache:
            self._cache[attr] = [x for f in self.files.values() for x in getattr(f, attr)]
        return self._cache[attr]

    @_per_generation
    def stimulus_controllers(self) -> dict[str, StimulusController]:
        return {f.stimulus.identifier: f.stimulus for f in self.files.values() if f.stimulus is not None}

    @_per_generation
    def known_controller_ids(self) -> set[str]:
        return set(self.stimulus_controllers) | set(self._all("registered_controllers"))

    @property
    def frames(self) -> list[IdDef]:
        return self._all("frames")

    @property
    def ids(self) -> list[IdDef]:
        return self._all("ids")

    @property
    def frame_refs(self) -> list[IdDef]:
        return self._all("frame_refs")

    @property
    def stream_targets(self) -> list[IdDef]:
        return self._all("stream_targets")

    @_per_generation
    def stream_builder_methods(self) -> set[str]:
        """`turbo_stream.<name>` methods the app's own code adds to Turbo's stream builder."""
        return set(self._all("stream_builder_methods"))

    @_per_generation
    def extends_stream_builder(self) -> bool:
        """Whether the app's code or a gem (turbo_power) adds methods to Turbo's stream builder."""
        return "turbo_power" in self.versions or any(f.extends_stream_builder for f in self.files.values())

    @_per_generation
    def custom_stream_actions(self) -> set[str]:
        return set(self._all("custom_stream_actions"))

    @_per_generation
    def views(self) -> list[str]:
        return [p for p, f in self.files.items() if f.kind == "erb"]

    @_per_generation
    def partials(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for p in self.views:
            v = view_name(p)
            pn = partial_name(v) if v else None
            if pn:
                out[pn] = p
        return out

    def renderers_of(self, partial: str) -> list[str]:
        """Files that render a partial (`todos/todo`), by name or as a record/collection."""
        base = partial.rpartition("/")[2]
        return [f.path for f in self.files.values() for r in f.renders if r == partial or (r == f"*/{base}")]

    def rendered_once(self, partial: str) -> bool:
        """Whether every known render of a partial renders it once (a page, not a collection or a loop):
        False when nobody known renders it, or a render may be per record (`render @posts`, `collection:`)."""
        base = partial.rpartition("/")[2]
        sites = 0
        for f in self.files.values():
            for r in f.per_item_renders:
                if r in (partial, f"*/{base}"):
                    return False
            sites += partial in f.renders
        return sites > 0

    def rendered_anywhere(self, partial: str) -> bool:
        """Whether any known view, helper or component renders a partial (once or per record)."""
        base = partial.rpartition("/")[2]
        return any(
            partial in f.renders or any(r in (partial, f"*/{base}") for r in f.per_item_renders)
            for f in self.files.values()
        )

    def declares_controller(self, identifier: str, files: list[str] | None = None) -> bool:
        """Whether any of `files` (default: all) declares the controller, itself or through a helper it calls."""
        facts = self.files.values() if files is None else [self.files[f] for f in files if f in self.files]
        emitting = self.helpers_emitting(identifier)
        return any(
            identifier in f.data_controllers
            or emitting.intersection(f.helpers_called)
            or any(self.component_declares(c, identifier) for c in f.components)
            for f in facts
        )

    def component_template(self, component: str) -> str | None:
        """The template of a view component class (`DS::Dialog` -> app/components/DS/dialog.html.erb)."""
        base = re.sub(r"(?<!^)(?<!:)(?=[A-Z][a-z])", "_", component).replace("::", "/").lower()
        for want in (f"/app/components/{base}.html.erb", f"/app/components/{base}_component.html.erb"):
            hit = next((p for p in self.views if p.replace("\\", "/").lower().endswith(want)), None)
            if hit:
                return hit
        return None

    def component_declares(self, component: str, identifier: str) -> bool:
        path = self.component_template(component)
        return path is not None and identifier in self.files[path].data_controllers

    @_per_generation
    def helper_controllers(self) -> dict[str, set[str]]:
        """Helper method -> Stimulus identifiers its markup declares, through the helpers it calls too."""
        direct: dict[str, set[str]] = {}
        calls: dict[str, set[str]] = {}
        for f in self.files.values():
            for name, ids in f.helper_controllers.items():
                direct.setdefault(name, set()).update(ids)
            for name, called in f.helper_calls.items():
                calls.setdefault(name, set()).update(called)
        out = {k: set(v) for k, v in direct.items()}
        for _ in range(3):  # helpers calling helpers: a few levels are plenty
            for name, called in calls.items():
                got = set().union(*(out.get(c, set()) for c in called)) if called else set()
                if got - out.get(name, set()):
                    out.setdefault(name, set()).update(got)
        return out

    @_per_generation
    def string_rendered_views(self) -> set[str]:
        """View files a controller renders into a string (`render_to_string(template: "a/b")`)."""
        names = {n for f in self.files.values() for n in f.string_renders}
        wanted = names | {f"{a}/_{b}" for a, _, b in (n.rpartition("/") for n in names)}
        return {p for p in self.views if view_name(p) in wanted}

    def helpers_emitting(self, identifier: str) -> set[str]:
        return {name for name, ids in self.helper_controllers.items() if identifier in ids}

    @_per_generation
    def form_builders(self) -> dict[str, set[str]]:
        """The app's FormBuilder subclasses and their field methods that render their own <label>."""
        out: dict[str, set[str]] = {}
        labelled = [p.replace("\\", "/").lower() for p, f in self.files.items() if f.has_label]
        for f in self.files.values():
            for name, methods in f.form_builders.items():
                got = out.setdefault(name, set())
                for m in methods:
                    if not m.startswith(VIA):
                        got.add(m)
                        continue
                    method, _, rendered = m[len(VIA) :].partition(":")
                    if _template_has_label(rendered.lower(), labelled):
                        got.add(method)  # it renders a component or partial whose template holds a <label>
        return out

    @_per_generation
    def default_form_builders(self) -> dict[str, str]:
        """Controller (`admin/users`, `application` for ApplicationController) -> the builder class its
        `default_form_builder` names, for the forms of its views."""
        out: dict[str, str] = {}
        for c in self.controllers:
            if c.get("form_builder"):
                key = re.sub(r"(?<!^)(?=[A-Z])", "_", str(c["name"]).removesuffix("Controller").replace("::", "/"))
                out[key.lower().replace("/_", "/")] = c["form_builder"]
        return out

    @_per_generation
    def builder_helpers(self) -> dict[str, str]:
        """Helpers that open a form with one of the app's builders (`solidus_form_for` -> its builder class)."""
        return {h: b for f in self.files.values() for h, b in f.builder_helpers.items()}

    def collection_locals(self, partial: str) -> set[str]:
        """The `as:` names a partial is rendered under, one record per row (`render partial:, collection:, as:`)."""
        return {name for f in self.files.values() for p, name in f.collection_locals if p == partial}

    @_per_generation
    def uses_ujs(self) -> bool:
        """Whether the app still loads rails-ujs (its data-method/confirm/disable-with keep working)."""
        return any(f.loads_ujs for f in self.files.values())

    @_per_generation
    def turbo_forms_off(self) -> bool:
        """Whether a script turns Turbo Drive, or its form handling, off for the whole app."""
        return any(f.turbo_forms_off for f in self.files.values())

    @_per_generation
    def written_words(self) -> set[str] | None:
        """Names request data can write (params keys, permitted attributes, form fields); None when the index
        holds no request-handling code to read them from."""
        has_code = any("/app/controllers/" in "/" + p.replace("\\", "/") for p in self.files)
        return set(self._all("written_words")) if has_code else None

    @_per_generation
    def model_methods(self) -> set[str]:
        """Methods the app's models define (computed values, not stored columns)."""
        return {m for f in self.files.values() if f.model for m in f.model.get("methods", [])}

    @_per_generation
    def handles_frame_missing(self) -> bool:
        """Whether a script or template listens for turbo:frame-missing (and so recovers from a response
        without the requested frame, usually by visiting it as a page)."""
        return any(f.frame_missing_handler for f in self.files.values())

    @_per_generation
    def reads_data_action(self) -> bool:
        """Whether a script reads elements' data-action attribute itself (a toolbar's `dataset.action`)."""
        return any(f.reads_data_action for f in self.files.values())

    @_per_generation
    def selector_attributes(self) -> set[str]:
        """Data attributes scripts find elements by (`querySelector('[data-delete-target]')`)."""
        return set(self._all("selector_attributes"))

    @_per_generation
    def registers_late(self) -> bool:
        """Whether a script registers controllers under names it reads at run time from window (plugins'
        controllers: `window.App.config.controllers.forEach(([name, c]) => application.register(name, …))`), so
        identifiers this index never sees may be registered."""
        return any(f.registers_late for f in self.files.values())

    @_per_generation
    def uses_morph(self) -> bool:
        """Whether the app's pages ask for morph refreshes (turbo_refreshes_with method: :morph)."""
        return any(f.morph for f in self.files.values())

    @property
    def routes(self) -> list[dict]:
        return self._all("routes")

    @_per_generation
    def models(self) -> list[dict]:
        return [f.model for f in self.files.values() if f.model]

    @_per_generation
    def controllers(self) -> list[dict]:
        return [f.controller for f in self.files.values() if f.controller]

    def to_json(self) -> dict:
        """Stable JSON for `hotwire-assist index --format json`."""
        rel = self.rel
        return {
            "root": str(self.root) if self.root else None,
            "versions": self.versions,
            "stimulus_controllers": [
                {**asdict(c), "path": rel(c.path)}
                for c in sorted(self.stimulus_controllers.values(), key=lambda c: c.identifier)
            ],
            "frames": [{**asdict(d), "file": rel(d.file)} for d in self.frames],
            "stream_targets": [{**asdict(d), "file": rel(d.file)} for d in self.stream_targets],
            "ids": [{**asdict(d), "file": rel(d.file)} for d in self.ids if d.kind == "id"],
            "partials": {k: rel(v) for k, v in sorted(self.partials.items())},
            "models": [{**m, "path": rel(m["path"])} for m in self.models],
            "controllers": [{**c, "path": rel(c["path"])} for c in self.controllers],
            "routes": self.routes,
            "custom_stream_actions": sorted(self.custom_stream_actions),
        }

    def rel(self, path: str) -> str:
        """A path relative to the app root (as shown to users and in JSON)."""
        if self.root is None:
            return path
        if path not in self._rel:
            try:
                self._rel[path] = str(Path(path).resolve().relative_to(self.root.resolve()))
            except ValueError:
                self._rel[path] = path
        return self._rel[path]

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)


def find_app_root(path: Path) -> Path | None:
    """The nearest folder holding `Gemfile` or `app/` (the app a file belongs to)."""
    p = path.resolve()
    return _root_of_dir(str(p if p.is_dir() else p.parent))


@lru_cache(maxsize=1024)
def _root_of_dir(folder: str) -> Path | None:
    d = Path(folder)
    if (d / "Gemfile").is_file() or (d / "config" / "routes.rb").is_file():
        return d
    # a folder holding `app/` is a root, except inside an app's own tree: `app/views/app/` holds the views of an
    # `App::` namespace, and `app/views` is not an app
    if (d / "app").is_dir() and "app" not in d.parts[:-1]:
        return d
    return None if d.parent == d else _root_of_dir(str(d.parent))


def index_app(root: Path, docs: dict[str, Doc] | None = None) -> AppIndex:
    """Index every file of an app. `docs` (path -> parsed doc) is filled and reused so each file parses once."""
    root = Path(root)
    index = AppIndex(root)
    for path in iter_app_files(root):
        if path.relative_to(root).parts[0] in UNINDEXED_DIRS:
            continue
        key = str(path)
        if path.name == "Gemfile.lock":
            index.versions = parse_gemfile_lock(read_text(path) or "")
            continue
        doc = docs.get(key) if docs is not None else None
        if doc is None:
            text = read_text(path)
            doc = make_doc(key, text) if text is not None else None
            if doc is not None and docs is not None:
                docs[key] = doc
        if doc is not None:
            index.add_doc(doc)
    return index
