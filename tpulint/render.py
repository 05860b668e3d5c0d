"""Reports of a Summary: text, JSON, SARIF, GitHub workflow annotations and a Markdown summary,
plus `tpulint explain`'s rule page. The command (tpulint/cli.py) picks one; nothing here runs pylint."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tpulint import __version__, sarif
from tpulint.catalog import Catalog, Rule
from tpulint.docs import GENERATED, render_rule_page
from tpulint.estimate import ESTIMATE_MODEL, SCORE_MODEL, Estimate, FileReport, Finding, Summary
from tpulint.findings import unanalysed_paths
from tpulint.model import Fix, render_arguments

FORMATS = ("text", "json", "sarif", "github", "markdown")
NO_PORT_TEXT = "no port needed — no file uses PyTorch devices"
TOP_FILES = 5
# Findings listed in the Markdown summary's <details>; GitHub caps a step summary at 1 MiB and a
# PR comment at 65,536 characters.
MARKDOWN_FINDINGS = 100
# severity's SARIF level -> GitHub workflow command
GITHUB_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def render(summary: Summary, catalog: Catalog, root: Path, output_format: str, colour: bool = False,
           quiet: bool = False) -> str:
    """The report in output_format (FORMATS); root: the folder SARIF's paths are relative to."""
    if output_format == "sarif":
        return sarif.dumps(summary, catalog, root)
    if output_format == "json":
        return json.dumps(json_report(summary), indent=2, ensure_ascii=False) + "\n"
    if output_format == "github":
        return render_github(summary, catalog)
    if output_format == "markdown":
        return render_markdown(summary, catalog)
    return render_text(summary, catalog, colour=colour, quiet=quiet)


def _model(model: dict[str, str]) -> str:
    return f"{model['name']} v{model['version']}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def readiness_text(summary: Summary, catalog: Catalog) -> str:
    if summary.score is None:
        return f"Readiness: {verdict(summary)}"
    return f"Readiness for {catalog.targets[summary.target].title}: {verdict(summary)}"


def verdict(summary: Summary, strong: Callable[[str], str] = str) -> str:
    """What the run may claim about readiness: nothing when no file could be analysed, no band
    when only some rules ran, the whole code's score when a baseline hides findings. `strong`
    marks the score (Markdown bold)."""
    if summary.nothing_analysed:
        if not summary.files_checked:
            return "not known — no file could be analysed"
        return f"not known — none of the {_plural(summary.files_checked, 'file')} could be analysed"
    if summary.score is None:
        return f"{NO_PORT_TEXT}{_unanalysed_clause(summary)}"
    if summary.scope is not None:
        return (f"not assessed — only {summary.scope} ran; those rules score "
                f"{strong(f'{summary.score}/100')}{_unanalysed_clause(summary)}")
    whole = f", whole code with {_plural(summary.known, 'finding')} the baseline hides" if summary.known else ""
    return f"{strong(f'{summary.score}/100')} ({summary.band}){whole}{_unanalysed_clause(summary)}"


def _unanalysed_clause(summary: Summary) -> str:
    """A score says nothing of files it could not read: say so next to it."""
    unread = _unanalysed(summary)
    return f", counting only analysed files: {_plural(unread, 'path')} could not be analysed" if unread else ""


def _unanalysed(summary: Summary) -> int:
    return unanalysed_paths(summary.notifications)[0]


def estimate_text(estimate: Estimate, unit: bool = False) -> str:
    """'3–4 (3 mechanical, 1 manual; 1 uncertain), plus 2 optional clean-ups'; unit: '3–4 changes (...'"""
    detail = estimate_detail(estimate)
    count = estimate.range_text
    if unit:
        count += " change" if count == "1" else " changes"
    text = f"{count} ({detail})"
    if estimate.optional:
        text += f", plus {estimate.optional} optional clean-up{'s' if estimate.optional != 1 else ''}"
    return text


def estimate_detail(estimate: Estimate) -> str:
    """'3 mechanical, 1 manual; 1 uncertain'"""
    detail = f"{estimate.fixable} mechanical, {estimate.manual} manual"
    return detail + (f"; {estimate.uncertain} uncertain" if estimate.uncertain else "")


def _files_text(summary: Summary) -> str:
    text = f"{summary.files_checked} scanned, {len(summary.files)} with {'new ' if summary.known else ''}findings"
    unread, partial = unanalysed_paths(summary.notifications)
    if unread:
        text += f", {unread} not analysed"
    if partial:
        text += f", {partial} partly or not analysed by a limit"
    return text


