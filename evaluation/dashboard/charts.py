"""Charts as inline SVG (matplotlib, Agg): the page needs no script, CDN or network, and the text stays text so
a reader can search it and a test can read the numbers."""

from __future__ import annotations

import io
from typing import Any

from markupsafe import Markup


def _pyplot():
    """matplotlib on first use (it takes seconds to import), headless, with text kept as SVG text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "figure.dpi": 96})
    return plt


def _svg(fig) -> Markup:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    _pyplot().close(fig)
    text = buf.getvalue()
    return Markup(text[text.index("<svg") :])  # our own drawing; labels are escaped by matplotlib


def _fig(title: str):
    fig, ax = _pyplot().subplots(figsize=(5.2, 2.6))
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def acceptance_chart(over_time: list[dict[str, Any]]) -> Markup:
    fig, ax = _fig("Acceptance rate over time")
    points = [p for p in over_time if p["acceptance_rate"] is not None]
    ax.plot([p["period"] for p in points], [100 * p["acceptance_rate"] for p in points], marker="o")
    ax.set_ylim(0, 100)
    ax.set_ylabel("% accepted")
    ax.tick_params(axis="x", labelrotation=30)
    return _svg(fig)


def survival_chart(curve: list[dict[str, Any]]) -> Markup:
    fig, ax = _fig("Survival of accepted text")
    points = [p for p in curve if p["mean"] is not None]

    def label(age: float) -> str:  # any configured age, in the unit that reads best
        return f"{age / 60:g} min" if age >= 60 and age % 60 == 0 else f"{age:g} s"

    ax.plot([label(p["age_s"]) for p in points], [100 * p["mean"] for p in points], marker="o")
    for p in points:
        ax.annotate(
            f"{100 * p['mean']:.0f}%",
            (label(p["age_s"]), 100 * p["mean"]),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
        )
    ax.set_ylim(0, 105)
    ax.set_ylabel("% still present")
    return _svg(fig)


def latency_chart(latency: dict[str, Any]) -> Markup:
    fig, ax = _fig("Latency percentiles (ms)")
    keys = [k for k in latency if k.startswith("p") and latency[k] is not None]
    bars = ax.bar(keys, [latency[k] for k in keys], color="#6a8caf")
    ax.bar_label(bars, fmt="%.0f")
    ax.set_ylabel("ms")
    return _svg(fig)


def rate_bars(title: str, groups: dict[str, dict[str, Any]]) -> Markup:
    """Acceptance rate per group, labelled with how many suggestions were resolved."""
    names = [k for k, v in groups.items() if v["acceptance_rate"] is not None]
    fig, ax = _pyplot().subplots(figsize=(5.2, 0.5 + 0.35 * max(len(names), 1)))
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    bars = ax.barh(names, [100 * groups[n]["acceptance_rate"] for n in names], color="#7aa974")
    ax.bar_label(bars, labels=[f"{100 * groups[n]['acceptance_rate']:.0f}%" for n in names], padding=3)
    ax.set_xlim(0, 110)
    ax.set_xlabel("% accepted")
    return _svg(fig)


def preference_chart(title: str, groups: dict[str, dict[str, Any]], label_a: str) -> Markup:
    """Run A's preference rate per group with its Wilson interval as error bars."""
    names = [k for k, v in groups.items() if v["a_rate"] is not None]
    fig, ax = _pyplot().subplots(figsize=(5.2, 0.6 + 0.35 * max(len(names), 1)))
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    rates = [100 * groups[n]["a_rate"] for n in names]
    low = [r - 100 * groups[n]["ci95"][0] for r, n in zip(rates, names, strict=True)]
    high = [100 * groups[n]["ci95"][1] - r for r, n in zip(rates, names, strict=True)]
    ax.barh(names, rates, xerr=[low, high], color="#c7956d", capsize=3)
    ax.axvline(75, color="#555", linestyle="--", linewidth=1)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"% of decisive votes preferring {label_a}")
    return _svg(fig)
