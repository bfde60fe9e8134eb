"""The installed version of scholarly-kg (from the one source, ``pyproject.toml``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("scholarly-kg")
except PackageNotFoundError:  # running from a checkout that was never installed
    VERSION = "0.0.0+unknown"
