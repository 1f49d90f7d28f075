"""Export a Llama-architecture Hugging Face model (ours, or a merged LoRA) to GGUF, and write
an Ollama Modelfile whose template comes from the shared prompt family.

The GGUF is written with the `gguf` library directly: llama.cpp's converter lives only in the
llama-cpp-python source archive and refuses byte-level BPE pre-tokenizers it has not fingerprinted.
"""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np

from hotwire_assist.core.prompt import PromptFamily

_TENSOR_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "self_attn.q_proj.bias": "attn_q.bias",  # qwen2 has Q/K/V biases
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.bias": "attn_v.bias",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def _rope_permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """HF stores Q/K for rotate-half RoPE; llama.cpp's llama graph expects interleaved pairs."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gguf_tensor_name(hf_name: str) -> str:
    if hf_name in _TENSOR_NAMES:
        return _TENSOR_NAMES[hf_name]
    parts = hf_name.split(".")
    if parts[:2] == ["model", "layers"] and ".".join(parts[3:]) in _LAYER_NAMES:
        return f"blk.{parts[2]}.{_LAYER_NAMES['.'.join(parts[3:])]}"
    raise ValueError(f"tensor '{hf_name}' has no GGUF name for the llama/qwen2 architectures")


# Architectures this exporter writes: HF model_type → whether llama.cpp wants Q/K rows permuted
# (llama's graph uses interleaved RoPE; qwen2's uses NeoX RoPE, which is HF's rotate-half layout).
ARCHITECTURES = {"llama": True, "qwen2": False}
QUANTS = {
    "f32": (gguf.LlamaFileType.ALL_F32, None),
    "f16": (gguf.LlamaFileType.MOSTLY_F16, gguf.GGMLQuantizationType.F16),
    # k-quants need rows that are multiples of 256; q8_0 needs 32, so tiny test models can use it
    "q8_0": (gguf.LlamaFileType.MOSTLY_Q8_0, gguf.GGMLQuantizationType.Q8_0),
}


def _pre_tokenizer(tokenizer_json: dict, model_type: str) -> str:
    """llama.cpp's name for the pre-tokenizer: byte-level alone is 'gpt-2' (ours); Qwen's regex split is 'qwen2'."""
    pre = tokenizer_json.get("pre_tokenizer") or {}
    if pre.get("type") == "ByteLevel" and pre.get("use_regex", True):
        return "gpt-2"
    if model_type == "qwen2":
        return "qwen2"
    raise ValueError(
        "unknown pre-tokenizer; convert with llama.cpp's convert_hf_to_gguf.py (llama-cpp-python source archive)"
    )


def _rope_theta(config: dict) -> float:
    """transformers 5 keeps rope_theta in rope_parameters; older configs at the top level."""
    return float((config.get("rope_parameters") or {}).get("rope_theta") or config.get("rope_theta") or 10000.0)


def _tokenizer_metadata(
    writer: gguf.GGUFWriter, tokenizer_json: dict, family: PromptFamily, pre: str, vocab_size: int
) -> None:
    vocab: dict[str, int] = tokenizer_json["model"]["vocab"]
    for added in tokenizer_json.get("added_tokens", []):
        vocab[added["content"]] = added["id"]
    tokens = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    if [vocab[t] for t in tokens] != list(range(len(tokens))):
        raise ValueError("tokenizer ids are not contiguous")
    special = {a["content"] for a in tokenizer_json.get("added_tokens", []) if a.get("special")}
    # Real bases pad the embedding past the tokenizer (Qwen2.5: 151,665 tokens, 151,936 rows).
    tokens += [f"[PAD{i}]" for i in range(len(tokens), vocab_size)]
    merges = [m if isinstance(m, str) else " ".join(m) for m in tokenizer_json["model"]["merges"]]
    writer.add_tokenizer_model("gpt2")
    # HF's ByteLevel regex (our tokenizer) is exactly llama.cpp's "gpt-2" pre-tokenizer.
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(
        [
            gguf.TokenType.CONTROL
            if t in special
            else gguf.TokenType.UNUSED
            if i >= len(vocab)
            else gguf.TokenType.NORMAL
            for i, t in enumerate(tokens)
        ]
    )
    writer.add_token_merges(merges)
    eos = vocab[family.eos]
    writer.add_bos_token_id(eos)
    writer.add_eos_token_id(eos)
    writer.add_eot_token_id(eos)
    writer.add_pad_token_id(eos)
    writer.add_add_bos_token(False)
    writer.add_uint32(gguf.Keys.Tokenizer.FIM_PRE_ID, vocab[family.fim_prefix])
    writer.add_uint32(gguf.Keys.Tokenizer.FIM_SUF_ID, vocab[family.fim_suffix])
    writer.add_uint32(gguf.Keys.Tokenizer.FIM_MID_ID, vocab[family.fim_middle])
    if family.file_sep:
        # A new file ends the completion: llama.cpp treats the FIM separator as end-of-generation.
        writer.add_uint32(gguf.Keys.Tokenizer.FIM_SEP_ID, vocab[family.file_sep])


