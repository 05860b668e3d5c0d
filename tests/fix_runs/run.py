"""Proof that `tpulint fix` writes ports that run: apply it to GPU programs, run each fixed program
on torch_xla 2.9 (PJRT_DEVICE=CPU) and record what happened. Not part of CI (torch_xla is 3 GB);
docs/fix-runs.md says how to run it. tests/test_fix_runs.py checks in CI that the recorded
output belongs to today's fixes (the hash of each fixed program) and says they ran.

    python3 -m venv /tmp/xla && /tmp/xla/bin/pip install torch==2.9.0 torch_xla==2.9.0 torchvision==0.24.0
    .venv/bin/python tests/fix_runs/run.py --xla-python /tmp/xla/bin/python > tests/fix_runs/recorded.txt

Each program gives two lines. `PROGRAM <name>: ...; fixed sha256 <16 hex>; ...` names the source,
the `tpulint fix` options and the findings fixed and left; `RUN <name>: ...` the exit code, the
processes, the CompileTime count after each barrier (run-length: `3x5` is five barriers at 3)
and whether it is flat (no compilation after the middle barrier), the aten:: counters (CPU
fallbacks; torch_xla counts `.item()` as aten::_local_scalar_dense, a host read, shown apart) and
the host transfers, from torch_xla.debug.metrics through harness/sitecustomize.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


@dataclass(frozen=True)
class Program:
    """A GPU program the suite ports: its source (relative to the repository), the options given
    to `tpulint fix`, its command-line arguments, and environment variables for the run."""

    name: str
    source: str
    fix_options: tuple[str, ...] = ()
    arguments: tuple[str, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()


PROGRAMS = (
    Program("mnist_synthetic", "tests/fix_runs/programs/mnist_synthetic.py",
            arguments=("--epochs", "3", "--log-interval", "2")),
    # One process: XLA's CPU client runs collectives between threads of one process, so DDP's
    # all-gather across two launched processes waits forever (measured: rendezvous timeout).
    Program("train_ddp", "docs/examples/train_ddp.py", fix_options=("--unsafe-fixes",), arguments=("--epochs", "3")),
    Program("decode_loop", "tests/fix_runs/programs/decode_loop.py"),
)

# The seed's examples load meta-llama/Llama-3-8B (transformers, vLLM): they need a download.
NOT_RUN = {
    "docs/examples/seed_pipeline.py": "downloads meta-llama/Llama-3-8B",
    "docs/examples/seed_agent_loop.py": "downloads meta-llama/Llama-3-8B",
    "docs/examples/seed_agent_loop_torchrun.py": "downloads meta-llama/Llama-3-8B",
    "docs/examples/seed_vllm.py": "needs vLLM and downloads meta-llama/Llama-3-8B",
}


def fixed_copy(program: Program, folder: Path, tpulint: list[str]) -> tuple[Path, dict]:
    """Copy the program into folder and run `tpulint fix` there; (the fixed file, the JSON
    report of what remains)."""
    target = folder / Path(program.source).name
    shutil.copyfile(REPO / program.source, target)
    report = folder / "remaining.json"
    subprocess.run([*tpulint, "fix", "--no-progress", *program.fix_options, "--format", "json", "-o", str(report),
                    target.name], cwd=folder, capture_output=True, text=True, check=False)
    return target, json.loads(report.read_text(encoding="utf-8"))


def source_hash(text: str) -> str:
    """The first 16 hex digits of the text's sha256 (what tests/test_fix_runs.py compares)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def describe_fix(program: Program, fixed: Path, remaining: dict) -> str:
    original = (REPO / program.source).read_text(encoding="utf-8")
    left = sorted(finding["symbol"] for finding in remaining["findings"])
    changed = sum(1 for _ in _changed_lines(original, fixed.read_text(encoding="utf-8")))
    options = " ".join(program.fix_options) or "(safe fixes)"
    return (f"PROGRAM {program.name}: {program.source}; tpulint fix {options}; fixed sha256 "
            f"{source_hash(fixed.read_text(encoding='utf-8'))}; {changed} lines changed; "
            f"{len(left)} findings left: {', '.join(left) or 'none'}")


def _changed_lines(before: str, after: str):
    import difflib

    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line[:1] in "+-" and not line.startswith(("+++", "---")):
            yield line


def run_fixed(program: Program, fixed: Path, xla_python: str) -> str:
    """Run the fixed program on torch_xla and describe it in one line."""
    reports = fixed.parent / "metrics"
    reports.mkdir()
    environment = dict(os.environ, PJRT_DEVICE="CPU", TPULINT_FIX_RUN_REPORT=str(reports),
                       PYTHONPATH=str(HERE / "harness"), **dict(program.environment))
    done = subprocess.run([xla_python, fixed.name, *program.arguments], cwd=fixed.parent, env=environment,
                          capture_output=True, text=True, timeout=1200, check=False)
    records = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(reports.glob("*.json"))]
    with_barriers = [record for record in records if record["compiles"]]
    parts = [f"exit {done.returncode}"]
    if done.returncode != 0:
        parts.append("error: " + (done.stderr.strip().splitlines() or ["<none>"])[-1][:200])
    parts.append(f"{len(with_barriers)} process{'es' if len(with_barriers) != 1 else ''} ran barriers")
    for index, record in enumerate(with_barriers):
        compiles = record["compiles"]
        fallbacks = [name for name in record["fallbacks"] if name != ITEM_READ]
        parts.append(f"process {index}: {len(compiles)} barriers, CompileTime after each {_run_length(compiles)} "
                     f"({'flat' if is_flat(compiles) else 'not flat'}), aten:: fallbacks {', '.join(fallbacks) or 'none'}, "
                     f".item() reads {'yes' if ITEM_READ in record['fallbacks'] else 'none'}, "
                     f"host transfers {record['transfers']}")
    return f"RUN {program.name}: " + "; ".join(parts)


ITEM_READ = "aten::_local_scalar_dense"


def is_flat(compiles: list[int]) -> bool:
    """No compilation after the middle barrier (the first steps may compile each new graph)."""
    return len(compiles) >= 4 and compiles[-1] == compiles[len(compiles) // 2 - 1]


def _run_length(counts: list[int]) -> str:
    groups: list[list[int]] = []
    for count in counts:
        if groups and groups[-1][0] == count:
            groups[-1][1] += 1
        else:
            groups.append([count, 1])
    return ", ".join(f"{count}x{times}" if times > 1 else str(count) for count, times in groups)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xla-python", required=True, help="python of a venv with torch 2.9.0 and torch_xla 2.9.0")
    options = parser.parse_args()
    versions = subprocess.run([options.xla_python, "-c", "import torch, torch_xla; print(torch.__version__, torch_xla.__version__)"],
                              capture_output=True, text=True, env=dict(os.environ, PJRT_DEVICE="CPU"), check=True).stdout.split()
    tpulint = [sys.executable, "-m", "tpulint.cli"]
    print(f"# tpulint fix runs: torch {versions[0]}, torch_xla {versions[1]}, PJRT_DEVICE=CPU")
    for program in PROGRAMS:
        with tempfile.TemporaryDirectory() as scratch:
            fixed, remaining = fixed_copy(program, Path(scratch), tpulint)
            print(describe_fix(program, fixed, remaining), flush=True)
            print(run_fixed(program, fixed, options.xla_python), flush=True)
    for source, reason in NOT_RUN.items():
        print(f"NOT RUN {source}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
