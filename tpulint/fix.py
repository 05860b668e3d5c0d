"""Fixes applied to a text: the exact edits of a file's findings (model.Edit), each needed import
added once, the result checked to parse. The text is edited by span, never re-printed from a
tree, so comments and formatting outside the edits stay as they were. tpulint.fix_notebook does
the same cell by cell; tpulint.fix_run applies a run's fixes to its files.

Positions are pylint's: 1-based lines, 0-based UTF-8 byte columns.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tpulint.model import Edit


class FixError(ValueError):
    """The fixed text would not parse, or an edit names a place the text does not have (the file
    is left unchanged)."""


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
    edited, kept, skipped = splice(text, edits)
    try:
        tree = ast.parse(edited)
        addition = import_edit(edited, tree, imports)
        if addition is not None:
            edited = splice(edited, [addition])[0]
            ast.parse(edited)
    except SyntaxError as error:
        raise FixError(f"the fixed text does not parse: {error.msg} (line {error.lineno})") from error
    return Applied(edited, kept, skipped)


def splice(text: str, edits: Iterable[Edit]) -> tuple[str, tuple[Edit, ...], tuple[Edit, ...]]:
    """(text with the edits made, the edits made, those skipped as overlapping an earlier one).
    Nothing is parsed. Raises FixError for an edit on a line the text does not have."""
    kept, skipped = without_overlaps(edits)
    offsets = _line_offsets(text.splitlines(keepends=True))
    encoded = text.encode("utf-8")
    for edit in reversed(kept):
        start, end = _offset(offsets, encoded, edit.line, edit.column), _offset(offsets, encoded, edit.end_line, edit.end_column)
        encoded = encoded[:start] + edit.text.encode("utf-8") + encoded[end:]
    return encoded.decode("utf-8"), tuple(kept), tuple(skipped)


def without_overlaps(edits: Iterable[Edit]) -> tuple[list[Edit], list[Edit]]:
    """The edits (the same edit twice is one) in source order, split into (kept, skipped): one
    that starts before the previous kept one ends is skipped."""
    kept: list[Edit] = []
    skipped: list[Edit] = []
    for edit in sorted(set(edits), key=lambda edit: (edit.line, edit.column, edit.end_line, edit.end_column)):
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


def import_edit(text: str, tree: ast.Module, imports: Sequence[str]) -> Edit | None:
    """The insertion of each import statement of imports that text (parsed: tree) lacks, as one
    edit at the start of the line after the import block; None when none is missing."""
    present = {ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))}
    missing = [statement for statement in dict.fromkeys(imports) if ast.unparse(ast.parse(statement).body[0]) not in present]
    if not missing:
        return None
    at = _import_line(tree)
    lines = text.splitlines(keepends=True)
    block = "".join(statement + "\n" for statement in missing)
    if at > 0 and not lines[at - 1].endswith(("\n", "\r")):  # the import block ends the text, without a newline
        return Edit(at, len(lines[at - 1].encode("utf-8")), at, len(lines[at - 1].encode("utf-8")), "\n" + block)
    return Edit(at + 1, 0, at + 1, 0, block)


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


