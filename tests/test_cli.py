"""The tpulint command: formats, exit codes, configuration, bad input, and the seed's estimates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, assert_valid_sarif, run_tpulint

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
    write("pyproject.toml", '[tool.tpulint]\nignore = ["generated/*"]\nfail-under = 10\n')
    write("generated/gpu.py", GPU_SCRIPT)
    write("src/gpu.py", GPU_SCRIPT)
    code, out, _ = run_tpulint(".", cwd=tmp_path / "src")
    assert code == 0  # fail-under 10 from the parent directory's pyproject.toml
    report = _json(".", cwd=tmp_path)
    assert {f["path"] for f in report["findings"]} == {"src/gpu.py"}


def test_an_explicitly_named_file_is_checked_even_if_ignored(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nignore = ["gpu.py"]\n')
    write("gpu.py", GPU_SCRIPT)
    assert _json("gpu.py", cwd=tmp_path)["findings"]
    assert run_tpulint(".", cwd=tmp_path)[0] == 2  # nothing left to check


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
    assert "huge.py: not analysed: 0.0 MB is over the 0.0 MB limit" in out
    assert "gpu.py:2:34" in out


def test_a_missing_path_is_reported(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    code, out, _ = run_tpulint("gpu.py", "nowhere.py", cwd=tmp_path)
    assert code == 1 and "nowhere.py: no such file or directory" in out


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
    assert code == 2 and "op data exists for 2.9" in err
    write("pyproject.toml", '[tool.tpulint]\ntorch-xla = "3.0"\n')
    code, _, err = run_tpulint("gpu.py", cwd=tmp_path)
    assert code == 2 and "torch-xla ['3.0'] not among ['2.9']" in err
