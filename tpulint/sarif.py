"""SARIF 2.1.0 as GitHub code scanning reads it, built with sarif-om.

Serialized with a small walker over the attrs fields rather than jschema_to_python.to_json, which
drops any property equal to its default (a result's explicit `level: "warning"` would vanish and
inherit the rule's level instead).
"""

from __future__ import annotations

import ast
import json
import linecache
import os
import posixpath
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attr
import sarif_om as om

from tpulint import __version__
from tpulint.baseline import FINGERPRINT_KEY
from tpulint.catalog import Catalog, Rule
from tpulint.estimate import ESTIMATE_MODEL, SCORE_MODEL, Finding, Notification, Summary
from tpulint.fix import import_edit
from tpulint.model import UNSAFE, Edit

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/tpulint/tpulint"
SRCROOT = "%SRCROOT%"
# GitHub keeps the first 5,000 results of a run (by severity); tpulint sends no more than that,
# the most severe first, and says in the run (properties.resultsOmitted, a notification) how many it left out.
MAX_RESULTS = 5000
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
_KEEP_DEFAULTS = {"level", "kind"}


def build(summary: Summary, catalog: Catalog, root: Path) -> dict[str, Any]:
    rules = [rule for rule in catalog.rules if rule.for_target(summary.target)]
    index = {rule.symbol: position for position, rule in enumerate(rules)}
    findings = summary.findings
    results = [_result(finding, index, root) for finding in _prioritised(findings)]
    omitted = len(findings) - len(results)
    run = om.Run(
        tool=om.Tool(driver=_driver(rules, catalog, summary.target)),
        results=results,
        invocations=[_invocation(summary.notifications, root, omitted, len(findings))],
        column_kind="utf16CodeUnits",
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=root.resolve().as_uri() + "/")},
        properties=_run_properties(summary, omitted, root),
    )
    log = om.SarifLog(runs=[run], version="2.1.0", schema_uri=SCHEMA_URI)
    return to_dict(log)


def dumps(summary: Summary, catalog: Catalog, root: Path) -> str:
    return json.dumps(build(summary, catalog, root), indent=2, ensure_ascii=False) + "\n"


def to_dict(obj: Any) -> Any:
    """attrs object -> JSON-ready value; default-valued fields are omitted except level/kind."""
    if attr.has(type(obj)):
        out = {}
        for spec in attr.fields(type(obj)):
            value = getattr(obj, spec.name)
            default = spec.default.factory() if isinstance(spec.default, attr.Factory) else spec.default
            if value is None or (value == default and spec.name not in _KEEP_DEFAULTS):
                continue
            out[spec.metadata.get("schema_property_name", spec.name)] = to_dict(value)
        return out
    if isinstance(obj, dict):
        return {key: to_dict(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_dict(value) for value in obj]
    return obj


def _prioritised(findings: list[Finding]) -> list[Finding]:
    """At most MAX_RESULTS findings, the most severe ones, in file order."""
    ranked = sorted(findings, key=lambda f: (-f.severity.weight, f.path, f.line, f.column))
    return sorted(ranked[:MAX_RESULTS], key=lambda f: (f.path, f.line, f.column))


def _driver(rules: list[Rule], catalog: Catalog, target: str) -> om.ToolComponent:
    return om.ToolComponent(
        name="tpulint",
        version=__version__,
        semantic_version=__version__,
        information_uri=INFORMATION_URI,
        rules=[_rule_descriptor(rule, catalog, target) for rule in rules],
    )


def _rule_descriptor(rule: Rule, catalog: Catalog, target: str) -> om.ReportingDescriptor:
    data = rule.for_target(target)
    severity = catalog.severities[data.severity]
    return om.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=_sentence(rule.summary)),
        full_description=om.MultiformatMessageString(text=_first_paragraph(rule.rationale_for(target))),
        help=om.MultiformatMessageString(text=_help_text(rule, data.fix, target), markdown=_help_markdown(rule, data.fix, target)),
        help_uri=catalog.help_uri(rule),
        default_configuration=om.ReportingConfiguration(level=severity.sarif),
        properties={
            "tags": [rule.family, severity.name, "tpu"],
            "precision": "high",
            "problem.severity": PROBLEM_SEVERITY[severity.sarif],
            "pylintSymbol": rule.symbol,
            "fixable": rule.fixable,
            "cost": rule.cost,
        },
    )


