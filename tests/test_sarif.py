"""SARIF from both faces (the command and the pylint reporter) validates and follows GitHub's rules."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO, assert_valid_sarif, run_tpulint

from tpulint import sarif
from tpulint.catalog import load_catalog
from tpulint.estimate import ESTIMATE_MODEL, SCORE_MODEL, Notification, summarize
from tpulint.sarif import artifact_uri, utf16_column

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
    rules = [rule for rule in catalog.rules if rule.for_target(catalog.default_target)]  # the selected target's
    assert [rule["id"] for rule in driver["rules"]] == [rule.id for rule in rules]
    for descriptor, rule in zip(driver["rules"], rules):
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
    # The models' versions belong to tpulint/estimate.py (docs/scoring.md); the SARIF carries them as they are.
    assert properties["scoringModel"] == SCORE_MODEL and properties["scoringModel"]["name"] == "tpulint-score"
    assert properties["estimateModel"] == ESTIMATE_MODEL and properties["estimateModel"]["version"]
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
    assert reporter["runs"][0]["properties"] == command["runs"][0]["properties"]  # one pipeline (tpulint.pipeline)


def test_pylint_reporter_also_says_a_project_without_device_code_needs_no_port(tmp_path, write):
    write("tool.py", "import os\nprint(os.getcwd())\n")
    write("ported.py", "import torch_xla\nx = 1\n")
    properties = {}
    for name in ("tool.py", "ported.py"):
        subprocess.run(
            [sys.executable, "-m", "pylint", "--load-plugins=tpulint", "--disable=all", "--enable=tpulint-cuda",
             f"--output-format=tpulint-sarif:{name}.sarif", name],
            cwd=tmp_path, capture_output=True, text=True, check=False,
        )
        properties[name] = json.loads((tmp_path / f"{name}.sarif").read_text(encoding="utf-8"))["runs"][0]["properties"]
    assert (properties["tool.py"]["readinessScore"], properties["tool.py"]["readinessBand"]) == (None, "no port needed")
    assert (properties["ported.py"]["readinessScore"], properties["ported.py"]["readinessBand"]) == (100, "ready")


def test_sarif_of_the_shipped_examples_validates():
    code, out, _ = run_tpulint("--format", "sarif", "docs/examples", cwd=REPO)
    assert code == 1
    assert_valid_sarif(json.loads(out))


# --- GitHub's rules and limits -------------------------------------------------------------------


def _walk(value, key=None):
    """Every (key, value) pair anywhere in a JSON value."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield name, item
            yield from _walk(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)


MIXED = (  # two notes and a warning; sorts before z_gpu.py and its two errors
    'import torch\nimport torch_xla\ntorch.backends.cudnn.benchmark = True\n'
    'torch.backends.cudnn.deterministic = True\nscaler = torch.amp.GradScaler("cuda")\n'
)


def test_exactly_one_run_whatever_is_checked(tmp_path, write):
    write("a/gpu.py", GPU_SCRIPT)
    write("b/gpu.py", GPU_SCRIPT)
    write("c/broken.py", "def broken(:\n")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    log = _sarif(tmp_path, "a", "b", "c/broken.py", "dangling.py")
    assert len(log["runs"]) == 1
    assert len(log["runs"][0]["results"]) == 4


