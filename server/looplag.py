"""How long the event loop was blocked: a 10 ms timer and how late it fires.

The server must answer (status, cancels, keystrokes) while documents are indexed and checked; anything that
holds the loop — or the GIL, which a worker thread parsing a big file does — shows up here as lag. Started on
request (`hotwire-assist/internals` with `{"loop_monitor": true}`) by benchmarks and load tests.
"""

from __future__ import annotations

import asyncio
import contextlib


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
