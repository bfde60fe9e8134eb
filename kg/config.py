"""One frozen settings object, read from flags, then the environment, then defaults.

Environment: ``KG_BASE_IRI`` (the IRI every minted resource starts with), ``KG_STORE``
(a folder for the embedded store, or a SPARQL server: an ``http(s)://`` URL or a ``.toml`` file,
see ``kg.store.remote``), ``KG_STORE_KIND`` (``oxigraph``, ``virtuoso`` or ``generic``),
``KG_UPDATE_TOKEN`` (the bearer token that unlocks writes over HTTP; unset: read-only).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kg.errors import ConfigError

DEFAULT_BASE_IRI = "https://w3id.org/scholarly-kg/"
DEFAULT_STORE = Path("kg-store")
DEFAULT_QUERY_TIMEOUT = 30.0
DEFAULT_RESULT_LIMIT = 100_000
DEFAULT_MAX_QUERY_BYTES = 1 << 20
DEFAULT_MAX_BODY_BYTES = 256 << 20


def _data_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) if xdg else Path.home() / ".local" / "share"


def default_store_location() -> str:
    """``$KG_STORE``, else ``$XDG_DATA_HOME/scholarly-kg/store`` (``~/.local/share/...``)."""
    env = os.environ.get("KG_STORE")
    if env:
        return env
    return str(_data_home() / "scholarly-kg" / "store")


def default_releases_location() -> str:
    """``$KG_RELEASES``, else ``$XDG_DATA_HOME/scholarly-kg/releases`` (``kg release``'s folder)."""
    return os.environ.get("KG_RELEASES") or str(_data_home() / "scholarly-kg" / "releases")


def default_license() -> str:
    """``$KG_LICENSE``, else CC BY 4.0: the licence releases state for the data."""
    return os.environ.get("KG_LICENSE") or "https://creativecommons.org/licenses/by/4.0/"


def default_query_workers() -> int:
    """Two query workers per core, at least 2 and at most 8."""
    return min(max(2 * (os.cpu_count() or 1), 2), 8)


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
    #: The server's maximum time for one query, in seconds (clients may ask for less).
    query_timeout: float = DEFAULT_QUERY_TIMEOUT
    #: The most rows (SELECT) or triples (CONSTRUCT, DESCRIBE) one response holds; 0: no cap.
    result_limit: int = DEFAULT_RESULT_LIMIT
    #: The longest query or update text accepted, in bytes of UTF-8 (longer: 413).
    max_query_bytes: int = DEFAULT_MAX_QUERY_BYTES
    #: The largest request body accepted (Graph Store uploads), in bytes (larger: 413).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: The bearer token that unlocks updates and Graph Store writes; None: read-only.
    update_token: str | None = field(default=None, repr=False)
    #: IRIs that ``SERVICE`` may call (an entry ending in ``/`` allows everything under it).
    service_allow: tuple[str, ...] = ()
    #: IRIs that ``LOAD`` may read, matched like ``service_allow``.
    load_allow: tuple[str, ...] = ()
    #: How many query worker processes the server keeps (each with its own store snapshot).
    query_workers: int = field(default_factory=default_query_workers)
    #: The folder of archival releases (``kg release`` writes there, the server lists it).
    releases: str = field(default_factory=default_releases_location)
    #: The IRI of the licence releases state for the data.
    license: str = field(default_factory=default_license)
    #: For a remote store: ``oxigraph``, ``virtuoso`` or ``generic``; None: detected.
    store_kind: str | None = None

    def __post_init__(self) -> None:
        check_base_iri(self.base_iri)
        checks = [
            ("query_timeout", self.query_timeout > 0, "must be more than 0 seconds"),
            ("result_limit", self.result_limit >= 0, "must be 0 (no cap) or more"),
            ("max_query_bytes", self.max_query_bytes > 0, "must be more than 0"),
            ("max_body_bytes", self.max_body_bytes > 0, "must be more than 0"),
            ("query_workers", self.query_workers >= 1, "must be at least 1"),
            ("update_token", self.update_token is None or len(self.update_token) >= 16,
             "must be at least 16 characters"),
        ]
        for name, ok, says in checks:
            if not ok:
                raise ConfigError(f"{name.replace('_', ' ')} {says}", field=name)

    @property
    def writable(self) -> bool:
        """Whether the server accepts writes (from requests that carry the token)."""
        return self.update_token is not None

    @classmethod
    def from_env(cls, *, base_iri: str | None = None, store: str | None = None,
                 store_kind: str | None = None) -> Settings:
        """Flags win over ``KG_BASE_IRI`` / ``KG_STORE``, which win over the defaults;
        ``KG_UPDATE_TOKEN`` (when set and not empty) makes the server writable."""
        return cls(
            base_iri=base_iri or os.environ.get("KG_BASE_IRI") or DEFAULT_BASE_IRI,
            store=store or default_store_location(),
            update_token=os.environ.get("KG_UPDATE_TOKEN", "").strip() or None,
            store_kind=store_kind or os.environ.get("KG_STORE_KIND") or None,
        )


def read_token_file(path: str | Path) -> str:
    """The update token held in ``path`` (surrounding white space removed).

    Raises ConfigError when the file cannot be read or holds no token.
    """
    try:
        token = Path(path).read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the token file: {error.__class__.__name__}",
                          source=str(path), field="update_token") from None
    if not token:
        raise ConfigError("the token file is empty", source=str(path), field="update_token")
    return token
