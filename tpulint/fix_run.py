"""Applying a run's fixes to its files (`tpulint fix`, `tpulint --fix`): the safe (or also unsafe)
fixes of the findings, file by file through tpulint.fix (notebooks cell by cell through
tpulint.fix_notebook), passes repeated until no fix is left, since a fix can enable another."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import astroid

from tpulint import fix_notebook
from tpulint.estimate import Finding, Summary
from tpulint.fix import Applied, FixError, apply
from tpulint.model import UNSAFE, Edit
from tpulint.resolve import imported_names
from tpulint.staging import is_notebook

# A fix that enables another is applied in the next pass; ruff stops after 100, tpulint's fixes
# chain at most twice (a swap, then the import it left unused), so a few passes reach the point.
MAX_PASSES = 4


@dataclass
class Outcome:
    """What applying a run's fixes did: the files changed (absolute paths), their unified diff,
    how many findings were fixed, and a sentence per file left alone."""

    changed: list[str] = field(default_factory=list)
    diff: str = ""
    fixed: int = 0
    refused: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for stderr: `tpulint fix: 5 findings fixed in 2 files`, and any file refused."""
        files = len(self.changed)
        head = f"tpulint fix: {self.fixed} finding{'s' if self.fixed != 1 else ''} fixed in {files} file{'s' if files != 1 else ''}"
        return "\n".join([head, *(f"tpulint fix: {note}" for note in self.refused)])


def fix_to_fixed_point(summary: Summary, reanalyse: Callable[[], Summary], unsafe: bool = False, write: bool = True,
                       passes: int = MAX_PASSES, device_type: str = "") -> tuple[Outcome, Summary]:
    """Apply the summary's fixes (safe ones only unless unsafe), re-analyse the changed files and
    apply again, until no fix changes a file or `passes` passes ran. Returns what was done and the
    last analysis (of the fixed files). With write False the files are restored afterwards (even
    on an error or an interrupt) and only the diff, from the original text, is kept.

    A fix that only adds an import (the runtime's) is made in a file that another fix edits, or
    that already names the runtime's device type string (device_type, `"xla"`) or the imported
    module: a file tpulint does not port gains no import it does not use."""
    outcome = Outcome()
    originals: dict[Path, tuple[str, str]] = {}  # path -> (its text before the first pass, as shown)
    refused: dict[str, None] = {}
    try:
        for number in range(1, passes + 1):
            if not _fix_pass(summary, unsafe, originals, outcome, refused, device_type):
                break
            summary = reanalyse()
            if number == passes and _pending(summary, unsafe):
                refused["fixes still applied after the last pass: run `tpulint fix` again"] = None
        outcome.changed = [str(path) for path, (before, _) in sorted(originals.items()) if _read(path) != before]
        outcome.diff = "".join(_diff(path, before, _read(path), shown) for path, (before, shown) in sorted(originals.items()))
    finally:
        if not write:
            for path, (before, _) in originals.items():
                path.write_text(before, encoding="utf-8", newline="")
    outcome.refused = list(refused)
    return outcome, summary


def _fix_pass(summary: Summary, unsafe: bool, originals: dict[Path, tuple[str, str]], outcome: Outcome,
              refused: dict[str, None], device_type: str) -> bool:
    """Apply one pass of fixes to the files; True when a file changed."""
    by_file: dict[str, list[Finding]] = {}
    for finding in summary.findings:
        if _applicable(finding, unsafe):
            by_file.setdefault(finding.abspath, []).append(finding)
    changed = False
    for abspath, findings in sorted(by_file.items()):
        path = Path(abspath)
        try:
            text = _read(path)
            findings = _without_stray_imports(findings, text, device_type)
            if not findings:
                continue
            applied, findings = _apply_to_file(path, text, findings, refused)
        except (OSError, UnicodeDecodeError, FixError) as error:
            refused[f"{findings[0].path}: not fixed: {error}"] = None
            continue
        if applied.text == text:
            continue
        originals.setdefault(path, (text, findings[0].path))
        outcome.fixed += sum(1 for finding in findings if not set(_edits(finding)) & set(applied.skipped))
        path.write_text(applied.text, encoding="utf-8", newline="")
        changed = True
    return changed


def _without_stray_imports(findings: list[Finding], text: str, device_type: str) -> list[Finding]:
    """findings less the import-only ones whose import nothing uses: neither the file nor the
    other fixes' edits name what it binds (see fix_to_fixed_point)."""
    edited = [finding for finding in findings if _edits(finding)]
    written = text + "".join(edit.text for finding in edited for edit in _edits(finding))

    def used(finding: Finding) -> bool:
        names = {name for statement in finding.fix.imports for name in imported_names(astroid.extract_node(statement))}
        return any(re.search(rf"(?<![\w.]){re.escape(name)}\.", written) for name in names) or (
            bool(device_type) and re.search(rf"""["']{re.escape(device_type)}(:\d+)?["']""", written) is not None)

    return [*edited, *(finding for finding in findings if not _edits(finding) and used(finding))]


def _apply_to_file(path: Path, text: str, findings: list[Finding], refused: dict[str, None]) -> tuple[Applied, list[Finding]]:
    """The file's text with the findings' fixes, and the findings whose fixes it has. When
    together they would not parse, each finding's fix is tried in turn and one that breaks the
    text is left out and named in refused (the others are still made). Raises FixError when no
    fix can be made."""
    try:
        return _apply_findings(path, text, findings), findings
    except FixError as error:
        kept: list[Finding] = []
        for finding in findings:
            try:
                _apply_findings(path, text, [*kept, finding])
                kept.append(finding)
            except FixError as own:
                refused[f"{finding.path}:{finding.line}: {finding.rule.symbol} not fixed: {own}"] = None
        if not kept:
            raise error
        return _apply_findings(path, text, kept), kept


def _apply_findings(path: Path, text: str, findings: list[Finding]) -> Applied:
    edits = [edit for finding in findings for edit in _edits(finding)]
    imports = [statement for finding in findings for statement in finding.fix.imports]
    if is_notebook(path):
        return fix_notebook.apply(text, edits, imports)
    return apply(text, edits, imports)


def _read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:  # keep \r\n line ends as they are
        return handle.read()


def _edits(finding: Finding) -> tuple[Edit, ...]:
    """A finding's edits: in a notebook, positions in its joined code cells."""
    return finding.staged_edits if finding.cell else finding.fix.edits


def _applicable(finding: Finding, unsafe: bool) -> bool:
    fix = finding.fix
    if fix is None or (fix.safety == UNSAFE and not unsafe):
        return False
    return bool(_edits(finding)) or (finding.rule.inserts_line and bool(fix.imports))  # the import the file lacks


def _pending(summary: Summary, unsafe: bool) -> bool:
    return any(_applicable(finding, unsafe) for finding in summary.findings)


def _diff(path: Path, before: str, after: str, shown: str) -> str:
    """A unified diff of one file; of each changed cell for a notebook (`a/nb.ipynb:cell 3`)."""
    if is_notebook(path):
        return "".join(_unified(old, new, f"{shown}:cell {cell}", end_mark="")
                       for cell, old, new in fix_notebook.changed_cells(before, after))
    return _unified(before, after, shown)


def _unified(before: str, after: str, shown: str, end_mark: str = "\\ No newline at end of file\n") -> str:
    """A unified diff; a last line without a newline is marked with end_mark (git's mark for a
    file; nothing for a cell, whose last line never has one)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    for lines in (old, new):
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n" + end_mark
    return "".join(difflib.unified_diff(old, new, fromfile=f"a/{shown}", tofile=f"b/{shown}"))
