from pathlib import Path

import pytest

from hotwire_assist.core.config import ConfigError, completion_allowed, load_config


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_defaults_use_the_embedded_backend(tmp_path):
    config = load_config(None, environ={}, user_file=tmp_path / "absent.toml")
    assert config.model.backend == "llama_cpp"
    assert config.model.family == "hotwire-tiny"
    assert config.telemetry.enabled is False


def test_layers_override_in_order(tmp_path):
    user = write(tmp_path / "user.toml", '[model]\nbackend = "ollama"\nname = "a"\nthreads = 2\n')
    ws = tmp_path / "ws"
    ws.mkdir()
    write(ws / ".hotwire-assist.toml", '[model]\nname = "b"\n[completion]\nmax_lines = 3\n')
    env = {"HOTWIRE_ASSIST_MODEL_THREADS": "6", "HOTWIRE_ASSIST_COMPLETION_LANGUAGES": "erb, ruby"}
    config = load_config(ws, environ=env, user_file=user, overrides={"completion": {"debounce_ms": 5}})
    assert config.model.backend == "ollama"  # user file
    assert config.model.name == "b"  # workspace beats user
    assert config.model.threads == 6  # environment beats both
    assert config.completion.languages == ["erb", "ruby"]
    assert config.completion.max_lines == 3
    assert config.completion.debounce_ms == 5  # editor settings last


def test_unknown_key_is_named(tmp_path):
    user = write(tmp_path / "user.toml", "[model]\nthread = 2\n")
    with pytest.raises(ConfigError, match=r"user.toml.*'model.thread': unknown setting"):
        load_config(None, environ={}, user_file=user)


def test_bad_value_is_named(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    write(ws / ".hotwire-assist.toml", '[model]\nbackend = "gpt"\n')
    with pytest.raises(ConfigError, match=r"\.hotwire-assist\.toml.*'model.backend'"):
        load_config(ws, environ={}, user_file=tmp_path / "absent.toml")


def test_bad_env_var_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match=r"HOTWIRE_ASSIST_MODEL_COLOR"):
        load_config(None, environ={"HOTWIRE_ASSIST_MODEL_COLOR": "red"}, user_file=tmp_path / "x.toml")
    with pytest.raises(ConfigError, match=r"'model\.threads'"):
        load_config(None, environ={"HOTWIRE_ASSIST_MODEL_THREADS": "many"}, user_file=tmp_path / "x.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(None, environ={}, user_file=write(tmp_path / "bad.toml", "[model\n"))


def test_our_own_non_setting_variables_are_not_read_as_settings(tmp_path):
    """scripts/install's and the tools' variables share the prefix; they must not make the config invalid."""
    env = {"HOTWIRE_ASSIST_WHEELS": "/tmp/w", "HOTWIRE_ASSIST_EXTRAS": "llama", "HOTWIRE_ASSIST_HERB": "/x/herb"}
    config = load_config(None, environ={**env, "HOTWIRE_ASSIST_MODEL_THREADS": "3"}, user_file=tmp_path / "x.toml")
    assert config.model.threads == 3


def test_per_language_and_per_workspace_switches(tmp_path):
    config = load_config(
        None,
        environ={},
        user_file=tmp_path / "x.toml",
        overrides={"completion": {"disabled_workspaces": ["/secret/*"], "languages": ["erb"]}},
    )
    assert completion_allowed(config, "erb", Path("/work/app"))
    assert not completion_allowed(config, "ruby", Path("/work/app"))
    assert not completion_allowed(config, "erb", Path("/secret/app"))


def test_data_dir_is_xdg_unless_overridden(monkeypatch, tmp_path):
    from hotwire_assist.core.config import data_dir

    monkeypatch.delenv("HOTWIRE_ASSIST_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "hotwire-assist"
    monkeypatch.setenv("HOTWIRE_ASSIST_DATA_DIR", str(tmp_path / "mine"))
    assert data_dir() == tmp_path / "mine"
