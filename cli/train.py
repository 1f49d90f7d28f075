"""`hotwire-assist train …`: LoRA fine-tuning and export. Registered by cli/main.py as `train`.

Imports of torch/transformers stay inside the commands, so `hotwire-assist --help` never needs them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

train_app = typer.Typer(help="Fine-tune a base model with LoRA and export it for the backends.", no_args_is_help=True)
out = Console()
err = Console(stderr=True, soft_wrap=True)


def _report(info: dict, out_dir: Path) -> None:
    b, a = info["before"], info["after"]
    out.print(f"adapter saved to {out_dir} ({info['items']['train']} items, {info['tokens_per_second']:.0f} tok/s)")
    if info["resumed_from"]:
        out.print(f"resumed from {info['resumed_from']}")
    out.print(f"target loss (train): {b['train_loss']} → {a['train_loss']}")
    out.print(f"target loss (held-out): {b['held_out_loss']} → {a['held_out_loss']}")
    if info["dropped"]:
        out.print(f"dropped {len(info['dropped'])} item(s) by the rules-engine screen; see train.json")
    for problem in info["skipped_lines"]:
        err.print(f"[yellow]skipped malformed line[/yellow] {escape(problem)}")


def _run(base: str, out_dir: Path, cfg, spec, resume: bool, restart: bool = False) -> None:
    from hotwire_assist.core.schemas import DatasetError
    from hotwire_assist.training.finetune import finetune

    try:
        info = finetune(base, out_dir, cfg, spec, resume=resume, restart=restart)
    except (DatasetError, ValueError, FileNotFoundError, OSError) as e:
        err.print(f"[red]fine-tuning failed:[/red] {escape(str(e))}")
        raise typer.Exit(1) from None
    _report(info, out_dir)


@train_app.command("run")
def run_command(
    config: Annotated[Path, typer.Argument(help="A TOML run file (base, output, data, [train], [[curriculum]]).")],
    resume: Annotated[bool, typer.Option(help="Resume from the output's last checkpoint if there is one.")] = True,
    restart: Annotated[
        bool, typer.Option("--restart", help="Discard the output's checkpoints and start over (data changed).")
    ] = False,
) -> None:
    """Fine-tune as a run file says; rerunning an interrupted run resumes from its last checkpoint (refused
    when the data or configuration changed since: use --restart). Data globs may match pairs files: each
    file is read by its own schema.

    Example (examples/train.toml, a tiny run on the curated set and the embedded model's base):

    \b
        hotwire-assist train run examples/train.toml
    """
    from hotwire_assist.training.finetune import load_run_config

    try:
        base, out_dir, cfg, spec = load_run_config(config)
    except (ValueError, TypeError) as e:
        err.print(f"[red]bad run file:[/red] {escape(str(e))}")
        raise typer.Exit(2) from None
    for note in spec.notes:
        err.print(f"[yellow]{escape(note)}[/yellow]")
    _run(base, out_dir, cfg, spec, resume, restart)


@train_app.command("finetune")
def finetune_command(
    base_dir: Annotated[str, typer.Argument(help="Base model: a Hugging Face folder or hub name, with tokenizer.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where the adapter and train.json go.")],
    data: Annotated[list[Path], typer.Option("--data", help="Example JSONL file (repeatable).")] = [],  # noqa: B006
    source: Annotated[
        list[Path], typer.Option("--source", help="Source tree to cut FIM holes from (repeatable).")
    ] = [],  # noqa: B006
    negative: Annotated[
        list[Path], typer.Option("--negative", help="JSONL of anti-pattern examples, trained against (unlikelihood).")
    ] = [],  # noqa: B006
    pairs: Annotated[
        list[Path], typer.Option("--pairs", help="JSONL of preference pairs (chosen learned, rejected penalised).")
    ] = [],  # noqa: B006
    family: Annotated[str, typer.Option("--family", help="Prompt family of the base.")] = "hotwire-tiny",
    steps: Annotated[int, typer.Option("--steps", min=1)] = 200,
    rank: Annotated[int, typer.Option("--rank", min=1, help="LoRA rank.")] = 8,
    alpha: Annotated[int | None, typer.Option("--alpha", help="LoRA alpha (default 2 × rank).")] = None,
    lr: Annotated[float, typer.Option("--lr")] = 2e-4,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Items per micro-batch.")] = 8,
    grad_accum: Annotated[int, typer.Option("--grad-accum", min=1)] = 1,
    target_modules: Annotated[
        str, typer.Option("--target-modules", help="Comma-separated module names LoRA adapts.")
    ] = "q_proj,k_proj,v_proj,o_proj",
    max_len: Annotated[int, typer.Option("--max-len", min=16, help="Tokens per example.")] = 1024,
    packing: Annotated[bool, typer.Option(help="Pack each micro-batch into one row (no padding).")] = True,
    skip_bad_lines: Annotated[
        bool, typer.Option("--skip-bad-lines", help="Skip and report malformed JSONL lines instead of failing.")
    ] = False,
    save_steps: Annotated[int, typer.Option("--save-steps", min=1, help="Checkpoint every N steps.")] = 50,
    resume: Annotated[bool, typer.Option(help="Resume from the output's last checkpoint if there is one.")] = True,
    restart: Annotated[
        bool, typer.Option("--restart", help="Discard the output's checkpoints and start over (data changed).")
    ] = False,
    seed: Annotated[int, typer.Option("--seed")] = 1234,
) -> None:
    """Train a LoRA adapter on Example/pair JSONL files and/or source trees (`train run` takes a run file).

    Example:

    \b
        hotwire-assist train finetune ~/models/qwen2.5-coder-1.5b --family qwen2.5-coder \\
            --data training/curated/turbo.jsonl --source ~/src/my_rails_app --out runs/lora1 --steps 300 --rank 16
    """
    from hotwire_assist.training.finetune import DataSpec, FinetuneConfig

    if not data and not source and not pairs:
        err.print("[red]nothing to train on:[/red] give --data FILE.jsonl, --pairs FILE.jsonl and/or --source DIR")
        raise typer.Exit(2)
    cfg = FinetuneConfig(
        family=family,
        steps=steps,
        batch=batch,
        grad_accum=grad_accum,
        lr=lr,
        rank=rank,
        alpha=alpha or 2 * rank,
        target_modules=tuple(m.strip() for m in target_modules.split(",") if m.strip()),
        max_len=max_len,
        packing=packing,
        skip_bad_lines=skip_bad_lines,
        save_steps=save_steps,
        seed=seed,
    )
    _run(base_dir, out_dir, cfg, DataSpec(data, source, negative, pairs), resume, restart)


@train_app.command("export")
def export_command(
    base_dir: Annotated[
        str, typer.Argument(help='The base model folder the adapter was trained on ("default": the embedded one).')
    ],
    adapter_dir: Annotated[Path, typer.Argument(help="The adapter folder from `train finetune`.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where hf/, model.gguf, adapter.gguf and Modelfile go.")],
    family: Annotated[str | None, typer.Option("--family", help="Prompt family (default: as trained).")] = None,
    name: Annotated[str, typer.Option("--name", help="Model name written into the GGUF.")] = "hotwire-assist",
    quant: Annotated[str, typer.Option("--quant", help="f32, f16 or q8_0 (k-quants: llama.cpp's quantize).")] = "f32",
    ollama_name: Annotated[
        str | None, typer.Option("--ollama-name", help="Run `ollama create NAME` when Ollama is installed.")
    ] = "hotwire-assist",
) -> None:
    """Merge the adapter into the base, write GGUF (llama.cpp), a GGUF LoRA and an Ollama Modelfile.

    Example:

    \b
        hotwire-assist train export ~/models/base runs/lora1 --out runs/lora1/export
        ollama create hotwire-lora -f runs/lora1/export/Modelfile
    """
    from hotwire_assist.core.prompt import get_family
    from hotwire_assist.training.export import export_merged
    from hotwire_assist.training.finetune import resolve_base

    try:
        base_path = Path(resolve_base(base_dir))
    except ValueError as e:
        err.print(f"[red]export failed:[/red] {escape(str(e))}")
        raise typer.Exit(1) from None
    if family is None:
        train_json = adapter_dir / "train.json"
        family = json.loads(train_json.read_text())["family"] if train_json.is_file() else "hotwire-tiny"
    try:
        paths = export_merged(base_path, adapter_dir, out_dir, get_family(family), name=name, quant=quant)
    except (ValueError, OSError) as e:
        err.print(f"[red]export failed:[/red] {e}")
        raise typer.Exit(1) from None
    for what, path in paths.items():
        out.print(f"{what}: {path}")
    ollama = shutil.which("ollama")
    if ollama and ollama_name:
        done = subprocess.run(
            [ollama, "create", ollama_name, "-f", str(paths["modelfile"])], capture_output=True, text=True
        )
        if done.returncode != 0:
            err.print(f"[red]`ollama create` failed:[/red] {escape(done.stderr.strip() or done.stdout.strip())}")
            raise typer.Exit(1)
        out.print(f'ollama model: {ollama_name} (set model.backend = "ollama", model.name = "{ollama_name}")')
    elif ollama_name:
        out.print(f"Ollama not found: later, run `ollama create {ollama_name} -f {paths['modelfile']}`")
