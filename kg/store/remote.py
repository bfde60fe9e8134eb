"""The remote backend: any SPARQL 1.1 server, through standard protocols only.

Queries and updates use the SPARQL 1.1 Protocol (form POSTs to the query and update endpoints);
bulk loads and graph reads use the Graph Store HTTP Protocol (``?graph=IRI``) when the server has
one, else ``INSERT DATA`` and ``CONSTRUCT``. Answers are parsed with pyoxigraph, so callers get
the same result types as from the embedded store.

**Writes.** :meth:`RemoteStore.replace_graphs` uploads first, then commits with ONE update
request. A graph that exists is filled through a fresh staging graph
(``urn:x-kg-staging:{time}:{uuid}:{n}``) and swapped in by ``MOVE <staging> TO <g>``, which
empties ``<g>`` first (a graph left without triples gets ``DROP SILENT GRAPH <g>``). Not ``DROP
SILENT GRAPH <g> ; MOVE ...``: in one Virtuoso request that pair takes minutes when old and new
triples overlap, as they do on re-ingest (measured: 115 s for 30,000 triples; 2 s for the MOVE
alone). A graph that does not exist yet is loaded in place (a ``MOVE`` copies every triple once
more, which on Oxigraph costs more than the upload itself), once a journal graph
(``urn:x-kg-staging:...:journal``) names it; the commit drops the journal. Uploads are Graph Store
POSTs of N-Triples, per graph, in chunks of ``chunk_triples`` (Oxigraph: N-Quads of many graphs at
once to ``/store?no_transaction``, its bulk loader, which needs no transaction here). When the
upload or the commit fails, every staging and in-place graph is dropped, and the graphs that
existed were not touched. A writer killed mid-way leaves staging and journal graphs behind: reads
ignore them (and the graphs a journal names), and the first write a day later drops them.

How atomic the commit is depends on the server (measured in ``tests/test_store_backends.py``):

- Oxigraph server runs one update request in one transaction: a failing request leaves
  nothing behind, and readers see the old graphs or the new ones, never a mix.
- Virtuoso 7.2 applies the operations of a request in order and does not roll back the earlier
  ones when a later one fails; if the commit request itself breaks off (server stopped, its
  transaction log limit ``TransactionAfterImageLimit`` exceeded), some graphs may be swapped and
  others not. The error says so; re-running the same ingest repairs it. (The upload, where nearly
  all the time goes, is fully undone on failure.)
- Window on every server: while the upload runs, staging graphs and graphs loaded in place
  exist. :meth:`named_graphs`, :meth:`quad_count`, :meth:`quads` and dumps never show them, but
  queries over the union default graph do (replaced triples appear twice, new graphs partly,
  until the commit). Two writers replacing the same graph at once are not serialised: the last
  commit wins.

**The union default graph.** Queries must see the union of the named graphs, as with the embedded
store. Oxigraph server: every query carries its ``union-default-graph`` parameter (so the server
needs no ``--union-default-graph`` flag). Virtuoso: a query without ``FROM`` already ranges over
all graphs, including Virtuoso's own (``virtrdf#``, ``ldp#``, its service description), which
:meth:`named_graphs`, :meth:`quad_count` and dumps leave out. A generic server must be configured
so that its default graph is the union of its named graphs (Fuseki: ``tdb2:unionDefaultGraph``).
The default graph itself holds nothing of ours: quads for it are refused.

**Completeness.** Servers may cut results silently (Virtuoso: ``[SPARQL] ResultSetMaxRows``, also
for CONSTRUCT and Graph Store reads). A cut SELECT is refused (Virtuoso's ``X-SPARQL-MaxRows``
header), and on servers that may cut, every graph read is checked against a ``COUNT``: a mismatch
raises StoreError rather than returning part of a graph.

**Configuration.** ``--store http://host:port/`` with ``--store-kind oxigraph|virtuoso|generic``
(detected from the ``Server`` header when not given), or ``--store FILE.toml``::

    kind = "virtuoso"                          # oxigraph | virtuoso | generic
    url = "http://127.0.0.1:8890/"             # the server; endpoints default per kind
    query = "http://127.0.0.1:8890/sparql-auth"          # optional overrides
    update = "http://127.0.0.1:8890/sparql-auth"
    graph_store = "http://127.0.0.1:8890/sparql-graph-crud-auth"   # "" = none
    user = "dba"                               # password here or in $KG_STORE_PASSWORD
    timeout = 300
    exclude_graphs = ["http://example.org/not-ours"]

Default endpoints: Oxigraph ``/query``, ``/update``, ``/store``; Virtuoso ``/sparql`` for both
(its ``SPARQL`` user needs the ``SPARQL_UPDATE`` role) and ``/sparql-graph-crud``, or, with
credentials, ``/sparql-auth`` and ``/sparql-graph-crud-auth`` (HTTP Digest); generic: the URL is the
query and update endpoint and there is no Graph Store. Credentials may also be given in the URL
(``http://user:password@host/``) or by ``$KG_STORE_USER`` / ``$KG_STORE_PASSWORD``.

**Generation.** A remote server offers no version token and other clients may write to it, so
:meth:`generation` returns a new token on every call: nothing may be cached across calls.
"""

