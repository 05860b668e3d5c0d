"""The change estimate counts distinct edits; the score falls with severity-weighted findings."""

from __future__ import annotations

from tpulint.catalog import load_catalog
from tpulint.estimate import Finding, band_for, estimate, score_for_penalty, summarize

CATALOG = load_catalog()


def _finding(symbol: str, line: int, path: str = "a.py") -> Finding:
    rule = CATALOG.rule(symbol)
    return Finding(rule, CATALOG.severity_of(rule, "torch_xla"), path, path, line, 0, None, None, "m")


def test_findings_on_one_line_are_one_edit():
    result = estimate([_finding("cuda-device", 3), _finding("cuda-device-query", 3), _finding("cuda-device", 4)])
    assert result.required == 2


def test_advice_is_optional_and_the_rest_splits_into_fixable_and_manual():
    result = estimate([
        _finding("cuda-device", 1),           # blocker, fixable
        _finding("cuda-runtime-call", 2),     # blocker, manual
        _finding("cuda-grad-scaler", 3),      # perf, manual
        _finding("cudnn-setting", 4),         # advice
    ])
    assert (result.required, result.fixable, result.manual, result.optional) == (3, 1, 2, 1)
    assert (result.low, result.high) == (3, 4)


def test_score_is_monotonic_and_banded():
    scores = [score_for_penalty(p) for p in (0, 1, 10, 20, 40, 100, 1000)]
    assert scores == sorted(scores, reverse=True) and scores[0] == 100
    assert band_for(100) == "ready" and band_for(score_for_penalty(10)) != "ready"  # one blocker is never ready
    assert band_for(0) == "major port"


def test_blockers_weigh_far_more_than_advice():
    blocker = summarize(CATALOG, "torch_xla", [_finding("cuda-device", 1)], 1)
    advice = summarize(CATALOG, "torch_xla", [_finding("cudnn-setting", 1)], 1)
    assert blocker.score < advice.score
    assert advice.score >= 90


def test_project_score_is_that_of_the_average_file_needing_work():
    one_file = summarize(CATALOG, "torch_xla", [_finding("cuda-device", 1)], 1)
    two_files = summarize(CATALOG, "torch_xla", [_finding("cuda-device", 1), _finding("cuda-device", 1, "b.py")], 5)
    assert one_file.score == two_files.score
    assert [report.path for report in two_files.files] == ["a.py", "b.py"]
    assert two_files.by_family == {"cuda": 2} and two_files.by_severity == {"blocker": 2}
