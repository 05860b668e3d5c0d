"""Linting a run's files: notebooks staged as Python (tpulint.staging), pylint run with only
tpulint's checks, the project view the checkers consult set to the run's files (tpulint.view),
and the messages summarised through tpulint.pipeline."""

from __future__ import annotations

import contextlib
import gc
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import astroid
from astroid.inference_tip import clear_inference_tip_cache
from astroid.interpreter.objectmodel import ObjectModel
from astroid.nodes._base_nodes import LookupMixIn
from astroid.nodes.scoped_nodes import ClassDef
from pylint.lint import Run
from pylint.reporters import CollectingReporter

from tpulint import baseline, isolation, result_cache, staging, view
from tpulint.catalog import Catalog
from tpulint.checkers.base import reported_findings
from tpulint.config import Config
from tpulint.estimate import Finding, Notification, Summary
from tpulint.findings import NOTIFYING
from tpulint.model import Reported
from tpulint.pipeline import summarise_run
from tpulint.result_cache import ResultStore


# --- analysis --------------------------------------------------------------------------------

# Files per pylint run: astroid keeps the tree of every module a run builds until the run ends
# (about 0.6 MB a file), so a large tree is linted in batches and astroid's caches are emptied
# between them; peak memory then follows the batch, not the tree.
BATCH_FILES = 250


def analyse(files: list[str], notifications: list[Notification], config: Config, catalog: Catalog,
            progress: bool = False, known: baseline.Baseline | None = None, *, use_cache: bool = True,
            cache_dir: Path | str | None = None, batch_files: int | None = None,
            selected: Callable[[Finding], bool] | None = None, scope: str | None = None) -> Summary:
    """Lint the files (notebooks through tpulint.staging), then summarise the run through the
    pipeline the pylint reporter uses too (tpulint.pipeline): given a baseline, only the new
    findings are listed; `selected` and `scope` go to summarise_run.

    Results are kept per file in the cache folder (tpulint.result_cache; default
    `<config.root>/.tpulint_cache`, else cache_dir itself) and reused while still valid: an
    unchanged tree runs no pylint. use_cache=False reads and writes no cache (the project view's
    neither). With config.jobs != 1 results are not cached (pylint's workers ask the view in other
    processes). Files are linted batch_files at a time (default BATCH_FILES; 0: all in one run).
    Never raises for a cache problem: the run goes on without one."""
    collector = ProgressReporter(len(files)) if progress and len(files) >= PROGRESS_MIN_FILES else CollectingReporter()
    cache_dir = Path(cache_dir).absolute() if cache_dir is not None else None
    with tempfile.TemporaryDirectory() as scratch:
        linted, notebooks, staging_notes = staging.stage(files, Path(scratch), config.root, config.max_file_bytes)
        messages, reported = [], []
        if linted:
            view.use_files(linted, config.root, cache_folder=cache_dir, caching=use_cache)  # the project (tpulint.view)
            try:
                messages, reported = _check(linted, frozenset(notebooks), config, catalog, collector,
                                            use_cache and config.jobs == 1, cache_dir,
                                            BATCH_FILES if batch_files is None else batch_files)
            finally:
                view.use_files(None)
        if isinstance(collector, ProgressReporter):
            collector.finish()
        return summarise_run(messages, catalog, config.target, config.root, linted, file_count=len(files),
                             notifications=[*notifications, *staging_notes], notebooks=notebooks, known=known,
                             reported=reported, selected=selected, scope=scope)


def _check(linted: list[str], staged: frozenset[str], config: Config, catalog: Catalog, collector: CollectingReporter,
           caching: bool, cache_dir: Path | None, batch_files: int) -> tuple[list, list[Reported]]:
    """(pylint messages, structured findings) of the linted files: kept results of the files whose
    results are still valid, and a lint of the others in batches, whose results are then kept.
    Staged notebooks (at a new temporary path every run) are always linted and never kept."""
    store = ResultStore(cache_dir if cache_dir is not None else Path(config.root) / view.CACHE_FOLDER,
                        result_cache.run_key(pylint_arguments([], config, catalog, ""))) if caching else None
    kept = _still_valid(linted, staged, store) if store is not None else {}
    to_lint = [path for path in linted if path not in kept]
    recorder = None
    if store is not None and to_lint:
        recorder = result_cache.Recorder(lambda: getattr(getattr(collector, "linter", None), "current_file", None),
                                         frozenset(linted))
    new_reported: list[Reported] = []
    size = batch_files if batch_files > 0 else len(to_lint)
    for start in range(0, len(to_lint), max(size, 1)):
        if start:
            _release_trees(frozenset(linted))
        with result_cache.recording(recorder):
            _run_pylint(to_lint[start:start + size], config, catalog, collector)
        new_reported.extend(reported_findings(collector.linter) if getattr(collector, "linter", None) else [])
    by_file = _by_file(linted, collector.messages, new_reported, kept)
    if store is not None and recorder is not None:
        _keep(store, recorder, [path for path in to_lint if path not in staged], by_file, kept)
    messages = [message for path in [*linted, None] for message in by_file.get(path, ([], []))[0]]
    reported = [finding for path in [*linted, None] for finding in by_file.get(path, ([], []))[1]]
    return messages, reported


