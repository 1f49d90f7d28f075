"""Configuration: defaults < user file (XDG) < workspace `.hotwire-assist.toml` < environment.

Every knob lives in one schema, so a typo in any layer is an error that names the bad key
instead of being silently ignored.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hotwire_assist.core.prompt import DEFAULT_PROMPT_CHARS

APP_NAME = "hotwire-assist"
WORKSPACE_FILE = ".hotwire-assist.toml"
ENV_PREFIX = "HOTWIRE_ASSIST_"

BackendName = Literal["llama_cpp", "ollama", "openai", "transformers"]


class ConfigError(ValueError):
    """A configuration layer is unreadable or holds a bad key or value."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelConfig(_Section):
    backend: BackendName = "llama_cpp"
    # GGUF file (llama_cpp) or Hugging Face folder (transformers); empty = the embedded default model.
    path: str = ""
    # Model name for Ollama / OpenAI-compatible servers, e.g. "qwen2.5-coder:1.5b-base".
    name: str = ""
    # Prompt family; see hotwire_assist.core.prompt.FAMILIES. Never guessed from the model name.
    family: str = "hotwire-tiny"
    url: str = ""
    adapter: str = ""
    threads: int = Field(default=0, ge=0, description="0 = all cores, capped at 4")
    context_size: int = Field(default=2048, ge=128, le=131072)
    max_tokens: int = Field(default=48, ge=1, le=4096)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    timeout_s: float = Field(default=10.0, gt=0.0, le=600.0)


class CompletionConfig(_Section):
    enabled: bool = True
    languages: list[str] = ["erb", "ruby", "javascript", "typescript"]
    debounce_ms: int = Field(default=60, ge=0, le=5000)
    max_lines: int = Field(default=8, ge=1, le=200)
    prompt_chars: int = Field(default=DEFAULT_PROMPT_CHARS, ge=200, le=400000)
    cache_size: int = Field(default=256, ge=0, le=100000)
    # Show the model's text only when it starts with a word the app or the curated examples use (a small
    # model's fragments such as `nd` or `ting` are no one's code). Unset: on for the embedded model (llama_cpp
    # with no model.path: the shipped, built or adapted default), off for a model you configure, whose new
    # names (a method the app does not have yet) are worth showing.
    known_words_only: bool | None = None
    # Workspace folders (globs) where the assistant stays off.
    disabled_workspaces: list[str] = []


class PrivacyConfig(_Section):
    # Extra globs (gitignore syntax) for files that never reach a model or the telemetry store.
    exclude: list[str] = []


class TelemetryConfig(_Section):
    enabled: bool = False
    level: Literal["events", "code"] = "events"
    # when an accepted suggestion's survival is measured, in seconds after acceptance
    survival_ages_s: tuple[float, float, float] = (30.0, 120.0, 600.0)


class Config(_Section):
    model: ModelConfig = ModelConfig()
    completion: CompletionConfig = CompletionConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    telemetry: TelemetryConfig = TelemetryConfig()


def user_config_path() -> Path:
    explicit = os.environ.get(ENV_PREFIX + "CONFIG")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    """Where models, the telemetry store and logs live (XDG data dir, overridable for tests)."""
    return Path(os.environ.get(ENV_PREFIX + "DATA_DIR") or platformdirs.user_data_dir(APP_NAME))


def default_model_dir() -> Path:
    """Where `hotwire-assist model build-default` writes the embedded model and the server finds it."""
    return data_dir() / "models" / "hotwire-tiny"


def shipped_model_dir() -> Path:
    """The embedded default shipped in the package (training/default_model: model.gguf, hf/, train.json).
    A data file beside the code, found by path: core imports no other room."""
    return Path(__file__).resolve().parents[1] / "training" / "default_model"


def embedded_model_dir() -> Path:
    """The embedded default in use: one the user built (`model build-default`) wins over the shipped one."""
    built = default_model_dir()
    return built if (built / "model.gguf").is_file() else shipped_model_dir()