def _estimate_scope(summary: Summary) -> str:
    if summary.scope is not None:
        return f", for {summary.scope} only"
    return f", whole code ({summary.known} of them hidden by the baseline)" if summary.known else ""


def _file_line(report: FileReport) -> str:
    return f"{report.path}: {report.score}/100 ({report.band}), {estimate_text(report.estimate, unit=True)}"


# --- text --------------------------------------------------------------------------------------


def render_text(summary: Summary, catalog: Catalog, colour: bool = False, quiet: bool = False) -> str:
    """The text report: a line per finding and per notification, then (unless quiet) the summary.
    colour: ANSI colours for a terminal (path bold, blockers red, the rest yellow)."""
    style = _Style(colour)
    lines = [f"{style.bold(location(f))}: {style.severity(f.severity.name, f.rule.id)} {f.rule.symbol}"
             f"{' (uncertain)' if f.uncertain else ''} {f.message}" for f in summary.findings]
    lines += [f"{style.bold(note.path)}: {note.message}" for note in summary.notifications]
    if quiet:
        return "".join(line + "\n" for line in lines)
    if lines:
        lines.append("")
    lines += [style.bold(line) if line.startswith("Readiness") else line for line in text_summary(summary, catalog)]
    return "\n".join(lines) + "\n"


class _Style:
    """ANSI SGR codes, or nothing (colour off)."""

    def __init__(self, on: bool) -> None:
        self.on = on

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.on else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def severity(self, severity: str, text: str) -> str:
        return self._wrap("1;31" if severity == "blocker" else "1;33", text)


def statistics(summary: Summary) -> list[dict]:
    """Per rule: how many findings, how many have an exact edit (`tpulint fix` makes them), and how
    many `# noqa` suppressed; most frequent first, then by id."""
    rows: dict[str, dict] = {}
    for findings, kind in ((summary.findings, "count"), (summary.suppressed, "suppressed")):
        for finding in findings:
            row = rows.setdefault(finding.rule.id, {"id": finding.rule.id, "symbol": finding.rule.symbol,
                                                    "count": 0, "fixable": 0, "suppressed": 0})
            row[kind] += 1
            if kind == "count" and finding.fix is not None and finding.fix.edits:
                row["fixable"] += 1
    return sorted(rows.values(), key=lambda row: (-row["count"], -row["suppressed"], row["id"]))


def render_statistics(summary: Summary, output_format: str) -> str:
    """`--statistics`: a table (text) or a JSON list of statistics() rows."""
    rows = statistics(summary)
    if output_format == "json":
        return json.dumps(rows, indent=2) + "\n"
    lines = [f"{row['count']:>5}  {row['id']:<6}  {row['symbol']:<34} {_statistics_note(row)}".rstrip() for row in rows]
    return "".join(line + "\n" for line in lines)


def _statistics_note(row: dict) -> str:
    notes = [f"{row['fixable']} fixable"] if row["fixable"] else []
    notes += [f"{row['suppressed']} suppressed by # noqa"] if row["suppressed"] else []
    return f"({', '.join(notes)})" if notes else ""


def location(finding: Finding) -> str:
    """path:line:column (1-based), or in a notebook path:cell N:line L."""
    if finding.cell:
        return f"{finding.path}:{finding.cell}"
    return f"{finding.path}:{finding.line}:{finding.column + 1}"


def text_summary(summary: Summary, catalog: Catalog) -> list[str]:
    lines = [
        f"{readiness_text(summary, catalog)} [{_model(SCORE_MODEL)}]",
        f"Estimated changes: {estimate_text(summary.estimate)}{_estimate_scope(summary)} [{_model(ESTIMATE_MODEL)}]",
        f"Files: {_files_text(summary)}",
    ]
    if summary.suppressed:
        lines.append(f"Suppressed by # noqa: {len(summary.suppressed)} (not counted)")
    if summary.by_family:
        lines.append("By family: " + ", ".join(f"{name} {count}" for name, count in summary.by_family.items()))
        lines.append("By severity: " + ", ".join(f"{name} {count}" for name, count in summary.by_severity.items()))
    if len(summary.files) > 1:
        lines.append("Most work:")
        lines += [f"  {_file_line(report)}" for report in summary.most_work(TOP_FILES)]
    lines += [f"Note: {note}" for note in summary.notes]
    return lines


# --- JSON --------------------------------------------------------------------------------------


