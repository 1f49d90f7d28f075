"""`hotwire-assist eval …`: run the task suite against a model, score files, compare runs, report, gate.

Registered by cli/main.py as `eval`. The work lives in hotwire_assist.evaluation; these commands only
parse options, show progress and print.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hotwire_assist.core.install import install_hint

eval_app = typer.Typer(help="Evaluate models: task suite, scoring, A/B comparison, reports, promotion gate.")
out = Console()
err = Console(stderr=True, soft_wrap=True)

FormatOpt = Annotated[str, typer.Option("--format", help="table or json")]
_EVAL_EXTRA = f"evaluation {install_hint('eval')}"


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(message, style="red", markup=False)  # messages hold [extra] names and paths, not markup
    return typer.Exit(code)


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def _fmt3(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


@eval_app.command("run")
def run_command(
    model: Annotated[str, typer.Option("--model", help="GGUF file, HF folder, TOML model file, or a model name.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Run folder: results.jsonl, run.json, generation cache.")],
    label: Annotated[
        str | None, typer.Option("--label", help="Name of this model in reports (default: --out name).")
    ] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="llama_cpp | transformers | ollama | openai")] = None,
    family: Annotated[str | None, typer.Option("--family", help="Prompt family (default hotwire-tiny).")] = None,
    adapter: Annotated[str | None, typer.Option("--adapter", help="peft adapter folder (transformers).")] = None,
    n: Annotated[int, typer.Option("-n", "--samples", min=1, help="Samples per task (pass@k needs k ≤ n).")] = 1,
    temperature: Annotated[float, typer.Option(min=0.0, max=2.0)] = 0.0,
    max_tokens: Annotated[int, typer.Option(min=1, help="Token limit for generation tasks.")] = 512,
    fim_max_tokens: Annotated[int, typer.Option(min=1, help="Token limit for FIM holes.")] = 64,
    seed: Annotated[int, typer.Option()] = 1234,
    kind: Annotated[str, typer.Option(help="Which task sets: all, generation or fim.")] = "all",
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N tasks of each set (smoke runs).")] = None,
    generation_tasks: Annotated[Path | None, typer.Option(help="Another generation.jsonl.")] = None,
    fim_tasks: Annotated[Path | None, typer.Option(help="Another fim.jsonl.")] = None,
    held_out: Annotated[
        bool, typer.Option("--held-out", help="Add the curated set's held-out split as generation tasks.")
    ] = False,
    train_data: Annotated[
        list[str] | None, typer.Option("--train-data", help="Training data globs for the contamination check.")
    ] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Generation cache folder (default: the run folder).")] = None,
    dynamic: Annotated[bool, typer.Option(help="Run the Node Turbo/Stimulus checks when available.")] = True,
) -> None:
    """Generate n samples per task with a model, score them, write results.jsonl and run.json.

    Re-running the same command resumes an interrupted run; generations come from the cache.

    Example: hotwire-assist eval run --model ~/models/candidate.gguf --label candidate --out runs/candidate -n 5
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from hotwire_assist.core.schemas import DatasetError
    from hotwire_assist.evaluation.runner import RunError, RunSettings, model_config, run_eval
    from hotwire_assist.evaluation.tasks import TaskError, held_out_tasks, read_fim_tasks, read_generation_tasks

    if kind not in ("all", "generation", "fim"):
        raise _fail(f"--kind must be all, generation or fim, not '{kind}'", 2)
    try:
        config = model_config(model, backend, family, adapter)
        gen = read_generation_tasks(generation_tasks) if kind in ("all", "generation") else []
        if held_out and kind in ("all", "generation"):
            from hotwire_assist.training.dataset import curated_files

            gen += held_out_tasks(curated_files())
        fim = read_fim_tasks(fim_tasks) if kind in ("all", "fim") else []
    except (RunError, TaskError) as e:
        raise _fail(str(e), 2) from None
    if limit:
        gen, fim = gen[:limit], fim[:limit]
    settings = RunSettings(
        label=label or out_dir.name,
        n=n,
        temperature=temperature,
        seed=seed,
        max_tokens=max_tokens,
        fim_max_tokens=fim_max_tokens,
        dynamic=dynamic,
        train_data=train_data or None,
        limit=limit,
    )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, TimeRemainingColumn(), console=err) as bar:
        job = bar.add_task("generating", total=None)

        def progress(task_id: str, done: int, total: int) -> None:
            bar.update(job, description=f"generating {task_id}", completed=done, total=total)

        try:
            summary = run_eval(config, settings, out_dir, gen, fim, cache_dir, progress)
        except (RunError, DatasetError) as e:
            raise _fail(str(e)) from None
        except Exception as e:  # a backend failing mid-run: finished samples are already on disk
            from hotwire_assist.backends import BackendError
            from hotwire_assist.backends.base import PromptTooLong

            if isinstance(e, PromptTooLong):  # a rerun would hit the same prompt again
                raise _fail(f"model error: {e.user_message()}") from None
            if isinstance(e, BackendError):
                raise _fail(
                    f"model error: {e.user_message()} (finished samples are kept in {out_dir}: "
                    "once the model answers again, rerun the same command to resume)"
                ) from None
            raise
    t = summary["totals"]
    out.print(f"{summary['label']}: {t['samples']} samples over {t['tasks']} tasks → {out_dir}")
    out.print(f"mean total {_fmt(t['mean']['total'])}, pass rate {t['pass_rate']}; dynamic: {summary['dynamic']}")


