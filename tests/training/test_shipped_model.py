"""The embedded default ships in the package, trained: a fresh install serves it without training."""

from __future__ import annotations

import json
from dataclasses import asdict

from hotwire_assist.core.config import Config, shipped_model_dir
from hotwire_assist.core.prompt import get_family


def test_the_package_ships_the_default_built_by_its_recipe():
    from hotwire_assist.training.tiny_model import RECIPES

    folder = shipped_model_dir()
    info = json.loads((folder / "train.json").read_text())
    assert info["recipe"] == asdict(RECIPES["default"])  # the recipe in the code is the one that built it
    assert len(info["data_sha256"]) == 64 and info["held_out_files"] > 0 and info["held_out_loss"] > 0
    assert info["held_out_ghost_text"]["holes"] > 0
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size <= 20_000_000, f"{size / 1e6:.1f} MB"
    assert (folder / "hf" / "model.safetensors").is_file() and (folder / "hf" / "tokenizer.json").is_file()


def test_a_fresh_user_is_served_the_shipped_model(isolated_user):
    from hotwire_assist.backends import make_backend

    backend = make_backend(Config.model_validate({"model": {"backend": "llama_cpp"}}))
    assert backend.health().ok, backend.health().detail
    assert backend.path == shipped_model_dir() / "model.gguf"
    assert all(backend.vocabulary_has(get_family("hotwire-tiny").special_tokens).values())


def test_adaptation_can_start_from_the_shipped_checkpoint():
    from transformers import AutoTokenizer, LlamaForCausalLM

    hf = shipped_model_dir() / "hf"
    tok = AutoTokenizer.from_pretrained(str(hf))
    model = LlamaForCausalLM.from_pretrained(str(hf))
    family = get_family(json.loads((hf / "hotwire.json").read_text())["family"])
    assert all(len(tok(t, add_special_tokens=False)["input_ids"]) == 1 for t in family.special_tokens)
    assert model.config.vocab_size == len(tok)
