"""The runner's one door to the Node-side Turbo/Stimulus checks (`evaluation/dynamic.py`).

Imported lazily and optional: without Node, the npm packages or the module itself, generation samples
get no dynamic checks and run.json says why, instead of the run failing.
"""

from __future__ import annotations

from collections.abc import Sequence

from hotwire_assist.core.schemas import FileText


def dynamic_checks(
    answers: Sequence[Sequence[FileText]], contexts: Sequence[Sequence[FileText]]
) -> tuple[list[dict[str, bool]], str]:
    """Per answer: dynamic sample id → ok (empty when nothing in it can run in a DOM). The note is empty
    when the checks ran, else the reason they did not."""
    out: list[dict[str, bool]] = [{} for _ in answers]
    try:
        from hotwire_assist.evaluation import dynamic as dyn
    except ImportError as e:
        return out, f"dynamic checks skipped: evaluation.dynamic is not available ({e})"
    reason = dyn.dynamic_available()
    if reason:
        return out, f"dynamic checks skipped: {reason}"
    samples, owner = [], []
    for i, (files, context) in enumerate(zip(answers, contexts, strict=True)):
        for s in dyn.samples_from_files(files, context, id_prefix=f"{i}:"):
            samples.append(s)
            owner.append(i)
    if not samples:
        return out, ""
    try:
        results = dyn.run_dynamic_checks(samples)
    except dyn.DynamicUnavailable as e:
        return out, f"dynamic checks skipped: {e}"
    for i, res in zip(owner, results, strict=True):
        out[i][res.id.split(":", 1)[1] if ":" in res.id else res.id] = bool(res.ok)
    return out, ""
