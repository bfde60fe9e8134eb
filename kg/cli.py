"""The `kg` command: parses arguments, shows progress, delegates; no domain logic here.

Exit status: 0 success, 1 bad input or invalid data (the message names file, line, field) or a
store or file that cannot be read or written, 2 usage errors (unknown option, unusable setting).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from pyoxigraph import QueryBoolean, QueryResultsFormat, QuerySolutions, QueryTriples, RdfFormat

from kg import dump as dumps
from kg.config import Settings
from kg.errors import ConfigError, KGError, StoreError, StoreLocked
from kg.ingest import IngestReport, ingest, validate_files
from kg.sources import formats, input_files
from kg.stats import collect
from kg.store import EmbeddedStore, Store, is_remote, open_store
from kg.store.embedded import writing
from kg.version import VERSION

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

RESULT_FORMATS = {"json": QueryResultsFormat.JSON, "xml": QueryResultsFormat.XML,
                  "csv": QueryResultsFormat.CSV, "tsv": QueryResultsFormat.TSV}
GRAPH_FORMATS = {"turtle": RdfFormat.TURTLE, "ntriples": RdfFormat.N_TRIPLES,
                 "nquads": RdfFormat.N_QUADS, "rdfxml": RdfFormat.RDF_XML,
                 "jsonld": RdfFormat.JSON_LD}


def _progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    if args.quiet or not sys.stderr.isatty():
        return None
    return lambda message: print(f"kg: {message}", file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(base_iri=getattr(args, "base_iri", None),
                             store=getattr(args, "store", None),
                             store_kind=getattr(args, "store_kind", None))


@contextlib.contextmanager
def _opened(settings: Settings, *, read_only: bool = False) -> Iterator[Store]:
    """The store, closed at the end; a failure to close (a full disk fails that too) never
    hides the error that ended the command."""
    store = open_store(settings.store, kind=settings.store_kind, read_only=read_only)
    try:
        yield store
    except BaseException:
        with contextlib.suppress(KGError):
            store.close()
        raise
    store.close()


@contextlib.contextmanager
def _reading(settings: Settings) -> Iterator[None]:
    """Results are read lazily: a storage failure met on the way (pyoxigraph's RuntimeError,
    "Corruption: ...") as StoreError naming the store."""
    try:
        yield
    except RuntimeError as error:
        raise StoreError(f"cannot read the store: {error}", source=settings.store) from None


def _os_error(error: OSError, *, spooling: bool = False) -> str:
    text = error.strerror or str(error)
    if error.filename:
        return f"{text}: {error.filename}"
    if spooling and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{text} (the spool folder is in TMPDIR: {tempfile.gettempdir()})"
    return text


def _print_skipped(report: IngestReport) -> None:
    if report.skipped:
        print(f"kg: skipped {len(report.skipped)} invalid record(s):", file=sys.stderr)
        for error in report.skipped:
            print(f"  {error}", file=sys.stderr)


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = _settings(args)
    paths = input_files([Path(p) for p in args.files])
    with _opened(settings) as store:
        try:
            report = ingest(store, paths, base_iri=settings.base_iri, format_name=args.format,
                            skip_invalid=args.skip_invalid, progress=_progress(args),
                            validator=args.validator, jobs=args.jobs)
        except OSError as error:  # reading or spooling (the store's failures are StoreError)
            raise KGError(f"nothing was written: {_os_error(error, spooling=True)}",
                          source=settings.store) from None
        except BrokenProcessPool:
            raise KGError("nothing was written: a worker process died (out of memory?)",
                          source=settings.store) from None
    _print_skipped(report)
    print(f"ingested {report.papers} records from {report.files} file(s) "
          f"({report.quads} quads) into {settings.store}")
    return EXIT_INVALID if report.skipped and args.strict_exit else EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    paths = input_files([Path(p) for p in args.files])
    report = validate_files(paths, base_iri=settings.base_iri, format_name=args.format,
                            progress=_progress(args), validator=args.validator,
                            jobs=args.jobs)
    print(f"{report.papers} records in {report.files} file(s) conform to the shapes "
          f"({report.quads} quads)")
    return EXIT_OK


def _read_query(text: str) -> str:
    if text == "-":
        return sys.stdin.read()
    if text.startswith("@"):
        return Path(text[1:]).read_text("utf-8")
    return text


def cmd_query(args: argparse.Namespace) -> int:
    settings = _settings(args)
    out = sys.stdout.buffer
    with _opened(settings, read_only=True) as store, _reading(settings):
        result = store.query(_read_query(args.query))
        if isinstance(result, QueryTriples):
            name = args.format or "turtle"
            if name not in GRAPH_FORMATS:
                raise ConfigError(f"a graph result cannot be written as {name!r}; use one of "
                                  f"{sorted(GRAPH_FORMATS)}", field="format")
            result.serialize(out, GRAPH_FORMATS[name])
        else:
            name = args.format or "json"
            if name not in RESULT_FORMATS:
                raise ConfigError(f"a SELECT/ASK result cannot be written as {name!r}; use one "
                                  f"of {sorted(RESULT_FORMATS)}", field="format")
            assert isinstance(result, QuerySolutions | QueryBoolean)
            result.serialize(out, RESULT_FORMATS[name])
        out.flush()
    return EXIT_OK


def cmd_dump(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with _opened(settings, read_only=True) as store:
        output = Path(args.output) if args.output else None
        with dumps.open_output(output) as handle:
            count = dumps.dump(store, handle, dumps.DumpFormat(args.format))
    if output is not None:
        print(f"wrote {count} statements to {output}", file=sys.stderr)
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with _opened(settings) as store:
        count = dumps.load(store, Path(args.file), base_iri=settings.base_iri)
    print(f"loaded {count} statements from {args.file} into {settings.store}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with _opened(settings, read_only=True) as store, _reading(settings):
        stats = collect(store)
    if args.json:
        print(json.dumps(stats.as_dict(), indent=2))
    else:
        for key, value in stats.as_dict().items():
            print(f"{key.replace('_', ' '):>13}: {value}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import dataclasses

    from kg.config import read_token_file
    from kg.web.serve import serve

    settings = _settings(args)
    limits: dict[str, object] = {
        name: value for name, value in (
            ("query_timeout", args.timeout), ("result_limit", args.result_limit),
            ("max_query_bytes", args.max_query_bytes), ("max_body_bytes", args.max_body_bytes),
            ("query_workers", args.workers)) if value is not None}
    if args.update_token_file:
        limits["update_token"] = read_token_file(args.update_token_file)
    if args.allow_service:
        limits["service_allow"] = tuple(args.allow_service)
    if args.allow_load:
        limits["load_allow"] = tuple(args.allow_load)
    settings = dataclasses.replace(settings, **limits)  # type: ignore[arg-type]
    _check_servable(settings.store)
    serve(settings, host=args.host, port=args.port, threads=args.threads)
    return EXIT_OK


def _check_servable(location: str) -> None:
    """Refuse at the start a store that cannot be opened (corrupt files, not a store), rather
    than answer 503 to everything; the server creates a missing store, and one a writer has
    now is fine (it serves snapshots)."""
    path = Path(location)
    if is_remote(location) or not (path / "CURRENT").exists() or writing(path):
        return  # the server's own open creates it, refuses it, or rolls a killed write back
    with contextlib.suppress(StoreLocked):
        EmbeddedStore(path, read_only=True).close()


def cmd_release(args: argparse.Namespace) -> int:
    from kg.release import build_release

    settings = _settings(args)
    folder = Path(args.output or settings.releases)
    with _opened(settings, read_only=True) as store:
        report = build_release(store, folder, base_iri=settings.base_iri,
                               license=args.license or settings.license,
                               engine=args.validator, progress=_progress(args))
    print(f"released {report.quads} quads ({report.triples} triples, {report.graphs} graphs) "
          f"as {report.path}")
    if report.changes is not None:
        changes = report.changes
        print(f"changes since {report.previous}: {changes.removed_quads} quads removed, "
              f"{changes.added_quads} added; records: {changes.count('added')} added, "
              f"{changes.count('removed')} removed, {changes.count('changed')} changed")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from kg.release import verify_release

    report = verify_release(Path(args.folder), engine=args.validator, progress=_progress(args))
    print(f"{report.folder}: {report.files} files intact; {report.quads} quads in "
          f"{report.graphs} graphs and {report.triples} triples parse and conform to the "
          f"release's shapes ({report.engine})")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from kg.release import restore_release

    settings = _settings(args)
    with _opened(settings) as store:
        report = restore_release(Path(args.folder), store, replace=args.replace)
    dropped = f"; dropped {report.dropped} other graph(s)" if report.dropped else ""
    print(f"restored {report.quads} quads in {report.graphs} graphs from {args.folder} into "
          f"{settings.store}{dropped}")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from kg.release import diff

    update = Path(args.sparql_update) if args.sparql_update else None
    with dumps.open_output(update) if update else contextlib.nullcontext() as handle:
        changes = diff(Path(args.old), Path(args.new), update=handle)
    if args.json:
        print(json.dumps(changes.as_dict(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(changes.report())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kg", description="Build, query and serve a knowledge graph of publication records.")
    parser.add_argument("--version", action="version", version=f"kg {VERSION}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    common.add_argument("--store", help="store folder, or a SPARQL server: an http(s):// URL "
                        "or a .toml file (default: $KG_STORE, else "
                        "~/.local/share/scholarly-kg/store)")
    common.add_argument("--store-kind", choices=["oxigraph", "virtuoso", "generic"],
                        help="the kind of SPARQL server at --store (default: $KG_STORE_KIND, "
                        "else detected)")
    common.add_argument("--base-iri", help="IRI prefix of minted resources (default: "
                        "$KG_BASE_IRI, else https://w3id.org/scholarly-kg/)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="read, validate and store records")
    p.add_argument("files", nargs="+", metavar="FILE", help="input files or folders")
    p.add_argument("--format", choices=formats(), help="input format (default: detected)")
    p.add_argument("--skip-invalid", action="store_true",
                   help="keep the valid records and report the others (default: refuse all)")
    p.add_argument("--strict-exit", action="store_true",
                   help="with --skip-invalid, exit 1 when anything was skipped")
    p.add_argument("--validator", choices=["sparql", "pyshacl"], default="sparql",
                   help="SHACL engine: shapes compiled to SPARQL (fast, default) or pyshacl "
                        "(the reference; same verdicts)")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="worker processes that read, map and validate (default: one per core; "
                        "inputs under 4 MB are done in one process)")
    p.set_defaults(run=cmd_ingest)

    p = sub.add_parser("validate", parents=[common], help="map and validate; write nothing")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", choices=formats())
    p.add_argument("--validator", choices=["sparql", "pyshacl"], default="sparql")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="worker processes that read, map and validate (default: one per core; "
                        "inputs under 4 MB are done in one process)")
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("query", parents=[common], help="run a SPARQL query")
    p.add_argument("query", metavar="QUERY", help="the query, '-' for stdin, '@FILE' for a file")
    p.add_argument("--format", choices=sorted({*RESULT_FORMATS, *GRAPH_FORMATS}))
    p.set_defaults(run=cmd_query)

    p = sub.add_parser("dump", parents=[common], help="write a deterministic dump")
    p.add_argument("--format", choices=[f.value for f in dumps.DumpFormat], default="nquads")
    p.add_argument("-o", "--output", help="output file ('.gz' compresses; default stdout)")
    p.set_defaults(run=cmd_dump)

    p = sub.add_parser("load", parents=[common], help="restore a dump (replaces its graphs)")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(run=cmd_load)

    p = sub.add_parser("stats", parents=[common], help="count papers, people, volumes, triples")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_stats)

    p = sub.add_parser("serve", parents=[common], help="serve SPARQL and pages over HTTP")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="the longest a query may run (default: 30); clients may ask for less")
    p.add_argument("--result-limit", type=int, metavar="ROWS",
                   help="the most rows or triples per result, 0 for none (default: 100000)")
    p.add_argument("--update-token-file", metavar="FILE",
                   help="accept updates and Graph Store writes from requests that carry the "
                   "token in FILE (default: $KG_UPDATE_TOKEN; unset: read-only)")
    p.add_argument("--allow-service", action="append", metavar="IRI",
                   help="an endpoint SERVICE may call (repeatable; an IRI ending in / allows "
                   "all under it); by default the server makes no outbound requests")
    p.add_argument("--allow-load", action="append", metavar="IRI",
                   help="a source LOAD may read (repeatable, like --allow-service)")
    p.add_argument("--max-query-bytes", type=int, metavar="BYTES",
                   help="the longest query or update accepted (default: 1 MiB)")
    p.add_argument("--max-body-bytes", type=int, metavar="BYTES",
                   help="the largest request body accepted (default: 256 MiB)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="query worker processes (default: 2 per core, 2 to 8)")
    p.add_argument("--threads", type=int, default=64, metavar="N",
                   help="threads answering HTTP, more than clients at once (default: 64)")
    p.set_defaults(run=cmd_serve)

    validator = argparse.ArgumentParser(add_help=False)
    validator.add_argument("--validator", choices=["sparql", "pyshacl"], default="sparql",
                           help="SHACL engine (default: sparql, the shapes compiled to SPARQL)")
    p = sub.add_parser("release", parents=[common, validator],
                       help="write a dated, checksummed, self-describing release folder")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="folder of releases (default: $KG_RELEASES, else "
                        "~/.local/share/scholarly-kg/releases)")
    p.add_argument("--license", metavar="IRI", help="the data's licence (default: $KG_LICENSE, "
                   "else CC BY 4.0)")
    p.set_defaults(run=cmd_release)

    p = sub.add_parser("verify", parents=[common, validator],
                       help="check a release: checksums, parsing, SHACL")
    p.add_argument("folder", metavar="DIR")
    p.set_defaults(run=cmd_verify)

    p = sub.add_parser("restore", parents=[common], help="rebuild the store of a release")
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--replace", action="store_true",
                   help="also drop the store's graphs that the release does not hold")
    p.set_defaults(run=cmd_restore)

    p = sub.add_parser("diff", parents=[common], help="what changed between two releases")
    p.add_argument("old", metavar="OLD", help="a release folder or a sorted N-Quads dump")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--json", action="store_true", help="the changes as JSON")
    p.add_argument("--sparql-update", metavar="FILE",
                   help="also write a SPARQL Update that turns OLD into NEW")
    p.set_defaults(run=cmd_diff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except ConfigError as error:
        print(f"kg: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KGError as error:
        print(f"kg: error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as error:  # a file or folder that cannot be read or written (a full disk)
        print(f"kg: error: {_os_error(error)}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("kg: interrupted; the store is unchanged", file=sys.stderr)
        return 130
