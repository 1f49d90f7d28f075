"""Rails naming conventions: which app a file belongs to, view and partial names, plurals, Stimulus ids."""

from __future__ import annotations

import re
from pathlib import Path

RAILS_APP_DIRS = frozenset(
    {"views", "controllers", "models", "javascript", "helpers", "components", "jobs", "channels"}
)


def rails_app_root(path: Path) -> Path | None:
    """The app a file belongs to: the folder holding the `app/` whose next folder is a Rails one
    (`/src/shop/app/views/x.erb` -> `/src/shop`); None for a file outside any Rails `app/`."""
    parts = path.parts
    for i in range(len(parts) - 2):
        if parts[i] == "app" and parts[i + 1] in RAILS_APP_DIRS:
            return Path(*parts[:i]) if i else Path(".")
    return None


def view_name(path: str) -> str | None:
    """`app/views/todos/_todo.html.erb` -> `todos/_todo`; None outside app/views."""
    p = path.replace("\\", "/")
    i = p.find("app/views/")
    if i < 0:
        return None
    rest = p[i + len("app/views/") :]
    return rest.split(".", 1)[0]


def partial_name(view: str) -> str | None:
    folder, _, base = view.rpartition("/")
    return f"{folder}/{base[1:]}" if base.startswith("_") else None


def _resolve_partial(doc_view: str | None, name: str) -> str:
    if "/" in name or doc_view is None:
        return name
    return f"{doc_view.rpartition('/')[0]}/{name}"


def pluralize(word: str) -> str:
    """Rails' plural for the common cases: `resource :search` routes to SearchesController."""
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")  # between `select` and `All`


def dasherize(name: str) -> str:
    """A JavaScript name as Stimulus writes it in attributes: `maxLength` -> `max-length`."""
    return _WORD_BREAK.sub("-", name).lower()


def underscore(name: str) -> str:
    """A Ruby constant's name as Rails files it: `FilterScoped` -> `filter_scoped`."""
    return _WORD_BREAK.sub("_", name).lower()


def singularize(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def stimulus_identifier(path: str) -> str | None:
    """`app/javascript/controllers/admin/user_list_controller.js` -> `admin--user-list`."""
    p = path.replace("\\", "/")
    m = re.search(r"(?:^|/)controllers/(.+?)[_-]controller\.(?:js|mjs|ts)$", p)
    # view components keep their controller beside them, pinned under "controllers": `DS/menu` -> `DS--menu`
    m = m or re.search(r"(?:^|/)app/components/(.+?)[_-]controller\.(?:js|mjs|ts)$", p)
    if not m:
        return None
    return m.group(1).replace("/", "--").replace("_", "-")
