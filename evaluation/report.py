"""`eval report`: one self-contained HTML page (plots embedded as base64 PNG) plus report.json.

Shows each run's headline figures, the score distribution per dimension, A (current) vs B (candidate)
per task with the paired statistics (total, dimensions, FIM edit similarity and exact match), failed
samples with their findings inline at the lines they point to, and the dashboard's blind-review
summary (`reviews.json` in a run folder) when there is one.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence
from pathlib import Path

from hotwire_assist.evaluation.results import SampleResult
from hotwire_assist.evaluation.stats import METRICS, compare_results, load_run, run_summary

REVIEWS_FILE = "reviews.json"
MAX_FAILURES = 12

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hotwire-assist evaluation: {{ title }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:.85rem}
.bad{background:#ffe9e9}.note{color:#b00020;font-weight:600}.ok{color:#0a7d32}.fail{color:#b00020}
img{max-width:100%}
</style></head><body>
<h1>Evaluation: {{ title }}</h1>
<h2>Headline</h2><p>Each run over its own tasks; the A/B section below compares paired means.</p>
<table><tr><th>run</th>{% for m in metrics %}<th>{{ m }}</th>{% endfor %}<th>pass rate</th>
<th>pass@k</th><th>FIM exact</th><th>FIM edit sim.</th><th>samples</th></tr>
{% for r in runs %}<tr><td>{{ r.label }}</td>{% for m in metrics %}<td>{{ fmt(r.summary.mean[m]) }}</td>{% endfor %}
<td>{{ pct(r.summary.pass_rate) }}</td>
<td>{% for k, v in r.summary.items() if k.startswith('pass@') %}{{ k }} {{ pct(v) }} {% endfor %}</td>
<td>{{ pct(r.summary.fim_exact_match) }}</td><td>{{ fmt(r.summary.fim_edit_similarity) }}</td>
<td>{{ r.summary.samples }}</td></tr>{% endfor %}</table>
{% for r in runs %}{% if r.dynamic %}<p>{{ r.label }}: dynamic checks: {{ r.dynamic }}</p>{% endif %}{% endfor %}
<h2>Score distributions</h2><img alt="score distributions per dimension" src="data:image/png;base64,{{ plots.dist }}">
{% if comparison %}
<h2>B {{ runs[1].label }} (candidate) vs A {{ runs[0].label }} (current): B − A, paired by task</h2>
<p>A and B are means over exactly the tasks each difference is taken over.</p>
<table><tr><th>metric</th><th>n</th><th>A</th><th>B</th><th>mean diff</th><th>95% CI</th><th>p</th><th>verdict</th></tr>
{% for m, s in comparison.metrics.items() %}<tr><td>{{ m }}</td><td>{{ s.n }}</td><td>{{ fmt(s.mean_a) }}</td>
<td>{{ fmt(s.mean_b) }}</td><td>{{ fmt(s.mean_diff) }}</td>
<td>{% if s.ci95 %}[{{ fmt(s.ci95[0]) }}, {{ fmt(s.ci95[1]) }}]{% endif %}</td><td>{{ s.p }}</td>
<td>{{ s.verdict }}</td></tr>{% endfor %}
<tr><td>pass (McNemar)</td><td>{{ comparison.pass.pairs }}</td><td>{{ pct(comparison.pass.rate_a) }}</td>
<td>{{ pct(comparison.pass.rate_b) }}</td>
<td>A only {{ comparison.pass.a_only }}, B only {{ comparison.pass.b_only }}</td>
<td></td><td>{{ comparison.pass.p }}</td><td>{{ comparison.pass.verdict }}</td></tr></table>
<img alt="A vs B per task" src="data:image/png;base64,{{ plots.per_task }}">
{% endif %}
<h2>Failures</h2>
{% for r in runs %}<h3>{{ r.label }}: {{ r.failures|length }} shown of {{ r.failed }} failed samples</h3>
{% for f in r.failures %}<details><summary><b>{{ f.task_id }}</b> #{{ f.sample }} ({{ f.category }}):
total {{ fmt(f.total) }} {% for k, v in f.checks.items() %}
<span class="{{ 'ok' if v else 'fail' }}">{{ k }}</span> {% endfor %}
</summary><p>{{ f.prompt }}</p>
{% for file in f.files %}<p><code>{{ file.path }}</code></p><pre>{% for line in file.lines -%}
<span{% if line.notes %} class="bad"{% endif %}>{{ '%4d'|format(line.n) }}  {{ line.text }}</span>
{% for note in line.notes %}<span class="note">      ^ {{ note }}</span>
{% endfor %}{% endfor %}</pre>{% endfor %}
{% if f.other %}<ul>{% for note in f.other %}<li class="note">{{ note }}</li>{% endfor %}</ul>{% endif %}
</details>{% endfor %}{% endfor %}
{% for r in runs %}{% if r.reviews %}<h2>Blind reviews ({{ r.label }})</h2>
<pre>{{ r.reviews_text }}</pre>{% endif %}{% endfor %}
</body></html>
"""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def plot_distributions(runs: Sequence[tuple[str, Sequence[SampleResult]]]) -> str:
    """Histogram per metric (total on 0–100, dimensions on 0–20), runs overlaid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(12, 6))
    for ax, m in zip(axes.flat, METRICS, strict=True):
        top = 100 if m == "total" else 20
        for label, results in runs:
            vals = [r.total if m == "total" else r.scores.get(m) for r in results]
            vals = [v for v in vals if v is not None]
            if vals:
                ax.hist(vals, bins=10, range=(0, top), alpha=0.5, label=label)
        ax.set_title(m)
    axes.flat[0].legend()
    fig.tight_layout()
    return _png(fig)


def plot_per_task(comparison: dict, label_a: str, label_b: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(comparison["per_task"], key=lambda r: r["diff"])
    fig, ax = plt.subplots(figsize=(12, max(3, 0.18 * len(rows))))
    ys = range(len(rows))
    ax.barh([y - 0.2 for y in ys], [r["a"] for r in rows], height=0.4, label=label_a)
    ax.barh([y + 0.2 for y in ys], [r["b"] for r in rows], height=0.4, label=label_b)
    ax.set_yticks(list(ys), [r["task_id"] for r in rows], fontsize=6)
    ax.set_xlim(0, 100)
    ax.set_xlabel("mean total per task")
    ax.legend()
    fig.tight_layout()
    return _png(fig)


def failure_view(r: SampleResult) -> dict:
    """A failed sample with each finding placed under the line it points to."""
    files = list(r.files)
    if r.task_kind == "fim":
        from hotwire_assist.core.schemas import FileText

        files = [FileText(path=f"{r.prompt} (completion)", content=r.completion)]
    notes: dict[tuple[str, int], list[str]] = {}
    placed = set()
    paths = {f.path for f in files}
    for i, f in enumerate(r.findings):
        if f.path in paths:
            notes.setdefault((f.path, f.line), []).append(f"{f.severity} {f.rule}: {f.message}")
            placed.add(i)
    other = [
        f"{f.path}:{f.line} {f.severity} {f.rule}: {f.message}" for i, f in enumerate(r.findings) if i not in placed
    ]
    return {
        "task_id": r.task_id,
        "sample": r.sample,
        "category": r.category,
        "prompt": r.prompt,
        "total": r.total,
        "checks": {**r.expectations, **{f"dynamic:{k}": v for k, v in r.dynamic.items()}},
        "files": [
            {
                "path": f.path,
                "lines": [
                    {"n": n, "text": t, "notes": notes.get((f.path, n), [])}
                    for n, t in enumerate(f.content.split("\n"), 1)
                ],
            }
            for f in files
        ],
        "other": other,
    }


def _reviews(run_dir: Path) -> dict | list | None:
    path = run_dir / REVIEWS_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return {"error": f"{path}: not valid JSON: {e}"}


def build_report(run_dirs: Sequence[Path], out_dir: Path) -> Path:
    """Write report.html and report.json for one run or an A/B pair (A current, B candidate); returns the
    HTML path."""
    import jinja2

    loaded = []
    for d in run_dirs:
        run, results = load_run(d)
        loaded.append((run.get("label") or d.name, run, results, d))
    comparison = compare_results(loaded[0][2], loaded[1][2]) if len(loaded) == 2 else None
    runs = []
    for label, run, results, d in loaded:
        failed = [r for r in results if not r.passed]
        reviews = _reviews(d)
        runs.append(
            {
                "label": label,
                "dir": str(d),
                "summary": run_summary(results),
                "dynamic": run.get("dynamic", ""),
                "failed": len(failed),
                "failures": [failure_view(r) for r in sorted(failed, key=lambda r: r.total)[:MAX_FAILURES]],
                "reviews": reviews,
                "reviews_text": json.dumps(reviews, indent=2) if reviews is not None else "",
            }
        )
    plots = {"dist": plot_distributions([(label, results) for label, _, results, _ in loaded])}
    if comparison is not None:
        plots["per_task"] = plot_per_task(comparison, loaded[0][0], loaded[1][0])
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    html = env.from_string(_TEMPLATE).render(
        title=" vs ".join(r["label"] for r in runs),
        runs=runs,
        metrics=METRICS,
        comparison=comparison,
        plots=plots,
        fmt=lambda v: "–" if v is None else f"{v:.2f}",
        pct=lambda v: "–" if v is None else f"{v:.1%}",
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.html").write_text(html, encoding="utf-8")
    data = {
        "runs": [{k: v for k, v in r.items() if k != "reviews_text"} for r in runs],
        "comparison": comparison,
    }
    (out_dir / "report.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return out_dir / "report.html"
