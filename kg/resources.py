"""Where the shapes and the ontology files are: ``shapes/`` and ``ontology/`` of the project.

They live at the top of the project (beside ``kg/``), so an editable install or a checkout finds
them; ``KG_SHAPES_DIR`` and ``KG_ONTOLOGY_DIR`` point elsewhere when needed.
"""

from __future__ import annotations

import os
from pathlib import Path

from kg.errors import ConfigError

_PROJECT = Path(__file__).resolve().parent.parent


def _folder(env: str, name: str) -> Path:
    folder = Path(os.environ.get(env) or _PROJECT / name)
    if not folder.is_dir():
        raise ConfigError(f"the {name} folder is missing (set {env})", source=str(folder))
    return folder


def shapes_dir() -> Path:
    return _folder("KG_SHAPES_DIR", "shapes")


def ontology_dir() -> Path:
    return _folder("KG_ONTOLOGY_DIR", "ontology")


def shape_files() -> list[Path]:
    """The shape files, sorted by name."""
    return sorted(shapes_dir().glob("*.ttl"))
