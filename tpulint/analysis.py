"""Linting a run's files: notebooks staged as Python (tpulint.staging), pylint run with only
tpulint's checks, the project view the checkers consult set to the run's files (tpulint.view),
and the messages summarised through tpulint.pipeline."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pylint.lint import Run
from pylint.reporters import CollectingReporter

from tpulint import baseline, isolation, staging, view
from tpulint.catalog import Catalog
from tpulint.checkers.base import reported_findings
from tpulint.config import Config
from tpulint.estimate import Finding, Notification, Summary
from tpulint.findings import NOTIFYING
from tpulint.pipeline import summarise_run


# --- analysis --------------------------------------------------------------------------------


def analyse(files: list[str], notifications: list[Notification], config: Config, catalog: Catalog,
            progress: bool = False, known: baseline.Baseline | None = None,
            selected: Callable[[Finding], bool] | None = None, scope: str | None = None) -> Summary:
    """Lint the files (notebooks through tpulint.staging), then summarise the run through the
    pipeline the pylint reporter uses too (tpulint.pipeline): given a baseline, only the new
    findings are listed; `selected` and `scope` go to summarise_run."""
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
                             reported=reported, selected=selected, scope=scope)


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
