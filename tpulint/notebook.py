"""Jupyter notebooks -> one Python text with a line map.

The code cells of a notebook are joined into one Python text that pylint can analyse. IPython
syntax (line magics, shell escapes, help, non-Python cell magics) becomes `pass` or a blank line,
so line numbers and indentation stay valid. Every line of that text maps back to its cell, its
line within the cell, and the line of the .ipynb file where the line's JSON string sits: findings
are shown as `nb.ipynb:cell 3:line 2`, and SARIF annotates the notebook file at that line.

Columns are unchanged within a kept line, so a column in the joined text is the column in the
cell's line (not in the .ipynb file, where the text is a JSON string).
"""

from __future__ import annotations

import ast
import bisect
import json
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

NOTEBOOK_SUFFIX = ".ipynb"

# What an IPython line becomes: a statement, so `if x:\n    !ls` still parses.
NEUTRAL = "pass"

# Cell magics whose body is Python run by the kernel: only their first line is IPython syntax.
# The body of any other cell magic (%%bash, %%writefile, %%html, ...) is not Python.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "memit"})
WRITEFILE_MAGICS = frozenset({"writefile", "file"})

# Automagics (no %) that appear in notebooks as shell-like commands, e.g. `pip install torch_xla`.
# Only tried on the line a cell's SyntaxError points at, so valid Python is never touched.
AUTOMAGIC = re.compile(r"\s*(?:pip3?|conda|mamba|micromamba|cd)\s+\S")

_JSON_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()
_OPENERS = "([{"
_CLOSERS = ")]}"
# A `=` after one of these is part of another operator (==, !=, <=, +=, :=, ...).
_OPERATOR_CHARS = "=!<>+-*/%&|^@:~"


class NotebookError(Exception):
    """A notebook tpulint cannot read. str() is one sentence without the path, e.g.
    'not a Jupyter notebook: no "cells" list' or 'nbformat 3 notebooks are not supported'."""


@dataclass(frozen=True)
class CellLine:
    """Where one line of the joined source came from.

    cell: 1-based position of the cell among ALL cells of the notebook (markdown and raw cells
    count too), i.e. the cell's place in the order Jupyter shows them.
    line: 1-based line within that cell's source, as Jupyter numbers it.
    file_line: 1-based line of the .ipynb file where the JSON string holding the line's text
    starts (every line of a single-string source maps to that string's line).
    """

    cell: int
    line: int
    file_line: int

    @property
    def label(self) -> str:
        """'cell 3:line 2', the part after the path in text output."""
        return f"cell {self.cell}:line {self.line}"


@dataclass(frozen=True)
class SkippedCell:
    """A code cell that is not Python even without its IPython syntax; its lines were blanked."""

    cell: int  # numbered like CellLine.cell
    reason: str  # e.g. 'not valid Python: invalid syntax (line 3)'; line is within the cell


@dataclass(frozen=True)
class NotebookSource:
    """The code cells of one notebook as Python text, and where each of its lines came from."""

    path: str
    source: str  # the code cells joined, each line ending in '\n'; IPython syntax neutralised
    lines: tuple[CellLine | None, ...]  # index i -> origin of line i+1 of `source`
    skipped: tuple[SkippedCell, ...] = ()

    def locate(self, line: int) -> CellLine | None:
        """Origin of 1-based `line` of `source`; None when there is no such line."""
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1]
        return None


def load(path: str | Path) -> NotebookSource:
    """Read and convert one .ipynb file; raises NotebookError."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise NotebookError(f"cannot read the file: {error.strerror or error}") from None
    return from_bytes(data, str(path))


def from_bytes(data: bytes, path: str = "<notebook>") -> NotebookSource:
    """Convert a notebook file's bytes; raises NotebookError."""
    return from_text(_decode(data), path)


