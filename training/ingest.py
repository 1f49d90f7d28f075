"""Telemetry → dataset: the feedback loop's last step (`hotwire-assist data ingest-telemetry`).

Per suggestion (events grouped by id, `code` level only — events without code teach nothing):
- accepted and still there after the survival checks (share ≥ `min_survival` at the latest check):
  a positive FIM example whose target is what the region holds *now* (the user-edited text);
- dismissed (`rejected`): a PreferencePair with only the rejected side, penalised in training;
- accepted, then corrected (the region now differs from the suggestion): a PreferencePair, chosen = what
  the developer kept, rejected = the suggestion (accepted then deleted: a rejected-only pair) — the
  clearest signal telemetry gives, kept even when the rewrite was too large for a positive example;
- ignored / partial / shown-only: kept as events, not used (ignoring is a weak signal).
The reconstructed file (prefix + target + suffix) must pass the rules engine (no error) for a positive;
positives and pairs are deduplicated against each other and against the existing dataset (core.dedupe);
one developer's share of the resulting dataset is capped; every record names its provenance.
Input: the local store and/or export bundles (core.telemetry.read_bundle documents the format).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hotwire_assist.core.dedupe import NearDuplicateIndex
from hotwire_assist.core.privacy import gate_event
from hotwire_assist.core.schemas import Example, PreferencePair, TelemetryEvent
from hotwire_assist.training.dataset import dedupe_text, infer_category

LICENSE = "contributed-by-user"  # the developer opted in to `code` telemetry for their own use


@dataclass
class Ingested:
    examples: list[Example] = field(default_factory=list)
    pairs: list[PreferencePair] = field(default_factory=list)
    # why suggestions were not used, counted
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _suggestions(events: Iterable[TelemetryEvent]) -> dict[str, list[TelemetryEvent]]:
    by_id: dict[str, list[TelemetryEvent]] = defaultdict(list)
    for e in events:
        by_id[e.suggestion_id].append(e)
    return {sid: sorted(evs, key=lambda e: e.ts) for sid, evs in by_id.items()}


def _code_event(evs: list[TelemetryEvent]) -> TelemetryEvent | None:
    return next((e for e in evs if e.suggestion and e.path), None)


def _passes_rules(path: str, text: str) -> bool:
    from hotwire_assist.core.rules import check_source

    return not any(f.severity == "error" for f in check_source(path, text))


def _pair(code: TelemetryEvent, id: str, rejected: str, chosen: str = "") -> PreferencePair:
    """A FIM pair at the suggestion's place; its source is the suggestion (ids may add `:corrected`)."""
    return PreferencePair(
        id=id,
        kind="fim",
        path=code.path,
        prefix=code.prefix,
        suffix=code.suffix,
        chosen=chosen,
        rejected=rejected,
        category=infer_category(code.path, code.prefix + (chosen or rejected) + code.suffix),
        source=id.removesuffix(":corrected").removesuffix(":deleted"),
        license=LICENSE,
    )


