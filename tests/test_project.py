"""Beyond one file (issue 11): the same findings through `tpulint`, `pylint --load-plugins tpulint
-j 2` and `pylint --from-stdin`, on fixture projects under tests/projects/."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

PROJECTS = REPO / "tests" / "projects"
BIN = Path(sys.executable).parent
ENABLE = "--enable=tpulint-cuda,tpulint-mark-step,tpulint-dynamic-shape,tpulint-non-xla-op"

# (file, line, symbol) each face must report; every other line of the project stays silent.
EXPECTED = {
    # A model class another file defines, through base chains and a package's re-export.
    "models_across_files": {
        ("train.py", 1, "missing-torch-xla-import"),
        ("train.py", 6, "cuda-move-method"),
        ("train.py", 7, "cuda-device"),
        ("train.py", 8, "cuda-move-method"),
        ("train.py", 10, "missing-graph-barrier"),
        ("train.py", 11, "cuda-device"),
        ("train.py", 14, "missing-graph-barrier"),
        ("train.py", 15, "cuda-device"),
        ("train.py", 16, "missing-graph-barrier"),
        ("train.py", 17, "cuda-device"),
    },
    # The model is a parameter: known by its use (generate.py) or by what another file passes (run.py).
    "model_parameters": {
        ("generate.py", 1, "missing-torch-xla-import"),
        ("generate.py", 5, "cuda-move-method"),
        ("generate.py", 6, "missing-graph-barrier"),
        ("generate.py", 8, "growing-tensor"),
        ("generate.py", 9, "host-sync-in-step"),
        ("run.py", 1, "missing-torch-xla-import"),
        ("run.py", 8, "missing-graph-barrier"),
    },
    # A scheduler's step() in samplers.py runs in the denoising loop of pipe.py.
    "schedulers": {
        ("pipe.py", 1, "missing-torch-xla-import"),
        ("pipe.py", 7, "missing-graph-barrier"),
        ("pipe.py", 14, "cuda-device"),
        ("pipe.py", 15, "cuda-device"),
        ("samplers.py", 9, "host-sync-in-step"),
        ("samplers.py", 9, "data-dependent-shape"),
    },
    # Lightning's training_step, the HF Trainer's compute_loss, a diffusers pipeline's __call__.
    "framework_entry_points": {
        ("lit.py", 12, "data-dependent-shape"),
        ("pipeline.py", 1, "missing-torch-xla-import"),
        ("pipeline.py", 14, "missing-graph-barrier"),
        ("trainer.py", 7, "host-sync-in-step"),
    },
    # Loaders built in data.py, iterated in train.py: drop_last, collate padding, **options.
    "loaders_passed": {
        ("data.py", 25, "unpadded-input"),
        ("data.py", 30, "pin-memory"),
        ("data.py", 31, "unpadded-input"),
        ("train.py", 1, "missing-torch-xla-import"),
        ("train.py", 7, "missing-graph-barrier"),
        ("train.py", 16, "missing-graph-barrier"),
        ("train.py", 21, "cuda-move-method"),
    },
    # A step in engine.py called from main.py's loop; an epoch loop over train_one_epoch is not a step loop.
    "steps_across_files": {
        ("engine.py", 9, "missing-graph-barrier"),
        ("main.py", 1, "missing-torch-xla-import"),
        ("main.py", 5, "cuda-device"),
        ("main.py", 9, "missing-graph-barrier"),
    },
    # Torch names that come from `from common import *`; a star import of json brings none.
    "star_imports": {
        ("common.py", 1, "missing-torch-xla-import"),
        ("common.py", 5, "cuda-device"),
        ("main.py", 1, "missing-torch-xla-import"),
        ("main.py", 10, "cuda-device"),
        ("main.py", 11, "cuda-runtime-call"),
    },
    # Device code no step is seen to reach: a public function taking tensors (INFERENCE); a
    # function called only outside steps, one named as a transform, and test code stay silent.
    "unreached_device_code": {
        ("demo.py", 1, "missing-torch-xla-import"),
        ("demo.py", 7, "cuda-move-method"),
        ("demo.py", 8, "cuda-device"),
        ("net.py", 6, "data-dependent-shape"),
        ("ops.py", 7, "data-dependent-shape"),
    },
    # inference_mode in generate.py, which runs the model on the device; not in scripts/convert.py,
    # a checkpoint converter that moves nothing to a device and that no step reaches.
    "cpu_tools": {
        ("generate.py", 7, "gpu-only-option"),
    },
    # checks.py has no import of its own: check() runs every step of train.py and is device code;
    # save() runs every save_every steps, not in every step.
    "periodic_helpers": {
        ("checks.py", 9, "host-sync-in-step"),
    },
    # DDP in train.py on the gloo group dist_utils.py starts: XLA tensors need the "xla" group.
    "process_groups": {
        ("train.py", 9, "ddp-without-xla-group"),
    },
    # PyTorch/XLA's canonical loop with flat gradient accumulation, and MpDeviceLoaders built in
    # another file's function (iterated directly and from an attribute): nothing to change.
    "xla_correct": set(),
}
_PYLINT_LINE = re.compile(r"^(?P<path>[^:\s]+\.py):(?P<line>\d+):\d+: \w+: .* \((?P<symbol>[a-z-]+)\)$", re.MULTILINE)


def _files(project: Path) -> list[str]:
    return sorted(path.relative_to(project).as_posix() for path in project.rglob("*.py"))


def _command(project: Path) -> set[tuple[str, int, str]]:
    # Named one by one: tpulint's own [tool.tpulint] ignores tests/projects/ when a folder is given.
    done = subprocess.run([str(BIN / "tpulint"), "--format", "json", *_files(project)], cwd=project,
                          capture_output=True, text=True)
    assert done.returncode == (1 if EXPECTED[project.name] else 0), done.stderr
    # Paths are shown relative to the working folder (the project), as ruff shows them.
    return {(f["path"], f["line"], f["symbol"])
            for f in json.loads(done.stdout)["findings"]}


def _pylint(project: Path, *args: str, stdin: str | None = None) -> set[tuple[str, int, str]]:
    done = subprocess.run(
        [str(BIN / "pylint"), "--rcfile=/dev/null", "--load-plugins=tpulint", "--disable=all", ENABLE,
         "--persistent=n", "--score=n", *args],
        cwd=project, capture_output=True, text=True, input=stdin,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return {(Path(m["path"]).as_posix(), int(m["line"]), m["symbol"]) for m in _PYLINT_LINE.finditer(done.stdout)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_command_sees_models_across_files(name):
    assert _command(PROJECTS / name) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_plugin_with_two_jobs_sees_the_same(name):
    project = PROJECTS / name
    assert _pylint(project, "--jobs=2", *_files(project)) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_from_stdin_sees_the_same_for_each_file(name):
    project = PROJECTS / name
    found = set()
    for relative in _files(project):
        text = (project / relative).read_text(encoding="utf-8")
        found |= _pylint(project, "--from-stdin", relative, stdin=text)
    assert found == EXPECTED[name]


def test_a_finding_reached_from_another_file_names_the_loop_that_reaches_it():
    project = PROJECTS / "schedulers"
    done = subprocess.run([str(BIN / "tpulint"), "--format", "json", *_files(project)], cwd=project,
                          capture_output=True, text=True)
    messages = {(Path(f["path"]).name, f["line"], f["symbol"]): f["message"] for f in json.loads(done.stdout)["findings"]}
    assert messages[("samplers.py", 9, "host-sync-in-step")].endswith("(runs in the step of pipe.py:7 through Sampler.step)")


def test_the_stdin_buffer_replaces_the_file_on_disk_for_the_whole_project():
    """The editor's unsaved pipe.py no longer calls Sampler.step in its loop: samplers.py is not in the step."""
    project = PROJECTS / "schedulers"
    edited = (project / "pipe.py").read_text(encoding="utf-8").replace("latents = s.step(unet(latents, t), t, latents)",
                                                                       "latents = unet(latents, t)")
    assert ("samplers.py", 9, "host-sync-in-step") in _pylint(project, "samplers.py")
    assert _pylint(project, "--from-stdin", "pipe.py", stdin=edited) >= {("pipe.py", 7, "missing-graph-barrier")}


