"""Release folder names, ``SHA256SUMS``, and the counts of the description."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kg.errors import SourceError
from kg.release.describe import DataStats
from kg.release.layout import ReleaseName, list_releases, next_name, read_sums, write_sums


@pytest.mark.parametrize(("text", "parsed"), [
    ("2025-07-28", ReleaseName(date(2025, 7, 28))),
    ("2025-07-28.2", ReleaseName(date(2025, 7, 28), 2)),
    ("2025-07-28.10", ReleaseName(date(2025, 7, 28), 10)),
    ("2025-07-28.1", None),
    ("2025-07-28.02", None),
    ("2025-02-30", None),
    (".2025-07-28.partial", None),
    ("2025-07-28/..", None),
    ("latest", None),
])
def test_release_names(text: str, parsed: ReleaseName | None) -> None:
    assert ReleaseName.parse(text) == parsed
    if parsed is not None:
        assert str(parsed) == text


def test_releases_sort_by_date_then_counter_and_only_complete_ones_count(tmp_path: Path) -> None:
    for name in ("2025-07-28.10", "2025-07-28.9", "2025-07-28", "2024-12-31", "2025-07-29"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "SHA256SUMS").write_text("", "utf-8")
    (tmp_path / "2025-07-30").mkdir()  # no SHA256SUMS: not a complete release
    (tmp_path / ".2025-07-31.partial").mkdir()
    assert [path.name for path in list_releases(tmp_path)] == [
        "2024-12-31", "2025-07-28", "2025-07-28.9", "2025-07-28.10", "2025-07-29"]
    assert str(next_name(tmp_path, date(2025, 7, 28))) == "2025-07-28.2"
    assert str(next_name(tmp_path, date(2025, 7, 30))) == "2025-07-30.2"
    assert str(next_name(tmp_path, date(2025, 8, 1))) == "2025-08-01"
    assert list_releases(tmp_path / "absent") == []


def test_sums_round_trip_and_refuse_names_outside_the_release(tmp_path: Path) -> None:
    (tmp_path / "shapes").mkdir()
    (tmp_path / "a.txt").write_text("a\n", "utf-8")
    (tmp_path / "shapes" / "b.ttl").write_text("b\n", "utf-8")
    sums = write_sums(tmp_path)
    assert read_sums(tmp_path) == sums
    assert list(sums) == ["a.txt", "shapes/b.ttl"]
    digest = sums["a.txt"]
    for bad in (f"{digest}  ../a.txt", f"{digest}  /etc/passwd", f"{digest[:-1]}  a.txt",
                f"{digest}  a.txt\n{digest}  a.txt"):
        (tmp_path / "SHA256SUMS").write_text(bad + "\n", "utf-8")
        with pytest.raises(SourceError) as caught:
            read_sums(tmp_path)
        assert caught.value.source == str(tmp_path / "SHA256SUMS")
        assert caught.value.line is not None


def test_data_stats_count_one_sorted_pass() -> None:
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    lines = sorted([
        f"<http://x/a> {rdf_type} <http://x/Paper> .\n",
        f"<http://x/a> {rdf_type} <http://x/Work> .\n",
        '<http://x/a> <http://x/name> "A" .\n',
        '<http://x/a> <http://x/name> "A2" .\n',
        f"<http://x/b> {rdf_type} <http://x/Paper> .\n",
        "<http://x/b> <http://x/cites> <http://x/a> .\n",
        '<http://x/c> <http://x/name> "no type" .\n',
    ])
    stats = DataStats()
    for line in lines:
        stats.add(line.encode())
    stats.close()
    assert (stats.triples, stats.subjects, stats.entities) == (7, 3, 2)
    assert stats.class_counts() == {"http://x/Paper": (2, 6), "http://x/Work": (1, 4)}
    assert stats.property_counts() == {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": (3, 2),
        "http://x/cites": (1, 1), "http://x/name": (3, 2)}
