"""The same weights answer the same: a base + LoRA adapter through transformers and its f32 GGUF export
through llama.cpp give identical greedy answers on the evaluation suite's prompts.

They once did not: llama.cpp renders a special token (a FIM marker the model emits) as no text, so the
text-level stop never fired and it generated on, where transformers stopped at the marker's id; two FIM
holes came back '' under transformers and as text under llama.cpp. The llama.cpp backend now stops at
single-token special stops too.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from hotwire_assist.backends import GenerationParams
from hotwire_assist.backends.generation import generate_fitted
from hotwire_assist.backends.llama_cpp import LlamaCppBackend, _stop_at_special
from hotwire_assist.backends.transformers_backend import TransformersBackend
from hotwire_assist.core.prompt import get_family, instruction_stop
from hotwire_assist.evaluation.runner import fim_task_prompt, generation_prompt
from hotwire_assist.evaluation.tasks import read_fim_tasks, read_generation_tasks

pytestmark = pytest.mark.slow
FAMILY = get_family("hotwire-tiny")


@pytest.fixture(scope="module")
def exported(tiny_model, tmp_path_factory):
    """base + a LoRA adapter (a few peft steps on FIM holes) and its merged f32 GGUF export."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from hotwire_assist.core.prompt import fim_training_text
    from hotwire_assist.training.export import export_merged

    out = tmp_path_factory.mktemp("parity")
    base = tiny_model / "hf"
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(base)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base),
        LoraConfig(r=8, lora_alpha=32, target_modules=["q_proj", "v_proj", "o_proj"], task_type="CAUSAL_LM"),
    )
    texts = [fim_training_text(FAMILY, t.prefix[-300:], t.middle, t.suffix[:100], t.path) for t in read_fim_tasks()[:6]]
    batches = [tok(p + target, return_tensors="pt", add_special_tokens=False)["input_ids"] for p, target in texts]
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for step in range(30):
        ids = batches[step % len(batches)]
        model(input_ids=ids, labels=ids).loss.backward()
        opt.step()
        opt.zero_grad()
    model.save_pretrained(out / "adapter")
    paths = export_merged(base, out / "adapter", out / "export", FAMILY, quant="f32")
    return base, out / "adapter", paths["gguf"]


def test_hf_with_adapter_and_its_gguf_export_agree_greedily_on_the_suite(exported):
    base, adapter, gguf = exported
    hf, llama = TransformersBackend(base, str(adapter)), LlamaCppBackend(gguf)
    prompts = [(lambda b, t=t: fim_task_prompt(t, FAMILY.name, b), 4000, FAMILY.stop) for t in read_fim_tasks()] + [
        (lambda b, t=t: generation_prompt(t, b), 4000, instruction_stop(FAMILY)) for t in read_generation_tasks()[:4]
    ]
    differ = []
    for build, budget, stop in prompts:
        p = GenerationParams(max_tokens=24, temperature=0.0, stop=tuple(stop))
        answers = [generate_fitted(b, build, budget, p, threading.Event()) for b in (hf, llama)]
        if answers[0] != answers[1]:
            differ.append((build(budget)[-60:], *answers))
    hf.close()
    llama.close()
    assert differ == []


def test_llama_cpp_stops_at_a_special_stop_token_the_model_emits(exported):
    """The criterion itself: a FIM marker generated after the prompt stops; the same marker inside the
    prompt, a plain token, or a stop string of several tokens does not."""
    _, _, gguf = exported
    llm = LlamaCppBackend(gguf)._model()
    marker = llm.tokenize(FAMILY.fim_middle.encode(), add_bos=False, special=True)
    plain = llm.tokenize(b"end", add_bos=False, special=True)
    assert len(marker) == 1
    stop = _stop_at_special(llm, [FAMILY.fim_middle, "\n### Request"], prompt_len=3)
    scores = np.zeros(8)
    assert stop(np.array([5, 6, 7, *marker]), scores)  # generated after the 3-token prompt
    assert not stop(np.array([5, 6, *marker]), scores)  # still the prompt
    assert not stop(np.array([5, 6, 7, plain[-1]]), scores)
    assert _stop_at_special(llm, ["\n### Request"], prompt_len=3) is None
