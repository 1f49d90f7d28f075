"""The model registry: which model files exist, what they were made from, and which one serves where.

One registry for every model the project makes (the shipped default, promoted retrains, per-workspace
adapted models), so promotion, rollback, telemetry and insights speak of the same identities.

Identity is content: a model is its **sha256** (`model_sha256`): of the GGUF file, or — for a Hugging
Face folder with or without a peft adapter — of every file's digest, base then adapter. Names are for
people; the sha256 is what a run, a promotion and a telemetry event are checked against.

Scopes: `GENERIC` ("generic") is the model for every workspace; a workspace's own model lives under
`workspace_key(root)`. `resolve(workspace)` says which file a server should load: the workspace's
model if it has one, else the generic promoted one, else None (the caller falls back to the embedded
default). Each scope keeps its current model and the one before it (`rollback` swaps them).

Layout (under `data_dir()/models`, or the `root` given to `Registry`):

    registry.json                      records by sha256 + per-scope {"current", "previous"}
    promoted/model.gguf                generic current (the path the llama.cpp backend already watches)
    promoted/previous.gguf             generic previous
    workspaces/<key>/model.gguf        a workspace's current (…/previous.gguf before it)
    <slot>/hf/, <slot>/previous-hf/    the HF checkpoint beside a GGUF, when one was registered
                                       (adaptation continues training from it)
    <slot>/adapter/, <slot>/previous-adapter/
                                       a peft (LoRA) adapter for an HF base instead of a GGUF
                                       (`promote_adapter`; the transformers backend serves it)

A slot's current model is one of the two kinds: promoting either retires everything of the current
one to previous-*, and rollback swaps every pair.

Files are replaced atomically (copy to a temporary name, then rename), so a server reading the slot
sees the old model or the new one, never half a file; registry.json is written the same way, under a
lock file so two promotions cannot interleave.

Typical use (the CLI composes this with evaluation's gate):

    reg = Registry()
    rec = ModelRecord(sha256=model_sha256(gguf), name="lora-7", data_hash=..., figures={...})
    reg.promote(gguf, rec, scope=GENERIC)          # or scope=workspace_key(root), hf_dir=...
    reg.status()                                   # {scope: {"current": rec, "previous": rec}}
    reg.rollback(GENERIC)                          # previous ⇄ current
    reg.resolve(Path("~/code/app"))                # the GGUF the server should use there, or None
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hotwire_assist.core.config import data_dir

GENERIC = "generic"
REGISTRY_FILE = "registry.json"
MODEL_FILE = "model.gguf"
PREVIOUS_FILE = "previous.gguf"
HF_DIR = "hf"
PREVIOUS_HF_DIR = "previous-hf"
ADAPTER_DIR = "adapter"
PREVIOUS_ADAPTER_DIR = "previous-adapter"
ADAPTER_KIND = "hf+adapter"
ADAPTER_INFO = "hotwire.json"  # in an adapter folder: {"base": the resolved HF base it was trained on}
_PAIRS = ((MODEL_FILE, PREVIOUS_FILE), (HF_DIR, PREVIOUS_HF_DIR), (ADAPTER_DIR, PREVIOUS_ADAPTER_DIR))
_CHUNK = 1 << 20


class RegistryError(ValueError):
    """A registry operation cannot be done (nothing to roll back to, a file that is not the record's)."""


# --- identity -------------------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """sha256 of one file, streamed (GGUFs are gigabytes)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


_SHA_CACHE: dict[tuple[str, int, int], str] = {}  # (resolved path, size, mtime_ns) → sha256
_HASHING: set[tuple[str, int, int]] = set()
_SHA_LOCK = threading.Lock()


def _stat_key(path: Path) -> tuple[str, int, int]:
    p = Path(path).resolve()
    st = p.stat()
    return str(p), st.st_size, st.st_mtime_ns


def _tree_sha256(folder: Path) -> str:
    """Digest of a folder: every file's relative path and sha256, in sorted order."""
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f.relative_to(folder).as_posix().encode() + b"\0" + identify_file(f).encode() + b"\n")
    return h.hexdigest()


def identify_file(path: Path) -> str:
    """sha256 of a file, cached by (path, size, mtime) so a server can ask on every event for free."""
    key = _stat_key(path)
    with _SHA_LOCK:
        if key in _SHA_CACHE:
            return _SHA_CACHE[key]
    sha = file_sha256(Path(key[0]))
    with _SHA_LOCK:
        _SHA_CACHE[key] = sha
    return sha


