"""Load benchmark: a fast typist in several files for a few minutes against `hotwire-assist serve`.

Prints peak RSS over the run (sampled), stale answers, and the server's internal sizes at the end.
The model is a local fake OpenAI-compatible server (50 ms per chunk), so the figures measure the server.

    python benchmarks/bench_load.py --seconds 180
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "tests")]

from hardening.conftest import fake_backend_env, start_server  # noqa: E402
from hardening.fake_model import FakeModelServer  # noqa: E402
from hardening.load import Doc, type_for  # noqa: E402


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=180)
    ap.add_argument("--files", type=int, default=5)
    args = ap.parse_args()
    fake = FakeModelServer(reply="ZZZ", delay_s=0.05)
    fake.mode = "slow"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "Gemfile").write_text('gem "rails"\n')
        lsp = start_server(fake_backend_env(root, fake.url, completion_debounce_ms="20"), root)
        samples: list[int] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.5):
                samples.append(rss_kb(lsp.proc.pid))

        threading.Thread(target=sample, daemon=True).start()
        try:
            docs = [Doc(lsp, (root / f"app/views/v{i}.html.erb").as_uri(), "<div>") for i in range(args.files)]
            start_rss = rss_kb(lsp.proc.pid)
            result = type_for(lsp, docs, args.seconds)
            done.set()
            state = lsp.request("i", "hotwire-assist/internals", None)["result"]
        finally:
            lsp.__exit__()
            fake.stop()
    print(f"typed for {args.seconds:g} s in {args.files} files: {result.keystrokes} keystrokes")
    print(f"answered {result.answered}, unanswered {result.unanswered}, suggestions {result.suggestions}")
    print(f"stale answers: {result.stale}")
    print(
        f"RSS: start {start_rss / 1024:.1f} MiB, peak {max(samples, default=0) / 1024:.1f} MiB, "
        f"end {samples[-1] / 1024 if samples else 0:.1f} MiB"
    )
    print("server internals at the end:", state)


if __name__ == "__main__":
    main()
