"""`hotwire-assist doctor`: what is configured, and whether it works."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from hotwire_assist.backends import BackendError, make_backend
from hotwire_assist.core.config import _NOT_SETTINGS, ENV_PREFIX, Config, config_files
from hotwire_assist.core.prompt import get_family


def window_detail(backend: Any, configured: int) -> str:
    """Both figures: the model's own window and the configured one; the smaller is what prompts are fitted to."""
    native = backend.native_window()
    used = backend.context_window()
    model = f"the model's window is {native} tokens" if native else "the model does not report its window"
    return f"{model}; model.context_size is {configured}; prompts and answers are fitted to {used} tokens"


def loaded_from(workspace: Path | None, environ: dict[str, str] | None = None) -> str:
    """Where the configuration came from: the files that exist and were read, and environment settings."""
    import os

    environ = dict(os.environ) if environ is None else environ
    files = [str(p) for p in config_files(workspace)]
    settings = sorted(k for k in environ if k.startswith(ENV_PREFIX) and k not in _NOT_SETTINGS)
    parts = [f"files {', '.join(files)}" if files else "no config file (defaults)"]
    if settings:
        parts.append(f"environment {', '.join(settings)}")
    return "; ".join(parts)


def run_doctor(config: Config, workspace: Path | None = None) -> dict[str, Any]:
    checks: list[dict[str, Any]] = []

    def check(name: str, ok: bool, detail: str, fix: str = "") -> None:
        """A fix is advice for a failing check only."""
        checks.append({"name": name, "ok": ok, "detail": detail, **({"fix": fix} if fix and not ok else {})})

    m = config.model
    check("config", True, f"{loaded_from(workspace)}; backend {m.backend}, family {m.family}")
    try:
        family = get_family(m.family)
        backend = make_backend(config)
    except (ValueError, BackendError) as e:
        check("backend", False, str(e), getattr(e, "fix", ""))
        return {"ok": False, "checks": checks}
    try:
        health = backend.health()
        check("backend", health.ok, f"{backend.name}: {health.detail}", health.fix)
        if health.ok:
            check("context window", True, window_detail(backend, m.context_size))
            vocab = backend.vocabulary_has(family.special_tokens)
            if vocab is None:
                check("fim tokens", True, f"{backend.name} cannot list its vocabulary; not checked")
            else:
                missing = [t for t, present in vocab.items() if not present]
                check(
                    "fim tokens",
                    not missing,
                    f"{family.name} tokens " + (f"missing: {', '.join(missing)}" if missing else "all present"),
                    "Set model.family to the family this model was trained with.",
                )
    finally:
        backend.close()
    for tool, why in (("ruby", "Ruby/ERB syntax checks"), ("node", "Herb lint and dynamic Turbo checks")):
        path = shutil.which(tool)
        check(tool, True, f"{path}" if path else f"not found: {why} are skipped")
    return {"ok": all(c["ok"] for c in checks), "checks": checks}