def json_report(summary: Summary) -> dict:
    return {
        "tool": {"name": "tpulint", "version": __version__},
        "target": summary.target,
        "findings": [
            {
                "path": f.path, "line": f.line, "column": f.column + 1, "end_line": f.end_line,
                "end_column": None if f.end_column is None else f.end_column + 1,
                "id": f.rule.id, "symbol": f.rule.symbol, "family": f.rule.family,
                "severity": f.severity.name, "fixable": f.rule.fixable, "cost": f.rule.cost,
                "uncertain": f.uncertain, "message": f.message, "fingerprint": f.fingerprint,
                "arguments": render_arguments(f.arguments),
                **({"fix": _fix_json(f.fix)} if f.fix is not None else {}),
                **({"cell": f.cell} if f.cell else {}),
                **({"baseline_state": f.baseline_state} if f.baseline_state else {}),
            }
            for f in summary.findings
        ],
        "notifications": [{"path": n.path, "level": n.level, "message": n.message} for n in summary.notifications],
        "summary": {
            "readiness_score": summary.score,
            "readiness_band": summary.band,
            "scoring_model": SCORE_MODEL,
            "estimate_model": ESTIMATE_MODEL,
            "estimated_changes": summary.estimate.as_dict(),
            "files_checked": summary.files_checked,
            "files_analysed": summary.analysed,
            "rules_scope": summary.scope,
            "baseline_known": summary.known,
            "suppressed": len(summary.suppressed),
            "files_with_device_code": summary.device_files,
            "by_family": summary.by_family,
            "by_severity": summary.by_severity,
            "notes": list(summary.notes),
            "files": [
                {"path": r.path, "readiness_score": r.score, "readiness_band": r.band,
                 "estimated_changes": r.estimate.as_dict(), "findings": len(r.findings)}
                for r in summary.files
            ],
        },
    }


def _fix_json(fix: Fix) -> dict:
    """A finding's fix in the JSON report: what to do, the edits that do it (1-based columns, as
    the findings' own), the imports they need, and whether it keeps behaviour (`safe`)."""
    return {
        "text": str(fix.text), "safety": fix.safety, "imports": list(fix.imports),
        "edits": [{"line": edit.line, "column": edit.column + 1, "end_line": edit.end_line,
                   "end_column": edit.end_column + 1, "text": edit.text} for edit in fix.edits],
    }


# --- GitHub workflow commands ------------------------------------------------------------------


