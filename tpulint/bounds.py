"""A bound on how deeply nested the code handed to the analysis may be.

pylint and astroid walk, build and infer syntax trees recursively, so a legal Python file with
a long `elif` chain (about 250 branches) or a long chain of method calls (about 400) exhausts
their recursion and the file is lost whole, or, just under that, makes inference take minutes.
Real code is far shallower: the deepest of the 2,494 files of pytorch/examples, timm and
diffusers (diffusers' attention_processor.py) nests 52 levels, measured with `depth()` below.

So as astroid parses each file, its tree (from CPython's parser) is checked, iteratively, and
every subtree that starts MAX_DEPTH levels below the module is cut out of the text: an
expression becomes `...`, an `elif` branch and the rest of its chain become `else: pass`.
Lines keep their numbers, so findings in the rest of the file land where they belong; the file
is reported as partially analysed, naming the lines cut. Work per file stays linear in its size.

Why 100: at twice that (200 levels) every kind of nesting still ran, but the whole analysis then
needed 500 of Python's default 1,000 frames, and with a limit of 500 it hung; 100 keeps the
margin wide for callers with deep stacks of their own (editors, test runners). The check costs
about a fifth of CPython's parse of the same file (may_exceed visits statements, not nodes).
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import re
from dataclasses import dataclass

MAX_DEPTH = 100
"""Syntax-tree levels below the module kept for analysis (statements and expressions alike).
Measured: tests/test_robustness.py (every kind of nesting at the bound runs)."""

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # lines as Python's tokenizer splits them
_NO_POSITION = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)


@dataclass(frozen=True)
class Cut:
    """What bounding left out: `text` is the source with the deep parts cut, `lines` the
    1-based lines where a cut starts."""

    text: str
    lines: tuple[int, ...]


_SLACK = 8  # levels a statement's subtree may have beyond its length in bytes (see may_exceed)
_BODIES = ("body", "orelse", "finalbody", "handlers")  # the fields that hold statements
# The statements that have any of them (every other statement holds expressions only).
_COMPOUND = tuple(kind for kind in vars(ast).values()
                  if isinstance(kind, type) and issubclass(kind, ast.stmt) and set(_BODIES) & set(kind._fields))
# Every level of an expression has one of these in its own text (a call's "(", an attribute's
# ".", an operator, a keyword argument's "=", a slice's ":", a comprehension's " for ", ...), so
# their count bounds the levels of a long statement, which is then rarely walked node by node.
_LEVEL_BYTES = b"([{.+-*/%@&|^~<>=!:"
_LEVEL_WORDS = (b"not", b"lambda", b"await", b"yield", b" if ", b" for ", b" and ", b" or ", b" in ", b" is ")
_LEVEL_TOKENS = (*(bytes([char]) for char in _LEVEL_BYTES), *_LEVEL_WORDS)


_SHALLOW: set[str] = set()
"""content_key of every text measured shallow (may_exceed False) when the project view
summarised it, this run or an earlier one (the summary keeps the answer: tpulint.view)."""


def content_key(data: bytes) -> str:
    """The key of a file's content (hex, 32 characters; the project view's cache uses it too)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def remember_shallow(key: str) -> None:
    """The text whose content_key is key was measured: nothing in it lies deeper than MAX_DEPTH."""
    _SHALLOW.add(key)


def known_shallow(text: str) -> bool:
    """Whether text was measured shallow already (so astroid's parse of it needs no check)."""
    return bool(_SHALLOW) and content_key(text.encode("utf-8", "surrogatepass")) in _SHALLOW


def may_exceed(tree: ast.Module, text: str) -> bool:
    """Whether some node of `tree` lies deeper than MAX_DEPTH (exactly as depth() would say).

    Cheap: it visits statements, and measures an expression exactly only where it could be
    deep. Every level of an expression costs at least two bytes of source (`a()`, `[x]`, `a.b`,
    `x+y`, `{x}` in an f-string), except a unary `-`, `+` or `~`, which costs one; so a
    statement that starts at level L, whose own text spans B bytes with U of those characters,
    holds nothing deeper than L + (B + U) / 2 + _SLACK (the slack covers levels with no text of
    their own: arguments, comprehensions); nor deeper than L + the count of _LEVEL_TOKENS in
    it + _SLACK. Only statements over both bounds are walked node by node.
    """
    data = text.encode("utf-8", errors="surrogatepass")
    starts = _line_starts(data)
    stack: list[tuple[ast.AST, int]] = [(statement, 1) for statement in tree.body]
    while stack:
        statement, level = stack.pop()
        if level > MAX_DEPTH:
            return True
        children = [(child, level + 1) for field in _BODIES for child in getattr(statement, field, ())] \
            if isinstance(statement, _COMPOUND) else []
        if not children and statement.end_lineno == statement.lineno and \
                level + statement.end_col_offset - statement.col_offset + _SLACK <= MAX_DEPTH:
            continue  # a short one-line statement (most of them): as _own_levels would find
        if level + _own_levels(statement, children, starts, data) + _SLACK > MAX_DEPTH and \
                level + depth(statement, skip=[child for child, _ in children]) > MAX_DEPTH:
            return True
        stack.extend(children)
    return False


