"""The tpulint command: formats, exit codes, configuration, bad input, and the seed's estimates."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from conftest import REPO, assert_valid_sarif, run_tpulint, working_directory

import tpulint.analysis
from tpulint.cli import main

EXAMPLES = REPO / "docs" / "examples"
GPU_SCRIPT = 'import torch\nmodel = torch.nn.Linear(2, 2).to("cuda")\n'
XLA_SCRIPT = "import torch\nimport torch_xla\nmodel = torch.nn.Linear(2, 2).to(torch_xla.device())\n"


def _json(*args: str, cwd: Path) -> dict:
    code, out, err = run_tpulint("--format", "json", *args, cwd=cwd)
    assert code in (0, 1), err
    return json.loads(out)


def test_seed_pipeline_example_needs_exactly_two_changes():
    report = _json(str(EXAMPLES / "seed_pipeline.py"), cwd=REPO)
    assert report["summary"]["estimated_changes"]["required"] == 2
    assert sorted(f["symbol"] for f in report["findings"]) == ["cuda-device", "missing-torch-xla-import"]


def test_seed_vllm_example_needs_one_or_two_changes():
    report = _json(str(EXAMPLES / "seed_vllm.py"), cwd=REPO)
    assert 1 <= report["summary"]["estimated_changes"]["required"] <= 2
    assert [f["symbol"] for f in report["findings"]] == ["vllm-gpu-option"]
    assert "vllm-tpu" in report["findings"][0]["message"]


def test_a_file_written_for_xla_needs_nothing(tmp_path, write):
    write("ported.py", XLA_SCRIPT)
    code, out, _ = run_tpulint("ported.py", cwd=tmp_path)
    assert code == 0
    assert "Estimated changes: 0" in out and "100/100 (ready)" in out


def test_text_output_has_one_line_per_finding_then_the_summary(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    code, out, _ = run_tpulint("gpu.py", cwd=tmp_path)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "gpu.py:1:1: E7122 missing-torch-xla-import this file needs the TPU device (line 2) but never imports torch_xla; add import torch_xla"
    assert lines[1].startswith("gpu.py:2:34: E7101 cuda-device CUDA device 'cuda'")
    assert any(line.startswith("Readiness for PyTorch/XLA 2.9: ") for line in lines)
    assert "Estimated changes: 2 (2 mechanical, 0 manual)" in out
    assert "By family: cuda 2" in out and "By severity: blocker 2" in out


def test_directories_are_walked_for_python_files_only(tmp_path, write):
    write("pkg/a.py", GPU_SCRIPT)
    write("pkg/sub/b.py", GPU_SCRIPT)
    write("pkg/notes.txt", GPU_SCRIPT)
    write("pkg/.venv/lib/c.py", GPU_SCRIPT)
    report = _json("pkg", cwd=tmp_path)
    assert {f["path"] for f in report["findings"]} == {"pkg/a.py", "pkg/sub/b.py"}
    assert report["summary"]["files_checked"] == 2


def test_fail_under_decides_the_exit_code(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    assert run_tpulint("--fail-under", "50", "gpu.py", cwd=tmp_path)[0] == 0
    assert run_tpulint("--fail-under", "90", "gpu.py", cwd=tmp_path)[0] == 1


def test_configuration_from_the_nearest_pyproject(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nexclude = ["generated/*"]\nfail-under = 10\n')
    write("generated/gpu.py", GPU_SCRIPT)
    write("src/gpu.py", GPU_SCRIPT)
    code, out, _ = run_tpulint(".", cwd=tmp_path / "src")
    assert code == 0  # fail-under 10 from the parent directory's pyproject.toml
    report = _json(".", cwd=tmp_path)
    assert {f["path"] for f in report["findings"]} == {"src/gpu.py"}


def test_an_explicitly_named_file_is_checked_even_if_ignored(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nexclude = ["gpu.py"]\n')
    write("gpu.py", GPU_SCRIPT)
    assert _json("gpu.py", cwd=tmp_path)["findings"]
    assert run_tpulint(".", cwd=tmp_path)[0] == 2  # nothing left to check


def test_force_exclude_applies_ignore_to_named_files_as_pre_commit_needs(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nexclude = ["fixtures/*"]\n')
    write("fixtures/gpu.py", GPU_SCRIPT)
    write("train.py", GPU_SCRIPT)
    report = _json("--force-exclude", "fixtures/gpu.py", "train.py", cwd=tmp_path)
    assert {finding["path"] for finding in report["findings"]} == {"train.py"}
    assert run_tpulint("--force-exclude", "fixtures/gpu.py", cwd=tmp_path) == (0, "", "")


def test_families_can_be_chosen(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    assert _json("--families", "mark-step", "gpu.py", cwd=tmp_path)["findings"] == []


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('[tool.tpulint]\ncolour = "red"\n', "unknown [tool.tpulint] key"),
        ('[tool.tpulint]\ntarget = "gpu"\n', "target ['gpu'] not among"),
        ('[tool.tpulint]\nfamilies = ["cuda", "typo"]\n', "families ['typo'] not among"),
        ('[tool.tpulint]\nfail-under = "high"\n', "fail-under must be a number"),
        ("[tool.tpulint\n", "not valid TOML"),
    ],
)
def test_configuration_errors_exit_2_with_a_clear_message(tmp_path, write, config, expected):
    write("pyproject.toml", config)
    write("gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint("gpu.py", cwd=tmp_path)
    assert code == 2 and expected in err and out == ""
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--target", "gpu"], "known targets are torch_xla"),
        (["--families", "nope"], "choose from cuda"),
        (["--config", "missing.toml"], "no such file"),
        (["--format", "xml"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(tmp_path, write, args, expected):
    write("gpu.py", GPU_SCRIPT)
    code, _, err = run_tpulint(*args, "gpu.py", cwd=tmp_path)
    assert code == 2 and expected in err


def test_explicit_tpulint_toml_config(tmp_path, write):
    write("tpulint.toml", "fail-under = 1\n")
    write("gpu.py", GPU_SCRIPT)
    assert run_tpulint("--config", "tpulint.toml", "gpu.py", cwd=tmp_path)[0] == 0


BAD_INPUTS = {
    "syntax.py": ("def broken(:\n", "does not parse as Python"),
    "latin1.py": (b'x = "caf\xe9"\n', "not valid UTF-8"),
    "deep.py": ("x = " + "-" * 5000 + "1\n", "nested too deeply"),
    "nul.py": (b"x = 1\x00\n", "NUL bytes"),
    "notes.py": ("This is a README, not Python.\n", "does not parse as Python"),
}


def test_bad_files_are_reported_clearly_and_the_rest_is_still_checked(tmp_path, write):
    for name, (text, _) in BAD_INPUTS.items():
        write(name, text)
    write("empty.py", "")
    write("gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint(".", cwd=tmp_path)
    assert code == 1
    for name, (_, expected) in BAD_INPUTS.items():
        assert any(line.startswith(f"{name}: not analysed") and expected in line for line in out.splitlines()), (name, out)
    assert "gpu.py:2:34: E7101 cuda-device" in out
    assert "Traceback" not in out + err


def test_bad_files_keep_the_sarif_valid(tmp_path, write):
    for name, (text, _) in BAD_INPUTS.items():
        write(name, text)
    write("gpu.py", GPU_SCRIPT)
    code, out, _ = run_tpulint("--format", "sarif", ".", cwd=tmp_path)
    log = json.loads(out)
    assert_valid_sarif(log)
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes} == set(BAD_INPUTS)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["E7122", "E7101"]


def test_a_huge_file_is_skipped_with_a_notice(tmp_path, write):
    write("pyproject.toml", "[tool.tpulint]\nmax-file-size = 1000\n")
    write("huge.py", "x = 1\n" * 1000)
    write("gpu.py", GPU_SCRIPT)
    code, out, _ = run_tpulint(".", cwd=tmp_path)
    assert "huge.py: not analysed: 6.0 kB is over the 1.0 kB limit" in out
    assert "gpu.py:2:34" in out


def test_a_missing_path_is_reported(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint("gpu.py", "nowhere.py", cwd=tmp_path)
    # A typo in CI must fail the job before any work, not read as a clean project.
    assert (code, out) == (2, "") and err == "tpulint: nowhere.py: no such file or folder\n"


def test_output_file_and_parallel_jobs_give_the_same_findings(tmp_path, write):
    for index in range(4):
        write(f"gpu{index}.py", GPU_SCRIPT)
    serial = _json(".", cwd=tmp_path)
    code, out, _ = run_tpulint("--format", "json", "--jobs", "2", "--output", "report.json", ".", cwd=tmp_path)
    assert out == ""
    parallel = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert parallel["findings"] == serial["findings"] and len(serial["findings"]) == 8


def test_the_users_pylint_configuration_does_not_leak_in(tmp_path, write):
    write("pyproject.toml", '[tool.pylint.main]\nload-plugins = ["no_such_plugin"]\ndisable = ["E7101"]\n')
    write("gpu.py", GPU_SCRIPT)
    report = _json("gpu.py", cwd=tmp_path)
    assert [f["symbol"] for f in report["findings"]] == ["missing-torch-xla-import", "cuda-device"]
    assert report["notifications"] == []


def test_torch_xla_version_selects_the_op_data(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    assert run_tpulint("--torch-xla", "2.9", "gpu.py", cwd=tmp_path)[0] == 1
    code, _, err = run_tpulint("--torch-xla", "1.0", "gpu.py", cwd=tmp_path)
    assert code == 2 and "tpulint has op data for torch_xla 2.9" in err
    write("pyproject.toml", '[tool.tpulint]\ntorch-xla = "3.0"\n')
    code, _, err = run_tpulint("gpu.py", cwd=tmp_path)
    assert code == 2 and "torch-xla ['3.0'] not among ['2.9']" in err


def test_runtime_version_is_the_new_name_of_torch_xla(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    assert run_tpulint("--runtime-version", "2.9", "gpu.py", cwd=tmp_path)[0] == 1
    code, _, err = run_tpulint("--runtime-version", "0.2", "gpu.py", cwd=tmp_path)
    assert code == 2 and "--runtime-version (or --torch-xla) '0.2': tpulint has op data for torch_xla 2.9" in err
    write("pyproject.toml", '[tool.tpulint]\nruntime-version = "2.9"\n')
    assert run_tpulint("gpu.py", cwd=tmp_path)[0] == 1
    write("pyproject.toml", '[tool.tpulint]\nruntime-version = "2.9"\ntorch-xla = "2.9"\n')
    code, _, err = run_tpulint("gpu.py", cwd=tmp_path)
    assert code == 2 and "not both" in err


# --- the summary -----------------------------------------------------------------------------

NO_DEVICE_SCRIPT = "import json\n\n\ndef load(path):\n    return json.load(open(path))\n"
VLLM_SCRIPT = 'from vllm import LLM\n\nllm = LLM(model="m", device="cuda")\n'


def test_a_project_without_pytorch_needs_no_port(tmp_path, write):
    write("util.py", NO_DEVICE_SCRIPT)
    code, out, _ = run_tpulint("util.py", cwd=tmp_path)
    assert code == 0
    assert "Readiness: no port needed — no file uses PyTorch devices" in out and "100/100" not in out
    report = _json("util.py", cwd=tmp_path)
    assert report["summary"]["readiness_score"] is None
    assert report["summary"]["readiness_band"] == "no port needed"
    assert report["summary"]["files_with_device_code"] == 0
    assert run_tpulint("--fail-under", "90", "util.py", cwd=tmp_path)[0] == 0  # nothing to port passes


def test_a_project_with_device_code_and_no_findings_is_ready(tmp_path, write):
    write("util.py", NO_DEVICE_SCRIPT)
    write("ported.py", XLA_SCRIPT)
    report = _json(".", cwd=tmp_path)
    assert (report["summary"]["readiness_score"], report["summary"]["readiness_band"]) == (100, "ready")
    assert report["summary"]["files_with_device_code"] == 1


@pytest.mark.parametrize(
    ("source", "device"),
    [
        ("import torch.nn as nn\n", True),
        ("  from transformers import pipeline\n", True),  # indented (inside a try or a function)
        ("import pytorch_lightning as pl\n", True),
        ("from deepspeed import init\n", True),
        ("import torchvision\n", False),  # not torch
        ("import os, torch\n", False),  # the cheap check only reads the first name
        ("# import torch\n", False),
        ('x = "import torch"\n', False),
    ],
)
def test_device_code_is_a_pytorch_library_import(tmp_path, write, source, device):
    write("m.py", source)
    assert _json("m.py", cwd=tmp_path)["summary"]["files_with_device_code"] == int(device)


def test_json_has_the_model_v2_fields(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    report = _json("gpu.py", cwd=tmp_path)
    assert report["summary"]["estimate_model"] == {"name": "tpulint-estimate", "version": "2"}
    assert report["summary"]["scoring_model"] == {"name": "tpulint-score", "version": "2"}
    assert report["summary"]["estimated_changes"] == {
        "required": 2, "fixable": 2, "manual": 0, "optional": 0, "uncertain": 0, "range": [2, 2],
    }
    assert report["summary"]["files"][0]["estimated_changes"]["range"] == [2, 2]
    assert report["summary"]["notes"] == []
    assert all(finding["uncertain"] is False for finding in report["findings"])


def test_vllm_scripts_get_the_install_note_in_every_format(tmp_path, write):
    write("serve.py", VLLM_SCRIPT)
    note = "vLLM runs on TPU through its TPU platform plugin: `pip install vllm-tpu`"
    assert _json("serve.py", cwd=tmp_path)["summary"]["notes"][0].startswith(note)
    text = run_tpulint("serve.py", cwd=tmp_path)[1]
    assert f"Note: {note}" in text
    markdown = run_tpulint("--format", "markdown", "serve.py", cwd=tmp_path)[1]
    assert "> **Note:** vLLM runs on TPU through its TPU platform plugin: `pip install vllm-tpu`" in markdown
    github = run_tpulint("--format", "github", "serve.py", cwd=tmp_path)[1]
    assert "pip install vllm-tpu" in github.splitlines()[-1]
    write("gpu.py", GPU_SCRIPT)
    assert _json("gpu.py", cwd=tmp_path)["summary"]["notes"] == []  # only where a file imports vllm


def test_the_text_summary_lists_the_files_that_need_most_work(tmp_path, write):
    for index in range(7):
        calls = "".join(f"torch.cuda.synchronize()  # {n}\n" for n in range(index))
        write(f"f{index}.py", "import torch\n" + calls)
    code, out, _ = run_tpulint(".", cwd=tmp_path)
    assert code == 1
    lines = out.splitlines()
    start = lines.index("Most work:")
    top = lines[start + 1:start + 6]
    assert [line.split(":")[0].strip() for line in top] == ["f6.py", "f5.py", "f4.py", "f3.py", "f2.py"]
    assert top[0] == "  f6.py: 40/100 (moderate port), 6 changes (6 mechanical, 0 manual)"  # tpulint fix rewrites them
    assert len(lines) == start + 6  # five files, then nothing


def test_a_single_file_has_no_most_work_list(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    assert "Most work:" not in run_tpulint("gpu.py", cwd=tmp_path)[1]


def test_an_uncertain_estimate_is_shown_as_a_range():
    from tpulint.catalog import load_catalog
    from tpulint.estimate import Finding, summarize
    from tpulint.render import render_markdown, render_text

    catalog = load_catalog()
    rule = catalog.rule("cuda-runtime-call")
    severity = catalog.severity_of(rule, "torch_xla")
    findings = [Finding(rule, severity, "a.py", "/a.py", line, 0, None, None, "m", line == 2) for line in (1, 2)]
    summary = summarize(catalog, "torch_xla", findings, 1, device_files=1)
    assert "Estimated changes: 1–2 (0 mechanical, 2 manual; 1 uncertain) [tpulint-estimate v2]" in render_text(summary, catalog)
    assert "| Estimated changes | **1–2** (0 mechanical, 2 manual; 1 uncertain) |" in render_markdown(summary, catalog)


# --- GitHub annotations and Markdown -----------------------------------------------------------

MIXED_SCRIPT = """import torch

