"""Rules on Stimulus controllers: the SPA habit of fetching HTML and writing innerHTML."""

from __future__ import annotations

from hotwire_assist.core.appindex import extract_facts
from hotwire_assist.core.parsing import JsDoc
from hotwire_assist.core.rules.base import Context


def check_js(ctx: Context, doc: JsDoc) -> None:
    ctrl = extract_facts(doc).stimulus
    if ctrl is None:
        return
    for line in ctrl.fetches_html:
        start = doc.line_starts[line - 1]
        end = doc.line_starts[line] - 1 if line < len(doc.line_starts) else len(doc.data)
        text = doc.data[start:end]
        ctx.add(
            "stimulus/spa-fetch-html",
            start + len(text) - len(text.lstrip()),
            end,
            f"controller `{ctrl.identifier}` fetches from the server and rebuilds markup in JavaScript (innerHTML, "
            "insertAdjacentHTML, createElement): a Turbo Frame (src=…) or a Turbo Stream response renders it on the "
            "server, with history, caching and CSP handled",
        )
