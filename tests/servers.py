"""Real SPARQL servers for the tests: ``oxigraph serve`` and Virtuoso 7, on free 127.0.0.1 ports.

Each runs from a temporary folder and is stopped (and its folder left to pytest's tmp cleanup)
when the context exits. Use them through session-scoped fixtures, so that each server starts
once per test session::

    @pytest.fixture(scope="session")
    def oxigraph(tmp_path_factory):
        with servers.oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as server:
            yield server

How each server is configured for `kg` (see ``kg.store.remote``):

- ``oxigraph serve --location DIR --bind 127.0.0.1:PORT``, without ``--union-default-graph``: the
  remote store sends the ``union-default-graph`` parameter with every query itself.
- Virtuoso: a fresh database from a minimal ``virtuoso.ini`` (HTTP and ISQL ports, ``DirsAllowed``,
  ``ResultSetMaxRows`` raised so that whole graphs can be read back), then, through ``isql-vt``,
  ``GRANT SPARQL_UPDATE TO "SPARQL"`` so that the anonymous ``/sparql`` and ``/sparql-graph-crud``
  endpoints accept writes. That grant is for a test-only server on 127.0.0.1; a real deployment
  keeps ``/sparql`` read-only and gives `kg` credentials for ``/sparql-auth`` instead.

Virtuoso is a system package (``scripts/install-system-deps``). Where it is missing, tests that need
it are skipped with the reason, except under ``CI=true``, where a missing Virtuoso is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT = 60.0
VIRTUOSO_USER, VIRTUOSO_PASSWORD = "dba", "dba"  # the fresh database's administrator


@dataclass(frozen=True)
class Server:
    """A running server: its kind, its base URL, its folder and process."""

    kind: str
    url: str
    folder: Path
    process: subprocess.Popen[bytes]
    isql_port: int | None = None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for a moment)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{_log_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except urllib.error.HTTPError:
            return  # it answers, even if not with 200
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer at {url} within {START_TIMEOUT:.0f} s:\n"
                       f"{_log_tail(log)}")


def stop(server: Server) -> None:
    """Stop ``server`` now (its context stops it again harmlessly)."""
    _stop(server.process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def oxigraph_binary() -> str:
    """The ``oxigraph`` command of the PyPI package ``oxigraph`` (beside this Python first)."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.exists():
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        pytest.fail("the `oxigraph` command is missing: pip install -e '.[test]' installs it")
    return found


@contextmanager
def oxigraph_server(folder: Path, *, timeout_s: int | None = None) -> Iterator[Server]:
    """``oxigraph serve`` on a free port, with its data in ``folder`` (and, given
    ``timeout_s``, its own time limit for queries: ``--timeout-s``)."""
    port = free_port()
    log = folder / "oxigraph.log"
    limit = ["--timeout-s", str(timeout_s)] if timeout_s is not None else []
    with log.open("wb") as output:
        process = subprocess.Popen(
            [oxigraph_binary(), "serve", "--location", str(folder / "data"),
             "--bind", f"127.0.0.1:{port}", *limit],
            stdout=output, stderr=subprocess.STDOUT, cwd=folder)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_http(url, process, log)
        yield Server("oxigraph", url, folder, process)
    finally:
        _stop(process)


def virtuoso_binaries() -> tuple[str, str] | None:
    """``virtuoso-t`` and ``isql-vt``, or None when Virtuoso is not installed."""
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    return (server, isql) if server and isql else None


def require_virtuoso() -> tuple[str, str]:
    """The Virtuoso binaries; skip the test when missing, fail instead under ``CI=true``."""
    found = virtuoso_binaries()
    if found is not None:
        return found
    message = ("Virtuoso 7 is not installed (apt-get install virtuoso-opensource, or run "
               "scripts/install-system-deps as root)")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{message}; CI must test the Virtuoso backend")
    pytest.skip(message)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
DirsAllowed = ., {folder}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
MaxClientConnections = 10

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 10
MaxClientConnections = 10
KeepAliveTimeout = 10

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 120
"""


def isql(server: Server, statement: str) -> str:
    """Run one SQL statement as the administrator through ``isql-vt``; return its output."""
    _, isql_binary = require_virtuoso()
    assert server.isql_port is not None
    done = subprocess.run(
        [isql_binary, f"127.0.0.1:{server.isql_port}", VIRTUOSO_USER, VIRTUOSO_PASSWORD,
         f"exec={statement}"], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
        raise RuntimeError(f"isql failed on {statement!r}: {done.stdout}{done.stderr}")
    return done.stdout


@contextmanager
def virtuoso_server(folder: Path) -> Iterator[Server]:
    """Virtuoso 7 on free ports, with a fresh database in ``folder`` and SPARQL writes granted."""
    server_binary, _ = require_virtuoso()
    http_port, isql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(folder=folder, http_port=http_port, isql_port=isql_port),
                   "utf-8")
    log = folder / "virtuoso.log"
    with (folder / "stdout.log").open("wb") as output:
        process = subprocess.Popen([server_binary, "+foreground", "+configfile", str(ini)],
                                   stdout=output, stderr=subprocess.STDOUT, cwd=folder)
    url = f"http://127.0.0.1:{http_port}/"
    try:
        _wait_for_http(url + "sparql", process, log)
        server = Server("virtuoso", url, folder, process, isql_port)
        isql(server, 'GRANT SPARQL_UPDATE TO "SPARQL";')
        yield server
    finally:
        _stop(process)