def from_text(text: str, path: str = "<notebook>") -> NotebookSource:
    """Convert a notebook's JSON text; raises NotebookError."""
    text = text.removeprefix("\ufeff")
    cells = _checked_cells(_parse_json(text))
    joined: list[str] = []
    origins: list[CellLine | None] = []
    skipped: list[SkippedCell] = []
    for number, located in _code_cells(cells, text):
        python, reason = _python_lines([line for line, _ in located])
        joined.extend(python)
        origins.extend(CellLine(number, index, file_line) for index, (_, file_line) in enumerate(located, 1))
        if reason is not None:
            skipped.append(SkippedCell(number, reason))
    source = "".join(line + "\n" for line in joined)
    return NotebookSource(path, source, tuple(origins), tuple(skipped))


# -- reading and checking the JSON ---------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise NotebookError(f"not a Jupyter notebook: the file is not UTF-8 text (byte 0x{byte:02x} on line {line})") from None


def _parse_json(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(f"not a Jupyter notebook: the file is not valid JSON (line {error.lineno}, column {error.colno})") from None
    except RecursionError:
        raise NotebookError("not a Jupyter notebook: the JSON is nested too deeply") from None


def _checked_cells(notebook: object) -> list[dict[str, object]]:
    if not isinstance(notebook, dict):
        raise NotebookError("not a Jupyter notebook: the file is not a JSON object")
    version = notebook.get("nbformat")
    if isinstance(version, int) and not isinstance(version, bool) and version < 4:
        raise NotebookError(f"nbformat {version} notebooks are not supported")
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise NotebookError('not a Jupyter notebook: no "cells" list')
    _check_language(notebook.get("metadata"))
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"not a Jupyter notebook: cell {number} is not a JSON object")
    return cells


def _check_language(metadata: object) -> None:
    for language in _declared_languages(metadata):
        if not (language.startswith("python") or language in ("ipython", "ipython3")):
            raise NotebookError(f"not a Python notebook (language: {language})")


def _declared_languages(metadata: object) -> Iterator[str]:
    if not isinstance(metadata, dict):
        return
    for section, key in (("kernelspec", "language"), ("language_info", "name")):
        block = metadata.get(section)
        value = block.get(key) if isinstance(block, dict) else None
        if isinstance(value, str) and value.strip():
            yield value.strip().lower()


def _code_cells(cells: list[dict[str, object]], text: str) -> Iterator[tuple[int, list[tuple[str, int]]]]:
    """(cell number, [(line text, file line)]) for each code cell."""
    offsets = _source_offsets(text)
    line_at = _line_finder(text)
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        pieces = _source_pieces(cell, number)
        starts = offsets[number - 1] if number <= len(offsets) else ()
        file_lines = [line_at(start) for start in starts]
        if len(file_lines) != len(pieces):  # cannot happen for JSON that json.loads accepted
            file_lines = [1] * len(pieces)
        yield number, _cell_lines(pieces, file_lines)


def _source_pieces(cell: dict[str, object], number: int) -> list[str]:
    source = cell.get("source", [])
    if isinstance(source, str):
        return [source]
    if isinstance(source, list) and all(isinstance(piece, str) for piece in source):
        return source
    raise NotebookError(f'not a Jupyter notebook: the "source" of cell {number} is not text')


def _cell_lines(pieces: list[str], file_lines: list[int]) -> list[tuple[str, int]]:
    """Split a cell's source pieces into lines, each with the file line of the piece it starts in.

    Pieces normally are whole lines ending in '\\n', but one piece may hold several lines and a
    line may continue into the next piece; newlines are normalised as Python reads them."""
    lines: list[tuple[str, int]] = []
    pending = ""
    pending_start: int | None = None
    for piece, file_line in zip(pieces, file_lines):
        *complete, rest = piece.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for segment in complete:
            lines.append((pending + segment, file_line if pending_start is None else pending_start))
            pending, pending_start = "", None
        if rest:
            pending_start = file_line if pending_start is None else pending_start
            pending += rest
    if pending_start is not None:
        lines.append((pending, pending_start))
    return lines


# -- where each source string sits in the file ---------------------------------------------------