def _result(finding: Finding, index: dict[str, int], root: Path) -> om.Result:
    message = f"{finding.message} ({finding.cell})" if finding.cell else finding.message
    return om.Result(
        rule_id=finding.rule.id,
        rule_index=index[finding.rule.symbol],
        level=finding.severity.sarif,
        message=om.Message(text=_sentence(message)),
        locations=[om.Location(physical_location=om.PhysicalLocation(
            artifact_location=_artifact(finding.path, root), region=_region(finding)))],
        partial_fingerprints={FINGERPRINT_KEY: finding.fingerprint} if finding.fingerprint else None,
        baseline_state=finding.baseline_state,
        properties={"uncertain": True} if finding.uncertain else None,
        fixes=_fixes(finding, root),
    )


def _fixes(finding: Finding, root: Path) -> list[om.Fix] | None:
    """SARIF `fixes` for a finding whose Fix carries exact edits (model.Fix): one artifactChange of
    replacements in its file, with the insertion of each import the fix needs that the file
    lacks (so the fix applied alone leaves no unbound name), the fix's text (and `unsafe` when it
    changes numerics) as the description. None for a notebook (its edits are positions in the
    joined cells) or no edits."""
    fix = finding.fix
    if fix is None or not fix.edits or finding.cell:
        return None
    edits = [*fix.edits, *filter(None, [_import_insertion(finding.abspath, tuple(fix.imports))])]
    replacements = [_replacement(finding.abspath, edit) for edit in edits]
    text = str(fix.text) + (" (unsafe: it changes numerics or semantics)" if fix.safety == UNSAFE else "")
    return [om.Fix(description=om.Message(text=_sentence(text)),
                   artifact_changes=[om.ArtifactChange(artifact_location=_artifact(finding.path, root),
                                                       replacements=replacements)])]


@lru_cache(maxsize=256)
def _import_insertion(abspath: str, imports: tuple[str, ...]) -> Edit | None:
    """The edit adding the imports the file lacks (tpulint.fix.import_edit); None when it has them
    all or cannot be read and parsed."""
    if not imports:
        return None
    try:
        text = Path(abspath).read_text(encoding="utf-8")
        return import_edit(text, ast.parse(text), imports)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None


def _replacement(abspath: str, edit: Edit) -> om.Replacement:
    """An Edit (UTF-8 byte columns, as pylint's) as a SARIF replacement (UTF-16 columns)."""
    region = om.Region(start_line=edit.line, start_column=utf16_column(abspath, edit.line, edit.column),
                       end_line=edit.end_line, end_column=utf16_column(abspath, edit.end_line, edit.end_column))
    return om.Replacement(deleted_region=region,
                          inserted_content=om.ArtifactContent(text=edit.text) if edit.text else None)


def _region(finding: Finding) -> om.Region:
    """Line and UTF-16 columns; in a notebook the .ipynb's line only (a column would point into JSON)."""
    if finding.cell:
        return om.Region(start_line=finding.line)
    region = om.Region(start_line=finding.line, start_column=utf16_column(finding.abspath, finding.line, finding.column))
    if finding.end_line and finding.end_column is not None and finding.end_line >= finding.line:
        end_column = utf16_column(finding.abspath, finding.end_line, finding.end_column)
        if finding.end_line > finding.line or end_column > region.start_column:
            region.end_line = finding.end_line
            region.end_column = end_column
    return region


def _artifact(path: str, root: Path) -> om.ArtifactLocation:
    uri = artifact_uri(path, root)
    return om.ArtifactLocation(uri=uri) if uri.startswith("file:") else om.ArtifactLocation(uri=uri, uri_base_id=SRCROOT)


