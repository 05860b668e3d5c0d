"""SARIF from both faces (the command and the pylint reporter) validates and follows GitHub's rules."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO, assert_valid_sarif, run_tpulint

from tpulint.catalog import load_catalog
from tpulint.sarif import utf16_column

GPU_SCRIPT = 'import torch\nmodel = torch.nn.Linear(2, 2).to("cuda")\n'


def _sarif(tmp_path, *paths: str) -> dict:
    code, out, err = run_tpulint("--format", "sarif", *paths, cwd=tmp_path)
    assert code in (0, 1), err
    log = json.loads(out)
    assert_valid_sarif(log)
    return log


def test_driver_declares_every_rule_with_help_and_family_tag(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    driver = _sarif(tmp_path, "gpu.py")["runs"][0]["tool"]["driver"]
    assert driver["name"] == "tpulint" and driver["semanticVersion"] and driver["informationUri"]
    catalog = load_catalog()
    assert [rule["id"] for rule in driver["rules"]] == [rule.id for rule in catalog.rules]
    for descriptor, rule in zip(driver["rules"], catalog.rules):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] and descriptor["fullDescription"]["text"]
        assert descriptor["help"]["text"] and "```python" in descriptor["help"]["markdown"]
        assert descriptor["helpUri"].endswith(f"docs/rules/{rule.symbol}.md")
        assert descriptor["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        assert rule.family in descriptor["properties"]["tags"]
        assert descriptor["properties"]["precision"] and descriptor["properties"]["problem.severity"]


def test_results_carry_explicit_level_rule_index_and_relative_location(tmp_path, write):
    write("src/gpu.py", GPU_SCRIPT)
    run = _sarif(tmp_path, "src")["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["columnKind"] == "utf16CodeUnits"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    device = run["results"][1]
    assert rules[device["ruleIndex"]]["id"] == device["ruleId"] == "E7101"
    assert device["level"] == "error"
    location = device["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/gpu.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 2, "startColumn": 34, "endLine": 2, "endColumn": 40}
    assert device["message"]["text"].endswith(".")


def test_run_properties_hold_score_estimate_and_models(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    properties = _sarif(tmp_path, "gpu.py")["runs"][0]["properties"]
    assert 0 <= properties["readinessScore"] <= 100
    assert properties["estimatedChanges"] == 2
    assert properties["scoringModel"] == {"name": "tpulint-score", "version": "1"}
    assert properties["estimateModel"]["version"] == "1"
    assert properties["files"] == [{
        "uri": "gpu.py", "readinessScore": properties["readinessScore"], "readinessBand": properties["readinessBand"],
        "estimatedChanges": 2, "estimate": properties["estimate"], "findings": 2,
    }]


def test_a_clean_run_still_has_an_empty_results_array(tmp_path, write):
    write("clean.py", "import torch\nx = torch.zeros(2)\n")
    run = _sarif(tmp_path, "clean.py")["runs"][0]
    assert run["results"] == []
    assert run["properties"]["readinessScore"] == 100


def test_a_warning_level_result_keeps_its_level(tmp_path, write):
    write("amp.py", 'import torch\nimport torch_xla\nscaler = torch.amp.GradScaler("cuda")\n')
    result = _sarif(tmp_path, "amp.py")["runs"][0]["results"][0]
    assert result["ruleId"] == "W7113" and result["level"] == "warning"


def test_columns_are_utf16_code_units_on_non_ascii_lines(tmp_path, write):
    path = write("accents.py", 'import torch_xla\ns = "é😀"; model.to("cuda")\n')
    result = _sarif(tmp_path, "accents.py")["runs"][0]["results"][0]
    # "é" is 2 UTF-8 bytes but 1 UTF-16 unit; "😀" is 4 bytes but 2 units.
    line = path.read_text(encoding="utf-8").splitlines()[1]
    python_index = line.index('"cuda"')
    assert result["locations"][0]["physicalLocation"]["region"]["startColumn"] == python_index + 1 + 1
    assert utf16_column(str(path), 2, len(line[:python_index].encode("utf-8"))) == python_index + 2


def test_pylint_reporter_writes_the_same_results_as_the_command(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    command = _sarif(tmp_path, "gpu.py")
    done = subprocess.run(
        [sys.executable, "-m", "pylint", "--load-plugins=tpulint", "--disable=all", "--enable=tpulint-cuda",
         "--output-format=text,tpulint-sarif:out.sarif", "gpu.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert "E7101" in done.stdout, done.stderr
    reporter = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    assert_valid_sarif(reporter)
    assert reporter["runs"][0]["results"] == command["runs"][0]["results"]
    assert reporter["runs"][0]["properties"]["estimatedChanges"] == 2


def test_sarif_of_the_shipped_examples_validates():
    code, out, _ = run_tpulint("--format", "sarif", "docs/examples", cwd=REPO)
    assert code == 1
    assert_valid_sarif(json.loads(out))
