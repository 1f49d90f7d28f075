"""`hotwire-assist model promote | status | rollback`: the model registry (core.registry) composed with
evaluation's gate. Registered on the `model` group by cli/main.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True, soft_wrap=True)

FormatOpt = Annotated[str, typer.Option("--format", help="text or json")]
ScopeOpt = Annotated[
    Path | None,
    typer.Option("--workspace", help="A workspace folder: its own model instead of the generic one."),
]


def _scope(workspace: Path | None) -> str:
    from hotwire_assist.core.registry import GENERIC, workspace_key

    return GENERIC if workspace is None else workspace_key(workspace)


def _train_info(gguf: Path) -> dict:
    """train.json beside the exported GGUF or one folder up (`train export --out RUN/export`), if any."""
    for folder in (gguf.parent, gguf.parent.parent):
        path = folder / "train.json"
        if path.is_file():
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}
    return {}


def promote(
    gguf: Annotated[Path, typer.Argument(help="The candidate model.gguf: the very file the candidate run evaluated.")],
    candidate_run: Annotated[Path, typer.Option(help="`eval run` folder of the candidate.")],
    current_run: Annotated[Path, typer.Option(help="`eval run` folder of the model in use, on the same tasks.")],
    margin: Annotated[float, typer.Option(help="How far below the current model the candidate may score.")] = 2.0,
    name: Annotated[str | None, typer.Option(help="Name in the registry (default: the candidate run's label).")] = None,
    workspace: ScopeOpt = None,
) -> None:
    """Make a model the one the server uses, only if it passes the evaluation gate against the current
    one and is byte for byte the file the candidate run evaluated (sha256).

    The GGUF goes to the registry's slot (the data dir's models/promoted/, or the workspace's own slot
    with --workspace), atomically; the model it replaces is kept for `model rollback`. A running server
    with no model.path configured switches to it at its next completion.

    Example:

    \b
        hotwire-assist eval run --model runs/lora1/export/model.gguf --label lora1 --out runs/eval-cand
        hotwire-assist model promote runs/lora1/export/model.gguf \\
            --candidate-run runs/eval-cand --current-run runs/eval-cur
    """
    from hotwire_assist.core.install import install_hint
    from hotwire_assist.core.registry import ModelRecord, Registry, RegistryError, file_sha256

    try:
        from hotwire_assist.evaluation.gate import gate
        from hotwire_assist.evaluation.results import ResultsError
    except ImportError as e:
        err.print(f"promotion {install_hint('eval')} ({e})", style="red", markup=False)
        raise typer.Exit(2) from None
    if not gguf.is_file():
        err.print(f"[red]no such model file:[/red] {gguf}")
        raise typer.Exit(2)
    try:
        result = gate(candidate_run, current_run, margin)
    except (ResultsError, OSError, ValueError) as e:
        err.print(f"[red]cannot run the gate:[/red] {e}")
        raise typer.Exit(2) from None
    if not result.passed:
        err.print("[red]not promoted: the candidate fails the evaluation gate[/red]")
        for reason in result.reasons:
            err.print(f"  - {reason}")
        raise typer.Exit(1)
    sha = file_sha256(gguf)
    if sha != result.candidate_sha256:
        err.print(
            f"[red]not promoted: {gguf} (sha256 {sha[:16]}…) is not the model the candidate run evaluated "
            f"({(result.candidate_sha256 or '?')[:16]}…)[/red]; run `eval run` on this very file first"
        )
        raise typer.Exit(1)
    run = json.loads((candidate_run / "run.json").read_text(encoding="utf-8"))
    train = _train_info(gguf)
    scope = _scope(workspace)
    summary = result.candidate
    record = ModelRecord(
        sha256=sha,
        name=name or run.get("label") or gguf.stem,
        kind="gguf",
        scope=scope,
        source=str(gguf.resolve()),
        data_hash=train.get("data_sha256", ""),
        figures={
            "mean_total": summary["mean"]["total"],
            "pass_rate": summary["pass_rate"],
            "fim_exact_match": summary["fim_exact_match"],
            "fim_edit_similarity": summary["fim_edit_similarity"],
            "tasks": summary["tasks"],
            "task_digest": run.get("tasks", {}).get("digest"),
            "scorer_version": run.get("scorer_version"),
            "candidate_run": str(candidate_run.resolve()),
            "current_run": str(current_run.resolve()),
            "gate": result.to_json(),
        },
    )
    reg = Registry()
    try:
        reg.promote(gguf, record, scope)
    except (RegistryError, OSError) as e:
        err.print(f"[red]not promoted:[/red] {e}")
        raise typer.Exit(1) from None
    out.print(f"promoted {record.name} ({sha[:12]}) → {reg.model_path(scope)} [{scope}]")


def status(workspace: ScopeOpt = None, format: FormatOpt = "text") -> None:
    """Which model each scope uses now, and the one `model rollback` would restore.

    Example: hotwire-assist model status --format json
    """
    from hotwire_assist.core.registry import GENERIC, Registry, RegistryError

    reg = Registry()
    try:
        state = reg.status()
    except RegistryError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    if workspace is not None:
        state = {k: v for k, v in state.items() if k in (_scope(workspace), GENERIC)}
    if format == "json":
        out.print_json(json.dumps(state))
        return
    if not state:
        out.print("no promoted model: the server uses the embedded default")
    for scope, slot in state.items():
        out.print(f"[bold]{scope}[/bold]  {slot['path']}")
        for role in ("current", "previous"):
            rec = slot[role]
            if rec is None:
                out.print(f"  {role}: –")
                continue
            f = rec.get("figures", {})
            figures = ", ".join(
                f"{k} {v}" for k, v in f.items() if k in ("mean_total", "pass_rate", "fim_edit_similarity")
            )
            out.print(f"  {role}: {rec['name']} {rec['sha256'][:12]}  {figures}")


def rollback(workspace: ScopeOpt = None) -> None:
    """Swap the current and previous model of a scope (the generic one by default).

    Example: hotwire-assist model rollback
    """
    from hotwire_assist.core.registry import Registry, RegistryError

    reg = Registry()
    scope = _scope(workspace)
    try:
        rec = reg.rollback(scope)
    except (RegistryError, OSError) as e:
        err.print(f"[red]cannot roll back:[/red] {e}")
        raise typer.Exit(1) from None
    out.print(f"rolled back [{scope}]: now {rec.name} ({rec.sha256[:12]})")
