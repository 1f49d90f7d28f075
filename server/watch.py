"""Keep the app index live for files changed outside the editor (`git checkout`, generators, other tools).

A watchfiles watcher on the workspace re-indexes each changed indexable file from disk. Files open in
the editor are skipped: their buffer, not the disk, is the truth, and didChange already updates them.
Re-indexing (read, parse, extract) runs in a worker thread; only swapping the new facts in runs on the
event loop, so a big file never stalls it. Files over the size cap keep the facts they had.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from hotwire_assist.core.appindex import SKIP_DIRS, AppIndex, indexable, read_text
from hotwire_assist.server.documents import MAX_DOCUMENT_CHARS
from hotwire_assist.server.looplag import cpu_work

log = logging.getLogger(__name__)


class _AppFilter(DefaultFilter):
    """Only files the index reads, outside dependencies and generated output (judged below the root:
    the workspace itself may well live under a `tmp` or `build` folder)."""

    def __init__(self, root: Path) -> None:
        super().__init__(ignore_dirs=())
        self.root = root.resolve()

    def __call__(self, change: Change, path: str) -> bool:
        p = Path(path)
        try:
            parts = p.resolve().relative_to(self.root).parts[:-1]
        except ValueError:
            return False
        if any(d in SKIP_DIRS or d.startswith(".") for d in parts):
            return False
        return super().__call__(change, path) and (p.name == "Gemfile.lock" or indexable(p))


def _facts_of(path: str, text: str | None) -> AppIndex | None:
    """A one-file index of `path` (from `text`, else from disk), built in a worker thread; None when the
    file is over the size cap (its facts stay as they were)."""
    if text is None and Path(path).name != "Gemfile.lock":
        text = read_text(Path(path))  # None: gone, binary or unreadable, and dropped below
    if text is not None and len(text) > MAX_DOCUMENT_CHARS:
        return None
    scratch = AppIndex()
    scratch.update_file(path, text)
    return scratch


def swap_in(index: AppIndex, path: str, scratch: AppIndex) -> None:
    """Replace one file's facts in the live index with those of its one-file index (cheap: on the loop)."""
    key = str(Path(path))
    if Path(path).name == "Gemfile.lock":
        index.versions = scratch.versions
        return
    if key in scratch.files:
        index.files[key] = scratch.files[key]
    else:
        index.files.pop(key, None)
    index._changed()  # the index's own cache reset: derived facts are rebuilt on the next query


async def reindex(index: AppIndex, path: str, text: str | None = None) -> bool:
    """Re-index one file off the event loop; False (facts kept) when it is over the size cap."""
    if text is not None and len(text) > MAX_DOCUMENT_CHARS:
        return False
    scratch = await cpu_work(_facts_of, path, text)
    if scratch is None:
        return False
    swap_in(index, path, scratch)
    return True


async def apply_changes(index: AppIndex, changes: set[tuple[Change, str]], is_open: Callable[[str], bool]) -> list[str]:
    """Re-index changed files (a deleted one is dropped); returns the paths updated."""
    done = []
    for _, path in sorted(changes, key=lambda c: c[1]):
        if is_open(path):
            continue
        if await reindex(index, path):
            done.append(path)
    return done


class IndexWatcher:
    """`start()` in a running loop; `stop()` ends it cleanly (on shutdown)."""

    def __init__(self, root: Path, index: AppIndex, is_open: Callable[[str], bool] = lambda _: False) -> None:
        self.root, self.index, self.is_open = root, index, is_open
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.updates = 0  # files re-indexed so far (tests and the status request read it)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            async for changes in awatch(
                self.root,
                watch_filter=_AppFilter(self.root),
                stop_event=self._stop,
                debounce=200,
                step=50,
                recursive=True,
            ):
                self.updates += len(await apply_changes(self.index, changes, self.is_open))
        except Exception as e:  # a watcher that cannot run (no inotify, root gone) must not take the server down
            log.warning("not watching %s for changes: %s", self.root, e)

    def stop(self) -> None:
        """Ask the watcher to end (it does within one `step`)."""
        self._stop.set()

    async def stopped(self, timeout: float = 5) -> bool:
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=timeout)
        return self._task is None or self._task.done()