class _JsonCursor:
    """Walks JSON text that json.loads accepted, telling where values start."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def peek(self) -> str:
        while self.text[self.position] in _JSON_WHITESPACE:
            self.position += 1
        return self.text[self.position]

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} at offset {self.position}")
        self.position += 1

    def skip_value(self) -> int:
        """Pass over one value; returns the offset where it starts."""
        self.peek()
        start = self.position
        _, self.position = _DECODER.raw_decode(self.text, start)
        return start

    def keys(self) -> Iterator[str]:
        """Each key of an object; the caller consumes its value before asking for the next."""
        self.take("{")
        if self.peek() == "}":
            self.position += 1
            return
        while True:
            self.peek()
            key, self.position = _DECODER.raw_decode(self.text, self.position)
            self.take(":")
            yield key
            if self.peek() != ",":
                self.take("}")
                return
            self.position += 1

    def elements(self) -> Iterator[None]:
        """Once per array element; the caller consumes the element before asking for the next."""
        self.take("[")
        if self.peek() == "]":
            self.position += 1
            return
        while True:
            yield None
            if self.peek() != ",":
                self.take("]")
                return
            self.position += 1


def _source_offsets(text: str) -> list[tuple[int, ...]]:
    """For each cell, the offsets where the strings of its "source" start (one for a string)."""
    cursor = _JsonCursor(text)
    found: list[tuple[int, ...]] = []
    try:
        for key in cursor.keys():
            if key == "cells" and cursor.peek() == "[":
                found = [_cell_source_offsets(cursor) for _ in cursor.elements()]
            else:
                cursor.skip_value()
    except (ValueError, IndexError, RecursionError):
        return []
    return found


def _cell_source_offsets(cursor: _JsonCursor) -> tuple[int, ...]:
    if cursor.peek() != "{":
        cursor.skip_value()
        return ()
    offsets: tuple[int, ...] = ()
    for key in cursor.keys():
        if key == "source" and cursor.peek() == "[":
            offsets = tuple(cursor.skip_value() for _ in cursor.elements())
        elif key == "source":
            offsets = (cursor.skip_value(),)
        else:
            cursor.skip_value()
    return offsets


def _line_finder(text: str) -> Callable[[int], int]:
    """offset -> 1-based line of `text` (lines end at '\\n', as editors and GitHub count)."""
    newlines = [match.start() for match in re.finditer("\n", text)]
    return lambda offset: bisect.bisect_left(newlines, offset) + 1


# -- IPython syntax -> Python --------------------------------------------------------------------


def _python_lines(lines: list[str]) -> tuple[list[str], str | None]:
    """A cell's lines as Python (same count), and why the cell was blanked if it was."""
    magic = _cell_magic(lines)
    if magic is not None:
        index, name, argument = magic
        if name not in PYTHON_CELL_MAGICS and not _writes_python_file(name, argument):
            return _blank(lines), None
        lines = [*lines[:index], NEUTRAL, *lines[index + 1 :]]
    return _parsed_or_blank(_neutralise_line_magics(lines))


def _cell_magic(lines: list[str]) -> tuple[int, str, str] | None:
    """(line index, name, argument) of a cell magic on the cell's first non-blank line."""
    for index, line in enumerate(lines):
        if line.strip():
            stripped = line.strip()
            if not stripped.startswith("%%"):
                return None
            words = stripped[2:].split(maxsplit=1)
            return index, words[0] if words else "", words[1] if len(words) > 1 else ""
    return None


def _writes_python_file(name: str, argument: str) -> bool:
    """`%%writefile train.py` (as Colab TPU notebooks write their training scripts): the body is
    the Python of that file, checked with the notebook."""
    return name in WRITEFILE_MAGICS and argument.split()[-1:] != [] and argument.split()[-1].endswith(".py")


@dataclass(frozen=True)
class _ScanState:
    """What the lines so far leave open."""

    depth: int = 0  # brackets
    quote: str | None = None  # delimiter of a string that continues on the next line
    continued: bool = False  # the last line ended with a backslash

    @property
    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued


