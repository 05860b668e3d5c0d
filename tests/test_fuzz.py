"""Fuzzing in CI (issue 10): generated programs and mutated PyTorch files through the command and the plugin.

Bounded to about two minutes on a 2-core machine when nothing fails (fixed seeds: the same inputs
on every run). Any traceback, pylint crash, fatal exit, invalid or missing SARIF, or file over its
time bound fails the test, which prints the smallest input that still fails and keeps it in
tests/fuzz/regressions/ (set TPULINT_FUZZ_REGRESSIONS to write elsewhere, or to "" not to write).
The oracle, generators and mutators are in tests/fuzz/harness.py; tests/fuzz/long_run.py runs the
same thing at scale outside CI.

Scale up locally with TPULINT_FUZZ_PROGRAMS, TPULINT_FUZZ_MUTATIONS and TPULINT_FUZZ_SEED.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fuzz import harness

SEED = int(os.environ.get("TPULINT_FUZZ_SEED", "20260510"))
PROGRAMS = int(os.environ.get("TPULINT_FUZZ_PROGRAMS", "150"))
MUTATIONS = int(os.environ.get("TPULINT_FUZZ_MUTATIONS", "250"))
RUN_BUDGET = 150.0  # seconds of checking per test before the remaining batches are skipped (a failure)
SHRINK_BUDGET, SHRINK_TOTAL = 20.0, 45.0  # seconds per distinct failure, and for all of them


def _regressions() -> Path | None:
    where = os.environ.get("TPULINT_FUZZ_REGRESSIONS")
    if where is None:
        return harness.REGRESSIONS
    return Path(where) if where else None


def _check(inputs: list[harness.Input], title: str, tmp_path: Path) -> None:
    report = harness.run_campaign(
        inputs, batch_size=50, workers=2, shrink_budget=SHRINK_BUDGET, shrink_total=SHRINK_TOTAL,
        deadline=time.monotonic() + RUN_BUDGET, workdir=tmp_path, regressions=_regressions(),
    )
    print(harness.format_report(report, title))
    problems = []
    if report.cases:
        problems.append(harness.format_report(report, title))
    if report.skipped_batches:
        problems.append(f"{report.skipped_batches} batches not run: the {RUN_BUDGET:.0f} s budget ran out")
    assert not problems, "\n\n".join(problems)


def test_generated_programs_through_command_and_plugin(tmp_path):
    inputs = harness.generated_programs(PROGRAMS, SEED)
    assert len(inputs) >= PROGRAMS * 0.9, f"hypothesmith gave only {len(inputs)} programs"
    _check(inputs, f"{len(inputs)} generated programs (seed {SEED})", tmp_path)


def test_mutated_pytorch_files_through_command_and_plugin(tmp_path):
    seeds = harness.seed_files()
    assert len(seeds) >= 10, seeds
    inputs = harness.mutated_inputs(seeds, MUTATIONS, SEED)
    _check(inputs, f"{len(inputs)} mutations of the repository's {len(seeds)} PyTorch files (seed {SEED})", tmp_path)


def test_regression_inputs_pass_the_oracle(tmp_path):
    """Each file in tests/fuzz/regressions/ alone (two at a time): a time-out costs its own bound only."""
    inputs = harness.regression_inputs()
    if not inputs:
        pytest.skip("no regression inputs yet")
    with ThreadPoolExecutor(max_workers=2) as pool:
        checked = list(pool.map(lambda item: (item, harness.check_batch([item], harness.TOOLS, tmp_path)), inputs))
    lines = []
    for item, results in checked:
        for failure in harness.primary_failures(f for r in results for f in r.failures):
            detail = " ".join(failure.detail.split())[:400]
            lines.append(f"- {item.name}.py: {failure.describe()}: {detail}")
    assert not lines, "regression inputs in tests/fuzz/regressions/ fail again:\n" + "\n".join(lines)