def _own_levels(statement: ast.AST, children: list, starts: list[int], data: bytes) -> int:
    """At most how many levels a statement's own text (a compound statement's header, up to its
    first child statement) can hold: (bytes + unary operator characters) / 2."""
    if isinstance(statement, ast.Match):
        return MAX_DEPTH  # patterns and cases: always measured
    # The body's first statement is the earliest child (orelse, handlers and finalbody follow it).
    end = _offset(starts, children[0][0].lineno, children[0][0].col_offset) if children else None
    if end is None:
        end = _offset(starts, statement.end_lineno, statement.end_col_offset)
    start = min(_offset(starts, node.lineno, node.col_offset) for node in (statement, *getattr(statement, "decorator_list", ())))
    if (end - start) // 2 + _SLACK < MAX_DEPTH // 2:
        return (end - start)  # short: no need to count operators
    own = data[start:end]
    by_length = (len(own) + own.count(b"-") + own.count(b"+") + own.count(b"~")) // 2
    return min(by_length, _token_count(own))


def _token_count(text: bytes) -> int:
    """sum(text.count(token) for token in _LEVEL_TOKENS), with the one-byte tokens counted by
    one deletion instead of one count each."""
    return len(text) - len(text.translate(None, _LEVEL_BYTES)) + sum(text.count(word) for word in _LEVEL_WORDS)


def _line_starts(data: bytes) -> list[int]:
    """Byte offset of each line's start (lines split as Python's tokenizer splits them)."""
    return [0, *itertools.accumulate(map(len, data.splitlines(keepends=True)))]


def _offset(starts: list[int], line: int, column: int) -> int:
    return starts[min(line, len(starts)) - 1] + column


def depth(tree: ast.AST, skip: list[ast.AST] = ()) -> int:
    """Levels of the tree below its root (a module with one `x = 1` statement: 3), not counting
    the subtrees of the nodes in `skip`."""
    skipped = {id(node) for node in skip}
    deepest = 0
    stack = [(tree, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node)
                     if not isinstance(child, _NO_POSITION) and id(child) not in skipped)
    return deepest


def bound(tree: ast.Module, text: str) -> Cut | None:
    """None when no node lies deeper than MAX_DEPTH; else the text with each such subtree cut
    (see the module docstring). Raises ValueError when the cut text would not parse (then the
    file cannot be analysed at all)."""
    cuts = list(_cut_points(tree))
    if not cuts:
        return None
    lines = _LINE.findall(text)
    for node, replacement in sorted(cuts, key=lambda cut: (cut[0].lineno, cut[0].col_offset), reverse=True):
        _replace(lines, node, replacement)
    cut_text = "".join(lines)
    try:
        ast.parse(cut_text)
    except (SyntaxError, RecursionError, MemoryError) as error:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep where a cut would not leave valid Python "
                         f"({error.__class__.__name__})") from None
    return Cut(cut_text, tuple(sorted({node.lineno for node, _ in cuts})))


def _cut_points(tree: ast.Module):
    """(node, replacement) for each outermost subtree that starts at MAX_DEPTH."""
    stack: list[tuple[ast.AST, int, ast.JoinedStr | None, bool]] = [(tree, 0, None, False)]
    while stack:
        node, level, fstring, is_elif = stack.pop()
        children = [child for child in ast.iter_child_nodes(node) if not isinstance(child, _NO_POSITION)]
        if level >= MAX_DEPTH and children:
            cut = _replacement(node, fstring, is_elif)
            if cut is not None:
                yield cut
                continue
        if isinstance(node, ast.JoinedStr) and fstring is None:
            fstring = node  # positions inside f-strings are not reliable before Python 3.12
        elifs = {id(node.orelse[0])} if isinstance(node, ast.If) and len(node.orelse) == 1 else set()
        stack.extend((child, level + 1, fstring, id(child) in elifs) for child in children)


def _replacement(node: ast.AST, fstring: ast.JoinedStr | None, is_elif: bool) -> tuple[ast.AST, str] | None:
    if fstring is not None:
        return fstring, "..."
    if is_elif and isinstance(node, ast.If):
        return node, "else: pass"  # `elif` and the rest of the chain; a plain nested `if` never gets this deep
    if isinstance(node, ast.expr) and not isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
        return node, "..."
    return None  # a statement or an assignment target: cut below it


def _replace(lines: list[str], node: ast.AST, replacement: str) -> None:
    """Replace node's span in `lines` (0-based list of lines with endings), keeping the line count."""
    first, last = node.lineno - 1, node.end_lineno - 1
    start = _column(lines[first], node.col_offset)
    end = _column(lines[last], node.end_col_offset)
    head, tail = lines[first][:start], lines[last][end:]
    if first == last:
        lines[first] = head + replacement + tail
        return
    if replacement == "...":
        replacement = "(..."  # the span's line breaks stay, inside parentheses
        tail = ")" + tail
    lines[first] = head + replacement + "\n"
    for index in range(first + 1, last):
        lines[index] = "\n"
    lines[last] = tail if tail.strip() else tail.lstrip(" \t")


def _column(line: str, byte_offset: int) -> int:
    """ast columns count UTF-8 bytes; the character index of one."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
