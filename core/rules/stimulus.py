"""Stimulus descriptor grammar and the attribute names that carry controller identifiers.

Regexes are the right tool here: these are attribute *values* with a tiny grammar
(`event->identifier#method:option`), not a language with a tree-sitter grammar.
"""

from __future__ import annotations

import json
import re

from hotwire_assist.core.hotwire import stimulus_default_event

IDENT = r"[a-z0-9][a-z0-9-]*(?:--[a-z0-9-]+)*"
# The identifier part accepts what Stimulus parses (any word characters and dashes); whether it names a
# controller - or is kebab-case - is checked against the app's controllers.
ACTION_RE = re.compile(
    r"^(?:(?P<event>[\w:.+\-]+)(?P<global>@(?:window|document))?->)?(?P<ident>[\w-]+)#(?P<method>[A-Za-z_$][\w$]*)"
    r"(?::!?[a-z]+)*$"
)
TARGET_NAME_RE = re.compile(r"^[A-Za-z_$][\w$-]*$")
TARGET_ATTR_RE = re.compile(r"^data-(.+)-target$")
VALUE_ATTR_RE = re.compile(r"^data-(.+)-value$")
OUTLET_ATTR_RE = re.compile(r"^data-(.+)-outlet$")
SELECTOR_RE = re.compile(r"^[\w\s#.\-\[\]=\"':>+~*(),^$|]+$")

# Stimulus's default event per element when a descriptor names none (one table, in core.hotwire).
default_event = stimulus_default_event


def split_descriptors(value: str) -> list[str]:
    return value.split()


def camelize(name: str) -> str:
    """Stimulus maps `max-length` in attribute names to `maxLength` in controllers."""
    return re.sub(r"-([a-z0-9])", lambda m: m.group(1).upper(), name)


def split_identifier(rest: str, known: set[str]) -> tuple[str, str] | None:
    """`todo-form-max-length` -> (`todo-form`, `max-length`) using the app's known identifiers (longest wins)."""
    best = None
    for ident in known:
        if rest.startswith(ident + "-") and (best is None or len(ident) > len(best)):
            best = ident
    return (best, rest[len(best) + 1 :]) if best else None


def value_matches_type(value: str, type_name: str) -> bool:
    """Whether Stimulus can read an attribute value as the declared type."""
    if type_name == "Number":
        if not value.strip():
            return True
        try:
            float(value.replace("_", ""))
        except ValueError:
            return False
        return True
    if type_name in ("Array", "Object"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return False
        return isinstance(parsed, list if type_name == "Array" else dict)
    return True


def canonical(ident: str, known: set[str]) -> str:
    """The app's spelling of an identifier read from an HTML attribute name (HTML lowercases names)."""
    if ident in known:
        return ident
    low = ident.lower()
    return next((k for k in known if k.lower() == low), ident)
