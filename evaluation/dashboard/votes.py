"""Blind-review votes in the dashboard's own SQLite file.

One vote per (comparison, pair, reviewer) is a UNIQUE constraint, so a reviewer never reviews a pair twice even
with two tabs open. Preferences are stored in run terms (A, B, tie) together with which run was on the left,
so the summary can un-blind them and a side bias stays measurable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DB_FILE = "reviews.sqlite3"

# The seed's expert-panel questions, asked about each of the two outputs.
QUESTIONS: dict[str, str] = {
    "accept": "Would you accept this in production?",
    "scale": "Would it scale?",
    "readable": "Is it readable and testable?",
    "rails_way": "Is it the Rails way?",
    "novel": "Anything novel (a better approach than you expected)?",
}
PREFERENCES = ("A", "B", "tie")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS votes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    comparison TEXT NOT NULL,
    pair_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    ts REAL NOT NULL,
    left_run TEXT NOT NULL CHECK (left_run IN ('A', 'B')),
    preference TEXT NOT NULL CHECK (preference IN ('A', 'B', 'tie')),
    answers TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    UNIQUE (comparison, pair_id, reviewer)
);
"""


class AlreadyReviewed(ValueError):
    """This reviewer has already voted on this pair."""


@dataclass(frozen=True)
class Vote:
    pair_id: str
    reviewer: str
    ts: float
    left_run: str
    preference: str  # "A", "B" or "tie", in run terms
    answers: dict[str, dict[str, bool | None]]  # run ("A"/"B") → question → yes/no/unanswered
    comment: str

    def to_json(self) -> dict[str, Any]:
        return {
            "pair_id": self.pair_id,
            "reviewer": self.reviewer,
            "ts": self.ts,
            "left_run": self.left_run,
            "preference": self.preference,
            "answers": self.answers,
            "comment": self.comment,
        }


class VoteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('secret', ?)", (secrets.token_hex(16),))
        (self._secret,) = self._db.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()

    def left_run(self, comparison: str, pair_id: str, reviewer: str) -> str:
        """Which run a reviewer sees on the left: random per (pair, reviewer), stable across page reloads, and
        unpredictable without this file's secret."""
        msg = f"{comparison}\0{pair_id}\0{reviewer}".encode()
        return "A" if hmac.new(self._secret.encode(), msg, hashlib.sha256).digest()[0] % 2 == 0 else "B"

    def reviewed(self, comparison: str, reviewer: str) -> set[str]:
        rows = self._db.execute(
            "SELECT pair_id FROM votes WHERE comparison = ? AND reviewer = ?", (comparison, reviewer)
        )
        return {pair_id for (pair_id,) in rows}

    def next_pair(self, comparison: str, reviewer: str, pair_ids: Iterable[str]) -> str | None:
        """The first pair (in the given order, the same for everyone so reviewers overlap) not yet reviewed."""
        done = self.reviewed(comparison, reviewer)
        return next((p for p in pair_ids if p not in done), None)

    def record(
        self,
        comparison: str,
        pair_id: str,
        reviewer: str,
        preference: str,
        answers: dict[str, dict[str, bool | None]],
        comment: str = "",
    ) -> Vote:
        if preference not in PREFERENCES:
            raise ValueError(f"preference must be one of {', '.join(PREFERENCES)}, not {preference!r}")
        left = self.left_run(comparison, pair_id, reviewer)
        vote = Vote(pair_id, reviewer, time.time(), left, preference, answers, comment.strip())
        try:
            self._db.execute(
                "INSERT INTO votes (comparison, pair_id, reviewer, ts, left_run, preference, answers, comment)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (comparison, pair_id, reviewer, vote.ts, left, preference, json.dumps(answers), vote.comment),
            )
        except sqlite3.IntegrityError:
            raise AlreadyReviewed(f"{reviewer} has already reviewed {pair_id}") from None
        return vote

    def votes(self, comparison: str) -> list[Vote]:
        rows = self._db.execute(
            "SELECT pair_id, reviewer, ts, left_run, preference, answers, comment FROM votes"
            " WHERE comparison = ? ORDER BY id",
            (comparison,),
        )
        return [Vote(p, r, ts, left, pref, json.loads(ans), c) for p, r, ts, left, pref, ans, c in rows]

    def close(self) -> None:
        self._db.close()
