"""A bounded load test of ``kg serve`` on 127.0.0.1: many clients, hostile ones among them.

``--clients`` keep-alive HTTP/1.1 connections (from one asyncio process) for ``--seconds`` send
a mix of the six typical queries of ``sparql_throughput.py`` (people and papers drawn from 200 of
each; one request in ten with ``Cache-Control: no-cache``, so the engine works and not only the
result cache), SPARQL updates without the token or with a wrong one, and, from ``--runaways``
more connections, runaway queries (a cartesian product over the whole store) one after the
other. The server runs on a generated dataset (``sparql_data.py``), with an update token and a
time limit of ``--timeout`` seconds. While the load runs, the resident memory of the server and
all its processes (query workers included) is read from /proc twice a second.

Prints requests per second, p50 and p99 latency per kind of request, answers by status, the
memory peak of the first and last ``--window`` seconds, and checks:

- no server error (5xx), except the documented ``503`` of the time limit for runaways;
- every update refused (``401``) and the store unchanged afterwards;
- every runaway stopped with that ``503`` within the time limit plus one second;
- memory stable: the last window's peak at most ``1.2`` times the first's plus 64 MiB;
- no request left without an answer, and the server up at the end.

Exit status 1 when a check fails. ``tests/test_load.py`` runs the same code, shorter::

    python bench/load_test.py                                    # 32 clients, 60 s, 10000 papers
    python bench/load_test.py --clients 16 --seconds 10 --papers 1000 --timeout 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sparql_data import write
from sparql_throughput import QUERIES, WORDS, fetch_column, free_port, read_answer, wait_until_up

TOKEN = "load-test-token-8c1f2e9a4b7d"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
UPDATE_KIND = "update without the token"
RUNAWAY_KIND = "runaway query"
#: What the answer to a runaway says: it ran past the time limit, or waited that long for a
#: free query worker (kg.web.sparql, kg.web.pool).
STOPPED = b"(time limit: "
MIB = 1 << 20


@dataclass(frozen=True)
class Config:
    clients: int = 32
    seconds: float = 60.0
    papers: int = 10_000
    #: The server's time limit per query (``kg serve --timeout``).
    timeout: float = 10.0
    #: Query worker processes (``kg serve --workers``); None: the server's default.
    workers: int | None = None
    #: Connections that send runaway queries, one after the other.
    runaways: int = 1
    #: The share of the other clients' requests that are updates without the token.
    updates: float = 0.1
    #: The share of queries sent with ``Cache-Control: no-cache``.
    uncached: float = 0.1
    #: The length of the first and last memory windows, seconds.
    window: float = 10.0
    #: Memory stability: last-window peak <= growth x first-window peak + slack.
    growth: float = 1.2
    slack: int = 64 * MIB
    #: Untimed requests before the measured run (warm caches, started workers).
    warmup: float = 2.0
    seed: int = 1


@dataclass
class Kind:
    """The answers to one kind of request."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    bodies: list[bytes] = field(default_factory=list)  # of the answers not 2xx, a few

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(int(p * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


@dataclass
class Report:
    config: Config
    seconds: float
    kinds: dict[str, Kind]
    #: (seconds since the start, resident bytes of the server and all its processes).
    memory: list[tuple[float, int]]
    hung: int
    store_unchanged: bool
    server_up: bool

    @property
    def requests(self) -> int:
        return sum(len(kind.latencies) for kind in self.kinds.values())

    def window_peak(self, last: bool) -> int:
        window = min(self.config.window, self.seconds / 3)
        edge = self.seconds - window if last else window
        found = [rss for at, rss in self.memory if (at >= edge if last else at <= edge)]
        return max(found, default=0)

    def checks(self) -> list[tuple[bool, str]]:
        """(passed, what) for each property the run must have."""
        config = self.config
        errors: Counter[int] = Counter()
        for name, kind in self.kinds.items():
            errors.update({status: count for status, count in kind.statuses.items()
                           if status >= 500 and not (name == RUNAWAY_KIND and status == 503)})
        updates = self.kinds.get(UPDATE_KIND, Kind())
        runaways = self.kinds.get(RUNAWAY_KIND, Kind())
        slowest = max(runaways.latencies, default=0.0)
        stopped = runaways.statuses[503] == len(runaways.latencies) and all(
            STOPPED in body for body in runaways.bodies)
        first, last = self.window_peak(last=False), self.window_peak(last=True)
        return [
            (not errors, f"no server error except the time limit's 503 for runaways "
                         f"({dict(errors) or 'none'})"),
            (bool(updates.latencies) and set(updates.statuses) <= {401, 403}
             and self.store_unchanged,
             f"every update refused ({dict(updates.statuses)}) and the store unchanged"),
            (bool(runaways.latencies) and stopped and slowest <= config.timeout + 1,
             f"every runaway stopped with 503 within {config.timeout:g} + 1 s "
             f"({len(runaways.latencies)} runaways, slowest {slowest:.2f} s)"),
            (0 < last <= config.growth * first + config.slack,
             f"memory stable: last-window peak {last / MIB:.0f} MiB <= {config.growth:g} x "
             f"first-window peak {first / MIB:.0f} MiB + {config.slack // MIB} MiB"),
            (self.hung == 0 and self.server_up,
             f"every request answered ({self.hung} without an answer), the server up"),
        ]

    def problems(self) -> list[str]:
        return [what for passed, what in self.checks() if not passed]

    def text(self) -> str:
        config = self.config
        lines = [f"kg serve: {config.papers} papers, {config.clients} clients + "
                 f"{config.runaways} sending runaways, {self.seconds:.0f} s, time limit "
                 f"{config.timeout:g} s, {config.workers or 'default'} workers, "
                 f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", ""]
        header = (f"{'request':36} {'answers':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}  "
                  "statuses")
        lines += [header, "-" * len(header)]
        everything = Kind()
        for name, kind in self.kinds.items():
            everything.latencies += kind.latencies
            everything.statuses.update(kind.statuses)
            lines.append(self._row(name, kind))
        lines += ["-" * len(header), self._row("all", everything), ""]
        peak = max((rss for _, rss in self.memory), default=0)
        window = min(config.window, self.seconds / 3)
        lines.append(f"memory of the server and its workers: first {window:.0f} s peak "
                     f"{self.window_peak(False) / MIB:.0f} MiB, last {window:.0f} s peak "
                     f"{self.window_peak(True) / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB "
                     f"({len(self.memory)} samples)")
        lines += ["", "checks:"]
        lines += [f"  {'PASS' if passed else 'FAIL'}  {what}" for passed, what in self.checks()]
        return "\n".join(lines)

    def _row(self, name: str, kind: Kind) -> str:
        statuses = " ".join(f"{status}:{count}" for status, count in sorted(kind.statuses.items()))
        return (f"{name:36} {len(kind.latencies):>8} {len(kind.latencies) / self.seconds:>7.1f} "
                f"{kind.percentile(0.5) * 1000:>8.1f} {kind.percentile(0.99) * 1000:>8.1f}  "
                f"{statuses}")


# --- the data and the server ----------------------------------------------------------------


def prepare_store(workdir: Path, papers: int) -> Path:
    """A store holding the generated graph of ``papers`` papers (made once per workdir)."""
    from pyoxigraph import RdfFormat, parse

    from kg.store import EmbeddedStore

    store_path = workdir / f"load-store-{papers}"
    if not store_path.exists():
        data = workdir / f"load-data-{papers}.nq"
        write(data, papers)
        store = EmbeddedStore(store_path)
        try:
            store.replace_graphs([], parse(path=data, format=RdfFormat.N_QUADS))
        finally:
            store.close()
        data.unlink()
    return store_path


@contextmanager
def kg_serve(store: Path, workdir: Path,
             config: Config) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``kg serve`` on a free port of 127.0.0.1, with the update token and the time limit."""
    port = free_port()
    token_file = workdir / "load-token"
    token_file.write_text(TOKEN, "utf-8")
    command = [sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", str(port),
               "--timeout", str(config.timeout), "--update-token-file", str(token_file)]
    if config.workers:
        command += ["--workers", str(config.workers)]
    with (workdir / "load-server.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "KG_UPDATE_TOKEN": ""})
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process, seconds=120)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tree_rss(pid: int) -> int:
    """The resident memory of ``pid`` and all its descendants, in bytes (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        pending += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


# --- the clients ----------------------------------------------------------------------------


class Load:
    """The requests of a run: what each client sends next, and what came back."""

    def __init__(self, config: Config, people: list[str], papers: list[str]) -> None:
        self.config = config
        self.people = people
        self.papers = papers
        self.kinds: dict[str, Kind] = {name: Kind() for name in
                                       [*QUERIES, UPDATE_KIND, RUNAWAY_KIND]}
        self.hung = 0
        self.recording = False

    def request(self, rng: random.Random, runaway: bool) -> tuple[str, bytes]:
        if runaway:
            return RUNAWAY_KIND, self._get(RUNAWAY, no_cache=True)
        if rng.random() < self.config.updates:
            subject = f"<urn:s{rng.randrange(1000)}>"
            text = f"INSERT DATA {{ GRAPH <urn:load-test> {{ {subject} <urn:p> 1 }} }}"
            body = urllib.parse.urlencode({"update": text}).encode()
            wrong = f"Authorization: Bearer {TOKEN[:-1]}x\r\n" if rng.random() < 0.5 else ""
            return UPDATE_KIND, (
                f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n{wrong}"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        name = rng.choice(list(QUERIES))
        text = (QUERIES[name].replace("{person}", rng.choice(self.people))
                .replace("{paper}", rng.choice(self.papers))
                .replace("{word}", rng.choice(WORDS)))
        return name, self._get(text, no_cache=rng.random() < self.config.uncached)

    @staticmethod
    def _get(text: str, *, no_cache: bool) -> bytes:
        target = f"/sparql?{urllib.parse.urlencode({'query': text})}"
        extra = "Cache-Control: no-cache\r\n" if no_cache else ""
        return (f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Accept: application/sparql-results+json\r\n{extra}\r\n").encode()

    async def client(self, port: int, number: int, until: float, runaway: bool) -> None:
        rng = random.Random(self.config.seed * 1000 + number)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < until:
                name, request = self.request(rng, runaway)
                started = time.monotonic()
                try:
                    writer.write(request)
                    status, body, close = await asyncio.wait_for(
                        read_answer(reader), self.config.timeout + 30)
                except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
                    if self.recording:
                        self.hung += 1
                    status, body, close = 0, b"", True
                seconds = time.monotonic() - started
                if self.recording and status:
                    kind = self.kinds[name]
                    kind.latencies.append(seconds)
                    kind.statuses[status] += 1
                    if status >= 300 and len(kind.bodies) < 50:
                        kind.bodies.append(body[:300])
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    async def run(self, port: int, seconds: float, *, runaways: bool = True) -> None:
        until = time.monotonic() + seconds
        sending = self.config.runaways if runaways else 0
        await asyncio.gather(*(self.client(port, n, until, n < sending)
                               for n in range(self.config.clients + sending)))


def _store_state(port: int) -> tuple[str, bool]:
    """The store's generation (changed by every committed write) and whether the graph the
    updates write to exists."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=60) as answer:
        generation = str(json.load(answer)["generation"])
    ask = urllib.parse.urlencode({"query": "ASK { GRAPH <urn:load-test> { ?s ?p ?o } }"})
    request = urllib.request.Request(f"http://127.0.0.1:{port}/sparql?{ask}",
                                     headers={"Accept": "application/sparql-results+json",
                                              "Cache-Control": "no-cache"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return generation, bool(json.load(answer)["boolean"])


def run(config: Config, workdir: Path) -> Report:
    """Build the data (once per ``workdir``), start the server, load it, and report."""
    store = prepare_store(workdir, config.papers)
    with kg_serve(store, workdir, config) as (port, process):
        people = fetch_column(port, "/sparql", """PREFIX schema: <http://schema.org/>
            SELECT ?p WHERE { ?paper schema:author ?p } GROUP BY ?p
            ORDER BY DESC(COUNT(?paper)) ?p OFFSET 20 LIMIT 200""")
        papers = fetch_column(port, "/sparql", """PREFIX schema: <http://schema.org/>
            SELECT ?paper WHERE { ?paper a schema:ScholarlyArticle } ORDER BY ?paper LIMIT 200""")
        before = _store_state(port)
        load = Load(config, people, papers)
        asyncio.run(load.run(port, config.warmup, runaways=False))
        memory: list[tuple[float, int]] = []
        done = threading.Event()
        started = time.monotonic()

        def sample() -> None:  # while the clients send (not while the last answers come)
            while not done.wait(0.5) and time.monotonic() - started < config.seconds:
                memory.append((time.monotonic() - started, tree_rss(process.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        load.recording = True
        asyncio.run(load.run(port, config.seconds))
        seconds = config.seconds  # the last runaway's answer may come up to a time limit later
        done.set()
        sampler.join()
        server_up = process.poll() is None
        unchanged = _store_state(port) == before and not before[1]
        return Report(config, seconds, load.kinds, memory, load.hung, unchanged, server_up)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = Config()
    parser.add_argument("--clients", type=int, default=defaults.clients)
    parser.add_argument("--seconds", type=float, default=defaults.seconds)
    parser.add_argument("--papers", type=int, default=defaults.papers)
    parser.add_argument("--timeout", type=float, default=defaults.timeout,
                        help="kg serve --timeout (seconds)")
    parser.add_argument("--workers", type=int, help="kg serve --workers (default: its own)")
    parser.add_argument("--runaways", type=int, default=defaults.runaways,
                        help="connections sending runaway queries")
    parser.add_argument("--window", type=float, default=defaults.window,
                        help="seconds of the first and last memory windows")
    parser.add_argument("--workdir", type=Path, help="kept between runs (default: a temp dir)")
    args = parser.parse_args()
    config = Config(clients=args.clients, seconds=args.seconds, papers=args.papers,
                    timeout=args.timeout, workers=args.workers, runaways=args.runaways,
                    window=args.window)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kg-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report = run(config, workdir)
    print(report.text())
    return 1 if report.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
