"""The model registry: identity by content, promote/rollback per scope, workspace before generic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotwire_assist.core.registry import (
    GENERIC,
    ModelRecord,
    Registry,
    RegistryError,
    file_sha256,
    model_sha256,
    workspace_key,
)


def _model(tmp_path: Path, name: str, content: bytes) -> tuple[Path, ModelRecord]:
    p = tmp_path / f"{name}.gguf"
    p.write_bytes(content)
    return p, ModelRecord(sha256=file_sha256(p), name=name, figures={"mean_total": 50.0})


def test_identity_is_content_and_adapter_changes_it(tmp_path):
    a, rec = _model(tmp_path, "a", b"GGUF one")
    copy = tmp_path / "copy.gguf"
    copy.write_bytes(a.read_bytes())
    assert model_sha256(copy) == model_sha256(a) == rec.sha256
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text("{}")
    adapter = tmp_path / "lora"
    adapter.mkdir()
    (adapter / "adapter_model.safetensors").write_bytes(b"w1")
    plain, with_adapter = model_sha256(hf), model_sha256(hf, adapter)
    assert plain != with_adapter
    (adapter / "adapter_model.safetensors").write_bytes(b"w2")
    assert model_sha256(hf, adapter) != with_adapter
    with pytest.raises(FileNotFoundError):
        model_sha256(tmp_path / "missing.gguf")


def test_promote_keeps_previous_and_rollback_swaps(tmp_path):
    reg = Registry(tmp_path / "models")
    one, r1 = _model(tmp_path, "one", b"first model")
    two, r2 = _model(tmp_path, "two", b"second model")
    reg.promote(one, r1)
    reg.promote(two, r2)
    assert reg.current().name == "two" and reg.previous().name == "one"
    assert file_sha256(reg.model_path()) == r2.sha256
    assert reg.rollback(GENERIC).name == "one"
    assert file_sha256(reg.model_path()) == r1.sha256 and reg.previous().name == "two"
    status = reg.status()[GENERIC]
    assert status["current"]["name"] == "one" and status["previous"]["name"] == "two"
    assert json.loads((tmp_path / "models" / "registry.json").read_text())["scopes"][GENERIC]["current"] == r1.sha256


def test_promote_refuses_a_file_that_is_not_the_record(tmp_path):
    reg = Registry(tmp_path / "models")
    _one, r1 = _model(tmp_path, "one", b"first model")
    other, _ = _model(tmp_path, "other", b"tampered")
    with pytest.raises(RegistryError, match="sha256"):
        reg.promote(other, r1)
    assert reg.current() is None and not reg.model_path().exists()


def test_rollback_without_previous_is_a_clear_error(tmp_path):
    reg = Registry(tmp_path / "models")
    one, r1 = _model(tmp_path, "one", b"first model")
    with pytest.raises(RegistryError, match="no previous"):
        reg.rollback()
    reg.promote(one, r1)
    with pytest.raises(RegistryError, match="no previous"):
        reg.rollback()


def test_workspace_model_wins_there_and_only_there(tmp_path):
    reg = Registry(tmp_path / "models")
    g, rg = _model(tmp_path, "generic", b"generic model")
    w, rw = _model(tmp_path, "adapted", b"adapted model")
    app, other = tmp_path / "app", tmp_path / "other"
    assert reg.resolve(app) is None
    reg.promote(g, rg)
    key = workspace_key(app)
    assert key != workspace_key(other) and key == workspace_key(app / ".." / "app")
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text("{}")
    reg.promote(w, rw.model_copy(update={"scope": key}), scope=key, hf_dir=hf)
    assert file_sha256(reg.resolve(app)) == rw.sha256
    assert file_sha256(reg.resolve(other)) == rg.sha256
    assert (reg.slot_dir(key) / "hf" / "config.json").is_file()
    assert set(reg.status()) == {GENERIC, key}
    assert reg.identify(reg.resolve(app)) == (rw.sha256, "adapted")


def test_a_model_promoted_before_the_registry_becomes_previous(tmp_path):
    reg = Registry(tmp_path / "models")
    reg.slot_dir().mkdir(parents=True)
    reg.model_path().write_bytes(b"legacy")
    one, r1 = _model(tmp_path, "one", b"first model")
    reg.promote(one, r1)
    assert reg.previous().name == "unregistered"
    assert reg.rollback().name == "unregistered" and reg.model_path().read_bytes() == b"legacy"
