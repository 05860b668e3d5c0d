"""The recorded proof that fixed programs run on torch_xla (tests/fix_runs/recorded.txt, written by
tests/fix_runs/run.py outside CI) belongs to today's fixes: each program fixed now hashes to what
was run, and what was run ran, with a flat compile count and no CPU fallback."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys

import pytest
from conftest import REPO, run_tpulint

RECORDED = REPO / "tests" / "fix_runs" / "recorded.txt"


def _suite():
    spec = importlib.util.spec_from_file_location("fix_runs", REPO / "tests" / "fix_runs" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


SUITE = _suite()


def _recorded(kind: str, name: str) -> str:
    lines = [line for line in RECORDED.read_text(encoding="utf-8").splitlines() if line.startswith(f"{kind} {name}: ")]
    assert len(lines) == 1, f"{RECORDED.name} has no {kind} line for {name}: run tests/fix_runs/run.py (docs/fix-runs.md)"
    return lines[0]


@pytest.mark.parametrize("program", SUITE.PROGRAMS, ids=lambda program: program.name)
def test_the_recorded_run_is_of_todays_fix(program, tmp_path):
    shutil.copyfile(REPO / program.source, tmp_path / (name := program.source.rsplit("/", 1)[-1]))
    code, out, err = run_tpulint("fix", "--no-progress", *program.fix_options, name, cwd=tmp_path)
    assert "Traceback" not in err
    fixed = SUITE.source_hash((tmp_path / name).read_text(encoding="utf-8"))
    recorded = _recorded("PROGRAM", program.name)
    options = " ".join(program.fix_options) or "(safe fixes)"
    assert f"{program.source}; tpulint fix {options}; " in recorded
    assert f"fixed sha256 {fixed};" in recorded, (
        f"the fixes of {program.source} changed since the recorded run: run tests/fix_runs/run.py (docs/fix-runs.md)")


@pytest.mark.parametrize("program", SUITE.PROGRAMS, ids=lambda program: program.name)
def test_the_recorded_run_ran_flat_without_fallbacks(program):
    run = _recorded("RUN", program.name)
    assert run.startswith(f"RUN {program.name}: exit 0; ")
    processes = re.findall(r"process \d+: (\d+) barriers, CompileTime after each [^(]*\((flat|not flat)\), "
                           r"aten:: fallbacks ([^,]+),", run)
    assert processes, run
    assert all(int(barriers) >= 4 and flat == "flat" and fallbacks == "none" for barriers, flat, fallbacks in processes)


def test_flatness_is_no_compilation_after_the_middle_barrier():
    assert SUITE.is_flat([2, 3, 3, 6, 6, 6, 6, 6])
    assert not SUITE.is_flat([2, 3, 3, 6, 7, 7, 7, 7])
    assert not SUITE.is_flat([1, 1])  # too few barriers to tell
