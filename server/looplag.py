"""Keeping the event loop responsive: one worker thread for CPU-bound work, and a monitor of the loop's lag.

The server must answer (status, cancels, keystrokes) while documents are indexed, checked and offered code
actions. That work is pure Python and tree-sitter, which hold the GIL: run in many threads at once (asyncio's
default executor has up to 6 here), they starve the loop of the GIL — a status request waited 23 s behind a
pile of code-action runs. `cpu_work` runs it all in ONE thread, in order, so the loop competes with a single
thread (the interpreter hands the GIL over every few ms), and work whose document has moved on is skipped.

`LoopMonitor` measures the result: a 10 ms timer and how late it fires. Started on request
(`hotwire-assist/internals` with `{"loop_monitor": true}`) by benchmarks and load tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_CPU = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotwire-cpu")
STALE: Any = object()  # what `cpu_work` returns for work skipped because it was no longer wanted


async def cpu_work(fn: Callable[..., T], *args: Any, wanted: Callable[[], bool] | None = None, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in the server's one CPU worker thread. `wanted()` is asked when its turn comes
    (in the worker): False skips it and returns STALE. A cancelled caller's work is dropped if not started."""

    def run() -> T:
        if wanted is not None and not wanted():
            return STALE
        return fn(*args, **kwargs)

    return await asyncio.get_running_loop().run_in_executor(_CPU, functools.partial(run))


class LoopMonitor:
    def __init__(self, interval_s: float = 0.01, threshold_s: float = 0.05) -> None:
        self.interval_s, self.threshold_s = interval_s, threshold_s
        self.max_lag_s = 0.0
        self.samples = 0
        self.over_threshold = 0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                before = loop.time()
                await asyncio.sleep(self.interval_s)
                lag = loop.time() - before - self.interval_s
                self.samples += 1
                self.max_lag_s = max(self.max_lag_s, lag)
                self.over_threshold += lag > self.threshold_s

    def figures(self) -> dict[str, float | int]:
        return {
            "loop_lag_max_ms": round(self.max_lag_s * 1000, 1),
            "loop_lag_over_50ms": self.over_threshold,
            "loop_lag_samples": self.samples,
        }

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
