"""The `tpulint` command, as ruff users expect one: `tpulint check` (the default) runs pylint with
only tpulint's checks (tpulint.analysis) and writes text, JSON, SARIF, GitHub annotations,
Markdown or per-rule statistics (tpulint.render); `tpulint fix` applies the exact edits
(tpulint.fix_run); `tpulint rule RULE` (alias `explain`) prints a rule's page; `tpulint version`.
Settings come from each file's nearest [tool.tpulint] with the options on top (tpulint.config).

Exit codes: 0 nothing to change (or the score reaches --fail-under); 1 findings, files that
could not be analysed, or a score below --fail-under; 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import astroid

from tpulint import __version__, baseline, view
from tpulint.analysis import PROGRESS_MIN_FILES, analyse
from tpulint.catalog import FAMILIES, Catalog, load_catalog
from tpulint.config import Config, ConfigError, Settings, extended, load, select_rules
from tpulint.estimate import Finding, Notification, Summary
from tpulint.findings import relative_path
from tpulint.fix_run import fix_to_fixed_point
from tpulint.render import FORMATS, render, render_explanation, render_markdown, render_statistics
from tpulint.sources import discover, force_excluded

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
CHECKING = "check"
SUBCOMMANDS = ("check", "fix", "rule", "explain", "version", "help")
STDIN = "-"
COLOR_CHOICES = ("auto", "always", "never")


def main(argv: Sequence[str] | None = None) -> int:
    """`tpulint [check|fix|rule|version] ...`; with no subcommand, check. A first word that names a
    subcommand is never a path (`./fix` is the folder). Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv.pop(0) if argv and argv[0] in SUBCOMMANDS else CHECKING
    if command in ("rule", "explain"):
        return rule(argv)
    if command == "version":
        print(f"tpulint {__version__}")
        return EXIT_CLEAN
    if command == "help":
        sys.stdout.write(parser(argv[0] if argv[:1] == ["fix"] else CHECKING).format_help())
        return EXIT_CLEAN
    options = parser(command).parse_args(argv)
    options.paths = options.paths or ([STDIN] if options.stdin_filename else ["."])
    try:
        return run(options, fixing=command == "fix" or options.fix)
    except (UsageError, ConfigError, baseline.BaselineError) as error:
        print(f"tpulint: {error}", file=sys.stderr)
        return EXIT_USAGE


class UsageError(Exception):
    """The command line asks for what cannot be done (a path that does not exist, a report file
    that cannot be written): one sentence naming it; exit 2."""


def run(options: argparse.Namespace, fixing: bool) -> int:
    """Check (and with `fixing`, fix) the paths the options name; the exit code. Raises
    UsageError, ConfigError or BaselineError (exit 2) before any work, or when a report cannot
    be written."""
    catalog = load_catalog()
    settings = _settings(options, catalog)
    known = baseline.read(options.baseline) if options.baseline is not None else None
    problem = _usage_problem(options) or _unwritable_outputs(options)
    if problem:
        raise UsageError(problem)
    if options.show_settings:
        sys.stdout.write(show_settings(settings, catalog, options))
        return EXIT_CLEAN
    with tempfile.TemporaryDirectory() as scratch:
        if options.paths == [STDIN] and options.force_exclude and options.stdin_filename and \
                force_excluded(options.stdin_filename, settings, not options.no_respect_gitignore):
            return EXIT_CLEAN  # as a named file would be: pre-commit and editors pass every file
        paths, stdin_file = _stdin_paths(options, Path(scratch))
        files, notifications = discover(paths, settings, options.force_exclude,
                                        respect_gitignore=not options.no_respect_gitignore)
        for path in files:
            settings.for_path(Path(path))  # every configuration in play is read (and checked) before any work
        _warn(options, settings.warnings)
        if options.show_files:
            sys.stdout.write("".join(f"{_shown(path)}\n" for path in files))
            return EXIT_CLEAN
        if not files and not notifications:
            if options.force_exclude or stdin_file is not None:
                return EXIT_CLEAN  # every named file is excluded: nothing to say (pre-commit)
            print("tpulint: no Python files or notebooks to check", file=sys.stderr)
            return EXIT_USAGE
        sources = [str(config.source) for config in settings.configs if config.source is not None]
        _tell(options, f"configuration: {', '.join(sources) or 'none found (defaults)'}",
              f"project root {Path.cwd()}; checking {len(files)} files:", *map(_shown, files))
        return _check(options, fixing, settings, catalog, files, notifications, known, stdin_file)


