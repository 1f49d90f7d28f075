"""Telemetry names the model by content: events carry its sha256 and registry name, insights group by them."""

from __future__ import annotations

import time

from hotwire_assist.core.config import Config
from hotwire_assist.core.registry import ModelRecord, Registry, file_sha256
from hotwire_assist.core.telemetry import TelemetryStore
from hotwire_assist.evaluation.dashboard.insights import TelemetryData, compute_insights
from hotwire_assist.server.completion import Suggestion
from hotwire_assist.server.telemetry import TelemetryRecorder, backend_identity


class FakeLlama:
    """What backend_identity reads of a llama.cpp backend: the file it serves now."""

    name = "llama_cpp"
    model_id = "model.gguf"

    def __init__(self, path) -> None:
        self.path = path


def _identity_when_hashed(backend) -> dict:
    for _ in range(200):  # the first ask starts hashing in the background
        got = backend_identity(backend)
        if got["model_sha256"]:
            return got
        time.sleep(0.01)
    raise AssertionError("the model was never hashed")


def test_events_carry_sha256_and_name_and_insights_tell_models_apart(tmp_path, isolated_user):
    default = tmp_path / "hotwire-tiny" / "model.gguf"
    promoted = tmp_path / "promoted" / "model.gguf"
    for path, data in ((default, b"default weights"), (promoted, b"promoted weights")):
        path.parent.mkdir()
        path.write_bytes(data)
    Registry().register(ModelRecord(sha256=file_sha256(promoted), name="lora-7"))
    backend = FakeLlama(default)
    assert _identity_when_hashed(backend) == {"model": "hotwire-tiny/model.gguf", "model_sha256": file_sha256(default)}

    store = tmp_path / "t.db"
    config = Config.model_validate({"telemetry": {"enabled": True}})
    rec = TelemetryRecorder(config, lambda: TelemetryStore(store))
    rec.set_engine("llama_cpp", "model.gguf", "hotwire-tiny", identity=lambda: backend_identity(backend))
    rec.shown(Suggestion("s1", "x", 5.0), "file:///a.erb", "/a.erb", "<%= ", " %>")
    rec.dismissed("s1")
    backend.path = promoted  # the server switched to a promoted model without a restart
    _identity_when_hashed(backend)
    rec.shown(Suggestion("s2", "y", 5.0), "file:///a.erb", "/a.erb", "<%= ", " %>")
    rec.accepted("s2")
    rec.flush()
    with TelemetryStore(store) as s:
        events = s.events()
    rec.close()
    assert {(e.suggestion_id, e.model, e.model_sha256) for e in events if e.kind == "shown"} == {
        ("s1", "hotwire-tiny/model.gguf", file_sha256(default)),
        ("s2", "lora-7", file_sha256(promoted)),
    }
    by_model = compute_insights(TelemetryData(events=events))["by_model"]
    assert set(by_model) == {
        f"hotwire-tiny/model.gguf · {file_sha256(default)[:12]}",
        f"lora-7 · {file_sha256(promoted)[:12]}",
    }


def test_a_remote_model_has_no_sha256():
    class Ollama:
        name, model_id, path = "ollama", "qwen2.5-coder:1.5b-base", None

    assert backend_identity(Ollama()) == {"model": "qwen2.5-coder:1.5b-base", "model_sha256": ""}
