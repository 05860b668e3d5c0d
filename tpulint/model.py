"""What a finding is, below every other layer: the rule's symbol, where it is, its message's
arguments by field name, its confidence and its fix. Messages are rendered from the catalog's
template and these arguments only when a report is written; nothing parses a message back.

An argument that names source lines is a `Lines` value, not text with numbers in it, so a report
can say where those lines are in its own terms (a notebook's `cell 3:line 2`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

# How a report names a group of source lines: (8,) -> "line 8", (8, 17) -> "lines 8, 17".
LineLabel = Callable[[Sequence[int]], str]

SAFE, UNSAFE = "safe", "unsafe"


def source_lines(numbers: Sequence[int]) -> str:
    """The plain label of lines of one source file: `line 8`, `lines 8, 17`."""
    return f"line{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}"


@dataclass(frozen=True)
class Lines:
    """A message argument that names source lines: `template` holds `{0}`, `{1}`... where the
    label of each group of line numbers goes (`model(x) on {0}` with ((9,),) renders
    `model(x) on line 9`). str() renders the plain labels, which is what pylint prints."""

    template: str
    groups: tuple[tuple[int, ...], ...]

    def render(self, label: LineLabel = source_lines) -> str:
        return self.template.format(*(label(group) for group in self.groups))

    def __str__(self) -> str:
        return self.render()

    def __add__(self, other: str | Lines) -> Lines:
        return join([self, other])

    def __radd__(self, other: str) -> Lines:
        return join([other, self])


def cite(template: str, *groups: Sequence[int]) -> Lines:
    """`cite("used on {0}", [8, 17])` -> Lines that renders `used on lines 8, 17`."""
    return Lines(template, tuple(tuple(group) for group in groups))


def join(parts: Sequence[str | Lines], separator: str = "") -> Lines:
    """Texts and Lines joined into one Lines (their `{n}` renumbered, literal braces kept)."""
    template: list[str] = []
    groups: list[tuple[int, ...]] = []
    for index, part in enumerate(parts):
        if index:
            template.append(_escaped(separator))
        if isinstance(part, Lines):
            offset = len(groups)
            template.append(_shifted(part.template, offset))
            groups.extend(part.groups)
        else:
            template.append(_escaped(part))
    return Lines("".join(template), tuple(groups))


def _escaped(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _shifted(template: str, offset: int) -> str:
    """Renumber a Lines template's fields by offset (`{0}` -> `{2}`), leaving `{{`/`}}` alone."""
    out, index = [], 0
    while index < len(template):
        char = template[index]
        if template.startswith(("{{", "}}"), index):
            out.append(template[index:index + 2])
            index += 2
        elif char == "{":
            end = template.index("}", index)
            out.append("{" + str(int(template[index + 1:end]) + offset) + "}")
            index = end + 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


Argument = str | Lines


def concat(parts: Sequence[str | Lines], separator: str = "") -> str | Lines:
    """parts joined by separator: a plain str when none names lines, else Lines."""
    if any(isinstance(part, Lines) for part in parts):
        return join(parts, separator)
    return separator.join(parts)  # type: ignore[arg-type]


def render_arguments(arguments: Mapping[str, Argument], label: LineLabel = source_lines) -> dict[str, str]:
    """Each argument as text, its Lines labelled by label."""
    return {name: value.render(label) if isinstance(value, Lines) else value for name, value in arguments.items()}


@dataclass(frozen=True)
class Edit:
    """Replace the source between (line, column) and (end_line, end_column) with text. Lines are
    1-based, columns 0-based UTF-8 byte offsets, as pylint reports them."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@dataclass(frozen=True)
class Fix:
    """A finding's fix. `text` is what the message says to do (rules/ is its source); `edits` are
    the changes that make it when the fix is mechanical (none when it needs a person); `imports`
    are statements the edited file needs; `safety` is SAFE when the change keeps behaviour on the
    target, UNSAFE when it changes numerics or semantics (fp16 -> bf16)."""

    text: str
    edits: tuple[Edit, ...] = ()
    imports: tuple[str, ...] = ()
    safety: str = SAFE


@dataclass(frozen=True)
class Reported:
    """One finding as a checker emitted it: the rule's symbol, the file (absolute path) and span
    pylint reports, the message's arguments by field name (`fix` among them), whether the checker
    inferred rather than saw it, and its Fix. Picklable: it crosses pylint's worker processes."""

    symbol: str
    path: str
    line: int
    column: int
    end_line: int | None
    end_column: int | None
    arguments: dict[str, Argument] = field(default_factory=dict)
    uncertain: bool = False
    fix: Fix | None = None

    @property
    def key(self) -> tuple:
        """What identifies the pylint message it became (its span: nested calls `x.cuda().cuda()`
        start at one place)."""
        return (self.path, self.symbol, self.line, self.column, self.end_line, self.end_column)