def _check(options: argparse.Namespace, fixing: bool, settings: Settings, catalog: Catalog, files: list[str],
           notifications: list[Notification], known: baseline.Baseline | None, stdin_file: Path | None) -> int:
    """Analyse the discovered files (fix them first when fixing), write the reports; the exit code."""
    config = _run_config(settings, catalog)
    progress = not (options.no_progress or options.quiet)

    def analysed() -> Summary:
        return analyse(files, notifications, config, catalog, progress=progress, known=known,
                       use_cache=not options.no_cache and stdin_file is None, cache_dir=_cache_dir(options, settings.run),
                       selected=_selected(settings, stdin_file, options.stdin_filename), scope=_scope(settings, catalog))

    summary = analysed()
    if fixing:
        def reanalyse() -> Summary:
            astroid.MANAGER.clear_cache()  # the files changed under astroid's cache of their modules
            return analysed()

        outcome, summary = fix_to_fixed_point(summary, reanalyse, options.unsafe_fixes, write=not options.diff,
                                              device_type=catalog.profile(config.target).device_type_string)
        if options.diff:
            sys.stdout.write(_renamed_diff(outcome.diff, stdin_file, options.stdin_filename))
            if outcome.refused:
                print("\n".join(f"tpulint fix: {note}" for note in outcome.refused), file=sys.stderr)
            return EXIT_FINDINGS if outcome.diff and not options.exit_zero else EXIT_CLEAN
        if stdin_file is not None:  # the fixed source goes to stdout, the report to stderr (as ruff's)
            sys.stdout.write(stdin_file.read_text(encoding="utf-8"))
        elif not options.quiet:
            print(outcome.describe(), file=sys.stderr)
    summary = _renamed(summary, stdin_file, options.stdin_filename)
    if options.write_baseline is not None:
        _write_baseline(options, summary)
    report = _report(options, summary, catalog)
    _write(report, options.output, to_stderr=stdin_file is not None and fixing)
    if options.summary_markdown is not None:
        _write(render_markdown(summary, catalog), options.summary_markdown, append=True)
    if options.write_baseline is not None or options.exit_zero:
        return EXIT_CLEAN
    return exit_code(summary, config)


def _report(options: argparse.Namespace, summary: Summary, catalog: Catalog) -> str:
    if options.statistics:
        return render_statistics(summary, options.format)
    return render(summary, catalog, Path.cwd(), options.format, colour=_colour(options), quiet=options.quiet)


def _write_baseline(options: argparse.Namespace, summary: Summary) -> None:
    baseline.write(options.write_baseline, summary.findings, [f.fingerprint for f in summary.findings], __version__)
    if not options.quiet:
        print(f"tpulint: recorded {len(summary.findings)} findings in {options.write_baseline}", file=sys.stderr)


def parser(command: str = CHECKING) -> argparse.ArgumentParser:
    """The options of `tpulint check` (and of `tpulint fix`, which adds --diff and --unsafe-fixes);
    the README's command reference is generated from these (tpulint.command_reference)."""
    fixing = command == "fix"
    result = argparse.ArgumentParser(
        prog=f"tpulint {command}",
        usage="%(prog)s [options] [PATH ...]",
        description=("Apply the fixes that are exact edits, then report what remains." if fixing else
                     "Report what in PyTorch GPU code must change to run well on TPUs, and how much work it is. "
                     "Subcommands: check (the default), fix, rule RULE | rule --all, version, help."),
        epilog="Exit codes: 0 nothing to change, score >= --fail-under, or --exit-zero; 1 findings, files that "
        "could not be analysed, or score below --fail-under; 2 usage or configuration error.",
    )
    result.add_argument("paths", nargs="*", metavar="PATH",
                        help="files and folders (searched for *.py and *.ipynb; default: .); - reads one file from "
                        "stdin (the default with --stdin-filename)")
    _selection_options(result.add_argument_group("rule selection"))
    _file_options(result.add_argument_group("files and configuration"))
    _report_options(result.add_argument_group("reports"))
    fixes = result.add_argument_group("fixes")
    if not fixing:
        fixes.add_argument("--fix", action="store_true",
                           help="apply the safe fixes that are exact edits, then report what remains (as `tpulint fix`)")
    else:
        result.set_defaults(fix=True)
    fixes.add_argument("--unsafe-fixes", action="store_true",
                       help="also apply fixes that change numerics or semantics (fp16 -> bf16)")
    fixes.add_argument("--diff", action="store_true", help="with fix, print the changes as a unified diff and write nothing")
    result.add_argument("--version", action="version", version=f"tpulint {__version__}")
    return result