def promoted_model_dir() -> Path:
    """Where `hotwire-assist model promote` puts a model that passed the evaluation gate; with no
    model.path configured, the llama.cpp backend prefers it to the embedded default."""
    return data_dir() / "models" / "promoted"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e


# Environment variables with the prefix that are not settings: where files are, a secret, what
# scripts/install builds with, where tools and test material live.
_NOT_SETTINGS = {
    ENV_PREFIX + name
    for name in ("CONFIG", "DATA_DIR", "API_KEY", "WHEELS", "EXTRAS", "HERB", "NODE_MODULES", "NVIM", "REALWORLD_APPS")
}


def _env_layer(environ: dict[str, str]) -> dict[str, Any]:
    """HOTWIRE_ASSIST_<SECTION>_<KEY>=value; lists are comma-separated."""
    layer: dict[str, Any] = {}
    sections = Config.model_fields
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in _NOT_SETTINGS:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("_")
        model = sections[section].annotation if section in sections else None
        field = model.model_fields.get(key) if model else None  # type: ignore[union-attr]
        if field is None:
            hint = _did_you_mean((section, key))
            raise ConfigError(f"environment variable {name}: unknown setting '{section}.{key}'{hint}")
        value: Any = raw
        if field.annotation == list[str]:
            value = [v.strip() for v in raw.split(",") if v.strip()]
        layer.setdefault(section, {})[key] = value
    return layer


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _did_you_mean(loc: tuple[Any, ...]) -> str:
    """' (did you mean 'model.backend'?)' for a misspelt section or key, else ''."""
    fields: dict[str, Any] = Config.model_fields
    for i, part in enumerate(loc):
        if str(part) not in fields:
            close = difflib.get_close_matches(str(part), list(fields), n=1, cutoff=0.6)
            return f" (did you mean '{'.'.join([*map(str, loc[:i]), close[0]])}'?)" if close else ""
        model = fields[str(part)].annotation
        fields = getattr(model, "model_fields", {})
    return ""


def _validate(data: dict[str, Any], origin: str) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            key = ".".join(str(p) for p in err["loc"])
            extra = err["type"] == "extra_forbidden"
            msg = "unknown setting" + _did_you_mean(err["loc"]) if extra else err["msg"]
            problems.append(f"'{key}': {msg}")
        raise ConfigError(f"{origin}: " + "; ".join(problems)) from None


def config_files(workspace: Path | None = None, user_file: Path | None = None) -> list[Path]:
    """The configuration files `load_config` reads for this workspace that exist, lowest layer first."""
    candidates = [user_file or user_config_path()]
    if workspace is not None:
        candidates.append(workspace / WORKSPACE_FILE)
    return [p for p in candidates if p.is_file()]


def load_config(
    workspace: Path | None = None,
    environ: dict[str, str] | None = None,
    user_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Merge every layer and validate each on its own, so errors say which file is wrong.

    `overrides` are the editor's settings (LSP initializationOptions), the last layer.
    """
    environ = dict(os.environ) if environ is None else environ
    merged: dict[str, Any] = {}
    layers: list[tuple[str, dict[str, Any]]] = []
    user_file = user_file or user_config_path()
    layers.append((str(user_file), _read_toml(user_file)))
    if workspace is not None:
        ws_file = workspace / WORKSPACE_FILE
        layers.append((str(ws_file), _read_toml(ws_file)))
    layers.append(("environment", _env_layer(environ)))
    if overrides:
        layers.append(("editor settings", overrides))
    for origin, layer in layers:
        _validate(layer, origin)
        merged = _merge(merged, layer)
    return _validate(merged, "configuration")


def completion_allowed(config: Config, language: str, workspace: Path | None) -> bool:
    """Per-language and per-workspace switch, checked before any model work."""
    import fnmatch

    if not config.completion.enabled or language not in config.completion.languages:
        return False
    if workspace is None:
        return True
    ws = str(workspace)
    return not any(fnmatch.fnmatch(ws, pat) for pat in config.completion.disabled_workspaces)