from __future__ import annotations

import os
import re
import time
import tomllib
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from enum import Enum
from itertools import islice
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
    serialize,
)
from pyoxigraph import Store as MemoryStore

from kg.errors import ConfigError, QueryError, StoreError, UpstreamError, UpstreamTimeout
from kg.store.base import DeferredReplacement, Graph, QueryResult, Replacement
from kg.store.http import Credentials, HttpClient, Response

STAGING_PREFIX = "urn:x-kg-staging:"
STALE_STAGING_SECONDS = 24 * 3600
NTRIPLES = "application/n-triples"
NQUADS = "application/n-quads"
_FORM = "application/x-www-form-urlencoded"
_SD_SERVICE = "http://www.w3.org/ns/sparql-service-description#Service"
_RDF_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8"
PENDING = "urn:x-kg:pending"  # journal -> a graph being loaded in place
_EMPTY_GRAPH = "urn:x-kg:empty"  # names no graph: a dataset without a default graph
_ASK_VARIABLE = "__ASK_RETVAL"  # Virtuoso answers ASK as a one-row SELECT of this variable


class ServerKind(Enum):
    OXIGRAPH = "oxigraph"
    VIRTUOSO = "virtuoso"
    GENERIC = "generic"


@dataclass(frozen=True)
class Dialect:
    """What differs between servers, as data: endpoints, parameters, quirks."""

    endpoints: tuple[str, str, str | None]
    """Query, update and Graph Store paths relative to the server URL."""
    auth_endpoints: tuple[str, str, str | None]
    """The same when credentials are given."""
    query_params: tuple[tuple[str, str], ...] = ()
    """Sent with every query (Oxigraph: ``union-default-graph``)."""
    results: QueryResultsFormat = QueryResultsFormat.XML
    """The SELECT/ASK result format asked for (Virtuoso's JSON writes booleans as 1 and 0)."""
    list_graphs: str = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    system_graphs: frozenset[str] = frozenset()
    """Graphs the server makes for itself, not part of the store."""
    may_cut_results: bool = True
    """Whether graph reads must be checked against a COUNT."""
    upload_params: tuple[tuple[str, str], ...] = ()
    """Sent with every Graph Store upload (Oxigraph: ``no_transaction``, its bulk loader)."""
    dataset_upload: bool = False
    """Whether N-Quads of several graphs may be POSTed to the Graph Store URL at once."""
    timeout_param: str | None = None
    """The query parameter that asks the server to stop a query after this many milliseconds
    (Virtuoso: ``timeout``; what it then sends is partial, marked ``X-SQL-State: S1TAT``, and
    refused); None: the server's own configured limit applies (Oxigraph: ``--timeout-s``)."""


DIALECTS: Mapping[ServerKind, Dialect] = {
    ServerKind.OXIGRAPH: Dialect(
        endpoints=("query", "update", "store"), auth_endpoints=("query", "update", "store"),
        query_params=(("union-default-graph", ""),), results=QueryResultsFormat.JSON,
        list_graphs="SELECT ?g WHERE { GRAPH ?g { } }", may_cut_results=False,
        upload_params=(("no_transaction", ""),), dataset_upload=True),
    ServerKind.VIRTUOSO: Dialect(
        endpoints=("sparql", "sparql", "sparql-graph-crud"),
        auth_endpoints=("sparql-auth", "sparql-auth", "sparql-graph-crud-auth"),
        system_graphs=frozenset({"http://www.openlinksw.com/schemas/virtrdf#",
                                 "http://www.w3.org/ns/ldp#", "http://www.w3.org/2002/07/owl#"}),
        timeout_param="timeout"),
    ServerKind.GENERIC: Dialect(endpoints=("", "", None), auth_endpoints=("", "", None)),
}