def from_events(developer: str, events: Iterable[TelemetryEvent], min_survival: float = 0.5) -> Ingested:
    """Examples and pairs from one developer's events (before dedupe and the share cap)."""
    out = Ingested()
    events = (gate_event(e) for e in events)  # a bundle from elsewhere may predate today's redaction
    for sid, evs in _suggestions(events).items():
        kinds = {e.kind for e in evs}
        code = _code_event(evs)
        if "accepted" not in kinds and "rejected" not in kinds:
            out.skipped["not accepted or dismissed (ignored, partial or pending)"] += 1
            continue
        if code is None:
            out.skipped["no code (events level)"] += 1
            continue
        source = f"telemetry:{developer}:{sid}"

        if "rejected" in kinds:
            out.pairs.append(_pair(code, source, code.suggestion))
            continue
        checks = [e for e in evs if e.kind == "survival" and e.survival is not None]
        if not checks:
            out.skipped["accepted, survival not yet measured"] += 1
            continue
        last = max(checks, key=lambda e: e.age_s or 0.0)
        target = last.surviving if last.surviving.strip() else ""
        corrected = target.strip() != code.suggestion.strip()
        clean = bool(target) and _passes_rules(code.path, code.prefix + target + code.suffix)
        if corrected:  # accepted, then changed: what the developer wrote beats what was suggested
            if not target:
                out.pairs.append(_pair(code, f"{source}:deleted", code.suggestion))  # accepted, then deleted
            elif clean:
                out.pairs.append(_pair(code, f"{source}:corrected", code.suggestion, target))
            else:
                out.skipped["correction fails the rules engine"] += 1
        if last.survival < min_survival or not target:  # type: ignore[operator]
            out.skipped["accepted, then mostly rewritten (kept as a pair)"] += 1
            continue
        if not clean:
            out.skipped["reconstructed file fails the rules engine"] += 1
            continue
        out.examples.append(
            Example(
                id=source,
                kind="fim",
                path=code.path,
                prefix=code.prefix,
                middle=target,
                suffix=code.suffix,
                category=infer_category(code.path, code.prefix + target + code.suffix),
                source=source,
                license=LICENSE,
            )
        )
    return out


def cap_share(by_developer: dict[str, list], others: int, max_share: float) -> dict[str, list]:
    """Keep each developer's records within `max_share` of the final dataset (others + kept records);
    the newest records of a developer are kept (lists are in time order)."""
    if max_share >= 1.0:
        return by_developer
    counts = {d: len(v) for d, v in by_developer.items()}
    while True:
        total = others + sum(counts.values())
        cap = max(1, math.floor(max_share * total))
        over = {d: n for d, n in counts.items() if n > cap}
        if not over:
            break
        for d in over:
            counts[d] = cap
    return {d: v[len(v) - counts[d] :] for d, v in by_developer.items()}


def _seen(records: Iterable[Example | PreferencePair]) -> tuple[NearDuplicateIndex, int]:
    """An index of the dataset new records join, and its size (what a developer's share is taken of)."""
    index, count = NearDuplicateIndex(), 0
    for rec in records:
        count += 1
        if rec.id not in index:
            index.add(rec.id, dedupe_text(rec))
    return index, count


def ingest(
    bundles: Sequence[tuple[str, list[TelemetryEvent]]],
    existing: Iterable[Example] = (),
    min_survival: float = 0.5,
    max_share: float = 0.25,
    existing_pairs: Iterable[PreferencePair] = (),
) -> Ingested:
    """All developers' events → examples and pairs, deduplicated against the datasets they join
    (`existing`, `existing_pairs`) and capped to `max_share` of each."""
    index, others = _seen(existing)
    pair_index, other_pairs = _seen(existing_pairs)
    out = Ingested()
    examples: dict[str, list[Example]] = defaultdict(list)
    pairs: dict[str, list[PreferencePair]] = defaultdict(list)
    for developer, events in bundles:
        got = from_events(developer, events, min_survival)
        for why, n in got.skipped.items():
            out.skipped[why] += n
        for rec, seen, bucket in [
            *((e, index, examples) for e in got.examples),
            *((p, pair_index, pairs) for p in got.pairs),
        ]:
            if rec.id in seen or seen.add_if_new(rec.id, dedupe_text(rec)) is not None:
                out.skipped["near-duplicate of an existing example"] += 1
            else:
                bucket[developer].append(rec)
    capped = cap_share(examples, others, max_share)
    out.skipped["over the developer's share cap"] += sum(len(examples[d]) - len(capped[d]) for d in examples)
    out.examples = [e for d in capped for e in capped[d]]
    capped_pairs = cap_share(pairs, other_pairs, max_share)
    out.skipped["over the developer's share cap"] += sum(len(pairs[d]) - len(capped_pairs[d]) for d in pairs)
    out.pairs = [p for d in capped_pairs for p in capped_pairs[d]]
    return out