def _tree_stamp(*paths: Path | None) -> tuple[int, int]:
    """(total size, newest mtime) over the files of the given files or folders: changes when they do."""
    size = newest = 0
    for p in paths:
        if p is None:
            continue
        for f in [p] if p.is_file() else [x for x in p.rglob("*") if x.is_file()]:
            st = f.stat()
            size, newest = size + st.st_size, max(newest, st.st_mtime_ns)
    return size, newest


def identify_soon(path: Path | str | None, adapter: Path | str | None = None) -> str:
    """The model's sha256 if it is known already, else "" — and it is then hashed in a background
    thread, so a caller on a latency path (the server recording telemetry) never waits on a multi-GB
    read. Folders (HF + adapter) are hashed the same way. A missing path gives ""."""
    if not path or not Path(path).exists():
        return ""
    try:
        keys = [_stat_key(Path(p)) for p in (path, adapter) if p and Path(p).is_file()]
    except OSError:
        return ""
    if adapter is None and keys:
        with _SHA_LOCK:
            if keys[0] in _SHA_CACHE:
                return _SHA_CACHE[keys[0]]
    try:
        job = (f"{path}+{adapter}", *_tree_stamp(Path(path), Path(adapter) if adapter else None))
    except OSError:
        return ""
    with _SHA_LOCK:
        if job in _SHA_CACHE:
            return _SHA_CACHE[job]
        if job in _HASHING:
            return ""
        _HASHING.add(job)

    def work() -> None:
        try:
            sha = model_sha256(path, adapter)
        except OSError:
            sha = ""
        with _SHA_LOCK:
            _HASHING.discard(job)
            if sha:
                _SHA_CACHE[job] = sha

    threading.Thread(target=work, name="hotwire-model-sha256", daemon=True).start()
    return ""


