"""Benchmark (not a test): how much time tpulint adds over pylint's own floor, in one run.

    python tests/bench/benchmark.py TREE [TREE ...] [--runs 3] [--jobs 1] [--memory-trees TREE ...]

Times, on the same files and in the same process environment:
  floor    pylint --disable=all --enable=syntax-error (parses every file, runs no checker; a bare
           --disable=all exits at once without parsing anything, so it measures nothing)
  plugin   pylint --load-plugins=tpulint with only tpulint's messages enabled
  command  tpulint --format json                   (the command: plugin + score, estimate, report)
and prints the best of --runs for each with its whole-process ratio to the floor, paired by
round (the median over rounds of run / floor run of the same round); and the project view's
build time from an empty cache and from the cache of the run before. The command row runs with
the project view's cache warm and no kept results (tpulint.result_cache). The target is at most 15 %
over the floor. Wall and CPU times on a shared 2-core machine drift by ±10 % between runs, more
than tpulint costs, so the script also profiles one in-process pylint run and reports the share
of its time spent inside tpulint's checkers (their visit_/leave_ methods; where a family's hook
calls its base class's, the base's share is counted once) and in its safety layer (the depth
bound of tpulint/bounds.py, the import finder and module-cache check of tpulint/isolation.py). Use a real tree of at least 20,000 lines of PyTorch code, e.g. clones of
pytorch/examples and huggingface/pytorch-image-models.

Then the result cache, on a copy of the trees (whole-process wall times, best of --runs):
  cold     tpulint with an empty cache folder
  warm     the same run again on the unchanged copy (target: at most 0.1 x cold)
  edit     after appending to one file a function that calls .cuda() (its project-view summary
           changes), the run again (target: at most 0.2 x cold)
and the peak memory (max RSS of the process) of one run linting every file in one pylint run
(as before batches) and of one in batches of tpulint.analysis.BATCH_FILES, both without cache, on
the trees or on --memory-trees (a repository of 2,000 files or more shows the difference).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tpulint.catalog import load_catalog
from tpulint.sources import discover
from tpulint.config import Config


def python_files(trees: list[str]) -> list[str]:
    catalog = load_catalog()
    files, _ = discover(trees, Config(target=catalog.default_target, root=Path.cwd()))
    return files


def count_lines(files: list[str]) -> int:
    return sum(Path(name).read_bytes().count(b"\n") for name in files)


# As on a user's machine: pip compiled pylint's bytecode when it installed it, and Python keeps
# the bytecode of an editable checkout's modules after their first import. With
# PYTHONDONTWRITEBYTECODE set (as in some containers) every timed run would compile tpulint's
# sources again (about 0.1 s) and none of pylint's.
_CHILD_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def seconds(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU time is user + system of the child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=_CHILD_ENVIRONMENT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def peak_memory(command: list[str]) -> tuple[float, int]:
    """(wall seconds, maximum resident set size in bytes) of one run of command, measured by GNU
    time: a child forked from this (large) process would count this process's pages in its own
    maximum, since Linux keeps the maximum across exec. Raises FileNotFoundError without
    /usr/bin/time."""
    start = time.perf_counter()
    done = subprocess.run([TIME, "-f", "%M", *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False, env=_CHILD_ENVIRONMENT)
    kibibytes = int(done.stderr.strip().splitlines()[-1])
    return time.perf_counter() - start, kibibytes * 1024


TIME = "/usr/bin/time"


# The command with the batch size set (no flag exposes it): the same process as `tpulint`.
_DRIVER = """
import functools, sys
import tpulint.cli as cli
from tpulint import analysis
cli.analyse = functools.partial(analysis.analyse, batch_files=int(sys.argv[1]))
sys.exit(cli.main(sys.argv[2:]))
"""


def tpulint_command(arguments: list[str], use_cache: bool = True, cache_dir: str | None = None,
                    batch_files: int | None = None) -> list[str]:
    """The command line of `tpulint ARGUMENTS`, without the result cache (--no-cache), with the cache
    in cache_dir (--cache-dir), or linting batch_files files a pylint run (0: all in one run)."""
    flags = [*([] if use_cache else ["--no-cache"]), *([f"--cache-dir={cache_dir}"] if cache_dir else [])]
    if batch_files is None:
        return [sys.executable, "-m", "tpulint.cli", *flags, *arguments]
    return [sys.executable, "-c", _DRIVER, str(batch_files), *flags, *arguments]


def timed_runs(named_commands: dict[str, list[str]], runs: int,
               prepare: dict[str, Callable[[], None]] | None = None) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) of each of `runs` rounds for each command, the commands interleaved within a
    round so that drift on the machine (other load, caches, clock) hits all of them alike, and
    the order rotated from round to round so that no command always runs after the same one.
    prepare[name], if any, runs before each run of that command, untimed."""
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in named_commands}
    names = list(named_commands)
    for round_number in range(runs):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            (prepare or {}).get(name, lambda: None)()
            timings[name].append(seconds(named_commands[name]))
    return timings


