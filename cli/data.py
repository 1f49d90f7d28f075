"""`hotwire-assist data …`: validate, report, mine and ingest-telemetry. Registered by cli/main.py as `data`.

The commands are thin: the work is in training/dataset.py and training/ingest.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

data_app = typer.Typer(
    help="Curate the training dataset: validate, report, mine, ingest telemetry.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True, soft_wrap=True)
FilesArg = Annotated[
    list[Path] | None, typer.Argument(help="Example JSONL files (default: the curated set shipped with the package).")
]
FormatOpt = Annotated[Literal["table", "json"], typer.Option("--format", help="table or json.")]


def _files(files: list[Path] | None) -> list[Path]:
    from hotwire_assist.training.dataset import curated_files

    paths = files or curated_files()
    missing = [p for p in paths if not p.is_file()]
    if missing or not paths:
        err.print(f"[red]no such dataset file:[/red] {', '.join(map(str, missing)) or '(the curated set is empty)'}")
        raise typer.Exit(2)
    return paths


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
    )


@data_app.command("validate")
def validate_command(
    files: FilesArg = None,
    external: Annotated[bool, typer.Option(help="Also run Ruby/ERB syntax and herb-lint checks.")] = True,
    format: FormatOpt = "table",
) -> None:
    """Check every line against the schema (a pairs file against the pair schema), every example's code and
    each pair's chosen side with the rules engine, and near-duplicates (sibling holes of one file excepted).
    Exits 1 when a line is malformed, an example has an error-level finding, or two examples nearly match.

    Example: hotwire-assist data validate training/curated/turbo.jsonl
    """
    from hotwire_assist.training.dataset import curated_pairs, validate

    paths = _files(files) if files else [*_files(None), curated_pairs()]  # the curated set: examples and pairs
    with _progress() as progress:
        result = validate(paths, external=external, progress=progress)
    if format == "json":
        out.print_json(
            data={
                "ok": result.ok,
                "examples": result.examples,
                "pairs": result.pairs,
                "held_out": result.held_out,
                "bad_lines": result.bad_lines,
                "errors": result.errors,
                "findings": result.findings,
                "near_duplicates": [list(d) for d in result.duplicates],
            }
        )
    else:
        for line in result.bad_lines:
            out.print(f"[red]bad line[/red] {escape(line)}")
        for ex_id, findings in result.findings.items():
            for f in findings:
                out.print(f"{escape(ex_id)}: {escape(f)}")
        for a, b in result.duplicates:
            out.print(f"[yellow]near-duplicate[/yellow] {escape(a)} ≈ {escape(b)}")
        verdict = "[green]valid[/green]" if result.ok else "[red]invalid[/red]"
        out.print(
            f"{verdict}: {result.examples} examples, {result.pairs} pairs ({result.held_out} held out), "
            f"{len(result.bad_lines)} bad lines, "
            f"{result.errors} error findings, {len(result.duplicates)} near-duplicates"
        )
    raise typer.Exit(0 if result.ok else 1)


@data_app.command("report")
def report_command(files: FilesArg = None, format: FormatOpt = "table") -> None:
    """The bias report: category balance, client-side JS vs server-side share, security and accessibility
    coverage, duplicates. `--format json` prints one object with `total` and `by_category` (counts).

    Example: hotwire-assist data report --format json
    """
    from hotwire_assist.training.dataset import report

    paths = _files(files)
    # The near-duplicate search takes seconds on the curated set: say what runs (a spinner on a terminal).
    err.print(f"data report: {len(paths)} file(s), finding near-duplicates…", markup=False)
    with err.status("reading examples, finding near-duplicates…"):
        r = report(paths)
    if format == "json":
        out.print_json(data=r)
        return
    table = Table(title=f"{r['total']} examples by category")
    table.add_column("category")
    table.add_column("examples", justify="right")
    for cat, n in r["by_category"].items():
        mark = " [yellow](under-represented)[/yellow]" if cat in r["underrepresented"] else ""
        table.add_row(escape(cat) + mark, str(n))
    for cat in r["missing_categories"]:
        table.add_row(f"[red]{cat} (missing)[/red]", "0")
    out.print(table)
    out.print(
        f"client-side JS: {r['client_js_share']:.0%} of code lines, {r['client_heavy_examples']} "
        f"JS-heavy examples, {r['client_side_fetch_examples']} with hand-written fetch/DOM updates"
    )
    out.print(
        f"security coverage {r['security_coverage']:.0%}, accessibility coverage {r['accessibility_coverage']:.0%}"
    )
    out.print(f"held out {r['held_out']}, near-duplicates {len(r['near_duplicates'])}, bad lines {len(r['bad_lines'])}")


@data_app.command("mine")
def mine_command(
    path: Annotated[Path, typer.Argument(help="A local Rails app (its repository root).")],
    out_file: Annotated[Path, typer.Option("--out", help="JSONL file to write the mined FIM examples to.")],
    against: Annotated[
        list[Path] | None, typer.Option("--against", help="Dataset files to dedupe against (default: curated set).")
    ] = None,
    holes: Annotated[int, typer.Option("--holes", min=1, help="FIM holes cut per file.")] = 3,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Extract FIM examples from a Rails app's views, stream templates, controllers, models and Stimulus
    controllers; only files the rules engine passes, near-duplicates dropped, provenance and license kept.

    Example: hotwire-assist data mine ~/src/my_app --out data/my_app.jsonl
    """
    from hotwire_assist.core.schemas import DatasetError, read_examples, write_examples
    from hotwire_assist.training.dataset import mine

    try:
        existing = [ex for p in _files(against) for ex in read_examples(p)]
        with _progress() as progress:
            result = mine(path, holes, existing, seed, progress)
    except (DatasetError, FileNotFoundError, OSError) as e:
        err.print(f"[red]mining failed:[/red] {escape(str(e))}")
        raise typer.Exit(1) from None
    out_file.parent.mkdir(parents=True, exist_ok=True)
    write_examples(out_file, result.examples)
    for rel, rules in sorted(result.files_rejected.items()):
        out.print(f"[yellow]rejected[/yellow] {escape(rel)}: {escape(', '.join(rules))}")
    out.print(
        f"{len(result.examples)} examples from {result.files_seen - len(result.files_rejected) - result.duplicates} "
        f"files written to {out_file}; {len(result.files_rejected)} files rejected (error-level rules-engine "
        f"findings, listed above), {result.duplicates} were near-duplicates"
    )
    if result.examples and result.examples[0].license == "unknown":
        err.print("[yellow]no LICENSE file found: the examples' license is 'unknown'[/yellow]")


