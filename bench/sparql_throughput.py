"""Throughput and latency of ``kg serve`` against ``oxigraph serve``, on the same data and machine.

Six typical queries (an author's papers by year, co-authors with counts, papers per year, a title
substring search, one paper with its authors in order, the 100 most prolific authors), each at 1, 4
and 16 concurrent clients (keep-alive HTTP/1.1, from one asyncio process on 127.0.0.1), for a
fixed time per cell. Prints requests per second, p50 and p99 latency for both servers, and the
ratio kg / Oxigraph (the goal: at least 0.8 at 16 clients).

``kg serve`` is measured twice: with ``Cache-Control: no-cache`` on every request (the query runs
each time: the engine against the engine) and without (its result cache answers repeated
queries). Authors and papers vary from request to request, drawn from 200 of each.

    python bench/sparql_throughput.py --papers 20000 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sparql_data import write

PREFIXES = """PREFIX schema: <http://schema.org/>
PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
"""

#: The six typical queries; ``{person}`` and ``{paper}`` are filled in per request.
QUERIES: dict[str, str] = {
    "papers of an author by year": PREFIXES + """SELECT ?year ?paper ?title WHERE {
  ?paper schema:author <{person}> ; schema:name ?title ; schema:datePublished ?year .
} ORDER BY DESC(?year) ?title""",
    "co-authors with counts": PREFIXES + """SELECT ?other ?name (COUNT(DISTINCT ?paper) AS ?papers)
WHERE {
  ?paper schema:author <{person}> , ?other . FILTER (?other != <{person}>)
  ?other schema:name ?name .
} GROUP BY ?other ?name ORDER BY DESC(?papers) ?name""",
    "papers per year": PREFIXES + """SELECT ?year (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  ?paper a schema:ScholarlyArticle ; schema:datePublished ?year .
} GROUP BY ?year ORDER BY ?year""",
    "title substring search": PREFIXES + """SELECT ?paper ?title WHERE {
  ?paper a schema:ScholarlyArticle ; schema:name ?title .
  FILTER (CONTAINS(LCASE(?title), "{word}"))
} LIMIT 100""",
    "a paper with its authors in order": PREFIXES + """SELECT ?position ?person ?name WHERE {
  <{paper}> kg:authorship ?slot . ?slot kg:position ?position ; kg:person ?person .
  ?person schema:name ?name .
} ORDER BY ?position""",
    "100 most prolific authors": PREFIXES + """SELECT ?person ?name (COUNT(?paper) AS ?papers)
WHERE { ?paper schema:author ?person . ?person schema:name ?name }
GROUP BY ?person ?name ORDER BY DESC(?papers) LIMIT 100""",
}
WORDS = ["graph", "memory", "speech", "legal", "proof", "vision", "sparse", "bias"]


@dataclass
class Cell:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def per_cpu(self) -> float:
        """Requests per CPU-second of the server's processes (fair on a busy machine)."""
        return self.requests / self.cpu if self.cpu else float("nan")

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(int(p * len(ordered)), len(ordered) - 1)] * 1000


# --- a minimal keep-alive HTTP/1.1 client --------------------------------------------------


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server closes the connection, of one HTTP/1.1 answer."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed without an answer")
    status = int(status_line.split()[1])
    length, chunked, close = None, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            close = True
    if chunked:
        parts = []
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(part[:-2] for part in parts)
    elif length is not None:
        body = await reader.readexactly(length)
    else:
        body, close = await reader.read(), True
    return status, body, close


async def _client(port: int, requests: Callable[[], bytes], until: float, cell: Cell) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(requests())
            status, _, close = await read_answer(reader)
            if status == 200:
                cell.requests += 1
                cell.latencies.append(time.perf_counter() - started)
            else:
                cell.errors += 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
            times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        total += times.get(current, 0.0)
        pending += children.get(current, [])
    return total


def load(port: int, pid: int, requests: Callable[[], bytes], clients: int,
         seconds: float) -> Cell:
    """``clients`` connections sending ``requests()`` for ``seconds`` to the server ``pid``."""
    async def run() -> Cell:
        cell = Cell(0, seconds, [], 0)
        warm = Cell(0, 1, [], 0)
        until = time.perf_counter() + min(1.0, seconds / 4)
        await asyncio.gather(*(_client(port, requests, until, warm) for _ in range(clients)))
        cpu = tree_cpu(pid)
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(_client(port, requests, until, cell) for _ in range(clients)))
        cell.seconds = time.perf_counter() - started
        cell.cpu = tree_cpu(pid) - cpu
        return cell
    return asyncio.run(run())


