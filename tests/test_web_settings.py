"""The server's settings: the update token (environment or file, never shown), the limits, and
the access-log line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.cli import build_parser
from kg.config import Settings, read_token_file
from kg.errors import ConfigError
from kg.web.access_log import line


def test_the_token_comes_from_the_environment_and_is_never_shown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_UPDATE_TOKEN", "  env-token-0123456789abcdef \n")
    settings = Settings.from_env(store="x")
    assert settings.update_token == "env-token-0123456789abcdef"
    assert settings.writable
    assert "env-token" not in repr(settings) and "env-token" not in str(settings)
    monkeypatch.setenv("KG_UPDATE_TOKEN", "")
    assert Settings.from_env(store="x").update_token is None
    monkeypatch.delenv("KG_UPDATE_TOKEN")
    assert not Settings.from_env(store="x").writable


def test_token_files(tmp_path: Path) -> None:
    good = tmp_path / "token"
    good.write_text("file-token-0123456789abcdef\n", "utf-8")
    assert read_token_file(good) == "file-token-0123456789abcdef"
    empty = tmp_path / "empty"
    empty.write_text(" \n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        read_token_file(empty)
    assert (caught.value.field, caught.value.source) == ("update_token", str(empty))
    with pytest.raises(ConfigError) as missing:
        read_token_file(tmp_path / "missing")
    assert "cannot read the token file" in missing.value.message


@pytest.mark.parametrize(("field", "value", "says"), [
    ("update_token", "short", "at least 16 characters"),
    ("query_timeout", 0.0, "more than 0 seconds"),
    ("result_limit", -1, "0 (no cap) or more"),
    ("max_query_bytes", 0, "more than 0"),
    ("max_body_bytes", 0, "more than 0"),
    ("query_workers", 0, "at least 1"),
])
def test_limits_are_checked(field: str, value: object, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(store="x", **{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field
    assert says in caught.value.message
    assert "short" not in caught.value.message


def test_kg_serve_options() -> None:
    args = build_parser().parse_args([
        "serve", "--timeout", "5", "--result-limit", "0", "--update-token-file", "t",
        "--allow-service", "http://a.example/", "--allow-service", "http://b.example/",
        "--allow-load", "http://c.example/x.ttl", "--max-query-bytes", "1000",
        "--max-body-bytes", "2000", "--workers", "3", "--threads", "4"])
    assert (args.timeout, args.result_limit, args.update_token_file) == (5.0, 0, "t")
    assert args.allow_service == ["http://a.example/", "http://b.example/"]
    assert (args.max_query_bytes, args.max_body_bytes, args.workers, args.threads) == (
        1000, 2000, 3, 4)


def test_an_unusable_token_file_is_a_usage_error(tmp_path: Path) -> None:
    from tests.conftest import run_kg

    empty = tmp_path / "token"
    empty.write_text("", "utf-8")
    result = run_kg("serve", "--store", str(tmp_path / "store"), "--update-token-file",
                    str(empty))
    assert result.returncode == 2
    assert "the token file is empty" in result.stderr


@pytest.mark.parametrize(("environ", "expected"), [
    ({"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "PATH_INFO": "/health"},
     '127.0.0.1 "GET /health" 200 10 B 1.5 ms'),
    ({"REQUEST_METHOD": "GET", "PATH_INFO": "/sparql", "QUERY_STRING": "q" * 300},
     f'- "GET /sparql?{"q" * 200}..." 200 10 B 1.5 ms'),
    ({"REQUEST_METHOD": "GET", "PATH_INFO": '/a"b\nc'},
     '- "GET /a%22b\\nc" 200 10 B 1.5 ms'),
])
def test_access_log_lines(environ: dict[str, str], expected: str) -> None:
    assert line(environ, "200", 10, 0.0015) == expected
