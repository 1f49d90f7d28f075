"""The runner's use of the Node checks: real DOM results per answer, or a clear note when unavailable."""

from __future__ import annotations

import pytest

from hotwire_assist.core.schemas import FileText
from hotwire_assist.evaluation.dynamic import dynamic_available
from hotwire_assist.evaluation.dynamic_bridge import dynamic_checks
from hotwire_assist.evaluation.tasks import read_generation_tasks

REASON = dynamic_available()


@pytest.mark.skipif(REASON is not None, reason=f"dynamic checks unavailable: {REASON}")
def test_reference_stream_passes_and_a_broken_one_fails():
    task = next(t for t in read_generation_tasks() if t.id == "gen-streams-actions-3")
    broken = [
        FileText(path=task.target_path, content='<turbo-stream action="explode" target="cart_count"></turbo-stream>\n')
    ]
    got, note = dynamic_checks([task.reference, broken, []], [task.context] * 3)
    assert note == ""
    assert got == [{task.target_path: True}, {task.target_path: False}, {}]


def test_unavailable_node_modules_is_a_note(monkeypatch):
    from hotwire_assist.evaluation import dynamic

    monkeypatch.setattr(dynamic, "dynamic_available", lambda *a, **k: "no node_modules with jsdom found")
    got, note = dynamic_checks([[FileText(path="a.turbo_stream.erb", content="x")]], [[]])
    assert got == [{}] and note == "dynamic checks skipped: no node_modules with jsdom found"