def request_maker(path: str, template: str, people: list[str], papers: list[str],
                  extra_headers: str) -> Callable[[], bytes]:
    rng = random.Random(7)

    def make() -> bytes:
        text = (template.replace("{person}", rng.choice(people))
                .replace("{paper}", rng.choice(papers)).replace("{word}", rng.choice(WORDS)))
        target = f"{path}?{urllib.parse.urlencode({'query': text})}"
        return (f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Accept: application/sparql-results+json\r\n{extra_headers}\r\n").encode()
    return make


# --- servers --------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def fetch_column(port: int, path: str, query: str) -> list[str]:
    url = f"http://127.0.0.1:{port}{path}?{urllib.parse.urlencode({'query': query})}"
    request = urllib.request.Request(url, headers={"Accept": "text/csv"})
    with urllib.request.urlopen(request, timeout=120) as response:
        lines = response.read().decode("utf-8").splitlines()
    return lines[1:]


def prepare(workdir: Path, papers: int, oxigraph: str) -> tuple[Path, Path]:
    data = workdir / f"data-{papers}.nq"
    ours, theirs = workdir / f"kg-store-{papers}", workdir / f"oxigraph-store-{papers}"
    if not data.exists():
        count = write(data, papers)
        print(f"generated {count} quads ({papers} papers)", file=sys.stderr)
    if not ours.exists():
        from pyoxigraph import RdfFormat, parse

        from kg.store import EmbeddedStore

        store = EmbeddedStore(ours)
        store.replace_graphs([], parse(path=data, format=RdfFormat.N_QUADS))
        store.close()
    if not theirs.exists():
        subprocess.run([oxigraph, "load", "--location", str(theirs), "--file", str(data)],
                       check=True, capture_output=True)
    return ours, theirs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per cell")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--workdir", type=Path, help="kept between runs (default: a temp dir)")
    parser.add_argument("--workers", type=int, help="kg serve --workers")
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    kg = str(Path(sys.executable).parent / "kg")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kg-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ours, theirs = prepare(workdir, args.papers, oxigraph)

    our_port, their_port = free_port(), free_port()
    command = [kg, "serve", "--store", str(ours), "--port", str(our_port), "--timeout", "120"]
    if args.workers:
        command += ["--workers", str(args.workers)]
    log = (workdir / "servers.log").open("wb")  # both servers' output, for when one fails
    servers = [
        subprocess.Popen(command, stdout=log, stderr=log),
        subprocess.Popen([oxigraph, "serve", "--location", str(theirs), "--bind",
                          f"127.0.0.1:{their_port}", "--union-default-graph"],
                         stdout=log, stderr=log),
    ]
    try:
        wait_until_up(f"http://127.0.0.1:{our_port}/health", servers[0])
        wait_until_up(f"http://127.0.0.1:{their_port}/query?query=ASK%7B%7D", servers[1])
        people = fetch_column(their_port, "/query", PREFIXES + """SELECT ?p WHERE {
            ?paper schema:author ?p } GROUP BY ?p ORDER BY DESC(COUNT(?paper)) ?p
            OFFSET 20 LIMIT 200""")
        papers = fetch_column(their_port, "/query", PREFIXES + """SELECT ?paper WHERE {
            ?paper a schema:ScholarlyArticle } ORDER BY ?paper LIMIT 200""")
        for name, template in QUERIES.items():
            filled = (template.replace("{person}", people[0]).replace("{paper}", papers[0])
                      .replace("{word}", WORDS[0]))
            mine = fetch_column(our_port, "/sparql", filled)
            reference = fetch_column(their_port, "/query", filled)
            assert len(mine) == len(reference), (name, len(mine), len(reference))
        print(f"data: {args.papers} papers; kg serve {command[2:]}; oxigraph serve "
              f"--union-default-graph; {args.seconds:g} s per cell; {os.cpu_count()} cores\n")
        header = (f"{'query':34} {'clients':>7} | {'kg req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
                  f"| {'oxigraph':>8} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>5} {'/cpu':>5} "
                  f"| {'cached':>7} {'ratio':>5}")
        print(header)
        print("-" * len(header))
        ratios: dict[int, list[float]] = {level: [] for level in levels}
        cpu_ratios: dict[int, list[float]] = {level: [] for level in levels}
        cached_ratios: dict[int, list[float]] = {level: [] for level in levels}
        our_pid, their_pid = servers[0].pid, servers[1].pid
        for name, template in QUERIES.items():
            for level in levels:
                theirs_cell = load(their_port, their_pid, request_maker(
                    "/query", template, people, papers, ""), level, args.seconds)
                mine_cell = load(our_port, our_pid, request_maker(
                    "/sparql", template, people, papers, "Cache-Control: no-cache\r\n"),
                    level, args.seconds)
                cached_cell = load(our_port, our_pid, request_maker(
                    "/sparql", template, people, papers, ""), level, args.seconds)
                ratio = mine_cell.rate / theirs_cell.rate
                cpu_ratio = mine_cell.per_cpu / theirs_cell.per_cpu
                cached_ratio = cached_cell.rate / theirs_cell.rate
                ratios[level].append(ratio)
                cpu_ratios[level].append(cpu_ratio)
                cached_ratios[level].append(cached_ratio)
                errors = mine_cell.errors + theirs_cell.errors + cached_cell.errors
                print(f"{name:34} {level:>7} | {mine_cell.rate:8.1f} "
                      f"{mine_cell.percentile(0.5):7.1f} {mine_cell.percentile(0.99):7.1f} | "
                      f"{theirs_cell.rate:8.1f} {theirs_cell.percentile(0.5):7.1f} "
                      f"{theirs_cell.percentile(0.99):7.1f} | {ratio:5.2f} {cpu_ratio:5.2f} | "
                      f"{cached_cell.rate:7.0f} {cached_ratio:5.2f}"
                      + (f"  ({errors} errors)" if errors else ""), flush=True)
        print()
        print("ratio: kg req/s / oxigraph req/s, the query run every time (no-cache); /cpu: the "
              "same per CPU-second\nof each server's processes; cached: kg with its result cache")
        for level in levels:
            print(f"{level:>2} clients, geometric means: ratio "
                  f"{statistics.geometric_mean(ratios[level]):.2f}, per CPU "
                  f"{statistics.geometric_mean(cpu_ratios[level]):.2f}, with the result cache "
                  f"{statistics.geometric_mean(cached_ratios[level]):.2f}")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} "
              f"(other work on the machine skews req/s; per-CPU ratios less)")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