@eval_app.command("score")
def score_command(
    files: Annotated[list[Path], typer.Argument(help="Files to score (scored together: cross-file rules apply).")],
    format: FormatOpt = "table",
    ruby: Annotated[bool, typer.Option(help="Real Ruby/ERB syntax check when ruby is installed.")] = True,
) -> None:
    """Score files on the five dimensions (syntax, conventions, efficiency, security, accessibility).

    Example: hotwire-assist eval score app/views/messages/*.erb --format json
    """
    from hotwire_assist.core.schemas import FileText
    from hotwire_assist.evaluation.scoring import score_files, to_record

    texts = []
    for f in files:
        try:
            texts.append(FileText(path=str(f), content=f.read_text(encoding="utf-8", errors="replace")))
        except OSError as e:
            raise _fail(f"cannot read {f}: {e.strerror or e}", 2) from None
    scored = score_files(texts, ruby=ruby)
    rows = [
        {
            "file": fs.path,
            "scores": fs.scores,
            "total": fs.total,
            "findings": [to_record(x).model_dump() for x in fs.findings],
        }
        for fs in scored.files
    ]
    if format == "json":
        out.print_json(json.dumps(rows))
        return
    from hotwire_assist.core.rules.findings import DIMENSIONS

    table = Table("file", *DIMENSIONS, "total", "findings")
    for r in rows:
        table.add_row(r["file"], *(_fmt(r["scores"][d]) for d in DIMENSIONS), _fmt(r["total"]), str(len(r["findings"])))
    out.print(table)
    for r in rows:
        for x in r["findings"]:
            out.print(f"{x['path']}:{x['line']}: {x['severity']} {x['rule']} ({x['dimension']}): {x['message']}")


def _load_compare(run_a: Path, run_b: Path) -> dict:
    from hotwire_assist.evaluation.results import ResultsError
    from hotwire_assist.evaluation.stats import compare_runs

    try:
        return compare_runs(run_a, run_b)
    except (ResultsError, ValueError) as e:
        raise _fail(str(e), 2) from None


