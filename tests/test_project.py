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
}
_PYLINT_LINE = re.compile(r"^(?P<path>[^:\s]+\.py):(?P<line>\d+):\d+: \w+: .* \((?P<symbol>[a-z-]+)\)$", re.MULTILINE)


def _files(project: Path) -> list[str]:
    return sorted(path.relative_to(project).as_posix() for path in project.rglob("*.py"))


def _command(project: Path) -> set[tuple[str, int, str]]:
    # Named one by one: tpulint's own [tool.tpulint] ignores tests/projects/ when a folder is given.
    done = subprocess.run([str(BIN / "tpulint"), "--format", "json", *_files(project)], cwd=project,
                          capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    # Paths are shown relative to the [tool.tpulint] root (this repository).
    return {((REPO / f["path"]).relative_to(project).as_posix(), f["line"], f["symbol"])
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