@data_app.command("ingest-telemetry")
def ingest_command(
    bundles: Annotated[
        list[Path] | None, typer.Argument(help="Export bundles (default: this machine's telemetry store).")
    ] = None,
    out_file: Annotated[Path, typer.Option("--out", help="JSONL for the positive FIM examples.")] = Path(
        "telemetry-examples.jsonl"
    ),
    pairs_file: Annotated[Path, typer.Option("--pairs-out", help="JSONL for dismissed suggestions (pairs).")] = Path(
        "telemetry-pairs.jsonl"
    ),
    against: Annotated[
        list[Path] | None, typer.Option("--against", help="Dataset files to dedupe against (default: curated set).")
    ] = None,
    min_survival: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share still present at the last check.")] = 0.5,
    max_share: Annotated[float, typer.Option(min=0.0, max=1.0, help="Cap on one developer's share.")] = 0.25,
) -> None:
    """Accepted suggestions that survived become FIM examples (the user-edited text is the target);
    dismissed ones become preference pairs for the training loss. Rules-checked, deduplicated, capped.

    Example: hotwire-assist data ingest-telemetry alice.jsonl bob.jsonl --out tel.jsonl --pairs-out tel-pairs.jsonl
    """
    from hotwire_assist.core.schemas import DatasetError, read_examples, read_pairs, write_examples
    from hotwire_assist.core.telemetry import BundleError, TelemetryStore, default_store_path, developer_id, read_bundle
    from hotwire_assist.training.dataset import curated_pairs
    from hotwire_assist.training.ingest import ingest

    try:
        if bundles:
            sources = [read_bundle(b) for b in bundles]
        elif default_store_path().is_file():
            with TelemetryStore() as store:
                sources = [(developer_id(), store.events())]
        else:
            err.print("[red]no telemetry store on this machine[/red] (enable telemetry, or give export bundles)")
            raise typer.Exit(2)
        existing = [ex for p in _files(against) for ex in read_examples(p)]
        existing_pairs = list(read_pairs(curated_pairs()))
    except (BundleError, DatasetError, OSError) as e:
        err.print(f"[red]cannot read:[/red] {escape(str(e))}")
        raise typer.Exit(1) from None
    result = ingest(sources, existing, min_survival, max_share, existing_pairs)
    for path, records in ((out_file, result.examples), (pairs_file, result.pairs)):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_examples(path, records)
    out.print(f"{len(result.examples)} examples → {out_file}, {len(result.pairs)} pairs → {pairs_file}")
    for why, n in sorted(result.skipped.items()):
        if n:
            out.print(f"  not used: {n} ({why})")
