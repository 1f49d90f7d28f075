"""The runner's one door to the Node-side Turbo/Stimulus checks (`evaluation/dynamic.py`, built separately).

Imported lazily and optional: without Node, the npm packages or the module itself, generation samples
get no dynamic checks and run.json says why, instead of the run failing.
"""

from __future__ import annotations

from collections.abc import Sequence

from hotwire_assist.core.schemas import FileText

_DERIVERS = ("samples_from_files", "derive_samples", "dynamic_samples_from_files")


def dynamic_checks(answers: Sequence[Sequence[FileText]]) -> tuple[list[dict[str, bool]], str]:
    """Per answer: check name → ok (empty when nothing in it can run in a browser). The note is empty
    when the checks ran, else the reason they did not."""
    empty: list[dict[str, bool]] = [{} for _ in answers]
    try:
        from hotwire_assist.evaluation import dynamic as dyn
    except ImportError as e:
        return empty, f"dynamic checks skipped: evaluation.dynamic is not available ({e})"
    reason = dyn.dynamic_available()
    if reason:
        return empty, f"dynamic checks skipped: {reason}"
    derive = next((getattr(dyn, n) for n in _DERIVERS if hasattr(dyn, n)), None)
    if derive is None:
        return empty, "dynamic checks skipped: evaluation.dynamic has no helper deriving samples from files"
    samples, owner = [], []
    for i, files in enumerate(answers):
        for s in derive(list(files)):
            samples.append(s.model_copy(update={"id": f"{i}:{s.id}"}))
            owner.append(i)
    if not samples:
        return empty, ""
    for i, res in zip(owner, dyn.run_dynamic_checks(samples), strict=True):
        name = res.id.split(":", 1)[1]
        empty[i][name] = bool(res.ok)
    return empty, ""
