"""`hotwire-assist`: one command line for the server, the model, training and evaluation."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from hotwire_assist.cli.adapt import adapt_command, list_command
from hotwire_assist.cli.bugreport import bug_report_command
from hotwire_assist.cli.check import check_command, index_command
from hotwire_assist.cli.dashboard import dashboard_command
from hotwire_assist.cli.data import data_app
from hotwire_assist.cli.eval import eval_app
from hotwire_assist.cli.model import promote, rollback, status
from hotwire_assist.cli.telemetry import telemetry_app
from hotwire_assist.cli.train import train_app
from hotwire_assist.core.config import ConfigError, default_model_dir, load_config
from hotwire_assist.core.install import install_hint

app = typer.Typer(
    help="A local, private AI assistant for Rails Hotwire.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help: rich markup would eat bracketed words ("the [train] extra", "[[curriculum]]") and rich's
    # tables truncate long option names on narrow terminals. Sub-apps inherit this mode.
    rich_markup_mode=None,
)
model_app = typer.Typer(help="Build and inspect models.", no_args_is_help=True)
app.add_typer(model_app, name="model")
model_app.command("promote")(promote)
model_app.command("status")(status)
model_app.command("rollback")(rollback)
model_app.command("adapt")(adapt_command)
model_app.command("list")(list_command)
app.command("check")(check_command)
app.command("index")(index_command)
app.command("bug-report")(bug_report_command)
app.add_typer(telemetry_app, name="telemetry")
app.add_typer(train_app, name="train")
app.add_typer(data_app, name="data")
app.add_typer(eval_app, name="eval")
app.command("dashboard")(dashboard_command)
out = Console()
err = Console(stderr=True, soft_wrap=True)

FormatOpt = Annotated[str, typer.Option("--format", help="text or json")]


def _print_version(value: bool) -> None:
    if value:
        from hotwire_assist.core import __version__

        print(f"hotwire-assist {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """A local, private AI assistant for Rails Hotwire.

    Example: hotwire-assist doctor
    """


def _config(workspace: Path | None):
    try:
        return load_config(workspace)
    except ConfigError as e:
        err.print(f"[red]configuration error:[/red] {e}")
        raise typer.Exit(2) from None


@app.command()
def serve(
    log_file: Annotated[
        Path | None, typer.Option(help="The log file, rotated (default: logs/server.log in the data dir).")
    ] = None,
    trace: Annotated[bool, typer.Option("--trace", help="Log every message (debug level).")] = False,
) -> None:
    """Run the language server on stdio (editors start this). It logs to stderr and to a rotating file.

    Example: hotwire-assist serve --log-file /tmp/hotwire.log
    """
    from hotwire_assist.cli.bugreport import configure_logging

    configure_logging(log_file, trace)
    import sys

    from hotwire_assist.server.app import server

    # pygls reads each message through executor round trips; while the CPU worker thread holds the GIL,
    # each round trip waits for the interpreter's switch interval (5 ms by default): 1 ms keeps requests
    # flowing while a document is checked (benchmarks/bench_bigfile.py).
    sys.setswitchinterval(0.001)
    server.start_io()


def _load_app(engine, index, root: Path, config) -> None:
    """Give the engine what the server gives it at start: the app index and the line store of the app's files
    (through the privacy gate) and the curated examples."""
    from hotwire_assist.core.appindex import read_text
    from hotwire_assist.core.context import CURATED_DIR
    from hotwire_assist.core.privacy import is_excluded
    from hotwire_assist.server.engine.retrieval import add_curated

    add_curated(engine.lines, [CURATED_DIR, CURATED_DIR.parent / "starter_corpus"])
    if index is None:
        return
    engine.index_provider = lambda: index
    exclude = config.privacy.exclude
    engine.lines.sync(index.files, lambda p: None if is_excluded(p, root, exclude) else read_text(Path(p)), index.rel)


@app.command()
def complete(
    location: Annotated[str, typer.Argument(help="PATH:LINE:COL, 1-based as editors show them")],
    format: FormatOpt = "text",
) -> None:
    """Print what the server would suggest at a position: the same request the editor's server builds (the
    workspace root's configuration, the app's related files and examples), then the suggestion and its latency.

    Example: hotwire-assist complete examples/todo_app/app/views/todos/_todo.html.erb:1:21
    """
    from hotwire_assist.backends import BackendError, make_backend
    from hotwire_assist.core.appindex import index_app
    from hotwire_assist.core.context import ContextCache
    from hotwire_assist.core.privacy import is_excluded
    from hotwire_assist.core.request import build_request, workspace_root
    from hotwire_assist.server.completion import CompletionEngine

    try:
        path_s, line_s, col_s = location.rsplit(":", 2)
        line, col = int(line_s), int(col_s)
    except ValueError:
        err.print(f"[red]expected PATH:LINE:COL, got '{location}'[/red]")
        raise typer.Exit(2) from None
    path = Path(path_s).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        err.print(f"[red]cannot read {path}: {e}[/red]")
        raise typer.Exit(2) from None
    lines = text.split("\n")
    if not (1 <= line <= len(lines)) or not (1 <= col <= len(lines[line - 1]) + 1):
        err.print(f"[red]{location}: no such position (the file has {len(lines)} lines)[/red]")
        raise typer.Exit(2)
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + col - 1
    root = workspace_root(path)  # the folder an editor opens: its .hotwire-assist.toml applies
    config = _config(root)
    if is_excluded(path, root, config.privacy.exclude):
        err.print(f"[yellow]{path} is excluded by the privacy settings: nothing is sent to a model[/yellow]")
        raise typer.Exit(1)
    config.completion.debounce_ms = 0
    messages: list[str] = []
    try:
        index = index_app(root)
    except OSError as e:
        err.print(f"[yellow]cannot index {root}: {e}; completing without app context[/yellow]")
        index = None
    context = ContextCache.for_config(config)
    request = build_request(path, text, offset, root, context=lambda r: context.for_request(index, r))
    try:
        engine = CompletionEngine(config, make_backend(config), notify=messages.append)
    except BackendError as e:
        err.print(f"[red]{e.user_message()}[/red]")
        raise typer.Exit(1) from None
    _load_app(engine, index, root, config)  # the index and line store the server's engine reads
    try:
        s = asyncio.run(engine.complete(str(path), request))
    finally:
        engine.close()
    latency = s.latency_ms if s else None
    if format == "json":
        body = {"suggestion": s.text if s else "", "latency_ms": latency, "errors": messages}
        out.print_json(json.dumps({**body, "request": request.to_json()}))
    else:
        for m in messages:
            err.print(f"[yellow]{m}[/yellow]")
        if s:
            print(s.text)
        files = len(request.context)
        where = f"{request.path} ({request.language}), {files} context snippet{'s' * (files != 1)}"
        err.print(f"{latency:.0f} ms; {where}" if s else f"no suggestion; {where}")
    if messages:
        raise typer.Exit(1)


@app.command()
def doctor(
    workspace: Annotated[Path, typer.Option(help="Workspace whose .hotwire-assist.toml applies.")] = Path("."),
    format: FormatOpt = "text",
) -> None:
    """Check configuration, the backend, the model and its FIM tokens.

    Example: hotwire-assist doctor --format json
    """
    from hotwire_assist.cli.doctor import run_doctor

    report = run_doctor(_config(workspace), workspace)
    if format == "json":
        out.print_json(json.dumps(report))
    else:
        for check in report["checks"]:
            mark = "[green]ok[/green]" if check["ok"] else "[red]FAIL[/red]"
            out.print(f"{mark}  {escape(check['name'])}: {escape(check['detail'])}")  # details hold [extra] names
            if check.get("fix") and not check["ok"]:
                out.print(f"      fix: {escape(check['fix'])}")
    if not report["ok"]:
        raise typer.Exit(1)


@model_app.command("build-default")
def build_default(
    recipe: Annotated[str, typer.Option(help="default (minutes) or tiny (seconds, for tests)")] = "default",
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for model.gguf, hf/, train.json")] = None,
    corpus: Annotated[Path | None, typer.Option(help="Source tree to train on (default: the starter corpus)")] = None,
    steps: Annotated[int | None, typer.Option(help="Override the recipe's training steps")] = None,
    curated: Annotated[
        bool, typer.Option(help="Train on the curated examples and pairs too (as the shipped model is)")
    ] = True,
    quant: Annotated[str, typer.Option(help="GGUF weights: f32 or f16 (the shipped model is f16)")] = "f16",
    threads: Annotated[int, typer.Option(help="torch threads (0 = torch's default); 1 is fastest on a busy CPU")] = 0,
) -> None:
    """Train the embedded default model from scratch and export it to GGUF.

    The package ships this recipe's output (training/default_model/), so nobody needs to run it to
    get suggestions; it rebuilds the shipped model, or a variant of it, from the recipe.

    Example: hotwire-assist model build-default --recipe tiny --out /tmp/tiny
    """
    import dataclasses

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    try:
        from hotwire_assist.training.corpus import load_sources, starter_corpus_dir
        from hotwire_assist.training.dataset import curated_files, curated_pairs
        from hotwire_assist.training.tiny_model import RECIPES, build_model
    except ImportError as e:
        err.print(f"training {install_hint('train')} ({e})", style="red", markup=False)
        raise typer.Exit(2) from None
    from hotwire_assist.core.prompt import get_family

    if recipe not in RECIPES:
        err.print(f"[red]unknown recipe '{recipe}' (known: {', '.join(RECIPES)})[/red]")
        raise typer.Exit(2)
    if quant not in ("f32", "f16"):
        err.print(f"[red]unknown quant '{quant}' (known: f32, f16)[/red]")
        raise typer.Exit(2)
    r = RECIPES[recipe] if steps is None else dataclasses.replace(RECIPES[recipe], steps=steps)
    if threads:
        import torch

        torch.set_num_threads(threads)
    target = out_dir or default_model_dir()
    sources = load_sources(corpus or starter_corpus_dir())
    examples = curated_files() if curated else []
    pairs = [curated_pairs()] if curated and curated_pairs().is_file() else []
    context_examples = curated_pairs().parent if curated else None
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("training", total=r.steps)
        info = build_model(
            sources,
            get_family("hotwire-tiny"),
            target,
            r,
            lambda msg, done, total: bar.update(task, description=msg, completed=done),
            examples=examples,
            pairs=pairs,
            context_examples=context_examples,
            quant=quant,
        )
    info["held_out_ghost_text"] = _ghost_text_figures(target / "model.gguf", sources)
    (target / "train.json").write_text(json.dumps(info, indent=2))
    out.print_json(json.dumps(info))


def _ghost_text_figures(gguf: Path, sources: list) -> dict:
    """The built model's own ghost text on evaluation's FIM holes in the held-out files (what `model adapt`
    scores with), through llama.cpp with the server's prompt; {} without the [eval] extra."""
    try:
        from hotwire_assist.cli.adapt import held_out_tasks, score_model
        from hotwire_assist.core.config import Config
        from hotwire_assist.training.corpus import is_held_out
    except ImportError:
        return {}
    held = [s for s in sources if is_held_out(s.path + s.text[:64])]
    score = score_model(gguf, held_out_tasks(held, per_file=4), Config())
    return {k: score[k] for k in ("holes", "exact_match", "edit_similarity", "marker_holes", "seconds")}


@app.command()
def quickstart(
    app_dir: Annotated[Path, typer.Argument(help="A Rails app with a quickstart.json")] = Path("examples/todo_app"),
) -> None:
    """Drive the real server over stdio at the app's marked positions and print the suggestions.

    Example: hotwire-assist quickstart examples/todo_app
    """
    from hotwire_assist.cli.quickstart import run_quickstart
    from hotwire_assist.core.config import embedded_model_dir

    if not (embedded_model_dir() / "model.gguf").exists() and not _config(app_dir).model.path:
        err.print("No model yet (the package ships one; is the install complete?): building the embedded default.")
        build_default(recipe="default", out_dir=None, corpus=None, steps=None, curated=True, quant="f16", threads=0)
    raise typer.Exit(run_quickstart(app_dir, out))


if __name__ == "__main__":
    app()
