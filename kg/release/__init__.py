"""Archival releases: dated, checksummed, self-describing dumps that restore exactly, and the
changes between them (see ``kg.release.layout`` for what a release folder holds)."""

from kg.release.build import ReleaseReport, build_release
from kg.release.diff import Changeset, diff
from kg.release.layout import ReleaseName, list_releases
from kg.release.restore import RestoreReport, restore_release
from kg.release.verify import ReleaseInvalid, VerifyReport, verify_release

__all__ = [
    "Changeset",
    "ReleaseInvalid",
    "ReleaseName",
    "ReleaseReport",
    "RestoreReport",
    "VerifyReport",
    "build_release",
    "diff",
    "list_releases",
    "restore_release",
    "verify_release",
]
