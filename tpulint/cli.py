"""The `tpulint` command: runs pylint with only tpulint's checks and writes text, JSON, SARIF,
GitHub annotations or Markdown (tpulint/render.py); `tpulint explain RULE` prints a rule's page.

Exit codes: 0 nothing to change (or the score reaches --fail-under); 1 findings, files that
could not be analysed, or a score below --fail-under; 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import astroid

from tpulint import __version__, baseline
from tpulint.analysis import PROGRESS_MIN_FILES, analyse
from tpulint.catalog import FAMILIES, Catalog, load_catalog
from tpulint.config import Config, ConfigError, load, select_rules
from tpulint.estimate import Summary
from tpulint.fix_run import fix_to_fixed_point
from tpulint.render import FORMATS, render, render_explanation, render_markdown
from tpulint.sources import discover

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "explain":
        return explain(argv[1:])
    fixing = bool(argv) and argv[0] == "fix"
    parser = _parser()
    options = parser.parse_args(argv[1:] if fixing else argv)
    fixing = fixing or options.fix
    catalog = load_catalog()
    try:
        config = _configure(options, catalog)
    except ConfigError as error:
        print(f"tpulint: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        known = baseline.read(options.baseline) if options.baseline is not None else None
    except baseline.BaselineError as error:
        print(f"tpulint: {error}", file=sys.stderr)
        return EXIT_USAGE
    unwritable = _unwritable_outputs(options)
    if unwritable:
        print(f"tpulint: {unwritable}", file=sys.stderr)
        return EXIT_USAGE
    files, notifications = discover(options.paths, config, options.force_exclude)
    if not files and not notifications:
        if options.force_exclude:
            return EXIT_CLEAN  # every named file is ignored: nothing to say (pre-commit)
        print("tpulint: no Python files or notebooks to check", file=sys.stderr)
        return EXIT_USAGE
    summary = analyse(files, notifications, config, catalog, progress=not options.no_progress, known=known)
    if fixing:
        def reanalyse() -> Summary:
            astroid.MANAGER.clear_cache()  # the files changed under astroid's cache of their modules
            return analyse(files, notifications, config, catalog, progress=not options.no_progress, known=known)

        outcome, summary = fix_to_fixed_point(summary, reanalyse, options.unsafe_fixes, write=not options.diff,
                                              device_type=catalog.profile(config.target).device_type_string)
        if options.diff:
            sys.stdout.write(outcome.diff)
            if outcome.refused:
                print("\n".join(f"tpulint fix: {note}" for note in outcome.refused), file=sys.stderr)
            return EXIT_FINDINGS if outcome.diff else EXIT_CLEAN
        print(outcome.describe(), file=sys.stderr)
    if options.write_baseline is not None:
        try:
            baseline.write(options.write_baseline, summary.findings, [f.fingerprint for f in summary.findings], __version__)
        except baseline.BaselineError as error:
            print(f"tpulint: {error}", file=sys.stderr)
            return EXIT_USAGE
        print(f"tpulint: recorded {len(summary.findings)} findings in {options.write_baseline}", file=sys.stderr)
    _write(render(summary, catalog, config.root, options.format), options.output)
    if options.summary_markdown is not None:
        with options.summary_markdown.open("a", encoding="utf-8") as handle:
            handle.write(render_markdown(summary, catalog))
    return EXIT_CLEAN if options.write_baseline is not None else exit_code(summary, config)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tpulint",
        usage="%(prog)s [options] [PATH ...]\n       %(prog)s fix [--diff] [--unsafe-fixes] [options] [PATH ...]\n"
              "       %(prog)s explain RULE",
        description="Report what in PyTorch GPU code must change to run well on TPUs, and how much work it is. "
        "`tpulint explain RULE` prints a rule's page (RULE: an id such as E7101 or a symbol such as cuda-device).",
        epilog="Exit codes: 0 nothing to change or score >= --fail-under; 1 findings, unanalysable files "
        "or score below --fail-under; 2 usage or configuration error.",
    )
    parser.add_argument("paths", nargs="*", default=["."], help="files and directories (recursively, *.py and *.ipynb)")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text (default); json; sarif (GitHub code scanning); github (workflow annotations); "
                        "markdown (a summary for $GITHUB_STEP_SUMMARY or a PR comment)")
    parser.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")
    parser.add_argument("--summary-markdown", type=Path, metavar="FILE",
                        help="also append the Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--baseline", type=Path, metavar="FILE",
                        help="report only findings not recorded in FILE (written by --write-baseline)")
    parser.add_argument("--write-baseline", type=Path, metavar="FILE",
                        help="record today's findings in FILE, report them, and exit 0")
    parser.add_argument("--fail-under", type=float, metavar="SCORE", help="exit 0 when the readiness score is at least SCORE")
    parser.add_argument("--jobs", "-j", type=int, metavar="N", help="processes to lint with (0: one per CPU)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="pyproject.toml or tpulint.toml to read instead of the nearest pyproject.toml")
    parser.add_argument("--target", help="TPU runtime to port to (default: torch_xla)")
    parser.add_argument("--runtime-version", "--torch-xla", dest="runtime_version", metavar="VERSION",
                        help="version of the target runtime whose measured op data to use (default: the newest); "
                        "--torch-xla is its older name")
    parser.add_argument("--families", help=f"comma-separated rule families to run (default: all of {', '.join(FAMILIES)})")
    parser.add_argument("--select", action="append", metavar="RULES",
                        help="comma-separated rule ids (E7101), symbols (cuda-device), families (mark-step) or id "
                        "prefixes (E71) to report and fix (default: all)")
    parser.add_argument("--ignore", action="append", metavar="RULES",
                        help="comma-separated rules, families or id prefixes not to report or fix (as --select)")
    parser.add_argument("--force-exclude", action="store_true",
                        help="apply `ignore` from [tool.tpulint] to files named on the command line too (for pre-commit)")
    parser.add_argument("--no-progress", action="store_true",
                        help=f"no progress on stderr (shown when {PROGRESS_MIN_FILES} or more files are checked)")
    parser.add_argument("--fix", action="store_true",
                        help="apply the safe fixes that are exact edits, then report what remains (also: tpulint fix PATH ...)")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="with --fix, also apply fixes that change numerics or semantics (fp16 -> bf16)")
    parser.add_argument("--diff", action="store_true", help="with --fix, print the changes as a unified diff and write nothing")
    parser.add_argument("--version", action="version", version=f"tpulint {__version__}")
    return parser


def explain(argv: Sequence[str]) -> int:
    """`tpulint explain RULE`: the rule's page, from the catalog."""
    parser = argparse.ArgumentParser(prog="tpulint explain", description="Print a rule's page: why, example, fix.")
    parser.add_argument("rule", help="rule id (E7101) or symbol (cuda-device), any case")
    options = parser.parse_args(argv)
    catalog = load_catalog()
    names = {name.lower(): rule for rule in catalog.rules for name in (rule.id, rule.symbol)}
    wanted = options.rule.strip().lower()
    rule = names.get(wanted)
    if rule is None:
        shown = {r.id.lower(): r.id for r in catalog.rules} | {r.symbol: r.symbol for r in catalog.rules}
        close = [shown[name] for name in difflib.get_close_matches(wanted, list(shown), n=3, cutoff=0.6)]
        hint = f"did you mean {' or '.join(close)}?" if close else "give an id such as E7101 or a symbol such as cuda-device"
        print(f"tpulint explain: no rule {options.rule!r}; {hint}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(render_explanation(rule, catalog))
    return EXIT_CLEAN


def _configure(options: argparse.Namespace, catalog: Catalog) -> Config:
    if options.config is not None and not options.config.is_file():
        raise ConfigError(f"{options.config}: no such file")
    config = load(catalog, options.config, Path.cwd())
    overrides = {}
    if options.target is not None:
        if options.target not in catalog.targets:
            raise ConfigError(f"--target {options.target!r}: known targets are {', '.join(sorted(catalog.targets))}")
        overrides["target"] = options.target
    if options.runtime_version is not None:
        target = overrides.get("target", config.target)
        versions = catalog.runtime_versions(target)
        if options.runtime_version not in versions:
            raise ConfigError(f"--runtime-version (or --torch-xla) {options.runtime_version!r}: tpulint has op data "
                              f"for {target} {', '.join(versions) or '(none)'}")
        overrides["runtime_version"] = options.runtime_version
    if options.families is not None:
        families = tuple(name.strip() for name in options.families.split(",") if name.strip())
        unknown = [name for name in families if name not in FAMILIES]
        if unknown or not families:
            raise ConfigError(f"--families {options.families!r}: choose from {', '.join(FAMILIES)}")
        overrides["families"] = families
    if options.select or options.ignore:
        overrides["rules"] = select_rules(catalog, _items(options.select), _items(options.ignore))
    if options.fail_under is not None:
        overrides["fail_under"] = options.fail_under
    if options.jobs is not None:
        if options.jobs < 0:
            raise ConfigError("--jobs must be 0 (one per CPU) or more")
        overrides["jobs"] = options.jobs
    return replace(config, **overrides)


def _items(values: list[str] | None) -> list[str]:
    """The items of a repeatable comma-separated option: `--select E7101,cuda-device --select mark-step`."""
    return [item.strip() for value in values or () for item in value.split(",") if item.strip()]


# --- output ----------------------------------------------------------------------------------


def _unwritable_outputs(options: argparse.Namespace) -> str | None:
    """Why a report file named on the command line cannot be written, checked before any work."""
    for flag, path in (("--output", options.output), ("--summary-markdown", options.summary_markdown),
                       ("--write-baseline", options.write_baseline)):
        if path is None:
            continue
        folder = path.parent if str(path.parent) else Path(".")
        if path.is_dir():
            return f"{flag} {path}: is a folder"
        if not folder.is_dir():
            return f"{flag} {path}: the folder {folder} does not exist"
        if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            return f"{flag} {path}: cannot be written (permission denied)"
    return None


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def exit_code(summary: Summary, config: Config) -> int:
    if config.fail_under is not None:
        # A project that uses no PyTorch devices has nothing to port (score None): it passes.
        return EXIT_CLEAN if summary.score is None or summary.score >= config.fail_under else EXIT_FINDINGS
    problems = [note for note in summary.notifications if note.level != "note"]
    return EXIT_FINDINGS if summary.findings or problems else EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
