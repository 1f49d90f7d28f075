"""Shared core: configuration, schemas, prompt formats, privacy and the Hotwire rules.

Imports nothing from the server, training or evaluation rooms; they all import it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hotwire-assist")  # one source: pyproject.toml's [project] version
except PackageNotFoundError:  # not installed (a bare checkout on sys.path)
    __version__ = "0+unknown"