def test_no_uri_starts_with_dot_slash_or_is_left_unencoded(tmp_path, write):
    write("src/gpu.py", GPU_SCRIPT)
    write("src/with space é.py", GPU_SCRIPT)
    write("src/broken.py", "def broken(:\n")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    log = _sarif(tmp_path, "./src", "./dangling.py")
    uris = [value for key, value in _walk(log) if key == "uri"]
    assert len(uris) >= 1 + 4 + 1 + 2  # base id, results, a notification, per-file properties
    for uri in uris:
        assert not uri.startswith(("./", "../", "/")) and " " not in uri and "\\" not in uri, uri
    run = log["runs"][0]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == {
        "src/gpu.py", "src/with%20space%20%C3%A9.py"}
    notes = run["invocations"][0]["toolExecutionNotifications"]
    by_text = {note["message"]["text"].split(":")[0]: note for note in notes}
    assert by_text["src/broken.py"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/broken.py"
    dangling = by_text["./dangling.py"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert dangling["uri"] == "dangling.py"  # the link itself, without ./


def test_artifact_uris_are_relative_references_or_file_uris(tmp_path):
    root = tmp_path / "repo"
    assert artifact_uri("./pkg/./a.py", root) == "pkg/a.py"
    assert artifact_uri("pkg/a b#1%.py", root) == "pkg/a%20b%231%25.py"
    assert artifact_uri("../outside.py", root) == (tmp_path / "outside.py").as_uri()
    assert artifact_uri("/elsewhere/x.py", root) == "file:///elsewhere/x.py"


def test_a_notification_about_no_file_has_no_location(tmp_path):
    catalog = load_catalog()
    note = Notification("Command line or configuration file", "pylint could not load a plugin: nope")
    log = sarif.build(summarize(catalog, catalog.default_target, [], 0, [note]), catalog, tmp_path)
    assert_valid_sarif(log)
    (notification,) = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "locations" not in notification and notification["level"] == "error"


def test_results_over_the_cap_keep_the_most_severe_and_say_how_many_were_omitted(tmp_path, write, monkeypatch):
    write("a_mixed.py", MIXED)
    write("z_gpu.py", GPU_SCRIPT)
    full = _sarif(tmp_path, ".")["runs"][0]
    assert [r["level"] for r in full["results"]] == ["note", "note", "warning", "error", "error"]
    assert full["properties"]["resultsOmitted"] == 0
    assert full["invocations"][0]["toolExecutionNotifications"] == []

    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    run = _sarif(tmp_path, ".")["runs"][0]
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [("W7113", "warning"), ("E7122", "error"), ("E7101", "error")]
    assert run["properties"]["resultsOmitted"] == 2
    assert [f["findings"] for f in run["properties"]["files"]] == [3, 2]  # the per-file counts stay complete
    (notice,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notice["level"] == "warning" and notice["message"]["text"].startswith("2 of 5 results left out")


def test_suppressed_messages_are_not_emitted_at_all(tmp_path, write):
    write("gpu.py", 'import torch\nmodel = torch.nn.Linear(2, 2).to("cuda")  # pylint: disable=cuda-device\n')
    log = _sarif(tmp_path, "gpu.py")
    assert "E7101" not in [r["ruleId"] for r in log["runs"][0]["results"]]
    assert not [key for key, _ in _walk(log) if key == "suppressions"]


def test_every_rule_has_help_markdown_and_an_absolute_help_uri(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    rules = _sarif(tmp_path, "gpu.py")["runs"][0]["tool"]["driver"]["rules"]
    assert rules
    for rule in rules:
        assert rule["help"]["markdown"].strip() and rule["help"]["text"].strip(), rule["id"]
        assert rule["helpUri"].startswith("https://"), rule["id"]
        assert len(rule["properties"]["tags"]) <= 20  # GitHub's limit per rule


def test_torchtpu_sarif_speaks_torchtpu(tmp_path, write):
    """Rule help for the torchtpu target is in TorchTPU's terms: no rule but torch-xla-api (which
    is about torch_xla code) tells a TorchTPU user about torch_xla."""
    write("gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint("--format", "sarif", "--target", "torchtpu", "gpu.py", cwd=tmp_path)
    assert code in (0, 1), err
    log = json.loads(out)
    assert_valid_sarif(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert {rule["properties"]["pylintSymbol"] for rule in rules} >= {"missing-tpu-kernel", "legacy-tpu-device-api"}
    for rule in rules:
        if rule["properties"]["pylintSymbol"] == "torch-xla-api":
            continue
        text = rule["fullDescription"]["text"] + rule["help"]["text"]
        assert "torch_xla" not in text and "XLA" not in text, rule["properties"]["pylintSymbol"]
    assert log["runs"][0]["results"][0]["message"]["text"].endswith('use torch.device("tpu").')


def test_fixes_replace_exactly_the_spans_they_name(tmp_path, write):
    source = 'import torch\nimport torch_xla\nx = torch.ones(2).to("xla")  # é\n'
    write("ported.py", source)
    code, out, err = run_tpulint("--format", "sarif", "--target", "torchtpu", "ported.py", cwd=tmp_path)
    log = json.loads(out)
    assert_valid_sarif(log)
    lines = source.splitlines()
    for result in log["runs"][0]["results"]:
        for fix in result.get("fixes", ()):
            (change,) = fix["artifactChanges"]
            for replacement in change["replacements"]:
                region = replacement["deletedRegion"]
                line = lines[region["startLine"] - 1]
                if region["endLine"] > region["startLine"]:  # whole lines, up to the next line's start
                    assert (region["startColumn"], region["endColumn"]) == (1, 1)
                    removed = "\n".join(lines[region["startLine"] - 1:region["endLine"] - 1])
                else:
                    removed = line[region["startColumn"] - 1:region["endColumn"] - 1]
                assert removed in ('import torch_xla', '"xla"'), removed


def test_a_fix_that_needs_an_import_inserts_it(tmp_path, write):
    write("train.py", 'import torch\n\nmodel = torch.nn.Linear(2, 2).cuda()\n')
    log = json.loads(run_tpulint("--format", "sarif", "train.py", cwd=tmp_path)[1])
    assert_valid_sarif(log)
    move = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "E7103")
    (change,) = move["fixes"][0]["artifactChanges"]
    inserted = [(r["deletedRegion"]["startLine"], r.get("insertedContent", {}).get("text")) for r in change["replacements"]]
    assert inserted == [(3, ".to(torch_xla.device())"), (2, "import torch_xla\n")]
