"""One frozen settings object, read from flags, then the environment, then defaults.

Environment: ``KG_BASE_IRI`` (the IRI every minted resource starts with), ``KG_STORE``
(a folder for the embedded store, or an ``http(s)://`` SPARQL endpoint later).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kg.errors import ConfigError

DEFAULT_BASE_IRI = "https://w3id.org/scholarly-kg/"
DEFAULT_STORE = Path("kg-store")


def _data_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) if xdg else Path.home() / ".local" / "share"


def default_store_location() -> str:
    """``$KG_STORE``, else ``$XDG_DATA_HOME/scholarly-kg/store`` (``~/.local/share/...``)."""
    env = os.environ.get("KG_STORE")
    if env:
        return env
    return str(_data_home() / "scholarly-kg" / "store")


def check_base_iri(value: str) -> str:
    """Return ``value`` if it is an absolute http(s) IRI ending in ``/``; else raise ConfigError."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"base IRI must be an absolute http(s) IRI, got {value!r}",
                          field="base_iri")
    if not value.endswith("/"):
        raise ConfigError(f"base IRI must end with '/', got {value!r}", field="base_iri")
    if parts.query or parts.fragment:
        raise ConfigError(f"base IRI must have no query or fragment, got {value!r}",
                          field="base_iri")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything a command or the server needs to know about its deployment."""

    base_iri: str = DEFAULT_BASE_IRI
    store: str = field(default_factory=default_store_location)
    query_timeout: float = 30.0
    result_limit: int = 100_000

    def __post_init__(self) -> None:
        check_base_iri(self.base_iri)

    @classmethod
    def from_env(cls, *, base_iri: str | None = None, store: str | None = None) -> Settings:
        """Flags win over ``KG_BASE_IRI`` / ``KG_STORE``, which win over the defaults."""
        return cls(
            base_iri=base_iri or os.environ.get("KG_BASE_IRI") or DEFAULT_BASE_IRI,
            store=store or default_store_location(),
        )
