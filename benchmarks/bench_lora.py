"""LoRA training throughput: our run (packed micro-batches, the seed curriculum) against a plain
transformers Trainer + peft run of the same config, in the same process, on the curated set's
variable-length items. Prints real (non-padding) tokens/s, the ratio (target ≥ 1.0×) and peak RSS.

    python benchmarks/bench_lora.py [--base DIR] [--steps 30]

Without --base it builds the `tiny` recipe from the starter corpus first (seconds).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import threading
import time
from pathlib import Path

import psutil
import torch


class PeakRss:
    """Peak resident memory while the block runs (sampled every 20 ms)."""

    def __enter__(self):
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        proc = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, proc.memory_info().rss)
            time.sleep(0.02)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def plain_trainer(base: str, items, cfg, out: Path) -> float:
    """The baseline: Trainer's own loss on padded batches, random sampling, no curriculum."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    from hotwire_assist.training.finetune import collate, encode

    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    rows = [encode(tok, it, cfg.max_len) for it in items if not it.negative]
    lora = LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, target_modules=list(cfg.target_modules), task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    tokens = 0

    def collator(batch):
        nonlocal tokens
        b = collate(batch, pad)
        b.pop("ul_labels")
        tokens += int(b["attention_mask"].sum())
        return b

    args = TrainingArguments(
        output_dir=str(out),
        max_steps=cfg.steps,
        per_device_train_batch_size=cfg.batch,
        learning_rate=cfg.lr,
        lr_scheduler_type="cosine",
        seed=cfg.seed,
        save_strategy="no",
        report_to=[],
        disable_tqdm=True,
        remove_unused_columns=False,
        dataloader_pin_memory=False,
        bf16=torch.cuda.is_available() and torch.cuda.is_bf16_supported(),  # the same precision as our run
    )
    trainer = Trainer(model=model, args=args, train_dataset=rows, data_collator=collator)
    t0 = time.time()
    trainer.train()
    return tokens / (time.time() - t0)


def main() -> None:
    from hotwire_assist.core.prompt import get_family
    from hotwire_assist.training.dataset import curated_files
    from hotwire_assist.training.finetune import DataSpec, FinetuneConfig, build_items, finetune

    ap = argparse.ArgumentParser()
    ap.add_argument("--base", help="a Hugging Face model folder (default: build the tiny recipe)")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=8)
    a = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    work = Path(tempfile.mkdtemp(prefix="bench-lora-"))
    base = a.base
    if not base:
        from hotwire_assist.training.corpus import load_sources, starter_corpus_dir
        from hotwire_assist.training.tiny_model import RECIPES, build_model

        build_model(load_sources(starter_corpus_dir()), get_family("hotwire-tiny"), work / "base", RECIPES["tiny"])
        base = str(work / "base" / "hf")
    cfg = FinetuneConfig(steps=a.steps, batch=a.batch, max_len=512, save_steps=10_000)
    spec = DataSpec(data=curated_files())
    items = [it for it in build_items(get_family(cfg.family), cfg, spec)[0] if not it.held_out]
    print(f"base {base}; {len(items)} training items; {a.steps} steps of {a.batch} items; torch {torch.__version__}")

    plain_trainer(base, items, dataclasses.replace(cfg, steps=3), work / "warmup")  # CUDA/kernel start-up, not timed
    with PeakRss() as plain_mem:
        plain_tps = plain_trainer(base, items, cfg, work / "plain")
    with PeakRss() as ours_mem:
        info = finetune(base, work / "ours", cfg, spec, show_progress=False, resume=False)
    ours_tps = info["tokens_per_second"]
    print(f"plain Trainer + peft (padded):   {plain_tps:8.0f} real tok/s   peak RSS {plain_mem.peak / 2**20:7.0f} MiB")
    print(f"hotwire-assist (packed):         {ours_tps:8.0f} real tok/s   peak RSS {ours_mem.peak / 2**20:7.0f} MiB")
    print(f"ratio packed / plain: {ours_tps / plain_tps:.2f}x (target >= 1.0x); device {info['device']}")


if __name__ == "__main__":
    main()
