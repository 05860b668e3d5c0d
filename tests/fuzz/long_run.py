"""The long fuzzing run, outside CI: the oracle of tests/fuzz/harness.py over many generated programs
and real PyTorch files, with the figures for the note.

    python tests/fuzz/long_run.py --programs 10000 --real-files 5000 \\
        --corpus /tmp/corpus/pytorch+examples /tmp/corpus/huggingface+diffusers ... \\
        --seed 1 --out report.json

Programs come from hypothesmith (generated in --workers processes while the real files are
checked). Each sampled real file is checked as it is and once mutated (so --real-files 5000 is
10,000 inputs). Keep the corpora outside the repository (e.g. /tmp/corpus/NAME, from
`git --git-dir=DIR archive HEAD | tar -x -C /tmp/corpus/NAME`).

Prints, and writes to --out as JSON: programs and real files tried, failing inputs per kind
(crashes, invalid SARIF, time-outs, ...), every distinct failure with its shrunk input, the
slowest file (timed inside its batch by the plugin, then re-timed alone), and the wall time.
Minimal failing inputs go to --regressions (default: a folder beside --out, not the repository;
copy the ones worth keeping into tests/fuzz/regressions/).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

SKIPPED = {".git", ".hg", ".venv", "venv", "__pycache__", "node_modules", "site-packages", ".tox", "build", "dist"}
CHUNK = 250  # generated programs per generator task


def corpus_files(folders: list[Path]) -> list[Path]:
    files = []
    for folder in folders:
        if folder.is_file() and folder.suffix == ".py":
            files.append(folder)
            continue
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not d.startswith("."))
            files.extend(Path(root, n) for n in sorted(names) if n.endswith(".py"))
    return files


def real_inputs(files: list[Path], count: int, seed: int, folders: list[Path]) -> list[harness.Input]:
    """count files sampled (seeded), each as is and once mutated."""
    rng = random.Random(f"real:{seed}")
    chosen = rng.sample(files, min(count, len(files)))
    inputs = []
    for index, path in enumerate(chosen):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        shown = next((f"{folder.name}/{path.relative_to(folder).as_posix()}" for folder in folders
                      if folder.is_dir() and path.is_relative_to(folder)), str(path))
        stem = harness.safe_stem(path)
        inputs.append(harness.Input(f"r{index:05d}_{stem}", data, f"{shown} as is"))
        mutated, steps = harness.mutate(data, random.Random(f"{seed}:{index}:{shown}"))
        inputs.append(harness.Input(f"m{index:05d}_{stem}", mutated, f"{shown} mutated ({', '.join(steps)}; seed {seed})"))
    return inputs


def _generate(task: tuple[int, int, str]) -> list[harness.Input]:
    n, seed, prefix = task
    return harness.generated_programs(n, seed, prefix=prefix)


def figures(report: harness.CampaignReport) -> dict:
    c = report.counts
    return {
        "inputs": report.inputs,
        "failing_inputs": report.failing_inputs,
        "crashes": c.get("crash-report", 0) + c.get("traceback", 0),
        "fatal_messages": c.get("fatal-message", 0),
        "exit_code": c.get("exit-code", 0),
        "invalid_sarif": c.get("sarif-invalid", 0) + c.get("sarif-missing", 0),
        "timeouts": c.get("timeout", 0),
        "distinct_failures": len(report.cases),
        "skipped_batches": report.skipped_batches,
        "slowest_file_in_batch": None if report.slowest is None else
        {"name": report.slowest[0], "seconds": round(report.slowest[1], 2), "origin": report.slowest[2]},
        "wall_seconds": round(report.wall, 1),
    }


def retime(report: harness.CampaignReport, inputs: list[harness.Input], top: int, workdir: Path | None) -> list[dict]:
    """The `top` slowest files (plugin timing inside batches) run alone through both tools."""
    by_name = {i.name: i for i in inputs}
    slowest = sorted(report.file_times.items(), key=lambda kv: -kv[1])[:top]
    out = []
    for name, seconds in slowest:
        if name not in by_name:
            continue
        results = harness.check_batch([by_name[name]], harness.TOOLS, workdir, timeout=4 * harness.FILE_TIMEOUT)
        out.append({"name": name, "origin": by_name[name].origin, "bytes": len(by_name[name].data),
                    "plugin_in_batch_seconds": round(seconds, 2),
                    **{f"{r.tool}_alone_seconds": round(r.seconds, 2) for r in results},
                    "over_bound_alone": any(r.seconds > harness.FILE_TIMEOUT for r in results)})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=10000, help="hypothesmith programs (default 10000)")
    parser.add_argument("--real-files", type=int, default=5000, help="real files sampled from --corpus (default 5000), "
                        "each checked as is and once mutated")
    parser.add_argument("--corpus", type=Path, nargs="*", default=[], help="folders (or files) of real .py files")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("fuzz-report.json"))
    parser.add_argument("--regressions", type=Path, help="where minimal failing inputs go (default: OUT's folder/fuzz-regressions)")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="batches (and generator processes) at a time")
    parser.add_argument("--shrink-budget", type=float, default=120.0, help="seconds to shrink each distinct failure")
    parser.add_argument("--shrink-total", type=float, default=1800.0, help="seconds to shrink all of them")
    parser.add_argument("--max-minutes", type=float, help="stop starting batches after this long (skipped batches are reported)")
    parser.add_argument("--retime", type=int, default=3, help="re-run the N slowest files alone (default 3)")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: the system's temporary folder)")
    options = parser.parse_args(argv)

    started = time.monotonic()
    deadline = None if options.max_minutes is None else started + 60 * options.max_minutes
    regressions = options.regressions or options.out.resolve().parent / "fuzz-regressions"
    log = lambda text: print(f"[{time.monotonic() - started:7.0f} s] {text}", file=sys.stderr, flush=True)  # noqa: E731

    # Generate programs in the background while the real files are checked.
    tasks = [(min(CHUNK, options.programs - start), options.seed * 1000 + k, f"g{k:03d}_")
             for k, start in enumerate(range(0, options.programs, CHUNK))]
    generator = ProcessPoolExecutor(max_workers=max(1, options.workers))
    pending = [generator.submit(_generate, task) for task in tasks]

    result: dict = {"seed": options.seed, "programs_requested": options.programs, "real_files_requested": options.real_files,
                    "corpus": [str(c) for c in options.corpus], "file_timeout_seconds": harness.FILE_TIMEOUT,
                    "batch_size": options.batch_size, "workers": options.workers, "python": sys.version.split()[0]}
    real_report = None
    real: list[harness.Input] = []
    if options.real_files and options.corpus:
        files = corpus_files(options.corpus)
        real = real_inputs(files, options.real_files, options.seed, options.corpus)
        log(f"real files: {len(real) // 2} sampled of {len(files)} in the corpus, {len(real)} inputs (as is + mutated)")
        real_report = harness.run_campaign(real, batch_size=options.batch_size, workers=options.workers,
                                           shrink_budget=options.shrink_budget, shrink_total=options.shrink_total / 2,
                                           deadline=deadline, workdir=options.workdir, regressions=regressions,
                                           progress=lambda t: log(f"real: {t}"))
        result["real_files"] = {"files": len(real) // 2, "figures": figures(real_report),
                                "slowest_alone": retime(real_report, real, options.retime, options.workdir),
                                "report": real_report.as_dict()}
        log(harness.format_report(real_report, "real files"))

    programs: list[harness.Input] = []
    for future in pending:
        programs.extend(future.result())
    generator.shutdown()
    log(f"generated {len(programs)} programs")
    program_report = None
    if programs:
        program_report = harness.run_campaign(programs, batch_size=max(options.batch_size, 100), workers=options.workers,
                                              shrink_budget=options.shrink_budget, shrink_total=options.shrink_total / 2,
                                              deadline=deadline, workdir=options.workdir, regressions=regressions,
                                              progress=lambda t: log(f"programs: {t}"))
        result["programs"] = {"programs": len(programs), "figures": figures(program_report),
                              "slowest_alone": retime(program_report, programs, options.retime, options.workdir),
                              "report": program_report.as_dict()}
        log(harness.format_report(program_report, "generated programs"))

    result["wall_seconds"] = round(time.monotonic() - started, 1)
    options.out.write_text(json.dumps(result, indent=2), encoding="utf-8")

    print("\n== tpulint fuzzing: figures ==")
    for label, section in (("generated programs", result.get("programs")), ("real files", result.get("real_files"))):
        if not section:
            continue
        f = section["figures"]
        print(f"{label}: {f['inputs']} inputs; failing {f['failing_inputs']} (crashes {f['crashes']}, "
              f"fatal messages {f['fatal_messages']}, bad exit {f['exit_code']}, invalid SARIF {f['invalid_sarif']}, "
              f"time-outs {f['timeouts']}); {f['distinct_failures']} distinct; skipped batches {f['skipped_batches']}; "
              f"{f['wall_seconds']:.0f} s")
        if f["slowest_file_in_batch"]:
            s = f["slowest_file_in_batch"]
            print(f"  slowest file: {s['seconds']:.2f} s in the plugin ({s['origin']})")
        for timed in section["slowest_alone"][:1]:
            print(f"  alone: command {timed.get('command_alone_seconds')} s, plugin {timed.get('plugin_alone_seconds')} s "
                  f"(process start-up included)")
    print(f"wall time: {result['wall_seconds']:.0f} s; report: {options.out}; minimal inputs: {regressions}")
    failed = any(r is not None and r.failed for r in (real_report, program_report))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
