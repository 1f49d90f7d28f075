"""Statistics for the review summary: a Wilson interval for preference rates and inter-reviewer agreement.

Wilson rather than the normal approximation because panels are small (tens of votes) and rates sit near the
75 % bar, where the normal interval is too narrow and can leave [0, 1].
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from itertools import combinations


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """The Wilson score interval for `successes` out of `trials`; None when there are no trials."""
    if trials == 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"successes ({successes}) must be between 0 and trials ({trials})")
    from scipy.stats import binomtest  # here, not at import: scipy.stats takes seconds to import

    ci = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items: (observed − chance agreement) / (1 − chance).

    None when undefined: no items, or both raters used one and the same label throughout (chance agreement 1).
    """
    if len(a) != len(b):
        raise ValueError("both raters must label the same items")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    labels = set(a) | set(b)
    chance = sum((list(a).count(label) / n) * (list(b).count(label) / n) for label in labels)
    if chance >= 1.0:
        return None
    return (observed - chance) / (1.0 - chance)


def agreement(labels: Mapping[str, Mapping[str, Hashable]], min_shared: int = 1) -> dict:
    """Agreement between reviewers on the items they both labelled (`labels[reviewer][item] = label`).

    Raw agreement pools every shared (reviewer pair, item); kappa is Light's kappa, the mean of the pairwise
    Cohen's kappas that are defined, so reviewers who each saw a different subset still count.
    """
    pairs = []
    agreed = compared = 0
    for r1, r2 in combinations(sorted(labels), 2):
        shared = sorted(set(labels[r1]) & set(labels[r2]))
        if len(shared) < min_shared:
            continue
        a = [labels[r1][i] for i in shared]
        b = [labels[r2][i] for i in shared]
        same = sum(x == y for x, y in zip(a, b, strict=True))
        agreed += same
        compared += len(shared)
        pairs.append(
            {"reviewers": [r1, r2], "shared": len(shared), "agreement": same / len(shared), "kappa": cohen_kappa(a, b)}
        )
    kappas = [p["kappa"] for p in pairs if p["kappa"] is not None]
    return {
        "shared_items": compared,
        "raw_agreement": agreed / compared if compared else None,
        "kappa": sum(kappas) / len(kappas) if kappas else None,
        "pairs": pairs,
    }
