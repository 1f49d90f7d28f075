"""The quickstart cuts its holes on disk (in a copy) before the server starts, and the engine answers three
of the four from the app itself: the stream action, the frame id and the respond_to branch."""

from __future__ import annotations

import hashlib
import io

from conftest import SAMPLE_APP
from rich.console import Console

from hotwire_assist.cli.quickstart import run_quickstart


def _digest() -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(SAMPLE_APP.rglob("*")) if p.is_file())).hexdigest()


def test_quickstart_holes_are_cut_on_disk_and_three_of_four_come_back_as_the_file_had_them(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTWIRE_ASSIST_MODEL_PATH", str(tmp_path / "no-model.gguf"))  # index and retrieval only
    before = _digest()
    out = io.StringIO()
    assert run_quickstart(SAMPLE_APP, Console(file=out, width=400)) == 0
    text = out.getvalue()
    assert _digest() == before  # the sample app itself is never touched
    assert "3 of 3 suggestions shown equal what the file had (1 position(s) got none)" in text
