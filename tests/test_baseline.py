"""Baseline fingerprints survive unrelated edits; the file round-trips and fails in clear words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tpulint import baseline
from tpulint.baseline import FINGERPRINT_KEY, Baseline, BaselineError
from tpulint.catalog import load_catalog
from tpulint.estimate import Finding

CATALOG = load_catalog()


def _finding(file: Path, line: int, symbol: str = "cuda-device", column: int = 0) -> Finding:
    rule = CATALOG.rule(symbol)
    severity = CATALOG.severity_of(rule, "torch_xla")
    return Finding(rule, severity, file.name, str(file), line, column, None, None, "m")


def _prints(file: Path, text: str, *spots: tuple[int, str]) -> list[str]:
    """Write `text` to `file`, then fingerprint a finding of rule `symbol` at each (line, symbol)."""
    file.write_text(text, encoding="utf-8")
    return baseline.fingerprints([_finding(file, line, symbol) for line, symbol in spots])


def test_inserting_lines_above_keeps_the_fingerprint(tmp_path):
    file = tmp_path / "a.py"
    before = _prints(file, "import torch\nx = torch.device('cuda')\n", (2, "cuda-device"))
    after = _prints(file, "import torch\n\n# setup\ny = 1\nx = torch.device('cuda')\n", (5, "cuda-device"))
    assert before == after


def test_changing_the_flagged_code_changes_the_fingerprint(tmp_path):
    file = tmp_path / "a.py"
    before = _prints(file, "x = torch.device('cuda')\n", (1, "cuda-device"))
    after = _prints(file, "x = torch.device('cuda:1')\n", (1, "cuda-device"))
    assert before != after


def test_identical_lines_differ_and_stay_stable(tmp_path):
    file = tmp_path / "a.py"
    text = "a = x.cuda()\nb = 1\na = x.cuda()\n"
    first = _prints(file, text, (1, "cuda-device"), (3, "cuda-device"))
    assert first[0] != first[1]
    moved = _prints(file, "import os\n" + text, (2, "cuda-device"), (4, "cuda-device"))
    assert moved == first


def test_occurrence_index_follows_file_order_not_input_order(tmp_path):
    file = tmp_path / "a.py"
    text = "a = x.cuda()\na = x.cuda()\n"
    forward = _prints(file, text, (1, "cuda-device"), (2, "cuda-device"))
    backward = _prints(file, text, (2, "cuda-device"), (1, "cuda-device"))
    assert backward == forward[::-1]


def test_layout_and_comment_edits_on_the_flagged_line_keep_it(tmp_path):
    file = tmp_path / "a.py"
    before = _prints(file, "if ok:\n    x = torch.device('cuda')\n", (2, "cuda-device"))
    after = _prints(file, "if ok:\n        x=torch.device( 'cuda' )   # TODO: port\n", (2, "cuda-device"))
    assert before == after


def test_a_different_rule_on_the_same_line_differs(tmp_path):
    file = tmp_path / "a.py"
    prints = _prints(file, "n = torch.cuda.device_count()\n", (1, "cuda-device"), (1, "cuda-device-query"))
    assert prints[0] != prints[1]


def test_the_same_line_in_another_file_differs(tmp_path):
    (tmp_path / "b.py").write_text("x.cuda()\n")
    (tmp_path / "c.py").write_text("x.cuda()\n")
    prints = baseline.fingerprints([_finding(tmp_path / "b.py", 1), _finding(tmp_path / "c.py", 1)])
    assert prints[0] != prints[1]


def test_an_unreadable_file_still_fingerprints(tmp_path):
    missing = tmp_path / "gone.py"
    assert baseline.source_line(_finding(missing, 1)) == ""
    assert len(baseline.fingerprints([_finding(missing, 1), _finding(missing, 2)])) == 2


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("    x = torch.device('cuda')  # gpu\n", "x=torch.device('cuda')"),
        ("x  =  y if  not z else w\t\n", "x=y if not z else w"),
        ('s = "a  # b"  # c\n', 's="a  # b"'),
        ("s = 'it\\'s  #'  + t\n", "s='it\\'s  #'+t"),
        ('doc = """two  spaces\n', 'doc="""two  spaces'),
        ('f"{x:>3}  # y"  # z\n', 'f"{x:>3}  # y"'),
        ("foo(a,  # more below\n", "foo(a,"),
        ("", ""),
    ],
)
def test_normalise(line, expected):
    assert baseline.normalise(line) == expected


def test_write_then_read_round_trips(tmp_path):
    file = tmp_path / "a.py"
    file.write_text("x.cuda()\nn = torch.cuda.device_count()\n")
    findings = [_finding(file, 2, "cuda-device-query"), _finding(file, 1)]
    prints = baseline.fingerprints(findings)
    target = tmp_path / "tpulint-baseline.json"
    baseline.write(target, findings, prints, "0.1.0")
    text = target.read_text()
    assert text.endswith("}\n") and not text.endswith("\n\n")
    document = json.loads(text)
    assert (document["tool"], document["version"], document["fingerprintKey"]) == ("tpulint", 1, FINGERPRINT_KEY)
    assert document["toolVersion"] == "0.1.0"
    assert [entry["line"] for entry in document["findings"]] == [1, 2]
    assert set(document["findings"][0]) == {"fingerprint", "rule", "symbol", "path", "line", "message"}
    assert document["findings"][0]["symbol"] == "cuda-device"
    loaded = baseline.read(target)
    assert loaded == Baseline(frozenset(prints), str(target))
    baseline.write(target, findings[::-1], prints[::-1], "0.1.0")
    assert target.read_text() == text  # stable whatever the input order


def test_missing_file(tmp_path):
    with pytest.raises(BaselineError, match=r"^Baseline file .*nope\.json does not exist\.$"):
        baseline.read(tmp_path / "nope.json")


def test_invalid_json(tmp_path):
    target = tmp_path / "b.json"
    target.write_text("{not json")
    with pytest.raises(BaselineError, match=r"^Baseline file .*b\.json is not valid JSON \(line 1, column 2: .*\)\.$"):
        baseline.read(target)


@pytest.mark.parametrize(
    ("document", "pattern"),
    [
        ([], r'is not a tpulint baseline \(it lacks "tool": "tpulint"\)\.$'),
        ({"tool": "other", "version": 1}, r'is not a tpulint baseline \(it lacks "tool": "tpulint"\)\.$'),
        ({"tool": "tpulint", "version": 2}, r"has format version 2, but this tpulint reads version 1; rewrite"),
        ({"tool": "tpulint"}, r"has format version null, but this tpulint reads version 1"),
        ({"tool": "tpulint", "version": 1, "fingerprintKey": "x/v0"}, r'holds "x/v0" fingerprints'),
        ({"tool": "tpulint", "version": 1, "fingerprintKey": FINGERPRINT_KEY}, r'has no "findings" list\.$'),
        (
            {"tool": "tpulint", "version": 1, "fingerprintKey": FINGERPRINT_KEY, "findings": [{"fingerprint": 3}]},
            r'is malformed: findings\[0\] has no "fingerprint" string\.$',
        ),
    ],
)
def test_wrong_format(tmp_path, document, pattern):
    target = tmp_path / "b.json"
    target.write_text(json.dumps(document))
    with pytest.raises(BaselineError, match=r"^Baseline file .*b\.json " + pattern):
        baseline.read(target)


def test_write_into_a_missing_directory_is_a_baseline_error(tmp_path):
    with pytest.raises(BaselineError, match=r"^Cannot write baseline file .*: no such file or directory\.$"):
        baseline.write(tmp_path / "no" / "b.json", [], [], "0.1.0")


def test_state():
    known = Baseline(frozenset({"aa"}), "b.json")
    assert baseline.state("aa", None) is None
    assert baseline.state("aa", known) == "unchanged"
    assert baseline.state("bb", known) == "new"


def test_absent_counts_fixed_entries():
    known = Baseline(frozenset({"aa", "bb", "cc"}), "b.json")
    assert baseline.absent(["aa", "dd"], known) == 2
    assert baseline.absent(iter(["aa", "bb", "cc"]), known) == 0
