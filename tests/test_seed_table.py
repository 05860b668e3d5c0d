"""The seed's table of change counts (../shared/seed/), one test per row, through the real command.

| scenario                              | seed's count        | example                                  |
|---------------------------------------|---------------------|------------------------------------------|
| simple Hugging Face pipeline          | 2                   | docs/examples/seed_pipeline.py           |
| vLLM serving, device="cuda"           | 1-2 (seed: 0-1 + the GPU-only option) | docs/examples/seed_vllm.py |
| agent loop, generate() per step       | 3-4                 | docs/examples/seed_agent_loop.py         |
| the same under torchrun + NCCL        | +1-2 over the loop  | docs/examples/seed_agent_loop_torchrun.py |
| a file already written for XLA        | 0                   | docs/examples/seed_pipeline_xla.py       |

Each test asserts the seed's range on the estimate's own range: low (certain edits) to high (with
the uncertain ones). Optional clean-ups are not in the seed's counts and not in the range.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, run_tpulint

DOCS = REPO / "docs" / "examples"
SEEDS = REPO / "tests" / "seed_examples"


def _report(path: Path) -> dict:
    code, out, err = run_tpulint("--format", "json", str(path.relative_to(REPO)), cwd=REPO)
    assert code in (0, 1), err
    return json.loads(out)


def _range(report: dict) -> tuple[int, int]:
    low, high = report["summary"]["estimated_changes"]["range"]
    return low, high


def _symbols(report: dict) -> list[str]:
    return [finding["symbol"] for finding in report["findings"]]


def test_simple_inference_is_two_changes():
    report = _report(DOCS / "seed_pipeline.py")
    assert _range(report) == (2, 2)
    assert sorted(_symbols(report)) == ["cuda-device", "missing-torch-xla-import"]


def test_vllm_serving_is_one_or_two_changes_and_says_what_to_install():
    report = _report(DOCS / "seed_vllm.py")
    low, high = _range(report)
    assert 1 <= low and high <= 2
    assert _symbols(report) == ["vllm-gpu-option"]
    assert report["summary"]["notes"] == [
        "vLLM runs on TPU through its TPU platform plugin: `pip install vllm-tpu` "
        "(no code change beyond the GPU-only options reported)"
    ]


def test_agent_loop_with_generate_per_step_is_three_to_four_changes():
    report = _report(DOCS / "seed_agent_loop.py")
    low, high = _range(report)
    assert 3 <= low and high <= 4, (low, high, _symbols(report))
    assert {"missing-torch-xla-import", "cuda-device", "missing-graph-barrier"} <= set(_symbols(report))


def test_agent_loop_with_a_pipeline_per_step_is_three_to_four_changes():
    report = _report(SEEDS / "agent_loop_pipeline.py")
    low, high = _range(report)
    assert 3 <= low and high <= 4, (low, high, _symbols(report))
    assert sorted(_symbols(report)) == ["cuda-device", "missing-graph-barrier", "missing-torch-xla-import"]


def test_torchrun_and_nccl_add_one_or_two_changes_to_the_agent_loop():
    single = _report(DOCS / "seed_agent_loop.py")
    multi = _report(DOCS / "seed_agent_loop_torchrun.py")
    (single_low, single_high), (multi_low, multi_high) = _range(single), _range(multi)
    assert 1 <= multi_low - single_low <= 2 and 1 <= multi_high - single_high <= 2
    added = sorted(set(_symbols(multi)) - set(_symbols(single)))
    assert added == ["cuda-device-query", "nccl-backend"]  # the process group, torch.cuda.set_device


@pytest.mark.parametrize("path", [DOCS / "seed_pipeline_xla.py", SEEDS / "agent_loop_xla.py"], ids=lambda p: p.name)
def test_a_file_already_written_for_xla_is_zero_changes(path):
    code, out, _ = run_tpulint("--format", "json", str(path.relative_to(REPO)), cwd=REPO)
    report = json.loads(out)
    assert code == 0
    assert _range(report) == (0, 0) and report["findings"] == []
    assert (report["summary"]["readiness_score"], report["summary"]["readiness_band"]) == (100, "ready")


# --- the same scripts ported to TorchTPU (`--target torchtpu`) --------------------------------
# TorchTPU loads with `import torch` and runs eagerly: a CUDA script needs its device swapped and
# nothing else, no import and no barrier (../shared/research/torchtpu-facts.md §5: "a plain
# single-device CUDA script needs only the device swap"), unless its shapes change every step:
# eager TorchTPU compiles each new shape too (torchtpu-facts.md §3).

def _torchtpu_report(path: Path) -> dict:
    code, out, err = run_tpulint("--format", "json", "--target", "torchtpu", str(path.relative_to(REPO)), cwd=REPO)
    assert code in (0, 1), err
    report = json.loads(out)
    assert report["target"] == "torchtpu"
    return report


@pytest.mark.parametrize("path", [DOCS / "seed_pipeline.py", SEEDS / "agent_loop_pipeline.py"], ids=lambda p: p.name)
def test_on_torchtpu_a_single_device_script_is_the_device_swap_alone(path):
    report = _torchtpu_report(path)
    assert _range(report) == (1, 1)
    assert _symbols(report) == ["cuda-device"]
    assert [finding["fix"]["text"] for finding in report["findings"]] == ['torch.device("tpu")']
    assert report["findings"][0]["fix"]["imports"] == []  # TorchTPU needs no import


def test_on_torchtpu_generate_per_step_adds_static_shapes_to_the_device_swap():
    report = _torchtpu_report(DOCS / "seed_agent_loop.py")
    assert _range(report) == (2, 2)
    assert _symbols(report) == ["cuda-device", "unpadded-input"]


def test_on_torchtpu_torchrun_and_nccl_add_the_group_and_set_device():
    single, multi = _torchtpu_report(DOCS / "seed_agent_loop.py"), _torchtpu_report(DOCS / "seed_agent_loop_torchrun.py")
    assert _range(multi)[0] - _range(single)[0] == 2
    assert sorted(set(_symbols(multi)) - set(_symbols(single))) == ["cuda-device-query", "nccl-backend"]
    report = multi
    assert any("tpu_dist" in finding["message"] for finding in report["findings"])


def test_on_torchtpu_vllm_serving_installs_the_torchtpu_plugin():
    report = _torchtpu_report(DOCS / "seed_vllm.py")
    assert _range(report) == (1, 1) and _symbols(report) == ["vllm-gpu-option"]
    assert "pip install vllm-torchtpu" in report["summary"]["notes"][0]


@pytest.mark.parametrize(("path", "changes"), [(DOCS / "seed_pipeline_xla.py", 2), (SEEDS / "agent_loop_xla.py", 3)],
                         ids=lambda value: getattr(value, "name", str(value)))
def test_on_torchtpu_a_file_written_for_xla_drops_torch_xla(path, changes):
    report = _torchtpu_report(path)
    assert _range(report) == (changes, changes)
    assert set(_symbols(report)) == {"torch-xla-api"}
    assert report["summary"]["readiness_score"] < 100


def test_the_same_script_scores_per_target():
    xla, tpu = _report(DOCS / "seed_agent_loop.py"), _torchtpu_report(DOCS / "seed_agent_loop.py")
    assert _range(xla)[0] > _range(tpu)[0]  # the import and the barrier are torch_xla's alone
    assert tpu["summary"]["readiness_score"] > xla["summary"]["readiness_score"]


def test_on_torchtpu_the_ddp_example_needs_the_torchtpu_changes_only():
    report = _torchtpu_report(DOCS / "train_ddp.py")
    symbols = set(_symbols(report))
    assert {"nccl-backend", "cuda-device", "ddp-device-ids", "cuda-grad-scaler", "cuda-autocast", "cuda-runtime-call"} <= symbols
    # torch_xla's own edits are not TorchTPU's: no import, no barrier, mp.spawn is TorchTPU's launcher
    assert not symbols & {"missing-torch-xla-import", "missing-graph-barrier", "gpu-process-launcher", "host-sync-in-step"}
    scaler = next(f for f in report["findings"] if f["symbol"] == "cuda-grad-scaler")
    assert scaler["severity"] == "advice"  # a CUDA scaler disables itself where CUDA is missing


def test_on_torchtpu_the_notebook_example_maps_its_findings_to_cells():
    report = _torchtpu_report(DOCS / "finetune.ipynb")
    assert _symbols(report) == ["cuda-availability-fallback", "cudnn-setting", "unpadded-input", "unpadded-input"]
    assert "on cell 4:line 6" in report["findings"][2]["message"]  # a line it names, as the notebook's
    assert all(finding["cell"].startswith("cell ") for finding in report["findings"])
