"""Fixes applied to a notebook, cell by cell. A notebook's findings are found in its code cells
joined into one Python text (tpulint.notebook); their edits are positions in that text. Each edit
is moved into the cell its lines came from and made on that cell's source; outputs, metadata and
the other cells are kept, and the JSON is written back in the layout it was read in.

An edit is left out (skipped, like an overlapping one) when it spans two cells or touches a line
tpulint.notebook rewrote (an IPython `%magic` line read as `pass`, a cell that is not Python). A
zero-width edit at the start of a cell's first line belongs to the end of the cell before: that
is where a statement appended to a loop body, or an import after the import block, goes.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Sequence

from tpulint import notebook
from tpulint.fix import Applied, FixError, import_edit, splice, without_overlaps
from tpulint.model import Edit

# json.dumps settings a notebook may have been written with: nbformat writes indent=1 without
# ASCII escapes; other tools indent by 2 or 4 or escape non-ASCII text.
_LAYOUTS = tuple({"indent": indent, "ensure_ascii": ascii_only} for indent in (1, 2, 4, None) for ascii_only in (False, True))


def apply(text: str, edits: Iterable[Edit], imports: Sequence[str] = ()) -> Applied:
    """The notebook JSON text with edits (positions in its joined code cells) made in its cells and
    each missing import of imports added once after the import block. Applied.skipped also holds
    the edits that span cells or touch a rewritten line.

    Raises FixError when the notebook cannot be read, its JSON layout cannot be written back as it
    was, or a changed cell would not parse."""
    try:
        source = notebook.from_text(text)
    except notebook.NotebookError as error:
        raise FixError(str(error)) from error
    data = json.loads(text.removeprefix("\ufeff"))
    layout = _layout(text, data)
    cells = {number: _cell_text(data["cells"][number - 1]) for number in {line.cell for line in source.lines if line}}
    edits = list(edits)
    addition = import_edit(source.source, ast.parse(source.source), imports)
    if addition is not None:
        edits.append(addition)
    kept, skipped = without_overlaps(edits)
    by_cell: dict[int, list[Edit]] = {}
    made: list[Edit] = []
    joined_lines = source.source.split("\n")
    for edit in kept:
        moved = _into_cell(edit, source, joined_lines, cells)
        if moved is None:
            skipped.append(edit)
            continue
        by_cell.setdefault(moved[0], []).append(moved[1])
        made.append(edit)
    for number, cell_edits in by_cell.items():
        _write_cell(data["cells"][number - 1], _edited(cells[number], cell_edits))
    fixed = _dump(data, layout, text)
    _check(fixed, source)
    return Applied(fixed, tuple(made), tuple(skipped))


def changed_cells(before: str, after: str) -> list[tuple[int, str, str]]:
    """(cell number, source before, source after) of each cell whose source differs between two
    versions of a notebook's JSON text with the same cells."""
    old, new = (json.loads(text.removeprefix("\ufeff"))["cells"] for text in (before, after))
    return [(number, _cell_text(a), _cell_text(b)) for number, (a, b) in enumerate(zip(old, new), start=1)
            if _cell_text(a) != _cell_text(b)]


def _cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _write_cell(cell: dict, text: str) -> None:
    cell["source"] = text if isinstance(cell.get("source"), str) else text.splitlines(keepends=True)


def _into_cell(edit: Edit, source: notebook.NotebookSource, joined_lines: list[str],
               cells: dict[int, str]) -> tuple[int, Edit] | None:
    """(cell number, the edit in the cell's lines), or None when it cannot be made in one cell."""
    zero_width = (edit.line, edit.column) == (edit.end_line, edit.end_column)
    start = _position(source, edit.line, edit.column, at_end=zero_width)
    end = _position(source, edit.end_line, edit.end_column, at_end=True)
    if start is None or end is None or start[0] != end[0]:
        return None
    last_touched = edit.end_line - 1 if edit.end_column == 0 else edit.end_line  # (L + 1, 0) ends line L
    for line in range(edit.line, min(last_touched, len(source.lines)) + 1):
        origin = source.locate(line)
        cell_lines = cells[origin.cell].replace("\r\n", "\n").split("\n") if origin else []
        if origin is None or origin.line > len(cell_lines) or cell_lines[origin.line - 1] != joined_lines[line - 1]:
            return None  # a line tpulint.notebook rewrote: the edit's columns are not the cell's
    return start[0], Edit(start[1], start[2], end[1], end[2], edit.text)


def _position(source: notebook.NotebookSource, line: int, column: int, at_end: bool) -> tuple[int, int, int] | None:
    """(cell, line in the cell, column) of a position in the joined text. Column 0 of a cell's
    first line (or of the line after the text), when at_end, is the end of the cell before."""
    origin, before = source.locate(line), source.locate(line - 1)
    if column == 0 and at_end and before is not None and (origin is None or origin.cell != before.cell):
        return before.cell, before.line + 1, 0
    if origin is None:
        return None
    return origin.cell, origin.line, column


def _edited(cell: str, edits: list[Edit]) -> str:
    """The cell's source with the edits made; a cell's last line has no newline, and keeps none."""
    if "\r" in cell:
        raise FixError("a cell has \\r line ends, which tpulint does not edit")
    ends_open = not cell.endswith("\n")
    text = splice(cell + "\n" if ends_open else cell, edits)[0]
    return text.removesuffix("\n") if ends_open else text


def _layout(text: str, data: object) -> dict:
    """The json.dumps settings that write data back as text exactly; FixError when none does."""
    for layout in _LAYOUTS:
        if _dump(data, layout, text) == text:
            return layout
    raise FixError("its JSON layout is not one tpulint can write back unchanged (save the notebook from Jupyter first)")


def _dump(data: object, layout: dict, original: str) -> str:
    prefix = "\ufeff" if original.startswith("\ufeff") else ""
    suffix = original[len(original.rstrip("\n")):]  # the newlines the file ended with
    return prefix + json.dumps(data, **layout) + suffix


def _check(fixed: str, before: notebook.NotebookSource) -> None:
    """FixError when a cell of the fixed notebook is no longer Python, or its code does not parse."""
    after = notebook.from_text(fixed)
    if len(after.skipped) > len(before.skipped):
        broken = {cell.cell for cell in after.skipped} - {cell.cell for cell in before.skipped}
        raise FixError(f"the fixed cell {min(broken)} would not parse")
    try:
        ast.parse(after.source)
    except SyntaxError as error:
        raise FixError(f"the fixed notebook does not parse: {error.msg}") from error