def forget_results(cache: Path) -> None:
    """Remove the kept results from a cache folder, keeping the project view's summaries."""
    for folder in cache.glob("results-*"):
        shutil.rmtree(folder)


# A change to a file's project-view summary: a new function that places a tensor on the GPU.
EDIT = "\n\ndef _benchmark_edit(batch):\n    return batch.cuda()\n"


def edited_file(copies: list[Path]) -> Path:
    """The file the edit run changes: the first train.py of the copies (a script, as a user edits
    one), else their largest Python file."""
    files = sorted(path for copy in copies for path in copy.rglob("*.py"))
    return next((path for path in files if path.name == "train.py"), None) or max(files, key=lambda p: p.stat().st_size)


def cache_timings(trees: list[str], runs: int, jobs: int, scratch: Path) -> tuple[dict[str, list[tuple[float, float]]], Path]:
    """(wall, CPU) seconds of each round's cold, warm and one-file-edit run on copies of the trees, and
    the file edited. Each round starts from an empty cache folder and the unedited copy."""
    copies = []
    for number, tree in enumerate(trees):
        copy = scratch / "trees" / f"{number}-{Path(tree).resolve().name}"
        shutil.copytree(tree, copy, symlinks=True, ignore=shutil.ignore_patterns(".tpulint_cache"))
        copies.append(copy)
    cache = scratch / "result-cache"
    command = tpulint_command(["--format", "json", "--no-progress", f"--jobs={jobs}", *map(str, copies)],
                              cache_dir=str(cache))
    edited = edited_file(copies)
    original = edited.read_bytes()
    timings: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "edit": []}
    for _ in range(runs):
        shutil.rmtree(cache, ignore_errors=True)
        timings["cold"].append(seconds(command))
        timings["warm"].append(seconds(command))
        edited.write_bytes(original + EDIT.encode())
        try:
            timings["edit"].append(seconds(command))
        finally:
            edited.write_bytes(original)
    return timings, edited


def paired_ratio(runs: list[tuple[float, float]], floor: list[tuple[float, float]], index: int) -> float:
    """The median over rounds of (this run / the floor's run of the same round) - 1: whole-process
    ratios paired by round, which cancels most of the drift between rounds."""
    return statistics.median(mine[index] / base[index] for mine, base in zip(runs, floor)) - 1


def commands(files: list[str], trees: list[str], rcfile: str, jobs: int, cache: Path) -> dict[str, list[str]]:
    symbols = ",".join(rule.symbol for rule in load_catalog().rules)
    pylint = [sys.executable, "-m", "pylint", f"--rcfile={rcfile}", "--persistent=n", "--score=n",
              "--reports=n", f"--jobs={jobs}"]
    return {
        "floor": [*pylint, "--disable=all", "--enable=syntax-error", *files],
        "plugin": [*pylint, "--load-plugins=tpulint", "--disable=all", f"--enable={symbols}", *files],
        "command": tpulint_command(["--format", "json", f"--jobs={jobs}", *trees], cache_dir=str(cache)),
    }


def checker_share(files: list[str], rcfile: str) -> tuple[float, float]:
    """(seconds in tpulint's checker hooks, seconds of the whole run), under cProfile."""
    from pylint.lint import Run

    symbols = ",".join(rule.symbol for rule in load_catalog().rules)
    arguments = [f"--rcfile={rcfile}", "--persistent=n", "--score=n", "--reports=n", "--load-plugins=tpulint",
                 "--disable=all", f"--enable={symbols}", *files]
    profile = cProfile.Profile()
    with contextlib.redirect_stdout(io.StringIO()):
        profile.enable()
        Run(arguments, exit=False)
        profile.disable()
    stats = pstats.Stats(profile).stats
    hooks = {key for key in stats if "/tpulint/checkers/" in key[0] and key[2].startswith(("visit_", "leave_"))}
    # A family's hook calls its base class's (super().visit_call()): count only the time of
    # hooks entered from pylint, not again the part of a base hook run from a subclass's hook.
    outermost = sum(
        cumulative - sum(via[3] for caller, via in callers.items() if caller in hooks)
        for key, (_, _, _, cumulative, callers) in stats.items() if key in hooks
    )
    # The safety layer (tpulint/bounds.py's depth walk and cut, tpulint/isolation.py's import
    # finder and module-cache check) runs outside the checkers: its own work counts too.
    safety = sum(
        cumulative if name in ("depth", "bound", "find_spec", "installed", "_module_built_from") else own
        for (path, _, name), (_, _, own, cumulative, _) in stats.items()
        if path.endswith(("/tpulint/bounds.py", "/tpulint/isolation.py"))
        and name in ("depth", "bound", "find_spec", "installed", "_module_built_from", "module_for_context")
    )
    total = max(cumulative for (_, _, _, cumulative, _) in stats.values())
    return outermost + safety, total