@dataclass(frozen=True)
class _LineFacts:
    help_mark: bool  # a `?` outside strings and comments: IPython help (`obj?`, `obj??`)
    assignment: int | None  # index of the first plain `=` outside brackets


def _neutralise_line_magics(lines: list[str]) -> list[str]:
    """Replace each IPython line that starts a statement by its indentation + `pass`."""
    result: list[str] = []
    state = _ScanState()
    magic_indent: str | None = None  # set while an IPython line continues with a backslash
    for line in lines:
        if magic_indent is not None:
            result.append(magic_indent + NEUTRAL)
            magic_indent = magic_indent if line.endswith("\\") else None
            continue
        next_state, facts = _scan(line, state)
        if state.at_statement_start and _is_ipython_line(line, facts):
            indent = _indentation(line)
            result.append(indent + NEUTRAL)
            magic_indent = indent if line.endswith("\\") else None
            continue
        result.append(line)
        state = next_state
    return result


def _is_ipython_line(line: str, facts: _LineFacts) -> bool:
    """A statement-start line that IPython rewrites: `!cmd`, `%magic`, `?obj`, `obj?`,
    `x = !cmd`, `x = %magic`. None of these is valid Python, so no Python line matches."""
    if line.lstrip().startswith(("!", "%", "?")) or facts.help_mark:
        return True
    if facts.assignment is None:
        return False
    return line[facts.assignment + 1 :].lstrip().startswith(("!", "%"))


def _scan(line: str, state: _ScanState) -> tuple[_ScanState, _LineFacts]:
    """Follow strings, comments and brackets through one line."""
    depth, quote = state.depth, state.quote
    help_mark, assignment, in_comment = False, None, False
    index = 0
    while index < len(line):
        char = line[index]
        if quote is not None:
            if char == "\\":
                index += 2
                continue
            if line.startswith(quote, index):
                index += len(quote)
                quote = None
                continue
        elif char == "#":
            in_comment = True
            break
        elif char in "'\"":
            quote = char * 3 if line.startswith(char * 3, index) else char
            index += len(quote)
            continue
        elif char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(0, depth - 1)
        elif char == "?":
            help_mark = True
        elif char == "=" and depth == 0 and assignment is None and _is_plain_assignment(line, index):
            assignment = index
        index += 1
    ends_with_backslash = line.endswith("\\") and not in_comment
    if quote is not None and len(quote) == 1 and not ends_with_backslash:
        quote = None  # an unterminated one-line string ends with its line (a syntax error anyway)
    continued = ends_with_backslash and quote is None
    return _ScanState(depth, quote, continued), _LineFacts(help_mark, assignment)


def _is_plain_assignment(line: str, index: int) -> bool:
    before = line[index - 1] if index > 0 else "="
    after = line[index + 1] if index + 1 < len(line) else ""
    return before not in _OPERATOR_CHARS and after != "="


def _indentation(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _blank(lines: list[str]) -> list[str]:
    return [""] * len(lines)


def _parsed_or_blank(lines: list[str]) -> tuple[list[str], str | None]:
    """The lines if they parse (after neutralising automagic lines such as `pip install x` that a
    SyntaxError points at); otherwise blank lines and the reason."""
    lines = list(lines)
    while True:
        error = _syntax_error(lines)
        if error is None:
            return lines, None
        index = (error.lineno or 0) - 1
        if not (0 <= index < len(lines) and AUTOMAGIC.match(lines[index])):
            return _blank(lines), _describe(error)
        lines[index] = _indentation(lines[index]) + NEUTRAL


def _syntax_error(lines: list[str]) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning: invalid escape sequence
            ast.parse("".join(line + "\n" for line in lines))
    except SyntaxError as error:
        return error
    except (ValueError, RecursionError, MemoryError) as error:  # null bytes, deep nesting
        return SyntaxError(str(error) or type(error).__name__)
    return None


def _describe(error: SyntaxError) -> str:
    where = f" (line {error.lineno})" if error.lineno else ""
    return f"not valid Python: {error.msg}{where}"