def export_gguf(
    hf_dir: Path, out_path: Path, family: PromptFamily, name: str = "hotwire-tiny", quant: str = "f32"
) -> Path:
    """Write hf_dir (config.json, model*.safetensors, tokenizer.json) as one GGUF file (f32, f16 or q8_0)."""
    from safetensors.numpy import load_file

    config = json.loads((hf_dir / "config.json").read_text())
    arch = config.get("model_type")
    if arch not in ARCHITECTURES:
        raise ValueError(
            f"{hf_dir}: model_type '{arch}' — this exporter writes {', '.join(ARCHITECTURES)}; "
            "convert other architectures with llama.cpp's convert_hf_to_gguf.py"
        )
    if quant not in QUANTS:
        raise ValueError(f"unknown quantisation '{quant}' (known: {', '.join(QUANTS)})")
    file_type, qtype = QUANTS[quant]
    tensors = {}
    for shard in sorted(hf_dir.glob("model*.safetensors")):
        tensors.update(load_file(str(shard)))
    tokenizer_json = json.loads((hf_dir / "tokenizer.json").read_text())
    pre = _pre_tokenizer(tokenizer_json, arch)
    n_head = config["num_attention_heads"]
    n_kv = config.get("num_key_value_heads") or n_head
    head_dim = config.get("head_dim") or config["hidden_size"] // n_head

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".gguf.tmp")
    writer = gguf.GGUFWriter(str(tmp), arch)
    writer.add_name(name)
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(_rope_theta(config))
    writer.add_layer_norm_rms_eps(float(config["rms_norm_eps"]))
    writer.add_vocab_size(config["vocab_size"])
    writer.add_file_type(file_type)
    _tokenizer_metadata(writer, tokenizer_json, family, pre, config["vocab_size"])

    for hf_name, value in tensors.items():
        if hf_name == "lm_head.weight" and config.get("tie_word_embeddings"):
            continue  # llama.cpp reuses token_embd when output.weight is absent
        arr = value.astype(np.float32)
        if ARCHITECTURES[arch] and hf_name.endswith(("self_attn.q_proj.weight", "self_attn.q_proj.bias")):
            arr = _rope_permute(arr, n_head)
        elif ARCHITECTURES[arch] and hf_name.endswith(("self_attn.k_proj.weight", "self_attn.k_proj.bias")):
            arr = _rope_permute(arr, n_kv)
        if qtype is None or arr.ndim < 2 or arr.shape[-1] % 32:  # norms and biases stay f32
            writer.add_tensor(gguf_tensor_name(hf_name), arr)
        elif qtype == gguf.GGMLQuantizationType.F16:
            writer.add_tensor(gguf_tensor_name(hf_name), arr.astype(np.float16))
        else:
            data = gguf.quants.quantize(arr, qtype)
            writer.add_tensor(gguf_tensor_name(hf_name), data, raw_shape=data.shape, raw_dtype=qtype)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out_path)
    return out_path


