"""The `tpulint` command: runs pylint with only tpulint's checks and writes text, JSON or SARIF.

Exit codes: 0 nothing to change (or the score reaches --fail-under); 1 findings, files that
could not be analysed, or a score below --fail-under; 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from pylint.lint import Run
from pylint.reporters import CollectingReporter

from tpulint import __version__, sarif
from tpulint.catalog import FAMILIES, Catalog, load_catalog
from tpulint.config import Config, ConfigError, load
from tpulint.estimate import ESTIMATE_MODEL, SCORE_MODEL, Notification, Summary, summarize
from tpulint.findings import UNANALYSED, convert

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
SKIPPED_DIRECTORIES = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", "env", "__pycache__", "node_modules", "site-packages",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", "build", "dist",
})


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    options = parser.parse_args(argv)
    catalog = load_catalog()
    try:
        config = _configure(options, catalog)
    except ConfigError as error:
        print(f"tpulint: {error}", file=sys.stderr)
        return EXIT_USAGE
    files, notifications = discover(options.paths, config)
    if not files and not notifications:
        print("tpulint: no Python files to check", file=sys.stderr)
        return EXIT_USAGE
    summary = analyse(files, notifications, config, catalog)
    _write(render(summary, catalog, config, options.format), options.output)
    return exit_code(summary, config)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tpulint",
        description="Report what in PyTorch GPU code must change to run well on TPUs, and how much work it is.",
        epilog="Exit codes: 0 nothing to change or score >= --fail-under; 1 findings, unanalysable files "
        "or score below --fail-under; 2 usage or configuration error.",
    )
    parser.add_argument("paths", nargs="*", default=["."], help="files and directories (recursively, *.py)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")
    parser.add_argument("--fail-under", type=float, metavar="SCORE", help="exit 0 when the readiness score is at least SCORE")
    parser.add_argument("--jobs", "-j", type=int, metavar="N", help="processes to lint with (0: one per CPU)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="pyproject.toml or tpulint.toml to read instead of the nearest pyproject.toml")
    parser.add_argument("--target", help="TPU runtime to port to (default: torch_xla)")
    parser.add_argument("--torch-xla", metavar="VERSION", help="torch_xla version whose measured op lowerings to use (default: the newest)")
    parser.add_argument("--families", help=f"comma-separated rule families to run (default: all of {', '.join(FAMILIES)})")
    parser.add_argument("--version", action="version", version=f"tpulint {__version__}")
    return parser


def _configure(options: argparse.Namespace, catalog: Catalog) -> Config:
    if options.config is not None and not options.config.is_file():
        raise ConfigError(f"{options.config}: no such file")
    config = load(catalog, options.config, Path.cwd())
    overrides = {}
    if options.target is not None:
        if options.target not in catalog.targets:
            raise ConfigError(f"--target {options.target!r}: known targets are {', '.join(sorted(catalog.targets))}")
        overrides["target"] = options.target
    if options.torch_xla is not None:
        if options.torch_xla not in catalog.ops:
            raise ConfigError(f"--torch-xla {options.torch_xla!r}: op data exists for {', '.join(sorted(catalog.ops))}")
        overrides["torch_xla"] = options.torch_xla
    if options.families is not None:
        families = tuple(name.strip() for name in options.families.split(",") if name.strip())
        unknown = [name for name in families if name not in FAMILIES]
        if unknown or not families:
            raise ConfigError(f"--families {options.families!r}: choose from {', '.join(FAMILIES)}")
        overrides["families"] = families
    if options.fail_under is not None:
        overrides["fail_under"] = options.fail_under
    if options.jobs is not None:
        if options.jobs < 0:
            raise ConfigError("--jobs must be 0 (one per CPU) or more")
        overrides["jobs"] = options.jobs
    return replace(config, **overrides)


# --- which files -----------------------------------------------------------------------------


def discover(paths: Sequence[str], config: Config) -> tuple[list[str], list[Notification]]:
    """Python files under paths, minus ignored ones; too-large or missing paths become notifications."""
    files: list[str] = []
    notifications: list[Notification] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            notifications.append(Notification(raw, "no such file or directory"))
            continue
        explicit = path.is_file()  # a file named on the command line is checked even if ignored
        candidates = [path] if explicit else sorted(_python_files(path))
        for candidate in candidates:
            if not explicit and _ignored(candidate, config):
                continue
            size = candidate.stat().st_size
            if size > config.max_file_bytes:
                notifications.append(Notification(
                    _shown(candidate, config),
                    f"not analysed: {size / 1e6:.1f} MB is over the {config.max_file_bytes / 1e6:.1f} MB limit "
                    "(max-file-size in [tool.tpulint])",
                    level="warning",
                ))
            else:
                files.append(str(candidate))
    return files, notifications


def _python_files(directory: Path) -> Iterator[Path]:
    for root, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRECTORIES and not d.startswith("."))
        yield from (Path(root, name) for name in filenames if name.endswith(".py"))


def _ignored(path: Path, config: Config) -> bool:
    shown = _shown(path, config)
    return any(fnmatch.fnmatch(shown, pattern) for pattern in config.ignore)


def _shown(path: Path, config: Config) -> str:
    absolute = path.resolve()
    try:
        return absolute.relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()


# --- running pylint --------------------------------------------------------------------------


def analyse(files: list[str], notifications: list[Notification], config: Config, catalog: Catalog) -> Summary:
    collector = CollectingReporter()
    if files:
        _run_pylint(files, config, catalog, collector)
    findings, problems = convert(collector.messages, catalog, config.target, config.root)
    return summarize(catalog, config.target, findings, len(files), [*notifications, *problems])


def pylint_arguments(files: list[str], config: Config, catalog: Catalog, rcfile: str) -> list[str]:
    """Only tpulint's checks, whatever the user's pylint configuration enables."""
    symbols = [rule.symbol for rule in catalog.rules if rule.family in config.families and rule.for_target(config.target)]
    return [
        f"--rcfile={rcfile}",
        "--load-plugins=tpulint",
        "--disable=all",
        f"--enable={','.join([*symbols, *sorted(UNANALYSED)])}",
        "--persistent=n",
        "--score=n",
        "--reports=n",
        f"--jobs={config.jobs}",
        f"--tpulint-target={config.target}",
        f"--tpulint-torch-xla={config.torch_xla or catalog.newest_torch_xla}",
        *files,
    ]


def _run_pylint(files: list[str], config: Config, catalog: Catalog, collector: CollectingReporter) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        rcfile = Path(scratch, "empty.toml")
        rcfile.write_text("", encoding="utf-8")
        arguments = pylint_arguments(files, config, catalog, str(rcfile))
        # pylint prints the traceback of a file it cannot parse to stderr; the command reports a
        # sentence per file instead (see findings.explain_unanalysed).
        with contextlib.redirect_stderr(io.StringIO()):
            Run(arguments, reporter=collector, exit=False)


# --- output ----------------------------------------------------------------------------------


def render(summary: Summary, catalog: Catalog, config: Config, output_format: str) -> str:
    if output_format == "sarif":
        return sarif.dumps(summary, catalog, config.root)
    if output_format == "json":
        return json.dumps(_json_report(summary), indent=2) + "\n"
    return render_text(summary, catalog)


def render_text(summary: Summary, catalog: Catalog) -> str:
    lines = [
        f"{f.path}:{f.line}:{f.column + 1}: {f.rule.id} {f.rule.symbol} {f.message}"
        for f in summary.findings
    ]
    lines += [f"{note.path}: {note.message}" for note in summary.notifications]
    if lines:
        lines.append("")
    lines += _text_summary(summary, catalog)
    return "\n".join(lines) + "\n"


def _text_summary(summary: Summary, catalog: Catalog) -> list[str]:
    estimate = summary.estimate
    title = catalog.targets[summary.target].title
    lines = [
        f"Readiness for {title}: {summary.score}/100 ({summary.band}) "
        f"[{SCORE_MODEL['name']} v{SCORE_MODEL['version']}]",
        f"Estimated changes: {estimate.required} ({estimate.fixable} mechanical, {estimate.manual} manual)"
        + (f", plus {estimate.optional} optional clean-ups" if estimate.optional else "")
        + f" [{ESTIMATE_MODEL['name']} v{ESTIMATE_MODEL['version']}]",
        f"Files: {summary.files_checked} scanned, {len(summary.files)} with findings"
        + (f", {len(summary.notifications)} not analysed" if summary.notifications else ""),
    ]
    if summary.by_family:
        lines.append("By family: " + ", ".join(f"{name} {count}" for name, count in summary.by_family.items()))
        lines.append("By severity: " + ", ".join(f"{name} {count}" for name, count in summary.by_severity.items()))
    return lines


def _json_report(summary: Summary) -> dict:
    return {
        "tool": {"name": "tpulint", "version": __version__},
        "target": summary.target,
        "findings": [
            {
                "path": f.path, "line": f.line, "column": f.column + 1, "end_line": f.end_line,
                "end_column": None if f.end_column is None else f.end_column + 1,
                "id": f.rule.id, "symbol": f.rule.symbol, "family": f.rule.family,
                "severity": f.severity.name, "fixable": f.rule.fixable, "cost": f.rule.cost,
                "message": f.message,
            }
            for f in summary.findings
        ],
        "notifications": [{"path": n.path, "level": n.level, "message": n.message} for n in summary.notifications],
        "summary": {
            "readiness_score": summary.score,
            "readiness_band": summary.band,
            "scoring_model": SCORE_MODEL,
            "estimate_model": ESTIMATE_MODEL,
            "estimated_changes": summary.estimate.as_dict(),
            "files_checked": summary.files_checked,
            "by_family": summary.by_family,
            "by_severity": summary.by_severity,
            "files": [
                {"path": r.path, "readiness_score": r.score, "readiness_band": r.band,
                 "estimated_changes": r.estimate.as_dict(), "findings": len(r.findings)}
                for r in summary.files
            ],
        },
    }


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def exit_code(summary: Summary, config: Config) -> int:
    if config.fail_under is not None:
        return EXIT_CLEAN if summary.score >= config.fail_under else EXIT_FINDINGS
    return EXIT_FINDINGS if summary.findings or summary.notifications else EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
