"""Settings: flags, then the environment, then defaults; a bad base IRI is a ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.config import DEFAULT_BASE_IRI, Settings, check_base_iri, default_store_location
from kg.errors import ConfigError


@pytest.mark.parametrize("value", [
    "https://w3id.org/scholarly-kg/", "http://example.org/", "http://localhost:8080/kg/"])
def test_good_base_iris(value: str) -> None:
    assert check_base_iri(value) == value
    assert Settings(base_iri=value, store="x").base_iri == value


@pytest.mark.parametrize(("value", "says"), [
    ("https://example.org/kg", "must end with '/'"),
    ("ftp://example.org/kg/", "absolute http(s) IRI"),
    ("example.org/kg/", "absolute http(s) IRI"),
    ("/kg/", "absolute http(s) IRI"),
    ("https:///kg/", "absolute http(s) IRI"),
    ("https://example.org/kg/?x=1/", "no query or fragment"),
    ("https://example.org/kg#/", "no query or fragment"),
])
def test_bad_base_iris_name_the_field(value: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(base_iri=value, store="x")
    assert caught.value.field == "base_iri"
    assert says in caught.value.message
    assert repr(value) in caught.value.message


def test_flags_win_over_environment_over_defaults(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.delenv("KG_BASE_IRI", raising=False)
    monkeypatch.delenv("KG_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    plain = Settings.from_env()
    assert plain.base_iri == DEFAULT_BASE_IRI
    assert plain.store == str(tmp_path / "xdg" / "scholarly-kg" / "store")
    monkeypatch.setenv("KG_BASE_IRI", "http://env.example/")
    monkeypatch.setenv("KG_STORE", str(tmp_path / "env-store"))
    from_env = Settings.from_env()
    assert (from_env.base_iri, from_env.store) == ("http://env.example/",
                                                   str(tmp_path / "env-store"))
    flagged = Settings.from_env(base_iri="http://flag.example/", store="flag-store")
    assert (flagged.base_iri, flagged.store) == ("http://flag.example/", "flag-store")


def test_a_bad_base_iri_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_BASE_IRI", "not an iri")
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(store="x")
    assert caught.value.field == "base_iri"


def test_default_store_without_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KG_STORE", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_store_location() == str(tmp_path / ".local" / "share" / "scholarly-kg" /
                                           "store")


def test_settings_are_frozen() -> None:
    settings = Settings(store="x")
    with pytest.raises(AttributeError):
        settings.base_iri = "http://example.org/"  # type: ignore[misc]
