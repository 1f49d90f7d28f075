"""Evaluation runs and telemetry written the way their producers write them (append_result, TelemetryStore)."""

from __future__ import annotations

from pathlib import Path

from hotwire_assist.core.schemas import FileText, TelemetryEvent
from hotwire_assist.core.telemetry import TelemetryStore
from hotwire_assist.evaluation.results import FindingRecord, SampleResult, append_result

CATEGORIES = ["turbo-frames/navigation", "turbo-streams/actions", "stimulus/targets"]
T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def sample(task_id: str, model: str, category: str, code: str, passed: bool = True) -> SampleResult:
    findings = (
        []
        if passed
        else [
            FindingRecord(
                path="app/views/items/index.html.erb",
                rule="frames/missing-id",
                severity="error",
                dimension="hotwire",
                line=1,
                message="turbo_frame_tag needs an id",
            )
        ]
    )
    return SampleResult(
        task_id=task_id,
        task_kind="generation",
        category=category,
        model=model,
        prompt=f"Request for {task_id}: wrap the list in a lazy-loaded frame",
        files=[FileText(path="app/views/items/index.html.erb", content=code)],
        scores={"syntax": 1.0, "hotwire": 1.0 if passed else 0.0},
        total=100.0 if passed else 50.0,
        findings=findings,
        passed=passed,
    )


def write_runs(root: Path, n: int = 4) -> tuple[Path, Path]:
    """Run A (model "alpha-ft") and run B ("omega-generic") over the same n tasks: A writes a Turbo Frame, B a
    plain div with an error finding. The code never names the model, so a page can be checked for blindness."""
    a, b = root / "run-a", root / "run-b"
    for i in range(n):
        task, cat = f"task-{i:02d}", CATEGORIES[i % len(CATEGORIES)]
        append_result(
            a,
            sample(task, "alpha-ft", cat, f'<%= turbo_frame_tag "items_{i}" do %>\n  <p>item {i}</p>\n<% end %>\n'),
        )
        append_result(b, sample(task, "omega-generic", cat, f"<div>\n  <p>item {i}</p>\n</div>\n", passed=False))
    return a, b


def events(n_suggestions: int = 20) -> list[TelemetryEvent]:
    """n suggestions, .erb and .js alternating; every 4th rejected (a UJS link, always .erb), the rest accepted;
    latency 100..(100+10n) ms; survival 1.0 / 0.8 / 0.5 at 30 s / 2 min / 10 min for accepted ones;
    code recorded (the `code` level)."""
    out = []
    for i in range(n_suggestions):
        sid = f"s{i}"
        ft = "erb" if i % 2 == 0 else "js"
        rejected = i % 4 == 0
        if rejected:
            text = '<%= link_to "Delete", item, method: :delete %>'
        else:
            text = '<%= turbo_frame_tag "x" %>' if ft == "erb" else 'this.element.dataset.controller = "hello"'
        base = {
            "suggestion_id": sid,
            "file_type": ft,
            "language": ft,
            "backend": "llama_cpp",
            "model": "tiny",
            "prompt_format": "hotwire-tiny",
            "prefix": "<main>\n",
            "suffix": "\n</main>\n",
            "suggestion": text,
        }
        ts = T0 + i * 60
        out.append(TelemetryEvent(kind="shown", ts=ts, latency_ms=100.0 + 10 * i, **base))
        out.append(TelemetryEvent(kind="rejected" if rejected else "accepted", ts=ts + 1, **base))
        if not rejected:
            for age, survival in ((30.0, 1.0), (120.0, 0.8), (600.0, 0.5)):
                out.append(TelemetryEvent(kind="survival", ts=ts + age, age_s=age, survival=survival, **base))
    return out


def write_store(path: Path, evs: list[TelemetryEvent]) -> Path:
    with TelemetryStore(path) as store:
        store.record_many(evs)
    return path
