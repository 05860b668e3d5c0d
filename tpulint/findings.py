"""pylint messages -> tpulint findings (for tpulint's rules) and notifications (files that could
not be analysed). Shared by the SARIF reporter and the command, so both report the same thing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from pylint.message import Message

from tpulint.catalog import Catalog, Rule
from tpulint.estimate import Finding, Notification
from tpulint.isolation import NESTED_TOO_DEEPLY
from tpulint.model import Argument, LineLabel, Reported, render_arguments, source_lines

# pylint messages that mean "this file was not analysed"; everything else that is not a tpulint
# rule is ignored (tpulint's outputs speak for tpulint's rules only).
UNANALYSED = frozenset({"syntax-error", "astroid-error", "parse-error", "fatal"})
PARTIAL = "partially-analysed"  # tpulint's own: code nested deeper than tpulint.bounds allows
NOTIFYING = UNANALYSED | {PARTIAL}


def convert(messages: Iterable[Message], catalog: Catalog, target: str, root: Path,
            reported: Iterable[Reported] = ()) -> tuple[list[Finding], list[Notification]]:
    """pylint's messages as findings (tpulint's rules) and notifications (files not analysed).
    A rule's message takes its arguments and fix from the checker's structured finding
    (model.Reported, matched by file, rule and position) and is rendered from the rule's template:
    message text is never parsed."""
    findings: list[Finding] = []
    notifications: list[Notification] = []
    structured = {finding.key: finding for finding in reported}
    for message in messages:
        if catalog.has_rule(message.symbol):
            finding = _finding(message, catalog, target, root, structured)
            if finding is not None:
                findings.append(finding)
        elif message.symbol == PARTIAL:
            notifications.append(Notification(_display_path(message, root), message.msg, level="warning"))
        elif message.symbol in UNANALYSED or message.symbol == "bad-plugin-value":
            notifications.append(Notification(_display_path(message, root), explain_unanalysed(message)))
    return findings, notifications


def unanalysed_paths(notifications: Iterable[Notification]) -> tuple[int, int]:
    """(paths not analysed, paths partly analysed), each path counted once however many cells or
    limits its notifications name; a path not analysed (level "error") is not also partly
    analysed (level "warning")."""
    unread = {note.path for note in notifications if note.level == "error"}
    partial = {note.path for note in notifications if note.level == "warning"} - unread
    return len(unread), len(partial)


def _finding(message: Message, catalog: Catalog, target: str, root: Path,
             structured: dict[tuple, Reported]) -> Finding | None:
    rule = catalog.rule(message.symbol)
    severity = catalog.severity_of(rule, target)
    if severity is None:
        return None
    emitted = structured.get((os.path.abspath(message.abspath), message.symbol, message.line, message.column,
                              message.end_line, message.end_column))
    arguments = emitted.arguments if emitted is not None else {}
    return Finding(
        rule=rule,
        severity=severity,
        path=relative_path(message.abspath, root),
        abspath=message.abspath,
        line=max(1, message.line or 1),
        column=max(0, message.column or 0),
        end_line=message.end_line,
        end_column=message.end_column,
        # A message of another plugin instance (no structured twin) keeps pylint's text as is.
        message=render_message(rule, arguments) if emitted is not None else message.msg,
        uncertain=is_uncertain(message),
        arguments=arguments,
        fix=emitted.fix if emitted is not None else None,
    )


def render_message(rule: Rule, arguments: dict[str, Argument], label: LineLabel = source_lines) -> str:
    """The rule's message template filled with the arguments, their lines named by label."""
    return rule.message % render_arguments(arguments, label)


def is_uncertain(message: Message) -> bool:
    """Checkers report what they inferred (rather than saw) with a confidence other than HIGH."""
    confidence = getattr(message, "confidence", None)
    return getattr(confidence, "name", "HIGH") != "HIGH"


def relative_path(abspath: str, root: Path) -> str:
    """Repository-relative POSIX path (never starting with './'), or the absolute path outside root."""
    path = Path(os.path.abspath(abspath))
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _display_path(message: Message, root: Path) -> str:
    if message.abspath and os.path.isfile(message.abspath):
        return relative_path(message.abspath, root)
    return message.path or message.module


_CRASH_REPORT = re.compile(r"that you can use in '([^']+)'")
_PARSING_FAILED = re.compile(r"^Parsing failed: '(?P<reason>.*)'$", re.DOTALL)


def explain_unanalysed(message: Message) -> str:
    """A clear sentence for a file pylint could not analyse (never a traceback)."""
    if message.symbol == "syntax-error":
        match = _PARSING_FAILED.match(message.msg)
        reason = match.group("reason") if match else message.msg
        if "encoding" in reason or "codec" in reason:
            return "not analysed: the file is not valid UTF-8 and declares no encoding that decodes it"
        if "nested too deeply" in reason or "too many nested" in reason:
            return f"not analysed: {NESTED_TOO_DEEPLY}"
        if "levels deep" in reason:
            return f"not analysed: {reason}"
        if "null bytes" in reason:
            return "not analysed: the file contains NUL bytes (is it Python source?)"
        return f"not analysed: it does not parse as Python ({reason})"
    if message.symbol == "astroid-error":
        report = _CRASH_REPORT.search(message.msg)
        written = report is not None and os.path.isfile(report.group(1))
        return ("not analysed: the analysis failed on this file (an error inside pylint, astroid or tpulint)"
                + (f"; pylint's crash report: {report.group(1)}" if written else ""))
    if message.symbol == "bad-plugin-value":
        return f"pylint could not load a plugin: {message.msg}"
    return f"not analysed: {message.msg}"
