"""Throughput of the dynamic Turbo/Stimulus checks: one batch of 200 samples (half streams, half controllers).

Run: python benchmarks/bench_dynamic.py [--samples 200] [--timeout 10]
Prints the Node start-up, samples/s and per-kind median latency; asserts nothing. Needs `npm ci` at the root.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from hotwire_assist.evaluation.dynamic import (
    Action,
    Expectation,
    StimulusSample,
    TurboStreamSample,
    dynamic_available,
    find_node_modules,
    run_dynamic_checks,
)

FIXTURE = '<ul id="messages">' + "".join(f'<li id="m{i}">Message {i}</li>' for i in range(20)) + "</ul>"
ACTIONS = ["append", "prepend", "replace", "update", "remove"]
CONTROLLER = """import { Controller } from "@hotwired/stimulus"

export default class extends Controller {
  static targets = ["count", "list"]
  static values = { step: { type: Number, default: 1 } }

  increment() {
    this.countTarget.textContent = String(Number(this.countTarget.textContent) + this.stepValue)
    this.listTarget.insertAdjacentHTML("beforeend", "<li>tick</li>")
  }
}
"""
VIEW = """<div data-controller="counter" data-counter-step-value="2">
  <span data-counter-target="count">0</span>
  <button data-action="counter#increment">+</button>
  <ul data-counter-target="list"></ul>
</div>"""


def stream_sample(i: int) -> TurboStreamSample:
    action = ACTIONS[i % len(ACTIONS)]
    target = "messages" if action in ("append", "prepend") else f"m{i % 20}"
    content = "" if action == "remove" else f'<template><li id="n{i}">New {i}</li></template>'
    markup = f'<turbo-stream action="{action}" target="{target}">{content}</turbo-stream>'
    expect = [Expectation(selector=f"#m{i % 20}", absent=True)] if action == "remove" else []
    return TurboStreamSample(id=f"stream-{i}", markup=markup, fixture_html=FIXTURE, expect=expect)


def stimulus_sample(i: int) -> StimulusSample:
    return StimulusSample(
        id=f"stimulus-{i}",
        identifier="counter",
        controller_source=CONTROLLER,
        fixture_html=VIEW,
        actions=[Action(selector="button"), Action(selector="button")],
        expect=[Expectation(selector="[data-counter-target=count]", text="4"), Expectation(selector="li", count=2)],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    node_modules = find_node_modules([Path(__file__).parent])
    reason = dynamic_available(node_modules)
    if reason:
        print(f"dynamic checks unavailable: {reason}", file=sys.stderr)
        return 1
    samples = [stream_sample(i) if i % 2 else stimulus_sample(i) for i in range(args.samples)]
    first: list[float] = []
    started = time.perf_counter()
    results = run_dynamic_checks(
        samples,
        timeout_s=args.timeout,
        node_modules=node_modules,
        on_result=lambda _: first.append(time.perf_counter()) if not first else None,
    )
    wall = time.perf_counter() - started
    failed = [r for r in results if not r.ok]
    startup = first[0] - started - results[0].duration_ms / 1000 if first else 0.0
    print(f"{len(samples)} samples in {wall:.2f} s: {len(samples) / wall:.1f} samples/s overall")
    print(f"  start-up (Node + jsdom + libraries): {startup:.2f} s")
    print(f"  steady state: {(len(samples) - 1) / max(wall - (first[0] - started), 1e-9):.1f} samples/s")
    for kind in ("stream", "stimulus"):
        times = [r.duration_ms for r in results if r.id.startswith(kind)]
        print(f"  {kind}: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms per sample")
    print(f"  failed: {len(failed)}" + (f" (first: {failed[0].id}: {failed[0].error})" if failed else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
