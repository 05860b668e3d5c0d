"""Baselines: record today's findings, then report only the ones that are new.

A finding is matched by a fingerprint of (rule id, path, normalised text of the flagged line,
occurrence index) and never by its line number, so edits elsewhere in the file leave it alone.
The occurrence index tells apart identical flagged lines in one file: the first is 0, the
next 1, in file order. SARIF carries the fingerprint as `partialFingerprints[FINGERPRINT_KEY]`
and the comparison as `baselineState`.
"""

from __future__ import annotations

import hashlib
import json
import linecache
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tpulint.estimate import Finding

FINGERPRINT_KEY = "tpulintFingerprint/v1"
FORMAT_VERSION = 1
TOOL = "tpulint"
_QUOTES = "'\""


class BaselineError(Exception):
    """A baseline file tpulint cannot use; str() is one sentence naming the file and why."""


@dataclass(frozen=True)
class Baseline:
    fingerprints: frozenset[str]
    path: str

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self.fingerprints


# --- fingerprints -------------------------------------------------------------------------


def normalise(line: str) -> str:
    """The flagged line's code with layout and comment removed, string literals kept verbatim.

    A small scanner rather than `tokenize`: tokenize on a lone line is version-dependent
    (Python 3.12 splits f-strings into several tokens, and fragments such as `foo(a,` or a
    closing `)` fail differently across versions), and a baseline written on one Python must
    match on another. Outside string literals the scanner drops a `#` comment, drops whitespace
    runs, and keeps a single space only between two word characters (`not x`, `a if b else c`),
    so re-indenting the line, `x=1` vs `x = 1` and trailing whitespace or comments do not change
    it. A string literal is copied exactly, escapes and all, since its contents are code-bearing
    ("cuda:0"). A literal left open at the end of the line (a triple-quoted string going on) is
    copied to the end, less trailing whitespace. Misreading a line that sits inside a multi-line
    string is harmless: the result is still deterministic for that text.
    """
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        char = line[i]
        if char == "#":
            break
        if char.isspace():
            i = _skip_space(line, i)
            if out and i < n and _is_word(out[-1][-1]) and _is_word(line[i]):
                out.append(" ")
            continue
        if char in _QUOTES:
            end = _string_end(line, i)
            out.append(line[i:end])
            i = end
            continue
        out.append(char)
        i += 1
    return "".join(out).rstrip()


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _skip_space(line: str, i: int) -> int:
    while i < len(line) and line[i].isspace():
        i += 1
    return i


def _string_end(line: str, start: int) -> int:
    """Index just past the literal opening at `start` (its prefix is already emitted)."""
    quote = line[start] * 3 if line.startswith(line[start] * 3, start) else line[start]
    i = start + len(quote)
    while i < len(line):
        if line[i] == "\\":
            i += 2
        elif line.startswith(quote, i):
            return i + len(quote)
        else:
            i += 1
    return len(line)


def source_line(finding: Finding) -> str:
    """The text of the flagged line, or "" when the file cannot be read."""
    filename = os.path.abspath(finding.abspath)  # linecache searches sys.path for relative names
    linecache.checkcache(filename)  # the file may have changed since it was cached
    return linecache.getline(filename, finding.line)


def fingerprints(
    findings: Sequence[Finding], line_text: Callable[[Finding], str] = source_line
) -> list[str]:
    """One fingerprint per finding, in the order given. Each flagged line is read and normalised
    once, however many findings it holds (a minified line can hold thousands)."""
    order = sorted(range(len(findings)), key=lambda k: _file_order(findings[k]))
    seen: dict[tuple[str, str, str], int] = {}
    normalised: dict[tuple[str, int], str] = {}
    digests: dict[tuple[str, str, str], Any] = {}
    prints = [""] * len(findings)
    for k in order:
        finding = findings[k]
        where = (finding.abspath, finding.line)
        if where not in normalised:
            normalised[where] = normalise(line_text(finding))
        key = (finding.rule.id, finding.path, normalised[where])
        if key not in digests:
            digests[key] = _digest_prefix(*key)
        prints[k] = _digest_occurrence(digests[key], seen.get(key, 0))
        seen[key] = seen.get(key, 0) + 1
    return prints


def _file_order(finding: Finding) -> tuple[str, int, int]:
    return (finding.path, finding.line, finding.column)


def _digest(rule_id: str, path: str, text: str, occurrence: int) -> str:
    """sha256 of the JSON list [rule_id, path, text, occurrence], first 32 hex digits."""
    return _digest_occurrence(_digest_prefix(rule_id, path, text), occurrence)


def _digest_prefix(rule_id: str, path: str, text: str):
    # The payload is json.dumps([rule_id, path, text, occurrence]); hashing all but its end once
    # per distinct line keeps a line with thousands of findings linear (the text can be long).
    payload = json.dumps([rule_id, path, text], ensure_ascii=False)[:-1] + ", "
    return hashlib.sha256(payload.encode("utf-8"))