def escape_data(text: str) -> str:
    """A workflow command's message (GitHub's escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (GitHub's escapeProperty)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(name: str, message: str, **properties: object) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def github_annotation(finding: Finding) -> str:
    """file, line and title always; columns (1-based, in UTF-16 units as in SARIF, end inclusive)
    only on a one-line region: GitHub does not accept them on a multi-line one."""
    props: dict[str, object] = {"file": finding.path, "line": finding.line}
    end_line = finding.end_line if finding.end_line and finding.end_line >= finding.line else finding.line
    if end_line == finding.line and not finding.cell:  # in a notebook a column would point into JSON
        props["col"] = sarif.utf16_column(finding.abspath, finding.line, finding.column)
        if finding.end_column is not None and finding.end_column > finding.column:
            props["endLine"] = end_line
            props["endColumn"] = sarif.utf16_column(finding.abspath, finding.line, finding.end_column) - 1
    else:
        props["endLine"] = end_line
    props["title"] = f"{finding.rule.id} {finding.rule.symbol}" + (" (uncertain)" if finding.uncertain else "")
    return _command(GITHUB_COMMAND.get(finding.severity.sarif, "warning"), finding.message, **props)


def render_github(summary: Summary, catalog: Catalog) -> str:
    lines = [github_annotation(f) for f in summary.findings]
    lines += [_command("error" if n.level == "error" else "warning", n.message, file=n.path, title="tpulint")
              for n in summary.notifications]
    headline = (f"{readiness_text(summary, catalog)} [{_model(SCORE_MODEL)}]; estimated changes: "
                f"{estimate_text(summary.estimate)} [{_model(ESTIMATE_MODEL)}]")
    lines.append(_command("notice", " ".join([f"{headline}.", *summary.notes]), title="tpulint"))
    return "\n".join(lines) + "\n"


# --- Markdown ----------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = set("\\`*_[]<>|~&")


def escape_markdown(text: str) -> str:
    """Plain text shown literally in GitHub-flavoured Markdown (one line: newlines become spaces)."""
    one_line = re.sub(r"\s+", " ", text)
    return "".join("\\" + char if char in _MARKDOWN_SPECIAL else char for char in one_line)


def _code(text: str) -> str:
    quoted = text.replace("`", "'")
    return f"`{quoted}`"


def render_markdown(summary: Summary, catalog: Catalog) -> str:
    target = catalog.targets[summary.target].title
    marked = verdict(summary, strong=lambda text: f"\x00{text}\x01")
    readiness = escape_markdown(marked).replace("\x00", "**").replace("\x01", "**")
    estimate = summary.estimate
    lines = [
        f"## tpulint: readiness for {escape_markdown(target)}",
        "",
        "| | |",
        "|---|---|",
        f"| Readiness | {readiness} |",
        f"| Estimated changes | **{estimate.range_text}** ({estimate_detail(estimate)})"
        f"{escape_markdown(_estimate_scope(summary))} |",
        f"| Optional clean-ups | {estimate.optional} |",
        f"| Files | {_files_text(summary)} |",
        "",
    ]
    lines += [f"> **Note:** {_markdown_note(note)}" for note in summary.notes]
    if summary.notes:
        lines.append("")
    if summary.findings:
        lines += _family_table(summary, catalog)
        lines += [
            "### Files that need most work",
            "",
            "| file | changes | readiness |",
            "|---|--:|---|",
            *(f"| {_code(r.path)} | {r.estimate.range_text}"
              + (f" (+{r.estimate.optional} optional)" if r.estimate.optional else "")
              + f" | {r.score}/100, {r.band} |" for r in summary.most_work(TOP_FILES)),
            "",
        ]
        lines += _findings_details(summary, catalog)
    if summary.notifications:
        lines += [
            f"<details><summary>{_plural(sum(unanalysed_paths(summary.notifications)), 'file')} not or partly analysed"
            "</summary>",
            "",
            *(f"- {_code(n.path)}: {escape_markdown(n.message)}" for n in summary.notifications[:MARKDOWN_FINDINGS]),
            *([f"- … and {len(summary.notifications) - MARKDOWN_FINDINGS} more"]
              if len(summary.notifications) > MARKDOWN_FINDINGS else []),
            "",
            "</details>",
            "",
        ]
    lines.append(f"<sub>tpulint {__version__} · {_model(SCORE_MODEL)} · {_model(ESTIMATE_MODEL)}</sub>")
    return "\n".join(lines) + "\n"


def _markdown_note(note: str) -> str:
    """Notes may quote commands in backticks: keep those spans, escape the rest."""
    parts = note.split("`")
    if len(parts) % 2 == 0:  # unbalanced: all literal
        return escape_markdown(note)
    return "".join(_code(part) if index % 2 else escape_markdown(part) for index, part in enumerate(parts))


def _family_table(summary: Summary, catalog: Catalog) -> list[str]:
    counts = Counter((f.rule.family, f.severity.name) for f in summary.findings)
    severities = [name for name in catalog.severities if summary.by_severity.get(name)]
    lines = [
        "### Findings by family and severity",
        "",
        "| family | " + " | ".join(severities) + " | total |",
        "|---|" + "--:|" * (len(severities) + 1),
    ]
    for family, total in summary.by_family.items():
        title = catalog.families[family].title
        cells = " | ".join(str(counts[(family, severity)]) for severity in severities)
        lines.append(f"| {_code(family)} {escape_markdown(title)} | {cells} | {total} |")
    totals = " | ".join(str(summary.by_severity[severity]) for severity in severities)
    lines += [f"| **total** | {totals} | {len(summary.findings)} |", ""]
    return lines


def _findings_details(summary: Summary, catalog: Catalog) -> list[str]:
    findings = summary.findings
    shown = findings[:MARKDOWN_FINDINGS]
    lines = [f"<details><summary>{_plural(len(findings), 'finding')}</summary>", ""]
    for f in shown:
        lines.append(
            f"- {_code(location(f))} [{f.rule.id} {f.rule.symbol}]({catalog.help_uri(f.rule)})"
            f" ({f.severity.name}{', uncertain' if f.uncertain else ''}): {escape_markdown(f.message)}"
        )
    if len(findings) > len(shown):
        lines.append(f"- … and {len(findings) - len(shown)} more")
    lines += ["", "</details>", ""]
    return lines


# --- explain -----------------------------------------------------------------------------------


def render_explanation(rule: Rule, catalog: Catalog) -> str:
    """The rule's docs/rules page, without the generated-file marker."""
    page = render_rule_page(rule, catalog)
    lines = page.splitlines()
    if lines and lines[0] == GENERATED:
        lines = lines[1:]
    return "\n".join(lines).strip("\n") + "\n"
