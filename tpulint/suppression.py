"""`# noqa` comments, as ruff and flake8 read them: `# noqa` silences every finding on its line,
`# noqa: E7101, cuda-device` only those rules (ids or symbols, any case, separated by commas or
spaces). Only real comments count (found with `tokenize`, so `"# noqa"` in a string does not).
A finding spanning several lines is silenced by a comment on its first or its last line (the
place ruff looks for a multi-line string).

`# pylint: disable=` needs nothing here: pylint itself drops those messages.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Mapping

from tpulint.estimate import Finding

# `# noqa`, `# NOQA:E7101,W7117`, `#noqa: cuda-device mark-step`, also after another comment
# (`# type: ignore  # noqa`); the word alone in prose (`# see noqa docs`) is not one.
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[\w-]+(?:[\s,]+[\w-]+)*))?(?![\w-])", re.IGNORECASE)

# line (1-based) -> the rule names silenced there, lower case; None: every rule.
Directives = dict[int, frozenset[str] | None]


def directives(source: bytes) -> Directives:
    """The `# noqa` comments of a Python source (bytes, any declared encoding). A source that does
    not tokenise gives what was read before the error (the analysis reports the error itself)."""
    found: Directives = {}
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.COMMENT:
                _note(found, token.start[0], token.string)
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        pass
    return found


def _note(found: Directives, line: int, comment: str) -> None:
    match = _NOQA.search(comment)
    if match is None:
        return
    codes = match.group("codes")
    if codes is None:
        found[line] = None
    elif found.get(line, frozenset()) is not None:
        found[line] = found.get(line, frozenset()) | frozenset(code.lower() for code in re.split(r"[\s,]+", codes) if code)


def silences(directive: frozenset[str] | None, finding: Finding) -> bool:
    return directive is None or finding.rule.id.lower() in directive or finding.rule.symbol in directive


def split(findings: Iterable[Finding], sources: Mapping[str, bytes]) -> tuple[list[Finding], list[Finding]]:
    """(kept, suppressed): `sources` maps each finding's path (as in Finding.path) to the text
    its line numbers refer to; a finding whose path is not there is kept."""
    read: dict[str, Directives] = {}
    kept, suppressed = [], []
    for finding in findings:
        if finding.path not in read:
            read[finding.path] = directives(sources[finding.path]) if finding.path in sources else {}
        lines = read[finding.path]
        on = [line for line in {finding.line, finding.end_line or finding.line} if line in lines]
        (suppressed if any(silences(lines[line], finding) for line in on) else kept).append(finding)
    return kept, suppressed
