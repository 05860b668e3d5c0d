"""The change estimate counts distinct edits; the score falls with severity-weighted findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pylint.interfaces import HIGH, INFERENCE, UNDEFINED
from pylint.message import Message
from pylint.typing import MessageLocationTuple

from tpulint.catalog import load_catalog
from tpulint.estimate import (
    ESTIMATE_MODEL,
    NO_PORT_BAND,
    SCORE_MODEL,
    Estimate,
    Finding,
    band_for,
    estimate,
    score_for_penalty,
    summarize,
)
from tpulint.findings import convert

CATALOG = load_catalog()


def _finding(symbol: str, line: int, path: str = "a.py", uncertain: bool = False) -> Finding:
    rule = CATALOG.rule(symbol)
    return Finding(rule, CATALOG.severity_of(rule, "torch_xla"), path, path, line, 0, None, None, "m", uncertain)


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
    # Model v2: optional clean-ups are a count of their own, not the top of the range (v1: (3, 4)).
    assert (result.low, result.high) == (3, 3)


def test_uncertain_required_edits_widen_the_range():
    result = estimate([
        _finding("cuda-device", 1),
        _finding("cuda-runtime-call", 2, uncertain=True),
        _finding("data-dependent-shape", 3, uncertain=True),
        _finding("cudnn-setting", 4, uncertain=True),  # optional: never in the range
    ])
    assert (result.low, result.high) == (1, 3)
    assert (result.required, result.uncertain, result.optional) == (3, 2, 1)
    assert result.fixable + result.manual == result.required
    assert result.as_dict() == {
        "required": 3, "fixable": 1, "manual": 2, "optional": 1, "uncertain": 2, "range": [1, 3],
    }
    assert result.range_text == "1–3"


def test_an_edit_is_certain_if_any_finding_on_its_line_is():
    assert estimate([_finding("cuda-device", 1), _finding("cuda-device-query", 1, uncertain=True)]).uncertain == 0
    assert estimate([_finding("cuda-device", 1, uncertain=True),
                     _finding("cuda-device-query", 1, uncertain=True)]).uncertain == 1


def test_an_edit_is_mechanical_only_if_every_finding_on_its_line_is():
    result = estimate([_finding("cuda-device", 1), _finding("cuda-device-query", 1)])
    assert (result.required, result.fixable, result.manual) == (1, 0, 1)


def test_inserted_lines_are_edits_of_their_own():
    # the import goes at the top, the barrier at the end of the loop body: neither rewrites the
    # line they are reported on, so they do not merge with what else is on it
    loop_line = estimate([
        _finding("missing-graph-barrier", 7), _finding("unpadded-input", 7), _finding("pin-memory", 7),
    ])
    assert (loop_line.required, loop_line.optional) == (2, 1)
    import_line = estimate([_finding("missing-torch-xla-import", 1), _finding("cuda-grad-scaler", 1)])
    assert import_line.required == 2


def test_duplicates_count_once_and_files_do_not_merge():
    result = estimate([
        _finding("cuda-runtime-call", 5), _finding("cuda-runtime-call", 5),
        _finding("cuda-runtime-call", 5, path="b.py"),
    ])
    assert result.required == 2


def test_old_constructors_still_work():
    rule = CATALOG.rule("cuda-device")
    finding = Finding(rule, CATALOG.severity_of(rule, "torch_xla"), "a.py", "a.py", 1, 0, None, None, "m")
    assert finding.uncertain is False
    assert Estimate(2, 1, 1, 0).as_dict()["range"] == [2, 2]


def _message(symbol: str, confidence) -> Message:
    rule = CATALOG.rule(symbol)
    location = MessageLocationTuple("/r/a.py", "a.py", "a", "", 3, 4, 3, 9)
    return Message(rule.id, symbol, location, "m", confidence)


@pytest.mark.parametrize(("confidence", "uncertain"), [(HIGH, False), (INFERENCE, True), (UNDEFINED, True)])
def test_convert_marks_findings_not_reported_with_high_confidence_uncertain(confidence, uncertain):
    findings, _ = convert([_message("cuda-device", confidence)], CATALOG, "torch_xla", Path("/r"))
    assert [f.uncertain for f in findings] == [uncertain]


def test_models_are_versioned_v2():
    assert ESTIMATE_MODEL == {"name": "tpulint-estimate", "version": "2"}
    assert SCORE_MODEL == {"name": "tpulint-score", "version": "2"}


def test_score_is_monotonic_and_banded():
    scores = [score_for_penalty(p) for p in (0, 1, 10, 20, 40, 100, 1000)]
    assert scores == sorted(scores, reverse=True) and scores[0] == 100
    assert band_for(100) == "ready" and band_for(score_for_penalty(10)) != "ready"  # one blocker is never ready
    assert band_for(0) == "major port"
    assert band_for(None) == NO_PORT_BAND == "no port needed"


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


@pytest.mark.parametrize(
    ("device_files", "score", "band"),
    [(0, None, "no port needed"), (1, 100, "ready"), (None, 100, "ready")],  # None: not known (pylint reporter)
)
def test_a_project_without_findings_is_ready_only_if_it_uses_devices(device_files, score, band):
    summary = summarize(CATALOG, "torch_xla", [], 3, device_files=device_files)
    assert (summary.score, summary.band) == (score, band)


def test_findings_are_scored_even_where_no_file_imports_a_pytorch_library():
    summary = summarize(CATALOG, "torch_xla", [_finding("cuda-device", 1)], 1, device_files=0)
    assert summary.score == 80 and summary.band == "small port"


def test_notes_are_carried_and_default_to_none():
    assert summarize(CATALOG, "torch_xla", [], 1).notes == ()
    assert summarize(CATALOG, "torch_xla", [], 1, notes=["install x"]).notes == ("install x",)


def test_most_work_ranks_files_by_estimate_then_score():
    findings = [
        _finding("cuda-device", 1, "small.py"),
        *(_finding("cuda-runtime-call", line, "big.py") for line in range(1, 5)),
        _finding("cuda-device", 1, "middle.py"), _finding("cuda-device", 2, "middle.py"),
        _finding("cudnn-setting", 1, "advice.py"),
        _finding("cuda-grad-scaler", 1, "perf.py"),  # 1 change like small.py, but a better score
    ]
    summary = summarize(CATALOG, "torch_xla", findings, 5)
    assert [r.path for r in summary.most_work(4)] == ["big.py", "middle.py", "small.py", "perf.py"]
    assert len(summary.most_work()) == 5
