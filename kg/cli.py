"""The `kg` command: parses arguments, shows progress, delegates; no domain logic here.

Exit status: 0 success, 1 bad input or invalid data (the message names file, line, field),
2 usage errors (unknown option, unusable setting).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pyoxigraph import QueryBoolean, QueryResultsFormat, QuerySolutions, QueryTriples, RdfFormat

from kg import dump as dumps
from kg.config import Settings
from kg.errors import ConfigError, KGError
from kg.ingest import IngestReport, ingest, validate_files
from kg.sources import formats, input_files
from kg.stats import collect
from kg.store import Store, open_store
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
                             store=getattr(args, "store", None))


def _print_skipped(report: IngestReport) -> None:
    if report.skipped:
        print(f"kg: skipped {len(report.skipped)} invalid record(s):", file=sys.stderr)
        for error in report.skipped:
            print(f"  {error}", file=sys.stderr)


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = _settings(args)
    paths = input_files([Path(p) for p in args.files])
    store = open_store(settings.store)
    try:
        report = ingest(store, paths, base_iri=settings.base_iri, format_name=args.format,
                        skip_invalid=args.skip_invalid, progress=_progress(args),
                        validator=args.validator)
    finally:
        store.close()
    _print_skipped(report)
    print(f"ingested {report.papers} records from {report.files} file(s) "
          f"({report.quads} quads) into {settings.store}")
    return EXIT_INVALID if report.skipped and args.strict_exit else EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    paths = input_files([Path(p) for p in args.files])
    report = validate_files(paths, base_iri=settings.base_iri, format_name=args.format,
                            progress=_progress(args), validator=args.validator)
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
    store = open_store(settings.store, read_only=False)
    out = sys.stdout.buffer
    try:
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
    finally:
        store.close()
    return EXIT_OK


def cmd_dump(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = open_store(settings.store)
    try:
        output = Path(args.output) if args.output else None
        with dumps.open_output(output) as handle:
            count = dumps.dump(store, handle, dumps.DumpFormat(args.format))
    finally:
        store.close()
    if output is not None:
        print(f"wrote {count} statements to {output}", file=sys.stderr)
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = open_store(settings.store)
    try:
        count = dumps.load(store, Path(args.file), base_iri=settings.base_iri)
    finally:
        store.close()
    print(f"loaded {count} statements from {args.file} into {settings.store}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store: Store = open_store(settings.store)
    try:
        stats = collect(store)
    finally:
        store.close()
    if args.json:
        print(json.dumps(stats.as_dict(), indent=2))
    else:
        for key, value in stats.as_dict().items():
            print(f"{key.replace('_', ' '):>13}: {value}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from kg.web.serve import serve

    settings = _settings(args)
    serve(settings, host=args.host, port=args.port)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kg", description="Build, query and serve a knowledge graph of publication records.")
    parser.add_argument("--version", action="version", version=f"kg {VERSION}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    common.add_argument("--store", help="store folder (default: $KG_STORE, else "
                        "~/.local/share/scholarly-kg/store)")
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
    p.set_defaults(run=cmd_ingest)

    p = sub.add_parser("validate", parents=[common], help="map and validate; write nothing")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", choices=formats())
    p.add_argument("--validator", choices=["sparql", "pyshacl"], default="sparql")
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
    p.set_defaults(run=cmd_serve)
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
    except KeyboardInterrupt:
        print("kg: interrupted; the store is unchanged", file=sys.stderr)
        return 130
