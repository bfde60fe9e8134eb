"""scholarly-kg: publication records in; a validated knowledge graph and SPARQL service out."""

from kg.config import Settings
from kg.errors import KGError, SourceError, ValidationFailed
from kg.ingest import IngestReport, ingest, validate_files
from kg.store import Store, open_store
from kg.version import VERSION

__all__ = [
    "VERSION",
    "IngestReport",
    "KGError",
    "Settings",
    "SourceError",
    "Store",
    "ValidationFailed",
    "ingest",
    "open_store",
    "validate_files",
]