def artifact_uri(path: str, root: Path) -> str:
    """A repository-relative POSIX path -> a percent-encoded relative reference (never `./`, `..` or a leading `/`);
    a path outside the repository -> an absolute `file:` URI.

    Percent-encoding keeps file names with spaces, `#`, `%` or non-ASCII letters valid URI references
    (SARIF1002); GitHub's upload-sarif decodes them (decodeURIComponent) before matching files.
    """
    if not os.path.isabs(path):
        normal = posixpath.normpath(path)
        if normal != ".." and not normal.startswith("../"):
            return quote(normal, safe="/")
        path = os.path.normpath(root.resolve() / normal)
    return Path(path).as_uri()


def _invocation(notifications: tuple[Notification, ...], root: Path, omitted: int, total: int) -> om.Invocation:
    notes = [
        om.Notification(
            message=om.Message(text=_sentence(f"{note.path}: {note.message}")),
            level=note.level,
            # Only a path in the tree gets a location (a link to nothing and a pipe are in it):
            # a missing path or pylint's "Command line or configuration file" is not a URI
            # (SARIF1002) and has nothing to point at.
            locations=[om.Location(physical_location=om.PhysicalLocation(artifact_location=_artifact(note.path, root)))]
            if _in_tree(note.path, root) else None,
        )
        for note in notifications
    ]
    if omitted:
        notes.append(om.Notification(
            message=om.Message(text=(
                f"{omitted} of {total} results left out: GitHub code scanning keeps at most {MAX_RESULTS} results "
                f"per run, so this file holds the {MAX_RESULTS} most severe. `tpulint --format json` lists them all."
            )),
            level="warning",
        ))
    return om.Invocation(execution_successful=True, tool_execution_notifications=notes)


def _in_tree(path: str, root: Path) -> bool:
    try:
        return os.path.lexists(root / path)
    except (OSError, ValueError):
        return False


def _run_properties(summary: Summary, omitted: int, root: Path) -> dict[str, Any]:
    return {
        "target": summary.target,
        "readinessScore": summary.score,
        "readinessBand": summary.band,
        "estimatedChanges": summary.estimate.required,
        "estimate": summary.estimate.as_dict(),
        "scoringModel": SCORE_MODEL,
        "estimateModel": ESTIMATE_MODEL,
        "filesChecked": summary.files_checked,
        "filesWithDeviceCode": summary.device_files,
        "notes": list(summary.notes),
        "resultsOmitted": omitted,
        "files": [
            {
                "uri": artifact_uri(report.path, root),
                "readinessScore": report.score,
                "readinessBand": report.band,
                "estimatedChanges": report.estimate.required,
                "estimate": report.estimate.as_dict(),
                "findings": len(report.findings),
            }
            for report in summary.files
        ],
    }


def utf16_column(abspath: str, line: int, byte_column: int) -> int:
    """pylint's 0-based UTF-8 byte column -> SARIF's 1-based UTF-16 column."""
    text = linecache.getline(abspath, line)
    if not text or text.isascii():
        return byte_column + 1
    prefix = text.encode("utf-8")[:byte_column].decode("utf-8", "replace")
    return len(prefix.encode("utf-16-le")) // 2 + 1


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _first_paragraph(text: str) -> str:
    paragraph = " ".join(text.split("\n\n")[0].split())
    return paragraph if len(paragraph) <= 1000 else paragraph[:997] + "..."


def _help_text(rule: Rule, fix: str, target: str) -> str:
    return (f"{' '.join(rule.rationale_for(target).split())}\n\nFix: {fix}\n\nExample:\n{rule.example}\n\n"
            f"Use instead:\n{rule.example_fixed_for(target)}")


def _help_markdown(rule: Rule, fix: str, target: str) -> str:
    return (
        f"{rule.rationale_for(target)}\n\n**Fix:** {fix}\n\n"
        f"#### Example\n```python\n{rule.example}\n```\n\n#### Use instead\n```python\n{rule.example_fixed_for(target)}\n```"
    )