torch.backends.cudnn.benchmark = True
model = torch.nn.Linear(2, 2).to("cuda")
scaler = torch.cuda.amp.GradScaler()
"""


def test_github_format_is_one_annotation_per_finding_and_a_summary_notice(tmp_path, write):
    write("train.py", MIXED_SCRIPT)
    write("broken.py", "def broken(:\n")
    code, out, err = run_tpulint("--format", "github", ".", cwd=tmp_path)
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert all(line.startswith("::") for line in lines)
    assert lines[0] == "::error file=train.py,line=1,col=1,endLine=1,endColumn=12,title=E7122 missing-torch-xla-import::this file needs the TPU device (line 4) but never imports torch_xla; add import torch_xla"
    assert lines[1].startswith("::notice file=train.py,line=3,col=1,") and "title=W7110 cudnn-setting::" in lines[1]  # advice
    assert lines[2].startswith("::error file=train.py,line=4,col=34,endLine=4,endColumn=39,title=E7101 cuda-device::")  # blocker
    assert lines[3].startswith("::warning file=train.py,line=5,") and "W7113 cuda-grad-scaler" in lines[3]  # perf
    assert lines[4].startswith("::error file=broken.py,title=tpulint::not analysed: it does not parse as Python")
    assert lines[5].startswith("::notice title=tpulint::Readiness for PyTorch/XLA 2.9: ")
    assert len(lines) == 6


def test_github_escaping_follows_the_runner():
    from tpulint.render import escape_data, escape_property

    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotations_escape_paths_and_messages(tmp_path, write):
    write("odd,name:1.py", GPU_SCRIPT)
    out = run_tpulint("--format", "github", ".", cwd=tmp_path)[1]
    assert "file=odd%2Cname%3A1.py,line=2," in out


def test_markdown_summary(tmp_path, write):
    write("train.py", MIXED_SCRIPT)
    write("gpu.py", GPU_SCRIPT)
    code, out, _ = run_tpulint("--format", "markdown", ".", cwd=tmp_path)
    assert code == 1
    assert out.startswith("## tpulint: readiness for PyTorch/XLA 2.9\n")
    assert "| Estimated changes | **5** (5 mechanical, 0 manual) |" in out  # the unused scaler: an (unsafe) edit
    assert "| Optional clean-ups | 1 |" in out
    assert "| family | blocker | perf | advice | total |" in out
    assert "| `cuda` CUDA-specific code | 4 | 1 | 1 | 6 |" in out
    assert "| `train.py` | 3 (+1 optional) | 62/100, small port |" in out
    assert "<details><summary>6 findings</summary>" in out and out.count("\n- `") == 6
    assert "[E7101 cuda-device](https://github.com/tpulint/tpulint/blob/main/docs/rules/cuda-device.md)" in out
    assert "torch\\_xla" in out  # messages are escaped
    assert "tpulint-estimate v2" in out


def test_markdown_caps_the_findings_list(tmp_path, write, monkeypatch):
    import tpulint.render

    monkeypatch.setattr(tpulint.render, "MARKDOWN_FINDINGS", 2)
    write("train.py", MIXED_SCRIPT)
    out = run_tpulint("--format", "markdown", "train.py", cwd=tmp_path)[1]
    assert out.count("\n- `") == 2 and "- … and 2 more" in out


def test_markdown_of_a_project_without_pytorch(tmp_path, write):
    write("util.py", NO_DEVICE_SCRIPT)
    out = run_tpulint("--format", "markdown", "util.py", cwd=tmp_path)[1]
    assert "| Readiness | no port needed — no file uses PyTorch devices |" in out
    assert "<details>" not in out


def test_summary_markdown_is_appended_beside_another_format(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    (tmp_path / "summary.md").write_text("earlier step\n", encoding="utf-8")
    code, out, _ = run_tpulint("--format", "sarif", "--summary-markdown", "summary.md", "gpu.py", cwd=tmp_path)
    assert code == 1
    assert_valid_sarif(json.loads(out))
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("earlier step\n## tpulint: readiness for PyTorch/XLA 2.9\n")
    assert "| Readiness | **67/100** (small port) |" in summary


# --- explain -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["E7101", "e7101", "cuda-device", "CUDA-Device"])
def test_explain_prints_the_rule_page(name):
    code, out, err = run_tpulint("explain", name)
    assert code == 0 and err == ""
    assert out.startswith("# cuda-device (E7101)\n")
    assert "## Why" in out and "## Use instead" in out and "torch_xla.device()" in out
    assert "Generated from rules/" not in out


def test_explain_is_the_docs_page_without_its_marker():
    from tpulint.catalog import load_catalog
    from tpulint.docs import GENERATED, render_rule_page

    catalog = load_catalog()
    page = render_rule_page(catalog.rule("pin-memory"), catalog)
    assert page.startswith(GENERATED + "\n")
    assert run_tpulint("explain", "W7117")[1] == page.removeprefix(GENERATED + "\n").strip("\n") + "\n"


@pytest.mark.parametrize(("name", "suggestion"), [("cuda-devise", "cuda-device"), ("E7110", "W7110"), ("e7199", "E7119"), ("zzz", None)])
def test_explain_an_unknown_rule_exits_2_with_close_matches(name, suggestion):
    code, out, err = run_tpulint("explain", name)
    assert code == 2 and out == ""
    assert f"no rule {name!r}" in err
    if suggestion:
        assert suggestion in err.split("did you mean", 1)[1]
    else:
        assert "did you mean" not in err and "an id such as E7101" in err


def test_explain_needs_a_rule():
    code, _, err = run_tpulint("explain")
    assert code == 2 and "rule" in err


# --- progress ----------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _many_files(write, count=4):
    for index in range(count):
        write(f"m{index}.py", GPU_SCRIPT)


def test_no_progress_below_the_threshold(tmp_path, write):
    _many_files(write)
    assert run_tpulint(".", cwd=tmp_path)[2] == ""


def test_progress_in_a_log_is_a_final_line_on_stderr(tmp_path, write, monkeypatch):
    import tpulint.cli

    _many_files(write)
    quiet = run_tpulint("--format", "json", "--no-progress", ".", cwd=tmp_path)
    monkeypatch.setattr(tpulint.analysis, "PROGRESS_MIN_FILES", 3)
    code, out, err = run_tpulint("--format", "json", ".", cwd=tmp_path)
    assert (code, out) == quiet[:2]  # stdout untouched
    assert re.fullmatch(r"tpulint: checked 4 files in \d+ s\n", err), err
    assert run_tpulint("--no-progress", ".", cwd=tmp_path)[2] == ""


def test_progress_in_a_log_adds_periodic_lines(tmp_path, write, monkeypatch):
    import tpulint.cli

    _many_files(write)
    monkeypatch.setattr(tpulint.analysis, "PROGRESS_MIN_FILES", 3)
    monkeypatch.setattr(tpulint.analysis, "PROGRESS_INTERVAL", 0.0)
    err = run_tpulint(".", cwd=tmp_path)[2]
    lines = err.splitlines()
    assert len(lines) > 2 and all(re.fullmatch(r"tpulint: \d+% of 4 files checked \(\d+ s\)", line) for line in lines[:-1])
    assert lines[-2].startswith("tpulint: 100% of 4") and lines[-1].startswith("tpulint: checked 4 files")


def test_progress_on_a_terminal_is_one_line_erased_at_the_end(tmp_path, write, monkeypatch):
    import tpulint.cli

    _many_files(write)
    monkeypatch.setattr(tpulint.analysis, "PROGRESS_MIN_FILES", 3)
    monkeypatch.setattr(tpulint.analysis, "_TTY_REFRESH", 0.0)
    terminal = _Terminal()
    with working_directory(tmp_path), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(terminal):
        assert main(["."]) == 1
    err = terminal.getvalue()
    assert "\n" not in err and "\x1b" not in err and err.startswith("\rtpulint: ")
    last = err.rsplit("\r", 2)[-2]
    assert last.strip() == "" and err.endswith("\r")  # blanked at the end
    assert "100% of 4 files checked" in err


def test_progress_with_parallel_jobs(tmp_path, write, monkeypatch):
    import tpulint.cli

    _many_files(write)
    monkeypatch.setattr(tpulint.analysis, "PROGRESS_MIN_FILES", 3)
    monkeypatch.setattr(tpulint.analysis, "PROGRESS_INTERVAL", 0.0)
    code, out, err = run_tpulint("--jobs", "2", "--format", "json", ".", cwd=tmp_path)
    assert code == 1 and len(json.loads(out)["findings"]) == 8
    assert err.splitlines()[-2].startswith("tpulint: 100% of 4 files")  # once per file, in the parent only
    assert err.count("\n") == 5


def test_sarif_of_a_project_without_pytorch_has_no_score(tmp_path, write):
    write("util.py", NO_DEVICE_SCRIPT)
    code, out, _ = run_tpulint("--format", "sarif", "util.py", cwd=tmp_path)
    log = json.loads(out)
    assert_valid_sarif(log)
    properties = log["runs"][0]["properties"]
    assert code == 0 and properties["readinessScore"] is None and properties["readinessBand"] == "no port needed"


def test_github_columns_count_characters_not_bytes(tmp_path, write):
    write("gpu.py", 'import torch\nnom = "é"; model = torch.nn.Linear(2, 2).to("cuda")\n')
    text = run_tpulint("gpu.py", cwd=tmp_path)[1]
    github = run_tpulint("--format", "github", "gpu.py", cwd=tmp_path)[1]
    assert "gpu.py:2:46: E7101" in text  # pylint's byte column
    assert "::error file=gpu.py,line=2,col=45,endLine=2,endColumn=50,title=E7101 cuda-device::" in github


def test_select_and_ignore_take_ids_symbols_families_and_prefixes(tmp_path, write):
    write("train.py", 'import torch\nmodel = torch.nn.Linear(2, 2).cuda()\nx = torch.ones(2, device="cuda")\n')

    def symbols(*options):
        code, out, err = run_tpulint("--format", "json", *options, "train.py", cwd=tmp_path)
        return sorted({finding["symbol"] for finding in json.loads(out)["findings"]})

    every = symbols()
    assert {"cuda-device", "cuda-move-method"} <= set(every)
    assert symbols("--select", "cuda-move-method") == ["cuda-move-method"]
    assert symbols("--select", "cuda", "--ignore", "cuda-move-method") == [s for s in every if s != "cuda-move-method"]
    assert symbols("--select", "71") == symbols("--select", "cuda") == symbols("--select", "E71")
    assert symbols("--select", "E7101,E7122") == ["cuda-device", "missing-torch-xla-import"]


def test_an_unknown_rule_name_is_a_usage_error_with_a_suggestion(tmp_path, write):
    write("train.py", "import torch\n")
    code, out, err = run_tpulint("--ignore", "cuda-devise", "train.py", cwd=tmp_path)
    assert code == 2 and out == "" and "did you mean cuda-device" in err and "Traceback" not in err
