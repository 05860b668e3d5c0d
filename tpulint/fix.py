"""Applying fixes (`tpulint fix`, `tpulint --fix`): the exact edits of a file's findings
(model.Edit), each needed import added once, the result checked to parse. The text is edited by
span, never re-printed from a tree, so comments and formatting outside the edits stay as they were.

Positions are pylint's: 1-based lines, 0-based UTF-8 byte columns.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tpulint.estimate import Finding, Summary
from tpulint.model import UNSAFE, Edit


class FixError(ValueError):
    """The fixed text would not parse (the file is left unchanged)."""


@dataclass(frozen=True)
class Applied:
    """The fixed text, the edits applied, and those skipped because they overlap an earlier one."""

    text: str
    applied: tuple[Edit, ...]
    skipped: tuple[Edit, ...]


def apply(text: str, edits: Iterable[Edit], imports: Sequence[str] = ()) -> Applied:
    """text with edits applied (the first of overlapping edits, in source order, wins; the same
    edit twice is one) and each import statement in imports that the text lacks added once, after
    the module's last top-level import (else after its docstring and `__future__` imports).

    Raises FixError when the result does not parse as Python."""
    ordered = sorted(set(edits), key=lambda edit: (edit.line, edit.column, edit.end_line, edit.end_column))
    kept, skipped = _without_overlaps(ordered)
    lines = text.splitlines(keepends=True)
    offsets = _line_offsets(lines)
    encoded = text.encode("utf-8")
    for edit in reversed(kept):
        start, end = _offset(offsets, encoded, edit.line, edit.column), _offset(offsets, encoded, edit.end_line, edit.end_column)
        encoded = encoded[:start] + edit.text.encode("utf-8") + encoded[end:]
    try:
        edited = encoded.decode("utf-8")
        fixed = _with_imports(edited, ast.parse(edited), imports)
        if fixed is not edited:  # the edited text parsed above; with imports added it is checked again
            ast.parse(fixed)
    except SyntaxError as error:
        raise FixError(f"the fixed text does not parse: {error.msg} (line {error.lineno})") from error
    return Applied(fixed, tuple(kept), tuple(skipped))


def _without_overlaps(ordered: list[Edit]) -> tuple[list[Edit], list[Edit]]:
    kept: list[Edit] = []
    skipped: list[Edit] = []
    for edit in ordered:
        if kept and (edit.line, edit.column) < (kept[-1].end_line, kept[-1].end_column):
            skipped.append(edit)
        else:
            kept.append(edit)
    return kept, skipped


def _line_offsets(lines: list[str]) -> list[int]:
    """Byte offset of each line's start in the UTF-8 text."""
    offsets, position = [], 0
    for line in lines:
        offsets.append(position)
        position += len(line.encode("utf-8"))
    offsets.append(position)
    return offsets


def _offset(offsets: list[int], encoded: bytes, line: int, column: int) -> int:
    if not 1 <= line <= len(offsets) - 1 and (line, column) != (len(offsets), 0):  # (end + 1, 0): the end of the text
        raise FixError(f"an edit names line {line}, which the file does not have")
    return min(offsets[line - 1] + column, len(encoded))


def _with_imports(text: str, tree: ast.Module, imports: Sequence[str]) -> str:
    """text (parsed: tree) with each import statement of imports it does not already have, in the
    import block; text itself when none is missing."""
    present = {ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))}
    missing = [statement for statement in dict.fromkeys(imports) if ast.unparse(ast.parse(statement).body[0]) not in present]
    if not missing:
        return text
    lines = text.splitlines(keepends=True)
    at = _import_line(tree)
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    return "".join(lines[:at] + [statement + "\n" for statement in missing] + lines[at:])


def _import_line(tree: ast.Module) -> int:
    """The 0-based line after which new imports go: after the last top-level import, else after
    the docstring and `__future__` imports, else at the top."""
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    if imports:
        return imports[-1].end_lineno
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.end_lineno
    return 0


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


def apply_fixes(summary: Summary, unsafe: bool = False, write: bool = True) -> Outcome:
    """Apply the exact edits of the summary's findings to their files (safe fixes only unless
    unsafe), with the imports those fixes need; write the files, or only compute their diff.
    Notebooks are left alone (their findings' edits are positions in the joined cells). A file
    whose fixed text would not parse, or that changed since it was read, is left unchanged and
    named in Outcome.refused."""
    outcome = Outcome()
    by_file: dict[str, list[Finding]] = {}
    for finding in summary.findings:
        if _applicable(finding, unsafe):
            by_file.setdefault(finding.abspath, []).append(finding)
    for abspath, findings in sorted(by_file.items()):
        _fix_file(Path(abspath), findings, findings[0].path, outcome, write)
    return outcome


def _applicable(finding: Finding, unsafe: bool) -> bool:
    fix = finding.fix
    if fix is None or finding.cell or (fix.safety == UNSAFE and not unsafe):
        return False
    return bool(fix.edits) or (finding.rule.inserts_line and bool(fix.imports))  # the import the file lacks


def _fix_file(path: Path, findings: list[Finding], shown: str, outcome: Outcome, write: bool) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        outcome.refused.append(f"{shown}: not fixed: {error}")
        return
    edits = [edit for finding in findings for edit in finding.fix.edits]
    imports = [statement for finding in findings for statement in finding.fix.imports]
    try:
        applied = apply(text, edits, imports)
    except FixError as error:
        outcome.refused.append(f"{shown}: not fixed: {error}")
        return
    if applied.text == text:
        return
    outcome.fixed += sum(1 for finding in findings if not set(finding.fix.edits) & set(applied.skipped))
    outcome.changed.append(str(path))
    outcome.diff += "".join(difflib.unified_diff(text.splitlines(keepends=True), applied.text.splitlines(keepends=True),
                                                 fromfile=f"a/{shown}", tofile=f"b/{shown}"))
    if write:
        path.write_text(applied.text, encoding="utf-8")