def model_sha256(path: Path | str, adapter: Path | str | None = None) -> str:
    """The identity of a model: a GGUF file's sha256, or for an HF folder (plus optional peft adapter)
    the sha256 over the folder's files then the adapter's. Raises OSError for a missing path."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such model: {p}")
    if p.is_file() and adapter is None:
        return identify_file(p)
    parts = [f"base:{_tree_sha256(p) if p.is_dir() else identify_file(p)}"]
    if adapter:
        a = Path(adapter)
        if not a.exists():
            raise FileNotFoundError(f"no such adapter: {a}")
        parts.append(f"adapter:{_tree_sha256(a) if a.is_dir() else identify_file(a)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def workspace_key(root: Path | str) -> str:
    """A stable scope name for a workspace: its folder name plus a hash of its resolved path."""
    p = Path(root).expanduser().resolve()
    digest = hashlib.sha256(str(p).encode()).hexdigest()[:12]
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in p.name)[:40] or "root"
    return f"ws-{name}-{digest}"


# --- records --------------------------------------------------------------------------------------------


class ModelRecord(BaseModel):
    """What the registry knows about one model (keyed by sha256)."""

    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(min_length=64, max_length=64)
    name: str = Field(min_length=1)
    kind: str = "gguf"  # gguf | hf | hf+adapter
    scope: str = GENERIC  # where it was made for: GENERIC or a workspace_key
    source: str = ""  # where the file came from (path at promotion time)
    data_hash: str = ""  # the training data's hash (train.json), when known
    base_sha256: str = ""  # the model it was trained from, when known
    figures: dict[str, Any] = {}  # evaluation figures (mean total, pass rate, FIM EM/ES, run dirs, gate)
    created_at: float = Field(default_factory=time.time)
    notes: str = ""


class _Slot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current: str | None = None
    previous: str | None = None


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    records: dict[str, ModelRecord] = {}
    scopes: dict[str, _Slot] = {}


# --- the registry ---------------------------------------------------------------------------------------


class Registry:
    """Read and change the registry under `root` (default: `data_dir()/models`). Every method re-reads
    registry.json, so several processes (server, CLI, `model adapt`) see each other's changes."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else data_dir() / "models"

    # paths

    def slot_dir(self, scope: str = GENERIC) -> Path:
        """The folder that holds a scope's current and previous model."""
        return self.root / "promoted" if scope == GENERIC else self.root / "workspaces" / scope

    def model_path(self, scope: str = GENERIC) -> Path:
        return self.slot_dir(scope) / MODEL_FILE

    def adapter_path(self, scope: str = GENERIC) -> Path:
        return self.slot_dir(scope) / ADAPTER_DIR

    # state

    def _load(self) -> _State:
        path = self.root / REGISTRY_FILE
        if not path.is_file():
            return _State()
        try:
            return _State.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise RegistryError(f"{path}: unreadable registry ({e}); move it aside to start a new one") from None

    def _save(self, state: _State) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / (REGISTRY_FILE + ".tmp")
        tmp.write_text(state.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(self.root / REGISTRY_FILE)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[_State]:
        """Exclusive read-modify-write of registry.json (a lock file; POSIX flock where available)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "registry.lock").open("a") as lock:
            try:
                import fcntl

                fcntl.flock(lock, fcntl.LOCK_EX)
            except ImportError:  # Windows: one writer at a time is the user's promise
                pass
            state = self._load()
            yield state
            self._save(state)

    # queries

    def records(self) -> list[ModelRecord]:
        return sorted(self._load().records.values(), key=lambda r: r.created_at)

    def get(self, sha256: str) -> ModelRecord | None:
        return self._load().records.get(sha256)

    def scopes(self) -> list[str]:
        return sorted(self._load().scopes)

    def current(self, scope: str = GENERIC) -> ModelRecord | None:
        state = self._load()
        slot = state.scopes.get(scope)
        return state.records.get(slot.current) if slot and slot.current else None

    def previous(self, scope: str = GENERIC) -> ModelRecord | None:
        state = self._load()
        slot = state.scopes.get(scope)
        return state.records.get(slot.previous) if slot and slot.previous else None

    def status(self) -> dict[str, dict[str, Any]]:
        """Per scope: the current and previous records (as dicts, None where empty) and the file path."""
        state = self._load()
        out: dict[str, dict[str, Any]] = {}
        for scope, slot in sorted(state.scopes.items()):
            cur = state.records.get(slot.current or "")
            out[scope] = {
                "path": str(self.adapter_path(scope) if cur and cur.kind == ADAPTER_KIND else self.model_path(scope)),
                "current": state.records[slot.current].model_dump() if slot.current in state.records else None,
                "previous": state.records[slot.previous].model_dump() if slot.previous in state.records else None,
            }
        return out

    def resolve(self, workspace: Path | None = None) -> Path | None:
        """The GGUF a server should load: the workspace's model, else the generic promoted one, else None."""
        scopes = ([workspace_key(workspace)] if workspace is not None else []) + [GENERIC]
        for scope in scopes:
            path = self.model_path(scope)
            if path.is_file():
                return path
        return None

    def resolve_adapter(self, workspace: Path | None, base: Path | str) -> Path | None:
        """The LoRA adapter the transformers backend should put on `base`: the workspace's promoted one,
        only when it was trained on that base (its hotwire.json names the resolved base path)."""
        if workspace is None:
            return None
        path = self.adapter_path(workspace_key(workspace))
        try:
            trained_on = json.loads((path / ADAPTER_INFO).read_text(encoding="utf-8")).get("base", "")
        except (OSError, ValueError, AttributeError):
            return None
        same = trained_on and Path(trained_on) == Path(base).expanduser().resolve()
        return path if same and (path / "adapter_config.json").is_file() else None

    def identify(self, path: Path | str) -> tuple[str, str]:
        """(sha256, name) of a model file or folder: the registered name, else the file's own name."""
        p = Path(path)
        sha = model_sha256(p)
        rec = self.get(sha)
        return sha, rec.name if rec else (p.parent.name if p.name == MODEL_FILE else p.name)

    # changes

    def register(self, record: ModelRecord) -> ModelRecord:
        """Add or update a record (no file is moved): e.g. the shipped default, or an evaluated candidate."""
        with self._locked() as state:
            state.records[record.sha256] = record
        return record

    def promote(self, gguf: Path, record: ModelRecord, scope: str = GENERIC, hf_dir: Path | None = None) -> ModelRecord:
        """Make `gguf` the current model of `scope`; the current one becomes previous (its file kept
        beside it). Refuses a file whose sha256 is not `record.sha256`. `hf_dir`: the HF checkpoint the
        GGUF was exported from, kept beside it."""
        gguf = Path(gguf)
        actual = file_sha256(gguf)
        if actual != record.sha256:
            raise RegistryError(f"{gguf} has sha256 {actual[:16]}…, not the record's {record.sha256[:16]}…")
        record = record.model_copy(update={"source": record.source or str(gguf.resolve())})
        return self._swap_in(
            scope, record, {MODEL_FILE: gguf, **({HF_DIR: Path(hf_dir)} if hf_dir is not None else {})}
        )

    def promote_adapter(self, adapter: Path, base: Path, record: ModelRecord, scope: str) -> ModelRecord:
        """Make the peft adapter folder `adapter` (trained on the HF folder `base`) the current model of
        `scope`, copied whole beside the slot first and then renamed in; the current model (adapter or
        GGUF) becomes previous. Refuses a record whose sha256 is not model_sha256(base, adapter) — the
        identity telemetry records for base + adapter."""
        adapter = Path(adapter)
        if not (adapter / "adapter_config.json").is_file():
            raise RegistryError(f"{adapter} is not a peft adapter folder (no adapter_config.json)")
        actual = model_sha256(base, adapter)
        if actual != record.sha256:
            raise RegistryError(
                f"{adapter} on {base} has sha256 {actual[:16]}…, not the record's {record.sha256[:16]}…"
            )
        record = record.model_copy(update={"kind": ADAPTER_KIND, "source": record.source or str(adapter.resolve())})
        return self._swap_in(scope, record, {ADAPTER_DIR: adapter})

    def _swap_in(self, scope: str, record: ModelRecord, files: dict[str, Path]) -> ModelRecord:
        """Make `files` (slot name -> source file or folder) the current model of `scope` under `record`,
        for either kind: each is copied beside the slot as NAME.new, the slot's current files retire to
        previous, the new ones are renamed in. Nothing moves when the record is current already."""
        slot = self.slot_dir(scope)
        slot.mkdir(parents=True, exist_ok=True)
        with self._locked() as state:
            old = state.scopes.get(scope, _Slot())
            if old.current == record.sha256:
                state.records[record.sha256] = record
                return record
            for name, src in files.items():
                (_replace_tree if src.is_dir() else _atomic_copy)(src, slot / (name + ".new"))
            cur = slot / MODEL_FILE
            previous = old.current
            if cur.is_file() and previous is None:  # promoted before the registry existed: keep it, as a record
                previous = file_sha256(cur)
                state.records.setdefault(
                    previous, ModelRecord(sha256=previous, name="unregistered", scope=scope, source=str(cur))
                )
            _retire(slot)
            for name in files:
                _move_tree(slot / (name + ".new"), slot / name)
            state.records[record.sha256] = record
            state.scopes[scope] = _Slot(current=record.sha256, previous=previous)
        return record

    def rollback(self, scope: str = GENERIC) -> ModelRecord:
        """Swap the current and previous model of `scope`; returns the record now current."""
        slot = self.slot_dir(scope)
        with self._locked() as state:
            s = state.scopes.get(scope)
            prev = state.records.get(s.previous) if s is not None and s.previous else None
            is_adapter = prev is not None and prev.kind == ADAPTER_KIND
            there = (slot / PREVIOUS_ADAPTER_DIR / "adapter_config.json") if is_adapter else (slot / PREVIOUS_FILE)
            if s is None or not s.previous or not there.is_file():
                raise RegistryError(f"scope '{scope}' has no previous model to roll back to")
            if not is_adapter and file_sha256(slot / PREVIOUS_FILE) != s.previous:
                raise RegistryError(f"{slot / PREVIOUS_FILE} is not the registered previous model; not touched")
            for cur, previous in _PAIRS:
                _move_tree(slot / cur, slot / (cur + ".swap"))
                _move_tree(slot / previous, slot / cur)
                _move_tree(slot / (cur + ".swap"), slot / previous)
            state.scopes[scope] = _Slot(current=s.previous, previous=s.current)
            return state.records[s.previous]


def _retire(slot: Path) -> None:
    """The slot's current files (GGUF, HF checkpoint, adapter) become its previous ones; the old previous go."""
    for cur, previous in _PAIRS:
        if (slot / cur).exists():
            _move_tree(slot / cur, slot / previous)
        else:
            _move_tree(slot / previous, slot / (previous + ".gone"))
            shutil.rmtree(slot / (previous + ".gone"), ignore_errors=True)


def _atomic_copy(src: Path, dst: Path) -> None:
    tmp = dst.with_name(dst.name + ".part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _replace_tree(src: Path, dst: Path) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)


def _move_tree(src: Path, dst: Path) -> None:
    """Move a folder or file over `dst` (removed first); nothing when `src` is absent."""
    if dst.is_dir():
        shutil.rmtree(dst, ignore_errors=True)
    elif dst.exists():
        dst.unlink()
    if src.exists():
        os.replace(src, dst)


def record_json(record: ModelRecord | None) -> dict | None:
    return None if record is None else json.loads(record.model_dump_json())
