"""`hotwire-assist train …`: LoRA fine-tuning and export. Registered by cli/main.py as `train`.

Imports of torch/transformers stay inside the commands, so `hotwire-assist --help` never needs them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

train_app = typer.Typer(help="Fine-tune a base model with LoRA and export it for the backends.", no_args_is_help=True)
out = Console()
err = Console(stderr=True, soft_wrap=True)


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
    family: Annotated[str, typer.Option("--family", help="Prompt family of the base.")] = "hotwire-tiny",
    steps: Annotated[int, typer.Option("--steps", min=1)] = 200,
    rank: Annotated[int, typer.Option("--rank", min=1, help="LoRA rank.")] = 8,
    alpha: Annotated[int | None, typer.Option("--alpha", help="LoRA alpha (default 2 × rank).")] = None,
    lr: Annotated[float, typer.Option("--lr")] = 2e-4,
    batch: Annotated[int, typer.Option("--batch", min=1)] = 8,
    grad_accum: Annotated[int, typer.Option("--grad-accum", min=1)] = 1,
    target_modules: Annotated[
        str, typer.Option("--target-modules", help="Comma-separated module names LoRA adapts.")
    ] = "q_proj,k_proj,v_proj,o_proj",
    max_len: Annotated[int, typer.Option("--max-len", min=16, help="Tokens per example.")] = 1024,
    seed: Annotated[int, typer.Option("--seed")] = 1234,
) -> None:
    """Train a LoRA adapter on Example JSONL files and/or source trees.

    Example:

        hotwire-assist train finetune ~/models/qwen2.5-coder-1.5b --family qwen2.5-coder \\
            --data data/curated.jsonl --source ~/src/my_rails_app --out runs/lora1 --steps 300 --rank 16
    """
    from hotwire_assist.core.schemas import DatasetError
    from hotwire_assist.training.finetune import FinetuneConfig, finetune

    if not data and not source:
        err.print("[red]nothing to train on:[/red] give --data FILE.jsonl and/or --source DIR")
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
        seed=seed,
    )
    try:
        info = finetune(base_dir, out_dir, cfg, data=data, sources=source, negative=negative)
    except (DatasetError, ValueError, FileNotFoundError, OSError) as e:
        err.print(f"[red]fine-tuning failed:[/red] {e}")
        raise typer.Exit(1) from None
    b, a = info["before"], info["after"]
    out.print(f"adapter saved to {out_dir} ({info['items']['train']} items, {info['tokens_per_second']:.0f} tok/s)")
    out.print(f"target loss (train): {b['train_loss']} → {a['train_loss']}")
    out.print(f"target loss (held-out): {b['held_out_loss']} → {a['held_out_loss']}")
    if info["dropped"]:
        out.print(f"dropped {len(info['dropped'])} example(s) flagged by the rules engine; see train.json")


@train_app.command("export")
def export_command(
    base_dir: Annotated[Path, typer.Argument(help="The base model folder the adapter was trained on.")],
    adapter_dir: Annotated[Path, typer.Argument(help="The adapter folder from `train finetune`.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where hf/, model.gguf, adapter.gguf and Modelfile go.")],
    family: Annotated[str | None, typer.Option("--family", help="Prompt family (default: as trained).")] = None,
    name: Annotated[str, typer.Option("--name", help="Model name written into the GGUF.")] = "hotwire-assist",
    quant: Annotated[str, typer.Option("--quant", help="f32, f16 or q8_0 (k-quants: llama.cpp's quantize).")] = "f32",
) -> None:
    """Merge the adapter into the base, write GGUF (llama.cpp), a GGUF LoRA and an Ollama Modelfile.

    Example:

        hotwire-assist train export ~/models/base runs/lora1 --out runs/lora1/export
        ollama create hotwire-lora -f runs/lora1/export/Modelfile
    """
    from hotwire_assist.core.prompt import get_family
    from hotwire_assist.training.export import export_merged

    if family is None:
        train_json = adapter_dir / "train.json"
        family = json.loads(train_json.read_text())["family"] if train_json.is_file() else "hotwire-tiny"
    try:
        paths = export_merged(base_dir, adapter_dir, out_dir, get_family(family), name=name, quant=quant)
    except (ValueError, OSError) as e:
        err.print(f"[red]export failed:[/red] {e}")
        raise typer.Exit(1) from None
    for what, path in paths.items():
        out.print(f"{what}: {path}")