def _digest_occurrence(prefix, occurrence: int) -> str:
    digest = prefix.copy()
    digest.update(f"{occurrence}]".encode("utf-8"))
    return digest.hexdigest()[:32]


# --- comparing against a baseline --------------------------------------------------------------


def state(fingerprint: str, baseline: Baseline | None) -> str | None:
    """SARIF `baselineState`: None without a baseline, else "unchanged" or "new"."""
    if baseline is None:
        return None
    return "unchanged" if fingerprint in baseline.fingerprints else "new"


def absent(prints: Iterable[str], baseline: Baseline) -> int:
    """How many baseline entries no longer occur: fixed (or moved beyond recognition)."""
    return len(baseline.fingerprints - set(prints))


# --- the file ----------------------------------------------------------------------------


def write(path: Path, findings: Sequence[Finding], prints: Sequence[str], tool_version: str) -> None:
    """Record findings as JSON that diffs well: fixed key order, entries sorted, indent 2."""
    if len(findings) != len(prints):
        raise ValueError("findings and prints must be parallel sequences")
    entries = sorted((_entry(f, p) for f, p in zip(findings, prints)), key=_entry_order)
    document = {
        "tool": TOOL,
        "version": FORMAT_VERSION,
        "fingerprintKey": FINGERPRINT_KEY,
        "toolVersion": tool_version,
        "findings": entries,
    }
    try:
        Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8", newline="\n")
    except OSError as error:
        raise BaselineError(f"Cannot write baseline file {path}: {_reason(error)}.") from error


def _entry(finding: Finding, fingerprint: str) -> dict[str, Any]:
    return {
        "fingerprint": fingerprint,
        "rule": finding.rule.id,
        "symbol": finding.rule.symbol,
        "path": finding.path,
        "line": finding.line,  # informational: matching never uses it
        "message": finding.message,
    }


def _entry_order(entry: dict[str, Any]) -> tuple[Any, ...]:
    return (entry["path"], entry["line"], entry["rule"], entry["fingerprint"])


def read(path: Path) -> Baseline:
    """Load a baseline written by `write`; BaselineError says what is wrong with it."""
    document = _load_json(Path(path))
    _check_header(path, document)
    return Baseline(frozenset(_fingerprints_in(path, document)), str(path))


def _load_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise BaselineError(f"Baseline file {path} does not exist.") from error
    except UnicodeDecodeError as error:
        raise BaselineError(f"Baseline file {path} is not UTF-8 text.") from error
    except OSError as error:
        raise BaselineError(f"Cannot read baseline file {path}: {_reason(error)}.") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}: {error.msg}"
        raise BaselineError(f"Baseline file {path} is not valid JSON ({where}).") from error


def _check_header(path: Path, document: Any) -> None:
    if not isinstance(document, dict) or document.get("tool") != TOOL:
        raise BaselineError(
            f'Baseline file {path} is not a tpulint baseline (it lacks "tool": "{TOOL}").'
        )
    version = document.get("version")
    if version != FORMAT_VERSION:
        raise BaselineError(
            f"Baseline file {path} has format version {json.dumps(version)}, but this tpulint "
            f"reads version {FORMAT_VERSION}; rewrite it with --write-baseline."
        )
    key = document.get("fingerprintKey")
    if key != FINGERPRINT_KEY:
        raise BaselineError(
            f"Baseline file {path} holds {json.dumps(key)} fingerprints, but this tpulint makes "
            f'"{FINGERPRINT_KEY}" ones; rewrite it with --write-baseline.'
        )


def _fingerprints_in(path: Path, document: dict[str, Any]) -> list[str]:
    entries = document.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f'Baseline file {path} has no "findings" list.')
    prints = []
    for index, entry in enumerate(entries):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str):
            raise BaselineError(
                f'Baseline file {path} is malformed: findings[{index}] has no "fingerprint" string.'
            )
        prints.append(fingerprint)
    return prints


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).rstrip(".").lower()


def apply(findings: Sequence[Finding], known: Baseline | None) -> tuple[list[Finding], tuple[str, ...]]:
    """Every finding with its fingerprint and, given a baseline, its state in it ("new" or
    "unchanged"), and the summary's note about the baseline."""
    prints = fingerprints(findings)
    marked = [replace(f, fingerprint=p, baseline_state=state(p, known)) for f, p in zip(findings, prints)]
    if known is None:
        return marked, ()
    new = sum(1 for f in marked if f.baseline_state == "new")
    note = (f"Baseline {known.path}: {len(marked) - new} known findings not shown (still counted in the score "
            f"and estimate), {new} new, {absent(prints, known)} fixed since it was written")
    return marked, (note,)
