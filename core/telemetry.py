"""The telemetry store: a small, bounded, versioned SQLite file; every event passes the privacy gate
(core.privacy.gate_event) on its way in and out.

The server writes it (through a background writer), training and the CLI read it. Nothing here
decides *whether* to record; the caller checks consent, so a disabled install never creates the file.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hotwire_assist.core.config import data_dir
from hotwire_assist.core.privacy import gate_event, redact  # noqa: F401  (redact: re-exported)
from hotwire_assist.core.schemas import TelemetryEvent, describe_validation_error

log = logging.getLogger(__name__)

# Every redaction marker starts so: `[REDACTED:aws-secret]` (core.secrets).
REDACTED = "[REDACTED"
STORE_FILE = "telemetry.sqlite3"
BUNDLE_FORMAT = "hotwire-assist-telemetry"
BUNDLE_VERSION = 1
DEFAULT_MAX_EVENTS = 200_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def default_store_path() -> Path:
    return data_dir() / STORE_FILE


# Each entry moves the schema from version i to i + 1; never edit a released one, append.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        kind TEXT NOT NULL,
        suggestion_id TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX events_ts ON events (ts);
    """,
]


class TelemetryStoreError(RuntimeError):
    """The store cannot be used (e.g. written by a newer hotwire-assist)."""


class TelemetryStore:
    """Events in SQLite (WAL), newest kept within `max_events` and `max_bytes` of event JSON.

    A file that is not a readable database is moved aside (`<name>.corrupt-<time>`) and a fresh
    store started, with an error logged and `quarantined` set, so nothing is lost silently.
    """

    def __init__(
        self,
        path: Path | None = None,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        prune_every: int = 100,
    ) -> None:
        self.path = Path(path) if path else default_store_path()
        self.max_events, self.max_bytes, self.prune_every = max_events, max_bytes, prune_every
        self.quarantined: Path | None = None
        self._since_prune = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as e:
            self.quarantined = self._move_aside()
            log.error(
                "telemetry store %s is corrupt (%s); moved it to %s and started a new one",
                self.path,
                e,
                self.quarantined,
            )
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._migrate(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise TelemetryStoreError(f"telemetry store schema {version} is newer than this hotwire-assist knows")
        for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
            db.executescript(f"BEGIN; {script}; PRAGMA user_version = {target}; COMMIT;")

    def _move_aside(self) -> Path:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        self.path.replace(aside)
        for suffix in ("-wal", "-shm"):
            extra = self.path.with_name(self.path.name + suffix)
            if extra.exists():
                extra.replace(aside.with_name(aside.name + suffix))
        return aside

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def record(self, event: TelemetryEvent) -> None:
        self.record_many([event])

    def record_many(self, events: list[TelemetryEvent]) -> None:
        events = [gate_event(e) for e in events]  # the recorder redacts already; this is the last line
        rows = [(e.ts, e.kind, e.suggestion_id, e.model_dump_json()) for e in events]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO events (ts, kind, suggestion_id, data) VALUES (?, ?, ?, ?)", rows)
        self._since_prune += len(rows)
        if self._since_prune >= self.prune_every:
            self.prune()

    def prune(self) -> None:
        """Drop the oldest events beyond the count and size bounds."""
        self._since_prune = 0
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "DELETE FROM events WHERE id <= (SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (self.max_events,),
            )
            # the newest rows whose running size fits the byte budget survive
            self._db.execute(
                """DELETE FROM events WHERE id < (
                       SELECT COALESCE(MIN(id), 0) FROM (
                           SELECT id, SUM(LENGTH(data)) OVER (ORDER BY id DESC) AS total FROM events
                       ) WHERE total <= ?)""",
                (self.max_bytes,),
            )

    def events(self, since: float | None = None) -> list[TelemetryEvent]:
        rows = self._db.execute(
            "SELECT data FROM events WHERE ts >= ? ORDER BY id", (since if since is not None else float("-inf"),)
        )
        return [TelemetryEvent.model_validate_json(data) for (data,) in rows]

    def export(self, path: Path, since: float | None = None, developer: str | None = None) -> int:
        """Write the events to a bundle file the user chose (see `read_bundle`); returns how many."""
        events = self.events(since)
        write_bundle(path, events, developer)
        return len(events)

    def purge(self) -> int:
        with self._db:
            self._db.execute("BEGIN")
            n = self._db.execute("DELETE FROM events").rowcount
        self._db.execute("VACUUM")
        return n

    def summary(self) -> dict[str, Any]:
        """Counts per kind and the acceptance rate (accepted + partial over resolved suggestions)."""
        counts = dict(self._db.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind").fetchall())
        taken = counts.get("accepted", 0) + counts.get("partial", 0)
        resolved = taken + counts.get("rejected", 0) + counts.get("ignored", 0)
        (survival,) = self._db.execute(
            "SELECT AVG(json_extract(data, '$.survival')) FROM events WHERE kind = 'survival'"
        ).fetchone()
        return {
            "events": sum(counts.values()),
            "counts": counts,
            "acceptance_rate": taken / resolved if resolved else None,
            "mean_survival": survival,
        }

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TelemetryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


StoreFactory = Callable[[], TelemetryStore]


def developer_id() -> str:
    """An anonymous, stable id for this install: bundles from several developers stay apart (and a
    dataset can cap each one's share) without naming anybody."""
    path = data_dir() / "developer-id"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(uuid.uuid4().hex[:12], encoding="utf-8")
        return path.read_text(encoding="utf-8").strip()


def write_bundle(path: Path, events: list[TelemetryEvent], developer: str | None = None) -> None:
    """A header line, then the events (through the privacy gate once more); written atomically."""
    header = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "developer": developer or developer_id(),
        "exported_at": time.time(),
        "events": len(events),
    }
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(json.dumps(header) + "\n")
        for e in events:
            f.write(gate_event(e).model_dump_json() + "\n")
    tmp.replace(path)


class BundleError(ValueError):
    """An export bundle holds a line that is not an event (message names file:line)."""


def read_bundle(path: Path, problems: list[str] | None = None) -> tuple[str, list[TelemetryEvent]]:
    """(developer, events) of an export bundle.

    Bundle format, version 1: JSON lines; the first is a header
    `{"format": "hotwire-assist-telemetry", "version": 1, "developer": ID, "exported_at": TS, "events": N}`,
    then one TelemetryEvent per line. A JSONL of events without the header (version 0) is read too,
    with the file's stem as developer. A bad line raises BundleError (file:line); given `problems`, it is
    skipped and its message appended there instead.
    """
    developer, events = Path(path).stem, []
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as e:
                _bad(f"{path}:{n}: not JSON ({e})", problems)
                continue
            if n == 1 and isinstance(raw, dict) and raw.get("format") == BUNDLE_FORMAT:
                if not isinstance(raw.get("version"), int) or raw["version"] > BUNDLE_VERSION:
                    raise BundleError(f"{path}:1: bundle version {raw.get('version')!r} is not one this version reads")
                developer = str(raw.get("developer") or developer)
                continue
            try:
                events.append(TelemetryEvent.model_validate(raw))
            except ValidationError as e:
                _bad(f"{path}:{n}: not a telemetry event ({describe_validation_error(e)})", problems)
    return developer, events


def _bad(message: str, problems: list[str] | None) -> None:
    if problems is None:
        raise BundleError(message)
    problems.append(message)