def ollama_modelfile(gguf_path: Path, family: PromptFamily, num_ctx: int) -> str:
    """A Modelfile for `ollama create`. The server sends raw prompts; the template (built from the
    same family tokens) only serves other Ollama clients that pass `suffix`."""
    template = (
        "{{- if .Suffix }}"
        + family.fim_prefix
        + "{{ .Prompt }}"
        + family.fim_suffix
        + "{{ .Suffix }}"
        + family.fim_middle
        + "{{- else }}{{ .Prompt }}{{- end }}"
    )
    stops = "".join(f'PARAMETER stop "{s}"\n' for s in family.stop)
    return (
        f"FROM {gguf_path.resolve()}\n"
        f'TEMPLATE """{template}"""\n'
        f"PARAMETER num_ctx {num_ctx}\n"
        "PARAMETER temperature 0\n"
        f"{stops}"
    )


def export_lora_gguf(adapter_dir: Path, out_path: Path, base_config: dict) -> Path:
    """Write a peft LoRA adapter as a GGUF adapter that llama.cpp applies at load (`Llama(lora_path=...)`).

    Same naming as llama.cpp's convert_lora_to_gguf.py: `<base tensor>.lora_a` ([r, in]) and `.lora_b`
    ([out, r]); Q/K `lora_b` get the base's RoPE permutation because they produce Q/K rows.
    """
    from safetensors.numpy import load_file

    adapter = json.loads((adapter_dir / "adapter_config.json").read_text())
    if adapter.get("use_rslora") or adapter.get("use_dora"):
        raise ValueError("rsLoRA/DoRA adapters have no GGUF LoRA form; export the merged model instead")
    arch = base_config.get("model_type")
    if arch not in ARCHITECTURES:
        raise ValueError(f"model_type '{arch}': no GGUF LoRA export for this architecture")
    n_head = base_config["num_attention_heads"]
    n_kv = base_config.get("num_key_value_heads") or n_head
    permute = ARCHITECTURES[arch]
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".gguf.tmp")
    writer = gguf.GGUFWriter(str(tmp), arch)
    writer.add_string(gguf.Keys.General.TYPE, gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(adapter["lora_alpha"]))
    for key, value in sorted(tensors.items()):
        # base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight → model.layers.0.self_attn.q_proj.weight
        module, ab = key.removeprefix("base_model.model.").rsplit(".lora_", 1)
        if ab not in ("A.weight", "B.weight"):
            raise ValueError(f"adapter tensor '{key}' is not a LoRA A/B matrix")
        arr = value.astype(np.float32)
        if permute and ab == "B.weight" and module.endswith("self_attn.q_proj"):
            arr = _rope_permute(arr, n_head)
        elif permute and ab == "B.weight" and module.endswith("self_attn.k_proj"):
            arr = _rope_permute(arr, n_kv)
        writer.add_tensor(f"{gguf_tensor_name(module + '.weight')}.lora_{ab[0].lower()}", arr)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out_path)
    return out_path


def export_merged(
    base_dir: Path,
    adapter_dir: Path,
    out_dir: Path,
    family: PromptFamily,
    name: str = "hotwire-assist",
    quant: str = "f32",
) -> dict[str, Path]:
    """Merge a LoRA adapter into its base and write what the backends load: out_dir/hf (transformers),
    out_dir/model.gguf (llama.cpp), out_dir/Modelfile (Ollama) and out_dir/adapter.gguf (the adapter
    alone, for llama.cpp's lora_path), the last only where the base is one this exporter writes."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    hf_dir = out_dir / "hf"
    hf_dir.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(hf_dir), safe_serialization=True)
    AutoTokenizer.from_pretrained(str(base_dir)).save_pretrained(str(hf_dir))
    out = {"hf": hf_dir}
    config = json.loads((hf_dir / "config.json").read_text())
    out["gguf"] = export_gguf(hf_dir, out_dir / "model.gguf", family, name=name, quant=quant)
    out["lora_gguf"] = export_lora_gguf(adapter_dir, out_dir / "adapter.gguf", config)
    modelfile = out_dir / "Modelfile"
    modelfile.write_text(ollama_modelfile(out["gguf"], family, int(config.get("max_position_embeddings", 2048))))
    out["modelfile"] = modelfile
    return out