def _selection_options(group) -> None:
    rules = "rule ids (E7101), symbols (cuda-device), families (mark-step) or id prefixes (E71), comma-separated"
    group.add_argument("--select", action="append", metavar="RULES", help=f"only these rules: {rules} (default: all)")
    group.add_argument("--extend-select", action="append", metavar="RULES", help="add rules to those selected")
    group.add_argument("--ignore", action="append", metavar="RULES", help="leave out these rules (as --select)")
    group.add_argument("--extend-ignore", action="append", metavar="RULES", help="leave out these too")
    group.add_argument("--families", help=f"comma-separated rule families to run (default: all of {', '.join(FAMILIES)})")
    group.add_argument("--target", help="TPU runtime to port to: torch_xla (default) or torchtpu")
    group.add_argument("--runtime-version", "--torch-xla", dest="runtime_version", metavar="VERSION",
                       help="version of the target runtime whose measured op data to use (default: the newest)")


def _file_options(group) -> None:
    group.add_argument("--config", type=Path, metavar="FILE",
                       help="pyproject.toml or tpulint.toml for every file (default: each file's nearest "
                       "pyproject.toml with [tool.tpulint])")
    group.add_argument("--stdin-filename", metavar="PATH",
                       help="with -, the path the text read from stdin has (for reports and configuration)")
    group.add_argument("--force-exclude", action="store_true",
                       help="apply exclude and .gitignore to files named on the command line too (pre-commit)")
    group.add_argument("--no-respect-gitignore", action="store_true", help="check files .gitignore leaves out too")
    group.add_argument("--show-files", action="store_true", help="list the files that would be checked, and exit")
    group.add_argument("--show-settings", action="store_true", help="print the settings in effect, and exit")
    group.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    group.add_argument("--cache-dir", metavar="DIR",
                       help="the result cache's folder (default: $TPULINT_CACHE_DIR, else .tpulint_cache in the project)")
    group.add_argument("--jobs", "-j", type=int, metavar="N", help="processes to lint with (0: one per CPU)")


def _report_options(group) -> None:
    group.add_argument("--output-format", "--format", dest="format", choices=FORMATS, default="text",
                       help="text (default); json; sarif (GitHub code scanning); github (workflow annotations); "
                       "markdown (a summary for $GITHUB_STEP_SUMMARY or a PR comment)")
    group.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the report here instead of stdout")
    group.add_argument("--summary-markdown", type=Path, metavar="FILE",
                       help="also append the Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY)")
    group.add_argument("--statistics", action="store_true",
                       help="count findings per rule (fixable, suppressed by # noqa) instead of listing them")
    group.add_argument("--baseline", type=Path, metavar="FILE",
                       help="list only findings not recorded in FILE (the score still counts them)")
    group.add_argument("--write-baseline", type=Path, metavar="FILE",
                       help="record today's findings in FILE, report them, and exit 0")
    group.add_argument("--fail-under", type=float, metavar="SCORE", help="exit 0 when the readiness score is at least SCORE")
    group.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    group.add_argument("--color", choices=COLOR_CHOICES, default="auto",
                       help="colour the text report: auto (a terminal, unless NO_COLOR is set; FORCE_COLOR forces it)")
    group.add_argument("--quiet", "-q", action="store_true", help="the findings only: no summary, progress or warnings")
    group.add_argument("--verbose", "-v", action="store_true",
                       help="say on stderr what was read: configuration files, project root, files")
    group.add_argument("--no-progress", action="store_true",
                       help=f"no progress on stderr (shown when {PROGRESS_MIN_FILES} or more files are checked)")


def rule_parser() -> argparse.ArgumentParser:
    """The options of `tpulint rule` (alias `tpulint explain`)."""
    result = argparse.ArgumentParser(prog="tpulint rule", usage="%(prog)s RULE | %(prog)s --all",
                                     description="Print a rule's page: what it finds, why, an example, the fix.")
    result.add_argument("rule", nargs="?", help="rule id (E7101) or symbol (cuda-device), any case")
    result.add_argument("--all", action="store_true", help="every rule's page")
    return result


