"""Telemetry insights: acceptance over time, survival, latency, per file type / Hotwire area / engine, and the
most-rejected suggestions with their rules-engine findings.

Sources are the local store or exported bundles. A store is read through a private copy (SQLite's backup API),
so an older schema is migrated in the copy only and a live store the server is writing is never touched.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from hotwire_assist.core.schemas import TelemetryEvent, describe_validation_error
from hotwire_assist.core.telemetry import MIGRATIONS, TelemetryStore, TelemetryStoreError

SURVIVAL_AGES = (30.0, 120.0, 600.0)
PERCENTILES = (50, 90, 95, 99)
RESOLVED = ("accepted", "partial", "rejected", "ignored")
_SQLITE_MAGIC = b"SQLite format 3\0"
# Which part of Hotwire a suggestion touches, from its code (only the `code` telemetry level records code).
_AREAS = (
    ("turbo-streams", re.compile(r"turbo_stream|<turbo-stream|broadcast_\w+|Turbo\.renderStreamMessage")),
    ("turbo-frames", re.compile(r"turbo_frame|<turbo-frame|data-turbo-frame|turbo_frame_tag")),
    ("stimulus", re.compile(r"data-controller|data-action|-target=|Controller\b|static (targets|values|outlets)")),
)


@dataclass
class TelemetryData:
    events: list[TelemetryEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # sources or lines that could not be read
    notes: list[str] = field(default_factory=list)  # worth knowing, not wrong (an older store schema)


def _event_key(e: TelemetryEvent) -> tuple:
    """An event's identity: the same suggestion, outcome and moment (a store and its own export share it)."""
    return (e.suggestion_id, e.kind, e.ts, e.age_s)


def load_telemetry(sources: Iterable[Path]) -> TelemetryData:
    """Events of every source, each event once: sources that overlap (a store and a bundle exported from
    it, or one bundle given twice) would count events twice, so repeats are dropped with a note."""
    data = TelemetryData()
    seen: set[tuple] = set()
    for source in sources:
        if not source.is_file():
            data.problems.append(f"{source}: no such telemetry store or bundle")
            continue
        with source.open("rb") as f:
            is_db = f.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
        got = TelemetryData()
        (_read_store if is_db else _read_bundle)(source, got)
        data.problems += got.problems
        data.notes += got.notes
        new = []
        for e in got.events:
            key = _event_key(e)
            if key not in seen:
                seen.add(key)
                new.append(e)
        if len(new) < len(got.events):
            data.notes.append(
                f"{source}: {len(got.events) - len(new)} of its {len(got.events)} events were already read from "
                "another source (a store and its own export?); each is counted once"
            )
        data.events += new
    return data


def _read_store(path: Path, data: TelemetryData) -> None:
    with tempfile.TemporaryDirectory(prefix="hotwire-dashboard-") as tmp:
        copy = Path(tmp) / path.name
        try:
            src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            dst = sqlite3.connect(copy)
            try:
                src.backup(dst)
                (version,) = dst.execute("PRAGMA user_version").fetchone()
            finally:
                src.close()
                dst.close()
            if version < len(MIGRATIONS):
                data.notes.append(
                    f"{path}: telemetry schema {version} is older than {len(MIGRATIONS)}; read through a migrated "
                    "copy (the store itself is unchanged)"
                )
            store = TelemetryStore(copy)
            try:
                if store.quarantined:
                    data.problems.append(f"{path}: not a readable telemetry store")
                    return
                data.events += store.events()
            finally:
                store.close()
        except TelemetryStoreError as e:
            data.problems.append(f"{path}: {e}; upgrade hotwire-assist to read it")
        except sqlite3.DatabaseError as e:
            data.problems.append(f"{path}: not a readable telemetry store ({e})")
        except ValidationError as e:
            data.problems.append(f"{path}: holds an event this version cannot read: {describe_validation_error(e)}")


def _read_bundle(path: Path, data: TelemetryData) -> None:
    from hotwire_assist.core.telemetry import BundleError, read_bundle

    try:
        data.events.extend(read_bundle(path, data.problems)[1])  # good lines kept, bad ones named
    except (OSError, UnicodeDecodeError, BundleError) as e:
        data.problems.append(str(e) if isinstance(e, BundleError) else f"{path}: cannot read ({e})")


# --- figures ---------------------------------------------------------------------------------------------------


def _rate(counts: Counter) -> float | None:
    taken = counts["accepted"] + counts["partial"]
    resolved = taken + counts["rejected"] + counts["ignored"]
    return taken / resolved if resolved else None


def _outcomes(events: list[TelemetryEvent]) -> dict[str, Any]:
    counts = Counter(e.kind for e in events)
    return {"shown": counts["shown"], **{k: counts[k] for k in RESOLVED}, "acceptance_rate": _rate(counts)}


def area_of(code: str) -> str:
    """The Hotwire area a suggestion's code touches: turbo-streams, turbo-frames, stimulus or other."""
    return next((name for name, pattern in _AREAS if pattern.search(code)), "other")


