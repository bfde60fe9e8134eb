"""The bounded load test of ``bench/load_test.py``, in a short mode (issue 8: load).

The same code as the benchmark, run shorter on a smaller dataset: 16 clients for 10 seconds on
1 000 generated papers, with a time limit of 2 s, plus one connection sending runaway queries
(a cartesian product of the store) one after the other. It prints the benchmark's report
(requests per second, p50 and p99 latency per kind of request, answers by status, memory) and
asserts the benchmark's checks: no server error but the runaways' 503, every update without
the token refused and the store unchanged, every runaway stopped within the time limit plus one
second, memory stable from the first to the last window, every request answered.
``python bench/load_test.py`` runs the full length (32 clients, 60 s, 10 000 papers).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load_test import Config, run

SHORT = Config(clients=16, seconds=10.0, papers=1000, timeout=2.0, workers=3, window=3.0)


@pytest.mark.slow
def test_a_short_load_run_holds_every_promise(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    report = run(SHORT, tmp_path)
    with capsys.disabled():
        print("\n" + report.text())
    assert report.problems() == [], report.text()
    assert report.requests > 100