def test_a_second_run_reads_the_cached_view(tmp_path):
    import shutil
    copy = tmp_path / "schedulers"
    shutil.copytree(PROJECTS / "schedulers", copy, ignore=shutil.ignore_patterns(".tpulint_cache"))
    first = _pylint(copy, *_files(copy))
    cache = copy / ".tpulint_cache"
    entries = sorted(path.name for path in cache.rglob("*.bin"))
    summaries = [name for name in entries if not name.startswith("answer-")]
    assert len(summaries) == 2 and (cache / ".gitignore").is_file()
    assert {name.split("-")[1] for name in entries if name.startswith("answer-")} == {"reach", "loaders"}
    assert _pylint(copy, *_files(copy)) == first
    assert sorted(path.name for path in cache.rglob("*.bin")) == entries


def test_device_code_no_step_reaches_is_reported_with_inference_confidence():
    project = PROJECTS / "unreached_device_code"
    done = subprocess.run([str(BIN / "tpulint"), "--format", "json", *_files(project)], cwd=project,
                          capture_output=True, text=True)
    uncertain = {(Path(f["path"]).name, f["line"]) for f in json.loads(done.stdout)["findings"] if f["uncertain"]}
    assert uncertain == {("ops.py", 7)}


def test_the_text_report_marks_uncertain_findings():
    project = PROJECTS / "unreached_device_code"
    done = subprocess.run([str(BIN / "tpulint"), *_files(project)], cwd=project, capture_output=True, text=True)
    marked = [line for line in done.stdout.splitlines() if "(uncertain)" in line]
    assert len(marked) == 1 and "ops.py:7:" in marked[0] and "data-dependent-shape (uncertain)" in marked[0]
