"""Rebuild the embedded default from its recipe and compare it with the one shipped in the package.

    python benchmarks/bench_default_model.py [--threads 1] [--out /tmp/rebuild]

Runs `hotwire-assist model build-default` (the full recipe: about 15 minutes on 2 idle cores) into a temporary
folder and prints the rebuilt and shipped figures side by side: held-out loss (the target: within 5 % of the
shipped model's), held-out ghost-text exact match and edit similarity, build time, data hash (a different
hash means the corpus or curated data changed since the shipped model was built). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    from hotwire_assist.core.config import shipped_model_dir

    shipped = json.loads((shipped_model_dir() / "train.json").read_text())
    out = args.out or Path(tempfile.mkdtemp(prefix="rebuild-default-"))
    cmd = [sys.executable, "-m", "hotwire_assist.cli", "model", "build-default", "--out", str(out)]
    cmd += ["--threads", str(args.threads)] if args.threads else []
    t0 = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    rebuilt = json.loads((out / "train.json").read_text())

    def row(info: dict) -> dict:
        ghost = info.get("held_out_ghost_text", {})
        return {
            "held_out_loss": info["held_out_loss"],
            "ghost_text_exact_match": ghost.get("exact_match"),
            "ghost_text_edit_similarity": ghost.get("edit_similarity"),
            "build_seconds": info["build_seconds"],
            "seconds_per_step": info.get("seconds_per_step"),
            "data_sha256": info.get("data_sha256"),
        }

    loss_delta = rebuilt["held_out_loss"] / shipped["held_out_loss"] - 1
    print(
        json.dumps(
            {
                "shipped": row(shipped),
                "rebuilt": row(rebuilt),
                "held_out_loss_delta": round(loss_delta, 4),
                "within_5_percent": abs(loss_delta) <= 0.05,
                "same_data": shipped.get("data_sha256") == rebuilt.get("data_sha256"),
                "wall_seconds": round(time.time() - t0, 1),
                "rebuilt_at": str(out),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