def _still_valid(linted: list[str], staged: frozenset[str], store: ResultStore) -> dict[str, dict]:
    """path -> its kept entry, for each file (not a staged notebook) whose entry still holds."""
    kept, fresh_views = {}, {}
    for path in linted:
        if path in staged:
            continue
        entry = store.read(os.path.abspath(path))
        project = view.for_file(path) if entry is not None else None
        if project is None:
            continue
        fresh = lambda project=project: fresh_views.setdefault(id(project), project.fresh())  # noqa: E731
        if result_cache.still_valid(entry, os.path.abspath(path), project, fresh):
            kept[path] = entry
    return kept


def _by_file(linted: list[str], messages: list, reported: list[Reported],
             kept: dict[str, dict]) -> dict[str | None, tuple[list, list[Reported]]]:
    """Each linted file's (messages, findings), kept or new, in the order pylint gave them; what
    belongs to no linted file under None."""
    paths = {os.path.abspath(path): path for path in linted}
    by_file: dict[str | None, tuple[list, list[Reported]]] = {
        path: (list(entry["messages"]), list(entry["reported"])) for path, entry in kept.items()}
    for message in messages:
        by_file.setdefault(paths.get(os.path.abspath(message.abspath)), ([], []))[0].append(message)
    for finding in reported:
        by_file.setdefault(paths.get(finding.path), ([], []))[1].append(finding)
    return by_file


def _keep(store: ResultStore, recorder: result_cache.Recorder, checked: list[str],
          by_file: dict[str | None, tuple[list, list[Reported]]], kept: dict[str, dict]) -> None:
    """Write an entry for each checked file whose questions and dependencies are known."""
    if by_file.get(None, ([], []))[0] or by_file.get(None, ([], []))[1]:
        return  # something pylint said belongs to no file of the run: keep nothing rather than lose it
    edges: dict[str, frozenset[str]] = {}
    lookups = {os.path.abspath(path): entry.get("lookups", frozenset()) for path, entry in kept.items()}
    lookups.update(recorder.lookups)
    for path in checked:
        absolute = os.path.abspath(path)
        project = view.for_file(path)
        if project is None or absolute in recorder.uncacheable or absolute not in project.content_keys:
            continue
        dependencies = result_cache.dependencies(absolute, project, lambda source: lookups.get(source, ()), edges)
        messages, findings = by_file.get(path, ([], []))
        store.write(absolute, {
            "path": absolute, "content": project.content_keys[absolute], "project": project.key,
            "root": str(project.root), "queries": recorder.queries.get(absolute, {}),
            "lookups": frozenset(recorder.lookups.get(absolute, ())),
            "deps": {other: project.content_keys.get(other) for other in dependencies},
            "messages": messages, "reported": findings})


def _release_trees(project_files: frozenset[str]) -> None:
    """Forget the modules astroid built from the project's files (and the caches that refer to
    their nodes), keeping the project view and the standard library's and installed packages'
    modules: those are the same for every batch, and rebuilding them (astroid's clear_cache)
    made a second batch cost 40 % of a whole run on pytorch/examples + timm."""
    manager = astroid.MANAGER
    for name, module in list(manager.astroid_cache.items()):
        if getattr(module, "file", None) and os.path.abspath(module.file) in project_files:
            del manager.astroid_cache[name]
    clear_inference_tip_cache()
    astroid.context._invalidate_cache()  # inference results, which hold nodes of the released modules
    for cache in (LookupMixIn.lookup, ClassDef._metaclass_lookup_attribute, ObjectModel.attributes):
        cache.cache_clear()
    isolation._BY_FILE.clear()  # modules built by file for a name another project holds
    gc.collect()


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
