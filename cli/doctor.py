"""`hotwire-assist doctor`: what is configured, and whether it works."""

from __future__ import annotations

import shutil
from typing import Any

from hotwire_assist.core.config import Config, user_config_path
from hotwire_assist.core.prompt import get_family
from hotwire_assist.server.backends import BackendError, make_backend


def run_doctor(config: Config) -> dict[str, Any]:
    checks: list[dict[str, Any]] = []

    def check(name: str, ok: bool, detail: str, fix: str = "") -> None:
        checks.append({"name": name, "ok": ok, "detail": detail, "fix": fix})

    m = config.model
    check("config", True, f"user file {user_config_path()}; backend {m.backend}, family {m.family}")
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