@eval_app.command("compare")
def compare_command(
    run_a: Annotated[Path, typer.Argument(help="Run folder A: the current model.")],
    run_b: Annotated[Path, typer.Argument(help="Run folder B: the candidate.")],
    format: FormatOpt = "table",
) -> None:
    """Paired A/B comparison (A current, B candidate): per-task differences (B − A) of the total, the five
    dimensions and FIM edit similarity / exact match, bootstrap 95% CI, Wilcoxon and McNemar tests.

    Example: hotwire-assist eval compare runs/current runs/candidate --format json
    """
    from hotwire_assist.evaluation.stats import FIM_METRICS

    c = _load_compare(run_a, run_b)
    if format == "json":
        out.print_json(json.dumps(c))
        return
    table = Table(
        "metric", "n", f"A {c['a']['label']}", f"B {c['b']['label']}", "B − A", "95% CI", "p", "verdict",
        title="paired by task: A and B are means over the same tasks as B − A",
    )  # fmt: skip
    for m, s in c["metrics"].items():
        f = _fmt3 if m in FIM_METRICS else _fmt
        ci = f"[{f(s['ci95'][0])}, {f(s['ci95'][1])}]" if s["ci95"] else "–"
        table.add_row(
            m, str(s["n"]), f(s["mean_a"]), f(s["mean_b"]), f(s["mean_diff"]), ci, str(s["p"]), s.get("verdict", "")
        )
    p = c["pass"]
    table.add_row(
        "pass (McNemar)",
        str(p["pairs"]),
        str(p["rate_a"]),
        str(p["rate_b"]),
        f"A only {p['a_only']}, B only {p['b_only']}",
        "",
        str(p["p"]),
        p["verdict"],
    )
    out.print(table)
    if c["a"]["digest"] != c["b"]["digest"]:
        err.print("[yellow]the runs answered different task sets; only shared tasks are compared[/yellow]")
    if c["a"]["scorer_version"] != c["b"]["scorer_version"]:
        err.print("[yellow]the runs were scored by different scorer versions; their scores are not comparable[/yellow]")


@eval_app.command("report")
def report_command(
    runs: Annotated[list[Path], typer.Argument(help="One run folder, or two (A then B).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for report.html and report.json.")],
) -> None:
    """Write a self-contained HTML report (plots embedded) and report.json.

    Example: hotwire-assist eval report runs/current runs/candidate --out reports/candidate
    """
    from hotwire_assist.evaluation.results import ResultsError

    if len(runs) not in (1, 2):
        raise _fail("give one run folder or two (A then B)", 2)
    try:
        from hotwire_assist.evaluation.report import build_report
    except ImportError as e:
        raise _fail(f"{_EVAL_EXTRA}: {e}", 2) from None
    try:
        path = build_report(runs, out_dir)
    except (ResultsError, ValueError) as e:
        raise _fail(str(e), 2) from None
    out.print(f"report written to {path}")


@eval_app.command("gate")
def gate_command(
    candidate: Annotated[Path, typer.Option("--candidate", help="Run folder of the retrained model.")],
    current: Annotated[Path, typer.Option("--current", help="Run folder of the model in use.")],
    margin: Annotated[float, typer.Option("--margin", min=0.0, help="Allowed shortfall, points of 100.")] = 2.0,
    format: FormatOpt = "table",
) -> None:
    """Exit 0 only if the candidate is at least as good as the current model, within the margin, on whole,
    comparable runs (same task set and scorer, no --limit, enough tasks; see evaluation/gate.py).

    Example: hotwire-assist eval gate --candidate runs/candidate --current runs/current --margin 2
    """
    from hotwire_assist.evaluation.gate import gate
    from hotwire_assist.evaluation.results import ResultsError

    try:
        result = gate(candidate, current, margin)
    except (ResultsError, ValueError) as e:
        raise _fail(str(e), 2) from None
    if format == "json":
        out.print_json(json.dumps(result.to_json()))
    else:
        metrics = result.comparison["metrics"]
        total, es = metrics["total"], metrics["edit_similarity"]
        out.print(
            f"paired over {total['n']} tasks: total current {_fmt(total['mean_a'])} → candidate"
            f" {_fmt(total['mean_b'])} (B − A {_fmt(total['mean_diff'])}, 95% CI"
            f" {total['ci95'] and [round(x, 2) for x in total['ci95']]}; margin {margin})"
        )
        if es["n"]:
            out.print(
                f"FIM edit similarity over {es['n']} holes: current {_fmt3(es['mean_a'])} → candidate"
                f" {_fmt3(es['mean_b'])}"
            )
        if result.passed:
            out.print("[green]gate passed[/green]: the candidate may be promoted")
        for r in result.reasons:
            err.print(f"[red]gate failed:[/red] {r}")
    if not result.passed:
        raise typer.Exit(1)
