"""A real `hotwire-assist dashboard` process on a free loopback port, and a headless Chromium when there is one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


class Dashboard:
    def __init__(self, args: list[str]) -> None:
        cmd = [sys.executable, "-m", "hotwire_assist.cli", "dashboard", "--port", "0", *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ)
        line = self.proc.stdout.readline()  # the URL line comes once the port is bound
        if not line.startswith("dashboard: "):
            self.stop()
            raise RuntimeError(f"dashboard did not start: {line}{self.proc.stderr.read()}")
        self.url = line.split()[1]
        self.base = self.url.split("?")[0].rstrip("/")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def start_dashboard() -> Iterator:
    started: list[Dashboard] = []

    def start(*args: str) -> Dashboard:
        started.append(Dashboard([str(a) for a in args]))
        return started[-1]

    yield start
    for d in started:
        d.stop()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium); CI has it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()
