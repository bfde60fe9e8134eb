"""The ``README.md`` of a release: what it holds, how to check it and how to load it."""

from __future__ import annotations

from dataclasses import dataclass

from kg.release.layout import (
    CHANGES_REPORT,
    CHANGES_UPDATE,
    DATA_NQUADS,
    DATA_TURTLE,
    DESCRIPTION,
    SUMS,
    VALIDATION,
)


@dataclass(frozen=True)
class ReadmeFacts:
    name: str
    version: str
    license: str
    triples: int
    quads: int
    graphs: int
    conforms: bool
    warnings: int
    engine: str
    previous: str | None


def readme(facts: ReadmeFacts) -> str:
    """The README text of a release."""
    verdict = ("conforms to" if facts.conforms else "does NOT conform to")
    changes = (f"- `{CHANGES_REPORT}`, `{CHANGES_UPDATE}`: what changed since release "
               f"`{facts.previous}`, per record, and as a SPARQL 1.1 Update that turns that "
               "release into this one.\n" if facts.previous else
               "- No changeset: this is the first release in its folder.\n")
    return f"""# scholarly-kg release {facts.name}

A knowledge graph of publication records, made by `kg` {facts.version}: {facts.triples} triples
({facts.quads} quads in {facts.graphs} named graph(s), one per source file, each described with
PROV). Licence: <{facts.license}>.

## Files

- `{DATA_NQUADS}`: every quad, named graphs and their provenance kept (N-Quads, gzip).
- `{DATA_TURTLE}`: every triple, all graphs merged (Turtle, gzip).
- `{DESCRIPTION}`: VoID and DCAT description: counts, class and property partitions, licence,
  dates, the `kg` version, and the byte size and SHA-256 of each data file.
- `{VALIDATION}`, `shapes/`: the SHACL validation report and the shapes it used.
{changes}- `{SUMS}`: the SHA-256 of every other file.

The data files are deterministic: the same graph always gives the same bytes (statements sorted
by code point, each once; gzip without name or time stamp). No blank node occurs: every node has
an IRI (list cells and author slots get skolem-style IRIs under their paper), so no labels had
to be chosen.

## Validation

The data {verdict} the shapes in `shapes/` ({facts.warnings} warnings), checked with the
{facts.engine} engine **one named graph at a time**: each graph holds one source file's records
whole, so memory stays bounded however big the release. A constraint spanning two source files
(a person with two different ORCIDs from two files) is not checked; ingest checks each file the
same way.

## Check it

```sh
sha256sum -c {SUMS}       # every file intact
kg verify .                 # checksums, every file parses, the data conforms to shapes/
```

## Load it

pyoxigraph (Python), named graphs kept:

```python
import gzip
from pyoxigraph import RdfFormat, Store
store = Store("kg-store")
with gzip.open("{DATA_NQUADS}") as data:
    store.bulk_load(data, RdfFormat.N_QUADS)
```

or `kg restore . --store kg-store`, which also checks the checksum first.

Apache Jena (TDB2; then serve it with `fuseki-server --loc=kg-tdb /kg`):

```sh
tdb2.tdbloader --loc=kg-tdb {DATA_NQUADS}
```

Virtuoso (isql; the folder must be listed in `DirsAllowed` of `virtuoso.ini`; the graph
argument is used only for triples without a graph, and there are none):

```sql
ld_dir('/path/to/release/{facts.name}', '{DATA_NQUADS}', 'urn:unused');
rdf_loader_run();
checkpoint;
```

QLever (`pip install qlever`; a `Qleverfile` beside the data, then `qlever index && qlever start`):

```ini
[data]
NAME = scholarly-kg
FORMAT = nq

[index]
INPUT_FILES = {DATA_NQUADS}
CAT_INPUT_FILES = zcat ${{INPUT_FILES}}

[server]
PORT = 7001

[runtime]
SYSTEM = docker
```

Any Turtle reader takes `{DATA_TURTLE}` (rdflib: `Graph().parse("{DATA_TURTLE}")` after
`gunzip`; the `oxigraph` CLI: `oxigraph load --location DB --file {DATA_TURTLE}`).
"""