def acceptance_over_time(events: list[TelemetryEvent]) -> list[dict[str, Any]]:
    """Resolved suggestions per day (per hour when everything happened within two days), oldest first."""
    resolved = [e for e in events if e.kind in RESOLVED]
    if not resolved:
        return []
    span = max(e.ts for e in resolved) - min(e.ts for e in resolved)
    fmt = "%Y-%m-%d %H:00" if span <= 2 * 86400 else "%Y-%m-%d"
    buckets: dict[str, Counter] = defaultdict(Counter)
    for e in resolved:
        buckets[datetime.fromtimestamp(e.ts, UTC).strftime(fmt)][e.kind] += 1
    return [{"period": p, "resolved": sum(c.values()), "acceptance_rate": _rate(c)} for p, c in sorted(buckets.items())]


def survival_curve(events: list[TelemetryEvent], ages: Iterable[float] = SURVIVAL_AGES) -> list[dict[str, Any]]:
    """Mean share of accepted text still present at each survival age: the configured ages
    (`[telemetry] survival_ages_s`) and any other age the events were measured at (an older setting)."""
    measured = {e.age_s for e in events if e.kind == "survival" and e.age_s is not None}
    out = []
    for age in sorted(set(ages) | measured):
        values = [e.survival for e in events if e.kind == "survival" and e.age_s == age and e.survival is not None]
        out.append({"age_s": age, "n": len(values), "mean": float(np.mean(values)) if values else None})
    return out


def latency_percentiles(events: list[TelemetryEvent]) -> dict[str, float | None]:
    """Latency of shown suggestions (one event per suggestion)."""
    values = [e.latency_ms for e in events if e.kind == "shown" and e.latency_ms is not None]
    got = np.percentile(values, PERCENTILES) if values else [None] * len(PERCENTILES)
    return {
        "n": len(values),
        **{f"p{p}": (float(v) if v is not None else None) for p, v in zip(PERCENTILES, got, strict=True)},
    }


def _grouped(events: list[TelemetryEvent], key) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[TelemetryEvent]] = defaultdict(list)
    for e in events:
        k = key(e)
        if k is not None:
            groups[k].append(e)
    return {k: _outcomes(v) for k, v in sorted(groups.items())}


def rejected_patterns(events: list[TelemetryEvent], top: int = 10) -> list[dict[str, Any]]:
    """The suggestions dismissed most often (same code up to whitespace), with the rules engine's findings on the
    suggested lines in their file context. Empty unless telemetry recorded code."""
    from hotwire_assist.core.rules import check_source

    groups: dict[str, list[TelemetryEvent]] = defaultdict(list)
    for e in events:
        if e.kind == "rejected" and e.suggestion.strip():
            groups[" ".join(e.suggestion.split())].append(e)
    out = []
    for pattern, group in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]:
        e = group[0]
        text = e.prefix + e.suggestion + e.suffix
        first = e.prefix.count("\n") + 1
        last = first + e.suggestion.count("\n")
        findings = check_source(f"suggestion.{e.file_type or 'erb'}", text, external=False)
        out.append(
            {
                "pattern": pattern,
                "suggestion": e.suggestion,
                "count": len(group),
                "file_type": e.file_type,
                "area": area_of(e.suggestion),
                "findings": [
                    {"rule": f.rule, "severity": f.severity, "line": f.line - first + 1, "message": f.message}
                    for f in findings
                    if first <= f.line <= last
                ],
            }
        )
    return out


def configured_survival_ages() -> tuple[float, ...]:
    """`[telemetry] survival_ages_s` of the configuration in effect here (the defaults if it cannot be read)."""
    from hotwire_assist.core.config import ConfigError, load_config

    try:
        return tuple(load_config(Path.cwd()).telemetry.survival_ages_s)
    except (ConfigError, OSError):
        return SURVIVAL_AGES


def compute_insights(data: TelemetryData, survival_ages: Iterable[float] | None = None) -> dict[str, Any]:
    events = data.events
    has_code = any(e.suggestion for e in events)
    code_by_id = {e.suggestion_id: e.suggestion for e in events if e.suggestion}
    return {
        "events": len(events),
        "problems": data.problems,
        "notes": data.notes,
        "first_ts": min((e.ts for e in events), default=None),
        "last_ts": max((e.ts for e in events), default=None),
        "outcomes": _outcomes(events),
        "over_time": acceptance_over_time(events),
        "survival": survival_curve(events, configured_survival_ages() if survival_ages is None else survival_ages),
        "latency_ms": latency_percentiles(events),
        "by_file_type": _grouped(events, lambda e: e.file_type or "unknown"),
        "by_area": _grouped(
            events, lambda e: area_of(code_by_id[e.suggestion_id]) if e.suggestion_id in code_by_id else None
        )
        if has_code
        else {},
        "by_engine": _grouped(events, lambda e: f"{e.backend or '?'} / {e.model or '?'} / {e.prompt_format or '?'}"),
        "by_model": _grouped(events, lambda e: f"{e.model or '?'} · {e.model_sha256[:12] or 'sha256 unknown'}"),
        "rejected_patterns": rejected_patterns(events) if has_code else [],
        "has_code": has_code,
    }
