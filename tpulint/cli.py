"""The `tpulint` command: runs pylint with only tpulint's checks and writes text, JSON, SARIF,
GitHub annotations or Markdown (tpulint/render.py); `tpulint explain RULE` prints a rule's page.

Exit codes: 0 nothing to change (or the score reaches --fail-under); 1 findings, files that
could not be analysed, or a score below --fail-under; 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import astroid
from pylint.lint import Run
from pylint.reporters import CollectingReporter

from tpulint import __version__, baseline, isolation, staging, view
from tpulint.catalog import FAMILIES, Catalog, load_catalog
from tpulint.checkers.base import reported_findings
from tpulint.config import Config, ConfigError, load, select_rules
from tpulint.estimate import Notification, Summary
from tpulint.findings import NOTIFYING
from tpulint.fix_run import fix_to_fixed_point
from tpulint.pipeline import summarise_run
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


# --- analysis --------------------------------------------------------------------------------


def analyse(files: list[str], notifications: list[Notification], config: Config, catalog: Catalog,
            progress: bool = False, known: baseline.Baseline | None = None) -> Summary:
    """Lint the files (notebooks through tpulint.staging), then summarise the run through the
    pipeline the pylint reporter uses too (tpulint.pipeline): given a baseline, only the new
    findings are kept."""
    collector = ProgressReporter(len(files)) if progress and len(files) >= PROGRESS_MIN_FILES else CollectingReporter()
    with tempfile.TemporaryDirectory() as scratch:
        linted, notebooks, staging_notes = staging.stage(files, Path(scratch), config.root, config.max_file_bytes)
        if linted:
            view.use_files(linted, config.root)  # the project is this run's files (tpulint.view)
            try:
                _run_pylint(linted, config, catalog, collector)
            finally:
                view.use_files(None)
        if isinstance(collector, ProgressReporter):
            collector.finish()
        reported = reported_findings(collector.linter) if linted and getattr(collector, "linter", None) else []
        return summarise_run(collector.messages, catalog, config.target, config.root, linted, file_count=len(files),
                             notifications=[*notifications, *staging_notes], notebooks=notebooks, known=known,
                             reported=reported)


# --- running pylint --------------------------------------------------------------------------

# Progress on stderr (never stdout) from this many files on: on a terminal one line rewritten in
# place and blanked at the end; otherwise (CI logs) a line every PROGRESS_INTERVAL seconds and one
# at the end.
PROGRESS_MIN_FILES = 200
PROGRESS_INTERVAL = 30.0
_TTY_REFRESH = 0.1


class ProgressReporter(CollectingReporter):
    """Collects messages like CollectingReporter and counts the modules pylint starts on.

    pylint calls on_set_current_module twice per file when it runs serially (parsing, then
    checking) and once per finished file in the parent process when it runs in parallel; the
    copies of this reporter in the worker processes stay silent.
    """

    def __init__(self, total: int) -> None:
        super().__init__()
        self.total = total
        self.events = 0
        self._pid = os.getpid()
        self._stream = sys.stderr  # the real stderr: pylint's own stderr is captured while it runs
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._started = self._shown = time.monotonic()
        self._width = 0  # of the progress line shown on a terminal

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_stream"] = None  # pylint sends the linter, reporter included, to its workers
        return state

    def on_set_current_module(self, module: str, filepath: str | None) -> None:
        if filepath is None or os.getpid() != self._pid or self._stream is None:
            return
        self.events += 1
        now = time.monotonic()
        if now - self._shown >= (_TTY_REFRESH if self._tty else PROGRESS_INTERVAL):
            self._shown = now
            fraction = min(1.0, self.events / (self.total * (2 if self._serial else 1)))
            self._show(f"tpulint: {fraction:.0%} of {self.total} files checked ({now - self._started:.0f} s)")

    @property
    def _serial(self) -> bool:
        linter = getattr(self, "linter", None)
        return getattr(getattr(linter, "config", None), "jobs", 1) == 1

    def _show(self, text: str) -> None:
        """On a terminal, overwrite the line in place (spaces, not escape codes: any console); else a new line."""
        if self._tty:
            self._stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def finish(self) -> None:
        if self._stream is None:
            return
        if self._tty:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
        else:
            self._show(f"tpulint: checked {self.total} files in {time.monotonic() - self._started:.0f} s")


def pylint_arguments(files: list[str], config: Config, catalog: Catalog, rcfile: str) -> list[str]:
    """Only tpulint's checks, whatever the user's pylint configuration enables."""
    symbols = [rule.symbol for rule in catalog.rules if rule.family in config.families and rule.for_target(config.target)
               and (config.rules is None or rule.symbol in config.rules)]
    return [
        f"--rcfile={rcfile}",
        "--load-plugins=tpulint",
        "--disable=all",
        f"--enable={','.join([*symbols, *sorted(NOTIFYING)])}",
        "--persistent=n",
        "--score=n",
        "--reports=n",
        f"--jobs={config.jobs}",
        f"--tpulint-target={config.target}",
        f"--tpulint-runtime-version={config.runtime_version or catalog.newest_runtime_version(config.target) or ''}",
        *files,
    ]


def _run_pylint(files: list[str], config: Config, catalog: Catalog, collector: CollectingReporter) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        rcfile = Path(scratch, "empty.toml")
        rcfile.write_text("", encoding="utf-8")
        arguments = pylint_arguments(files, config, catalog, str(rcfile))
        # pylint prints the traceback of a file it cannot parse to stderr; the command reports a
        # sentence per file instead (see findings.explain_unanalysed). Every path is absolute,
        # so no file name can be read as an option; imports stay out of the scanned tree.
        with contextlib.redirect_stderr(io.StringIO()), isolation.trusted_imports():
            Run(arguments, reporter=collector, exit=False)


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
