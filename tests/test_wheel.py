"""The wheel carries everything tpulint reads at run time (rules/ included): build it, install it
into a fresh virtual environment, and run both entry points from there, away from the checkout."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import REPO, assert_valid_sarif, run_tpulint

GPU_SCRIPT = 'import torch\nmodel = torch.nn.Linear(2, 2).to("cuda")\n'


def _run(*args, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode in (0, 1), f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    scratch = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", scratch, REPO, cwd=scratch)
    wheels = list(scratch.glob("tpulint-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


# The newest pylint pip picks, and the one VS Code's pylint extension bundles (4.0.5).
@pytest.fixture(scope="module", params=["pylint", "pylint==4.0.5"])
def installed(request, wheel, tmp_path_factory) -> Path:
    """bin/ of a fresh venv with the freshly built wheel installed."""
    scratch = tmp_path_factory.mktemp("venv")
    venv.create(scratch, with_pip=True)
    bin_dir = scratch / "bin"
    _run(bin_dir / "python", "-m", "pip", "install", "-q", wheel, request.param, cwd=scratch)
    return bin_dir


def test_wheel_contains_the_rule_catalog(installed):
    done = _run(installed / "python", "-c",
                "import tpulint.catalog as c, pathlib; print(c.default_rules_dir())", cwd=installed)
    assert "site-packages/tpulint/rules" in done.stdout


def test_tpulint_command_runs_from_the_wheel(installed, tmp_path):
    (tmp_path / "gpu.py").write_text(GPU_SCRIPT, encoding="utf-8")
    done = _run(installed / "tpulint", "--format", "json", "gpu.py", cwd=tmp_path)
    report = json.loads(done.stdout)
    assert report["summary"]["estimated_changes"]["required"] == 2
    assert done.returncode == 1


def test_pylint_plugin_and_reporter_run_from_the_wheel(installed, tmp_path):
    (tmp_path / "gpu.py").write_text(GPU_SCRIPT, encoding="utf-8")
    done = _run(installed / "pylint", "--exit-zero", "--load-plugins=tpulint", "--disable=all", "--enable=tpulint-cuda",
                "--output-format=text,tpulint-sarif:out.sarif", "gpu.py", cwd=tmp_path)
    assert "E7101" in done.stdout
    log = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    assert_valid_sarif(log)
    assert [result["ruleId"] for result in log["runs"][0]["results"]] == ["E7122", "E7101"]


def test_the_wheel_finds_what_the_checkout_finds(installed):
    """Same findings on the shipped examples, whichever pylint 4.x the venv has."""
    done = _run(installed / "tpulint", "--format", "json", "docs/examples", cwd=REPO)
    expected = json.loads(run_tpulint("--format", "json", "docs/examples", cwd=REPO)[1])
    assert json.loads(done.stdout)["findings"] == expected["findings"]
