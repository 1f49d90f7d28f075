"""The live index: files changed on disk outside the editor update it; open files are left to the editor."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from hotwire_assist.core.appindex import index_app
from hotwire_assist.server.watch import IndexWatcher

INTEL = Path(__file__).resolve().parents[1] / "fixtures" / "intel_app"
CONTROLLER = (
    'import { Controller } from "@hotwired/stimulus"\nexport default class extends Controller {\n  go() {}\n}\n'
)


async def until(check, timeout: float = 10.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


async def test_outside_changes_update_the_index_and_open_files_are_skipped(tmp_path: Path):
    root = tmp_path / "app"
    shutil.copytree(INTEL, root)
    index = index_app(root)
    open_view = root / "app/views/projects/index.html.erb"
    watcher = IndexWatcher(root, index, is_open=lambda p: Path(p) == open_view)
    watcher.start()
    await asyncio.sleep(0.3)  # the watch is set up
    new = root / "app/javascript/controllers/sortable_controller.js"
    new.write_text(CONTROLLER)
    (root / "app/views/tasks/_task.html.erb").unlink()  # e.g. `git checkout` of another branch
    open_view.write_text('<%= turbo_frame_tag "changed_on_disk" %>\n')
    (root / "node_modules").mkdir()
    (root / "node_modules/x_controller.js").write_text(CONTROLLER)  # never indexed
    assert await until(lambda: "sortable" in index.stimulus_controllers)
    assert await until(lambda: "task_*" not in {f.id for f in index.frames})
    assert index.stimulus_controllers["sortable"].actions == ["go"]
    assert "projects_list" in {f.id for f in index.frames}  # the open file keeps the editor's version
    assert "changed_on_disk" not in {f.id for f in index.frames}
    assert not any("node_modules" in p for p in index.files)
    watcher.stop()
    assert await watcher.stopped()