@dataclass(frozen=True)
class RemoteConfig:
    """Where a remote store's endpoints are and how to talk to them."""

    query_url: str
    update_url: str
    graph_store_url: str | None = None
    kind: ServerKind = ServerKind.GENERIC
    credentials: Credentials | None = None
    timeout: float = 300.0
    exclude_graphs: frozenset[str] = field(default_factory=frozenset)
    chunk_triples: int = 100_000

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ConfigError("the store timeout must be more than 0 seconds", field="timeout")
        if self.chunk_triples < 1:
            raise ConfigError("chunk_triples must be at least 1", field="chunk_triples")

    @property
    def dialect(self) -> Dialect:
        return DIALECTS[self.kind]

    @classmethod
    def for_server(cls, url: str, kind: ServerKind,
                   credentials: Credentials | None = None) -> RemoteConfig:
        """The default endpoints of a ``kind`` server at ``url`` (its root, or one endpoint)."""
        dialect = DIALECTS[kind]
        paths = dialect.auth_endpoints if credentials else dialect.endpoints
        if kind is ServerKind.GENERIC:
            return cls(query_url=url, update_url=url, kind=kind, credentials=credentials)
        parts = urlsplit(url)
        path = parts.path
        known = {*dialect.endpoints, *dialect.auth_endpoints} - {None}
        head, _, last = path.rstrip("/").rpartition("/")
        if last in known:
            path = head
        root = urlunsplit((parts.scheme, parts.netloc, path.rstrip("/") + "/", "", ""))
        query, update, store = paths
        return cls(query_url=root + query, update_url=root + update,
                   graph_store_url=root + store if store else None, kind=kind,
                   credentials=credentials)

    @classmethod
    def from_file(cls, path: Path, *, kind: str | None = None) -> RemoteConfig:
        """Read a TOML configuration (see the module documentation); raise ConfigError."""
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"cannot read the store configuration: {error}",
                              source=str(path)) from None
        allowed = {"kind", "url", "query", "update", "graph_store", "user", "password",
                   "timeout", "exclude_graphs", "chunk_triples"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ConfigError(f"unknown settings {unknown}; expected some of {sorted(allowed)}",
                              source=str(path), field=unknown[0])
        url = _text(data, "url", path) or _text(data, "query", path)
        if not url:
            raise ConfigError("the configuration names no 'url' (or 'query')", source=str(path),
                              field="url")
        url, credentials = _split_credentials(url, _text(data, "user", path),
                                              _text(data, "password", path))
        server_kind = _kind(kind or _text(data, "kind", path), url, credentials, source=str(path))
        config = cls.for_server(url, server_kind, credentials)
        graph_store = config.graph_store_url
        if "graph_store" in data:  # "" means the server has none
            graph_store = _text(data, "graph_store", path) or None
        try:
            return replace(
                config,
                query_url=_text(data, "query", path) or config.query_url,
                update_url=_text(data, "update", path) or config.update_url,
                graph_store_url=graph_store,
                timeout=float(data.get("timeout", config.timeout)),
                chunk_triples=int(data.get("chunk_triples", config.chunk_triples)),
                exclude_graphs=frozenset(str(g) for g in data.get("exclude_graphs", ())),
            )
        except (TypeError, ValueError) as error:
            raise ConfigError(f"bad value: {error}", source=str(path)) from None
        except ConfigError as error:
            raise ConfigError(error.message, source=str(path), field=error.field) from None


def _text(data: dict[str, Any], key: str, path: Path) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{key!r} must be a string", source=str(path), field=key)
    return value


def _split_credentials(url: str, user: str | None = None,
                       password: str | None = None) -> tuple[str, Credentials | None]:
    """The URL without its ``user:password@``, and the credentials from it, the arguments or
    ``$KG_STORE_USER`` / ``$KG_STORE_PASSWORD``."""
    parts = urlsplit(url)
    if parts.username is not None:
        user = user or unquote(parts.username)
        password = password or unquote(parts.password or "")
        netloc = parts.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if parts.port is not None:
            netloc += f":{parts.port}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    user = user or os.environ.get("KG_STORE_USER")
    password = password or os.environ.get("KG_STORE_PASSWORD")
    if not user:
        return url, None
    return url, Credentials(user, password or "")


def _kind(name: str | None, url: str, credentials: Credentials | None, *,
          source: str) -> ServerKind:
    if name:
        try:
            return ServerKind(name)
        except ValueError:
            raise ConfigError(f"unknown store kind {name!r}; expected one of "
                              f"{[kind.value for kind in ServerKind]}", source=source,
                              field="store_kind") from None
    return detect_kind(url, credentials)


def detect_kind(url: str, credentials: Credentials | None = None,
                timeout: float = 30.0) -> ServerKind:
    """Which server answers at ``url``, from its ``Server`` header; raise StoreError when
    nothing answers."""
    client = HttpClient(timeout=timeout, credentials=credentials)
    try:
        with client.stream("GET", url, headers={"Accept": "*/*"}) as response:
            response.readall()
            server = (response.headers.get("Server") or "").lower()
    finally:
        client.close()
    if server.startswith("oxigraph"):
        return ServerKind.OXIGRAPH
    if server.startswith("virtuoso"):
        return ServerKind.VIRTUOSO
    return ServerKind.GENERIC


def remote_config(location: str, *, kind: str | None = None) -> RemoteConfig:
    """The configuration for ``--store``: an ``http(s)://`` URL or a ``.toml`` file."""
    if location.startswith(("http://", "https://")):
        url, credentials = _split_credentials(location)
        return RemoteConfig.for_server(url, _kind(kind, url, credentials, source=url),
                                       credentials)
    return RemoteConfig.from_file(Path(location), kind=kind)


_PROLOGUE = re.compile(
    r"""(?:\s+|\#[^\n]*
        |PREFIX\s+[^\s:]*:\s*<[^>]*>
        |BASE\s+<[^>]*>
        |DEFINE\s+\S+\s+(?:"[^"]*"|'[^']*'|<[^>]*>|[^\s]+))*""", re.IGNORECASE | re.VERBOSE)
_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")


def query_form(sparql: str) -> str | None:
    """The query form (``SELECT``, ``CONSTRUCT``, ``DESCRIBE``, ``ASK``) after the prologue,
    or None when it cannot be told (the server will say what is wrong).

    >>> query_form("PREFIX s: <http://schema.org/> # who\\nconstruct { ?a ?b ?c } WHERE {}")
    'CONSTRUCT'
    """
    prologue = _PROLOGUE.match(sparql)
    rest = sparql[prologue.end() if prologue else 0:]
    word = re.match(r"[A-Za-z]+", rest)
    if word and word[0].upper() in _FORMS:
        return word[0].upper()
    return None


def _iri(node: NamedNode) -> str:
    return f"<{node.value}>"


class RemoteStore:
    """A store on a SPARQL 1.1 server (see the module documentation for what it promises)."""

    def __init__(self, config: RemoteConfig, *, location: str | None = None,
                 read_only: bool = False) -> None:
        self.config = config
        self.location = location or config.query_url
        self.read_only = read_only
        self._http = HttpClient(timeout=config.timeout, credentials=config.credentials)
        self._excluded: frozenset[str] | None = None

    @classmethod
    def open(cls, location: str, *, kind: str | None = None,
             read_only: bool = False) -> RemoteStore:
        """The store at an ``http(s)://`` URL or described by a TOML file."""
        return cls(remote_config(location, kind=kind), location=location, read_only=read_only)

    # -- HTTP ---------------------------------------------------------------------------------

    def _post_form(self, url: str, fields: Iterable[tuple[str, str]], accept: str) -> Response:
        body = urlencode(list(fields)).encode("ascii")
        return self._http.stream("POST", url, body=body,
                                 headers={"Content-Type": _FORM, "Accept": accept})

    def _check(self, response: Response, what: str) -> Response:
        """``response`` when it succeeded; else raise QueryError (refused as malformed) or
        UpstreamError (everything else), with the server's message."""
        if 200 <= response.status < 300:
            return response
        message = response.text()
        response.close()
        detail = f"{response.status} {message}" if message else str(response.status)
        if response.status == 400:
            raise QueryError(f"the server refused the {what}: {detail}", field=what)
        if response.status in (401, 403):
            raise UpstreamError(f"the server does not allow this {what} (credentials or "
                                f"grants missing): {detail}", source=response.url)
        raise UpstreamError(f"the {what} failed on the server: {detail}", source=response.url)

    def _graph_url(self, graph: NamedNode) -> str:
        assert self.config.graph_store_url is not None
        separator = "&" if "?" in self.config.graph_store_url else "?"
        return f"{self.config.graph_store_url}{separator}graph={quote(graph.value, safe='')}"

    # -- reading ------------------------------------------------------------------------------

    def query(self, sparql: str, *, union: bool = True,
              default_graph: list[Graph] | None = None,
              named_graphs: list[NamedNode] | None = None,
              timeout: float | None = None) -> QueryResult:
        """Run a query over the union default graph, as the embedded store does.

        ``union=False``: over the server's own default graph or the query's FROM (Virtuoso
        always ranges over every graph when a query has no FROM). ``default_graph`` and
        ``named_graphs`` are sent as the protocol's ``default-graph-uri`` / ``named-graph-uri``.
        ``timeout`` (seconds) asks the server to stop the query then, where its protocol has a
        way to (``Dialect.timeout_param``). Raises QueryError when the server refuses the query
        as malformed, UpstreamError (a StoreError) when it cannot be reached or fails, and
        UpstreamTimeout when it stopped the query at a time limit (a partial answer is never
        returned).
        """
        form = query_form(sparql)
        dialect = self.config.dialect
        accept = _RDF_ACCEPT if form in ("CONSTRUCT", "DESCRIBE") else dialect.results.media_type
        fields = [("query", sparql)]
        if default_graph is not None or named_graphs is not None:
            # the protocol's dataset replaces FROM / FROM NAMED and the union; the remote default
            # graph holds nothing of ours, so DefaultGraph() names nothing
            fields += [("default-graph-uri", g.value) for g in default_graph or ()
                       if isinstance(g, NamedNode)]
            fields += [("named-graph-uri", g.value) for g in named_graphs or ()]
            if not any(name == "default-graph-uri" for name, _ in fields):
                fields.append(("default-graph-uri", _EMPTY_GRAPH))
        elif union:
            fields += dialect.query_params
        if timeout is not None and dialect.timeout_param:
            fields.append((dialect.timeout_param, str(max(int(timeout * 1000), 1))))
        response = self._check(self._post_form(self.config.query_url, fields, accept), "query")
        if response.headers.get("X-SQL-State") == "S1TAT":  # Virtuoso's "anytime" cut
            response.close()
            raise UpstreamTimeout("the server stopped the query at its time limit",
                                  source=response.url)
        media_type = response.media_type
        results_format = QueryResultsFormat.from_media_type(media_type)
        if results_format is not None:
            cut = response.headers.get("X-SPARQL-MaxRows")
            if cut:
                response.close()
                raise UpstreamError(f"the server cut the result at {cut} rows (Virtuoso: raise "
                                    "[SPARQL] ResultSetMaxRows)", source=response.url)
            result = parse_query_results(response.stream(), results_format)
            if form == "ASK" and isinstance(result, QuerySolutions):
                return _as_boolean(result)
            return result
        rdf_format = RdfFormat.from_media_type(media_type)
        if rdf_format is None:
            response.close()
            raise UpstreamError(f"the server answered with {media_type or 'no media type'}, "
                                "neither SPARQL results nor RDF", source=response.url)
        graph = MemoryStore()
        graph.load(response.stream(), rdf_format)
        return graph.query("CONSTRUCT WHERE { ?s ?p ?o }")

    def _select(self, sparql: str) -> list[dict[str, Any]]:
        result = self.query(sparql)
        assert isinstance(result, QuerySolutions)
        names = [variable.value for variable in result.variables]
        return [{name: row[name] for name in names if row[name] is not None} for row in result]

    def foreign_graphs(self) -> frozenset[str]:
        """The graphs on the server that are not part of the store: the server's own (Virtuoso's,
        its service description's) and the configured ``exclude_graphs``. Queries over the union
        default graph or ``GRAPH ?g`` still see them on Virtuoso (kg's queries are unaffected:
        they ask for its own classes and properties). Staging graphs are left out by prefix."""
        if self._excluded is None:
            excluded = set(self.config.dialect.system_graphs | self.config.exclude_graphs)
            if self.config.kind is ServerKind.VIRTUOSO:
                rows = self._select(
                    f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a <{_SD_SERVICE}> }} }}")
                excluded.update(row["g"].value for row in rows if "g" in row)
            self._excluded = frozenset(excluded)
        return self._excluded

    def _ours(self, graph: object, pending: set[NamedNode]) -> bool:
        """Whether ``graph`` is part of the store: not the server's, not staging, not being
        loaded in place by a writer (``pending``)."""
        return (isinstance(graph, NamedNode) and not graph.value.startswith(STAGING_PREFIX)
                and graph.value not in self.foreign_graphs() and graph not in pending)

    def _all_graphs(self) -> list[NamedNode]:
        graphs = (row.get("g") for row in self._select(self.config.dialect.list_graphs))
        return sorted((g for g in graphs if isinstance(g, NamedNode)), key=lambda g: g.value)

    def named_graphs(self) -> list[NamedNode]:
        pending = self._pending()
        return [graph for graph in self._all_graphs() if self._ours(graph, pending)]

    def _graph_sizes(self) -> dict[NamedNode, int]:
        rows = self._select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        pending = self._pending()
        sizes = {row["g"]: int(row["n"].value) for row in rows
                 if self._ours(row.get("g"), pending)}
        return dict(sorted(sizes.items(), key=lambda item: item[0].value))

    def quad_count(self) -> int:
        return sum(self._graph_sizes().values())

    def _graph_size(self, graph: NamedNode) -> int:
        rows = self._select(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {_iri(graph)} {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0

    def _triples(self, graph: NamedNode, expected: int | None = None) -> Iterator[Quad]:
        """The triples of ``graph`` (as quads in the default graph), checked to be complete."""
        if self.config.dialect.may_cut_results and expected is None:
            expected = self._graph_size(graph)
        if self.config.graph_store_url:
            response = self._http.stream("GET", self._graph_url(graph),
                                         headers={"Accept": NTRIPLES})
            if response.status == 404:
                response.close()
                return
            self._check(response, "graph read")
        else:
            sparql = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {_iri(graph)} {{ ?s ?p ?o }} }}"
            response = self._check(self._post_form(
                self.config.query_url, [("query", sparql)], NTRIPLES), "graph read")
        rdf_format = RdfFormat.from_media_type(response.media_type) or RdfFormat.N_TRIPLES
        count = 0
        with response:
            for quad in parse(response.stream(), rdf_format):
                count += 1
                yield quad
        if expected is not None and count != expected:
            raise UpstreamError(f"the server returned {count} of the {expected} triples of "
                                f"<{graph.value}>: it cuts results (Virtuoso: raise [SPARQL] "
                                "ResultSetMaxRows) or the graph changed while being read",
                                source=self.location)

    def quads(self, graph: Graph | None = None) -> Iterator[Quad]:
        if isinstance(graph, DefaultGraph):
            return  # a remote store keeps nothing in the default graph
        graphs = [graph] if graph is not None else self.named_graphs()
        for name in graphs:
            for quad in self._triples(name):
                yield Quad(quad.subject, quad.predicate, quad.object, name)

    def quads_matching(self, *, subject: NamedNode | None = None,
                       obj: NamedNode | None = None) -> list[Quad]:
        s = _iri(subject) if subject is not None else "?s"
        o = _iri(obj) if obj is not None else "?o"
        variables = " ".join(term for term in (s, "?p", o, "?g") if term.startswith("?"))
        rows = self._select(f"SELECT {variables} WHERE {{ GRAPH ?g {{ {s} ?p {o} }} }}")
        pending = self._pending() if rows else set()
        return [Quad(subject or row["s"], row["p"], obj or row["o"], row["g"])
                for row in rows if self._ours(row.get("g"), pending)]

    def dump_raw(self, output: IO[bytes], *, with_graphs: bool) -> None:
        """Every quad as N-Quads, or (``with_graphs=False``) every graph's triples as N-Triples,
        re-serialised by pyoxigraph so that lines are canonical whatever the server wrote."""
        sizes = self._graph_sizes()
        for graph, size in sizes.items():
            triples = self._triples(graph, size if self.config.dialect.may_cut_results else None)
            suffix = f" {_iri(graph)} .\n".encode()
            while batch := list(islice(triples, self.config.chunk_triples)):
                lines = _serialize([quad.triple for quad in batch], RdfFormat.N_TRIPLES)
                if with_graphs:
                    lines = b"".join(line[:-3] + suffix for line in lines.splitlines(True))
                output.write(lines)

    def generation(self) -> str:
        """A new token on every call (see the module documentation)."""
        return uuid.uuid4().hex

    # -- writing ------------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError("the store was opened read-only", source=self.location)

    def update(self, sparql: str) -> None:
        self._writable()
        self._check(self._post_form(self.config.update_url, [("update", sparql)], "*/*"),
                    "update").close()

    def _post_data(self, url: str, data: bytes, media_type: str) -> None:
        params = self.config.dialect.upload_params
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        response = self._http.stream("POST", url, body=data, headers={"Content-Type": media_type})
        self._check(response, "upload").close()

    def _upload(self, batch: list[Quad]) -> None:
        """Add ``batch`` (quads already in their destination graphs) to the server."""
        store_url = self.config.graph_store_url
        if store_url and self.config.dialect.dataset_upload:
            self._post_data(store_url, _serialize(batch, RdfFormat.N_QUADS), NQUADS)
            return
        by_graph: dict[NamedNode, list[Quad]] = {}
        for quad in batch:
            assert isinstance(quad.graph_name, NamedNode)
            by_graph.setdefault(quad.graph_name, []).append(quad)
        for graph, quads in by_graph.items():
            data = _serialize([quad.triple for quad in quads], RdfFormat.N_TRIPLES)
            if store_url:
                self._post_data(self._graph_url(graph), data, NTRIPLES)
            else:
                self.update(f"INSERT DATA {{ GRAPH {_iri(graph)} {{\n{data.decode()}}} }}")

    @contextmanager
    def replacing(self, graphs: Iterable[Graph]) -> Iterator[Replacement]:
        """Collect what the block adds, then ``replace_graphs`` (one commit at the end)."""
        deferred = DeferredReplacement()
        yield deferred
        self.replace_graphs(graphs, deferred.quads())

    def replace_graphs(self, graphs: Iterable[Graph], quads: Iterable[Quad]) -> None:
        """Drop ``graphs`` and add ``quads``: uploads first, then one update request commits.

        Graphs that exist are filled through staging graphs and swapped in with ``MOVE``;
        graphs that do not exist yet are loaded in place (nothing to swap, and no copy), listed
        in a journal graph that the same update request drops. Raises StoreError.
        """
        self._writable()
        targets = set(graphs)
        if any(isinstance(graph, DefaultGraph) for graph in targets):
            raise StoreError("a remote store keeps every triple in a named graph; the default "
                             "graph is the union of them", source=self.location)
        existing = self._recover()
        token = f"{STAGING_PREFIX}{int(time.time())}:{uuid.uuid4().hex}:"
        journal = NamedNode(token + "journal")
        fresh = sorted((g for g in targets if isinstance(g, NamedNode) and g not in existing),
                       key=lambda graph: graph.value)
        staging: dict[NamedNode, NamedNode] = {}
        written: list[NamedNode] = []
        try:
            if fresh:
                listed = " ".join(f"{_iri(journal)} <{PENDING}> {_iri(g)} ." for g in fresh)
                self.update(f"INSERT DATA {{ GRAPH {_iri(journal)} {{ {listed} }} }}")
                written = [journal, *fresh]
            pending: list[Quad] = []
            direct = set(fresh)
            for quad in quads:
                graph = quad.graph_name
                if not isinstance(graph, NamedNode):
                    raise StoreError("a remote store keeps every triple in a named graph; got "
                                     f"a quad in the default graph: {quad}", source=self.location)
                if graph not in direct:
                    if graph not in staging:
                        staging[graph] = NamedNode(f"{token}{len(staging)}")
                        written.append(staging[graph])
                    graph = staging[graph]
                pending.append(Quad(quad.subject, quad.predicate, quad.object, graph))
                if len(pending) >= self.config.chunk_triples:
                    self._upload(pending)
                    pending = []
            if pending:
                self._upload(pending)
            named = sorted((g for g in targets if isinstance(g, NamedNode)),
                           key=lambda graph: graph.value)
            self._commit(named, staging, journal if fresh else None, direct)
        except BaseException:
            self._drop_quietly(written)
            raise

    def _commit(self, targets: list[NamedNode], staging: dict[NamedNode, NamedNode],
                journal: NamedNode | None, fresh: set[NamedNode]) -> None:
        """One update request: swap the staging graphs in, drop the journal."""
        operations = []
        for graph in targets:
            if graph in staging:  # MOVE empties the destination first (SPARQL 1.1 Update 3.2.5)
                operations.append(f"MOVE {_iri(staging[graph])} TO {_iri(graph)}")
            elif graph not in fresh:
                operations.append(f"DROP SILENT GRAPH {_iri(graph)}")
        for graph, stage in staging.items():
            if graph not in targets:  # quads added to a graph that is not being replaced
                operations.append(f"ADD {_iri(stage)} TO {_iri(graph)}")
                operations.append(f"DROP SILENT GRAPH {_iri(stage)}")
        if targets:  # a crashed writer's journal must not drop these graphs later
            values = " ".join(_iri(graph) for graph in targets)
            operations.append(f"DELETE {{ GRAPH ?j {{ ?j <{PENDING}> ?g }} }} WHERE {{ "
                              f"VALUES ?g {{ {values} }} GRAPH ?j {{ ?j <{PENDING}> ?g }} }}")
        if journal is not None:
            operations.append(f"DROP SILENT GRAPH {_iri(journal)}")
        if not operations:
            return
        try:
            self.update(" ;\n".join(operations))
        except StoreError as error:
            if self.config.kind is ServerKind.OXIGRAPH:
                raise
            raise StoreError(f"{error.message}; this server may have applied part of the swap "
                             f"of {len(targets)} graph(s): run the same ingest again",
                             source=error.source) from None

    def _journal_graphs(self, journal: NamedNode) -> list[NamedNode]:
        rows = self._select(f"SELECT ?g WHERE {{ GRAPH {_iri(journal)} "
                            f"{{ {_iri(journal)} <{PENDING}> ?g }} }}")
        return [row["g"] for row in rows if isinstance(row.get("g"), NamedNode)]

    def _pending(self) -> set[NamedNode]:
        """Graphs being loaded in place by a writer (or left by one that died)."""
        rows = self._select(f"""SELECT DISTINCT ?g WHERE {{ GRAPH ?j {{ ?j <{PENDING}> ?g }}
            FILTER (STRSTARTS(STR(?j), "{STAGING_PREFIX}")) }}""")
        return {row["g"] for row in rows if isinstance(row.get("g"), NamedNode)}

    def _drop_quietly(self, graphs: Iterable[NamedNode]) -> None:
        """Drop graphs after a failure; a second failure must not hide the first."""
        names = list(graphs)
        if not names:
            return
        # if this fails too, _recover drops them a day later
        with suppress(StoreError):
            self.update(" ;\n".join(f"DROP SILENT GRAPH {_iri(graph)}" for graph in names))

    def _recover(self) -> set[NamedNode]:
        """Drop what writers that died more than a day ago left (staging graphs, journals and
        the graphs those list); return the graphs that exist now."""
        limit = time.time() - STALE_STAGING_SECONDS
        graphs = set(self._all_graphs())
        stale = []
        for graph in graphs:
            if graph.value.startswith(STAGING_PREFIX):
                stamp = graph.value[len(STAGING_PREFIX):].partition(":")[0]
                if stamp.isdigit() and int(stamp) < limit:
                    stale.append(graph)
                    if graph.value.endswith(":journal"):
                        stale.extend(self._journal_graphs(graph))
        self._drop_quietly(stale)
        return graphs - set(stale)

    def close(self) -> None:
        self._http.close()


def _serialize(terms: list[Quad] | list[Triple], rdf_format: RdfFormat) -> bytes:
    """Canonical N-Triples or N-Quads lines of ``terms``."""
    data = serialize(terms, format=rdf_format)
    assert data is not None
    return data


def _as_boolean(result: QuerySolutions) -> QueryBoolean:
    """A Virtuoso ASK answer (one row binding ``__ASK_RETVAL`` to 1 or 0) as a boolean."""
    if [variable.value for variable in result.variables] != [_ASK_VARIABLE]:
        raise UpstreamError("the server answered an ASK query with solutions, not a boolean")
    rows = list(result)
    value = rows[0][_ASK_VARIABLE] if rows else None
    truth = value is not None and value.value in ("1", "true")
    answer = parse_query_results(f'{{"head":{{}},"boolean":{str(truth).lower()}}}',
                                 QueryResultsFormat.JSON)
    assert isinstance(answer, QueryBoolean)
    return answer
