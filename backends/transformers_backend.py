"""transformers (+ an optional peft adapter) in-process: try a freshly trained adapter before export."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from hotwire_assist.backends.base import BackendError, GenerationParams, Health, PromptTooLong, model_window
from hotwire_assist.core.install import install_hint


class TransformersBackend:
    name = "transformers"

    def __init__(
        self,
        path: Path,
        adapter: str = "",
        threads: int = 0,
        context_size: int = 2048,
        preferred_adapter: Callable[[], Path | None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.adapter = adapter
        self._configured_adapter = adapter
        # asked at every load: an adapter to use instead of `adapter` (the workspace's promoted one), or None
        self._preferred_adapter = preferred_adapter
        self._loaded_stamp: tuple | None = None
        self.model_id = self.path.name + (f"+{Path(adapter).name}" if adapter else "")
        self._threads = threads or min(4, os.cpu_count() or 1)
        self.configured_window = context_size
        self._model = None
        self._tok = None
        self._lock = threading.Lock()

    def _wanted(self) -> tuple[str, tuple | None]:
        """(adapter to serve, a stamp that changes when its files do) — the preferred one if any."""
        found = self._preferred_adapter() if self._preferred_adapter is not None else None
        if found is None:
            return self._configured_adapter, None
        try:
            weights = [p.stat() for p in sorted(Path(found).iterdir()) if p.is_file()]
            stamp = (Path(found).stat().st_ino, tuple((st.st_size, st.st_mtime_ns, st.st_ino) for st in weights))
        except OSError:
            return self._configured_adapter, None
        return str(found), stamp

    def _load(self):
        if self._preferred_adapter is not None:
            adapter, stamp = self._wanted()
            if self._model is not None and (adapter, stamp) != (self.adapter, self._loaded_stamp):
                self._model = self._tok = None  # a promoted (or rolled back) adapter: load it at this request
            self.adapter, self._loaded_stamp = adapter, stamp
            self.model_id = self.path.name + (f"+{Path(adapter).name}" if adapter else "")
        if self._model is not None:
            return self._model, self._tok
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise BackendError(
                "transformers/torch are not installed", f"The transformers backend {install_hint('train')}."
            ) from None
        if not (self.path / "config.json").is_file():
            raise BackendError(f"{self.path} is not a Hugging Face model folder (no config.json)")
        torch.set_num_threads(self._threads)
        try:
            tok = AutoTokenizer.from_pretrained(self.path)
            model = AutoModelForCausalLM.from_pretrained(self.path)
            if self.adapter:
                from peft import PeftModel

                model = PeftModel.from_pretrained(model, self.adapter)
        except (OSError, ValueError) as e:
            raise BackendError(f"cannot load {self.path}: {e}") from None
        model.eval()
        self._model, self._tok = model, tok
        return model, tok

    def generate(self, prompt: str, params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        with self._lock:
            model, tok = self._load()
            stop_now = threading.Event()

            class _Stop(StoppingCriteria):
                def __call__(self, input_ids, scores, **kwargs):
                    done = cancel.is_set() or stop_now.is_set()
                    return torch.full((input_ids.shape[0],), done, dtype=torch.bool)

            inputs = tok(prompt, return_tensors="pt")
            room = self.context_window() - params.max_tokens
            if inputs["input_ids"].shape[1] > room:  # backends.generation fits prompts first; this guards the rest
                raise PromptTooLong(inputs["input_ids"].shape[1], max(room, 0))
            eos = [tok.eos_token_id] + [
                i for s in params.stop if len(ids := tok.encode(s, add_special_tokens=False)) == 1 for i in ids
            ]
            if params.seed is not None:
                torch.manual_seed(params.seed)
            streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True)
            kwargs = dict(
                **inputs,
                max_new_tokens=params.max_tokens,
                streamer=streamer,
                stopping_criteria=StoppingCriteriaList([_Stop()]),
                eos_token_id=eos,
                pad_token_id=tok.eos_token_id,
                do_sample=params.temperature > 0,
            )
            if params.temperature > 0:
                kwargs.update(temperature=params.temperature, top_p=params.top_p)
            failure: list[BaseException] = []

            def work() -> None:
                try:
                    model.generate(**kwargs)
                except BaseException as e:  # surfaced below; the streamer must end either way
                    failure.append(e)
                    streamer.end()

            worker = threading.Thread(target=work, daemon=True)
            worker.start()
            try:
                for text in streamer:
                    if cancel.is_set():
                        break
                    yield text
            finally:
                stop_now.set()
                worker.join()
            if failure:
                raise BackendError(f"transformers generation failed: {failure[0]}") from failure[0]

    def health(self) -> Health:
        try:
            self._load()
        except BackendError as e:
            return Health(False, str(e), e.fix)
        return Health(True, f"{self.model_id} loaded with transformers")

    def native_window(self) -> int | None:
        """The model's position limit (`max_position_embeddings` in its config): a prompt past it is junk."""
        model, _ = self._load()
        n = getattr(model.config, "max_position_embeddings", None)
        return n if isinstance(n, int) and n > 0 else None

    def context_window(self) -> int:
        return model_window(self.native_window(), self.configured_window)

    def count_tokens(self, text: str) -> int | None:
        _, tok = self._load()
        return len(tok(text)["input_ids"])

    def vocabulary_has(self, tokens: Sequence[str]) -> dict[str, bool] | None:
        _, tok = self._load()
        return {t: len(tok.encode(t, add_special_tokens=False)) == 1 for t in tokens}

    def close(self) -> None:
        self._model = self._tok = None
