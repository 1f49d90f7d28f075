"""The SQLite store: versioned schema, bounds, corrupt files, export/purge/summary."""

from __future__ import annotations

import json
import sqlite3

import pytest

from hotwire_assist.core import telemetry as core_telemetry
from hotwire_assist.core.schemas import TelemetryEvent
from hotwire_assist.core.telemetry import TelemetryStore, TelemetryStoreError, default_store_path, read_bundle


def ev(i: int, kind: str = "shown", **kw) -> TelemetryEvent:
    return TelemetryEvent(suggestion_id=f"s{i}", kind=kind, ts=1000.0 + i, **kw)


def test_record_and_read_back_in_wal_mode(tmp_path):
    with TelemetryStore(tmp_path / "t.db") as store:
        store.record(ev(1))
        store.record_many([ev(2, "accepted", accepted_chars=5), ev(3, "survival", age_s=30, survival=0.5)])
        assert [e.suggestion_id for e in store.events()] == ["s1", "s2", "s3"]
        assert [e.suggestion_id for e in store.events(since=1002)] == ["s2", "s3"]
        assert store.events()[2].survival == 0.5
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.schema_version == len(core_telemetry.MIGRATIONS)


def test_a_new_migration_upgrades_an_existing_store_and_keeps_its_events(tmp_path, monkeypatch):
    path = tmp_path / "t.db"
    with TelemetryStore(path) as store:
        store.record(ev(1))
    monkeypatch.setattr(
        core_telemetry, "MIGRATIONS", [*core_telemetry.MIGRATIONS, "CREATE INDEX events_kind ON events (kind)"]
    )
    with TelemetryStore(path) as store:
        assert store.schema_version == 2
        assert [e.suggestion_id for e in store.events()] == ["s1"]
        assert store._db.execute("SELECT name FROM sqlite_master WHERE name = 'events_kind'").fetchone()


def test_a_store_from_a_newer_version_is_refused_not_rewritten(tmp_path):
    path = tmp_path / "t.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(TelemetryStoreError, match="newer"):
        TelemetryStore(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 99


def test_bounded_by_count_keeps_the_newest(tmp_path):
    with TelemetryStore(tmp_path / "t.db", max_events=10, prune_every=5) as store:
        for i in range(37):
            store.record(ev(i))
        store.prune()
        assert [e.suggestion_id for e in store.events()] == [f"s{i}" for i in range(27, 37)]


def test_bounded_by_bytes_keeps_the_newest(tmp_path):
    one = len(ev(10, suggestion="x" * 1000).model_dump_json())
    with TelemetryStore(tmp_path / "t.db", max_bytes=one * 3 + 10, prune_every=1) as store:
        for i in range(10, 20):
            store.record(ev(i, suggestion="x" * 1000))
        assert [e.suggestion_id for e in store.events()] == ["s17", "s18", "s19"]


def test_a_corrupt_file_is_kept_aside_and_a_fresh_store_started(tmp_path, caplog):
    path = tmp_path / "t.db"
    path.write_bytes(b"this is not a database, but it was the user's file" * 100)
    with TelemetryStore(path) as store:
        assert store.quarantined is not None and store.quarantined.exists()
        assert store.quarantined.read_bytes().startswith(b"this is not a database")
        store.record(ev(1))
        assert len(store.events()) == 1
    assert "corrupt" in caplog.text and str(store.quarantined) in caplog.text


def test_export_purge_and_summary(tmp_path):
    with TelemetryStore(tmp_path / "t.db") as store:
        store.record_many(
            [
                ev(1),
                ev(1, "accepted"),
                ev(2),
                ev(2, "rejected"),
                ev(3),
                ev(3, "ignored"),
                ev(4),
                ev(4, "partial", accepted_chars=3),
                ev(1, "survival", age_s=30, survival=0.5),
                ev(1, "survival", age_s=120, survival=1.0),
            ]
        )
        summary = store.summary()
        assert summary["counts"] == {
            "shown": 4,
            "accepted": 1,
            "rejected": 1,
            "ignored": 1,
            "partial": 1,
            "survival": 2,
        }
        assert summary["acceptance_rate"] == pytest.approx(0.5)
        assert summary["mean_survival"] == pytest.approx(0.75)
        out = tmp_path / "bundle.jsonl"
        assert store.export(out) == 10
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert rows[0]["format"] == "hotwire-assist-telemetry" and rows[0]["events"] == 10
        assert [TelemetryEvent.model_validate(r) for r in rows[1:]] == store.events()
        assert read_bundle(out)[1] == store.events()
        assert store.purge() == 10
        assert store.events() == [] and store.summary()["acceptance_rate"] is None


def test_default_path_is_in_the_data_dir(isolated_user):
    assert default_store_path().parent == isolated_user / "data"
