"""Static scoring throughput: 1,000 generated samples (the task references plus known-bad variants)
through the evaluation scorer, with and without the real Ruby syntax check. Target: ≤ 10 s on 2 cores.

Run: python benchmarks/bench_eval.py [N]
"""

from __future__ import annotations

import sys
import time

from hotwire_assist.core.schemas import FileText
from hotwire_assist.evaluation.scoring import Sample, score_batch
from hotwire_assist.evaluation.tasks import read_generation_tasks

BAD = FileText(
    path="app/views/tasks/index.html.erb",
    content='<%= link_to "Delete", task_path(1), method: :delete %>\n<%= raw params[:q] %>\n<input type="text">\n',
)


def samples(n: int) -> list[Sample]:
    tasks = read_generation_tasks()
    out = []
    for i in range(n):
        t = tasks[i % len(tasks)]
        files = list(t.reference) + ([BAD] if i % 2 else [])
        out.append(Sample(files, t.context, t.expectations))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    batch = samples(n)
    score_batch(batch[:5])  # warm the parsers and the Ruby worker
    for ruby in (False, True):
        t0 = time.perf_counter()
        scored = score_batch(batch, ruby=ruby)
        dt = time.perf_counter() - t0
        mean = sum(s.total for s in scored) / len(scored)
        print(f"ruby={'on ' if ruby else 'off'}  {n} samples in {dt:5.2f} s  ({n / dt:6.0f}/s)  mean total {mean:.1f}")


if __name__ == "__main__":
    main()