def view_build_times(trees: list[str], files: list[str]) -> tuple[float, float]:
    """Seconds to build the command's project view of files with an empty cache, then again
    with the cache the first build left (tpulint.view)."""
    from tpulint import view

    root = Path(tempfile.mkdtemp())
    python = [name for name in files if name.endswith(".py")]
    start = time.perf_counter()
    view.build(Path.cwd(), python, cache_root=root)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    again = view.build(Path.cwd(), python, cache_root=root)
    warm = time.perf_counter() - start
    assert again.cache.misses == 0, "the second build should read every summary from the cache"
    return cold, warm


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--memory-trees", nargs="+", metavar="TREE",
                        help="measure peak memory on these trees instead (the issue asks for 2,000 files or more)")
    options = parser.parse_args()
    files = python_files(options.trees)
    print(f"{len(files)} files, {count_lines(files):,} lines; best of {options.runs} runs, --jobs={options.jobs}")
    with tempfile.TemporaryDirectory() as scratch:
        rcfile = Path(scratch, "empty.toml")
        rcfile.write_text("", encoding="utf-8")
        cache = Path(scratch, "cache")
        named = commands(files, options.trees, str(rcfile), options.jobs, cache)
        for warming in ("plugin", "command"):  # the project views' caches are warm for every timed run
            seconds(named[warming])
        timings = timed_runs(named, options.runs, {"command": lambda: forget_results(cache)})
        hooks, total = checker_share(files, str(rcfile))
        cold, warm = view_build_times(options.trees, files)
        cached, edited = cache_timings(options.trees, options.runs, options.jobs, Path(scratch))
        memory_trees = options.memory_trees or options.trees
        arguments = ["--format", "json", "--no-progress", f"--jobs={options.jobs}", *memory_trees]
        one_run = peak_memory(tpulint_command(arguments, use_cache=False, batch_files=0))
        batched = peak_memory(tpulint_command(arguments, use_cache=False))
        memory_files = len(python_files(memory_trees))
    floor = timings["floor"]
    print(f"{'':8} {'wall':>8} {'paired vs floor':>16}   {'CPU':>8} {'paired vs floor':>16}")
    for name, runs in timings.items():
        wall, cpu = min(w for w, _ in runs), min(c for _, c in runs)
        print(f"{name:8} {wall:7.2f}s {paired_ratio(runs, floor, 0) * 100:+15.1f}%   "
              f"{cpu:7.2f}s {paired_ratio(runs, floor, 1) * 100:+15.1f}%")
    print("wall seconds by round: " + "; ".join(f"{name} " + " ".join(f"{wall:.2f}" for wall, _ in runs)
                                                for name, runs in timings.items()))
    print(f"project view: {cold:.2f}s to build from an empty cache, {warm:.2f}s from the cache of the run before")
    print(f"profiled plugin run: {hooks:.2f}s of {total:.2f}s in tpulint's checkers "
          f"({hooks / total * 100:.1f} % of the run, i.e. +{hooks / (total - hooks) * 100:.1f} % over pylint without them)")
    report_cache(cached, edited, one_run, batched, memory_files)
    return 0


def report_cache(cached: dict[str, list[tuple[float, float]]], edited: Path, one_run: tuple[float, int],
                 batched: tuple[float, int], memory_files: int) -> None:
    """Print the result cache's and the batches' figures (see the module's docstring)."""
    from tpulint.analysis import BATCH_FILES

    cold = cached["cold"]
    print("result cache (best of the rounds; ratios: median over rounds of run / cold run of the round):")
    print(f"  {'':5} {'wall':>8} {'CPU':>8}  {'wall ratio':>10} {'CPU ratio':>10}")
    for name, target in (("cold", None), ("warm", 0.1), ("edit", 0.2)):
        runs = cached[name]
        line = f"  {name:5} {min(w for w, _ in runs):7.2f}s {min(c for _, c in runs):7.2f}s"
        if target is not None:
            wall, cpu = (statistics.median(mine[i] / base[i] for mine, base in zip(runs, cold)) for i in (0, 1))
            line += f"  {wall:9.3f}x {cpu:9.3f}x  (target <= {target} x cold: {'met' if wall <= target else 'NOT met'})"
        print(line)
    print(f"  edit: appended a function calling .cuda() to {edited.name} ({edited.parent.name}/)")
    print(f"peak memory (max RSS) on {memory_files:,} files, no cache: {one_run[1] / 2**20:,.0f} MiB linting every file in one pylint run "
          f"({one_run[0]:.1f}s), {batched[1] / 2**20:,.0f} MiB in batches of {BATCH_FILES} files ({batched[0]:.1f}s)")


if __name__ == "__main__":
    sys.exit(main())
