"""Notebooks and baselines through the command, end to end."""

from __future__ import annotations

import json

from conftest import assert_valid_sarif, run_tpulint

from tpulint.baseline import FINGERPRINT_KEY


def _notebook(*cells: list[str]) -> str:
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Fine-tune\n"]}] + [
            {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
            for source in cells
        ],
    }, indent=1)


NOTEBOOK = _notebook(
    ["!pip install transformers\n", "import torch\n"],
    ["%matplotlib inline\n", "device = torch.device(\"cuda\")\n", "x = torch.ones(2).to(device)\n"],
)


def _line_of(path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_notebook_findings_are_shown_by_cell_and_line(tmp_path, write):
    notebook = write("train.ipynb", NOTEBOOK)
    code, out, _ = run_tpulint(str(notebook.name), cwd=tmp_path)
    assert code == 1
    assert "train.ipynb:cell 3:line 2: E7101 cuda-device CUDA device torch.device('cuda') (used on cell 3:line 3)" in out
    assert "train.ipynb:cell 2:line 2: E7122 missing-torch-xla-import" in out


def test_notebooks_are_found_when_walking_a_folder(tmp_path, write):
    write("notebooks/train.ipynb", NOTEBOOK)
    _, out, _ = run_tpulint("--format", "json", ".", cwd=tmp_path)
    assert {finding["path"] for finding in json.loads(out)["findings"]} == {"notebooks/train.ipynb"}


def test_notebook_sarif_points_at_the_line_of_the_ipynb_file(tmp_path, write):
    notebook = write("train.ipynb", NOTEBOOK)
    _, out, _ = run_tpulint("--format", "sarif", notebook.name, cwd=tmp_path)
    log = json.loads(out)
    assert_valid_sarif(log)
    device = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "E7101")
    location = device["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "train.ipynb"
    assert location["region"] == {"startLine": _line_of(notebook, 'device = torch.device(\\"cuda\\")')}


def test_a_broken_notebook_or_cell_is_reported_and_the_rest_still_checked(tmp_path, write):
    write("broken.ipynb", "{not json")
    write("partly.ipynb", _notebook(["import torch\n", "def broken(:\n"], ["model = torch.nn.Linear(2, 2).cuda()\n"]))
    code, out, _ = run_tpulint("--format", "sarif", ".", cwd=tmp_path)
    log = json.loads(out)
    assert_valid_sarif(log)
    notes = [n["message"]["text"] for n in log["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert any(n.startswith("broken.ipynb: not analysed: not a Jupyter notebook") for n in notes), notes
    assert any(n.startswith("partly.ipynb: cell 2 not analysed: not valid Python") for n in notes), notes
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["E7122", "E7103"]
    assert code == 1


def test_a_baseline_hides_known_findings_and_reports_new_ones(tmp_path, write):
    script = write("train.py", 'import torch\n\ndevice = torch.device("cuda")\n')
    code, _, err = run_tpulint("--write-baseline", "tpulint-baseline.json", "train.py", cwd=tmp_path)
    assert code == 0 and "recorded 2 findings" in err
    script.write_text('"""Docs added above."""\nimport torch\n\n\ndevice = torch.device("cuda")\nmodel = torch.nn.Linear(2, 2).cuda()\n')
    code, out, _ = run_tpulint("--baseline", "tpulint-baseline.json", "--format", "json", "train.py", cwd=tmp_path)
    report = json.loads(out)
    assert code == 1
    assert [finding["symbol"] for finding in report["findings"]] == ["cuda-move-method"]
    assert report["summary"]["notes"][-1] == ("Baseline tpulint-baseline.json: 2 known findings not shown "
                                                "(still counted in the score and estimate), 1 new, 0 fixed since it was written")


def test_a_baseline_with_everything_known_exits_clean_and_counts_fixed_findings(tmp_path, write):
    script = write("train.py", 'import torch\n\ndevice = torch.device("cuda")\nx = torch.ones(1).cuda()\n')
    run_tpulint("--write-baseline", "base.json", "train.py", cwd=tmp_path)
    script.write_text('import torch\n\ndevice = torch.device("cuda")\n')
    code, out, _ = run_tpulint("--baseline", "base.json", "train.py", cwd=tmp_path)
    assert code == 0
    assert "2 known findings not shown (still counted in the score and estimate), 0 new, 1 fixed since it was written" in out


def test_sarif_carries_fingerprints_and_baseline_state(tmp_path, write):
    write("train.py", 'import torch\n\ndevice = torch.device("cuda")\n')
    _, out, _ = run_tpulint("--format", "sarif", "train.py", cwd=tmp_path)
    results = json.loads(out)["runs"][0]["results"]
    assert all(len(r["partialFingerprints"][FINGERPRINT_KEY]) == 32 and "baselineState" not in r for r in results)
    run_tpulint("--write-baseline", "base.json", "train.py", cwd=tmp_path)
    write("train.py", 'import torch\n\ndevice = torch.device("cuda")\nx = torch.ones(1).cuda()\n')
    _, out, _ = run_tpulint("--format", "sarif", "--baseline", "base.json", "train.py", cwd=tmp_path)
    log = json.loads(out)
    assert_valid_sarif(log)
    assert [(r["ruleId"], r["baselineState"]) for r in log["runs"][0]["results"]] == [("E7103", "new")]


def test_a_bad_baseline_file_is_a_usage_error_with_a_sentence(tmp_path, write):
    write("train.py", "import torch\n")
    write("base.json", "[1, 2")
    code, _, err = run_tpulint("--baseline", "base.json", "train.py", cwd=tmp_path)
    assert code == 2 and err.startswith("tpulint: Baseline file base.json is not valid JSON")
    code, _, err = run_tpulint("--baseline", "missing.json", "train.py", cwd=tmp_path)
    assert code == 2 and "does not exist" in err