def rule(argv: Sequence[str]) -> int:
    """`tpulint rule RULE` (or `explain RULE`): the rule's page, from the catalog; `--all`: every page."""
    options = rule_parser().parse_args(argv)
    catalog = load_catalog()
    if options.all:
        sys.stdout.write("\n".join(render_explanation(rule, catalog) for rule in catalog.rules))
        return EXIT_CLEAN
    if options.rule is None:
        print("tpulint rule: give a rule (an id such as E7101 or a symbol such as cuda-device) or --all", file=sys.stderr)
        return EXIT_USAGE
    names = {name.lower(): rule for rule in catalog.rules for name in (rule.id, rule.symbol)}
    wanted = options.rule.strip().lower()
    found = names.get(wanted)
    if found is None:
        shown = {r.id.lower(): r.id for r in catalog.rules} | {r.symbol: r.symbol for r in catalog.rules}
        close = [shown[name] for name in difflib.get_close_matches(wanted, list(shown), n=3, cutoff=0.6)]
        hint = f"did you mean {' or '.join(close)}?" if close else "give an id such as E7101 or a symbol such as cuda-device"
        print(f"tpulint rule: no rule {options.rule!r}; {hint}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(render_explanation(found, catalog))
    return EXIT_CLEAN


# --- settings --------------------------------------------------------------------------------


def _settings(options: argparse.Namespace, catalog: Catalog) -> Settings:
    """Each file's configuration with the command line's options on top. Raises ConfigError."""
    if options.config is not None and not options.config.is_file():
        raise ConfigError(f"{options.config}: {'not a regular file' if options.config.exists() else 'no such file'}")
    _check_rule_options(options, catalog)
    run_config = _overridden(load(catalog, options.config, Path.cwd()), options, catalog)
    return Settings(catalog, run_config, options.config is not None,
                    lambda config: _overridden(config, options, catalog, run_wide=False))


def _check_rule_options(options: argparse.Namespace, catalog: Catalog) -> None:
    for flag in ("select", "extend_select", "ignore", "extend_ignore"):
        select_rules(catalog, _items(getattr(options, flag)), flags=(f"--{flag.replace('_', '-')}", ""))


def _overridden(config: Config, options: argparse.Namespace, catalog: Catalog, run_wide: bool = True) -> Config:
    """config with the command line's rule selection, and (run_wide) its target, version, score
    threshold and jobs. Raises ConfigError for a value the catalog does not know."""
    select = extended(_items(options.select) or list(config.selectors[0]), _items(options.extend_select))
    ignore = [*config.selectors[1], *_items(options.ignore), *_items(options.extend_ignore)]
    changes: dict = {"rules": select_rules(catalog, select, ignore), "selectors": (tuple(select), tuple(ignore))}
    if options.families is not None:
        families = tuple(name.strip() for name in options.families.split(",") if name.strip())
        if not families or any(name not in FAMILIES for name in families):
            raise ConfigError(f"--families {options.families!r}: choose from {', '.join(FAMILIES)}")
        changes["families"] = families
    if run_wide:
        changes.update(_run_wide(config, options, catalog))
    chosen = replace(config, **changes)
    if not any(chosen.runs(rule.symbol, rule.family) for rule in catalog.rules):
        where = f" (with {chosen.source})" if chosen.source else ""
        raise ConfigError(f"no rule is left to run{where}: {_selection_text(chosen) or 'nothing selected'}")
    return chosen


def _selection_text(config: Config) -> str:
    """"families cuda; select E71; ignore W7117": what narrows the rules, as the user wrote it."""
    parts = [f"families {', '.join(config.families)}"] if config.families != FAMILIES else []
    parts += [f"select {', '.join(config.selectors[0])}"] if config.selectors[0] else []
    parts += [f"ignore {', '.join(config.selectors[1])}"] if config.selectors[1] else []
    return "; ".join(parts)


def _run_wide(config: Config, options: argparse.Namespace, catalog: Catalog) -> dict:
    changes: dict = {}
    if options.target is not None:
        if options.target not in catalog.targets:
            raise ConfigError(f"--target {options.target!r}: known targets are {', '.join(sorted(catalog.targets))}")
        changes["target"] = options.target
    if options.runtime_version is not None:
        target = changes.get("target", config.target)
        versions = catalog.runtime_versions(target)
        if options.runtime_version not in versions:
            raise ConfigError(f"--runtime-version (or --torch-xla) {options.runtime_version!r}: tpulint has op data "
                              f"for {target} {', '.join(versions) or '(none)'}")
        changes["runtime_version"] = options.runtime_version
    if options.fail_under is not None:
        changes["fail_under"] = options.fail_under
    if options.jobs is not None:
        if options.jobs < 0:
            raise ConfigError("--jobs must be 0 (one per CPU) or more")
        changes["jobs"] = options.jobs
    return changes


def _run_config(settings: Settings, catalog: Catalog) -> Config:
    """The run's configuration for pylint: every rule some file's configuration selects (each
    file then keeps its own: _selected), paths shown relative to the working folder."""
    symbols = {rule.symbol for rule in catalog.rules for config in settings.configs if config.runs(rule.symbol, rule.family)}
    everything = len(symbols) == len(catalog.rules)
    return replace(settings.run, families=FAMILIES, rules=None if everything else frozenset(symbols), root=Path.cwd())


def _selected(settings: Settings, staged: Path | None, name: str | None) -> Callable[[Finding], bool]:
    """Whether a finding's own configuration keeps it (its rules, per-file-ignores); stdin's text
    is configured as the file --stdin-filename names."""
    def selected(finding: Finding) -> bool:
        path = os.path.abspath(name) if staged is not None and name and finding.abspath == str(staged) else finding.abspath
        config = settings.for_path(Path(path))
        shown = relative_path(path, config.root)
        return config.runs(finding.rule.symbol, finding.rule.family) and finding.rule.symbol not in config.ignored_in(shown)
    return selected


def _scope(settings: Settings, catalog: Catalog) -> str | None:
    """Which rules ran, when not all did: "the selected rules (families cuda; select E71)", or,
    when a subproject's configuration narrows them, "the selected rules (in src: select E71; all
    rules elsewhere)". None when every file ran every rule."""
    narrowed = [config for config in settings.configs if not _runs_every_rule(config, catalog)]
    if not narrowed:
        return None
    if narrowed == settings.configs[:1] and len(settings.configs) == 1:
        return f"the selected rules ({_selection_text(narrowed[0])})"
    places = [f"in {_shown(str(config.root))}: {_selection_text(config)}" for config in narrowed]
    rest = ["all rules elsewhere"] if len(narrowed) < len(settings.configs) else []
    return f"the selected rules ({'; '.join([*places, *rest])})"


def _runs_every_rule(config: Config, catalog: Catalog) -> bool:
    return all(config.runs(rule.symbol, rule.family) for rule in catalog.rules)


def show_settings(settings: Settings, catalog: Catalog, options: argparse.Namespace) -> str:
    """`--show-settings`: the configuration in effect for the first path given (default: the
    working folder), one key a line."""
    first = Path(os.path.abspath(options.paths[0] if options.paths != [STDIN] else options.stdin_filename or "."))
    config = settings.for_path(first) if first.suffix in (".py", ".ipynb") or not first.is_dir() else settings.for_folder(first)
    chosen = [rule.id for rule in catalog.rules if config.runs(rule.symbol, rule.family) and rule.for_target(config.target)]
    lines = [
        f"configuration file: {config.source or '(none: defaults)'}",
        f"project root: {Path.cwd()}",
        f"target: {config.target}",
        f"runtime-version: {config.runtime_version or catalog.newest_runtime_version(config.target) or '-'}",
        f"families: {', '.join(config.families)}",
        f"select: {', '.join(config.selectors[0]) or '(all)'}",
        f"ignore: {', '.join(config.selectors[1]) or '(none)'}",
        f"rules: {len(chosen)} ({', '.join(chosen)})",
        f"per-file-ignores: {'; '.join(f'{p} = {sorted(s)}' for p, s in config.per_file_ignores) or '(none)'}",
        f"exclude: {', '.join(config.exclude) or '(none)'}",
        f"respect-gitignore: {not options.no_respect_gitignore}",
        f"fail-under: {config.fail_under if config.fail_under is not None else '(none)'}",
        f"jobs: {config.jobs}",
        f"max-file-size: {config.max_file_bytes}",
        f"cache: {'off' if options.no_cache else _cache_dir(options, settings.run)}",
    ]
    return "".join(line + "\n" for line in lines)


def _cache_dir(options: argparse.Namespace, config: Config) -> Path:
    """The result cache's folder, as ruff finds its own: --cache-dir, else $TPULINT_CACHE_DIR,
    else .tpulint_cache beside the run's configuration (or in the working folder)."""
    given = options.cache_dir if options.cache_dir is not None else os.environ.get("TPULINT_CACHE_DIR")
    return Path(given).absolute() if given else Path(config.root).absolute() / view.CACHE_FOLDER


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


def _usage_problem(options: argparse.Namespace) -> str | None:
    """What is wrong with the command line itself, found before any work: a path that does not
    exist (in CI a typo must fail the job, not read as a clean project), stdin mixed with paths,
    an empty --cache-dir, --statistics in a format that has no table."""
    missing = [path for path in options.paths if path != STDIN and not os.path.lexists(path)]
    if missing:
        return f"{', '.join(missing)}: no such file or folder"
    if STDIN in options.paths and len(options.paths) > 1:
        return "- (stdin) must be the only path"
    if options.stdin_filename and options.paths != [STDIN]:
        return "--stdin-filename names the text read from stdin: give - (or no path) instead of paths"
    if options.cache_dir is not None and not options.cache_dir.strip():
        return "--cache-dir is empty: give a folder (or --no-cache)"
    if options.statistics and options.format not in ("text", "json"):
        return f"--statistics writes text or json, not {options.format}"
    return None


def _stdin_paths(options: argparse.Namespace, scratch: Path) -> tuple[list[str], Path | None]:
    """The paths to discover, with stdin's text (given as -) written to a file in scratch named
    like --stdin-filename, and that file (None without -)."""
    if options.paths != [STDIN]:
        return options.paths, None
    name = Path(options.stdin_filename or "stdin.py").name
    staged = scratch / (name if name.endswith((".py", ".ipynb")) else f"{name}.py")
    staged.write_bytes(sys.stdin.buffer.read())
    return [str(staged)], staged


def _renamed(summary: Summary, staged: Path | None, name: str | None) -> Summary:
    """The summary of stdin's text, its staged file shown as --stdin-filename (or -)."""
    if staged is None:
        return summary
    old, new = str(staged), _shown(name) if name else STDIN
    real = os.path.abspath(name) if name else old
    def moved(finding: Finding) -> Finding:
        return replace(finding, path=new, abspath=real) if finding.abspath == old else finding
    files = tuple(replace(report, path=new, findings=tuple(map(moved, report.findings))) if report.path == old else report
                  for report in summary.files)
    notifications = tuple(replace(note, path=new) if note.path == old else note for note in summary.notifications)
    return replace(summary, files=files, notifications=notifications, suppressed=tuple(map(moved, summary.suppressed)))


def _renamed_diff(diff: str, staged: Path | None, name: str | None) -> str:
    """A diff of stdin's text, its staged file named as --stdin-filename (or -)."""
    if staged is None:
        return diff
    return diff.replace(relative_path(str(staged), Path.cwd()), _shown(name) if name else STDIN)


def _shown(path: str) -> str:
    """A path as reports print it: relative to the working folder where it is inside it."""
    return relative_path(os.path.abspath(path), Path.cwd())


def _colour(options: argparse.Namespace) -> bool:
    """--color: always, never, or auto (the report goes to stdout, a terminal, NO_COLOR unset or
    empty; a non-empty FORCE_COLOR forces colour), as https://no-color.org and force-color.org say."""
    if options.color != "auto" or options.format != "text":
        return options.color == "always" and options.format == "text"
    if options.output is not None:
        return False  # a report file is read by programs too (ruff's --output-file is never coloured)
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _warn(options: argparse.Namespace, warnings: Sequence[str]) -> None:
    if not options.quiet:
        for warning in dict.fromkeys(warnings):
            print(f"tpulint: warning: {warning}", file=sys.stderr)


def _tell(options: argparse.Namespace, *lines: str) -> None:
    """--verbose: what was read, on stderr."""
    if options.verbose:
        print("\n".join(f"tpulint: {line}" for line in lines), file=sys.stderr)


def _write(text: str, output: Path | None, append: bool = False, to_stderr: bool = False) -> None:
    """The report to output (None: stdout, or stderr when stdout carries fixed source). Raises
    UsageError when the file cannot be written after all (a full disk)."""
    if output is None:
        (sys.stderr if to_stderr else sys.stdout).write(text)
        return
    try:
        with output.open("a" if append else "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise UsageError(f"{output}: cannot be written ({error.strerror or error})") from error


def exit_code(summary: Summary, config: Config) -> int:
    """0 nothing to change or the score reaches fail-under; 1 otherwise. A run that analysed no
    file never passes: it proved nothing."""
    if summary.nothing_analysed:
        return EXIT_FINDINGS
    if config.fail_under is not None:
        # A project that uses no PyTorch devices has nothing to port (score None): it passes.
        return EXIT_CLEAN if summary.score is None or summary.score >= config.fail_under else EXIT_FINDINGS
    problems = [note for note in summary.notifications if note.level != "note"]
    return EXIT_FINDINGS if summary.findings or problems else EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
